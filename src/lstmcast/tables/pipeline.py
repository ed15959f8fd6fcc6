"""One fitted table pipeline: a table in, network arrays out, and forecasts back in units.

``TablePipeline`` holds everything between a user's table and the network:
the columns' roles, the parsed time column with its frequency, the missing
value and missing time step policy, the calendar inputs, the scalers (fitted
on training rows only), differencing, and the window / horizon / steps. It
turns a table into a ``Table`` of scaled arrays, windows into network inputs
and targets, and network outputs back into forecasts in the target's units.
It saves itself as JSON (``get_config`` / ``from_config``). Forecasting,
evaluation and explanation all go through it.

Shapes: R rows, F inputs, T targets, W windows, S steps.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError, ShortSeriesError
from lstmcast.tables import (
    calendar_inputs,
    frequency,
    future_rows,
    joined_columns,
    time_steps,
    timeline,
)
from lstmcast.tables.changes import first_rows, row_changes, window_changes
from lstmcast.tables.io import (
    DataError,
    check_finite,
    check_ids,
    check_numeric,
    check_positive,
    check_static,
    fill_missing,
    missing_column,
    read_table,
    sort_series,
)
from lstmcast.tables.roles import Roles
from lstmcast.tables.scaling import BLOCK_ROWS, KeyedScaler
from lstmcast.tables.windows import WindowView, segments, target_rows, window_view


@dataclass
class Table:
    """A checked, sorted table as the arrays the network reads.

    Attributes:
        frame: the rows, sorted by series then time, with derived calendar columns.
        ids: (R,) series id per row (0 for a single series).
        segments: the (start, stop) rows of each series.
        x: (R, F) the inputs, scaled, float32.
        y: (R, T) the targets, scaled, float32 (None without targets).
        y_raw: (R, T) the targets in their own units (None without targets).
        notes: what was done to the rows (missing values filled, time steps added).
    """

    frame: pd.DataFrame
    ids: np.ndarray
    segments: list[tuple[int, int]]
    x: np.ndarray
    y: np.ndarray | None
    y_raw: np.ndarray | None
    notes: list[str] = field(default_factory=list)


class TablePipeline:
    """The table-to-network pipeline of a Forecaster (see the module docstring).

    Args:
        roles: the columns' parts (``lstmcast.tables.roles.resolve``).
        window, horizon, steps: rows per input window, rows from its last row to
            the first target, target rows forecast at once.
        scaler: "minmax", "standard" or None.
        scale_by: "global", "series", or the key column's name.
        difference: the target's past as changes, forecasts as changes from the
            window's last value.
        missing: "error", "drop", "ffill", "interpolate" or "zero" (the targets 0, the
            inputs carried forward): NaN/inf values and
            missing time steps.
        time_format: how text times read (``lstmcast.tables.timeline.parse_time``).
        calendar: derive calendar inputs from a datetime time column.
        log: the targets taken as their natural log before scaling, wherever they are
            read (the targets and their past as inputs), forecasts exp'd back: values
            above 0 only (a Forecaster's ``log=None``: ``lstmcast.forecast.log_choice``).
    """

    def __init__(self, roles: Roles, window: int, horizon: int, steps: int,
                 scaler: str | None = "minmax", scale_by: str = "global",
                 difference: bool = False, missing: str = "error",
                 time_format: str | None = None, calendar: bool = False,
                 log: list[str] | None = None) -> None:
        self.roles = roles
        self.window = window
        self.horizon = horizon
        self.steps = steps
        self.scaler = scaler
        self.scale_by = scale_by
        self.difference = difference
        self.missing = missing
        self.time_format = time_format
        self.calendar = calendar
        self.log = list(log or [])
        self.read_format: str | None = None  # how later tables' times read, when told
        self.time_: dict[str, Any] = {"kind": None, "step": None, "format": None,
                                      "tz": None, "irregular": []}
        # the clock the last prepared table was written on
        self._written: calendar_inputs.WrittenClock = None

    def reading(self, missing: str, time_format: str | None) -> TablePipeline:
        """This pipeline reading later tables with other policies (a fitted model's
        ``missing`` and ``time_format`` changed after fit: predict's options).
        ``time_format`` None keeps the format the training times were read with."""
        if missing == self.missing and time_format in (None, self.time_format):
            return self
        other = copy.copy(self)
        other.missing = missing
        other.read_format = time_format
        return other

    # -- shapes --------------------------------------------------------------------
    @property
    def span(self) -> int:
        """Rows from a window's first row to its last target row."""
        return self.window + self.horizon + self.steps - 1

    @property
    def input_length(self) -> int:
        """Rows per network input: the window, plus the forecast rows with future inputs."""
        return self.span if self.roles.future_inputs else self.window

    @property
    def inputs(self) -> list[str]:
        return self.roles.inputs

    @property
    def targets(self) -> list[str]:
        return self.roles.target

    def target_columns(self) -> list[int]:
        """Positions of the targets among the inputs (autoregressive models)."""
        return [self.inputs.index(t) for t in self.targets]

    def future_columns(self) -> list[int]:
        """Positions of the future-known inputs among the inputs."""
        return [self.inputs.index(c) for c in self.roles.future_inputs]

    @property
    def step(self) -> dict[str, Any] | None:
        return self.time_["step"]

    # -- reading and checking ----------------------------------------------------------
    def prepare(self, data: Any, need_target: bool = True, fitting: bool = False,
                owned: bool = False) -> pd.DataFrame:
        """Check a table and return its rows sorted by series then time, ready for arrays.

        Parses the time column (``fitting``: and learns its frequency), applies
        the missing-value and missing-time-step policy, checks static columns,
        and adds the calendar columns. ``result.attrs["notes"]`` says what was done.
        ``owned``: ``data`` is a DataFrame nobody else uses (a shard just read), changed
        in place rather than copied.
        """
        roles = self.roles
        frame = joined_columns.join(read_table(data), roles.group, roles.time)
        needed = [c for c in roles.columns() if need_target or c not in roles.target
                  or c in roles.inputs]
        for name in needed:
            if name not in frame.columns:
                role = ("Group" if name == roles.group else "Time" if name == roles.time else
                        "Target" if name in roles.target else "Future" if name in roles.future
                        else "Static" if name in roles.static else "Scaling key (`scale_by`)"
                        if name == roles.key else "Feature")
                raise missing_column(name, frame.columns, role)
        whole = frame  # for the columns that tell series apart, where times repeat
        if not (owned and list(frame.columns) == needed):
            frame = frame[needed].copy()
        notes: list[str] = []
        check_ids(frame, roles.group)
        if roles.time is not None:
            parsed = self.parse_time_column(frame[roles.time], fitting)
            self._written = calendar_inputs.written_clock(parsed, frame[roles.group]
                                                   if roles.group else None)
            frame[roles.time] = parsed
            if roles.time in roles.inputs and frame[roles.time].dtype.kind == "M":
                raise DataError(f"Time column {roles.time!r} holds dates and cannot be a "
                                "numeric input; use calendar inputs (calendar=True, "
                                "--calendar) instead.")
        numeric = list(dict.fromkeys([*roles.features, *roles.future, *roles.static,
                                      *(roles.target if need_target or roles.autoregressive
                                        else [])]))
        numeric = [c for c in numeric if c in frame.columns]
        for name in numeric:
            frame[name] = check_numeric(frame, name)
            if self.missing == "error":
                check_finite(frame, name, roles.features, roles.target)
        frame = sort_series(frame, roles.group, roles.time, whole)
        if fitting and len(frame) < 2:
            raise ShortSeriesError(f"The table has {len(frame)} row; training needs a history "
                                   "of several rows per series.")
        if fitting and roles.time is not None:
            time_steps.learn_step(self, frame)
        elif roles.time is not None and self.step is not None:
            time_steps.check_step(self, frame)
        if roles.time is not None and self.step is not None:
            frame = time_steps.time_steps(self, frame, notes)
        frame = fill_missing(frame, numeric, roles.group, self.missing, roles.target)
        filled = frame.attrs.get("missing", {})
        if filled.get("values"):
            notes.append(f"{filled['values']} missing values: {self.missing}"
                         + (f", {filled['rows_dropped']} rows dropped" if filled.get(
                             "rows_dropped") else ""))
        check_static(frame, roles.static, roles.group)
        for name in self.log:
            if name in frame.columns:
                check_positive(frame, name, fitting)
        if roles.calendar:
            cal = self.calendar_frame(frame[roles.time], roles.calendar, frame)
            for name in cal.columns:
                frame[name] = cal[name].to_numpy()
        frame.attrs["notes"] = notes
        return frame

    def parse_time_column(self, col: pd.Series, fitting: bool,
                          time_format: str | None = None) -> pd.Series:
        """The time column ``col`` parsed: learning its kind and how it is written
        (``fitting``), or as the training table's was (else ``time_format``)."""
        name = self.roles.time
        fmt = (self.time_format if fitting or self.time_["format"] is None
               else time_format or self.read_format or self.time_["format"])
        parsed, used = timeline.parse_time(col, name, fmt)
        kind = "datetime" if parsed.dtype.kind == "M" else "number"
        tz = str(parsed.dt.tz) if kind == "datetime" and parsed.dt.tz is not None else None
        if fitting:
            self.time_.update(kind=kind, format=used, tz=tz,
                              calendar_clock=calendar_inputs.clock_name(parsed))
            self.time_.update(timeline.writing(col, parsed, used))  # "2010 Q1", "2019-12"
            return parsed
        if kind != self.time_["kind"]:
            raise DataError(f"Time column {name!r} holds {kind}s here, but the model was trained "
                            f"on {self.time_['kind']}s.")
        if kind == "datetime" and (tz is None) != (self.time_["tz"] is None):
            raise DataError(f"Time column {name!r} has {'no ' if tz is None else ''}time zone "
                            f"here, but the model was trained on times "
                            f"{'with zone ' + self.time_['tz'] if self.time_['tz'] else 'without'}"
                            ".")
        if tz is not None and tz != self.time_["tz"]:
            parsed = calendar_inputs.to_zone(parsed, self.time_["tz"])
        return parsed

    def add_calendar(self, frame: pd.DataFrame) -> None:
        """Decide the calendar inputs from the learned frequency; add their columns to
        ``frame`` (a table just prepared for fitting)."""
        time = self.roles.time
        if time is None or self.time_["kind"] != "datetime":
            raise InvalidArgumentError(
                "`calendar=True` derives inputs from dates: give a time column of dates "
                f"({'none given' if time is None else repr(time) + ' holds numbers'}).")
        parts = frequency.calendar_parts(self.step)
        if not parts:
            raise InvalidArgumentError(
                f"`calendar=True` found no calendar cycle for time column {time!r} "
                f"({frequency.describe(self.step)}): calendar inputs need a regular "
                "frequency below a year.")
        clash = [c for c in calendar_inputs.calendar_names(parts) if c in frame.columns]
        if clash:
            raise InvalidArgumentError(f"The table already has a column {clash[0]!r}, which "
                                       "calendar=True would add; rename it.")
        self.roles.calendar = parts
        cal = self.calendar_frame(frame[time], parts, frame)
        for name in cal.columns:
            frame[name] = cal[name].to_numpy()

    def calendar_frame(self, times: Any, parts: list[str], rows: pd.DataFrame) -> pd.DataFrame:
        """The calendar columns at ``times`` (of ``rows``), on the clock the last prepared
        table was written on: its zone's, or each row's UTC offset as written, the rows
        after a series' end taking its last row's."""
        keys = rows[self.roles.group] if self.roles.group else None
        return calendar_inputs.calendar_columns(times, parts, self._written, keys)

    # -- scaling -----------------------------------------------------------------------
    def input_keys(self, frame: pd.DataFrame | dict[str, np.ndarray], ids: np.ndarray
                   ) -> np.ndarray | None:
        """Per-row keys of the inputs' scaler: None (global), the series ids, or the key
        column's values (``scale_by`` a column of ``frame``: a table, or its columns as
        arrays by name)."""
        if self.scaler is None or self.scale_by == "global":
            return None
        return ids if self.scale_by == "series" else np.asarray(frame[self.scale_by])

    def target_keys(self, ids: np.ndarray) -> np.ndarray | None:
        """Per-row keys of the targets' scaler: the series ids with ``scale_by="series"``,
        else None (one scaler: a key column scales the inputs only)."""
        return ids if self.scaler is not None and self.scale_by == "series" else None

    def raw_inputs(self, frame: pd.DataFrame, segs: list[tuple[int, int]]) -> np.ndarray:
        """(R, F) inputs in their own units; with ``difference`` the targets as changes."""
        out = np.empty((len(frame), len(self.inputs)))
        for rows, block in self.input_blocks(frame, segs):
            out[rows] = block
        return out

    def input_blocks(self, frame: pd.DataFrame, segs: list[tuple[int, int]]
                     ) -> Iterator[tuple[slice, np.ndarray]]:
        """``raw_inputs`` a block of rows at a time (rows, (rows, F) float64): a table's
        inputs are never all copied at once."""
        changes = None
        if self.difference:
            changes = row_changes(frame[self.targets].to_numpy(dtype=np.float64), segs)
            cols = self.target_columns()
        for a in range(0, len(frame), BLOCK_ROWS):
            rows = slice(a, a + BLOCK_ROWS)
            block = np.array(frame.iloc[rows][self.inputs].to_numpy(dtype=np.float64))
            if changes is not None:
                block[:, cols] = changes[rows]
            yield rows, block

    def fit(self, frame: pd.DataFrame, train_rows: np.ndarray) -> TablePipeline:
        """Fit the scalers on the training rows of a prepared frame (never other rows)."""
        if self.scaler is None:
            return self.finish_fit()
        x, x_keys, y, y_keys, rows = self._fit_rows(frame, train_rows)
        x_scaler, y_scaler = new_scalers(self)
        self.x_scaler_ = x_scaler.fit(x[rows], _take(x_keys, rows))
        self.y_scaler_ = y_scaler.fit(y[rows], _take(y_keys, rows))
        return self

    def partial_fit(self, frame: pd.DataFrame, train_rows: np.ndarray) -> TablePipeline:
        """``fit`` on one part of the rows (a shard) after another; ``finish_fit`` ends it.
        The scalers are those of one fit on all the parts' training rows."""
        if self.scaler is None:
            return self
        if not hasattr(self, "x_scaler_"):
            self.x_scaler_, self.y_scaler_ = new_scalers(self)
        ids = group_ids(frame, self.roles.group)
        segs = segments(ids, len(frame))
        _, x_keys, y, y_keys, fit_rows = self._fit_rows(frame, train_rows, inputs=False)
        for block, x in self.input_blocks(frame, segs):  # no copy of the whole table
            rows = fit_rows[block]
            self.x_scaler_.partial_fit(x[rows], _take(_take(x_keys, block), rows))
            self.y_scaler_.partial_fit(y[block][rows], _take(_take(y_keys, block), rows))
        return self

    def finish_fit(self) -> TablePipeline:
        if self.scaler is None:
            self.x_scaler_, self.y_scaler_ = new_scalers(self)
        return self

    def _fit_rows(self, frame: pd.DataFrame, train_rows: np.ndarray, inputs: bool = True
                  ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray,
                             np.ndarray | None, np.ndarray]:
        """Every row's inputs (None unless ``inputs``) and targets, each with its scaler
        keys, and the rows to fit the scalers on: the training rows (with ``difference``,
        not a series' first)."""
        ids = group_ids(frame, self.roles.group)
        segs = segments(ids, len(frame))
        rows = train_rows
        y_fit = frame[self.targets].to_numpy(dtype=np.float64)
        if self.difference:  # scale the changes; a series' first row has none
            y_fit = row_changes(y_fit, segs)
            rows = train_rows & ~first_rows(segs, len(frame))
        return (self.raw_inputs(frame, segs) if inputs else None,
                self.input_keys(frame, ids),
                y_fit, self.target_keys(ids), rows)

    # -- arrays --------------------------------------------------------------------------
    def arrays(self, frame: pd.DataFrame, need_target: bool = True) -> Table:
        """Scaled arrays of a frame from ``prepare``."""
        ids = group_ids(frame, self.roles.group)
        segs = segments(ids, len(frame))
        keys = self.input_keys(frame, ids)
        x = np.empty((len(frame), len(self.inputs)), dtype=np.float32)
        for rows, block in self.input_blocks(frame, segs):
            x[rows] = self.x_scaler_.transform(block, _take(keys, rows), dtype=np.float32)
        y = y_raw = None
        if need_target or self.targets[0] in frame.columns:
            y_raw = frame[self.targets].to_numpy(dtype=np.float64)
            y = self.y_scaler_.transform(y_raw, self.target_keys(ids),
                                         dtype=np.float32)
        return Table(frame=frame, ids=ids, segments=segs, x=x, y=y,
                     y_raw=y_raw, notes=list(frame.attrs.get("notes", [])))

    def table(self, data: Any, need_target: bool = True) -> Table:
        """``prepare`` then ``arrays``: a user's table as the network's arrays."""
        return self.arrays(self.prepare(data, need_target=need_target), need_target)

    def windows(self, table: Table, starts: np.ndarray) -> tuple[WindowView, np.ndarray]:
        """Network inputs (a zero-copy view) and scaled targets (W, S * T) for ``starts``."""
        base = window_view(table.x, self.input_length)
        rows = target_rows(starts, self.window, self.horizon, self.steps)
        if self.difference:  # changes from each window's last value, scaled
            change = window_changes(table.y_raw, starts + self.window - 1, rows)
            keys = _take(self.target_keys(table.ids), rows.ravel())
            y = self.y_scaler_.transform(change.reshape(-1, change.shape[-1]), keys)
            y = y.astype(np.float32)
        else:
            y = table.y[rows]  # (W, S, T)
        return WindowView(base, starts), y.reshape(len(starts), -1)

    def to_units(self, outputs: np.ndarray, table: Table, starts: np.ndarray) -> np.ndarray:
        """Network outputs for windows at ``starts`` in the target's units.

        ``outputs`` (W, S * T) gives forecasts (W, S, T); (W, S, M, T), M values per
        step and target (such as quantiles), gives (W, S, M, T). Each value is
        unscaled with its window's scaler (and its last value added back, with
        ``difference``); both keep the order of values.
        """
        n_targets = len(self.targets)
        values = np.asarray(outputs)
        shape = values.shape if values.ndim == 4 else (len(starts), self.steps, n_targets)
        out = values.reshape(len(starts), self.steps, -1, n_targets)  # (W, S, M, T)
        keys = self.target_keys(table.ids)
        row_keys = None if keys is None else np.repeat(keys[starts], self.steps * out.shape[2])
        flat = out.reshape(-1, n_targets)
        forecast = self.y_scaler_.inverse_transform(flat, row_keys).reshape(out.shape)
        if self.difference:
            forecast = forecast + table.y_raw[starts + self.window - 1][:, None, None, :]
        return forecast.reshape(shape)

    def scale_inputs(self, raw: np.ndarray, keys: np.ndarray | None) -> np.ndarray:
        """Rows of inputs (in their own units) scaled as the network sees them."""
        return self.x_scaler_.transform(raw, keys)

    def unscale_targets(self, values: np.ndarray, keys: np.ndarray | None) -> np.ndarray:
        return self.y_scaler_.inverse_transform(values, keys)

    # -- the rows to forecast ---------------------------------------------------------
    def forecast_times(self, last: np.ndarray, count: int
                       ) -> np.ndarray | pd.DatetimeIndex | None:
        """Times of the ``count`` rows after each of ``last`` (one per series), flattened."""
        if self.roles.time is None or self.step is None:
            return None
        offsets = np.tile(np.arange(1, count + 1), len(last))
        return frequency.advance(np.repeat(last, count), offsets, self.step)

    def future_inputs(self, last_rows: pd.DataFrame, future: Any) -> np.ndarray:
        """Scaled inputs (series, horizon - 1 + steps, F) of the rows after each series' end
        (``lstmcast.tables.future_rows.future_inputs``)."""
        return future_rows.future_inputs(self, last_rows, future)

    # -- saving ---------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"roles": self.roles.get_config(), "window": self.window,
                "horizon": self.horizon, "steps": self.steps, "scaler": self.scaler,
                "scale_by": self.scale_by, "difference": self.difference,
                "missing": self.missing, "time_format": self.time_format,
                "calendar": self.calendar, "log": self.log, "time": self.time_,
                "x_scaler": self.x_scaler_.get_config(),
                "y_scaler": self.y_scaler_.get_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TablePipeline:
        pipeline = cls(Roles.from_config(config["roles"]), config["window"], config["horizon"],
                       config["steps"], config["scaler"], config["scale_by"],
                       config["difference"], config["missing"], config["time_format"],
                       config["calendar"], config.get("log"))
        pipeline.time_ = dict(config["time"])
        pipeline.x_scaler_ = KeyedScaler.from_config(config["x_scaler"])
        pipeline.y_scaler_ = KeyedScaler.from_config(config["y_scaler"])
        return pipeline


def new_scalers(pipeline: TablePipeline) -> tuple[KeyedScaler, KeyedScaler]:
    """The pipeline's input and target scalers, not fitted (with ``scaler=None``, ones
    that change nothing but take the log of the ``log`` targets)."""
    x_log = [pipeline.inputs.index(t) for t in pipeline.log if t in pipeline.inputs]
    y_log = [pipeline.targets.index(t) for t in pipeline.log]
    if pipeline.scaler is None:
        return (KeyedScaler.identity(len(pipeline.inputs), x_log),
                KeyedScaler.identity(len(pipeline.targets), y_log))
    what = "series" if pipeline.scale_by in ("global", "series") else pipeline.scale_by
    return (KeyedScaler(pipeline.scaler, what, x_log),
            KeyedScaler(pipeline.scaler, what, y_log))


def group_ids(frame: pd.DataFrame, group: str | None) -> np.ndarray:
    """Series id per row (zeros when there is one series)."""
    if group is None:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[group].to_numpy()


def _take(keys: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if keys is None else keys[rows]
