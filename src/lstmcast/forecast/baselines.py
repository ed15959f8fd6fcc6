"""Naive forecasts that every evaluation shows beside the model.

Each takes the windows' row positions and returns forecasts shaped like the
targets, (W, steps), in original units. They use only what the model could
have seen: target values before the first target row.

- naive: the last known target value, repeated for every step.
- window_mean: the mean of the known target values inside the window.
- seasonal_naive: for a target row t, the value one or more seasons earlier,
  y[t - k * season] with the smallest k that reaches back to a known value.

The training mean shown beside them comes from the training rows
(``TrainingStats``); ``baseline_forecasts`` gives every baseline's forecasts.
These need the target's own past, so they are shown only when the
target is observed in the inputs (a forecast of a series from its own history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lstmcast.tables.scaling import key_str

if TYPE_CHECKING:
    from lstmcast.tables.pipeline import Table, TablePipeline


def known_rows(starts: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last (inclusive) row of known target values for each window."""
    last = starts + window - 1 - (1 if horizon == 0 else 0)
    return starts, last


def naive(y: np.ndarray, starts: np.ndarray, window: int, horizon: int,
          steps: int) -> np.ndarray:
    _, last = known_rows(starts, window, horizon)
    return np.repeat(y[last][:, None], steps, axis=1)


def window_mean(y: np.ndarray, starts: np.ndarray, window: int, horizon: int,
                steps: int) -> np.ndarray:
    first, last = known_rows(starts, window, horizon)
    csum = np.concatenate([[0.0], np.cumsum(y, dtype=np.float64)])
    means = (csum[last + 1] - csum[first]) / (last - first + 1)
    return np.repeat(means[:, None], steps, axis=1)


def seasonal_naive(y: np.ndarray, starts: np.ndarray, window: int, horizon: int, steps: int,
                   season: int, series_start: np.ndarray) -> np.ndarray:
    """``series_start`` is the first row of each window's series; earlier rows are unknown."""
    _, last = known_rows(starts, window, horizon)
    targets = starts[:, None] + window - 1 + horizon + np.arange(steps)
    k = np.ceil((targets - last[:, None]) / season).astype(np.int64)
    rows = targets - k * season
    out = y[np.maximum(rows, 0)].astype(np.float64)
    out[rows < series_start[:, None]] = np.nan
    return out


@dataclass
class TrainingStats:
    """What the baselines and MASE need from the training rows.

    Attributes:
        train_mean: the training targets' mean, per target.
        series_mean: with several series, each series' own training mean per target,
            by its id (``scaling.key_str``): the training-mean baseline of a series is
            its own mean, not all series' (a table of prices in cents beside counts
            of millions); a series not trained on falls back to ``train_mean``, and so
            does every series of a table read in shards (None).
        naive_scale: MASE's denominator per target: the mean absolute
            (seasonal) naive error on the training rows.
        season: the season length (None: no seasonal baseline).
        residual_quantiles: with quantiles, per baseline the quantiles (S, Q, T)
            of its errors on the training windows (its interval: forecast + these).
    """

    train_mean: list[float]
    naive_scale: list[float]
    season: int | None = None
    residual_quantiles: dict[str, list] | None = None
    series_mean: dict[str, list[float]] | None = None

    def means(self, ids: np.ndarray, k: int) -> np.ndarray:
        """Per window (``ids``: its series' id), the training mean of target ``k``."""
        overall = float(self.train_mean[k])
        if not self.series_mean:
            return np.full(len(ids), overall)
        known = {key: values[k] for key, values in self.series_mean.items()}
        return np.array([known.get(key_str(i), overall) for i in ids], dtype=np.float64)


def series_means(y: np.ndarray, ids: np.ndarray, segments: list[tuple[int, int]],
                 rows: np.ndarray) -> dict[str, list[float]] | None:
    """Each series' mean of its training rows (``rows``: a mask over ``y``'s (R, T)
    rows), by id; None for one series."""
    if len(segments) < 2:
        return None
    return {key_str(ids[a]): y[a:b][rows[a:b]].mean(axis=0).tolist()
            for a, b in segments if rows[a:b].any()}


def series_starts(table: Table) -> np.ndarray:
    """Per row, the first row of its series."""
    first = np.zeros(len(table.frame), dtype=np.int64)
    for a, b in table.segments:
        first[a:b] = a
    return first


def baseline_forecasts(y: np.ndarray, starts: np.ndarray, series_start: np.ndarray,
                       pipeline: TablePipeline, train_mean: float | np.ndarray,
                       season: int | None) -> dict[str, np.ndarray]:
    """Each baseline's forecasts (W, S) of target values ``y`` (R,) for windows at ``starts``:
    the training mean (one, or one per window: its series'), and with the target's past in
    the table (horizon >= 1) the last value, the window's mean and the seasonal naive
    (``season``; NaN without a season of history)."""
    window, horizon, steps = pipeline.window, pipeline.horizon, pipeline.steps
    means = np.broadcast_to(np.asarray(train_mean, dtype=np.float64), (len(starts),))
    preds = {"train_mean": np.repeat(means[:, None], steps, axis=1)}
    if horizon >= 1:
        args = (y, starts, window, horizon, steps)
        preds["naive"] = naive(*args)
        preds["window_mean"] = window_mean(*args)
        if season:
            preds["seasonal_naive"] = seasonal_naive(*args, season, series_start)
    return preds
