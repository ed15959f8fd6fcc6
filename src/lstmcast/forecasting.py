"""Forecasting with a fitted Forecaster: windows to forecasts in the target's units.

``Table`` holds a checked, sorted table as the arrays the network reads.
``forecast_windows`` turns windows into forecasts in original units (the
members' mean, inverse scaling, and with ``difference`` the level added back);
``last_windows`` finds the last window of each series, padding short series at
the front; ``recurse`` feeds forecasts back as inputs for ``n_ahead`` beyond
the network's ``steps``; ``forecast_frame`` lays the forecasts out as a table.
``fc`` is always a fitted ``lstmcast.Forecaster``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.io import advance_time
from lstmcast.windows import WindowView, window_view


@dataclass
class Table:
    """A checked, sorted table turned into arrays."""

    frame: pd.DataFrame
    x: np.ndarray  # (rows, inputs) scaled, float32
    y: np.ndarray | None  # (rows, targets) scaled, float32
    y_raw: np.ndarray | None  # (rows, targets) original units
    ids: np.ndarray  # (rows,) series id
    segments: list[tuple[int, int]]


def forecast_windows(fc: Any, table: Table, starts: np.ndarray) -> np.ndarray:
    """Forecasts (W, steps, targets) in original units for the windows at ``starts``."""
    out = fc._predict_array(WindowView(window_view(table.x, fc.window), starts))
    out = out.reshape(len(starts), fc.steps, len(fc.spec_.target))
    keys = fc._scale_keys(table.frame, table.ids, True)
    flat = out.reshape(-1, len(fc.spec_.target))
    row_keys = None if keys is None else np.repeat(keys[starts], fc.steps)
    forecast = fc.y_scaler_.inverse_transform(flat, row_keys).reshape(out.shape)
    if fc.difference:
        forecast += table.y_raw[starts + fc.window - 1][:, None, :]
    return forecast


def last_windows(fc: Any, table: Table) -> tuple[Table, np.ndarray, list]:
    """The last window of each series, short series padded at the front with their first row.

    Returns:
        A table of the (padded) series whose ``frame`` holds each series' last
        row, the start of each last window in it, and the ids of padded series.
    """
    padded, frames, xs, levels, ids, starts = [], [], [], [], [], []
    offset = 0
    for a, b in table.segments:
        short = max(fc.window - (b - a), 0)
        x = pad_front(table.x[a:b], short)
        level = None if table.y_raw is None else pad_front(table.y_raw[a:b], short)
        if short:
            padded.append(table.ids[a])
        xs.append(x)
        levels.append(level)
        ids.append(np.repeat(table.ids[a], len(x)))
        starts.append(offset + len(x) - fc.window)
        offset += len(x)
        frames.append(table.frame.iloc[[b - 1]])
    x_all = np.concatenate(xs).astype(np.float32)
    ids_all = np.concatenate(ids)
    last_rows = pd.concat(frames, ignore_index=True)
    y_raw = None if table.y_raw is None else np.concatenate(levels)
    view = Table(last_rows, x_all, None, y_raw, ids_all, [])
    return view, np.asarray(starts, dtype=np.int64), padded


def recurse(fc: Any, view: Table, starts: np.ndarray, forecast: np.ndarray,
            n_ahead: int) -> np.ndarray:
    """Feed forecasts back as inputs until ``n_ahead`` rows are forecast."""
    windows = np.stack([view.x[s : s + fc.window] for s in starts])  # (S, L, F)
    series = view.frame[fc.spec_.group].to_numpy() if fc.spec_.group else None
    x_keys = fc._scale_keys(view.frame, series, False)
    y_keys = fc._scale_keys(view.frame, series, True)
    y_keys = None if y_keys is None else np.repeat(y_keys, fc.steps)
    cols = [fc.inputs_.index(t) for t in fc.spec_.target]
    level = view.y_raw[starts + fc.window - 1] if fc.difference else None
    out = [forecast]
    while sum(part.shape[1] for part in out) < n_ahead:
        for j in range(fc.steps):  # append the latest forecasts as input rows
            row = np.zeros((len(starts), len(fc.inputs_)))
            row[:, cols] = out[-1][:, j]
            if fc.difference:  # the input is the change from the row before
                row[:, cols] -= level
                level = out[-1][:, j]
            scaled = fc.x_scaler_.transform(row, x_keys)[:, None, :]
            windows = np.concatenate([windows[:, 1:], scaled.astype(np.float32)], axis=1)
        nxt = fc._predict_array(windows).reshape(len(starts) * fc.steps, -1)
        nxt = fc.y_scaler_.inverse_transform(nxt, y_keys)
        nxt = nxt.reshape(len(starts), fc.steps, -1)
        out.append(nxt + level[:, None, :] if fc.difference else nxt)
    return np.concatenate(out, axis=1)[:, :n_ahead]


def forecast_frame(fc: Any, last_rows: pd.DataFrame, forecast: np.ndarray) -> pd.DataFrame:
    """One row per series and step: series id, ``step``, time (when regular), the targets."""
    n_series, n_steps, _ = forecast.shape
    out: dict[str, Any] = {}
    if fc.spec_.group:
        out[fc.spec_.group] = np.repeat(last_rows[fc.spec_.group].to_numpy(), n_steps)
    step = np.tile(np.arange(1, n_steps + 1), n_series)
    out["step"] = step
    if fc.spec_.time and fc.time_step_ is not None:
        last_time = np.repeat(last_rows[fc.spec_.time].to_numpy(), n_steps)
        offset = fc.horizon + step - 1
        out[fc.spec_.time] = advance_time(last_time, offset, fc.time_step_)
    for k, name in enumerate(fc.spec_.target):
        out[name] = forecast[:, :, k].ravel()
    return pd.DataFrame(out)


def pad_front(values: np.ndarray, rows: int) -> np.ndarray:
    """``values`` with its first row repeated ``rows`` times in front (itself if none)."""
    return np.concatenate([np.repeat(values[:1], rows, 0), values]) if rows else values
