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

GCV = "gcv"
"""``ridge=GCV``: each step's ridge chosen from ``RIDGES`` by generalized cross-validation."""

RIDGES = np.logspace(-5, 1.5, 27)
"""The ridges GCV chooses among, per window and channel (``RIDGE`` is one of them)."""

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
        ridge: the ridge on the weights, per window and channel, or ``"gcv"``: for each
            step, the ridge of ``RIDGES`` with the lowest generalized cross-validation
            error on the training windows (``ridges`` after fitting).
        constants: for a map made by a smoothing (``lstmcast.forecast.smoothing``), its
            constants by name, kept with the map to be shown.
    """

    def __init__(self, window: int, steps: int, columns: list[int],
                 weights: np.ndarray | None = None, anchor: str = "last",
                 ridge: float = RIDGE, season: int | None = None, horizon: int = 1,
                 constants: dict[str, float] | None = None) -> None:
        if anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, not {anchor!r}")
        if ridge != GCV and not isinstance(ridge, (int, float)):
            raise ValueError(f"ridge must be a number or {GCV!r}, not {ridge!r}")
        self.window = window
        self.steps = steps
        self.columns = list(columns)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.anchor, self.ridge, self.season, self.horizon = anchor, ridge, season, horizon
        self.constants = None if constants is None else dict(constants)
        self.ridges: np.ndarray | None = None  # each step's ridge, once fitted
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
    squares = [np.zeros(first.steps) for _ in maps]  # each step's sum of squared targets
    rows = 0
    for x, y in chunks:
        y = np.asarray(y, dtype=np.float64).reshape(len(y), first.steps, len(first.columns))
        for start in range(0, len(y), CHUNK):
            stop = min(start + CHUNK, len(y))
            for t, column in enumerate(first.columns):
                history = first._history(x, start, stop, column)
                a = _relative(history)
                gram += a.T @ a
                for m, cross, square in zip(maps, crosses, squares):
                    target = y[start:stop, :, t] - m._base(history)
                    cross += a.T @ target
                    square += np.square(target).sum(axis=0)
                rows += len(a)
    if rows == 0:
        raise ValueError("no windows to fit the linear map on")
    for m, cross, square in zip(maps, crosses, squares):
        if m.ridge == GCV:
            m.weights, m.ridges = gcv_ridge(gram, cross, square)
            continue
        ridged = gram.copy()
        ridged[:-1, :-1] += m.ridge * rows * np.eye(first.window)
        m.weights = np.linalg.solve(ridged, cross)
        m.ridges = np.full(first.steps, float(m.ridge))


def gcv_ridge(gram: np.ndarray, cross: np.ndarray, squares: np.ndarray,
              ridges: np.ndarray = RIDGES) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression of each step with its ridge chosen by generalized cross-validation
    (Golub, Heath and Wahba 1979), from the sums a pass over the windows gives.

    The design is ``[X, 1]`` (the window relative to its last value, and an intercept
    that is not penalized). For a ridge ``lam`` (per row: ``lam * n`` in all), the fitted
    targets are ``H y`` and GCV is ``n * |y - H y|^2 / (n - trace H)^2``; with the
    intercept unpenalized, that is ridge regression on centred columns, whose terms come
    from the eigenvalues ``d`` of the centred ``X'X`` and the projections ``p`` of the
    centred ``X'y`` on its eigenvectors: ``|y - H y|^2 = |y|^2 - sum p^2 (d + 2 lam) /
    (d + lam)^2`` and ``trace H = 1 + sum d / (d + lam)``.

    Args:
        gram: ``[X, 1]' [X, 1]`` summed over the rows, (k + 1, k + 1).
        cross: ``[X, 1]' Y``, (k + 1, steps).
        squares: each step's sum of ``Y ** 2``, (steps,).
        ridges: the ridges to choose among, per row.

    Returns:
        The weights (k + 1, steps), the intercept last, and each step's ridge (steps,).
    """
    n = gram[-1, -1]
    mean_x, mean_y = gram[:-1, -1] / n, cross[-1] / n
    centred = gram[:-1, :-1] - n * np.outer(mean_x, mean_x)
    d, vectors = np.linalg.eigh(centred)
    d = np.clip(d, 0.0, None)
    p = vectors.T @ (cross[:-1] - n * np.outer(mean_x, mean_y))  # (k, steps)
    spread = squares - n * mean_y ** 2
    best, chosen = np.full(len(spread), np.inf), np.zeros(len(spread))
    for ridge in np.asarray(ridges, dtype=np.float64):
        lam = ridge * n
        explained = ((d + 2 * lam) / (d + lam) ** 2) @ np.square(p)
        used = 1.0 + float((d / (d + lam)).sum())
        score = n * np.clip(spread - explained, 0.0, None) / max(n - used, 1e-12) ** 2
        better = score < best
        best, chosen = np.where(better, score, best), np.where(better, ridge, chosen)
    weights = vectors @ (p / (d[:, None] + chosen[None, :] * n))
    return np.vstack([weights, mean_y - mean_x @ weights]), chosen


def _relative(history: np.ndarray) -> np.ndarray:
    """The design: each window relative to its last value, and a column of ones."""
    return np.hstack([history - history[:, -1:], np.ones((len(history), 1))])
