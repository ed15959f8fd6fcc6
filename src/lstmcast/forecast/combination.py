"""The forecast chosen on the validation windows: which forecasts to combine, and how.

A network trained on a few hundred rows often loses to the naive forecasts on
short, trended or seasonal tables, while on long tables with many inputs it
wins; a least-squares linear map of the window sits between the two. Judged on
the development panel (benchmarks/panel.py, docs/panel.md), no single one of
them wins everywhere, and the mean of two good forecasts beats either more
often than choosing one. So after training (``Forecaster(blend="select")``,
the default) every candidate forecasts the validation windows, the windows the
networks never trained on, and the forecast combines the two that score best
there, each weighted by the inverse of its mean squared error there (the networks
only when clearly best of all: see below):

- networks: the ensemble's networks;
- linear_map: the window relative to its last value, ridge least squares
  (``lstmcast.forecast.linear_map``), each step's ridge chosen by generalized
  cross-validation on the training windows;
- shrunk_map: the same map anchored on the value a season before each target
  row (on the last value without a season) under a strong ridge: the seasonal
  naive forecast plus small learned corrections;
- naive, seasonal_naive, window_mean: the baselines, read from the window;
- train_mean: the mean of the training windows' targets, a constant (on short
  series that return to their level, such as yearly flows, the best of them);
- drift: the last value plus the window's mean change per row, per row ahead;
- seasonal_drift: the seasonal naive plus the window's mean change per season, per
  season it reaches back (windows of two seasons or more);
- holt_winters: additive Holt-Winters smoothing (level, damped trend, season) run
  through the window, its four constants fitted on the training windows
  (``lstmcast.forecast.smoothing``): a fixed linear map of the window.

The training mean and the drift were added when the panel showed, on the same
training runs, the geometric mean of the ratio to the best baseline going from
0.935 to 0.917 and the worst from 1.42 to 1.33 (benchmarks/panel_choice.py,
docs/panel.md). The seasonal naive with drift (a trended seasonal series: monthly
employment) moved the panel's cheap candidates alone from a geometric mean of
0.898 to 0.885, its share of tables won, median and worst unchanged.

The linear map's ridge was 1e-3 for every table and step; it is now chosen per step by
generalized cross-validation on the training windows (``linear_map.gcv_ridge``): the
map alone scored better on the held-out rows of 14 of the panel's 18 tables
(usemployment's 0.92 of the best baseline became 0.40), and the chosen forecast moved
the panel's median ratio from 0.905 to 0.899 and its geometric mean from 0.835 to
0.831 (two seeds, docs/panel.md), and 13 tables from outside the panel from a geometric
mean of 0.806 to 0.797.

The networks join the mean only when they score best of all on the validation
windows. Their score there is flattered: early stopping picked their epoch on
those windows, and on the panel's tables where they came within 25% of the
best other candidate there, they stood a median 12% worse against it on the
held-out rows.
Taking them only when best moved the panel (54 runs: 18 tables, 3 seeds, the
third recorded after the rule was chosen) from 78% of runs beating the best
baseline to 83%, the geometric mean from 0.916 to 0.899, the worst from 1.33
to 1.24.

"Best of all" must be clear: the networks join only when their edge over the best other
candidate is at least ``EDGE`` standard errors of the difference, window by window, of
their squared errors on the validation windows (``networks_edge``; the windows of a
series overlap by ``steps - 1`` rows, so they count as ``windows / steps``). On a random
walk they won the validation windows by 2% and lost the held-out rows (yearly prices:
1.03x the best baseline against 0.93x without them), and on 11 validation windows of
the Nile's flow they were first by 4% and 1.17-1.22x the best baseline on the held-out
rows (1.10 without). With the rule, the panel's 36 runs (18 tables, seeds 0 and 1) go
from 29 to 30 beating the best baseline, geometric mean 0.789 to 0.785, worst 1.22 to
1.17; any threshold from half a standard error to three gives the same runs. Where the
networks read inputs known in advance, which no other candidate sees, their edge is
wide and they still forecast alone (tests/test_covariates.py).

The two are weighted by the inverse of their validation MSEs (Bates and Granger's
combination; ``inverse_mse``), not equally: where the second scores far worse than the
first (half-hourly load: the linear map 0.031, the shrunk map 0.050 in scaled units)
the mean gave it half the forecast anyway. On the panel (18 tables, the product run
as a user, docs/panel.md) the geometric mean of the ratio to the best baseline went
from 0.784 to 0.778, the worst from 1.171 to 1.137 (lakehuron), the median from 0.897
to 0.896 and the tables beating the best baseline stayed 15; arrivals lost (1.050 to
1.072). Out of the panel, 9 tables went from a geometric mean of 0.672 to 0.668 and 12
synthetic ones shaped like public tables from 0.727 to 0.722, 8 to 9 beating the best
baseline. The same weights over every candidate instead of the best two lose (the
recorded runs: 61% beating the best baseline against 83%, median 0.942).

Where the networks read inputs known in advance (``future`` columns, the calendar),
no other candidate sees them: when the networks score best on the validation windows
they forecast alone, and otherwise the two best others are combined as everywhere. On a
quarterly table of three series with a price known ahead, where the networks alone
scored 1.8x the seasonal naive's RMSE on the held-out rows, the choice fell on the
cheap candidates (see docs/panel.md, "Inputs known in advance").

Every candidate reads the scaled window and forecasts scaled targets
``(W, steps * targets)``, step-major, as the networks do, so the combination
is one weighted sum (``Ensemble``), inside the ONNX graph too.

No torch here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from lstmcast.forecast import smoothing
from lstmcast.forecast.linear_map import (
    GCV,
    WindowLinearMap,
    fit_maps,
    seasonal_positions,
    seasons_back,
)

SHRUNK_RIDGE = 1.0
"""The shrunk map's ridge, per window and channel (the linear map's is chosen by GCV)."""

CHOSEN = 2
"""How many of the best candidates on the validation windows are combined."""

EDGE = 1.0
"""The networks' least edge over the best other candidate, in standard errors of the
difference of their squared errors per validation window (``networks_edge``)."""

BASELINE_KINDS = ("naive", "seasonal_naive", "window_mean", "train_mean", "drift",
                  "seasonal_drift")
SEASONAL = ("seasonal_naive", "seasonal_drift")
MAPS = ("linear_map", "shrunk_map", "holt_winters")


class WindowBaseline:
    """A naive forecast read from each window's target columns, in the networks' units.

    Args:
        kind: "naive" (the window's last value), "seasonal_naive" (the value one or
            more seasons before each target row), "window_mean", "train_mean" (the
            constant ``values``), "drift" (the last value plus the window's mean
            change per row, times the rows ahead) or "seasonal_drift" (the seasonal
            naive's value k seasons before a target row plus k times the window's mean
            change per season, the mean of ``y[i] - y[i - season]`` over the window;
            needs a window of two seasons or more).
        window, steps, columns: as for ``WindowLinearMap``.
        season, horizon: for the seasonal naive; horizon for the drift (rows from the
            window's last row to the first target row).
        values: for "train_mean", one value per target column (scaled units).
    """

    def __init__(self, kind: str, window: int, steps: int, columns: list[int],
                 season: int | None = None, horizon: int = 1,
                 values: list[float] | None = None) -> None:
        if kind not in BASELINE_KINDS:
            raise ValueError(f"kind must be one of {BASELINE_KINDS}, not {kind!r}")
        if (kind == "train_mean") != (values is not None):
            raise ValueError("values go with kind 'train_mean', and only with it")
        if values is not None and len(values) != len(columns):
            raise ValueError(f"one value per target column: {len(values)} for {len(columns)}")
        if kind == "seasonal_drift" and not (season and season > 1 and window >= 2 * season):
            raise ValueError(f"seasonal_drift reads the change per season from a window of "
                             f"two seasons or more: window {window}, season {season}")
        self.kind, self.window, self.steps = kind, window, steps
        self.columns, self.season, self.horizon = list(columns), season, horizon
        self.values = None if values is None else [float(v) for v in values]
        self._rows = (seasonal_positions(window, steps, season, horizon)
                      if kind in SEASONAL else None)
        self._back = (seasons_back(steps, season, horizon).astype(np.float32)
                      if kind == "seasonal_drift" else None)

    def predict(self, x: Any) -> np.ndarray:
        if self.kind == "train_mean":
            row = np.tile(np.asarray(self.values, dtype=np.float32), self.steps)
            return np.tile(row, (len(x), 1))
        history = np.stack([np.asarray(x[:, :self.window, c], dtype=np.float32)
                            for c in self.columns], axis=-1)  # (W, window, targets)
        if self.kind == "naive":
            out = np.repeat(history[:, -1:, :], self.steps, axis=1)
        elif self.kind == "window_mean":
            out = np.repeat(history.mean(axis=1, keepdims=True), self.steps, axis=1)
        elif self.kind == "drift":
            slope = (history[:, -1:, :] - history[:, :1, :]) / max(1, self.window - 1)
            ahead = (self.horizon + np.arange(self.steps, dtype=np.float32))[None, :, None]
            out = history[:, -1:, :] + ahead * slope
        elif self.kind == "seasonal_drift":
            s = self.season
            change = (history[:, s:, :] - history[:, :-s, :]).mean(axis=1, keepdims=True)
            out = history[:, self._rows, :] + self._back[None, :, None] * change
        else:
            out = history[:, self._rows, :]
        return out.reshape(len(x), -1).astype(np.float32)

    def get_config(self) -> dict[str, Any]:
        config = {"kind": self.kind, "window": self.window, "steps": self.steps,
                  "columns": self.columns, "season": self.season, "horizon": self.horizon}
        if self.values is not None:
            config["values"] = self.values
        return config


def component_from_config(name: str, config: Mapping[str, Any],
                          weights: np.ndarray | None = None) -> Any:
    """A saved candidate back (a map's weights are saved beside the config)."""
    if name in MAPS:
        return WindowLinearMap(config["window"], config["steps"], config["columns"], weights,
                               anchor=config.get("anchor", "last"),
                               ridge=config.get("ridge", 1e-3),
                               season=config.get("season"), horizon=config.get("horizon", 1),
                               constants=config.get("constants"))
    return WindowBaseline(**config)


def candidates(window: int, steps: int, columns: list[int], season: int | None,
               horizon: int, train: Callable[[], Iterable[tuple[Any, Any]]]
               ) -> dict[str, Any]:
    """The forecasts to choose among besides the networks, the maps fitted on the
    training windows (``train()`` gives them as ``(x, y)`` pairs, read once for both)."""
    seasonal = bool(season) and season > 1 and window >= season
    linear = WindowLinearMap(window, steps, columns, ridge=GCV)
    shrunk = WindowLinearMap(window, steps, columns, anchor="season" if seasonal else "last",
                             ridge=SHRUNK_RIDGE, season=season if seasonal else None,
                             horizon=horizon)
    targets = _TargetMean(steps, len(columns))
    sample = smoothing.Sample(smoothing.rows_read(window, season), steps, columns, window)
    # one pass over the training windows for both maps, the targets' mean and the
    # smoothing's sample
    fit_maps([linear, shrunk], sample.counted(targets.counted(train())))
    out: dict[str, Any] = {
        "linear_map": linear,
        "shrunk_map": shrunk,
        "holt_winters": smoothing.smoothing_map(sample, season, horizon),
        "naive": WindowBaseline("naive", window, steps, columns),
        "window_mean": WindowBaseline("window_mean", window, steps, columns),
        "train_mean": WindowBaseline("train_mean", window, steps, columns,
                                     values=targets.mean()),
        "drift": WindowBaseline("drift", window, steps, columns, horizon=horizon),
    }
    if seasonal:
        out["seasonal_naive"] = WindowBaseline("seasonal_naive", window, steps, columns,
                                               season, horizon)
    if seasonal and window >= 2 * season:
        out["seasonal_drift"] = WindowBaseline("seasonal_drift", window, steps, columns,
                                               season, horizon)
    return out


class _TargetMean:
    """The mean of every target over the training windows' target rows, summed as the
    windows pass by."""

    def __init__(self, steps: int, targets: int) -> None:
        self.steps, self.sums, self.count = steps, np.zeros(targets), 0

    def counted(self, chunks: Iterable[tuple[Any, Any]]) -> Iterable[tuple[Any, Any]]:
        for x, y in chunks:
            y = np.asarray(y, dtype=np.float64)
            self.sums += y.reshape(len(y), self.steps, -1).sum(axis=(0, 1))
            self.count += len(y) * self.steps
            yield x, y

    def mean(self) -> list[float]:
        return (self.sums / max(self.count, 1)).tolist()


def window_errors(forecasters: Mapping[str, Any], validation: Iterable[tuple[Any, Any]]
                  ) -> tuple[dict[str, np.ndarray], int]:
    """Each candidate's squared errors over the validation windows, summed per window
    (scaled units, every target and step of it), and how many values a window holds;
    ``forecasters`` map a name to anything with ``predict(x)``."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in forecasters}
    windows = width = 0
    for x, y in validation:
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        for name, model in forecasters.items():
            parts[name].append(np.square(model.predict(x) - y).sum(axis=1))
        windows, width = windows + len(y), y.shape[1]
    if windows == 0:
        raise ValueError("no validation windows to choose the forecast on")
    return {name: np.concatenate(p) for name, p in parts.items()}, width


def rmse(errors: Mapping[str, np.ndarray], width: int) -> dict[str, float]:
    """Each candidate's RMSE from its squared errors per window (``window_errors``)."""
    return {name: float(np.sqrt(e.sum() / (e.size * width))) for name, e in errors.items()}


def validation_errors(forecasters: Mapping[str, Any],
                      validation: Iterable[tuple[Any, Any]]) -> dict[str, float]:
    """Each candidate's RMSE over the validation windows (scaled units, every target and
    step pooled)."""
    return rmse(*window_errors(forecasters, validation))


def networks_edge(errors: Mapping[str, np.ndarray], steps: int,
                  networks: str = "networks") -> float | None:
    """How clearly the networks beat the best other candidate on the validation windows: the
    mean of the difference of their squared errors per window (the other's less theirs)
    over its standard error, the windows counted as ``windows / steps`` (a series' windows
    overlap by ``steps - 1`` rows, so their errors are not independent). None without
    networks or another candidate."""
    if networks not in errors or len(errors) < 2:
        return None
    others = {name: e for name, e in errors.items() if name != networks}
    best = min(others, key=lambda name: float(others[name].sum()))
    difference = others[best] - errors[networks]
    mean = float(difference.mean())
    spread = float(difference.std(ddof=1)) if len(difference) > 1 else 0.0
    if spread <= 1e-12 * abs(mean):  # the same difference on every window
        return float("inf") if mean > 0 else 0.0
    return mean / (spread / np.sqrt(max(1.0, len(difference) / steps)))


def finite(edge: float | None) -> float | None:
    """An edge as JSON keeps it: None for none, and for an infinite one (the networks
    better by the same amount on every window), whose spread is 0."""
    return edge if edge is None or np.isfinite(edge) else None


def choose(errors: Mapping[str, float], networks: str = "networks",
           alone: bool = False, edge: float | None = None) -> dict[str, float]:
    """The weights: the ``CHOSEN`` candidates with the lowest validation RMSE, each in
    inverse proportion to its MSE there (``inverse_mse``; ties go to the earlier candidate:
    the networks, then the maps).

    The ``networks`` take part only when they score best of all, and, with ``edge`` (their
    ``networks_edge``), by at least ``EDGE`` standard errors: their score on the
    validation windows flatters them, since early stopping chose their epoch on those
    same windows, and otherwise the forecast combines the best others (see the
    module's notes). With ``alone`` (the networks read inputs known in advance, which no
    other candidate sees), the networks when chosen are the whole forecast: a mean with a
    candidate blind to a promotion halves its effect."""
    order = sorted(errors, key=lambda name: (errors[name], list(errors).index(name)))
    if order and (order[0] != networks or (edge is not None and edge < EDGE)):
        order = [name for name in order if name != networks]
    best = order[:1] if alone and order and order[0] == networks else order[:CHOSEN]
    return inverse_mse({name: errors[name] for name in best})


def inverse_mse(errors: Mapping[str, float]) -> dict[str, float]:
    """Weights in inverse proportion to each forecast's validation MSE (Bates and Granger's
    combination), summing to 1: equal RMSEs share equally, and one forecast scoring 0 (on
    a series it reproduces exactly) takes the whole weight."""
    exact = [name for name, e in errors.items() if e <= 0]
    if exact:
        return {name: 1.0 / len(exact) for name in exact}
    least = min(errors.values())
    if not np.isfinite(least):  # none scored: equally
        return {name: 1.0 / len(errors) for name in errors}
    inverse = {name: (least / e) ** 2 for name, e in errors.items()}  # the best's is 1
    total = sum(inverse.values())
    return {name: value / total for name, value in inverse.items()}


def describe(weights: Mapping[str, float], parts: Mapping[str, Any] | None = None) -> str:
    """``0.50 x the networks + 0.50 x the seasonal naive``; with ``parts``, a smoothing's
    constants after its name (``the Holt-Winters smoothing (alpha 0.2, ...)``)."""
    names = {"networks": "the networks", "linear_map": "the linear map",
             "shrunk_map": "the shrunk linear map", "naive": "the naive forecast",
             "seasonal_naive": "the seasonal naive", "window_mean": "the window's mean",
             "train_mean": "the training mean", "drift": "the drift forecast",
             "seasonal_drift": "the seasonal naive with drift",
             "holt_winters": "the Holt-Winters smoothing"}

    def name(n: str) -> str:
        constants = getattr((parts or {}).get(n), "constants", None)
        if not constants:
            return names.get(n, n)
        return f"{names.get(n, n)} ({', '.join(f'{k} {v:g}' for k, v in constants.items())})"

    return " + ".join(f"{w:.2f} x {name(n)}" for n, w in weights.items() if w >= 0.005)
