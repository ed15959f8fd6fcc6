"""How the forecast is chosen after training, judged on the development panel.

    .venv/bin/python benchmarks/panel_choice.py record [--tables a10,nile] [--seed 0]
        [--max-seconds 90] [--store /tmp/lstmcast-choice]
    .venv/bin/python benchmarks/panel_choice.py record --rolling --seed 0   # and --seed 1
    .venv/bin/python benchmarks/panel_choice.py judge [--store /tmp/lstmcast-choice]
    .venv/bin/python benchmarks/panel_choice.py record --panel benchmarks/check/panel.toml \
        --store /tmp/lstmcast-check      # the check tables; judge with the same --panel
    .venv/bin/python benchmarks/panel_choice.py record --residual --store /tmp/lstmcast-res
    .venv/bin/python benchmarks/panel_choice.py record --window-set --store /tmp/lstmcast-window
    .venv/bin/python benchmarks/panel_choice.py judge-windows --store /tmp/lstmcast-window
    .venv/bin/python benchmarks/panel_choice.py record --window-set \
        --windows "default,3 seasons" --store /tmp/lstmcast-sdrift
    .venv/bin/python benchmarks/panel_choice.py judge-cheap --store /tmp/lstmcast-sdrift
    .venv/bin/python benchmarks/panel_choice.py judge-sets --store /tmp/lstmcast-sdrift
    .venv/bin/python benchmarks/panel_choice.py judge-bounds --store /tmp/lstmcast-window

``record`` trains each panel table as ``lstmcast train FILE --target T --time C
[--group G] --steps S --max-seconds M`` does (the same settings, the same last 20%
held out), and keeps, for every candidate the default ``blend="select"`` chooses
among (the networks, the two linear maps, the naive forecasts) and for a few
candidates it does not hold, the RMSE on the validation windows (scaled units, as
the choice sees them) and the forecasts of the held-out windows (the table's units).

``judge`` then scores rules of choice offline, on the same forecasts: for each rule
and table, the held-out RMSE of the forecast that rule makes, over the best baseline's
(the baselines of benchmarks/panel.py, on the same windows). A rule is judged on every
table and seed at once: how many tables it wins, its worst and median ratio, and the
ratio on the tables today's rule loses; rules with one parameter are also scored with
the parameter chosen on the other 17 tables. ``record --rolling`` (one epoch, least
squares only: a minute for the panel) scores the candidates but the networks from
rolling origins over the last half of the training windows too, for the ``rolling``
rules.

``record --window-set`` (one epoch per window: four minutes for the panel on one core)
records every candidate but the networks for each window of ``window_set`` (today's
default, 2 and 3 seasons, 30 rows, a quarter and a third of the rows before the
holdout, capped as ``defaults.choose_window`` caps), with their validation forecasts;
``judge-windows`` scores rules that choose the window per table on the validation
windows (the validation targets are the same rows whatever the window).

``record --residual`` trains the networks on the correction to the linear map (the targets
less its forecast, fitted first on the training windows) and records the map plus the
networks as the networks, for ``judge`` as usual.

Uses lstmcast's internals on purpose (the candidates are not public): this is an
experiment on the choice, not a user's path; benchmarks/panel.py is that.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import panel  # noqa: E402  (benchmarks/panel.py: the tables, the baselines)

PANEL_FILE = panel.PANEL / "panel.toml"
"""The development panel: the tables recorded and judged unless ``--panel`` names another."""

SCALE_ARGS: list[str] = []
"""``record --scale log`` or ``none``: ``--log`` or ``--no-log`` for every run recorded."""

NEW = ("train_mean", "drift")
CHOSEN = 2  # lstmcast.forecast.combination.CHOSEN: the candidates averaged


class Constant:
    """A forecast of the scaled training mean of each target (``train_mean``), for
    lstmcast before 66f752d; the mean of the windows' first target rows (lstmcast's own
    takes every target row: the same up to the few rows at the training part's ends)."""

    def __init__(self, values: np.ndarray, steps: int) -> None:
        self.values, self.steps = np.asarray(values, dtype=np.float32), steps

    def predict(self, x):
        return np.tile(np.tile(self.values, self.steps), (len(x), 1)).astype(np.float32)


class Drift:
    """The last value plus the window's mean step per row ahead (``drift``)."""

    def __init__(self, window: int, steps: int, columns: list[int], horizon: int) -> None:
        self.window, self.steps, self.columns, self.horizon = window, steps, columns, horizon

    def predict(self, x):
        h = np.stack([np.asarray(x[:, :self.window, c], dtype=np.float32)
                      for c in self.columns], axis=-1)
        slope = (h[:, -1] - h[:, 0]) / max(1, self.window - 1)
        ahead = self.horizon + np.arange(self.steps)
        out = h[:, -1][:, None, :] + ahead[None, :, None] * slope[:, None, :]
        return out.reshape(len(x), -1).astype(np.float32)


class SeasonalDriftVariant:
    """Variants of ``seasonal_drift`` (not in lstmcast), for ``judge-cheap``: the change
    per season times ``damping`` (0.5: ``seasonal_drift_half``), or read from the last
    season's changes only (``seasonal_drift_last``)."""

    def __init__(self, window: int, steps: int, columns: list[int], season: int,
                 horizon: int, damping: float = 1.0, last_only: bool = False) -> None:
        from lstmcast.forecast.combination import WindowBaseline

        self.base = WindowBaseline("seasonal_drift", window, steps, columns, season, horizon)
        self.damping, self.last_only = damping, last_only

    def predict(self, x):
        b = self.base
        h = np.stack([np.asarray(x[:, :b.window, c], dtype=np.float64)
                      for c in b.columns], axis=-1)
        s = b.season
        changes = h[:, s:] - h[:, :-s]
        change = (changes[:, -s:] if self.last_only else changes).mean(axis=1, keepdims=True)
        out = h[:, b._rows] + self.damping * b._back[None, :, None] * change
        return out.reshape(len(x), -1).astype(np.float32)


class LevelMap:
    """A map of the window in levels (not in lstmcast): each target row as an intercept
    plus free weights on the target's last ``lags`` values, one map per step, fitted by
    least squares (ridge 1e-3 per window) on the training windows. lstmcast's maps take
    the window relative to its last value, which holds their weights to sum to one (a
    unit root); this one may revert to a mean, as an AR(p) model does. ``lags`` from 1
    to the window (at most a fifth of the training windows) by ``criterion``: "loo" (the
    leave-one-out error, closed form), "bic" or "aic" (``level_map``, ``level_bic``,
    ``level_aic``)."""

    def __init__(self, window: int, steps: int, columns: list[int], criterion: str = "loo",
                 ridge: float = 1e-3) -> None:
        self.window, self.steps, self.columns = window, steps, list(columns)
        self.criterion, self.ridge = criterion, ridge

    def _design(self, x, lags: int) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        rows = np.concatenate([x[:, self.window - lags:self.window, c] for c in self.columns])
        return np.hstack([np.ones((len(rows), 1)), rows])  # targets stacked: (W * T, 1 + lags)

    def fit(self, pairs: list) -> LevelMap:
        x = np.concatenate([np.asarray(a, dtype=np.float64) for a, _ in pairs])
        y = np.concatenate([np.asarray(b, dtype=np.float64).reshape(len(b), -1)
                            for _, b in pairs]).reshape(len(x), self.steps, len(self.columns))
        y = np.concatenate([y[:, :, t] for t in range(len(self.columns))])  # (W * T, steps)
        n, best = len(y), None
        for lags in range(1, min(self.window, max(1, n // 5)) + 1):
            d = self._design(x, lags)
            inverse = np.linalg.inv(d.T @ d + self.ridge * n * np.diag([0.0] + [1.0] * lags))
            weights = inverse @ d.T @ y
            residual = y - d @ weights
            if self.criterion == "loo":
                leverage = np.einsum("ij,jk,ik->i", d, inverse, d)
                score = float(((residual / (1 - leverage)[:, None]) ** 2).mean())
            else:
                penalty = np.log(n) if self.criterion == "bic" else 2.0
                score = n * np.log(float((residual ** 2).mean())) + penalty * (lags + 1)
            if best is None or score < best[0]:
                best = (score, lags, weights)
        _, self.lags, self.weights = best
        return self

    def predict(self, x) -> np.ndarray:
        out = self._design(x, self.lags) @ self.weights  # (W * T, steps)
        per_target = np.split(out, len(self.columns))
        return np.stack(per_target, axis=-1).reshape(len(per_target[0]), -1).astype(np.float32)


VARIANTS = ("seasonal_drift_half", "seasonal_drift_last")
LEVEL_MAPS = ("level_map", "level_bic", "level_aic")
NEW_CHEAP = ("seasonal_drift",) + VARIANTS + LEVEL_MAPS + ("holt_winters",)
"""Left out of judge-cheap's "today" pool (holt_winters: lstmcast's own since it was judged
here, so that the pool shows the candidates before it)."""


def refit_maps(spec: tuple, pairs: list) -> dict:
    """The two maps fitted again on the training and the validation windows together."""
    from lstmcast.forecast import combination

    window, steps, columns, season, horizon = spec
    parts = combination.candidates(window, steps, columns, season, horizon, lambda: pairs)
    return {"linear_map_all": parts["linear_map"], "shrunk_map_all": parts["shrunk_map"]}


def split_validation(fitting, seen: dict) -> tuple:
    """Patches: the networks stop early on the first half of each series' validation
    windows (in time), and the forecast is chosen on the second half, which then played
    no part in training (``record --split-validation``)."""
    real_prepare, real_blended = fitting.prepare, fitting.blended

    def prepare(*args, **kwargs):
        prep = real_prepare(*args, **kwargs)
        starts, ids = prep.val_starts, prep.table.ids
        first, second = [], []
        for key in dict.fromkeys(ids[starts].tolist()):
            own = np.sort(starts[ids[starts] == key])
            first.append(own[: len(own) // 2])
            second.append(own[len(own) // 2:])
        first, second = np.concatenate(first), np.concatenate(second)
        seen["choice_windows"] = prep.pipeline.windows(prep.table, second)
        return fitting.Prepared(prep.pipeline, prep.table, prep.train_rows, prep.train_starts,
                                first)

    def blended(fc, ensemble, pipeline, x_train, y_train, validation):
        return real_blended(fc, ensemble, pipeline, x_train, y_train, seen["choice_windows"])

    fitting.prepare, fitting.blended = prepare, blended
    return real_prepare, real_blended


class Residual:
    """Networks trained on the correction to a linear map, as one forecaster: the map's
    forecast plus the networks' (``record --residual``)."""

    def __init__(self, networks, anchor) -> None:
        self.networks, self.anchor = networks, anchor
        self.members = networks.members

    def predict(self, x):
        return self.networks.predict(x) + self.anchor.predict(x)


def residual_networks(fitting):
    """Patches: before training, the linear map (ridge by GCV) is fitted on the training
    windows, and the networks (without instance normalization, which would add the last
    value back) learn the targets less its forecast; the choice then scores the map plus
    the networks as "networks" (``record --residual``; an experiment, as in hybrids of
    smoothing and recurrent networks)."""
    from lstmcast.forecast.linear_map import GCV, WindowLinearMap

    real_train, real_blended, real_blends = fitting.train, fitting.blended, fitting.blends

    def train(fc, pipeline, intervals, x_train, y_train, validation, n_train, tag,
              started=None):
        anchor = WindowLinearMap(pipeline.window, fc.steps, pipeline.target_columns(),
                                 ridge=GCV).fit([(x_train, y_train)])

        def less(x, y):
            return (np.asarray(y) - anchor.predict(x)).astype(np.float32)

        held = None if validation is None else (validation[0], less(*validation))
        fc.normalize = None
        fitting.blends = lambda fc, pipeline: False
        try:
            real_train(fc, pipeline, intervals, x_train, less(x_train, y_train), held,
                       n_train, tag, started)
        finally:
            fitting.blends = real_blends
        fc.ensemble_ = real_blended(fc, Residual(fc.ensemble_, anchor), pipeline, x_train,
                                    y_train, validation)

    fitting.train = train
    return real_train


def rolling_errors(seen: dict, share: float = 0.5, folds: int = 4) -> dict:
    """Each candidate but the networks scored window by window from rolling origins:
    the last ``share`` of each series' training windows, in ``folds`` blocks in time,
    every candidate fitted (the maps, the training mean) on the training windows whose
    targets end before the block's first target row, then the validation windows as
    the choice sees them (fitted on every training window). Per window: the sum of
    squared errors (scaled units); ``block`` -1 marks the validation windows."""
    from lstmcast.forecast import combination
    from lstmcast.tables.windows import WindowView

    window, steps, columns, season, horizon = seen["spec"]
    (x, y), = seen["train"]
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    ids = seen["ids"][x.starts]
    position = np.zeros(len(x), dtype=np.int64)  # rank in time within its series
    block = np.full(len(x), -2, dtype=np.int64)  # -2: not scored (a fitting window only)
    for key in dict.fromkeys(ids.tolist()):
        own = np.flatnonzero(ids == key)
        own = own[np.argsort(x.starts[own], kind="stable")]
        position[own] = np.arange(len(own))
        first = int(np.floor(len(own) * (1 - share)))
        scored = own[first:]
        for k, part in enumerate(np.array_split(scored, folds)):
            block[part] = k
    sse: dict[str, list] = {}
    kept_block, kept_position = [], []
    for k in range(folds):
        target = np.flatnonzero(block == k)
        if len(target) == 0:
            continue
        # per series: fit on the windows whose targets end before the block's first target
        start_of = {key: position[target][ids[target] == key].min()
                    for key in dict.fromkeys(ids[target].tolist())}
        fit = np.array([position[i] <= start_of.get(ids[i], -1) - steps
                        for i in range(len(x))])
        if fit.sum() < 2:
            continue
        pairs = [(WindowView(x.base, x.starts[fit]), y[fit])]
        parts = combination.candidates(window, steps, columns, season, horizon,
                                       lambda pairs=pairs: pairs)
        xs = WindowView(x.base, x.starts[target])
        for name, model in parts.items():
            sse.setdefault(name, []).append(
                np.square(model.predict(xs) - y[target]).sum(axis=1))
        kept_block.append(np.full(len(target), k))
        kept_position.append(position[target])
    parts = {n: f for n, f in seen["forecasters"].items() if n != "networks"}
    for xv, yv in seen["validation"]:
        yv = np.asarray(yv, dtype=np.float64).reshape(len(yv), -1)
        for name, model in parts.items():
            sse.setdefault(name, []).append(np.square(model.predict(xv) - yv).sum(axis=1))
        kept_block.append(np.full(len(yv), -1))
        kept_position.append(np.full(len(yv), -1))
    names = [n for n in sse if len(sse[n]) == len(kept_block)]  # scored on every block
    return {"sse": {n: np.concatenate(sse[n]) for n in names},
            "block": np.concatenate(kept_block), "position": np.concatenate(kept_position),
            "size": steps * len(columns), "share": share, "folds": folds}


def record_table(table: dict, seed: int, max_seconds: float, out: Path,
                 maps_only: bool = False, split: bool = False,
                 rolling: bool = False, window: int | None = None,
                 residual: bool = False) -> dict:
    """``window``: one epoch with ``--window window`` (``record --window-set``); the
    record then keeps the candidates' validation forecasts too, and is saved as
    ``NAME-seedS-wW.pkl``."""
    from lstmcast.cli.common import build_forecaster, data_columns, read_settings, test_plan
    from lstmcast.cli.main import build_parser
    from lstmcast.forecast import combination, defaults, forecasting
    from lstmcast.runs.folders import resolve
    from lstmcast.tables.windows import target_rows, window_starts

    given_window = window  # (``window`` is read again from the candidates below)
    argv = ["train", table["path"], "--target", table["target"],
            "--time", table["time"], "--steps", str(table["steps"]),
            "--max-seconds", str(max_seconds), "--seed", str(seed), "--quiet"]
    if maps_only or rolling or window is not None:  # the maps and the naive forecasts
        argv += ["--epochs", "1"]  # do not depend on the networks
    if window is not None and window > 0:  # 0: the default window (recorded as such)
        argv += ["--window", str(window)]
    if table.get("group"):
        argv += ["--group", table["group"]]
    if table.get("time_format"):
        argv += ["--time-format", table["time_format"]]
    argv += SCALE_ARGS  # record --scale: the scale forced rather than chosen
    args = build_parser().parse_args(argv)
    source = resolve(args.data, peek=True)
    data, model = read_settings(args, source)
    fit_frame, test_frame, how = test_plan(source, data, model)
    fc = build_forecaster(model, args, verbose=0)

    seen: dict = {}
    real_errors, real_candidates = combination.validation_errors, combination.candidates
    real_window_errors = combination.window_errors

    def candidates(window, steps, columns, season, horizon, train):
        pairs = list(train())
        seen["train"] = pairs
        seen["spec"] = (window, steps, columns, season, horizon)
        return real_candidates(window, steps, columns, season, horizon, lambda: pairs)

    def window_errors(forecasters, validation):  # the choice after training scores here
        validation = list(validation)
        seen["validation"] = validation
        seen["forecasters"] = dict(forecasters)
        return real_window_errors(forecasters, validation)

    real_choose_window = defaults.choose_window

    def choose_window(season, shortest, horizon, steps, validation, segment=None,
                      daily=False, series=1):
        seen["window_inputs"] = dict(season=season, shortest=shortest, horizon=horizon,
                                     steps=steps, validation=validation, series=series)
        return real_choose_window(season, shortest, horizon, steps, validation, segment,
                                  daily, series)

    combination.candidates, combination.window_errors = candidates, window_errors
    defaults.choose_window = choose_window  # fitting reads it from the module
    from lstmcast.forecast import fitting

    real = split_validation(fitting, seen) if split else None
    real_prepare = fitting.prepare

    def prepare(*args, **kwargs):  # the series of every row, for the rolling origins
        prep = real_prepare(*args, **kwargs)
        seen["ids"] = np.asarray(prep.table.ids)
        return prep

    if rolling:
        fitting.prepare = prepare
    real_train = residual_networks(fitting) if residual else fitting.train
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc.fit(fit_frame, **data_columns(data))
    finally:
        combination.candidates, combination.window_errors = real_candidates, real_window_errors
        defaults.choose_window = real_choose_window
        fitting.prepare, fitting.train = real_prepare, real_train
        if real is not None:
            fitting.prepare, fitting.blended = real
    if "forecasters" not in seen:
        return {"table": table["name"], "skipped": "no choice made (blend off or no validation)"}
    if rolling:
        result = {"table": table["name"], "seed": seed, **rolling_errors(seen)}
        out.mkdir(parents=True, exist_ok=True)
        with open(out / f"{table['name']}-seed{seed}-rolling.pkl", "wb") as f:
            pickle.dump(result, f)
        return {"table": table["name"], "seed": seed,
                "windows": {str(k): int((result["block"] == k).sum())
                            for k in np.unique(result["block"])}}
    window, steps, columns, season, horizon = seen["spec"]
    y_train = np.concatenate([np.asarray(y).reshape(len(y), -1) for _, y in seen["train"]])
    targets = len(columns)
    first_step = y_train.reshape(len(y_train), steps, targets)[:, 0, :].mean(axis=0)
    forecasters = dict(seen["forecasters"])
    # lstmcast from 66f752d has both among its candidates; before it, these stand in
    forecasters.setdefault("train_mean", Constant(first_step, steps))
    forecasters.setdefault("drift", Drift(window, steps, columns, horizon))
    if given_window is not None and season and season > 1 and window >= 2 * season:
        forecasters["seasonal_drift_half"] = SeasonalDriftVariant(
            window, steps, columns, season, horizon, damping=0.5)
        forecasters["seasonal_drift_last"] = SeasonalDriftVariant(
            window, steps, columns, season, horizon, last_only=True)
    if given_window is not None:
        for name, criterion in zip(LEVEL_MAPS, ("loo", "bic", "aic")):
            forecasters[name] = LevelMap(window, steps, columns, criterion).fit(seen["train"])
    val_rmse = real_errors(forecasters, seen["validation"])
    val_window_sse = {  # per validation window, every step pooled (scaled units)
        name: np.concatenate([np.square(np.asarray(f.predict(x), dtype=np.float64)
                                        - np.asarray(y, dtype=np.float64).reshape(len(y), -1)
                                        ).sum(axis=1) for x, y in seen["validation"]])
        for name, f in forecasters.items()}
    if maps_only:
        forecasters.pop("networks")
        forecasters.update(refit_maps(seen["spec"], seen["train"] + seen["validation"]))

    pipeline = fc.pipeline_
    table_obj = pipeline.table(test_frame, need_target=True)
    holdout = how["holdout"]
    first = np.zeros(len(table_obj.frame), dtype=np.int64)
    for a, b in table_obj.segments:
        first[a:b] = b - holdout
    starts = window_starts(len(table_obj.frame), pipeline.window, horizon=pipeline.horizon,
                           steps=pipeline.steps, groups=table_obj.ids)
    starts = starts[starts + pipeline.window - 1 + pipeline.horizon >= first[starts]]
    rows = target_rows(starts, pipeline.window, pipeline.horizon, pipeline.steps)
    truth = table_obj.y_raw[rows][..., 0]
    test = {name: forecasting.forecast_windows(pipeline, f, table_obj, starts).point[..., 0]
            for name, f in forecasters.items()}
    chosen = fc.ensemble_.weights
    result = {"table": table["name"], "seed": seed, "window": pipeline.window,
              "val_windows": int(sum(len(np.asarray(y)) for _, y in seen["validation"])),
              "val_rmse": val_rmse, "val_window_sse": val_window_sse, "truth": truth,
              "test": test, "chosen": chosen,
              "epochs": len(fc.history_["loss"])}
    if given_window is None:
        name = f"{table['name']}-seed{seed}{'-maps' if maps_only else ''}.pkl"
    else:  # the validation forecasts too (scaled units), for rules on pairs across windows
        forecasters.pop("networks", None)
        result["test"].pop("networks", None)
        result["val_rmse"].pop("networks", None)
        result["val_y"] = np.concatenate([np.asarray(y, dtype=np.float64).reshape(len(y), -1)
                                          for _, y in seen["validation"]])
        result["val_pred"] = {n: np.concatenate([np.asarray(f.predict(x), dtype=np.float64)
                                                 for x, _ in seen["validation"]])
                              for n, f in forecasters.items()}
        result["window_inputs"] = seen.get("window_inputs")
        result["default"] = given_window == 0
        name = f"{table['name']}-seed{seed}-w{pipeline.window}.pkl"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / name, "wb") as f:
        pickle.dump(result, f)
    return result


def window_set(inputs: dict, default: int) -> dict[str, int]:
    """The windows ``record --window-set`` tries, by rule name: today's default, 2 and 3
    seasons (tables with a season), 30 rows, a quarter and a third of the rows before
    the holdout (benchmarks/panel.py's ``train_rows``), each capped as
    ``defaults.choose_window`` caps (half the rows the shortest series trains on)."""
    from lstmcast.tables.splits import training_rows

    season, rows = inputs["season"] or 1, inputs["shortest"]
    train_rows = training_rows(rows, inputs["validation"])
    cap = max(2, (train_rows - inputs["horizon"] - inputs["steps"] + 1) // 2)
    named = {"default": default, "2 seasons": 2 * season if season > 1 else default,
             "3 seasons": 3 * season if season > 1 else default, "30": 30,
             "rows/4": rows // 4, "rows/3": rows // 3}
    return {k: max(2, min(w, cap)) for k, w in named.items()}


def record_windows(table: dict, seed: int, store: Path, keys: list[str] | None = None) -> dict:
    """Every window of ``window_set`` for one table (those named in ``keys`` only, if
    given), one epoch each (cheap candidates)."""
    done = [pickle.load(open(f, "rb"))
            for f in sorted(store.glob(f"{table['name']}-seed{seed}-w*.pkl"))]
    default = next((r for r in done if r.get("default")), None)
    if default is None:
        default = record_table(table, seed, 90, store, window=0)
    windows = window_set(default["window_inputs"], default["window"])
    if keys is not None:
        windows = {k: w for k, w in windows.items() if k in keys}
    for w in sorted(set(windows.values())):
        if not (store / f"{table['name']}-seed{seed}-w{w}.pkl").exists():
            record_table(table, seed, 90, store, window=w)
    return {"table": table["name"], "default": default["window"], "windows": windows}


def rmse(p: np.ndarray, t: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(p) - t) ** 2)))


def best_baselines(tables: dict) -> dict[str, tuple[str, float]]:
    """Per table: the best baseline of benchmarks/panel.py on the held-out windows."""
    out = {}
    for name, table in tables.items():
        series = panel.load_series(table)
        info = panel.plan(table, series)
        base = panel.baselines(series, info["holdout"], table["steps"],
                               int(table.get("season") or 1))
        truth = {k: panel.gather(y, panel.origins(len(y), info["holdout"], table["steps"]),
                                 table["steps"]) for k, y in series.items()}
        scores = {b: panel.score(truth, preds, 1.0)["rmse"] for b, preds in base.items()}
        best = min(scores, key=scores.get)
        out[name] = (best, scores[best])
    return out


def rules() -> dict:
    """name -> f(val_rmse: dict, n_val: int, rolling: dict | None) -> weights (or a list
    of names: the median of their forecasts). ``rolling``: the record of
    ``record --rolling`` (None where there is none)."""
    def top(k, pool=None):
        def rule(errors, n, rolling=None):
            names = [m for m in errors if pool is None or m in pool]
            order = sorted(names, key=lambda m: errors[m])[:k]
            return {m: 1 / len(order) for m in order}
        return rule

    def inverse(errors, n, rolling=None, power=2):
        w = {m: errors[m] ** -power for m in errors}
        total = sum(w.values())
        return {m: v / total for m, v in w.items()}

    def within(rel):
        def rule(errors, n, rolling=None):
            best = min(errors.values())
            keep = [m for m in errors if errors[m] <= best * (1 + rel)]
            return {m: 1 / len(keep) for m in keep}
        return rule

    def adaptive(errors, n, rolling=None):  # few validation windows: average more
        k = 2 if n >= 40 else 3
        return top(k)(errors, n)

    # The networks' validation RMSE is optimistic (their epoch was chosen on those rows):
    def handicap(factor):  # ... so it is multiplied by a factor before the ranking
        def rule(errors, n, rolling=None):
            return top(2)({**errors, "networks": errors["networks"] * factor}, n)
        return rule

    def per_window(c):  # ... by 1 + c / sqrt(windows): the optimism of a minimum over
        def rule(errors, n, rolling=None):  # noisy epochs shrinks like the noise
            return handicap(1 + c / np.sqrt(n))(errors, n)
        return rule

    def only_if_best(margin):  # ... so they enter only if they beat every honest
        def rule(errors, n, rolling=None):  # candidate outright (by a margin)
            others = {m: e for m, e in errors.items() if m != "networks"}
            if errors["networks"] * (1 + margin) < min(others.values()):
                return top(2)(errors, n)
            return top(2)(others, n)
        return rule

    def rolled(which, factor=1.0):
        """The candidates but the networks ranked on the rolling origins (``record
        --rolling``: the last half of the training windows and the validation windows),
        each over the naive forecast's RMSE on the same windows; the networks on the
        validation windows, over the naive forecast's there."""
        def rule(errors, n, rolling):
            block = rolling["block"]
            keep = block >= -1 if which == "all" else block >= 0
            rms = {m: float(np.sqrt(sse[keep].mean())) for m, sse in rolling["sse"].items()}
            scores = {m: e / rms["naive"] for m, e in rms.items()}
            scores["networks"] = errors["networks"] / errors["naive"] * factor
            return top(2)(scores, n)
        return rule

    def with_edge(k, weigh=True):  # the product's rule (combination.choose): the networks
        def rule(errors, n, rolling=None, record=None):  # join only when best by k standard
            from lstmcast.forecast.combination import inverse_mse, networks_edge  # errors

            sse = {m: record["val_window_sse"][m] for m in errors}
            edge = networks_edge(sse, record["steps"])
            if min(errors, key=errors.get) != "networks" or (edge is not None and edge < k):
                pair = top(2)({m: e for m, e in errors.items() if m != "networks"}, n)
            else:
                pair = top(2)(errors, n)
            return inverse_mse({m: errors[m] for m in pair}) if weigh else pair
        rule.wants_record = True
        return rule

    def few_rolling(k):  # today's rule, but where fewer than k validation windows
        today = with_edge(1)  # choose: the cheap candidates ranked on the rolling origins
        # and the validation windows together, the two best weighted by inverse MSE

        def rule(errors, n, rolling, record=None):
            if n >= k:
                return today(errors, n, rolling, record=record)
            from lstmcast.forecast.combination import inverse_mse

            rms = {m: float(np.sqrt(sse[rolling["block"] >= -1].mean()))
                   for m, sse in rolling["sse"].items() if m in errors}
            pair = sorted(rms, key=rms.get)[:2]
            return inverse_mse({m: rms[m] for m in pair})
        rule.wants_record = True
        return rule

    def ranked_by(stat):  # today's rule, the candidates ranked by a robust summary of
        def rule(errors, n, rolling=None, record=None):  # their errors window by window
            from lstmcast.forecast.combination import inverse_mse, networks_edge

            sse = {m: np.asarray(record["val_window_sse"][m]) for m in errors}
            score = {m: float(stat(sse[m])) for m in errors}
            edge = networks_edge(sse, record["steps"])
            pool = {m: v for m, v in score.items() if m != "networks"}
            if min(errors, key=errors.get) == "networks" and (edge is None or edge >= 1):
                pool = score
            return inverse_mse({m: errors[m] for m in sorted(pool, key=pool.get)[:2]})
        rule.wants_record = True
        return rule

    def trimmed(share):  # the mean without the worst share of the windows
        return lambda x: np.sort(x)[:max(1, len(x) - int(len(x) * share))].mean()

    def median3(errors, n, rolling=None):
        return sorted(errors, key=errors.get)[:3]

    current = ("networks", "linear_map", "shrunk_map", "naive", "seasonal_naive",
               "window_mean")
    out = {
        "top1": top(1, current), "top2 (before)": top(2, current), "top3": top(3, current),
        "top2+new": top(2), "top3+new": top(3), "top4+new": top(4),
        "within5%": within(0.05), "within10%": within(0.10), "within20%": within(0.2),
        "inverse-mse": inverse, "adaptive k": adaptive, "median of top3": median3,
        "no networks": lambda errors, n, rolling=None: top(2)(
            {m: e for m, e in errors.items() if m != "networks"}, n),
    }
    out.update({f"networks' edge {k}{' (today)' if k == 1 else ''}": with_edge(k)
                for k in (0.5, 1, 1.5, 2)})
    out["edge 1, pair equally (before)"] = with_edge(1, weigh=False)
    out.update({"ranked by the median window": ranked_by(np.median),
                "ranked without the worst 10%": ranked_by(trimmed(0.1)),
                "ranked without the worst 25%": ranked_by(trimmed(0.25)),
                "ranked by the mean root error": ranked_by(lambda x: np.sqrt(x).mean())})
    out.update({f"rolling below {k} windows": few_rolling(k) for k in (3, 6, 12, 24, 48)})
    out.update({f"networks x{f}": handicap(f) for f in (1.05, 1.1, 1.15, 1.2, 1.3, 1.5)})
    out.update({f"networks x(1+{c}/sqrt n)": per_window(c) for c in (0.5, 1, 1.5, 2, 3)})
    out.update({f"networks only if best{f' by {m:.0%}' if m else ''}": only_if_best(m)
                for m in (0, 0.02, 0.05, 0.1, 0.2)})
    out.update({f"rolling {w}{f', networks x{f}' if f != 1 else ''}": rolled(w, f)
                for w in ("all", "train") for f in (1, 1.2)})
    return out


FAMILIES = {"networks x": "a handicap", "networks x(1+": "a handicap per window",
            "rolling below": "rolling origins where few validation windows",
            "networks only if best": "networks only if best",
            "networks' edge": "the networks' edge"}

TODAY = "networks' edge 1 (today)"
"""The product's rule (``combination.choose`` with ``EDGE``); a store recorded before the
errors were kept window by window is judged against ``top2+new`` in its place."""
"""Rules with one parameter: each family's parameter (or today's rule, which each family
holds as its first member) chosen again on every 17 tables, scored on the table left
out; ties go to the earlier member (today's rule, then the smaller parameter)."""


def forecast_of(rule, r: dict, refit: bool = False) -> np.ndarray | None:
    errors = {m: e for m, e in r["val_rmse"].items() if np.isfinite(e)}
    try:
        if getattr(rule, "wants_record", False):  # the edge: the errors window by window
            if "val_window_sse" not in r:
                return None
            w = rule(errors, r["val_windows"], r.get("rolling"), record=r)
        else:
            w = rule(errors, r["val_windows"], r.get("rolling"))
    except TypeError:  # a rule on the rolling origins without their record
        return None
    if isinstance(w, list):
        return np.median(np.stack([r["test"][m] for m in w]), axis=0)
    used = {m: m + "_all" if refit and m + "_all" in r["test"] else m for m in w}
    return sum(weight * r["test"][used[m]] for m, weight in w.items())


def summary(ratios: np.ndarray, results: list) -> tuple:
    worst = results[int(np.argmax(ratios))]["table"]
    return (float((ratios < 1).mean()), float(np.median(ratios)),
            float(np.exp(np.log(ratios).mean())), float(ratios.max()), worst)


def judge(store: Path, panel_file: Path = PANEL_FILE) -> None:
    tables = {t["name"]: t for t in panel.load_panel(panel_file)}
    results = []
    for path in sorted(store.glob("*-seed[0-9].pkl")):
        r = pickle.load(open(path, "rb"))
        maps = path.with_name(path.stem + "-maps.pkl")
        if maps.exists():  # the refit maps, recorded apart (record --maps-only)
            extra = pickle.load(open(maps, "rb"))
            assert np.allclose(extra["truth"], r["truth"])
            for name in ("linear_map_all", "shrunk_map_all"):
                r["test"][name] = extra["test"][name]
        rolling = path.with_name(path.stem + "-rolling.pkl")
        if rolling.exists():  # the rolling origins (record --rolling)
            r["rolling"] = pickle.load(open(rolling, "rb"))
        r["steps"] = tables[r["table"]]["steps"]
        results.append(r)
    best = best_baselines({r["table"]: tables[r["table"]] for r in results})
    print(f"{len(results)} runs: " + ", ".join(f"{r['table']}/{r['seed']}" for r in results))
    every = rules()
    variants = [(name, rule, False) for name, rule in every.items()]
    if all("linear_map_all" in r["test"] for r in results):
        variants += [(name + ", refit", every[name], True)
                     for name in ("top2 (before)", "top2+new", "top3+new", TODAY)]
    scored = {}
    for rule_name, rule, refit in variants:
        forecasts = [forecast_of(rule, r, refit) for r in results]
        if any(f is None for f in forecasts):
            continue
        scored[rule_name] = np.asarray([rmse(f, r["truth"]) / best[r["table"]][1]
                                        for f, r in zip(forecasts, results)])
    # a ceiling, not a rule: the best mean of two candidates on the held-out rows
    ceiling = []
    for r in results:
        names = [m for m in r["test"] if not m.endswith("_all")]
        ceiling.append(min(rmse((r["test"][a] + r["test"][b]) / 2, r["truth"])
                           for i, a in enumerate(names) for b in names[i:])
                       / best[r["table"]][1])
    scored["(best pair on held-out rows)"] = np.asarray(ceiling)
    today = TODAY if TODAY in scored else "top2+new"
    losers = sorted({r["table"] for r, x in zip(results, scored[today]) if x >= 1})
    print(f"{'rule':<32} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6}"
          f" {'':16}" + "".join(f"{t[:11]:>12}" for t in losers))
    for name, ratios in scored.items():
        wins, med, geo, worst, where = summary(ratios, results)
        cells = "".join(
            f"{'/'.join(f'{x:.2f}' for x, r in zip(ratios, results) if r['table'] == t):>12}"
            for t in losers)
        print(f"{name:<32} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} {'(' + where + ')':16}"
              + cells)
    print("\nparameter chosen on the other 17 tables (lowest geo-mean), scored on the one left")
    print(f"{'family':<32} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6}")
    names = [r["table"] for r in results]
    for prefix, family in FAMILIES.items():
        members = [today] + [
            n for n in scored if n.startswith(prefix) and
            not any(n.startswith(p) for p in FAMILIES if len(p) > len(prefix))]
        out = np.empty(len(results))
        picked = []
        for t in dict.fromkeys(names):
            mask = np.asarray([n == t for n in names])
            choice = min(members, key=lambda m: np.log(scored[m][~mask]).mean())
            out[mask] = scored[choice][mask]
            picked.append(choice)
        wins, med, geo, worst, where = summary(out, results)
        print(f"{family:<32} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} ({where}); chose "
              + ", ".join(f"{m} x{picked.count(m)}" for m in dict.fromkeys(picked)))
    print("\nthe networks' optimism: (networks / best other candidate on the held-out rows) "
          "over (the same on the validation rows), per table (mean of logs over seeds)")
    for close in (1.15, 1.25, 1.4, np.inf):
        shift: dict[str, list] = {}
        for r in results:
            errors = {m: e for m, e in r["val_rmse"].items() if np.isfinite(e)}
            other = min((m for m in errors if m != "networks"), key=errors.get)
            on_val = errors["networks"] / errors[other]
            if abs(np.log(on_val)) <= np.log(close):
                held = rmse(r["test"]["networks"], r["truth"]) / rmse(r["test"][other],
                                                                      r["truth"])
                shift.setdefault(r["table"], []).append(np.log(held / on_val))
        logs = np.asarray([np.mean(v) for v in shift.values()])
        print(f"validation ratio within x{close}: {len(logs)} tables, median "
              f"x{np.exp(np.median(logs)):.3f}, geo-mean x{np.exp(logs.mean()):.3f}, "
              f"above 1 on {(logs > 0).sum()}; " + ", ".join(
                  f"{t} {np.exp(np.mean(v)):.2f}" for t, v in shift.items()))
    print("\nper table (each candidate's held-out RMSE over the best baseline; *: chosen)")
    names = ["networks", "linear_map", "shrunk_map", "naive", "seasonal_naive",
             "window_mean", *NEW, "linear_map_all", "shrunk_map_all"]
    print(f"{'table':<18}" + "".join(f"{n[:10]:>11}" for n in names) + "  n_val")
    for r in results:
        b = best[r["table"]][1]
        cells = []
        for n in names:
            if n not in r["test"]:
                cells.append(f"{'-':>11}")
                continue
            mark = "*" if r["chosen"].get(n, 0) > 0 else " "
            cells.append(f"{rmse(r['test'][n], r['truth']) / b:10.2f}{mark}")
        print(f"{r['table'] + '/' + str(r['seed']):<18}" + "".join(cells)
              + f"  {r['val_windows']}")


WATCHED = ("arrivals", "lakehuron", "nile", "frozenjuice", "prices", "a10")


def window_records(store: Path, seed: int, panel_file: Path = PANEL_FILE
                   ) -> tuple[dict, dict, list, dict]:
    """``record --window-set``'s records: the panel's tables, each table's records by
    window, the tables recorded, and each one's best baseline."""
    tables = {t["name"]: t for t in panel.load_panel(panel_file)}
    runs: dict[str, dict[int, dict]] = {}
    for path in sorted(store.glob(f"*-seed{seed}-w*.pkl")):
        r = pickle.load(open(path, "rb"))
        runs.setdefault(r["table"], {})[r["window"]] = r
    names = [t for t in tables if t in runs]
    return tables, runs, names, best_baselines({t: tables[t] for t in names})


def judge_windows(store: Path, seed: int = 0, panel_file: Path = PANEL_FILE) -> None:
    """Rules that choose the window per table on the validation windows, among the
    cheap candidates only (every candidate but the networks), from ``record
    --window-set``: each table's records, one per window of ``window_set``."""
    tables, runs, names, best = window_records(store, seed, panel_file)
    sets, default_of = {}, {}
    for t in names:
        d = next(r for r in runs[t].values() if r.get("default"))
        default_of[t], sets[t] = d["window"], window_set(d["window_inputs"], d["window"])
        missing = set(sets[t].values()) - set(runs[t])
        assert not missing, f"{t}: no record of windows {missing}"
        for r in runs[t].values():  # the same target rows whatever the window
            assert np.allclose(r["truth"], d["truth"]), t
            assert np.allclose(r["val_y"], d["val_y"]), t

    def pair(r):  # today's choice among the cheap candidates: the two best, equally
        e = {m: v for m, v in r["val_rmse"].items() if np.isfinite(v)}
        order = sorted(e, key=lambda m: (e[m], list(e).index(m)))[:CHOSEN]
        val = np.mean([r["val_pred"][m] for m in order], axis=0)
        test = np.mean([r["test"][m] for m in order], axis=0)
        return order, rmse(val, r["val_y"]), test

    info = {t: {w: pair(r) for w, r in runs[t].items()} for t in names}

    def ratio(t, test):
        return rmse(test, runs[t][default_of[t]]["truth"]) / best[t][1]

    def fixed(key):
        return lambda t: sets[t][key]

    def by_pair(windows_of=None, margin=0.0):
        """The window whose pair scores best on validation (ties: the shorter), taken
        over the default only when it beats the default's pair by ``margin``."""
        def rule(t):
            ws = sorted(set(sets[t].values()) if windows_of is None else windows_of(t))
            w = min(ws, key=lambda w: (info[t][w][1], w))
            d = default_of[t]
            return w if info[t][w][1] < info[t][d][1] * (1 - margin) else d
        return rule

    def dm(t, w):
        """Diebold-Mariano t of window w's pair against the default's on the validation
        windows: the mean difference of their squared errors per window over its standard
        error, with Bartlett weights up to lag steps - 1 (the windows' targets overlap)."""
        def errors(w):
            order, r = info[t][w][0], runs[t][w]
            pred = np.mean([r["val_pred"][m] for m in order], axis=0)
            return np.square(pred - r["val_y"]).sum(axis=1)
        d = errors(w) - errors(default_of[t])
        n, lag = len(d), runs[t][default_of[t]]["window_inputs"]["steps"] - 1
        c = d - d.mean()
        var = c @ c / n + 2 * sum((1 - k / (lag + 1)) * (c[k:] @ c[:-k]) / n
                                  for k in range(1, min(lag, n - 1) + 1))
        return d.mean() / np.sqrt(max(var, 1e-300) / n) if d.any() else 0.0

    def by_test(windows_of=None, level=2.0):
        """The best pair's window among those whose pair beats the default's by a
        Diebold-Mariano t below -level; else the default."""
        def rule(t):
            ws = sorted(set(sets[t].values()) if windows_of is None else windows_of(t))
            better = [w for w in ws if w != default_of[t] and dm(t, w) < -level]
            return min(better, key=lambda w: (info[t][w][1], w)) if better else default_of[t]
        return rule

    def by_single(t):  # the window of the best single candidate
        ws = sorted(set(sets[t].values()))
        return min(ws, key=lambda w: (min(v for v in runs[t][w]["val_rmse"].values()
                                          if np.isfinite(v)), w))

    chosen: dict[str, dict[str, int]] = {}
    scored: dict[str, np.ndarray] = {}
    window_rules = {"today: default window": fixed("default"),
                    **{f"fixed: {k}": fixed(k) for k in
                       ("2 seasons", "3 seasons", "30", "rows/4", "rows/3")},
                    "chosen: best pair on validation": by_pair(),
                    "chosen: best single candidate's window": by_single,
                    "chosen between default and rows/3": by_pair(
                        lambda t: {sets[t]["default"], sets[t]["rows/3"]}),
                    "chosen between default and 30": by_pair(
                        lambda t: {sets[t]["default"], sets[t]["30"]}),
                    "chosen among default and longer": by_pair(
                        lambda t: {w for w in sets[t].values() if w >= default_of[t]})}
    levels = (1.0, 1.5, 2.0, 2.5, 3.0)
    window_rules.update({f"chosen if better by DM t < -{v:g}": by_test(level=v)
                         for v in levels})
    window_rules["chosen between default and 30, DM t < -2"] = by_test(
        lambda t: {sets[t]["default"], sets[t]["30"]})
    margins = (0.02, 0.05, 0.1, 0.2)
    window_rules.update({f"chosen if better by {m:.0%}": by_pair(margin=m) for m in margins})
    for name, rule in window_rules.items():
        chosen[name] = {t: rule(t) for t in names}
        scored[name] = np.asarray([ratio(t, info[t][chosen[name][t]][2]) for t in names])

    # rules that mix windows
    def pool(t):  # the two best (candidate, window) on validation, equally
        e = {(m, w): v for w, r in runs[t].items() if w in set(sets[t].values())
             for m, v in r["val_rmse"].items() if np.isfinite(v)}
        order = sorted(e, key=lambda k: (e[k], k[1]))[:CHOSEN]
        return np.mean([runs[t][w]["test"][m] for m, w in order], axis=0), order

    def mean_of_windows(t):  # every window's pair, averaged over the windows
        ws = sorted(set(sets[t].values()))
        return np.mean([info[t][w][2] for w in ws], axis=0)

    def mean_default_and(key):
        def rule(t):
            ws = sorted({sets[t]["default"], sets[t][key]})
            return np.mean([info[t][w][2] for w in ws], axis=0)
        return rule

    pooled = {t: pool(t) for t in names}
    scored["pool: two best (candidate, window)"] = np.asarray(
        [ratio(t, pooled[t][0]) for t in names])
    scored["mean of every window's pair"] = np.asarray(
        [ratio(t, mean_of_windows(t)) for t in names])
    for key in ("rows/3", "30"):
        scored[f"mean of default's and {key}'s pairs"] = np.asarray(
            [ratio(t, mean_default_and(key)(t)) for t in names])
    scored["(ceiling: best window on held-out)"] = np.asarray(
        [min(ratio(t, info[t][w][2]) for w in set(sets[t].values())) for t in names])

    # the margin chosen on the other 17 tables (lowest geo-mean; ties: today, then smaller)
    family = ["today: default window", "chosen: best pair on validation"] + [
        f"chosen if better by {m:.0%}" for m in margins]
    loo, picked = np.empty(len(names)), []
    for i in range(len(names)):
        keep = np.arange(len(names)) != i
        pick = min(family, key=lambda m: (np.log(scored[m][keep]).mean(), family.index(m)))
        loo[i] = scored[pick][i]
        picked.append(pick)
    scored["margin chosen leaving the table out"] = loo
    tests = ["today: default window"] + [f"chosen if better by DM t < -{v:g}" for v in levels]
    loo_dm, picked_dm = np.empty(len(names)), []
    for i in range(len(names)):
        keep = np.arange(len(names)) != i
        pick = min(tests, key=lambda m: (np.log(scored[m][keep]).mean(),
                                         -len(tests) if m == tests[0] else -tests.index(m)))
        loo_dm[i] = scored[pick][i]
        picked_dm.append(pick)
    scored["DM level chosen leaving the table out"] = loo_dm

    results = [{"table": t} for t in names]
    watched = [t for t in WATCHED if t in names]
    print(f"{len(names)} tables, seed {seed}; ratio = held-out RMSE / best baseline's; "
          "cheap candidates only (no networks)")
    print(f"{'rule':<42} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6} {'':18}"
          + "".join(f"{t[:11]:>12}" for t in watched))
    for name, ratios in scored.items():
        wins, med, geo, worst, where = summary(ratios, results)
        cells = "".join(f"{ratios[names.index(t)]:12.3f}" for t in watched)
        print(f"{name:<42} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} "
              f"{'(' + where + ')':18}" + cells)
    print("\nmargin chosen leaving each table out: " + ", ".join(
        f"{m} x{picked.count(m)}" for m in dict.fromkeys(picked)))
    print("DM level chosen leaving each table out (ties: today, then the strictest): "
          + ", ".join(f"{m} x{picked_dm.count(m)}" for m in dict.fromkeys(picked_dm)))
    print("\nper table: the windows (rule: rows), each window's pair on validation (scaled "
          "RMSE) and held-out ratio; *: today's default")
    for t in names:
        ws = sorted(set(sets[t].values()))
        print(f"{t:<17} " + "  ".join(
            f"w{w}{'*' if w == default_of[t] else ''}: {info[t][w][1]:.3f} / "
            f"{ratio(t, info[t][w][2]):.3f} ({'+'.join(info[t][w][0])})" for w in ws))
        print(f"{'':<17} DM t against the default: " + ", ".join(
            f"w{w} {dm(t, w):+.2f}" for w in ws if w != default_of[t]))
        print(f"{'':<17} sets: {sets[t]}; chosen (best pair): "
              f"{chosen['chosen: best pair on validation'][t]}; pool: {pooled[t][1]}")
    print("\nwindow chosen per rule and table")
    for name in chosen:
        print(f"{name:<42} " + " ".join(f"{t[:6]}={chosen[name][t]}" for t in names))


WATCHED_CHEAP = ("a10", "usmelec", "seatbelts", "usemployment", "ukgas", "arrivals",
                 "ausaccommodation", "lakehuron", "nile", "frozenjuice", "prices")


def judge_cheap(store: Path, seed: int = 0, panel_file: Path = PANEL_FILE) -> None:
    """Today's choice among the cheap candidates (the two best on validation, equally)
    with and without ``seasonal_drift`` and its variants, at the windows recorded by
    ``record --window-set [--windows ...]``, per window rule ("default", "3 seasons")."""
    tables, runs, names, best = window_records(store, seed, panel_file)
    default = {t: next(r for r in runs[t].values() if r.get("default")) for t in names}
    today = [m for m in default[names[0]]["val_rmse"] if m not in NEW_CHEAP]
    pools = {"today": (), "today + seasonal_drift": ("seasonal_drift",),
             "today + seasonal_drift_half": ("seasonal_drift_half",),
             "today + seasonal_drift_last": ("seasonal_drift_last",),
             "today + all three": ("seasonal_drift",) + VARIANTS,
             "today + level_map": ("level_map",),
             "today + seasonal_drift + level_map": ("seasonal_drift", "level_map"),
             "today + seasonal_drift + level_bic": ("seasonal_drift", "level_bic"),
             "today + seasonal_drift + level_aic": ("seasonal_drift", "level_aic"),
             "today + seasonal_drift + holt_winters": ("seasonal_drift", "holt_winters")}

    def pair(r, extra, swap=False):
        e = {m: v for m, v in r["val_rmse"].items()
             if np.isfinite(v) and (m not in NEW_CHEAP or m in extra)}
        if swap:  # seasonal_drift in place of the seasonal naive where it is there
            if "seasonal_drift" in e:
                e.pop("seasonal_naive", None)
        order = sorted(e, key=lambda m: (e[m], list(e).index(m)))[:CHOSEN]
        return order, np.mean([r["test"][m] for m in order], axis=0)

    for key in ("default", "3 seasons"):
        window_of = {}
        for t in names:
            w = window_set(default[t]["window_inputs"], default[t]["window"])[key]
            if w in runs[t]:
                window_of[t] = w
        if len(window_of) < len(names):
            print(f"\n{key}: records for {len(window_of)} of {len(names)} tables only: "
                  f"missing {sorted(set(names) - set(window_of))}")
            if not window_of:
                continue
        ts = [t for t in names if t in window_of]
        print(f"\nwindow: {key}; {len(ts)} tables, seed {seed}; ratio = held-out RMSE / "
              "best baseline's; cheap candidates only (no networks); "
              f"today's candidates: {', '.join(today)}")
        print(f"{'pool':<34} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6} {'':20} "
              f"{'sdrift in 2':>11}" + "".join(f"{t[:8]:>9}" for t in WATCHED_CHEAP))
        results = [{"table": t} for t in ts]
        chosen_all, ratio_all = {}, {}
        for name, extra in list(pools.items()) + [("seasonal_drift in place of seasonal_naive",
                                                   ("seasonal_drift",))]:
            swap = name.endswith("seasonal_naive")
            picks = {t: pair(runs[t][window_of[t]], extra, swap) for t in ts}
            chosen_all[name] = {t: p[0] for t, p in picks.items()}
            ratios = np.asarray([rmse(picks[t][1], runs[t][window_of[t]]["truth"]) / best[t][1]
                                 for t in ts])
            ratio_all[name] = ratios
            wins, med, geo, worst, where = summary(ratios, results)
            used = sum(any(m in NEW_CHEAP for m in picks[t][0]) for t in ts)
            have = sum(any(m in extra for m in runs[t][window_of[t]]["val_rmse"]) for t in ts)
            cells = "".join(f"{ratios[ts.index(t)]:9.3f}" if t in ts else f"{'-':>9}"
                            for t in WATCHED_CHEAP)
            print(f"{name:<34} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} "
                  f"{'(' + where + ')':20} {f'{used}/{have}' if extra else '-':>11}" + cells)
        print("\ntables whose ratio moves against today's (today -> pool):")
        for name, ratios in ratio_all.items():
            moved = [f"{t} {ratio_all['today'][i]:.3f} -> {ratios[i]:.3f} "
                     f"({'+'.join(chosen_all[name][t])})"
                     for i, t in enumerate(ts) if abs(ratios[i] - ratio_all["today"][i]) > 5e-4]
            if name != "today":
                print(f"  {name}: " + ("; ".join(moved) or "none"))
        print("\nper table (window; seasonal_drift's validation rank among today's + it; "
              "the pair chosen today -> with seasonal_drift):")
        for t in ts:
            r = runs[t][window_of[t]]
            e = {m: v for m, v in r["val_rmse"].items()
                 if np.isfinite(v) and m not in VARIANTS}
            rank = (sorted(e, key=e.get).index("seasonal_drift") + 1
                    if "seasonal_drift" in e else "-")
            season = default[t]["window_inputs"]["season"]
            print(f"  {t:<17} w{window_of[t]:<3} season {season}  rank {rank}  "
                  f"{'+'.join(chosen_all['today'][t])} -> "
                  f"{'+'.join(chosen_all['today + seasonal_drift'][t])}")


MEANS = {"the three maps": ("linear_map", "shrunk_map", "holt_winters"),
         "the linear map and the smoothing": ("linear_map", "holt_winters"),
         "the three maps and the seasonal naive": ("linear_map", "shrunk_map", "holt_winters",
                                                   "seasonal_naive")}
"""Fixed means of candidates judged as one more candidate (``judge-means``)."""


def squared_errors(r: dict) -> dict[str, np.ndarray]:
    """Each of today's cheap candidates' squared errors on the validation windows of a
    ``record --window-set`` record: windows by steps, in scaled units."""
    left = VARIANTS + LEVEL_MAPS
    return {m: np.square(p - r["val_y"]) for m, p in r["val_pred"].items() if m not in left}


def weighted(r: dict, kept: list[str], mse: dict[str, float]) -> np.ndarray:
    """The held-out forecast of the candidates ``kept``, each weighted by the inverse of
    its validation MSE (``mse``), as the product weighs its pair."""
    from lstmcast.forecast.combination import inverse_mse

    weights = inverse_mse({m: float(np.sqrt(mse[m])) for m in kept})
    return sum(w * r["test"][m] for m, w in weights.items())


def judge_means(store: Path, seed: int = 0, panel_file: Path = PANEL_FILE) -> None:
    """Today's choice among the cheap candidates (the two best on the validation windows,
    weighted by the inverse MSE) with a fixed mean of candidates (``MEANS``) as one more,
    scored on the validation and held-out windows like the others, at the default window
    of ``record --window-set --windows default``."""
    from lstmcast.forecast.combination import inverse_mse

    tables, runs, names, best = window_records(store, seed, panel_file)
    records = [next(r for r in runs[t].values() if r.get("default")) for t in names]

    def forecast(r, added):
        val = {m: float(np.sqrt(e.mean())) for m, e in squared_errors(r).items()}  # today's
        test = dict(r["test"])
        for name in added:
            parts = [m for m in MEANS[name] if m in r["val_pred"]]
            val[name] = float(np.sqrt(np.mean(np.square(
                np.mean([r["val_pred"][m] for m in parts], axis=0) - r["val_y"]))))
            test[name] = np.mean([r["test"][m] for m in parts], axis=0)
        pair = sorted(val, key=val.get)[:CHOSEN]
        weights = inverse_mse({m: val[m] for m in pair})
        return sum(w * test[m] for m, w in weights.items()), weights

    variants = {"today": ()} | {f"+ {n}": (n,) for n in MEANS} | {"+ all three": tuple(MEANS)}
    scored = {}
    print(f"{len(records)} tables, seed {seed}, cheap candidates only (no networks)")
    print(f"{'candidates':<44} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6}")
    for name, added in variants.items():
        scored[name] = np.asarray([rmse(forecast(r, added)[0], r["truth"]) / best[t][1]
                                   for r, t in zip(records, names)])
        wins, med, geo, worst, where = summary(scored[name], [{"table": t} for t in names])
        print(f"{name:<44} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} ({where})")
    first = f"+ {next(iter(MEANS))}"
    print(f"\nper table: today -> {first} (the pair chosen with it)")
    for r, t in zip(records, names):
        a, b = scored["today"][names.index(t)], scored[first][names.index(t)]
        pair = forecast(r, (next(iter(MEANS)),))[1]
        print(f"  {t:<18} {a:.3f} -> {b:.3f}  " + ", ".join(f"{m} {w:.2f}"
                                                          for m, w in pair.items()))



def judge_sets(store: Path, seed: int = 0, panel_file: Path = PANEL_FILE) -> None:
    """Rules that average every cheap candidate not clearly worse than the best on the
    validation windows (in the spirit of a model confidence set), against today's pair:
    a candidate is kept where its mean squared error per window exceeds the best's by less
    than ``t`` standard errors of their window-by-window difference (``block``: the
    windows counted as their number over ``steps``, as consecutive windows share all but
    one target row), the kept ones weighted by the inverse MSE (or equally), at most
    ``cap``; the pair chosen step by step, or ranked over the steps' log errors; the
    best with the partner whose pair scores best, or with the next best whose errors
    correlate less with its own. On ``record --window-set --windows default``'s records
    (no networks)."""
    from lstmcast.forecast.combination import inverse_mse

    tables, runs, names, best = window_records(store, seed, panel_file)
    records = [next(r for r in runs[t].values() if r.get("default")) for t in names]

    def kept_set(t, block=False, cap=None, equal=False):
        def rule(r):
            loss = {m: e.mean(axis=1) for m, e in squared_errors(r).items()}  # per window
            mse = {m: float(v.mean()) for m, v in loss.items()}
            first = min(mse, key=mse.get)
            kept = [first]
            for m, v in loss.items():
                d = v - loss[first]
                n = len(d) / (r["truth"].shape[1] if block else 1)
                se = d.std(ddof=1) / np.sqrt(max(n, 1.0)) if len(d) > 1 else np.inf
                if m != first and se > 0 and d.mean() / se < t:
                    kept.append(m)
            kept = sorted(kept, key=mse.get)[:cap]
            if equal:
                return np.mean([r["test"][m] for m in kept], axis=0)
            return weighted(r, kept, mse)
        return rule

    def pair(r, step=None):
        cols = slice(None) if step is None else slice(step, step + 1)
        mse = {m: float(e[:, cols].mean()) for m, e in squared_errors(r).items()}
        return weighted(r, sorted(mse, key=mse.get)[:CHOSEN], mse)

    def per_step(r):
        out = np.zeros(r["truth"].shape)
        for step in range(r["truth"].shape[1]):
            out[:, step] = pair(r, step)[:, step]
        return out

    def second_by(r, how):
        """The best and a second chosen otherwise: the one whose pair with the best
        scores best on the validation windows ("combined"), or the next best whose errors
        correlate with the best's below a bound (a float: "diverse")."""
        mse = {m: float(e.mean()) for m, e in squared_errors(r).items()}
        order = sorted(mse, key=mse.get)
        errors = {m: (r["val_pred"][m] - r["val_y"]).ravel() for m in order}

        def combined(m):
            w = inverse_mse({k: float(np.sqrt(mse[k])) for k in (order[0], m)})
            return float(np.mean(np.square(sum(x * r["val_pred"][k] for k, x in w.items())
                                           - r["val_y"])))

        if how == "combined":
            second = min(order[1:], key=combined)
        else:
            second = next((m for m in order[1:] if np.corrcoef(errors[order[0]],
                                                              errors[m])[0, 1] < how),
                          order[1])
        return weighted(r, [order[0], second], mse)

    def log_steps(r):
        """The pair ranked by the geometric mean of each step's validation MSE."""
        mse = {m: float(np.exp(np.mean(np.log(e.mean(axis=0) + 1e-12))))
               for m, e in squared_errors(r).items()}
        return weighted(r, sorted(mse, key=mse.get)[:CHOSEN], mse)

    rules = {"today (the best pair)": pair, "the pair per step": per_step,
             "the pair ranked over log step errors": log_steps,
             "the best and its best partner": lambda r: second_by(r, "combined")}
    for rho in (0.9, 0.95, 0.98):
        rules[f"the best and the next below rho {rho}"] = lambda r, rho=rho: second_by(r, rho)
    for t in (0.5, 1.0, 1.64, 2.5):
        rules[f"kept below t {t}"] = kept_set(t)
        rules[f"kept below t {t}, block"] = kept_set(t, block=True)
        rules[f"kept below t {t}, block, at most 3"] = kept_set(t, block=True, cap=3)
        rules[f"kept below t {t}, block, equally"] = kept_set(t, block=True, equal=True)
    print(f"{len(records)} tables, seed {seed}, cheap candidates only (no networks)")
    print(f"{'rule':<42} {'wins':>5} {'median':>7} {'geo':>6} {'worst':>6}")
    for name, rule in rules.items():
        ratios = np.asarray([rmse(rule(r), r["truth"]) / best[t][1]
                             for r, t in zip(records, names)])
        wins, med, geo, worst, where = summary(ratios, [{"table": t} for t in names])
        print(f"{name:<42} {wins:5.0%} {med:7.3f} {geo:6.3f} {worst:6.2f} ({where})")



def judge_bounds(store: Path, seed: int = 0, panel_file: Path = PANEL_FILE,
                 more: tuple[Path, ...] = ()) -> None:
    """Upper bounds in hindsight on what a choice among the cheap candidates can reach:
    per table, the held-out ratio of today's choice, and the best over every pair
    (weighted by their validation MSEs, as the product weighs them) at the default window,
    over every pair and window of ``window_set``, and over every single candidate and
    window. Chosen on the held-out rows themselves, so no rule can reach them: what a
    search over the window and the choice could gain at most (``record --window-set``).
    ``more``: stores of the same records at another scale (``record --scale``), whose
    windows count among the six (a table one of them lacks is bounded without it)."""
    import itertools

    tables, runs, names, best = window_records(store, seed, panel_file)
    others = [window_records(path, seed, panel_file)[1] for path in more]
    rows = []
    for t in names:
        default = next(r for r in runs[t].values() if r.get("default"))
        today = sum(w * default["test"][m] for m, w in default["chosen"].items())
        bounds = [np.inf, np.inf, np.inf]  # pair at the default window, pair, single
        records = [*runs[t].values(), *(r for o in others for r in o.get(t, {}).values())]
        for r in records:
            if not np.allclose(r["truth"], default["truth"]):
                raise ValueError(f"{t}: a record of other held-out rows")
            mse = {m: float(e.mean()) for m, e in squared_errors(r).items()}
            for m in mse:
                bounds[2] = min(bounds[2], rmse(r["test"][m], r["truth"]) / best[t][1])
            for pair in itertools.combinations(mse, 2):
                ratio = rmse(weighted(r, list(pair), mse), r["truth"]) / best[t][1]
                bounds[1] = min(bounds[1], ratio)
                if r is default:
                    bounds[0] = min(bounds[0], ratio)
        rows.append([rmse(today, default["truth"]) / best[t][1], *bounds])
        print(f"{t:<18}" + "".join(f"{v:9.3f}" for v in rows[-1]))
    ratios = np.asarray(rows)
    print(f"{'':<18}{'today':>9}{'pair':>9}{'windows':>9}{'single':>9}")
    for name, value in (("mean", ratios.mean(axis=0)), ("median", np.median(ratios, axis=0)),
                        ("geo-mean", np.exp(np.log(ratios).mean(axis=0)))):
        print(f"{name:<18}" + "".join(f"{v:9.3f}" for v in value))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("action", choices=["record", "judge", "judge-windows", "judge-cheap",
                                      "judge-means", "judge-sets", "judge-bounds"])
    p.add_argument("--tables", help="comma-separated names (default: every table)")
    p.add_argument("--panel", type=Path, default=PANEL_FILE,
                   help="a panel file (default: the development panel; "
                   "benchmarks/check/panel.toml: the check tables)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=90)
    p.add_argument("--maps-only", action="store_true",
                   help="one epoch: record the maps fitted again on the validation windows too")
    p.add_argument("--rolling", action="store_true",
                   help="one epoch: record the candidates but the networks scored from "
                   "rolling origins over the training windows too (least squares only)")
    p.add_argument("--split-validation", action="store_true",
                   help="stop early on the first half of the validation windows, choose on "
                   "the second (an experiment)")
    p.add_argument("--residual", action="store_true",
                   help="the networks learn the correction to the linear map (an experiment)")
    p.add_argument("--window-set", action="store_true",
                   help="one epoch per window of window_set (today's default, 2 and 3 "
                   "seasons, 30, a quarter and a third of the rows): the cheap candidates, "
                   "for judge-windows (files NAME-seedS-wW.pkl)")
    p.add_argument("--windows", help="with --window-set: the windows of window_set to "
                   "record, comma-separated keys (e.g. 'default,3 seasons'; default: all)")
    p.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "lstmcast-choice")
    p.add_argument("--scale", choices=["log", "none"], help="record: every run at this scale "
                   "(--log or --no-log) rather than the one chosen")
    p.add_argument("--more", type=Path, nargs="*", default=[],
                   help="judge-bounds: stores of record --scale to bound over too")
    args = p.parse_args()
    if args.action == "judge":
        judge(args.store, args.panel)
        return
    if args.action == "judge-windows":
        judge_windows(args.store, args.seed, args.panel)
        return
    if args.action == "judge-cheap":
        judge_cheap(args.store, args.seed, args.panel)
        return
    if args.action == "judge-means":
        judge_means(args.store, args.seed, args.panel)
        return
    if args.action == "judge-sets":
        judge_sets(args.store, args.seed, args.panel)
        return
    if args.action == "judge-bounds":
        judge_bounds(args.store, args.seed, args.panel, tuple(args.more))
        return
    if args.scale:
        SCALE_ARGS[:] = ["--log" if args.scale == "log" else "--no-log"]
    from lstmcast.errors import LstmcastError

    keys = args.windows.split(",") if args.windows else None
    wanted = set(args.tables.split(",")) if args.tables else None
    for table in panel.load_panel(args.panel):
        if wanted and table["name"] not in wanted:
            continue
        if args.window_set:
            try:
                print(json.dumps(record_windows(table, args.seed, args.store, keys)),
                      flush=True)
            except LstmcastError as exc:  # --scale log where a value is 0 or below
                print(json.dumps({"table": table["name"], "skipped": str(exc)}), flush=True)
            continue
        suffix = "-rolling" if args.rolling else "-maps" if args.maps_only else ""
        if (args.store / f"{table['name']}-seed{args.seed}{suffix}.pkl").exists():
            continue
        r = record_table(table, args.seed, args.max_seconds, args.store, args.maps_only,
                         args.split_validation, args.rolling, residual=args.residual)
        print(json.dumps({k: v for k, v in r.items() if k in ("table", "seed", "window",
                          "val_windows", "chosen", "epochs", "skipped", "windows")}),
              flush=True)


if __name__ == "__main__":
    main()
