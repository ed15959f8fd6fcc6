"""A season found in the rows themselves, for tables whose time column does not give one.

A CSV of values only (no time column), a time column of plain numbers, or yearly rows
have no season from the calendar, though the values may repeat: half-hourly demand
written without its times repeats every 48 rows, a quarterly series every 4.
``find_season`` looks for such a cycle in the autocorrelation of the rows' changes:

- each series' changes from row to row (so a trend or a random walk adds no
  correlation at long lags), their autocorrelation up to a third of the series' rows
  (a cycle must repeat at least three times), averaged over the series, weighted by
  their rows;
- a candidate lag is a local peak of the mean autocorrelation at it and its first
  ``REPEATS`` multiples (where the rows reach them: a season repeats, a lag beside it
  drifts off its multiples), above ``MIN_CORRELATION`` and above ``Z`` times its
  standard error under no correlation beyond the earlier lags (Bartlett's formula),
  and a rise of as much from the lowest autocorrelation at a shorter lag from the
  second on (a smooth series correlates highly at its first lags, and noise makes the
  changes' first lag negative: no cycle yet);
- the season is the shortest candidate whose autocorrelation is within ``NEAR_BEST``
  of the highest one (so hourly rows that peak at a day and again at a week give the
  day), or the lag beside it where the mean autocorrelation at every multiple within
  reach is higher (a broad peak may crest a row off).

The thresholds were set on simulated series without a cycle (random walks with and
without drift, white noise, AR(1) and MA(1) series, trends, heavy-tailed walks; 20 to
2,000 rows, 300 of each: 0.15% found a season, at most 1.3% of one kind and length)
and checked on the development panel with its times removed (docs/panel.md, and
tests/test_seasonality.py): 11 of its 13 tables with a calendar season of 4, 7, 12,
24 or 48 are found with it, and none with another; the other two (frozen juice prices,
US macro data: their changes show no cycle) and the yearly, stock and weekly index
tables get none. Changes read a smooth cycle buried in
noise poorly (a sine of 24 rows under as much noise is seldom found): such a table
needs ``season`` given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

MIN_CORRELATION = 0.2
Z = 3.0
Z_AGAIN = 1.5
NEAR_BEST = 0.9
REPEATS = 3
MAX_SEASON = 2000  # rows: longer cycles are left to a season given by hand
MAX_SERIES = 2000  # series read, evenly spaced, when a table holds more


@dataclass(frozen=True)
class FoundSeason:
    """A cycle found in the rows: its length in rows and the autocorrelation of the
    rows' changes at that lag (averaged over the series)."""

    period: int
    correlation: float

    def describe(self) -> str:
        return (f"found in the rows: their changes repeat every {self.period} rows, "
                f"autocorrelation {self.correlation:.2f}")

    def get_config(self) -> dict[str, float | int]:
        return {"period": self.period, "correlation": round(self.correlation, 4)}

    @classmethod
    def from_config(cls, config: dict[str, float | int] | None) -> FoundSeason | None:
        return None if not config else cls(int(config["period"]),
                                           float(config["correlation"]))


def autocorrelation(series: Sequence[np.ndarray], max_lag: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The autocorrelation of the series' changes at lags 0..``max_lag``, averaged over
    the series (each weighted by its changes, at the lags it is long enough for: three
    times the lag), and the number of changes behind each lag."""
    total = np.zeros(max_lag + 1)
    weight = np.zeros(max_lag + 1)
    for y in series:
        d = np.diff(np.asarray(y, dtype=np.float64))
        d = d[np.isfinite(d)]
        reach = min(max_lag, (len(d) - 1) // 3)
        if reach < 1:
            continue
        mean = d.mean()
        d = d - mean
        if d.std() <= 1e-9 * max(1.0, abs(mean)):
            continue  # no changes to speak of (a constant, or a straight line)
        size = 1 << int(np.ceil(np.log2(2 * len(d))))
        spectrum = np.fft.rfft(d, size)
        cov = np.fft.irfft(spectrum * np.conj(spectrum), size)[: reach + 1]
        total[: reach + 1] += len(d) * cov / cov[0]
        weight[: reach + 1] += len(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / np.maximum(weight, 1), np.nan), weight


def find_season(series: Sequence[np.ndarray]) -> FoundSeason | None:
    """The season of the series' rows (one list entry per series), or None when their
    changes show no cycle that repeats (see the module docstring)."""
    if len(series) > MAX_SERIES:
        pick = np.linspace(0, len(series) - 1, MAX_SERIES).round().astype(int)
        series = [series[i] for i in pick]
    longest = max((len(y) for y in series), default=0)
    max_lag = min(MAX_SEASON * 2 + 1, (longest - 2) // 3)
    if max_lag < 3:
        return None
    r, n = autocorrelation(series, max_lag)
    squares = np.concatenate([[0.0], np.cumsum(np.nan_to_num(r[1:]) ** 2)])
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.sqrt((1 + 2 * squares[:-1]) / n[1:])  # lag m reads lags below it
    error = np.concatenate([[np.inf], error])
    comb = np.full(max_lag + 1, -np.inf)
    comb_error = np.full(max_lag + 1, np.inf)
    for m in range(1, min(MAX_SEASON, max_lag - 1) + 2):
        lags = np.arange(1, REPEATS + 1) * m
        lags = lags[lags <= max_lag]
        comb[m] = np.mean(r[lags])
        comb_error[m] = np.sqrt(np.mean(error[lags] ** 2) / len(lags))
    found = [m for m in range(2, min(MAX_SEASON, max_lag - 1) + 1)
             if comb[m] >= comb[m - 1] and comb[m] >= comb[m + 1]
             and comb[m] > max(MIN_CORRELATION, Z * comb_error[m])
             and r[m] > MIN_CORRELATION and r[m] - _trough(r, m) > MIN_CORRELATION]
    if not found:
        return None
    best = max(r[m] for m in found)
    period = next(m for m in found if r[m] >= NEAR_BEST * best)
    # a broad peak (a smooth cycle under noise) may crest a row off: the lag beside it
    # whose every multiple within reach correlates more is the season
    period = max((m for m in (period - 1, period, period + 1) if 2 <= m <= max_lag),
                 key=lambda m: (np.nanmean(r[np.arange(m, max_lag + 1, m)]), m == period))
    return FoundSeason(period, float(r[period]))


def _trough(r: np.ndarray, m: int) -> float:
    """The lowest autocorrelation before lag ``m`` that a season's rise is measured from:
    at lags 2 to m - 1, since noise alone makes the changes' first lag negative (a smooth
    cycle's changes then peak at lag 2 without repeating there); for lag 2, its first
    lag, which must itself fall (an alternation)."""
    if m == 2:
        return float(r[1]) if r[1] < -MIN_CORRELATION else np.inf
    return float(np.min(r[2:m]))
