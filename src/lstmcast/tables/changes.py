"""Changes instead of levels, for series that trend out of their training range.

With ``Forecaster(difference=True)`` the target's own past enters the network
as its row-to-row change, and the network forecasts the change from the
window's last value; the level is added back to every forecast. A min-max
scaled level that rises past the training maximum (air passengers, prices)
lands where the network has never been; its changes mostly do not.
"""

from __future__ import annotations

import numpy as np


def row_changes(values: np.ndarray, segments: list[tuple[int, int]]) -> np.ndarray:
    """``values[t] - values[t - 1]`` within each series; 0 on each series' first row.

    Args:
        values: (rows, columns) float array.
        segments: the (start, stop) rows of each series.
    """
    out = np.zeros_like(values, dtype=np.float64)
    for a, b in segments:
        out[a + 1 : b] = np.diff(values[a:b], axis=0)
    return out


def first_rows(segments: list[tuple[int, int]], n: int) -> np.ndarray:
    """Boolean (n,) mask of the first row of each series (where no change is known)."""
    mask = np.zeros(n, dtype=bool)
    mask[[a for a, b in segments if b > a]] = True
    return mask


def window_changes(levels: np.ndarray, last_rows: np.ndarray,
                   target_rows: np.ndarray) -> np.ndarray:
    """Targets as changes: ``levels[target_rows] - levels[last_rows]``, shape (W, steps, T)."""
    return levels[target_rows] - levels[last_rows][:, None, :]
