"""Accuracy on the tutorial's own data: C-MAPSS FD001-FD004, plus two univariate anchors.

Writes docs/accuracy.md (generated; do not edit by hand) and docs/accuracy.json.

    python benchmarks/cmapss.py                    # the full protocol: 5 seeds, 4 subsets
    python benchmarks/cmapss.py --quick            # a smoke run: FD001, 1 seed, 2 epochs
    python benchmarks/cmapss.py --configs b --keep # run (b) again, keep the (a) rows on file
    python benchmarks/cmapss.py --configs b-age --keep   # (b) with the engine's age as input
    python benchmarks/cmapss.py --configs b-mae --keep   # (b) trained on the absolute error

Protocol (also written into the doc):
- training target: remaining useful life clipped at 125 cycles;
  test truth: RUL_FD00x.txt, not clipped;
- features: the 21 sensors less those with no variance within an operating condition of the
  training engines, plus, for FD001 and FD003, the settings that vary (`CMAPSS.features`);
  a configuration may add inputs (it says which);
- scaling fitted on the training engines only, per operating condition for FD002 and FD004
  (six conditions from k-means on the three settings), global for FD001 and FD003;
- windows of 30 cycles per engine; a test engine with fewer cycles is padded at the front
  with its first row (never dropped);
- early stopping on 20% of the training engines, held out whole, never on the test set;
- evaluation on the last window of each test engine: RMSE over engines and the PHM08 score.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import lstmcast
from lstmcast.datasets import load_airline, load_cmapss, load_sunspots
from lstmcast.forecast import scores
from lstmcast.forecast.forecaster import Forecaster

ROOT = Path(__file__).resolve().parents[1]

# Published test RMSE (FD001, FD002, FD003, FD004); protocols differ between papers.
ANCHORS = {
    "LSTM, Zheng et al. 2017 (ICPHM)": (16.14, 24.49, 16.18, 28.17),
    "Deep CNN, Li, Ding, Sun 2018 (RESS 172)": (12.61, 22.36, 12.64, 23.31),
    "Attention models, e.g. STAR (Fan et al. 2024), about": (10.6, 13.5, 10.7, 15.9),
}
# Later results from studies that ran several models or seeds under one pipeline of their
# own (numbers from their abstracts; None: subset not reported). Context, not targets.
CONTROLLED = {
    "LSTM, one layer, arXiv 2604.27234 (2026), \"A Comparative Study of Classical, CNN, and "
    "LSTM Approaches\"": (14.93, None, 14.20, None),
    "1D CNN, the same study and pipeline": (16.97, None, 15.68, None),
    "AE-LSTM, Machines 14(2) 135 (2026), \"Effects of Window and Batch Size on "
    "Autoencoder-LSTM Models\", best mean over several seeds on a grid of windows and "
    "batches": (13.99, None, None, 28.67),
}
SUBSETS = ("FD001", "FD002", "FD003", "FD004")
# a test engine seen for fewer cycles than this is "young": the doc splits the error there
YOUNG = 100

# (b)'s learning-rate schedule, shared by the rows that vary (b)
SCHEDULE = {"learning_rate": 3e-3, "lr_patience": 3, "patience": 12}

CONFIGS = {
    "a": {"about": "the tutorial's model: LSTM 100 -> Dropout 0.2 -> LSTM 50 -> "
                   "Dropout 0.2 -> Dense 1, MSE, Adam 1e-3, batch 200, min-max scaling, "
                   "early stopping patience 10; inputs `CMAPSS.features`",
          "params": {}, "extra_inputs": {}},
    "b": {"about": "the tutorial's layers and loss with a learning-rate schedule: Adam "
                   "starting at 3e-3, halved after 3 epochs without a better validation loss "
                   "(floor 1e-5), early stopping patience 12 (`Forecaster(learning_rate=3e-3, "
                   "lr_patience=3, patience=12)`); inputs `CMAPSS.features`",
          "params": SCHEDULE,
          "extra_inputs": {}},
    "b-age": {"about": "(b) with the engine's age as an input too (`cycle`, the time column, "
                       "also given as a feature); not part of (b): it lowers the test RMSE "
                       "on three subsets and raises it on FD003",
              "params": SCHEDULE,
              "extra_inputs": {subset: ["cycle"] for subset in SUBSETS}},
    "b-mae": {"about": "(b) trained on the mean absolute error (`loss=\"mae\"`): it forecasts "
                       "the median, which is the cap itself for windows that look healthy, "
                       "where the mean of a capped target lies below the cap; not part of "
                       "(b): it lowers the test RMSE where engines past the cap make most of "
                       "the error (FD002, FD004) and raises it on FD001 and FD003",
              "params": {**SCHEDULE, "loss": "mae"}, "extra_inputs": {}},
}


def cmapss_run(subset: str, config: dict, seed: int, epochs: int) -> dict:
    """One training and test run of ``config`` (a CONFIGS entry) on ``subset``."""
    data = load_cmapss(subset, rul_cap=125)
    features = data.features + config["extra_inputs"].get(subset, [])
    params = config.get("params", {})
    started = time.perf_counter()
    model = Forecaster(**{"window": 30, "horizon": 0, "validation": 0.2,
                          "validation_by": "series", "scale_by": data.scale_by, "epochs": epochs,
                          "seed": seed * params.get("ensemble", 1), **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padded short test engines are counted below
        model.fit(data.train, target="rul", features=features, group="unit", time="cycle")
        result, predictions = model.evaluate(data.test, last_only=True, return_predictions=True)
    row = result.set_index("model").loc["lstmcast"]
    truth, forecast = predictions["actual"].to_numpy(), predictions["lstmcast"].to_numpy()
    # many papers also clip the test truth at the cap; shown beside ours for comparison only
    clipped = np.minimum(truth, data.rul_cap)
    rmse_clipped = scores.rmse(clipped, forecast)
    # what the cap alone costs: forecasting the cap for engines whose true RUL is larger
    floor = scores.rmse(truth, clipped)
    # the engines beyond the cap: how many, what they are forecast, their share of the error
    beyond, squared = truth > data.rul_cap, (forecast - truth) ** 2
    # the young engines, seen for fewer than YOUNG cycles: the model against the age alone
    # cycles each test engine was seen for: short ones are padded, young ones split out below
    seen = data.test.groupby("unit")["cycle"].max().loc[predictions["unit"]].to_numpy()
    short = int((seen < 30).sum())
    young, age = seen < YOUNG, age_only(data.train, seen, data.rul_cap)
    return {"subset": subset, "seed": seed, "rmse": float(row["rmse"]),
            "rmse_clipped_truth": rmse_clipped, "cap_floor_rmse": floor,
            "beyond_cap_engines": int(beyond.sum()),
            "beyond_cap_forecast": float(forecast[beyond].mean()) if beyond.any() else None,
            "beyond_cap_error_share": float(squared[beyond].sum() / squared.sum()),
            "young_engines": int(young.sum()),
            "young_error_share": float(squared[young].sum() / squared.sum()),
            "young_rmse": scores.rmse(truth[young], forecast[young]),
            "young_age_only_rmse": scores.rmse(truth[young], age[young]),
            "young_at_cap_rmse": scores.rmse(truth, np.where(young, data.rul_cap, forecast)),
            "age_only_rmse": scores.rmse(truth, age),
            "forecasts": [round(float(f), 3) for f in forecast],
            "phm08": float(row["phm08"]), "epochs": len(model.history_["loss"]),
            "seconds": time.perf_counter() - started, "padded_engines": short,
            "torch_threads": torch.get_num_threads(),
            "baseline_rmse": float(result.set_index("model").loc["train_mean", "rmse"])}


def age_only(train: pd.DataFrame, seen: np.ndarray, cap: int) -> np.ndarray:
    """The forecast from an engine's age alone: for an engine seen for t cycles, the mean
    capped RUL at cycle t of the training engines that lived at least t cycles (0 past the
    oldest). It uses no sensor: what the sensors add is the model's gain over it."""
    lives = train.groupby("unit")["cycle"].max().to_numpy()
    return np.array([np.minimum(lives[lives >= t] - t, cap).mean() if (lives >= t).any()
                     else 0.0 for t in seen])


# The CLI's built-in settings for each series (lstmcast.runs.folders.resolve), and what
# other options are worth there: modelling the passengers' changes (difference, the
# built-in setting until the forecast chosen on the validation rows made it worse) and
# raw levels.
UNIVARIATE = {
    "airline": {"target": "passengers", "time": "month", "holdout": 24,
                "params": {"window": 24, "season": 12},
                "also": {"lstmcast, difference=True": {"difference": True},
                         "lstmcast, levels (normalize=None)": {"normalize": None}}},
    "sunspots": {"target": "sunspots", "time": "year", "holdout": 30,
                 "params": {"window": 30},
                 "also": {"lstmcast, levels (normalize=None)": {"normalize": None}}},
}


def univariate(name: str, epochs: int, seeds: int, classical: bool) -> list[dict]:
    """lstmcast (one row per seed) against naive baselines and a classical model,
    one-step-ahead over the test part."""
    spec = UNIVARIATE[name]
    frame = load_airline() if name == "airline" else load_sunspots()
    target, holdout = spec["target"], spec["holdout"]
    rows = []
    for label, change in {"lstmcast": {}, **spec.get("also", {})}.items():
        for seed in range(seeds):
            model = Forecaster(epochs=epochs, seed=seed, **{**spec["params"], **change})
            model.fit(frame.iloc[:-holdout], target=target, time=spec["time"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a LagCopyWarning is in the numbers
                result, predictions = model.evaluate(frame, holdout=holdout,
                                                     return_predictions=True)
            rows += [{"dataset": name, "model": label if r["model"] == "lstmcast" else r["model"],
                      "seed": seed, "mase": r["mase"], "smape": r["smape"], "rmse": r["rmse"]}
                     for _, r in result.iterrows()
                     if r["model"] == "lstmcast" or (seed == 0 and label == "lstmcast" and r[
                         "model"] in ("naive", "seasonal_naive"))]
    if classical:
        truth = predictions["actual"].to_numpy()
        one_step = classical_one_step(name, frame[target].to_numpy(), holdout)
        rows.append({"dataset": name, "model": one_step[0], "seed": None,
                     "mase": scores.mase(truth, one_step[1], model.naive_scale_[0]),
                     "smape": scores.smape(truth, one_step[1]),
                     "rmse": scores.rmse(truth, one_step[1])})
    return rows


def classical_one_step(name: str, series: np.ndarray, holdout: int) -> tuple[str, np.ndarray]:
    """Fit on the training part; one-step-ahead forecasts over the test with fixed parameters."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "airline":  # Box & Jenkins's airline model on log passengers
            logs = np.log(series)
            fit = SARIMAX(logs[:-holdout], order=(0, 1, 1),
                          seasonal_order=(0, 1, 1, 12)).fit(disp=False)
            full = fit.apply(logs)
            return ("SARIMA(0,1,1)(0,1,1)12 on logs (statsmodels)",
                    np.exp(full.predict()[-holdout:]))
        fit = SARIMAX(series[:-holdout], order=(9, 0, 0), trend="c").fit(disp=False)
        return "AR(9) (statsmodels SARIMAX)", fit.apply(series).predict()[-holdout:]


def mean_std(values: list[float], digits: int = 2) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def write_doc(results: list[dict], uni: list[dict], args: argparse.Namespace,
              seconds: float) -> str:
    configs = [k for k in CONFIGS if any(r["config"] == k for r in results)]
    subsets = [s for s in SUBSETS if any(r["subset"] == s for r in results)]
    lines = ["# Accuracy on C-MAPSS and two univariate series",
             "",
             "Generated by `benchmarks/cmapss.py` (`make bench-accuracy`); do not edit by hand.",
             "",
             f"- command: `python benchmarks/cmapss.py {' '.join(sys.argv[1:])}`".rstrip(),
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time of "
             f"this command {seconds / 60:.1f} min",
             f"- machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
             f"Python {platform.python_version()}, torch {torch.__version__}, "
             f"lstmcast {lstmcast.__version__}",
             f"- seeds: {', '.join(map(str, range(args.seeds)))}; at most {args.epochs} epochs",
             ]
    if args.keep:
        lines.append("- rows of configurations or series not run by this command are kept "
                     "from the previous docs/accuracy.json (`--keep`); each row's seconds are "
                     "its own")
    lines += ["",
              "## Protocol",
              "",
              *[line.rstrip() for line in __doc__.split("Protocol (also written into the doc):")[1]
                .strip().splitlines()],
              "",
              "Configurations:",
              "",
              *[f"- ({k}) {CONFIGS[k]['about']}" for k in configs],
              "",
              "## C-MAPSS: test RMSE and PHM08 score (mean ± std over seeds)",
              "",
              "| subset | config | RMSE | PHM08 | RMSE, test truth clipped at 125 | epochs | "
              "seconds per run | padded test engines |",
              "|---|---|---|---|---|---|---|---|"]
    runs = runs_by_key(results)
    for subset in subsets:
        for key in configs:
            part = runs.get((subset, key))
            if not part:
                continue
            lines.append(
                f"| {subset} | ({key}) | {mean_std([r['rmse'] for r in part])} | "
                f"{mean_std([r['phm08'] for r in part])} | "
                f"{mean_std([r['rmse_clipped_truth'] for r in part])} | "
                f"{mean_std([float(r['epochs']) for r in part])} | "
                f"{statistics.mean(r['seconds'] for r in part):.0f} | "
                f"{part[0]['padded_engines']} |")
    threads = {r["config"]: r["torch_threads"] for r in results if "torch_threads" in r}
    if threads:
        lines += ["", "Torch threads per run (seconds depend on them and on what ran beside): "
                  + ", ".join(f"({k}) {v}" for k, v in sorted(threads.items())) + "."]
    mean = mean_rmse(results)
    for this, other in (("b", "a"), ("b-age", "b"), ("b-mae", "b")):
        gaps = [f"{subset} {mean[subset, this] - mean[subset, other]:+.2f}" for subset in subsets
                if (subset, other) in mean and (subset, this) in mean]
        if gaps:
            lines += ["", f"({this}) minus ({other}), mean test RMSE (negative: ({this}) is "
                      "better): " + ", ".join(gaps) + "."]
    floors = {r["subset"]: r["cap_floor_rmse"] for r in results if "cap_floor_rmse" in r}
    lines += ["", "RMSE is against the true RUL of RUL_FD00x.txt, not clipped (the protocol). A "
              "model trained on a target capped at 125 cannot forecast more than about 125, so "
              "test engines with a larger true RUL set a floor under it: predicting exactly 125 "
              "for them and nothing else wrong gives " + ", ".join(
                  f"{s} {floor:.2f}" for s, floor in floors.items())
              + ". Papers that clip the test truth too do not pay this; the column beside it "
              "clips the truth at 125 for that comparison only.",
              ""]
    lines += beyond_cap(results, subsets, configs)
    lines += young_engines(results, subsets, configs)
    lines += ["Published test RMSE (FD001 / FD002 / FD003 / FD004):", ""]
    lines += [f"- {name}: {' / '.join(str(v) for v in values)}"
              for name, values in ANCHORS.items()]
    lines += ["", "Later studies that compare models under one pipeline of their own (from their "
              "abstracts; their protocols may differ from ours; not targets):", ""]
    lines += [f"- {name}: {' / '.join('-' if v is None else f'{v:.2f}' for v in values)}"
              for name, values in CONTROLLED.items()]
    below = [f"{name.split(',')[0]} on {subset} ({values[i]} < {floors[subset]:.2f})"
             for name, values in ANCHORS.items() for i, subset in enumerate(SUBSETS)
             if subset in floors and values[i] < floors[subset]]
    if below:
        lines += ["", "Below the floor: " + "; ".join(below) + ". A model that forecasts "
                  "at most 125 cannot score below the floor against the unclipped truth: these "
                  "results clip the test truth (or cap higher), so compare them with the "
                  "clipped column."]
    lines += ["", *targets(mean, subsets, configs)]
    if uni:
        lines += ["", "## Univariate anchors (one-step-ahead over the test part)", "",
                  "Airline passengers: last 24 months as test; sunspots: last 30 years. "
                  "MASE is scaled by the in-sample (seasonal, for airline) naive error of the "
                  "training part. lstmcast runs with the CLI's built-in settings for the series "
                  "(airline: window 24, season 12; sunspots: window 30) and the Forecaster's "
                  "defaults otherwise (each window relative to its last value, "
                  "`normalize='last'`, and the forecast chosen on the validation rows among "
                  "the networks, the linear maps and the naive forecasts), "
                  f"at most {args.univariate_epochs} epochs; its row is the mean ± std over "
                  "seeds. The `normalize=None` rows show the levels without it; airline's "
                  "`difference=True` row models the month-to-month changes instead.",
                  "", "| series | model | MASE | sMAPE % | RMSE |", "|---|---|---|---|---|"]
        for name in UNIVARIATE:
            part = [r for r in uni if r["dataset"] == name]
            models = list(dict.fromkeys(r["model"] for r in part))
            for model in models:
                rows = [r for r in part if r["model"] == model]
                lines.append(f"| {name} | {model} | " + " | ".join(
                    mean_std([r[k] for r in rows], 3 if k == "mase" else 2)
                    for k in ("mase", "smape", "rmse")) + " |")
        lines += ["", "Target: lstmcast's mean MASE below the naive baselines' on both series.", ""]
        for name in UNIVARIATE:
            part = [r for r in uni if r["dataset"] == name]
            ours = statistics.mean(r["mase"] for r in part if r["model"] == "lstmcast")
            for r in part:
                if r["model"] in ("naive", "seasonal_naive"):
                    verdict = "met" if ours < r["mase"] else "NOT met"
                    lines.append(f"- {name}: lstmcast {ours:.3f} vs {r['model']} "
                                 f"{r['mase']:.3f}: {verdict}")
    return "\n".join(lines) + "\n"


def beyond_cap(results: list[dict], subsets: list[str], configs: list[str]) -> list[str]:
    """Where the squared error comes from: the test engines whose true RUL is past the cap."""
    rows = [f"| {subset} | ({key}) | {part[0]['beyond_cap_engines']} | "
            f"{mean_std([r['beyond_cap_forecast'] for r in part], 1)} | "
            f"{mean_std([100 * r['beyond_cap_error_share'] for r in part], 0)} |"
            for subset, key, part in recorded(results, subsets, configs, "beyond_cap_forecast")]
    if not rows:
        return []
    return ["Test engines whose true RUL is past the cap, what they are forecast, and their "
            "share of the squared error (rows run since these were recorded). An engine past "
            "the cap that looks healthy is best forecast at the cap; a forecast below it "
            "costs on top of the floor:", "",
            "| subset | config | engines past 125 | their mean forecast | their share of the "
            "squared error, % |", "|---|---|---|---|---|", *rows, ""]


def young_engines(results: list[dict], subsets: list[str], configs: list[str]) -> list[str]:
    """Where the squared error comes from by age: the model against the age alone."""
    ages = {r["subset"]: r["age_only_rmse"] for r in results if "age_only_rmse" in r}
    rows = [f"| {subset} | ({key}) | {part[0]['young_engines']} | "
            f"{mean_std([100 * r['young_error_share'] for r in part], 0)} | "
            f"{mean_std([r['young_rmse'] for r in part], 1)} | "
            f"{part[0]['young_age_only_rmse']:.1f} | "
            f"{mean_std([r['rmse'] for r in part])} | "
            f"{mean_std([r['young_at_cap_rmse'] for r in part])} |"
            for subset, key, part in recorded(results, subsets, configs, "young_rmse")]
    if not rows:
        return []
    return ["Forecast from the engine's age alone, no sensor (seen for t cycles: the mean "
            "capped RUL at cycle t of the training engines that lived that long), test RMSE: "
            + ", ".join(f"{s} {rmse:.2f}" for s, rmse in ages.items()) + ".", "",
            f"Young test engines, seen for fewer than {YOUNG} cycles: their share of the "
            "squared error, the RMSE on them of the model and of the age alone, and, as a "
            "diagnostic chosen after seeing the test (not a method), the RMSE of all engines "
            "had the young ones been forecast exactly 125. Where the model is no better than "
            "the age on the young engines, their sensors do not yet tell a long life from a "
            "short one (rows run since these were recorded):", "",
            "| subset | config | young engines | their share of the squared error, % | "
            "RMSE on them | the age alone on them | RMSE, all engines | the same, young ones "
            "at 125 |", "|---|---|---|---|---|---|---|---|", *rows, ""]


def recorded(results: list[dict], subsets: list[str], configs: list[str],
             field: str) -> list[tuple[str, str, list[dict]]]:
    """(subset, config, runs) for each pair, in table order, whose runs recorded ``field``
    (rows run before the field existed lack it)."""
    runs = runs_by_key(results)
    found = [(subset, key, [r for r in runs.get((subset, key), []) if r.get(field) is not None])
             for subset in subsets for key in configs]
    return [(subset, key, part) for subset, key, part in found if part]


def runs_by_key(results: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """The C-MAPSS runs (one per seed) grouped by (subset, config)."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        runs.setdefault((r["subset"], r["config"]), []).append(r)
    return runs


def mean_rmse(results: list[dict]) -> dict[tuple[str, str], float]:
    """Mean test RMSE over seeds per (subset, config)."""
    return {key: statistics.mean(r["rmse"] for r in part)
            for key, part in runs_by_key(results).items()}


def targets(mean: dict[tuple[str, str], float], subsets: list[str],
            configs: list[str]) -> list[str]:
    """The issue's targets, met or not, from the mean test RMSE over seeds."""
    zheng, li, best = (ANCHORS[name] for name in ANCHORS)
    rows = []
    for key, anchor, label, factor in (
            ("a", zheng, "(a) beats Zheng's LSTM", 1.0),
            ("b", zheng, "(b) beats Zheng's LSTM", 1.0),
            ("b", li, "(b) reaches Li's deep CNN", 1.0),
            ("b", best, "moonshot: (b) within 10% of the best published (FD001, FD003)", 1.1)):
        if key not in configs:
            continue
        cells = []
        for i, subset in enumerate(SUBSETS):
            if subset not in subsets or (factor > 1 and subset not in ("FD001", "FD003")):
                cells.append("-")
                continue
            value, bar = mean[(subset, key)], anchor[i] * factor
            cells.append(f"{value:.2f} vs {bar:.2f}: {'met' if value <= bar else 'NOT met'}")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return ["## Targets (mean test RMSE over seeds against the published RMSE)", "",
            "| target | " + " | ".join(SUBSETS) + " |", "|---|---|---|---|---|", *rows]


def previous(path: Path) -> dict:
    """The results on file beside ``path`` (docs/accuracy.json), or none."""
    json_path = path.with_suffix(".json")
    return json.loads(json_path.read_text()) if json_path.exists() else {}


def save_json(out: Path, results: list[dict], uni: list[dict]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"cmapss": results, "univariate": uni}, indent=2)
    # a run's per-engine forecasts on one line, not one number per line
    text = re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]",
                  text)
    out.with_suffix(".json").write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--subsets", default=None,
                        help="C-MAPSS subsets to run (default all; FD001 with --quick), "
                        "or none (with --keep: redo the univariate anchors only)")
    parser.add_argument("--configs", default="a,b")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--univariate-epochs", type=int, default=200)
    parser.add_argument("--no-classical", action="store_true",
                        help="skip the statsmodels anchors")
    parser.add_argument("--no-univariate", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="keep the rows on file (docs/accuracy.json) that this run does "
                        "not redo")
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, FD001")
    parser.add_argument("--out", default=str(ROOT / "docs" / "accuracy.md"))
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.epochs, args.univariate_epochs = 1, 2, 5
        args.subsets = "FD001" if args.subsets is None else args.subsets
    args.subsets = ",".join(SUBSETS) if args.subsets is None else args.subsets
    args.subsets = [s.strip().upper() for s in args.subsets.split(",")
                    if s.strip() and s.strip().lower() != "none"]
    args.configs = [c.strip() for c in args.configs.split(",")]
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")
    out = Path(args.out)
    kept = previous(out) if args.keep else {}
    started = time.perf_counter()
    results = [r for r in kept.get("cmapss", [])
               if not (r["subset"] in args.subsets and r["config"] in args.configs)]
    for subset in args.subsets:
        for key in args.configs:
            for seed in range(args.seeds):
                run = cmapss_run(subset, CONFIGS[key], seed, args.epochs)
                run["config"] = key
                results.append(run)
                print(f"{subset} ({key}) seed {seed}: RMSE {run['rmse']:.2f}, PHM08 "
                      f"{run['phm08']:.0f}, {run['epochs']} epochs, {run['seconds']:.0f} s",
                      flush=True)
                save_json(out, results, kept.get("univariate", []))  # a crash loses no run
    uni = kept.get("univariate", []) if args.no_univariate else [
        row for name in UNIVARIATE
        for row in univariate(name, args.univariate_epochs, args.seeds, not args.no_classical)]
    doc = write_doc(results, uni, args, time.perf_counter() - started)
    save_json(out, results, uni)  # makes the folder
    out.write_text(doc)
    print(doc)


if __name__ == "__main__":
    main()
