"""The table's face: ``Forecaster`` fits, evaluates and forecasts a long-format DataFrame.

One row per time step; a target column (or several), feature columns, an
optional series-id column (many series, one global model) and an optional time
column. The Forecaster makes the windows (zero-copy, never across series),
splits in time order, fits scalers on the training part only, trains the
tutorial's network on lstmcast's engine, and reports every score beside naive
baselines. It follows scikit-learn's contract: ``__init__`` stores its
arguments, ``fit`` learns and returns self, learned attributes end in "_".
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lstmcast import bundle, evaluation, forecasting, scores
from lstmcast.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    ReduceLROnPlateau,
    TimeLimit,
)
from lstmcast.changes import first_rows, row_changes, window_changes
from lstmcast.checks import check_bool, check_choice, check_float, check_int, invalid
from lstmcast.errors import InvalidArgumentError, NotFittedError
from lstmcast.evaluation import LagCopyWarning  # noqa: F401  (part of this module's API)
from lstmcast.explain import Explanation, explain_series
from lstmcast.forecasting import Table
from lstmcast.io import (
    MISSING_POLICIES,
    DataError,
    TableSpec,
    default_features,
    fingerprint,
    group_ids,
    missing_column,
    read_table,
    time_step,
)
from lstmcast.layers import GRU, LSTM, Dense, Dropout, Layer, layer_from_config
from lstmcast.models import Sequential, _load_state, _versions
from lstmcast.optimizers import get_optimizer
from lstmcast.runtime import check_precision
from lstmcast.scaling import KeyedScaler
from lstmcast.seeding import set_seed
from lstmcast.windows import WindowView, segments, target_rows, window_starts, window_view

FORECASTER_KIND = "forecaster"


def default_layers(units: Sequence[int] = (100, 50), dropout: float = 0.2,
                   cell: str = "lstm") -> list[Layer]:
    """The tutorial's hidden stack: LSTM 100 -> Dropout 0.2 -> LSTM 50 -> Dropout 0.2."""
    rnn = LSTM if cell == "lstm" else GRU
    layers: list[Layer] = []
    for i, u in enumerate(units):
        layers.append(rnn(int(u), return_sequences=i < len(units) - 1))
        if dropout:
            layers.append(Dropout(dropout))
    return layers


class Forecaster:
    """An LSTM forecaster for tables, with the tutorial's defaults.

    Args:
        layers: hidden layer specs (LSTM, GRU, Dense, Dropout); the output
            Dense layer is added to fit ``steps`` x targets. Default: the
            tutorial's stack, from ``units``, ``dropout`` and ``cell``.
        units: units per recurrent layer when ``layers`` is None (100, 50).
        dropout: dropout after each recurrent layer when ``layers`` is None (0.2).
        cell: "lstm" or "gru" when ``layers`` is None.
        window: rows per input window (30).
        horizon: rows from a window's last row to its first target (1 = next
            row; 0 = the window's own last row, e.g. remaining useful life).
        steps: consecutive target rows forecast at once (direct multi-step).
        loss, optimizer, learning_rate: training settings ("mse", "adam", 0.001).
            ``loss="mae"`` forecasts the median instead of the mean: for a
            capped target (remaining useful life clipped at 125) that is the cap
            itself for windows that look healthy (docs/accuracy.md, row b-mae).
            ``"huber"`` has Keras's delta of 1.0 on the scaled target, where
            errors are mostly below 1 with min-max scaling: there it acts as half the MSE.
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
        validation: fraction held out for early stopping and ``lr_patience`` (0.2).
        validation_by: "time" (the last part of every series) or "series"
            (whole series held out).
        scaler: "minmax", "standard" or None.
        scale_by: "global", "series", or the name of a key column (e.g. an
            operating condition) whose values each get their own scaler.
            Scalers are fitted on training rows only.
        season: season length for the seasonal naive baseline and MASE (None: none).
        autoregressive: feed the target's own past as an input; None means
            yes when there are no other features.
        difference: model changes instead of levels (False). The target's past
            enters as its row-to-row change and the network forecasts the
            change from the window's last value, which is added back. Use it for
            series that trend beyond their training range (airline passengers:
            MASE 2.0 -> 0.8, docs/accuracy.md); it needs the target's past as
            an input (autoregressive) and at least window + 1 rows of history.
        max_seconds: wall-clock budget for training (None: no limit).
        clipnorm: if set, gradients are rescaled to this global L2 norm at most.
        missing: NaN or inf in the used columns: "error" (default), "drop" the
            rows, "ffill" within each series, or "interpolate" within each series.
        checkpoint: a file where the whole training state is saved after every
            epoch (atomically); if it exists when ``fit`` starts, training resumes
            from it, and ends as if it had never stopped. Deleted at the end.
        callbacks: extra callbacks for the training loop (lstmcast.callbacks).
        ensemble: train this many networks, with seeds ``seed``, ``seed + 1``, ...
            on the same windows and scalers, and forecast their mean. Single runs
            of an LSTM vary from seed to seed; the mean varies less. (Explanations
            show the first network.)
        seed: random seed (0); same data, config and seed give the same model.
        device: "cpu", "cuda" or None (CUDA when available).
        precision: "float32" (default) or "bfloat16" (mixed precision: faster on
            hardware with bfloat16, slightly less accurate; docs/benchmarks.md).
        verbose: 0 silent, 1 progress bars, 2 a line per epoch.
    """

    def __init__(
        self,
        layers: Sequence[Layer] | None = None,
        units: Sequence[int] = (100, 50),
        dropout: float = 0.2,
        cell: str = "lstm",
        window: int = 30,
        horizon: int = 1,
        steps: int = 1,
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        epochs: int = 100,
        batch_size: int | None = None,
        early_stopping: bool = True,
        patience: int = 10,
        lr_patience: int | None = None,
        validation: float = 0.2,
        validation_by: str = "time",
        scaler: str | None = "minmax",
        scale_by: str = "global",
        season: int | None = None,
        autoregressive: bool | None = None,
        difference: bool = False,
        max_seconds: float | None = None,
        clipnorm: float | None = None,
        missing: str = "error",
        checkpoint: str | None = None,
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
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_patience = lr_patience
        self.validation = validation
        self.validation_by = validation_by
        self.scaler = scaler
        self.scale_by = scale_by
        self.season = season
        self.autoregressive = autoregressive
        self.difference = difference
        self.max_seconds = max_seconds
        self.clipnorm = clipnorm
        self.missing = missing
        self.checkpoint = checkpoint
        self.callbacks = callbacks
        self.ensemble = ensemble
        self.seed = seed
        self.device = device
        self.precision = precision
        self.verbose = verbose

    PARAMS = ("units", "dropout", "cell", "window", "horizon", "steps", "loss", "optimizer",
              "learning_rate", "epochs", "batch_size", "early_stopping", "patience",
              "lr_patience",
              "validation", "validation_by", "scaler", "scale_by", "season", "autoregressive",
              "difference", "max_seconds", "clipnorm", "missing", "checkpoint", "ensemble", "seed",
              "device", "precision", "verbose")

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments (scikit-learn's get_params)."""
        params = {name: getattr(self, name) for name in self.PARAMS}
        params["layers"] = self.layers
        params["callbacks"] = self.callbacks
        return params

    # -- checks ------------------------------------------------------------------
    def _check_params(self) -> None:
        check_int("window", self.window)
        check_int("horizon", self.horizon, minimum=0)
        check_int("steps", self.steps)
        check_int("epochs", self.epochs, minimum=0)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size)
        check_int("patience", self.patience, minimum=0)
        if self.lr_patience is not None:
            check_int("lr_patience", self.lr_patience, minimum=0)
        check_int("seed", self.seed, minimum=0)
        check_precision(self.precision)
        check_float("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False)
        check_float("learning_rate", self.learning_rate, low=0.0, low_inclusive=False)
        check_float("validation", self.validation, low=0.0, high=1.0, high_inclusive=False)
        check_choice("validation_by", self.validation_by, ["time", "series"])
        check_choice("cell", self.cell, ["lstm", "gru"])
        if self.scaler is not None:
            check_choice("scaler", self.scaler, ["minmax", "standard"])
        if self.season is not None:
            check_int("season", self.season)
        if self.max_seconds is not None:
            check_float("max_seconds", self.max_seconds, low=0.0, low_inclusive=False)
        if self.clipnorm is not None:
            check_float("clipnorm", self.clipnorm, low=0.0, low_inclusive=False)
        check_choice("missing", self.missing, MISSING_POLICIES)
        check_bool("difference", self.difference)
        check_int("ensemble", self.ensemble)
        if self.layers is None:
            if isinstance(self.units, (int, np.integer)) or not len(self.units):
                raise invalid("units", "a list of positive integers such as (100, 50)",
                              self.units)
            for u in self.units:
                check_int("units", u)
        if not isinstance(self.optimizer, str):
            raise invalid("optimizer", "a name: 'adam', 'adamw', 'sgd' or 'rmsprop'",
                          self.optimizer)

    def _require_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("This Forecaster is not fitted yet: call `fit` first, "
                                 "or load a saved one with `Forecaster.load`.")

    # -- tables to arrays ----------------------------------------------------------
    def _scale_keys(self, frame: pd.DataFrame, ids: np.ndarray, for_target: bool) -> Any:
        if self.scaler is None or self.scale_by == "global":
            return None
        if self.scale_by == "series":
            return ids
        return None if for_target else frame[self.scale_by].to_numpy()

    def _table(self, data: Any, need_target: bool) -> Table:
        frame = self.spec_.prepare(read_table(data), need_target=need_target,
                                   missing=self.missing)
        ids = group_ids(frame, self.spec_.group)
        return self._arrays(frame, ids, segments(ids, len(frame)), need_target)

    def _arrays(self, frame: pd.DataFrame, ids: np.ndarray, segs: list[tuple[int, int]],
                need_target: bool) -> Table:
        """Scaled arrays of a table already checked and sorted by ``spec_.prepare``."""
        x_raw = self._input_values(frame, segs)
        x = self.x_scaler_.transform(x_raw, self._scale_keys(frame, ids, False))
        y = y_raw = None
        if need_target or self.spec_.target[0] in frame.columns:
            y_raw = frame[self.spec_.target].to_numpy(dtype=np.float64)
            y = self.y_scaler_.transform(y_raw, self._scale_keys(frame, ids, True))
            y = y.astype(np.float32)
        return Table(frame, x.astype(np.float32), y, y_raw, ids, segs)

    def _input_values(self, frame: pd.DataFrame, segs: list[tuple[int, int]]) -> np.ndarray:
        """The inputs in original units; with ``difference``, the target's as changes."""
        x_raw = frame[self.inputs_].to_numpy(dtype=np.float64)
        if self.difference:
            x_raw = x_raw.copy()  # pandas may hand out a read-only view
            cols = [self.inputs_.index(t) for t in self.spec_.target]
            x_raw[:, cols] = row_changes(x_raw[:, cols], segs)
        return x_raw

    # -- fitting -------------------------------------------------------------------
    def fit(self, data: Any, target: str | Sequence[str], features: Sequence[str] | None = None,
            group: str | None = None, time: str | None = None) -> Forecaster:
        """Learn from a long-format table (DataFrame, or a CSV/Parquet path).

        Args:
            data: one row per time step.
            target: the column (or columns) to forecast.
            features: input columns; default all other numeric columns. The
                time column may be one of them (an engine's age in cycles, say).
            group: series-id column (many series, one model), or None.
            time: time column; rows are sorted by it within each series, and
                duplicate times are an error. None: row order is time order.

        Returns:
            self.
        """
        frame, table, train_rows, train_starts, val_starts = self._prepare(
            data, target, features, group, time)
        x_train, y_train = self._windows(table, train_starts)
        validation = self._windows(table, val_starts) if len(val_starts) else None

        self.batch_size_ = self.batch_size or min(200, max(8, len(train_starts) // 10))
        tag = self._run_tag(frame)
        self.members_, self.histories_ = [], []
        for member in range(self.ensemble):
            set_seed(self.seed + member)
            model = Sequential(self._layers(), device=self.device, precision=self.precision)
            model.compile(loss=self.loss, optimizer=self._optimizer())
            model.clipnorm_ = self.clipnorm
            history = model.fit(x_train, y_train, batch_size=self.batch_size_,
                                epochs=self.epochs, validation_data=validation,
                                callbacks=self._callbacks(validation is not None, tag, member),
                                verbose=self.verbose)
            self.members_.append(model)
            self.histories_.append({k: [float(v) for v in vals]
                                    for k, vals in history.history.items()})
        self.model_ = self.members_[0]
        self.history_ = self.histories_[0]
        self.n_windows_ = {"train": len(train_starts), "validation": len(val_starts)}
        targets = self.spec_.target
        y_train_rows = frame[targets].to_numpy(dtype=np.float64)[train_rows]
        self.train_mean_ = y_train_rows.mean(axis=0).tolist()
        season = self.season or 1
        self.naive_scale_ = [
            scores.naive_scale([frame[t].to_numpy(dtype=np.float64)[a:b][train_rows[a:b]]
                                for a, b in table.segments], season) for t in targets]
        self.dtypes_ = {c: str(frame[c].dtype) for c in self.spec_.columns()}
        self.fingerprint_ = fingerprint(frame)
        self.time_step_ = time_step(frame, self.spec_.time, self.spec_.group)
        return self

    def _callbacks(self, has_validation: bool, tag: str, member: int) -> list[Callback]:
        callbacks: list[Callback] = []
        if has_validation and self.early_stopping:
            callbacks.append(EarlyStopping(patience=self.patience, restore_best_weights=True))
        if has_validation and self.lr_patience is not None:
            callbacks.append(ReduceLROnPlateau(factor=0.5, patience=self.lr_patience,
                                               min_lr=1e-5))
        if self.max_seconds is not None:
            callbacks.append(TimeLimit(self.max_seconds, verbose=self.verbose))
        callbacks += list(self.callbacks or [])
        if self.checkpoint is not None:
            path = self.checkpoint if member == 0 else f"{self.checkpoint}.member{member}"
            callbacks.append(BackupAndRestore(path, tag=f"{tag}:{member}"))
        return callbacks

    def _predict_array(self, x: Any) -> np.ndarray:
        """The members' mean output for windows ``x`` (scaled units)."""
        outputs = [member.predict(x) for member in self.members_]
        return outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)

    def _run_tag(self, frame: pd.DataFrame) -> str:
        """Names the data and the settings that change what is trained (for checkpoints)."""
        settings = {k: v for k, v in self.get_params().items() if k not in (
            "epochs", "verbose", "device", "max_seconds", "checkpoint", "callbacks", "layers")}
        settings["layers"] = [[type(x).__name__, x.get_config()] for x in self.layers or []]
        settings["inputs"], settings["target"] = self.inputs_, self.spec_.target
        text = json.dumps(settings, sort_keys=True, default=str)
        return hashlib.sha256((text + fingerprint(frame)["sha256"]).encode()).hexdigest()

    def _prepare(self, data: Any, target: str | Sequence[str], features: Sequence[str] | None,
                 group: str | None, time: str | None):
        """Check the table, choose columns, split, fit the scalers, and find the windows."""
        self._check_params()
        frame = read_table(data)
        targets = [target] if isinstance(target, str) else list(target)
        if not targets:
            raise invalid("target", "a column name", target)
        for name in [*targets, group, time]:
            if name is not None and name not in frame.columns:
                role = ("Target" if name in targets else "Group" if name == group else "Time")
                raise missing_column(name, frame.columns, role)
        key_column = None
        if self.scale_by not in ("global", "series"):
            key_column = self.scale_by
            if key_column not in frame.columns:
                raise missing_column(key_column, frame.columns, "Scaling key (`scale_by`)")
        if features is None:
            features = default_features(frame, {*targets, group, time, key_column})
        features = list(features)
        autoregressive = self.autoregressive
        if autoregressive is None:
            autoregressive = not features
        if autoregressive and self.horizon == 0:
            raise InvalidArgumentError(
                "`horizon=0` labels a window with its own last row, so feeding the target's "
                "past as an input (`autoregressive`) would show the model the answer. Use "
                "horizon >= 1, or give `features` and autoregressive=False.")
        if self.difference and not autoregressive:
            raise InvalidArgumentError(
                "`difference=True` forecasts the change from the target's last value, so the "
                "target's past must be an input: set autoregressive=True.")
        inputs = list(dict.fromkeys([*features, *(targets if autoregressive else [])]))
        if not inputs:
            raise InvalidArgumentError("No input columns: give `features`, or set "
                                       "autoregressive=True to forecast from the target's past.")
        self.spec_ = TableSpec(target=targets, features=inputs, group=group, time=time,
                               extra=[key_column] if key_column else [])
        self.inputs_ = inputs
        self.autoregressive_ = bool(autoregressive)
        set_seed(self.seed)

        frame = self.spec_.prepare(frame, missing=self.missing)
        ids = group_ids(frame, group)
        segs = segments(ids, len(frame))
        short = [ids[a] for a, b in segs if b - a < self._span()]
        if len(short) == len(segs):
            raise DataError(
                f"Every series is shorter than window + horizon + steps - 1 = {self._span()} "
                f"rows; the longest has {max(b - a for a, b in segs)}.")
        if short:
            warnings.warn(f"{len(short)} series are too short for one window and are left out "
                          f"of training: {', '.join(map(str, short[:10]))}.", stacklevel=2)
        train_rows, val_series = self._split_rows(segs, ids)
        kind = self.scaler or "minmax"
        x_rows = y_rows = train_rows
        y_fit = frame[targets].to_numpy(dtype=np.float64)
        if self.difference:  # scale the changes; a series' first row has none
            y_fit = row_changes(y_fit, segs)
            y_rows = x_rows = train_rows & ~first_rows(segs, len(frame))
        self.x_scaler_ = KeyedScaler(kind).fit(
            self._input_values(frame, segs)[x_rows],
            _take(self._scale_keys(frame, ids, False), x_rows))
        self.y_scaler_ = KeyedScaler(kind).fit(
            y_fit[y_rows], _take(self._scale_keys(frame, ids, True), y_rows))
        if self.scaler is None:  # identity scalers keep the code path single
            for s in (self.x_scaler_, self.y_scaler_):
                s.global_.offset_ = np.zeros_like(s.global_.offset_)
                s.global_.scale_ = np.ones_like(s.global_.scale_)
                s.by_key_ = {}
        table = self._arrays(frame, ids, segs, need_target=True)

        train_starts, val_starts = self._window_split(table, train_rows, val_series)
        if len(train_starts) == 0:
            raise DataError("No training window is left after holding out the validation "
                            "part: lower `validation` or `window`.")
        return frame, table, train_rows, train_starts, val_starts

    def inspect(self, data: Any, target: str | Sequence[str],
                features: Sequence[str] | None = None, group: str | None = None,
                time: str | None = None) -> dict[str, Any]:
        """What ``fit`` would train on, without training: shapes, the first window, memory.

        Returns:
            A dict with the inputs and target columns, the windows per split as
            (samples, time_steps, features), the rows behind the first training
            window and its target, and the bytes the windows take (zero-copy)
            against a list of copied windows.
        """
        frame, table, _, train_starts, val_starts = self._prepare(
            data, target, features, group, time)
        n_in = len(self.inputs_)
        first = int(train_starts[0])
        rows = np.arange(first, first + self.window)
        targets = target_rows(train_starts[:1], self.window, self.horizon, self.steps)[0]
        sid = table.ids[first]

        def when(r: np.ndarray) -> list[Any]:
            return (frame[time].iloc[r].astype(str).tolist() if time else r.tolist())

        return {
            "inputs": list(self.inputs_), "target": list(self.spec_.target),
            "series": len(table.segments), "rows": len(frame),
            "shapes": {"train": (len(train_starts), self.window, n_in),
                       "validation": (len(val_starts), self.window, n_in)},
            "first_window": {"series": sid.item() if hasattr(sid, "item") else sid,
                             "times": [when(rows)[0], when(rows)[-1]],
                             "target_times": when(targets),
                             "target_values": frame[self.spec_.target].iloc[targets]
                             .to_numpy().ravel().tolist()},
            "memory_bytes": {"windows_zero_copy": int(table.x.nbytes),
                             "windows_as_copies": int((len(train_starts) + len(val_starts))
                                                      * self.window * n_in * 4)},
        }

    def _span(self) -> int:
        return self.window + self.horizon + self.steps - 1

    def _split_rows(self, segs: list[tuple[int, int]], ids: np.ndarray):
        """Training rows (bool mask) and the held-out series, by ``validation_by``."""
        n = segs[-1][1] if segs else 0
        train_rows = np.ones(n, dtype=bool)
        val_series: set[Any] = set()
        watched = self.early_stopping or self.lr_patience is not None
        if not (watched and self.validation > 0):
            return train_rows, val_series
        if self.validation_by == "series":
            if len(segs) < 2:
                raise InvalidArgumentError(
                    "`validation_by='series'` needs at least two series; use 'time'.")
            rng = np.random.default_rng(self.seed)
            count = max(1, int(round(len(segs) * self.validation)))
            chosen = rng.choice(len(segs), size=count, replace=False)
            for k in chosen:
                a, b = segs[k]
                train_rows[a:b] = False
                val_series.add(ids[a])
            return train_rows, val_series
        for a, b in segs:
            cut = a + int(np.floor((b - a) * (1 - self.validation)))
            train_rows[cut:b] = False
        return train_rows, val_series

    def _window_split(self, table: Table, train_rows: np.ndarray, val_series: set):
        starts = window_starts(len(table.frame), self.window, horizon=self.horizon,
                               steps=self.steps, groups=table.ids)
        rows = target_rows(starts, self.window, self.horizon, self.steps)
        if val_series:
            in_val = np.isin(table.ids[starts], list(val_series))
            return starts[~in_val], starts[in_val]
        all_train = train_rows[rows].all(axis=1)
        all_val = (~train_rows[rows]).all(axis=1)
        return starts[all_train], starts[all_val]

    def _windows(self, table: Table, starts: np.ndarray):
        base = window_view(table.x, self.window)
        rows = target_rows(starts, self.window, self.horizon, self.steps)
        if self.difference:  # changes from each window's last value, scaled
            change = window_changes(table.y_raw, starts + self.window - 1, rows)
            keys = _take(self._scale_keys(table.frame, table.ids, True), rows.ravel())
            y = self.y_scaler_.transform(change.reshape(-1, change.shape[-1]), keys)
            y = y.astype(np.float32)
        else:
            y = table.y[rows]  # (W, S, T)
        return WindowView(base, starts), y.reshape(len(starts), -1)

    def _layers(self) -> list[Layer]:
        if self.layers is None:
            hidden = default_layers(self.units, self.dropout, self.cell)
        else:
            hidden = [layer_from_config(type(layer).__name__, layer.get_config())
                      for layer in self.layers]
        if not hidden:
            raise invalid("layers", "at least one layer", self.layers)
        config = hidden[0].get_config()
        config.pop("batch_input_shape", None)
        config["input_shape"] = [self.window, len(self.inputs_)]
        hidden[0] = layer_from_config(type(hidden[0]).__name__, config)
        return [*hidden, Dense(self.steps * len(self.spec_.target))]

    def _optimizer(self):
        spec = get_optimizer(self.optimizer)
        spec.learning_rate = float(self.learning_rate)
        return spec

    # -- forecasting ---------------------------------------------------------------
    def predict(self, data: Any, n_ahead: int | None = None) -> pd.DataFrame:
        """Forecast from the end of each series.

        Args:
            data: the recent history of each series (at least ``window`` rows;
                shorter series are padded at the front with their first row).
            n_ahead: how many rows past the last to forecast; default
                ``steps`` (direct). More than ``steps`` is done recursively,
                feeding forecasts back as inputs, which is only possible when the
                inputs are the target's own past (future feature values would
                be needed otherwise).

        Returns:
            One row per series and step: the series id, ``step`` (1 = the
            first forecast row), the time (when the time column is regular) and
            one column per target with the forecast.
        """
        self._require_fitted()
        n_ahead = self.steps if n_ahead is None else check_int("n_ahead", n_ahead)
        table = self._table(data, need_target=self.autoregressive_)
        recursive = n_ahead > self.steps
        if recursive:
            others = [c for c in self.inputs_ if c not in self.spec_.target]
            if others or self.horizon != 1:
                raise InvalidArgumentError(
                    f"`n_ahead={n_ahead}` is more than the {self.steps} steps this model "
                    "forecasts at once, and a recursive forecast would need future values of "
                    f"the features {others}." if others else
                    f"`n_ahead={n_ahead}` > steps needs horizon=1 to recurse.")
        view, starts, padded = forecasting.last_windows(self, table)
        if padded:
            warnings.warn(f"{len(padded)} series are shorter than the window ({self.window}) "
                          f"and were padded with their first row: "
                          f"{', '.join(map(str, padded[:10]))}.", stacklevel=2)
        forecast = forecasting.forecast_windows(self, view, starts)  # (series, steps, targets)
        if recursive:
            forecast = forecasting.recurse(self, view, starts, forecast, n_ahead)
        return forecasting.forecast_frame(self, view.frame, forecast)

    # -- explanation ---------------------------------------------------------------
    def explain(self, data: Any, series: Any = None, at: Any = None, window: int | None = None,
                baseline: str | np.ndarray = "mean", output_index: int = 0) -> Explanation:
        """Explain one forecast: the gates of every recurrent layer and what drove the output.

        Args:
            data: a table holding the series' history.
            series: the series id (default: the first series).
            at: the time of the window's last row (default: the series' last row).
            window: instead of ``at``, the K-th full window of the series (0 = the
                first; -1 = the last).
            baseline: integrated gradients' reference window: "mean" (each
                feature's mean over this window, every step), "zeros" (the
                scaled zero), or an array (time_steps, features).
            output_index: which output (0 = the first step of the first target).

        Returns:
            An ``lstmcast.explain.Explanation``; ``prediction`` is in the
            target's units. ``lstmcast.plots.explanation_figures`` draws it.
        """
        self._require_fitted()
        return explain_series(self, data, series, at, window, baseline, output_index)

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
                series (the earlier rows serve as history).
            return_predictions: also return the forecasts, one row per target row.

        Returns:
            One row per (target, model): MAE, RMSE, MAPE, sMAPE, MASE and
            ``skill`` = 1 - RMSE / RMSE of the best baseline (> 0 beats it);
            with ``last_only``, also the PHM08 score (lower is better; late
            predictions cost more). ``result.attrs["notes"]`` lists what the
            numbers leave out. With
            ``return_predictions``, a tuple (scores, predictions).
        """
        self._require_fitted()
        table = self._table(data, need_target=True)
        first = None
        if holdout is not None:
            holdout = check_int("holdout", holdout)
            first = np.zeros(len(table.frame), dtype=np.int64)
            for a, b in table.segments:
                first[a:b] = b - holdout
        result, predictions = evaluation.score(self, table, first, last_only)
        return (result, predictions) if return_predictions else result

    def backtest(self, data: Any, target: str | Sequence[str],
                 features: Sequence[str] | None = None, group: str | None = None,
                 time: str | None = None, folds: int = 3,
                 test_size: int | None = None, progress: bool = False) -> pd.DataFrame:
        """Rolling-origin evaluation: refit (scalers included) on each fold's past, score
        on the next block.

        Args:
            data: the whole table; target, features, group, time as in ``fit``.
            folds: number of origins.
            test_size: rows per series in each fold's test block (default: ``steps``
                or a tenth of the shortest series, whichever is larger).

        Returns:
            ``evaluate``'s rows for every fold, with columns ``fold`` and ``train_rows``.
        """
        return evaluation.backtest(self, data, target, features, group, time, folds, test_size,
                                   progress)

    # -- saving --------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        params = {k: v for k, v in self.get_params().items() if k not in ("layers", "callbacks")}
        params["units"] = list(params["units"])
        return {
            "params": params,
            "model": self.model_.get_config(),
            "input_shape": [self.window, len(self.inputs_)],
            "spec": {"target": self.spec_.target, "features": self.spec_.features,
                     "group": self.spec_.group, "time": self.spec_.time,
                     "extra": self.spec_.extra},
            "inputs": self.inputs_,
            "autoregressive": self.autoregressive_,
            "x_scaler": self.x_scaler_.get_config(),
            "y_scaler": self.y_scaler_.get_config(),
            "train_mean": self.train_mean_,
            "naive_scale": self.naive_scale_,
            "history": self.history_,
            "histories": self.histories_,
            "n_windows": self.n_windows_,
            "batch_size": self.batch_size_,
            "dtypes": self.dtypes_,
            "fingerprint": self.fingerprint_,
            "time_step": self.time_step_,
            "versions": _versions(),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Save everything needed to forecast to one file (safetensors + JSON, no pickle).

        The write goes to a temporary file renamed into place: a failed save
        leaves any previous artifact at ``path`` intact.
        """
        self._require_fitted()
        tensors = {}
        for i, member in enumerate(self.members_):
            prefix = "" if i == 0 else f"member{i}."
            tensors.update({prefix + k: v for k, v in member.network_.state_dict().items()})
        bundle.save(path, tensors, self._config(), FORECASTER_KIND)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> Forecaster:
        """Load a Forecaster saved by ``save``; it predicts exactly what the saved one did."""
        tensors, config = bundle.load(path, FORECASTER_KIND)
        params = dict(config["params"])
        params["device"] = device
        forecaster = cls(**params)
        forecaster.members_ = []
        for i in range(params.get("ensemble", 1)):
            prefix = "" if i == 0 else f"member{i}."
            own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)
                   and (prefix or not k.startswith("member"))}
            model = Sequential.from_config(config["model"], device=device)
            model.build(config["input_shape"])
            _load_state(model.network_, own, path)
            forecaster.members_.append(model)
        forecaster.model_ = forecaster.members_[0]
        forecaster.histories_ = config.get("histories", [config["history"]])
        spec = config["spec"]
        forecaster.spec_ = TableSpec(**spec)
        forecaster.inputs_ = config["inputs"]
        forecaster.autoregressive_ = config["autoregressive"]
        forecaster.x_scaler_ = KeyedScaler.from_config(config["x_scaler"])
        forecaster.y_scaler_ = KeyedScaler.from_config(config["y_scaler"])
        for name in ("train_mean", "naive_scale", "history", "n_windows", "dtypes",
                     "fingerprint", "time_step", "batch_size"):
            setattr(forecaster, name + "_", config[name])
        forecaster.saved_versions_ = config["versions"]
        return forecaster


def _take(keys: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if keys is None else keys[rows]

