"""Holt-Winters smoothing over each window: a candidate forecast that reads the
window as exponential smoothing does.

The forecasts a Forecaster chooses among (``lstmcast.forecast.combination``)
were either free least-squares maps of the window, which overfit on short
seasonal series, or fixed rules (the naive forecasts, the drift). Exponential
smoothing sits between them: four constants, fitted on the data. Here additive
Holt-Winters (a level, a damped trend, a season) starts from the window's
first rows and follows its rows to the last:

- start: with a season of ``m`` rows and a window of two seasons or more, the
  level is the first season's mean, the trend the change from the first
  season's mean to the second's per row, each phase's seasonal term its row
  of the first season less that line; with a window of one to two seasons the
  trend starts at zero; without a season the level starts at the first row;
- each row: the error ``e = y - (level + phi * trend + season)``, then
  ``level += phi * trend + alpha * e``, ``trend = phi * trend + beta * e``,
  ``season += gamma * e`` (the error-correction form);
- the forecast ``h`` rows ahead: the level, plus ``phi + ... + phi^h`` times
  the trend, plus the phase's seasonal term.

Every step is linear in the window's rows, so each window's forecast is the
window times one fixed ``(rows, steps)`` matrix, whose columns sum to one: the
candidate is a ``WindowLinearMap`` with those weights (no intercept, anchored
on the last value), saved, loaded and put into the ONNX graph as the maps are.
The constants are chosen on a grid by the error of every forecast step over
the training windows (as the forecast is used; ETS fits one step ahead).

Judged on the development panel's cheap candidates (benchmarks/panel_choice.py,
docs/panel.md). Long windows are read from their last ``rows_read`` rows, so
that the fit stays quick.

No torch here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np

from lstmcast.forecast.linear_map import WindowLinearMap

ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
BETAS = (0.0, 0.01, 0.05, 0.1, 0.2)
GAMMAS = (0.0, 0.05, 0.1, 0.2, 0.4)
PHIS = (0.8, 0.9, 0.98, 1.0)
"""The grid of the constants (level, trend, season, damping); without a trend the
damping does not matter, so it is tried at 1 only."""

SAMPLE = 4096
"""At most this many training windows (per target column) fit the constants."""

BATCH = 64
"""Constants run through the window together."""


LONGEST_SEASON = 288
"""The longest season the smoothing keeps: a day of 5-minute rows. A day of minutes (1440
rows) made fitting it 87% of a three-minute run on 20,000 rows (the fit grows with the
square of the rows read, and the log's folds fit it six times), and its terms would start
from one day of noisy minutes: the smoothing runs without a season there."""


def rows_read(window: int, season: int | None) -> int:
    """The window's last rows the smoothing reads: four seasons it keeps, at least 60 rows."""
    kept = season if season and season <= LONGEST_SEASON else 1
    return min(window, max(60, 4 * kept))


def seasonal(rows: int, season: int | None) -> bool:
    """Whether the smoothing keeps a season: one of more than a row and at most
    ``LONGEST_SEASON``, within the rows."""
    return bool(season) and 1 < season <= LONGEST_SEASON and rows >= season


def grid(season_kept: bool) -> np.ndarray:
    """The constants tried, (P, 4): alpha, beta, gamma, phi."""
    out = [(a, b, g, p) for a, b, g, p in
           itertools.product(ALPHAS, BETAS, GAMMAS if season_kept else (0.0,), PHIS)
           if b > 0 or p == 1.0]
    return np.asarray(out, dtype=np.float64)


def smooth(history: np.ndarray, season: int | None, params: np.ndarray, horizon: int,
           steps: int) -> np.ndarray:
    """Forecasts ``(P, W, steps)`` of windows ``history`` (W, rows) under each row of
    ``params`` (P, 4), the first target row ``horizon`` rows after the last."""
    history = np.asarray(history, dtype=np.float64)
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    count, rows = history.shape
    alpha, beta, gamma, phi = (params[:, i, None] for i in range(4))
    if seasonal(rows, season):
        m = int(season)
        first = history[:, :m].mean(axis=1)
        trend = ((history[:, m:2 * m].mean(axis=1) - first) / m if rows >= 2 * m
                 else np.zeros(count))
        level = first + trend * (m - 1) / 2
        terms = history[:, :m] - (first[:, None]
                                  + trend[:, None] * (np.arange(m) - (m - 1) / 2))
        terms = np.repeat(terms[None], len(params), axis=0)  # (P, W, m)
        start = m
    else:
        m, level, trend, terms, start = 1, history[:, 0], np.zeros(count), None, 1
    level = np.repeat(level[None], len(params), axis=0)
    trend = np.repeat(trend[None], len(params), axis=0)
    for t in range(start, rows):
        term = terms[:, :, t % m] if terms is not None else 0.0
        error = history[None, :, t] - (level + phi * trend + term)
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        if terms is not None:
            terms[:, :, t % m] = term + gamma * error
    ahead = horizon + np.arange(steps)
    powers = phi[:, :, None] ** np.arange(1, ahead.max() + 1)[None, None, :]  # (P, 1, H)
    damped = np.cumsum(powers, axis=2)[:, :, ahead - 1]  # (P, 1, steps)
    out = level[:, :, None] + damped * trend[:, :, None]
    if terms is not None:
        out = out + terms[:, :, (rows - 1 + ahead) % m]
    return out


def matrices(rows: int, season: int | None, params: np.ndarray, horizon: int,
             steps: int) -> np.ndarray:
    """``(P, rows, steps)``: the forecast of a window is ``window @ matrix`` (the
    smoothing is linear in the rows: the identity's rows give the matrix's)."""
    return smooth(np.eye(rows), season, params, horizon, steps)


def fit(history: np.ndarray, targets: np.ndarray, season: int | None, horizon: int,
        steps: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The constants whose forecasts of ``history`` (W, rows) score best against
    ``targets`` (W, steps) (mean squared error over every step; ties to the earlier
    grid point), their matrix and that error."""
    history = np.asarray(history, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if len(history) == 0:
        raise ValueError("no training windows to fit the smoothing on")
    rows = history.shape[1]
    gram, cross = history.T @ history, history.T @ targets
    base = float(np.square(targets).sum())
    candidates = grid(seasonal(rows, season))
    best = (np.inf, None, None)
    for start in range(0, len(candidates), BATCH):
        params = candidates[start:start + BATCH]
        maps = matrices(rows, season, params, horizon, steps)  # (P, rows, steps)
        # |X M - Y|^2 = tr(M' G M) - 2 tr(M' C) + |Y|^2, without forming X M
        sse = ((maps * (gram @ maps)).sum(axis=(1, 2))
               - 2 * (maps * cross).sum(axis=(1, 2)) + base)
        i = int(np.argmin(sse))
        if sse[i] < best[0]:
            best = (float(sse[i]), params[i], maps[i])
    return best[1], best[2], max(best[0], 0.0) / targets.size


class Sample:
    """The target columns' last ``rows`` rows of the training windows and their
    targets, gathered as the windows pass by: at most ``SAMPLE`` of each chunk (every
    k-th), and when more than twice ``SAMPLE`` have gathered (a table read in many
    shards), every other one of them, so that memory stays bounded."""

    def __init__(self, rows: int, steps: int, columns: list[int], window: int) -> None:
        self.rows, self.steps, self.columns, self.window = rows, steps, list(columns), window
        self.history: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []

    def counted(self, chunks: Iterable[tuple[Any, Any]]) -> Iterable[tuple[Any, Any]]:
        for x, y in chunks:
            stride = max(1, -(-len(y) // SAMPLE))
            keep = np.arange(0, len(y), stride)
            y_kept = np.asarray(y, dtype=np.float64)[keep].reshape(len(keep), self.steps, -1)
            for t, c in enumerate(self.columns):
                self.history.append(np.asarray(
                    x[keep, self.window - self.rows:self.window, c], dtype=np.float64))
                self.targets.append(y_kept[:, :, t])
            if sum(len(h) for h in self.history) > 2 * SAMPLE:
                self.history = [np.concatenate(self.history)[::2]]
                self.targets = [np.concatenate(self.targets)[::2]]
            yield x, y

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        history = np.concatenate(self.history) if self.history else np.zeros((0, self.rows))
        targets = np.concatenate(self.targets) if self.targets else np.zeros((0, self.steps))
        if len(history) > SAMPLE:
            keep = np.linspace(0, len(history) - 1, SAMPLE).astype(np.int64)
            history, targets = history[keep], targets[keep]
        return history, targets


def smoothing_map(sample: Sample, season: int | None, horizon: int) -> WindowLinearMap:
    """The smoothing fitted on ``sample``, as a map of the whole window (zero weight on
    rows before the last ``sample.rows``); ``constants`` holds alpha, beta, gamma, phi."""
    history, targets = sample.arrays()
    params, matrix, _ = fit(history, targets, season, horizon, sample.steps)
    weights = np.zeros((sample.window + 1, sample.steps))
    weights[sample.window - sample.rows:sample.window] = matrix
    constants = dict(zip(("alpha", "beta", "gamma", "phi"), map(float, params)))
    return WindowLinearMap(sample.window, sample.steps, sample.columns, weights,
                           constants=constants)
