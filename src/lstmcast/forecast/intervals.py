"""Quantile forecasts and intervals: levels, the scores that judge them, conformal calibration.

A Forecaster with ``quantiles`` forecasts, for every step and target, the
values below which the truth should fall with those probabilities. This
module holds what that needs besides the network:

- ``check_levels``: the levels, checked (inside (0, 1), distinct) and sorted.
- ``Intervals``: the layout of the network's outputs (point or one output per
  trained level), the rearrangement that keeps quantiles from crossing, the
  conformal shifts fitted on validation windows (``calibrate``), and the
  bounds kept around the point forecast (``around``).
- NumPy scores in the target's units: ``pinball`` per level, ``crps``
  approximated from the quantiles, and ``coverage`` / ``width`` of the central
  intervals (``central_pairs``).
- ``residual_quantiles``: a baseline's interval from its own errors on the
  training part, so baselines are judged on intervals too.

Conformal calibration, one-sided per level (split conformal): for level tau
at each step and target, the scores are ``e = y - q_tau`` on the n validation
windows, and the quantile moves by their k-th smallest value, k = ceil((n + 1)
tau) for tau >= 0.5 and floor((n + 1) tau) for tau < 0.5. If validation and
test errors are exchangeable, P(y <= calibrated q_tau) >= tau for the upper
levels and P(y < calibrated q_tau) <= tau for the lower ones, so the central
interval (tau, 1 - tau) covers at least 1 - 2 tau. For a point model every
level starts at the point forecast (intervals from calibrated residuals); for
a quantile model this is conformalized quantile regression, one side at a time.
Windows of a time series overlap and are not exchangeable: the guarantee then
holds as far as the validation period's errors are like the future's.

Every central interval contains the point forecast: after the sorting and the
calibration (if any), a level below 0.5 is lowered to the point where it lies
above it, and a level above 0.5 raised to it where it lies below (uncalibrated,
this matters only where trained levels crossed the median). Without this, the point
fell outside its own band whenever a level's shift was larger than that row's
gap between the point and the quantile: the shifts are fitted one level at a
time and are one constant per step and target, while the gap varies from row
to row (and is zero for a point model). A shift that large means the
validation errors are lopsided: when more than 1 - tau of them lie above the
point (a point forecast too low on the validation period), the level tau moves
above the point in every row. Moving a lower bound down, or an upper bound up,
only widens the interval, so the promises above still hold (P(y >= lower) and
P(y <= upper) can only grow), and on the validation windows each tail still
holds at most tau of the truths. The point forecast itself is never
calibrated: it is the network's output (the trained median, or the mean for
the MSE loss), the one the point scores judge. The 0.5 column, when asked for,
is the calibrated 0.5 level, the point plus the median validation error (for
a quantile model, the trained median plus its own shift): it differs from
the point by as much as the point was off-centre on validation, and a point
at the edge of its band says the same.

Shapes: W windows, S steps, Q levels, K targets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from lstmcast.checks import invalid
from lstmcast.errors import InvalidArgumentError


def check_levels(value: Any, name: str = "quantiles") -> tuple[float, ...]:
    """The quantile levels, sorted; an error for a level outside (0, 1) or a repeated one."""
    expected = "quantile levels strictly between 0 and 1, such as (0.1, 0.5, 0.9)"
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise invalid(name, expected, value)
    levels = list(value)
    if not levels:
        raise invalid(name, expected, value)
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)):
            raise invalid(name, expected, value)
        if not 0.0 < float(level) < 1.0:
            raise InvalidArgumentError(
                f"Quantile level {level!r} in `{name}` is outside (0, 1): a level is the "
                "probability that the truth falls below the forecast, such as 0.1 or 0.9.")
        out.append(round(float(level), 6))
    repeated = sorted({v for v in out if out.count(v) > 1})
    if repeated:
        raise InvalidArgumentError(f"Quantile level {repeated[0]} appears more than once in "
                                   f"`{name}` {tuple(levels)}.")
    return tuple(sorted(out))


def label(level: float) -> str:
    """A level as it appears in column names: 0.1 -> "0.1", 0.025 -> "0.025"."""
    return f"{level:g}"


def quantile_columns(target: str, levels: Sequence[float]) -> list[str]:
    """The quantile columns of ``target`` in a forecast table: ``OT_q0.1``, ``OT_q0.9``..."""
    return [f"{target}_q{label(t)}" for t in levels]


def central_pairs(levels: Sequence[float]) -> list[tuple[float, float, int]]:
    """The central intervals the levels hold: (lower, upper, percent covered), widest first."""
    pairs = []
    for low in levels:
        high = round(1.0 - low, 6)
        if low < 0.5 and high in levels:
            pairs.append((low, high, round(100 * (high - low))))
    return pairs


def min_windows(levels: Sequence[float]) -> int:
    """Validation windows conformal calibration needs for ``levels``: n with
    ceil((n + 1) m) <= n for m = the level farthest from 0.5, taken both sides."""
    far = max(max(t, 1.0 - t) for t in levels)
    return math.ceil(far / (1.0 - far) - 1e-9)


def conformal_shift(scores: np.ndarray, level: float) -> np.ndarray:
    """The shift of level ``level`` from scores (n, ...) = truth - quantile, per column."""
    n = scores.shape[0]
    k = math.ceil((n + 1) * level - 1e-9) if level >= 0.5 else math.floor((n + 1) * level + 1e-9)
    if not 1 <= k <= n:
        raise InvalidArgumentError(
            f"Calibrating quantile {label(level)} needs at least {min_windows([level])} "
            f"validation windows; there are {n}.")
    return np.sort(scores, axis=0)[k - 1]


class Intervals:
    """How a Forecaster's network outputs become a point forecast and quantiles.

    Args:
        levels: the quantile levels forecast (sorted), or () for point forecasts only.
        trained: the network has one output per level (trained on the pinball
            loss, with 0.5 added for the point forecast); else it has one point
            output and the levels come from calibration.
        steps, targets: S and K.

    Attributes:
        network_levels: the levels of the network's outputs (() for a point network).
        shifts_: (S, Q, K) conformal shifts in the network's units, or None.
        calibration_windows_: the validation windows the shifts came from.
    """

    def __init__(self, levels: Sequence[float], trained: bool, steps: int, targets: int) -> None:
        self.levels = tuple(levels)
        self.trained = bool(trained)
        self.steps, self.targets = steps, targets
        self.network_levels = (tuple(sorted({*self.levels, 0.5})) if self.trained and self.levels
                               else ())
        self.shifts_: np.ndarray | None = None
        self.calibration_windows_ = 0

    @property
    def slots(self) -> int:
        """Network outputs per step and target."""
        return max(1, len(self.network_levels))

    def split(self, outputs: np.ndarray, calibrated: bool = True
              ) -> tuple[np.ndarray, np.ndarray | None]:
        """Network outputs (W, S * slots * K) -> point (W, S * K) and quantiles (W, S, Q, K),
        both in the network's units; quantiles sorted per window, step and target, with
        every central interval containing the point (``around``), or None when the model
        forecasts no levels."""
        w = len(outputs)
        point, quantiles = self._outputs(outputs)
        if quantiles is None:
            return point.reshape(w, -1), None
        if calibrated and self.shifts_ is not None:
            quantiles = np.sort(quantiles + self.shifts_[None], axis=2)
        return point.reshape(w, -1), self.around(point, quantiles)

    def _outputs(self, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The network's point (W, S, K) and its quantiles (W, S, Q, K), sorted, neither
        calibrated nor put around the point: what the shifts are fitted to and added to."""
        out = np.asarray(outputs).reshape(len(outputs), self.steps, self.slots, self.targets)
        if not self.network_levels:
            point = out[:, :, 0]
            if not self.levels:
                return point, None
            return point, np.repeat(point[:, :, None], len(self.levels), axis=2)
        point = out[:, :, self.network_levels.index(0.5)]
        keep = [self.network_levels.index(t) for t in self.levels]
        return point, np.sort(out, axis=2)[:, :, keep]

    def around(self, point: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
        """Sorted quantiles (W, S, Q, K) with every central interval around ``point``
        (W, S, K): levels below 0.5 at most the point, levels above 0.5 at least it.
        Only widens the intervals (the module docstring says why), keeps the order."""
        below = np.array([t < 0.5 for t in self.levels])[None, None, :, None]
        above = np.array([t > 0.5 for t in self.levels])[None, None, :, None]
        p = np.asarray(point, dtype=np.float64)[:, :, None, :]
        q = np.asarray(quantiles, dtype=np.float64)
        return np.where(below, np.minimum(q, p), np.where(above, np.maximum(q, p), q))

    def check_windows(self, n: int) -> None:
        """An error when ``n`` validation windows are too few to calibrate these levels."""
        need = min_windows(self.levels)
        if n < need:
            raise InvalidArgumentError(
                f"Calibrating the quantiles {', '.join(map(label, self.levels))} needs at "
                f"least {need} validation windows, and this table gives {n}: raise "
                "`validation`, or give more rows.")

    def calibrate(self, outputs: np.ndarray, truth: np.ndarray) -> Intervals:
        """Fit the conformal shifts on validation outputs and their truths (W, S * K).

        Raises:
            InvalidArgumentError: fewer validation windows than the levels need.
        """
        if not self.levels:
            raise InvalidArgumentError("Calibration makes intervals at quantile levels: give "
                                       "`quantiles` too, e.g. quantiles=(0.1, 0.9).")
        self.check_windows(len(outputs))
        _, quantiles = self._outputs(outputs)
        y = np.asarray(truth, dtype=np.float64).reshape(len(outputs), self.steps, 1,
                                                        self.targets)
        scores = y - quantiles  # (W, S, Q, K)
        self.shifts_ = np.stack([conformal_shift(scores[:, :, q], level)
                                 for q, level in enumerate(self.levels)], axis=1)
        self.calibration_windows_ = len(outputs)
        return self

    def get_config(self) -> dict[str, Any]:
        return {"levels": list(self.levels), "trained": self.trained,
                "steps": self.steps, "targets": self.targets,
                "shifts": None if self.shifts_ is None else self.shifts_.tolist(),
                "calibration_windows": self.calibration_windows_}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Intervals:
        out = cls(config["levels"], config["trained"], config["steps"], config["targets"])
        if config.get("shifts") is not None:
            out.shifts_ = np.asarray(config["shifts"], dtype=np.float64)
        out.calibration_windows_ = int(config.get("calibration_windows", 0))
        return out


# -- scores, in the target's units --------------------------------------------------------
def pinball(truth: np.ndarray, quantile: np.ndarray, level: float) -> float:
    """Mean pinball (quantile) loss of one level: tau (y - q) above q, (1 - tau) (q - y) below."""
    e = np.asarray(truth, np.float64) - np.asarray(quantile, np.float64)
    return float(np.mean(np.maximum(level * e, (level - 1.0) * e)))


def crps(truth: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]) -> float:
    """CRPS approximated from quantiles (W, S, Q): twice the mean pinball loss over the levels.

    CRPS = 2 * integral over tau of the pinball loss; with levels spread over
    (0, 1) the mean over them approximates the integral (GluonTS's mean
    quantile loss, unweighted). Few levels make it coarse; it is comparable
    between models scored on the same levels.
    """
    return 2.0 * float(np.mean([pinball(truth, quantiles[:, :, q], t)
                                for q, t in enumerate(levels)]))


def coverage(truth: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """The fraction of true values inside [low, high]."""
    t = np.asarray(truth, np.float64)
    return float(np.mean((t >= low) & (t <= high)))


def width(low: np.ndarray, high: np.ndarray) -> float:
    """The mean width of the intervals."""
    return float(np.mean(np.asarray(high, np.float64) - np.asarray(low, np.float64)))


def interval_scores(truth: np.ndarray, quantiles: np.ndarray, levels: Sequence[float]
                    ) -> dict[str, float]:
    """Pinball per level, CRPS, and coverage and width per central interval, for one target.

    ``truth`` (W, S), ``quantiles`` (W, S, Q).
    """
    row = {f"pinball_{label(t)}": pinball(truth, quantiles[:, :, q], t)
           for q, t in enumerate(levels)}
    row["crps"] = crps(truth, quantiles, levels)
    for low, high, pct in central_pairs(levels):
        lo, hi = quantiles[:, :, levels.index(low)], quantiles[:, :, levels.index(high)]
        row[f"coverage_{pct}"] = coverage(truth, lo, hi)
        row[f"width_{pct}"] = width(lo, hi)
    return row


INTERVAL_PREFIXES = ("pinball_", "crps", "coverage_", "width_", "late_lower_", "phm08_lower_")


def split_score_columns(columns: Iterable[str]) -> tuple[list[str], list[str]]:
    """An evaluation's columns as (point scores and labels, interval scores)."""
    cols = list(columns)
    interval = [c for c in cols if c.startswith(INTERVAL_PREFIXES)]
    return [c for c in cols if c not in interval], interval


def column_levels(columns: Iterable[str], prefix: str = "lstmcast") -> list[float]:
    """The levels of a table's quantile columns ``PREFIX_q0.1``..., sorted."""
    start = f"{prefix}_q"
    levels = []
    for c in columns:
        if c.startswith(start):
            try:
                levels.append(float(c[len(start):]))
            except ValueError:
                continue
    return sorted(levels)


def band_columns(columns: Iterable[str], prefix: str = "lstmcast"
                 ) -> tuple[str, str, int] | None:
    """The widest central interval among a prediction table's quantile columns
    (``lstmcast_q0.1``...): (lower column, upper column, percent), or None."""
    pairs = central_pairs(column_levels(columns, prefix))
    if not pairs:
        return None
    low, high, pct = pairs[0]
    return f"{prefix}_q{label(low)}", f"{prefix}_q{label(high)}", pct


def residual_quantiles(truth: np.ndarray, forecast: np.ndarray, levels: Sequence[float]
                       ) -> np.ndarray:
    """Empirical quantiles (S, Q) of the errors ``truth - forecast`` (W, S), per step:
    a baseline's interval is its forecast plus these."""
    errors = np.asarray(truth, np.float64) - np.asarray(forecast, np.float64)
    keep = ~np.isnan(errors).any(axis=1)
    if not keep.any():
        return np.full((errors.shape[1], len(levels)), np.nan)
    return np.quantile(errors[keep], list(levels), axis=0).T
