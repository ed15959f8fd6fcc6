"""A least-squares linear map of each target's window, and its blend with the networks.

At long horizons a linear map of the window is hard to beat (DLinear, NLinear,
RLinear): each target's future, relative to the window's last value, as one
linear function of the window relative to that value, shared by the targets,
fitted in closed form. The networks and the map make different errors, so the
mean of the two forecasts can beat both (``Forecaster(blend="linear")``). The
mean, not a weight fitted on the validation windows: on ETTh2 at 336 steps the
validation windows gave the networks no weight at all while the equal mix beat
both on the test windows (docs/longhorizon.md); equal weights are the robust
choice of the forecast-combination literature.

A map may also be anchored on the value a season before each forecast row
(``anchor="season"``) instead of the window's last value: with a strong ridge it
stays near the seasonal naive forecast and learns corrections to it, which holds
on short trended seasonal series where the last-value map overfits
(``lstmcast.forecast.combination`` offers both to the choice on the validation windows).

Everything here is in the units the networks see (scaled), on windows
``(W, L, inputs)`` and outputs ``(W, steps * targets)``, step-major.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

RIDGE = 1e-3
"""Ridge on the map's weights, per window and channel (the data are scaled to unit spread)."""

CHUNK = 8192
"""Windows gathered at a time while fitting or forecasting."""

ANCHORS = ("last", "season")


def seasonal_positions(window: int, steps: int, season: int, horizon: int) -> np.ndarray:
    """For each forecast step, the window row one or more seasons before its target row
    (the seasonal naive forecast's source): target row ``window - 1 + horizon + s``,
    moved back by the fewest whole seasons that land inside the window."""
    offsets = horizon + np.arange(steps)
    rows = window - 1 + offsets - seasons_back(steps, season, horizon) * season
    if (rows < 0).any():
        raise ValueError(f"a window of {window} rows does not hold a season of {season}")
    return rows


def seasons_back(steps: int, season: int, horizon: int) -> np.ndarray:
    """For each forecast step, how many seasons ``seasonal_positions`` goes back from its
    target row: the fewest that reach the window (int64, one per step)."""
    return np.ceil((horizon + np.arange(steps)) / season).astype(np.int64)


class WindowLinearMap:
    """``y_t - anchor_t = window_t_relative @ weights[:-1] + weights[-1]`` for every target t.

    ``window_t_relative`` is target t's column of the window (its first ``window``
    rows) minus its last value; one ``weights`` (window + 1, steps) serves all targets.
    ``anchor_t`` is the window's last value ("last"), or for each step the value a
    season before its target row ("season").

    Args:
        window: rows of each window the map reads.
        steps: forecast steps per target.
        columns: the targets' positions among the window's columns.
        anchor: "last" or "season" (which needs ``season`` and ``horizon``).
        ridge: the ridge on the weights, per window and channel.
        constants: for a map made by a smoothing (``lstmcast.forecast.smoothing``), its
            constants by name, kept with the map to be shown.
    """

    def __init__(self, window: int, steps: int, columns: list[int],
                 weights: np.ndarray | None = None, anchor: str = "last",
                 ridge: float = RIDGE, season: int | None = None, horizon: int = 1,
                 constants: dict[str, float] | None = None) -> None:
        if anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, not {anchor!r}")
        self.window = window
        self.steps = steps
        self.columns = list(columns)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.anchor, self.ridge, self.season, self.horizon = anchor, ridge, season, horizon
        self.constants = None if constants is None else dict(constants)
        self._rows = (seasonal_positions(window, steps, season, horizon)
                      if anchor == "season" else None)

    def _history(self, x: Any, start: int, stop: int, column: int) -> np.ndarray:
        """Windows ``start:stop``'s values of one target column, (W, window)."""
        return np.asarray(x[start:stop, :self.window, column], dtype=np.float64)

    def _base(self, history: np.ndarray) -> np.ndarray:
        """The anchor: each window's last value (W, 1), or each step's value a season
        before its target row (W, steps)."""
        return history[:, -1:] if self._rows is None else history[:, self._rows]

    def _design(self, x: Any, start: int, stop: int, column: int
                ) -> tuple[np.ndarray, np.ndarray]:
        history = self._history(x, start, stop, column)
        return _relative(history), self._base(history)

    def fit(self, chunks: Iterable[tuple[Any, np.ndarray]]) -> WindowLinearMap:
        """Fit on ``(x, y)`` pairs (windows, scaled targets (W, steps * targets)), summed
        as normal equations so the windows need not all be in memory at once."""
        fit_maps([self], chunks)
        return self

    def predict(self, x: Any) -> np.ndarray:
        """Forecasts (W, steps * targets) for windows ``x``, float32 like the networks'."""
        out = np.empty((len(x), self.steps, len(self.columns)), dtype=np.float32)
        for start in range(0, len(x), CHUNK):
            stop = min(start + CHUNK, len(x))
            for t, column in enumerate(self.columns):
                a, base = self._design(x, start, stop, column)
                out[start:stop, :, t] = a @ self.weights + base
        return out.reshape(len(x), -1)

    def get_config(self) -> dict[str, Any]:
        config = {"window": self.window, "steps": self.steps, "columns": self.columns}
        if self.anchor != "last" or self.ridge != RIDGE:  # the first maps' config, unchanged
            config.update(anchor=self.anchor, ridge=self.ridge, season=self.season,
                          horizon=self.horizon)
        if self.constants is not None:
            config["constants"] = self.constants
        return config


def fit_maps(maps: list[WindowLinearMap], chunks: Iterable[tuple[Any, np.ndarray]]) -> None:
    """Fit ``maps`` that read the same windows (the same window, steps and target columns)
    in one pass over ``chunks``: they share the design, so its normal matrix is summed
    once and only each map's right-hand side (the targets less its anchor) is its own;
    each map then adds its own ridge. A table read in shards is read once for all."""
    first = maps[0]
    if any((m.window, m.steps, m.columns) != (first.window, first.steps, first.columns)
           for m in maps):
        raise ValueError("maps fitted together must read the same windows")
    size = first.window + 1
    gram = np.zeros((size, size))
    crosses = [np.zeros((size, first.steps)) for _ in maps]
    rows = 0
    for x, y in chunks:
        y = np.asarray(y, dtype=np.float64).reshape(len(y), first.steps, len(first.columns))
        for start in range(0, len(y), CHUNK):
            stop = min(start + CHUNK, len(y))
            for t, column in enumerate(first.columns):
                history = first._history(x, start, stop, column)
                a = _relative(history)
                gram += a.T @ a
                for m, cross in zip(maps, crosses):
                    cross += a.T @ (y[start:stop, :, t] - m._base(history))
                rows += len(a)
    if rows == 0:
        raise ValueError("no windows to fit the linear map on")
    for m, cross in zip(maps, crosses):
        ridged = gram.copy()
        ridged[:-1, :-1] += m.ridge * rows * np.eye(first.window)
        m.weights = np.linalg.solve(ridged, cross)


def _relative(history: np.ndarray) -> np.ndarray:
    """The design: each window relative to its last value, and a column of ones."""
    return np.hstack([history - history[:, -1:], np.ones((len(history), 1))])
