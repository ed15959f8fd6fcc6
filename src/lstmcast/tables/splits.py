"""Training and validation parts of a table, in time order.

Early stopping (and ``lr_patience``) watch a validation part that the
scalers never see: the last ``fraction`` of every series (``by="time"``), or
whole series held out (``by="series"``). A window belongs to a part only when
all of its target rows do, so no window straddles the cut.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError
from lstmcast.tables.io import sort_series
from lstmcast.tables.timeline import parse_time
from lstmcast.tables.windows import target_rows, window_starts


def training_rows(rows: int, fraction: float) -> int:
    """Of ``rows``, how many come before the last ``fraction``: floor(rows * (1 - fraction)),
    exact where the product is whole (90 rows less 30% are 63, where floating point gives
    62.999...)."""
    return int(np.floor(rows * (1.0 - fraction) + 1e-9))


def split_rows(segments: list[tuple[int, int]], ids: np.ndarray, fraction: float, by: str,
               seed: int) -> tuple[np.ndarray, set[Any]]:
    """Training rows (a bool mask) and the held-out series (``by="series"``).

    ``fraction`` 0 keeps every row for training.
    """
    n = segments[-1][1] if segments else 0
    train_rows = np.ones(n, dtype=bool)
    held_out: set[Any] = set()
    if fraction <= 0:
        return train_rows, held_out
    if by == "series":
        if len(segments) < 2:
            raise InvalidArgumentError(
                "`validation_by='series'` needs at least two series; use 'time'.")
        rng = np.random.default_rng(seed)
        count = max(1, int(round(len(segments) * fraction)))
        for k in rng.choice(len(segments), size=count, replace=False):
            a, b = segments[k]
            train_rows[a:b] = False
            held_out.add(ids[a])
        return train_rows, held_out
    for a, b in segments:
        cut = a + training_rows(b - a, fraction)
        train_rows[cut:b] = False
    return train_rows, held_out


def split_windows(n_rows: int, ids: np.ndarray, train_rows: np.ndarray, held_out: set[Any],
                  window: int, horizon: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Start rows of the training and the validation windows."""
    starts = window_starts(n_rows, window, horizon=horizon, steps=steps, groups=ids)
    if held_out:
        in_val = np.isin(ids[starts], list(held_out))
        return starts[~in_val], starts[in_val]
    rows = target_rows(starts, window, horizon, steps)
    all_train = train_rows[rows].all(axis=1)
    all_val = (~train_rows[rows]).all(axis=1)
    return starts[all_train], starts[all_val]


def holdout_rows(frame: pd.DataFrame, group: str | None, fraction: float,
                 least: int = 1) -> int:
    """Rows per series to hold out: ``fraction`` of the shortest series, at least ``least``
    (the rows one forecast's targets span, so that a window can be scored) and 1."""
    lengths = (frame.groupby(group, dropna=False, observed=True).size() if group
               else pd.Series([len(frame)]))
    return max(1, int(least), int(math.floor(lengths.min() * fraction)))


def drop_tail(frame: pd.DataFrame, group: str | None, time: str | None, rows: int,
              time_format: str | None = None) -> pd.DataFrame:
    """The table without the last ``rows`` rows of each series (in time order: a text time
    column is parsed to sort it)."""
    keys = [c for c in (group, time) if c]
    if time is not None and time in frame.columns:
        parsed = parse_time(frame[time], time, time_format)[0]
        order = frame.assign(_lstmcast_time=parsed)  # duplicate times refused before training
        ordered = sort_series(order, group, "_lstmcast_time").drop(columns="_lstmcast_time")
    else:
        ordered = frame.sort_values(keys, kind="stable") if keys else frame
    if group:
        position = ordered.groupby(group, dropna=False, observed=True).cumcount(ascending=False)
    else:
        position = pd.Series(range(len(ordered) - 1, -1, -1), index=ordered.index)
    return ordered[position >= rows]
