"""Naive forecasts that every evaluation shows beside the model.

Each takes the windows' row positions and returns forecasts shaped like the
targets, (W, steps), in original units. They use only what the model could
have seen: target values before the first target row.

- naive: the last known target value, repeated for every step.
- window_mean: the mean of the known target values inside the window.
- seasonal_naive: for a target row t, the value one or more seasons earlier,
  y[t - k * season] with the smallest k that reaches back to a known value.

(The training mean shown beside them comes from the fitted state, in
``lstmcast.forecast.evaluation.baseline_forecasts``.)
These need the target's own past, so they are shown only when the
target is observed in the inputs (a forecast of a series from its own history).
"""

from __future__ import annotations

import numpy as np


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
