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

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.checks import invalid
from lstmcast.engine.callbacks import Callback
from lstmcast.engine.runtime import check_precision, cpu_threads
from lstmcast.forecast import (
    artifacts,
    defaults,
    evaluation,
    fitting,
    inspection,
    params,
    prediction,
    settings_doc,
)
from lstmcast.forecast.baselines import TrainingStats  # noqa: F401
from lstmcast.forecast.estimator import Estimator
from lstmcast.forecast.evaluation import LagCopyWarning, TrainingRowsWarning  # noqa: F401
from lstmcast.forecast.explain import Explanation, explain_series
from lstmcast.forecast.fitted import FittedAttributes
from lstmcast.layers import Layer
from lstmcast.tables.pipeline import TablePipeline

if TYPE_CHECKING:  # the search (Optuna) is imported when ``tune`` runs
    from lstmcast.forecast.tune.search import TuneResult

FORECASTER_KIND = artifacts.FORECASTER_KIND


class Forecaster(Estimator, FittedAttributes):
    """An LSTM forecaster for tables, with the tutorial's defaults.

    The settings are listed below (``lstmcast.forecast.settings_doc``); ``fit`` sets the
    attributes.

    Attributes:
        pipeline_: the fitted ``TablePipeline`` (roles, time, scalers, windows).
        ensemble_: the trained networks (``model_`` is the first), and with
            ``blend`` the linear map they are blended with.
        blend_weight_: with ``blend``, the networks' share of the forecast (0.5
            with "linear"; the other forecasts have the rest); None without.
        blend_weights_: every forecast's share by name (``{"networks": 1.0}``
            without a blend).
        networks_edge_: with "select", how clearly the networks beat the best other
            candidate there (``combination.networks_edge``; None when not scored).
        blend_scores_: with "select", each candidate's RMSE on the validation
            windows (scaled units), else None.
        log_choice_: whether the targets are read as their log, and why
            (``lstmcast.forecast.log_choice.LogChoice``); after ``fit``, not saved (a
            loaded model's ``pipeline_.log`` names the targets read so).
        scaling_choice_: ``scale_by`` as used ("global", "series" or a key column; a
            loaded model's ``pipeline_.scale_by``) and why.
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
        scale_by: str = "auto",
        season: int | None = None,
        autoregressive: bool | None = None,
        difference: bool = False,
        log: bool | None = None,
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
        threads: int | None = None,
        precision: str = "float32",
        verbose: int = 0,
    ) -> None:
        self._store(locals())

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

    def table_reader(self) -> TablePipeline:
        """The fitted pipeline, reading tables with the current ``missing`` and
        ``time_format`` (changed after fit with set_params: how predict's table reads)."""
        return self.pipeline_.reading(self.missing, self.time_format)

    def season_choice(self, pipeline: TablePipeline) -> tuple[int | None, str]:
        """The season of a table ``pipeline`` read, and why (``defaults.choose_season``:
        ``season`` if given, else the frequency's, else one found in the rows)."""
        return defaults.choose_season(self.season, pipeline)

    # -- fitting -------------------------------------------------------------------
    def fit(self, data: Any, target: str | Sequence[str] | None = None,
            features: Sequence[str] | None = None, group: str | None = None,
            time: str | None = None,
            future: Sequence[str] | None = None,
            static: Sequence[str] | None = None) -> Forecaster:
        """Learn from a long-format table (DataFrame, or a CSV/Parquet path).

        Args:
            data: one row per time step. A folder or glob of Parquet files is read
                shard by shard (``shard_rows``; a ``streaming.ShardedTable`` too). A
                Series or an array of numbers is one column (its name, or "y"); an
                index of dates (DatetimeIndex, PeriodIndex, text dates, or years in an
                index named for them) is the time column (``lstmcast.tables.in_memory``).
            target: the column (or columns) to forecast; None: the table's one
                numeric column that has no other role.
            features: past-observed input columns (seen over the window); default
                all other numeric columns that have no other role. The time
                column may be one of them when it is numeric (an engine's age).
            group: series-id column (many series, one model), or None; several columns
                joined by commas ("store,item") where it takes more than one to name a
                series (their values joined, "a | x", in the forecasts).
            time: time column: numbers, datetimes, or text dates (parsed; see
                ``time_format``). Rows are sorted by it within each series;
                duplicate times are an error; its frequency is inferred, and
                missing time steps follow ``missing``. None: the index where it holds
                dates (its name, or "time"), else row order is time order.
                A time held as a year and a quarter, a year and a month, a year, a
                month and a day, or a date and a time of day: their columns joined by
                commas ("year,quarter", "Date,Time").
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
        with cpu_threads(self.threads):
            return fitting.fit(self, data, target, features, group, time, future, static)
    def inspect(self, data: Any, target: str | Sequence[str] | None = None,
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
        with cpu_threads(self.threads):
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
        self.check_fitted()
        if output_index is None:
            levels = self.intervals_.network_levels if self.intervals_ is not None else ()
            output_index = levels.index(0.5) * len(self.pipeline_.targets) if levels else 0
        with cpu_threads(self.threads):
            return explain_series(self.table_reader(), self.ensemble_, data, series, at,
                                  window, baseline, output_index)

    # -- evaluation ----------------------------------------------------------------
    def evaluate(self, data: Any, last_only: bool = False, holdout: int | None = None,
                 return_predictions: bool = False
                 ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
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
        with cpu_threads(self.threads):
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

    def backtest(self, data: Any, target: str | Sequence[str] | None = None,
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
    def tune(cls, data: Any, target: str | Sequence[str] | None = None,
             features: Sequence[str] | None = None, group: str | None = None,
             time: str | None = None, future: Sequence[str] | None = None,
             static: Sequence[str] | None = None, *, budget: float, **options: Any
             ) -> TuneResult:
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
        self.check_fitted()
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


Forecaster.__doc__ = settings_doc.compose(Forecaster.__doc__)
