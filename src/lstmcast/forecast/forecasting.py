"""Forecasting with a fitted pipeline and its networks: windows to forecasts in units.

``forecast_windows`` turns windows of a ``Table`` into forecasts in the
target's units (the networks' mean, through ``TablePipeline.to_units``),
with their quantiles when the model forecasts them (``lstmcast.forecast.intervals``);
``last_windows`` takes the last window of each series, padding short series
at the front and appending the rows to forecast when the model reads inputs
known in advance; ``series_windows`` reads a table and does it (a small clean
table of one series the short way, ``lstmcast.tables.fast_path``); ``recurse``
feeds forecasts back as inputs for ``n_ahead`` beyond the network's ``steps``;
``forecast_frame`` lays the forecasts out as a table with the time column continued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.ensemble import Ensemble
from lstmcast.forecast.intervals import Intervals, quantile_columns
from lstmcast.models.sequential import PREDICT_BATCH
from lstmcast.tables import fast_path, joined_columns, timeline
from lstmcast.tables.pipeline import Table, TablePipeline
from lstmcast.tables.windows import WindowView, window_view

DIRECT_WINDOWS = PREDICT_BATCH  # up to one batch of windows: the networks called straight

# each series' last row: a DataFrame, or its columns as arrays by name (``fast_path.Window``)
LastRows = pd.DataFrame | dict[str, np.ndarray]


@dataclass
class Forecast:
    """Forecasts in the target's units.

    Attributes:
        point: (W, S, T) the point forecast.
        quantiles: (W, S, Q, T) the quantiles at ``levels``, sorted, or None.
        levels: the quantile levels (() without quantiles).
    """

    point: np.ndarray
    quantiles: np.ndarray | None = None
    levels: tuple[float, ...] = ()


def forecast_windows(pipeline: TablePipeline, ensemble: Ensemble, table: Table,
                     starts: np.ndarray, intervals: Intervals | None = None) -> Forecast:
    """Forecasts of the windows at ``starts``: the networks' mean output in the target's
    units, split into point and quantiles by ``intervals`` (None: point outputs only)."""
    view = WindowView(window_view(table.x, pipeline.input_length), starts)
    if isinstance(ensemble, Ensemble) and len(starts) <= DIRECT_WINDOWS:
        # one batch: the networks called straight, the same outputs
        outputs = ensemble.direct().predict(np.asarray(view, dtype=np.float32))
    else:
        outputs = ensemble.predict(view)
    if intervals is None:
        return Forecast(pipeline.to_units(outputs, table, starts))
    point, quantiles = intervals.split(outputs)
    return Forecast(pipeline.to_units(point, table, starts),
                    None if quantiles is None else pipeline.to_units(quantiles, table, starts),
                    intervals.levels)


def last_windows(pipeline: TablePipeline, table: Table, future: np.ndarray | None = None
                 ) -> tuple[Table, np.ndarray, list]:
    """The last window of each series, short series padded at the front with their first row.

    Args:
        future: (series, rows, F) scaled inputs of the rows after each series'
            end (``TablePipeline.future_inputs``), appended after the window.

    Returns:
        A table of the windows whose ``frame`` holds each series' last row, the
        start of each window in it, and the ids of the padded series.
    """
    window = pipeline.window
    padded, frames, xs, levels, ids, starts = [], [], [], [], [], []
    offset = 0
    for k, (a, b) in enumerate(table.segments):
        first = max(a, b - window)
        short = window - (b - first)
        x = pad_front(table.x[first:b], short)
        level = None if table.y_raw is None else pad_front(table.y_raw[first:b], short)
        if future is not None:
            x = np.concatenate([x, future[k].astype(np.float32)])
            if level is not None:
                level = np.concatenate([level, np.full((len(future[k]), level.shape[1]),
                                                       np.nan)])
        if short:
            padded.append(table.ids[a])
        xs.append(x)
        levels.append(level)
        ids.append(np.repeat(table.ids[a], len(x)))
        starts.append(offset)
        offset += len(x)
        frames.append(table.frame.iloc[[b - 1]])
    x_all = np.concatenate(xs).astype(np.float32)
    last_rows = pd.concat(frames, ignore_index=True)
    y_raw = None if table.y_raw is None else np.concatenate(levels)
    view = Table(frame=last_rows, ids=np.concatenate(ids), segments=[], x=x_all, y=None,
                 y_raw=y_raw)
    return view, np.asarray(starts, dtype=np.int64), padded


def series_windows(pipeline: TablePipeline, data: Any, need_target: bool, future: Any = None
                   ) -> tuple[Table, np.ndarray, list]:
    """Each series' last window of a user's table: ``TablePipeline.table``, the rows after
    each series' end when the model reads inputs known in advance (``future``), then
    ``last_windows``. A small, clean table of one series goes through
    ``fast_path.last_window`` instead, to the same result.

    Raises:
        InvalidArgumentError: ``future`` for a model that reads no inputs known in advance;
            and whatever ``TablePipeline.table`` and ``future_inputs`` raise.
    """
    fast = fast_path.last_window(pipeline, data, need_target, future)
    if fast is not None:
        return fast
    table = pipeline.table(data, need_target=need_target)
    future_x = None
    if pipeline.roles.future_inputs:
        last_rows = table.frame.iloc[[b - 1 for _, b in table.segments]]
        future_x = pipeline.future_inputs(last_rows.reset_index(drop=True), future)
    elif future is not None:
        raise InvalidArgumentError("`future` was given, but this model reads no inputs "
                                   "known in advance.")
    return last_windows(pipeline, table, future_x)


def recurse(pipeline: TablePipeline, ensemble: Ensemble, view: Table, starts: np.ndarray,
            forecast: np.ndarray, n_ahead: int) -> np.ndarray:
    """Feed forecasts back as inputs until ``n_ahead`` rows are forecast.

    Only for models whose inputs are the targets' own past, with horizon 1.
    """
    window, steps = pipeline.window, pipeline.steps
    windows = np.stack([view.x[s : s + window] for s in starts])  # (S, L, F)
    group = pipeline.roles.group
    series = view.frame[group].to_numpy() if group else np.zeros(len(starts), np.int64)
    x_keys = pipeline.input_keys(view.frame, series)
    y_keys = pipeline.target_keys(series)
    y_keys = None if y_keys is None else np.repeat(y_keys, steps)
    cols = pipeline.target_columns()
    level = view.y_raw[starts + window - 1] if pipeline.difference else None
    out = [forecast]
    while sum(part.shape[1] for part in out) < n_ahead:
        for j in range(steps):  # append the latest forecasts as input rows
            row = np.zeros((len(starts), len(pipeline.inputs)))
            row[:, cols] = out[-1][:, j]
            if pipeline.difference:  # the input is the change from the row before
                row[:, cols] -= level
                level = out[-1][:, j]
            scaled = pipeline.scale_inputs(row, x_keys)[:, None, :]
            windows = np.concatenate([windows[:, 1:], scaled.astype(np.float32)], axis=1)
        nxt = ensemble.predict(windows).reshape(len(starts) * steps, -1)
        nxt = pipeline.unscale_targets(nxt, y_keys).reshape(len(starts), steps, -1)
        out.append(nxt + level[:, None, :] if pipeline.difference else nxt)
    return np.concatenate(out, axis=1)[:, :n_ahead]


def forecast_frame(pipeline: TablePipeline, last_rows: LastRows, forecast: Forecast
                   ) -> pd.DataFrame:
    """One row per series and step: series id, ``step``, time (when regular), the targets,
    and each target's quantiles (``OT_q0.1``...) when the model forecasts them.
    ``last_rows``: each series' last row, a DataFrame or its columns as arrays by name
    (``last_row_values(view)``)."""
    point = forecast.point
    n_series, n_steps, _ = point.shape
    roles = pipeline.roles
    out: dict[str, Any] = {}
    if roles.group:
        out[roles.group] = np.repeat(_column(last_rows, roles.group), n_steps)
    step = np.tile(np.arange(1, n_steps + 1), n_series)
    out["step"] = step
    if roles.time and pipeline.step is not None:
        last_time = np.repeat(_column(last_rows, roles.time), n_steps)
        out[roles.time] = fast_path.advance(last_time, pipeline.horizon + step - 1,
                                            pipeline.step)
    for k, name in enumerate(roles.target):
        out[name] = point[:, :, k].ravel()
        if forecast.quantiles is not None:
            for q, column in enumerate(quantile_columns(name, forecast.levels)):
                out[column] = forecast.quantiles[:, :, q, k].ravel()
    return pd.DataFrame(out, copy=False)  # the arrays are new: no copy of them needed


def as_written(pipeline: TablePipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a forecast, predictions by time) with its times written as the training
    table wrote them where that was as quarters ("2010 Q1", not 2010-01-01) or in a format
    of ``timeline.WRITTEN`` ("2019-12", "31/12/2019"); otherwise ``frame`` itself. What the
    command line writes to files and prints, and the service answers. A series id or a
    time joined from several columns (``group="store,item"``, ``time="year,quarter"``) is
    written back as those columns."""
    time = pipeline.roles.time
    frame = joined_columns.split(frame, pipeline.roles.group, time,
                                 quarters=bool((pipeline.time_ or {}).get("notation")),
                                 writing=pipeline.time_)
    if time not in frame.columns or not pd.api.types.is_datetime64_any_dtype(frame[time]):
        return frame
    text = timeline.write_back(frame[time], pipeline.time_)
    if text is None:
        return frame
    written = frame.copy()
    written[time] = text
    return written


def last_row_values(view: Table) -> LastRows:
    """Each series' last row of ``last_windows``' or ``series_windows``' table, for
    ``forecast_frame``: its frame, or its columns as arrays (``fast_path.Window``)."""
    return view.last if isinstance(view, fast_path.Window) else view.frame


def _column(rows: LastRows, name: str) -> np.ndarray:
    return rows[name].to_numpy() if isinstance(rows, pd.DataFrame) else rows[name]


def pad_front(values: np.ndarray, rows: int) -> np.ndarray:
    """``values`` with its first row repeated ``rows`` times in front (itself if none)."""
    return np.concatenate([np.repeat(values[:1], rows, 0), values]) if rows else values
