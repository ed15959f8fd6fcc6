"""The table's face: ``Forecaster`` fits, evaluates and forecasts a long-format DataFrame.

One row per time step; a target column (or several), input columns (past
features, inputs known in advance, per-series constants), an optional
series-id column (many series, one global model) and an optional time
column. The Forecaster is its settings, a fitted ``TablePipeline`` (the
table's roles, time, scalers and windows) and an ``Ensemble`` of networks on
lstmcast's engine. It follows scikit-learn's contract: ``__init__`` stores
its arguments, ``fit`` learns and returns self, learned attributes end in "_".
"""

from __future__ import annotations

import inspect as _inspect
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.checks import invalid
from lstmcast.engine.callbacks import Callback
from lstmcast.engine.runtime import check_precision
from lstmcast.errors import InvalidArgumentError, NotFittedError
from lstmcast.forecast import artifacts, evaluation, fitting, inspection, params, prediction
from lstmcast.forecast.evaluation import LagCopyWarning, TrainingRowsWarning, TrainingStats  # noqa: F401
from lstmcast.forecast.explain import Explanation, explain_series
from lstmcast.layers import Layer
from lstmcast.models import Sequential
from lstmcast.tables import timeline
from lstmcast.tables.pipeline import TablePipeline

FORECASTER_KIND = artifacts.FORECASTER_KIND


class Forecaster:
    """An LSTM forecaster for tables, with the tutorial's defaults.

    Args:
        layers: hidden layer specs (LSTM, GRU, Dense, Dropout); the output
            Dense layer is added to fit ``steps`` x targets. Default: the
            tutorial's stack, from ``units``, ``dropout`` and ``cell``.
        units: units per recurrent layer when ``layers`` is None (100, 50).
        dropout: dropout after each recurrent layer when ``layers`` is None (0.2).
        cell: "lstm" or "gru" when ``layers`` is None.
        window: rows per input window. None (default): chosen from the data
            (``window_``, ``defaults.choose_window``): the tutorial's 30, or two
            seasons where that is longer (96 for half-hourly rows), at most half
            the rows the shortest series trains on.
        horizon: rows from a window's last row to its first target (1 = next
            row; 0 = the window's own last row, e.g. remaining useful life).
        steps: consecutive target rows forecast at once (direct multi-step).
        loss, optimizer, learning_rate: training settings ("mse", "adam", 0.001).
            ``loss=None`` (default): "mse", or "pinball" with ``quantiles``.
            ``loss="mae"`` forecasts the median instead of the mean: for a
            capped target (remaining useful life clipped at 125) that is the cap
            itself for windows that look healthy (docs/accuracy.md, row b-mae).
            ``"huber"`` has Keras's delta of 1.0 on the scaled target, where
            errors are mostly below 1 with min-max scaling: there it acts as half the MSE.
            ``"pinball"`` trains one output per quantile level (``quantiles``).
        quantiles: quantile levels to forecast besides the point forecast, e.g.
            (0.1, 0.5, 0.9) (sorted; each in (0, 1), none twice). With the pinball
            loss (the default with quantiles) the network has one output per
            level, per step and per target, and 0.5 is trained too: the point
            forecast is that median. Quantiles never cross: each forecast's
            values are sorted (rearrangement, which never raises the pinball
            loss). With an ensemble, the members' quantiles are averaged level
            by level. With a point loss ("mse", "mae", "huber"), ``calibrate``
            makes the quantiles from the errors on the validation windows.
            ``predict`` adds a column per level (``OT_q0.1``) and ``evaluate``
            scores them (pinball loss, CRPS, coverage and width) beside the
            baselines' intervals, made from their own errors on the training rows.
        calibrate: split conformal calibration on the validation windows, per
            step and target and per level (``lstmcast.forecast.intervals`` says how): if
            the validation windows' errors are like the future's, each central
            interval (tau, 1 - tau) covers at least 1 - 2 tau of the truths. A
            time series makes no such promise: the windows overlap, and a drift
            after the validation period breaks it; and early stopping picks the
            epoch on the same windows, a slight optimism. Needs quantiles and enough
            validation windows (9 for 0.1 and 0.9, 19 for 0.05 and 0.95).
        epochs: most passes over the training windows (100).
        batch_size: windows per step. None (default): the tutorial's 200, lowered
            on small data so that an epoch has at least 10 steps (never below 8);
            with 72 training windows, as in the airline series, a batch of 200
            would give one gradient step per epoch and a model that barely
            trains. The batch used is in ``batch_size_``.
        early_stopping: stop when the validation loss stops improving, and keep
            the best weights (on by default).
        patience: epochs without improvement before stopping (10).
        lr_patience: if set, halve the learning rate after this many epochs
            without a better validation loss (``ReduceLROnPlateau`` with factor
            0.5 and a floor of 1e-5); None (default) keeps it fixed. With a
            higher starting rate it is lstmcast's best C-MAPSS configuration
            in docs/accuracy.md.
        lr_decay: if set, the learning rate stays at ``learning_rate`` for 3
            epochs, then is multiplied by this every epoch (the schedule of
            SegRNN's reference code, with 0.8); None (default): off.
        validation: fraction held out for early stopping and ``lr_patience`` (0.2).
        validation_by: "time" (the last part of every series) or "series"
            (whole series held out).
        scaler: "minmax", "standard" or None.
        scale_by: "global", "series", or the name of a key column (e.g. an
            operating condition) whose values each get their own scaler.
            Scalers are fitted on training rows only.
        season: season length for the seasonal naive baseline and MASE. None
            (default): from the time column's frequency (``season_``): a day of
            sub-daily rows (24 hourly, 48 half-hourly), a week of days (7; 5
            business days), 52 weeks, 12 months, 4 quarters; none for numbers
            or years.
        autoregressive: feed the target's own past as an input. None (default):
            yes when forecasting ahead (horizon >= 1), where the table holds it;
            no with horizon 0 (such as remaining useful life, never observed at
            forecast time), where it would show the model the answer.
        difference: model changes instead of levels (False). The target's past
            enters as its row-to-row change and the network forecasts the
            change from the window's last value, which is added back. Use it for
            series that trend beyond their training range (airline passengers:
            MASE 2.0 on raw levels -> 0.85; the default ``normalize`` gets 0.69
            there, docs/accuracy.md); it needs the target's past as
            an input (autoregressive) and at least window + 1 rows of history.
        normalize: instance normalization (RevIN-style): "last" makes each
            window's targets relative to the window's last value, "mean" to its
            mean and standard deviation, and the forecast is mapped back; the
            network then learns shapes, not levels, and a level outside the
            training range is no surprise. "auto" (default): "last" whenever
            the target's own past is an input (forecasting ahead), without
            ``difference``; None: off. docs/longhorizon.md and docs/accuracy.md
            measure it.
        channels: with several targets, "joint" (default: one network maps all
            targets to all targets) or "independent": each target column goes
            through one shared network as its own series, with a one-hot code
            of which it is (a learned per-channel embedding), and the other
            inputs shared. Fewer weights per channel, and every channel's
            windows train the same network.
        segment: None (default: the tutorial's stack, point by point), or w:
            cut the window into segments of w rows, embed each, run one
            recurrent layer of ``units[0]`` units over the L / w segments, and
            decode every forecast step at once from its final state
            (``SegmentLSTM``, SegRNN's design). Much faster at long windows, and
            the most accurate configuration on long horizons in
            docs/longhorizon.md. The window must be a multiple of w.
        linear: with ``segment``: add a linear map of the whole window to the
            forecast (starting at zero, trained with the rest), so the
            recurrence learns what a linear map leaves. At long horizons, where
            a linear map of the window is hard to beat, it helps
            (docs/longhorizon.md). False by default.
        blend: "select" (default), "linear", "auto" or None. "select": after
            training, every candidate forecasts the validation windows (the
            networks, two least-squares linear maps of the window, the naive,
            seasonal naive and window-mean forecasts: ``lstmcast.forecast.combination``)
            and the forecast is the mean of the two that score best there; where
            nothing is held out, or the target's past is not an input, as "auto".
            "linear": after training, fit a least-squares
            linear map of each target's window (relative to its last value, one
            map for all targets, in closed form on the training windows) and
            forecast the mean of the networks' and the map's forecasts. The
            two make different errors, so at long horizons, where the map is
            hard to beat, the mean beats both (docs/longhorizon.md); where the
            map is poor (a target that is not a smooth function of its own
            past, such as remaining useful life) leave it off. Needs the
            targets' own history among the inputs and point forecasts (not
            ``difference``, not quantiles trained by the network); "auto"
            blends whenever it can, and not when the network reads inputs known
            in advance (the map sees only the targets' past): on the panel of public tables
            (docs/panel.md) it beats the best baseline on 9 of 16 tables where
            the network alone beats it on 6. None: the networks alone. On a
            table read in shards, the map takes one more pass over the shards.
        max_seconds: wall-clock budget for training (None: no limit).
        clipnorm: if set, gradients are rescaled to this global L2 norm at most.
        missing: NaN or inf in the used columns, and missing time steps (gaps
            in a regular time column): "error" (default, naming the first),
            "drop" the rows (gaps are left as they are, with a warning), "ffill"
            within each series, or "interpolate" within each series (gaps are
            reindexed onto the time grid and filled the same way).
        time_format: how a text time column reads: None or "auto" (ISO 8601
            with or without time and zone; else day-first or month-first when
            the values tell them apart), "iso8601", "dayfirst", "monthfirst"
            (which read ISO 8601 dates too), or a strftime format such as
            "%d/%m/%Y %H:%M"; a strftime format or "iso8601" reads a column of
            numbers such as 20240131 as dates. Changed after fit
            (``set_params``), it is how ``predict`` reads its tables.
        calendar: derive inputs known in advance from a datetime time column:
            hour of day, day of week, day of year or month of year as sine and
            cosine pairs, those the frequency makes meaningful (hourly data:
            hour, weekday, day of year; daily: weekday, day of year; weekly:
            day of year; monthly: month). The network sees them over the window
            and over the forecast rows, like ``future`` columns.
        shard_rows: a folder (or glob) of Parquet files given to ``fit`` is read in
            shards of whole files of at most this many rows (1,000,000), one shard in
            memory at a time, so the table need not fit in memory
            (``lstmcast.tables.streaming`` says how the scalers and the statistics are
            gathered in one pass). Each series must lie in one shard: one file per
            series, or files partitioned by the series key. A table of one shard is
            read once and trains as in memory.
        checkpoint: a file where the whole training state is saved after every
            epoch (atomically); if it exists when ``fit`` starts, training resumes
            from it, and ends as if it had never stopped. With ``ensemble``, one file
            per network (``PATH.member1``...); all are deleted when every network is
            trained, unless ``keep_checkpoint``.
        keep_checkpoint: keep the checkpoint files after ``fit`` (False). The command
            line keeps its run's until the run folder is complete, so that a run
            stopped while it scores the model resumes without training again.
        callbacks: extra callbacks for the training loop (lstmcast.engine.callbacks).
        ensemble: train this many networks, with seeds ``seed``, ``seed + 1``, ...
            on the same windows and scalers, and forecast their mean. Single runs
            of an LSTM vary from seed to seed; the mean varies less. (Explanations
            show the first network.)
        seed: random seed (0); same data, config and seed give the same model.
        device: "cpu", "cuda" or None (CUDA when available).
        precision: "float32" (default) or "bfloat16" (mixed precision: faster on
            hardware with bfloat16, slightly less accurate; docs/benchmarks.md).
        verbose: 0 silent, 1 progress bars, 2 a line per epoch.

    Attributes (after ``fit``):
        pipeline_: the fitted ``TablePipeline`` (roles, time, scalers, windows).
        ensemble_: the trained networks (``model_`` is the first), and with
            ``blend`` the linear map they are blended with.
        blend_weight_: with ``blend``, the networks' share of the forecast (0.5
            with "linear"; the other forecasts have the rest); None without.
        blend_weights_: every forecast's share by name (``{"networks": 1.0}``
            without a blend); blend_scores_: with "select", each candidate's RMSE
            on the validation windows (scaled units), else None.
        history_, histories_: per-epoch losses of the first / every network.
        stats_: the training rows' mean and MASE scale (``TrainingStats``).
        seen_: which rows were trained on (``SeenRows``), for ``evaluate``.
        streamed_: for a set of Parquet files read in shards, the shards, files and
            rows, and the most rows held in memory at once; None for a table fitted
            in memory.
    """

    def __init__(
        self,
        layers: Sequence[Layer] | None = None,
        units: Sequence[int] = (100, 50),
        dropout: float = 0.2,
        cell: str = "lstm",
        window: int | None = None,
        horizon: int = 1,
        steps: int = 1,
        loss: str | None = None,
        quantiles: Sequence[float] | None = None,
        calibrate: bool = False,
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        epochs: int = 100,
        batch_size: int | None = None,
        early_stopping: bool = True,
        patience: int = 10,
        lr_patience: int | None = None,
        lr_decay: float | None = None,
        validation: float = 0.2,
        validation_by: str = "time",
        scaler: str | None = "minmax",
        scale_by: str = "global",
        season: int | None = None,
        autoregressive: bool | None = None,
        difference: bool = False,
        normalize: str | None = "auto",
        channels: str = "joint",
        segment: int | None = None,
        linear: bool = False,
        blend: str | None = "select",
        max_seconds: float | None = None,
        clipnorm: float | None = None,
        missing: str = "error",
        time_format: str | None = None,
        calendar: bool = False,
        shard_rows: int = 1_000_000,
        checkpoint: str | None = None,
        keep_checkpoint: bool = False,
        callbacks: Sequence[Callback] | None = None,
        ensemble: int = 1,
        seed: int = 0,
        device: str | None = None,
        precision: str = "float32",
        verbose: int = 0,
    ) -> None:
        self.layers = layers
        self.units = units
        self.dropout = dropout
        self.cell = cell
        self.window = window
        self.horizon = horizon
        self.steps = steps
        self.loss = loss
        self.quantiles = quantiles
        self.calibrate = calibrate
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_patience = lr_patience
        self.lr_decay = lr_decay
        self.validation = validation
        self.validation_by = validation_by
        self.scaler = scaler
        self.scale_by = scale_by
        self.season = season
        self.autoregressive = autoregressive
        self.difference = difference
        self.normalize = normalize
        self.channels = channels
        self.segment = segment
        self.linear = linear
        self.blend = blend
        self.max_seconds = max_seconds
        self.clipnorm = clipnorm
        self.missing = missing
        self.time_format = time_format
        self.calendar = calendar
        self.shard_rows = shard_rows
        self.checkpoint = checkpoint
        self.keep_checkpoint = keep_checkpoint
        self.callbacks = callbacks
        self.ensemble = ensemble
        self.seed = seed
        self.device = device
        self.precision = precision
        self.verbose = verbose

    @classmethod
    def preset(cls, name: str, **settings: Any) -> Forecaster:
        """A Forecaster with a named bundle of settings; ``settings`` override them.

        "long-horizon": segment recurrence (segments of 24 rows, one LSTM of 128
        units), instance normalization by the last value, channel independence,
        the absolute error, standard scaling, batches of 256 windows, up to 30
        epochs with patience 5, and the forecast blended with a least-squares
        linear map of the window (``blend="auto"``): lstmcast's most accurate
        configuration on the long-horizon benchmark (docs/longhorizon.md).

        Example:
            >>> Forecaster.preset("long-horizon", window=96, steps=96).segment
            24
        """
        return cls(**params.with_preset(name, settings))

    @classmethod
    def _param_names(cls) -> list[str]:
        return [n for n in _inspect.signature(cls.__init__).parameters if n != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments (scikit-learn's get_params).

        ``deep`` changes nothing: no argument is itself an estimator (layers,
        optimizers and callbacks are lstmcast objects, copied as values).
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **values: Any) -> Forecaster:
        """Change constructor arguments (scikit-learn's set_params) and return self; refit
        afterwards. An unknown name is an error listing the valid ones."""
        names = self._param_names()
        for name in values:
            if name not in names:
                error = params.unknown("Forecaster argument", name, names)
                raise InvalidArgumentError(f"{error} Valid: {', '.join(names)}.")
        for name, value in values.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """``Forecaster(window=96, steps=96)``: the arguments that differ from the defaults."""
        defaults = {n: p.default for n, p in _inspect.signature(type(self).__init__)
                    .parameters.items() if n != "self"}
        changed = [f"{n}={v!r}" for n, v in self.get_params().items()
                   if not _same_value(v, defaults[n])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags (read by its tools only): a regressor fitted on a table,
        whose target is named in ``fit`` rather than given as ``y``."""
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=False),
                    regressor_tags=RegressorTags(),
                    input_tags=InputTags(two_d_array=True, categorical=True, string=True,
                                         allow_nan=True))

    # -- checks ------------------------------------------------------------------
    def check_params(self) -> None:
        """Check every setting, alone and together (``lstmcast.forecast.params`` says what each
        accepts and which settings exclude each other)."""
        params.check_settings(self.get_params())
        check_precision(self.precision)
        if self.layers is not None and (isinstance(self.layers, Layer) or not all(
                isinstance(x, Layer) for x in self.layers)):
            raise invalid("layers", "a list of lstmcast layers", self.layers)

    @property
    def loss_name(self) -> str:
        """The training loss: ``loss``, or by default "pinball" with quantiles, else "mse"."""
        return params.loss_of(self.get_params())

    def _reader(self) -> TablePipeline:
        """The fitted pipeline, reading tables with the current ``missing`` and
        ``time_format`` (changed after fit with set_params: how predict's table reads)."""
        return self.pipeline_.reading(self.missing, self.time_format)

    def _require_fitted(self) -> None:
        if not hasattr(self, "ensemble_"):
            raise NotFittedError("This Forecaster is not fitted yet: call `fit` first, "
                                 "or load a saved one with `Forecaster.load`.")

    # -- what fit learned, by name ---------------------------------------------------
    @property
    def model_(self) -> Sequential:
        """The first network (the only one unless ``ensemble`` > 1)."""
        self._require_fitted()
        return self.ensemble_.first

    @property
    def members_(self) -> list[Sequential]:
        self._require_fitted()
        return self.ensemble_.members

    @property
    def inputs_(self) -> list[str]:
        """The network's input columns, in order."""
        self._require_fitted()
        return self.pipeline_.inputs

    @property
    def autoregressive_(self) -> bool:
        self._require_fitted()
        return self.pipeline_.roles.autoregressive

    @property
    def x_scaler_(self) -> Any:
        return self.pipeline_.x_scaler_

    @property
    def y_scaler_(self) -> Any:
        return self.pipeline_.y_scaler_

    @property
    def train_mean_(self) -> list[float]:
        return self.stats_.train_mean

    @property
    def naive_scale_(self) -> list[float]:
        return self.stats_.naive_scale

    def season_choice(self, step: dict[str, Any] | None) -> tuple[int | None, str]:
        """The season for a time step, and why: ``season`` if given, else the frequency's."""
        if self.season:
            return self.season, "given"
        found, what = timeline.season(step)
        return found, (f"{what}, from the frequency ({timeline.describe(step)})"
                       if found else what)

    @property
    def season_(self) -> int | None:
        """The season of the seasonal naive baseline and MASE: ``season``, or the
        frequency's (None: no season)."""
        return self.stats_.season

    # -- fitting -------------------------------------------------------------------
    def fit(self, data: Any, target: str | Sequence[str], features: Sequence[str] | None = None,
            group: str | None = None, time: str | None = None,
            future: Sequence[str] | None = None,
            static: Sequence[str] | None = None) -> Forecaster:
        """Learn from a long-format table (DataFrame, or a CSV/Parquet path).

        Args:
            data: one row per time step. A folder or glob of Parquet files is read
                shard by shard (``shard_rows``; a ``streaming.ShardedTable`` too).
            target: the column (or columns) to forecast.
            features: past-observed input columns (seen over the window); default
                all other numeric columns that have no other role. The time
                column may be one of them when it is numeric (an engine's age).
            group: series-id column (many series, one model), or None.
            time: time column: numbers, datetimes, or text dates (parsed; see
                ``time_format``). Rows are sorted by it within each series;
                duplicate times are an error; its frequency is inferred, and
                missing time steps follow ``missing``. None: row order is time order.
            future: columns known in advance (prices, promotions, planned load,
                holidays): the network sees them over the window and over the
                forecast rows (``predict`` then needs their values: its ``future``
                argument). Not with horizon 0.
            static: per-series constants (a store's size, an engine's make): one
                value per series, an error naming the series if it varies.

        Returns:
            self.

        The network: the hidden layers read the window (L rows); with inputs
        known in advance, each training window also holds the rows to forecast,
        ``Cropping1D`` keeps the recurrent layers on the window, and
        ``FutureInputs`` appends the known inputs of the forecast rows to the
        last recurrent output, from which the output Dense layer forecasts
        every step at once.
        """
        return fitting.fit(self, data, target, features, group, time, future, static)
    @property
    def blend_weight_(self) -> float | None:
        self._require_fitted()
        return self.ensemble_.weight if self.ensemble_.combined else None

    @property
    def blend_weights_(self) -> dict[str, float]:
        self._require_fitted()
        return {n: w for n, w in self.ensemble_.weights.items() if w > 0}

    @property
    def window_(self) -> int:
        """The window the model was fitted with: ``window``, or the one chosen from the
        data."""
        self._require_fitted()
        return self.pipeline_.window

    def inspect(self, data: Any, target: str | Sequence[str],
                features: Sequence[str] | None = None, group: str | None = None,
                time: str | None = None, future: Sequence[str] | None = None,
                static: Sequence[str] | None = None) -> dict[str, Any]:
        """What ``fit`` would train on, without training (a fitted model is left as it is).

        Returns:
            A dict with each input's role, the windows per split as (samples,
            time_steps, features), the rows behind the first training window and
            its target, the time column's frequency and what was filled, and the
            bytes the windows take (zero-copy) against a list of copied windows.
        """
        return inspection.inspect(self, data, target, features, group, time, future, static)
    # -- forecasting ---------------------------------------------------------------
    def predict(self, data: Any, n_ahead: int | None = None, future: Any = None
                ) -> pd.DataFrame:
        """Forecast from the end of each series.

        Args:
            data: the recent history of each series (at least ``window`` rows;
                shorter series are padded at the front with their first row).
            n_ahead: how many rows past the last to forecast; default
                ``steps`` (direct); fewer gives the first ``n_ahead`` of them.
                More than ``steps`` is done recursively,
                feeding forecasts back as inputs, which is only possible when the
                inputs are the target's own past (future feature values would
                be needed otherwise).
            future: with inputs known in advance (``fit(..., future=...)``), a
                table (or CSV/Parquet path) of their values for the rows to
                forecast: the series id and time columns and the future
                columns, for the ``horizon - 1 + steps`` rows after each series'
                end (matched by series and time; without a time column, taken
                in order). Calendar inputs need nothing.

        Returns:
            One row per series and step: the series id, ``step`` (1 = the
            first forecast row), the time (continued at the inferred
            frequency, when the time column is regular) and one column per
            target with the forecast; with ``quantiles``, a column per target
            and level (``OT_q0.1``, ``OT_q0.5``, ``OT_q0.9``).

        A folder or glob of Parquet files is read shard by shard (``shard_rows``
        rows at most, whole files, only the columns the model reads), one in
        memory at a time, each series whole in one shard as for ``fit``.
        """
        return prediction.predict(self, data, n_ahead, future)

    # -- explanation ---------------------------------------------------------------
    def explain(self, data: Any, series: Any = None, at: Any = None, window: int | None = None,
                baseline: str | np.ndarray = "mean", output_index: int | None = None
                ) -> Explanation:
        """Explain one forecast: the gates of every recurrent layer and what drove the output.

        Args:
            data: a table holding the series' history.
            series: the series id (default: the first series).
            at: the time of the window's last row (default: the latest window
                whose forecast rows are in the data).
            window: instead of ``at``, the K-th full window of the series (0 = the
                first; -1 = the last).
            baseline: integrated gradients' reference window: "mean" (each
                feature's mean over this window, every step), "zeros" (the
                scaled zero), or an array (time_steps, features).
            output_index: which network output: by default the first step of the
                first target (its median, for a quantile model). Outputs run by step,
                then quantile level (a quantile model's), then target.

        Returns:
            An ``lstmcast.forecast.explain.Explanation``; ``prediction`` is in the
            target's units. ``lstmcast.plots.explanation_figures`` draws it.
        """
        self._require_fitted()
        if output_index is None:
            levels = self.intervals_.network_levels if self.intervals_ is not None else ()
            output_index = levels.index(0.5) * len(self.pipeline_.targets) if levels else 0
        return explain_series(self._reader(), self.ensemble_, data, series, at, window,
                              baseline, output_index)

    # -- evaluation ----------------------------------------------------------------
    def evaluate(self, data: Any, last_only: bool = False, holdout: int | None = None,
                 return_predictions: bool = False) -> Any:
        """Score the model and naive baselines on the windows of ``data``.

        Args:
            data: a table with the target; windows take their history from it.
            last_only: score only the last window of each series (the C-MAPSS
                protocol: one prediction per test engine). Series shorter than
                the window are then padded at the front, never dropped.
            holdout: score only targets in the last ``holdout`` rows of each
                series (the earlier rows serve as history); it must be less
                than every series' length.

        By default (neither), only targets after the model's training data are
        scored: for each series whose first rows are exactly the rows it was
        trained on, the rows after them; every window of a series it was not
        trained on. When the table holds nothing but training rows, every
        window is scored and a ``TrainingRowsWarning`` says so.
        ``result.attrs["scored"]`` says which rows were scored.

        Returns:
            One row per (target, model): MAE, RMSE, MAPE, sMAPE, MASE and
            ``skill`` = 1 - RMSE / RMSE of the best baseline (> 0 beats it);
            with ``last_only``, also the PHM08 score (lower is better; late
            predictions cost more). The baselines are the training mean, and,
            when the table holds the target's past (horizon >= 1), the last
            value (naive), the window's mean and the seasonal naive
            (``season``). ``result.attrs["notes"]`` lists what the numbers leave
            out; ``result.attrs["n_windows"]`` the windows scored. With
            ``return_predictions``, a tuple (scores, predictions).
        """
        return evaluation.evaluate(self, data, last_only, holdout, return_predictions)

    def score(self, data: Any, y: Any = None) -> float:
        """Minus the RMSE of the forecasts on the windows ``evaluate`` scores in ``data``
        (averaged over targets): higher is better, as scikit-learn's searches expect.

        ``y`` is ignored: the target is the column named in ``fit``. The table must
        hold at least one window plus ``steps`` rows of each series.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingRowsWarning)
            result = self.evaluate(data)
        return -float(result[result["model"] == "lstmcast"]["rmse"].mean())

    def backtest(self, data: Any, target: str | Sequence[str],
                 features: Sequence[str] | None = None, group: str | None = None,
                 time: str | None = None, folds: int = 3,
                 test_size: int | None = None, progress: bool = False,
                 future: Sequence[str] | None = None,
                 static: Sequence[str] | None = None) -> pd.DataFrame:
        """Rolling-origin evaluation: refit (scalers included) on each fold's past, score
        on the next block.

        Args:
            data: the whole table; target, features, group, time, future and
                static as in ``fit`` (future values come from the table itself).
            folds: number of origins.
            test_size: rows per series in each fold's test block (default: ``steps``
                or a tenth of the shortest series, whichever is larger).

        Returns:
            ``evaluate``'s rows for every fold, with columns ``fold`` and ``train_rows``.
        """
        return evaluation.backtest(self, data, target, features, group, time, future, static,
                                   folds, test_size, progress)

    @classmethod
    def tune(cls, data: Any, target: str | Sequence[str],
             features: Sequence[str] | None = None, group: str | None = None,
             time: str | None = None, future: Sequence[str] | None = None,
             static: Sequence[str] | None = None, *, budget: float, **options: Any) -> Any:
        """Search settings with Optuna (TPE) on rolling-origin folds of ``data`` within
        ``budget`` wall-clock seconds, then fit the best on all of ``data``.

        ``options``: ``space`` ("all", "stacked", "segment"), ``folds`` (3), ``fold_size``,
        ``jobs`` and ``storage`` (processes sharing a SQLite or PostgreSQL study),
        ``study_name``, ``seed``, ``trials`` (at most), ``progress`` (a line per trial); any
        other keyword is a Forecaster setting, fixed during the search. ``lstmcast.forecast.tune``
        says how.

        Returns:
            ``lstmcast.forecast.tune.TuneResult``: ``forecaster`` (fitted), ``settings``,
            ``leaderboard``, ``study``.
        """
        from lstmcast.forecast import tune

        return tune.tune(cls, data, target, features, group, time, future, static, budget=budget,
                         **options)

    # -- saving --------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save everything needed to forecast to one file (safetensors + JSON, no pickle).

        The write goes to a temporary file renamed into place: a failed save
        leaves any previous artifact at ``path`` intact.
        """
        self._require_fitted()
        artifacts.save(self, path)

    def export_onnx(self, path: str | os.PathLike) -> Path:
        """Write the networks as one ONNX graph (their mean, blended with the linear map with
        ``blend``) and a JSON sidecar beside it.

        ``model.onnx`` maps scaled windows (batch, window, inputs) to outputs
        (batch, steps * targets); ``model.json`` holds what turns a table into
        those windows and the outputs back into forecasts: the input columns,
        the window, the scalers' offsets and scales, and a recipe in words
        (``lstmcast.forecast.onnx_export.serve_window`` is the recipe in NumPy).

        Returns:
            The sidecar's path.
        """
        from lstmcast.forecast.onnx_export import export_forecaster

        return export_forecaster(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> Forecaster:
        """Load a Forecaster saved by ``save``; it predicts exactly what the saved one did.

        Files saved before the table pipeline (config version 1) load too.
        """
        return artifacts.load(cls, path, device)


def _same_value(a: Any, b: Any) -> bool:
    """Equal, for a repr: (100, 50) and [100, 50] alike; objects by identity."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    if isinstance(a, (str, int, float, bool, type(None))):
        return type(a) is type(b) and a == b
    return a is b
