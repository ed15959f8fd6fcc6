"""Intervals on real data: coverage before and after conformal calibration.

Writes docs/intervals.md (generated; do not edit by hand) and docs/intervals.json.

    python benchmarks/intervals.py            # ETTh2 (OT, 24 steps from 96) and C-MAPSS FD001
    python benchmarks/intervals.py --quick    # a smoke run: 2 epochs, fewer rows

For each data set, three forecasts from two trained models:
- a quantile model (levels 0.1, 0.5, 0.9 on the pinball loss) scored as trained
  ("uncalibrated": its shifts set aside) and calibrated (split conformal on its
  validation windows, per step);
- a point model (MSE) whose interval comes from its calibrated validation errors.
Beside them, each baseline's interval from its own errors on the training rows.
Protocols: ETTh2's first 20 months (12 + 4 + 4, as docs/longhorizon.md), column OT, the
long-horizon preset; the model is given the first 16 months and holds out their last 20%
for early stopping and calibration, and is scored on every window of the last 4 months.
C-MAPSS FD001 as docs/accuracy.md (the tutorial's stack, 20% of the training engines held
out whole for early stopping and calibration, the last window of each of the 100 test
engines scored, true RUL not clipped).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import pandas as pd
import torch

import lstmcast
from lstmcast.datasets import load_cmapss, load_etth2
from lstmcast.forecast.forecaster import Forecaster

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (0.1, 0.5, 0.9)
COLUMNS = ["coverage_80", "width_80", "crps", "pinball_0.1", "pinball_0.9"]


def score_both_ways(model: Forecaster, data: pd.DataFrame, **how) -> dict[str, pd.DataFrame]:
    """The model's scores calibrated and with the calibration set aside."""
    shifts = model.intervals_.shifts_
    calibrated = model.evaluate(data, **how)
    model.intervals_.shifts_ = None
    try:
        raw = model.evaluate(data, **how)
    finally:
        model.intervals_.shifts_ = shifts
    return {"uncalibrated": raw, "calibrated": calibrated}


def rows_of(name: str, label: str, scores: pd.DataFrame, models: list[str]) -> list[dict]:
    extra = [c for c in ("late_lower_80", "phm08_lower_80", "phm08") if c in scores]
    out = []
    for model in models:
        row = scores[scores["model"] == model].iloc[0]
        out.append({"data": name, "forecast": label if model == "lstmcast" else
                    f"{model} (training errors)", "rmse": float(row["rmse"]),
                    **{c: float(row[c]) for c in COLUMNS + extra}})
    return out


def run_etth2(epochs: int, quick: bool) -> tuple[list[dict], dict]:
    frame = load_etth2()[["date", "OT"]]
    months = 30 * 24
    end = (12 + 4 + 4) * months
    if quick:
        end = 3000
    frame = frame.iloc[:end]
    test_rows = end // 5
    settings = dict(window=96, steps=24, epochs=epochs, seed=0)
    rows, seconds = [], {}
    started = time.perf_counter()
    quantile = Forecaster.preset("long-horizon", quantiles=LEVELS, calibrate=True, **settings)
    quantile.fit(frame.iloc[:-test_rows], target="OT", time="date")
    seconds["quantile model"] = time.perf_counter() - started
    both = score_both_ways(quantile, frame, holdout=test_rows)
    rows += rows_of("ETTh2 OT", "quantile model, uncalibrated", both["uncalibrated"],
                    ["lstmcast"])
    rows += rows_of("ETTh2 OT", "quantile model, calibrated", both["calibrated"],
                    ["lstmcast", "naive", "seasonal_naive"] if "seasonal_naive" in
                    set(both["calibrated"]["model"]) else ["lstmcast", "naive"])
    started = time.perf_counter()
    point = Forecaster.preset("long-horizon", loss="mse", quantiles=LEVELS,
                              calibrate=True, **settings)
    point.fit(frame.iloc[:-test_rows], target="OT", time="date")
    seconds["point model"] = time.perf_counter() - started
    scores = point.evaluate(frame, holdout=test_rows)
    rows += rows_of("ETTh2 OT", "point model (MSE), calibrated errors", scores, ["lstmcast"])
    info = {"test_rows": test_rows, "windows": int(scores.attrs["n_windows"]),
            "calibration_windows": quantile.intervals_.calibration_windows_,
            "seconds": seconds}
    return rows, info


def run_cmapss(epochs: int, quick: bool) -> tuple[list[dict], dict]:
    data = load_cmapss("FD001")
    settings = dict(window=30, horizon=0, validation_by="series", epochs=epochs, seed=0)
    columns = dict(target="rul", group="unit", time="cycle", features=data.features)
    train = data.train if not quick else data.train[data.train["unit"] <= 30]
    rows, seconds = [], {}
    started = time.perf_counter()
    quantile = Forecaster(quantiles=LEVELS, calibrate=True, **settings).fit(train, **columns)
    seconds["quantile model"] = time.perf_counter() - started
    both = score_both_ways(quantile, data.test, last_only=True)
    rows += rows_of("C-MAPSS FD001", "quantile model, uncalibrated", both["uncalibrated"],
                    ["lstmcast"])
    rows += rows_of("C-MAPSS FD001", "quantile model, calibrated", both["calibrated"],
                    ["lstmcast", "train_mean"])
    started = time.perf_counter()
    point = Forecaster(loss="mse", quantiles=LEVELS, calibrate=True, **settings)
    point.fit(train, **columns)
    seconds["point model"] = time.perf_counter() - started
    scores = point.evaluate(data.test, last_only=True)
    rows += rows_of("C-MAPSS FD001", "point model (MSE), calibrated errors", scores,
                    ["lstmcast"])
    info = {"test_engines": int(scores.attrs["n_windows"]),
            "calibration_windows": quantile.intervals_.calibration_windows_,
            "seconds": seconds}
    return rows, info


def markdown(rows: list[dict], info: dict, args: argparse.Namespace) -> str:
    lines = ["# Intervals on real data: coverage before and after calibration", "",
             "Generated by `python benchmarks/intervals.py` "
             f"({'--quick, ' if args.quick else ''}epochs {args.epochs}); do not edit by hand.",
             "", __doc__.split("\n\n", 3)[3].strip(), "",
             "An 80% interval should hold the truth 80% of the time (coverage_80 = 0.80); "
             "among intervals that do, the narrower is the better (width_80, and the CRPS, "
             "which weighs both). Late lower bound (C-MAPSS): the share of engines whose RUL "
             "interval's lower end is still above the true RUL.", ""]
    for name in dict.fromkeys(r["data"] for r in rows):
        part = [r for r in rows if r["data"] == name]
        extra = [c for c in ("late_lower_80", "phm08_lower_80") if c in part[0]]
        head = ["forecast", "coverage_80", "width_80", "crps", "pinball_0.1", "pinball_0.9",
                "rmse", *extra]
        lines += [f"## {name}", "", f"Run: {json.dumps(info[name])}", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in part:
            lines.append("| " + " | ".join(r[h] if h == "forecast" else f"{r[h]:.3f}"
                                           for h in head) + " |")
        lines.append("")
    lines += ["Machine: " + f"{platform.processor() or platform.machine()}, "
              f"{torch.get_num_threads()} threads, torch {torch.__version__}, "
              f"lstmcast {lstmcast.__version__}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--data", default="etth2,cmapss")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    args.epochs = args.epochs or (2 if args.quick else 30)
    rows, info = [], {}
    for name in args.data.split(","):
        run = {"etth2": run_etth2, "cmapss": run_cmapss}[name]
        got, detail = run(args.epochs, args.quick)
        rows += got
        info[got[0]["data"]] = detail
        print(pd.DataFrame(got).to_string(index=False), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "intervals.json").write_text(json.dumps({"rows": rows, "info": info}, indent=1))
    (out / "intervals.md").write_text(markdown(rows, info, args))
    print(f"wrote {out / 'intervals.md'}")


if __name__ == "__main__":
    main()
