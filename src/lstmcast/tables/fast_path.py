"""The short way from a small, clean table of one series to its last window.

``TablePipeline.table`` reads any table: text dates in many formats, zones,
gaps refused or filled, missing values, many series sorted and checked. For
the table a live forecast gets (one series' recent rows, already clean) that
machinery costs far more than the network. ``last_window`` takes such a table
straight to what ``forecasting.last_windows`` makes of ``TablePipeline.table``'s
result, with NumPy on the columns, and gives up (returns None) at the first
sign of anything the full path would act on: then the full path runs, and
raises, warns or repairs as it always does. It accepts, and gives the same
result for:

- a DataFrame of at most ``ROWS`` rows with unique column names, every column
  the model reads present, one series (the group column holds one value);
- numeric columns of NumPy integer or float dtype, every value finite (no
  missing-value policy applies) and above 0 where the model reads its log, static
  columns constant;
- a time column of naive datetimes, of ISO 8601 text when the model read its
  times as ISO 8601 (parsed by NumPy at pandas' resolution; anything outside
  plain ``YYYY-MM-DD[ HH[:MM[:SS[.ffffff]]]]`` goes the full way), or of
  numbers for a model on numeric time; strictly increasing, so that sorting
  changes nothing and no time repeats;
- a model step of one length (sub-daily, daily, weekly, or a number) with every
  difference exactly one step, so that the step check passes and there are no
  gaps; a model without a step takes any increasing times;
- no future table (calendar inputs are computed for the window and the rows
  after it, as ``TablePipeline.future_inputs`` computes them).

``advance`` is ``frequency.advance`` in NumPy for naive times and steps of one
length (the forecast's times), the same values at the same resolution.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.tables import calendar_inputs, frequency, future_rows, timeline
from lstmcast.tables.changes import row_changes
from lstmcast.tables.pipeline import Table, TablePipeline

ROWS = 100_000  # larger tables take the full path
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?)?",
                  re.ASCII)
_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_DAY = 86_400_000_000_000
_iso_unit: list[str] = []  # the resolution pandas parses ISO 8601 text at (found once)


def last_window(pipeline: TablePipeline, data: Any, need_target: bool, future: Any = None
                ) -> tuple[Window, np.ndarray, list] | None:
    """``forecasting.last_windows(pipeline, pipeline.table(data, need_target), future_x)``
    for a table the full path would take as it is (see the module docstring), else None.

    Returns:
        (view, starts, padded) as ``last_windows`` returns them: a ``Table`` of the
        window (and the rows after it with inputs known in advance), its start (0),
        and the series id when it is shorter than the window.
    """
    roles = pipeline.roles
    if (not isinstance(data, pd.DataFrame) or roles.future or future is not None
            or not 0 < len(data) <= ROWS or not data.columns.is_unique):
        return None
    needed = [c for c in roles.columns() if need_target or c not in roles.target
              or c in roles.inputs]
    if any(c not in data.columns for c in needed):
        return None
    values = {c: data[c].to_numpy() for c in needed}
    if roles.group is not None and not _one_value(values[roles.group]):
        return None
    numeric = list(dict.fromkeys([*roles.features, *roles.future, *roles.static,
                                  *(roles.target if need_target or roles.autoregressive
                                    else [])]))
    for name in (c for c in numeric if c in values and c != roles.time):
        column = values[name]
        if column.dtype.kind not in "iuf" or not np.isfinite(column).all():
            return None
        if name in pipeline.log and not (column > 0).all():
            return None  # the full path names the value the log cannot take
    if any(not _one_value(values[c]) for c in roles.static):
        return None
    if roles.time is not None:
        times = _times(pipeline, data[roles.time], values[roles.time])
        if times is None or (roles.time in numeric and times.dtype.kind == "M"):
            return None
        values[roles.time] = times
        pipeline._written = None  # naive times: the clock they are written on
    return _window(pipeline, values, needed)


def _one_value(column: np.ndarray) -> bool:
    """Every value the first, which is not missing."""
    first = column[0]
    if not pd.api.types.is_scalar(first) or pd.isna(first):
        return False
    return bool(np.asarray(column == first).all())


def _times(pipeline: TablePipeline, col: pd.Series, values: np.ndarray) -> np.ndarray | None:
    """The time column as ``TablePipeline.parse_time_column`` reads it, when it is increasing
    on the model's step with no gap; else None."""
    kind = pipeline.time_["kind"]
    if kind == "number":
        if (values.dtype.kind not in "iuf" or
                (pipeline.time_format or "auto").strip().lower() != "auto"):
            return None
        parsed = values.astype(np.int64 if values.dtype.kind in "iu" else np.float64)
        if parsed.dtype.kind == "f" and not np.isfinite(parsed).all():
            return None
    elif kind == "datetime" and pipeline.time_["tz"] is None:
        parsed = values if values.dtype.kind == "M" else _iso_text(pipeline, col, values)
        if parsed is None or parsed.dtype.kind != "M" or np.isnat(parsed).any():
            return None
    else:
        return None
    return parsed if _on_step(parsed, pipeline.step) else None


def _iso_text(pipeline: TablePipeline, col: pd.Series, values: np.ndarray) -> np.ndarray | None:
    """Plain ISO 8601 text as pandas reads it (``timeline.parse_time``), or None."""
    fmt = pipeline.time_["format"]
    fmt = pipeline.read_format or fmt if fmt is not None else None
    if (fmt or "").strip().lower() != "iso8601" or not timeline.is_text(col):
        return None
    if not all(type(v) is str for v in values):
        return None
    text = [v.strip() for v in values]
    if not all(_ISO.fullmatch(v) for v in text):
        return None
    try:
        return np.array(text, dtype=f"datetime64[{pandas_iso_unit()}]")
    except ValueError:  # a month 13, an hour 24...: the full path says which
        return None


def pandas_iso_unit() -> str:
    """The unit pandas gives ISO-8601 text it parses ("us" in pandas 3, "ns" in 2): the
    fast path parses such text in NumPy to the same unit."""
    if not _iso_unit:
        probe = pd.to_datetime(pd.Series(["2024-01-01 00:00:00"]), format="ISO8601")
        _iso_unit.append(np.datetime_data(probe.dtype)[0])
    return _iso_unit[0]


def _on_step(times: np.ndarray, step: dict[str, Any] | None) -> bool:
    """Strictly increasing times, each one step after the one before (any, without a
    step): the step check passes and ``frequency.find_gaps`` finds none."""
    if times.dtype.kind == "M":
        unit = np.datetime_data(times.dtype)[0]
        if unit not in _NS:
            return False
        diffs = np.diff(times.view(np.int64))
        if (diffs <= 0).any():
            return False
        if step is None:
            return True
        length = _length(step)
        return length is not None and bool((diffs * _NS[unit] == length).all())
    diffs = np.diff(times)
    if (diffs <= 0).any():
        return False
    if step is None:
        return True
    if step["kind"] != "number" or not (diffs == step["step"]).all():
        return False
    where = (times - times[0]) / step["step"]  # frequency._positions: each time on the grid
    pos = np.round(where)
    return bool(np.allclose(where, pos, rtol=0, atol=1e-6) and pos[-1] == len(times) - 1)


def _length(step: dict[str, Any]) -> int | None:
    """The step's length in nanoseconds, for steps whose series ``frequency.infer_step``
    reads as the same step: fixed lengths other than whole days, days and weeks."""
    found = frequency.fixed_length(step)
    if found is None:
        return None
    kind, n = found
    if kind == "fixed":
        return None if n % _DAY == 0 else n
    return n * _DAY if n in (1, 7) else None


class Window(Table):
    """``last_windows``' ``Table``, with each series' last row as arrays by column
    (``last``); its ``frame`` (a DataFrame of that row) is made when first read."""

    def __init__(self, last: dict[str, np.ndarray], **fields: Any) -> None:
        self.last = last
        super().__init__(frame=None, **fields)

    @property  # type: ignore[override]
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = pd.DataFrame(self.last)
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        self._frame = value


def _window(pipeline: TablePipeline, values: dict[str, np.ndarray], needed: list[str]
            ) -> tuple[Window, np.ndarray, list]:
    """The last window of a checked table of one series (``forecasting.last_windows``)."""
    roles, window = pipeline.roles, pipeline.window
    n = len(next(iter(values.values())))
    first = max(0, n - window)
    rows = slice(max(0, first - 1) if pipeline.difference else first, n)
    ids = values[roles.group] if roles.group else np.zeros(n, dtype=np.int64)
    count = pipeline.horizon - 1 + pipeline.steps
    later = None
    if roles.calendar:  # the window's rows and the rows after the end, at once
        times = values[roles.time]
        later = advance(np.repeat(times[-1:], count), np.arange(1, count + 1), pipeline.step)
        cal = calendar(np.concatenate([times[rows], np.asarray(later)]), roles.calendar)
        for name, column in cal.items():
            values[name] = np.full(n, np.nan)
            values[name][rows] = column[:n - rows.start]
    raw = np.column_stack([np.asarray(values[c][rows], dtype=np.float64)
                           for c in pipeline.inputs])
    if pipeline.difference:  # the targets as changes, 0 on the series' first row
        changes = row_changes(np.column_stack([values[t][rows] for t in pipeline.targets]
                                              ).astype(np.float64), [(0, len(raw))])
        raw[:, pipeline.target_columns()] = changes
    keys = pipeline.input_keys(values, ids)
    keys = None if keys is None else keys[rows]
    x = pipeline.x_scaler_.transform(raw, keys, dtype=np.float32)[first - rows.start:]
    short = window - (n - first)
    x = _pad_front(x, short)
    level = None
    if pipeline.targets[0] in needed:
        level = _pad_front(np.column_stack([values[t][first:] for t in pipeline.targets]
                                           ).astype(np.float64), short)
    if later is not None:
        future = _future_inputs(pipeline, {c: v[n - rows.start:] for c, v in cal.items()},
                                ids[:1], count)
        x = np.concatenate([x, future.astype(np.float32)])
        if level is not None:
            level = np.concatenate([level, np.full((count, level.shape[1]), np.nan)])
    last = {c: values[c][-1:] for c in [*needed, *roles.calendar_columns]}
    view = Window(last, ids=np.repeat(ids[0], len(x)), segments=[], x=x.astype(np.float32),
                  y=None, y_raw=level)
    return view, np.zeros(1, dtype=np.int64), [ids[0]] if short else []


def _future_inputs(pipeline: TablePipeline, cal: dict[str, np.ndarray], series: np.ndarray,
                   count: int) -> np.ndarray:
    """``TablePipeline.future_inputs`` for calendar inputs only: (count, F) scaled, their
    scaler's keys from ``TablePipeline.input_keys`` (a key column's value over the rows
    ahead is unknown: no keys)."""
    ids = np.repeat(series, count) if pipeline.roles.group else np.zeros(count, np.int64)
    keys = None if pipeline.roles.key is not None else pipeline.input_keys(cal, ids)
    known = np.column_stack([cal[c] for c in pipeline.roles.future_inputs])
    return future_rows.scaled_future(pipeline, known, keys)


def calendar(times: np.ndarray, parts: list[str]) -> dict[str, np.ndarray]:
    """``calendar_inputs.calendar_columns`` of naive datetimes, in NumPy: the same sines and
    cosines from the same whole numbers (hour and minute, weekday, day of the year,
    month), by column name."""
    days = times.astype("datetime64[D]")
    minutes = (times.astype("datetime64[m]") - days).astype(np.int64)
    values = {"hour": minutes // 60 + (minutes % 60) / 60.0,
              "weekday": (days.astype(np.int64) + 3) % 7,  # 1970-01-01 was a Thursday
              "yearday": (days - times.astype("datetime64[Y]").astype("datetime64[D]")
                          ).astype(np.int64),
              "month": times.astype("datetime64[M]").astype(np.int64) % 12}
    out = {}
    for part in parts:
        angle = (2 * np.pi * np.asarray(values[part], dtype=np.float64)
                 / calendar_inputs.CALENDAR_PERIODS[part])
        out[f"{part}_sin"] = np.sin(angle)
        out[f"{part}_cos"] = np.cos(angle)
    return out


def _pad_front(values: np.ndarray, rows: int) -> np.ndarray:
    return np.concatenate([np.repeat(values[:1], rows, 0), values]) if rows else values


def advance(last: np.ndarray, offset: np.ndarray, step: dict[str, Any]
            ) -> np.ndarray | pd.DatetimeIndex:
    """``frequency.advance``: NumPy for naive datetimes (s, ms, us or ns) and steps of one
    length where every result keeps the times' resolution, else ``frequency.advance``."""
    last = np.asarray(last)
    found = frequency.fixed_length(step) if last.dtype.kind == "M" else None
    unit = np.datetime_data(last.dtype)[0] if found else None
    if found is None or unit not in _NS or len(last) == 0:
        return frequency.advance(last, offset, step)
    kind, n = found
    ns = np.asarray(offset, dtype=np.int64) * (n * (_DAY if kind == "days" else 1))
    start = last.view(np.int64)
    if (ns % _NS[unit]).any() or np.isnat(last).any() or (ns <= 0).any():
        return frequency.advance(last, offset, step)
    moved = start + ns // _NS[unit]
    if (moved <= start).any():  # past the last time this resolution holds
        return frequency.advance(last, offset, step)
    return moved.view(last.dtype)
