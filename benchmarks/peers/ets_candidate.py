"""An upper view of a candidate that reads a series' whole history: statsforecast's
AutoETS added to the forecasts the defaults choose among, judged on recorded runs.

    /tmp/peers-venv/bin/python benchmarks/peers/ets_candidate.py \
        --panel benchmarks/check/panel.toml --store /tmp/pc-check
    /tmp/peers-venv/bin/python benchmarks/peers/ets_candidate.py \
        --panel benchmarks/panel/panel.toml --store /tmp/pc-dev0

``--store`` holds the runs of ``benchmarks/panel_choice.py record --seed 0`` (every
candidate's RMSE on the validation windows, scaled units, and its forecasts of the
held-out windows). For each table AutoETS (``season_length`` the table's season, none
over 24, as the panel's peer) is fitted per series on the rows before the validation
part (the last 20% of the training rows, as ``fit`` holds them out) and forecasts every
validation window from the whole series up to its origin (``forward``); its RMSE there,
brought to the scaled units by the ratio of the seasonal naive's recorded RMSE to its
RMSE in the table's units, enters the ranking beside the others. The held-out windows
are forecast by AutoETS fitted on every training row (``--no-refit``: on the rows before
the validation part). Today's rule is then applied with and without it (the two best by
validation RMSE, weighted by the inverse of their squared RMSE; the networks only where
today's choice took them), and each forecast is scored on the held-out windows over the
best baseline, as ``panel_choice.py judge`` scores them. Tables whose series do not come
back in the record's order are left out (they are named).

Needs the peers' python (numpy, pandas, statsforecast; see panel_peer.py) and nothing of
lstmcast: ``benchmarks/panel.py`` is imported for the panel, the baselines and the windows.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import panel  # noqa: E402  (benchmarks/panel.py)

VALIDATION = 0.2
"""The Forecaster's default validation fraction."""


def training_rows(rows: int, fraction: float) -> int:
    return int(np.floor(rows * (1.0 - fraction) + 1e-9))


def rmse(p: np.ndarray, t: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(p) - np.asarray(t)) ** 2)))


def forecasts(model, y: np.ndarray, origins: np.ndarray, steps: int) -> np.ndarray:
    return np.stack([model.forward(y[: o + 1], h=steps)["mean"] for o in origins])


def seasonal_naive(y: np.ndarray, origins: np.ndarray, steps: int, season: int) -> np.ndarray:
    ahead = 1 + np.arange(steps)
    back = season * np.ceil(ahead / season).astype(np.int64)
    return y[origins[:, None] + ahead[None, :] - back[None, :]]


def choose(errors: dict, networks: bool) -> dict:
    """Today's rule on recorded errors: the best two, weighted by inverse MSE."""
    pool = {m: e for m, e in errors.items() if m != "networks" or networks}
    pair = sorted(pool, key=pool.get)[:2]
    inverse = {m: 1.0 / pool[m] ** 2 for m in pair}
    total = sum(inverse.values())
    return {m: v / total for m, v in inverse.items()}


def ets_of(table: dict, series: dict, refit: bool) -> dict:
    from statsforecast.models import AutoETS

    steps, season = table["steps"], int(table.get("season") or 1)
    length = season if season <= 24 else 1
    hold = panel.plan(table, series)["holdout"]
    parts: dict[str, list] = {k: [] for k in ("val", "val_truth", "val_naive", "test", "truth")}
    for y in series.values():
        train = len(y) - hold
        fit_end = training_rows(train, VALIDATION)
        val_origins = np.arange(fit_end - 1, train - steps)
        test_origins = panel.origins(len(y), hold, steps)
        model = AutoETS(season_length=length).fit(y[:fit_end])
        parts["val"].append(forecasts(model, y, val_origins, steps))
        parts["val_truth"].append(panel.gather(y, val_origins, steps))
        parts["val_naive"].append(seasonal_naive(y, val_origins, steps, max(1, season)))
        final = AutoETS(season_length=length).fit(y[:train]) if refit else model
        parts["test"].append(forecasts(final, y, test_origins, steps))
        parts["truth"].append(panel.gather(y, test_origins, steps))
    return {k: np.concatenate(v) for k, v in parts.items()}


def judge(panel_file: Path, store: Path, refit: bool) -> list[tuple]:
    tables = {t["name"]: t for t in panel.load_panel(panel_file)}
    rows = []
    for path in sorted(store.glob("*-seed0.pkl")):
        record = pickle.load(open(path, "rb"))
        table = tables[record["table"]]
        series = panel.load_series(table)
        ets = ets_of(table, series, refit)
        truth = record["truth"]
        if ets["truth"].size != truth.size or not np.allclose(ets["truth"].ravel(), truth.ravel()):
            print(f"{record['table']}: its series are recorded in another order; left out")
            continue
        season = int(table.get("season") or 1)
        key = "seasonal_naive" if season > 1 else "naive"
        scale = record["val_rmse"][key] / rmse(ets["val_naive"], ets["val_truth"])
        errors = {m: e for m, e in record["val_rmse"].items() if np.isfinite(e)}
        with_ets = dict(errors, ets=rmse(ets["val"], ets["val_truth"]) * scale)
        networks = "networks" in record["chosen"]
        tests = dict(record["test"], ets=ets["test"].reshape(truth.shape))
        hold = panel.plan(table, series)["holdout"]
        best = min(rmse(np.concatenate([b[k] for k in series]), truth)
                   for b in panel.baselines(series, hold, table["steps"], season).values())
        today = sum(w * tests[m] for m, w in choose(errors, networks).items())
        chosen = choose(with_ets, networks)
        plus = sum(w * tests[m] for m, w in chosen.items())
        rows.append((record["table"], rmse(today, truth) / best, rmse(plus, truth) / best,
                     rmse(tests["ets"], truth) / best, ", ".join(sorted(chosen))))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--panel", type=Path, required=True)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--no-refit", dest="refit", action="store_false")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    rows = judge(args.panel, args.store, args.refit)
    print("| table | today | with AutoETS | AutoETS alone | chosen with AutoETS |")
    print("|---|---|---|---|---|")
    for name, today, plus, alone, chosen in rows:
        print(f"| {name} | {today:.3f} | {plus:.3f} | {alone:.3f} | {chosen} |")
    ratios = np.array([r[1:4] for r in rows])
    for j, name in enumerate(["today", "with AutoETS", "AutoETS alone"]):
        col = ratios[:, j]
        print(f"{name}: beat {(col < 1).mean():.0%}, median {np.median(col):.3f}, "
              f"geo-mean {np.exp(np.log(col).mean()):.3f}, worst {col.max():.3f}")


if __name__ == "__main__":
    main()
