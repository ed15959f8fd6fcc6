"""The development panel: lstmcast's defaults, candidate defaults and peers on public tables.

    .venv/bin/python benchmarks/panel.py [--tables a10,nile] [--max-seconds 90]
        [--config-set NAME='FLAGS' ...] [--tune SECONDS] [--no-defaults] [--peers ets,nf_lstm]
        [--peer-budget SECONDS]
        [--drop-time] [--runs /tmp/lstmcast-panel] [--reuse] [--out docs/panel.md]
        [--panel benchmarks/panel/panel.toml]

The tables and their roles are in benchmarks/panel/panel.toml (sources: SOURCES.md).
``--panel benchmarks/check/panel.toml`` runs the check tables instead: a second panel on
which no default was chosen, to judge a default chosen here (each panel file's tables are
read from its own folder).
For every table, side by side in one run:

- defaults: ``lstmcast train FILE --target T --time C [--group G] --steps S --season P
  --max-seconds M --out DIR`` as a user types it (``--season`` only where the table
  has a season; it names the seasonal baseline, the model does not read it);
- ``--drop-time``: every lstmcast run reads the table without its time column (a CSV
  of the other columns, rows in time order, as a user has who exported the values
  only; no ``--time``); the baselines, MASE and peers keep the table's season;
- each ``--config-set NAME='FLAGS'``: the same command plus FLAGS. FLAGS may hold
  ``{expression}`` in the table's terms, evaluated per table: season (the main season
  in rows, 1 when none), steps, rows (the shortest series), train_rows (its rows before
  the holdout), series (how many), freq (text), e.g. ``--window {max(30, 2 * season)}``
  or ``{'--units 32' if train_rows < 500 else ''}``;
- tuned (``--tune SECONDS``): ``lstmcast tune`` with the same table flags and
  ``--budget SECONDS`` instead of ``--max-seconds``: the search on folds of the
  training rows, the best settings retrained and scored on the same held-out rows
  (a FLAGS of a ``--config-set`` that starts with ``tune`` does the same);
- peers, each in its own environment (benchmarks/peers/panel_peer.py, run with
  ``--peers-python``): statsforecast's AutoETS (ets) and NeuralForecast's LSTM
  (nf_lstm), both with their defaults, and NeuralForecast's AutoLSTM (nf_autolstm:
  its Optuna search for ``--peer-budget`` seconds in all, beside ``--tune``).

Every model is scored here, on the same windows: lstmcast's own held-out rows (the
last floor(0.2 x the shortest series) rows of every series, as ``train`` holds them out)
and every forecast origin whose ``steps`` targets all lie in them (``train``'s scored
windows: holdout - steps + 1 per series). lstmcast's forecasts are read from the run's
predictions.csv (its RMSE is checked against the run's metrics.json); the baselines
are computed here from the table, the same for every configuration: naive (the last
value), seasonal_naive (the value a season earlier, the table's main season),
window_mean (the mean of the last 30 rows: the default window), train_mean (the mean
of the rows before the holdout). RMSE and MAE pool every window, step and series;
MASE divides the MAE by the mean absolute seasonal difference (lag: the table's main
season, 1 when none) over the rows before the holdout, pooled over the series.

The ratio is lstmcast's RMSE over the best baseline's (below 1: the model wins);
``vs ETS`` is lstmcast's RMSE over AutoETS's. Writes the markdown (with the command
line) and the raw numbers beside it (``--out`` with .json). Run folders go under
``--runs`` (outside the repository); ``--reuse`` takes a run from there when its
command is the same, and a peer's forecasts when its inputs are the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the project's tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "benchmarks" / "panel"
BASELINES = ("naive", "seasonal_naive", "window_mean", "train_mean")
PEERS = ("ets", "nf_lstm", "nf_autolstm")
PEER_NAMES = {"ets": "AutoETS", "nf_lstm": "NF LSTM", "nf_autolstm": "NF AutoLSTM"}
DEFAULT_WINDOW = 30
# lstmcast train's defaults (lstmcast train --help): a flag that restates one is dropped
CLI_DEFAULTS = {"--window": "30", "--normalize": "auto", "--loss": "mse", "--units": "100,50",
                "--dropout": "0.2", "--scaler": "minmax", "--scale-by": "global"}

# --------------------------------------------------------------------------- the tables


def load_panel(path: Path) -> list[dict]:
    """The tables of a panel file, each file read from the panel file's folder (``path``)."""
    with open(path, "rb") as f:
        tables = tomllib.load(f)["table"]
    for table in tables:
        table["path"] = str(path.resolve().parent / table["file"])
    return tables


def load_series(table: dict) -> dict[str, np.ndarray]:
    """The target of every series, in the file's row order (the files are in time order)."""
    group = table.get("group")
    frame = pd.read_csv(table["path"], dtype={group: str} if group else None)
    if not group:
        return {"": frame[table["target"]].to_numpy(dtype=np.float64)}
    return {str(name): part[table["target"]].to_numpy(dtype=np.float64)
            for name, part in frame.groupby(group, sort=False)}


def plan(table: dict, series: dict[str, np.ndarray]) -> dict:
    shortest = min(len(y) for y in series.values())
    holdout = max(1, table["steps"], math.floor(0.2 * shortest))  # as lstmcast train holds out
    return {"shortest": shortest, "holdout": holdout,
            "windows": holdout - table["steps"] + 1, "series": len(series),
            "rows": int(sum(len(y) for y in series.values()))}


def origins(n: int, holdout: int, steps: int) -> np.ndarray:
    """The last known row of every scored window."""
    return np.arange(n - holdout - 1, n - steps)


def gather(y: np.ndarray, rows: np.ndarray, steps: int) -> np.ndarray:
    return y[rows[:, None] + 1 + np.arange(steps)[None, :]]


def baselines(series: dict[str, np.ndarray], holdout: int, steps: int, season: int
              ) -> dict[str, dict[str, np.ndarray]]:
    """Each baseline's forecasts (windows x steps) per series."""
    fit = np.concatenate([y[: len(y) - holdout] for y in series.values()])
    out: dict[str, dict[str, np.ndarray]] = {name: {} for name in BASELINES}
    for name, y in series.items():
        o = origins(len(y), holdout, steps)
        out["naive"][name] = np.repeat(y[o][:, None], steps, axis=1)
        if season > 1:
            targets = o[:, None] + 1 + np.arange(steps)[None, :]
            k = np.ceil((targets - o[:, None]) / season).astype(np.int64)
            out["seasonal_naive"][name] = y[targets - k * season]
        csum = np.concatenate([[0.0], np.cumsum(y)])
        first = np.maximum(o - DEFAULT_WINDOW + 1, 0)
        means = (csum[o + 1] - csum[first]) / (o + 1 - first)
        out["window_mean"][name] = np.repeat(means[:, None], steps, axis=1)
        out["train_mean"][name] = np.full((len(o), steps), fit.mean())
    return {k: v for k, v in out.items() if v}


def mase_scale(series: dict[str, np.ndarray], holdout: int, season: int) -> float:
    lag = max(1, season)
    diffs = [np.abs(y[lag: len(y) - holdout] - y[: len(y) - holdout - lag])
             for y in series.values() if len(y) - holdout > lag]
    return float(np.mean(np.concatenate(diffs)))


def score(truth: dict[str, np.ndarray], preds: dict[str, np.ndarray], scale: float) -> dict:
    t = np.concatenate([truth[k].ravel() for k in truth])
    p = np.concatenate([np.asarray(preds[k]).ravel() for k in truth])
    err = p - t
    mae = float(np.mean(np.abs(err)))
    return {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": mae, "mase": mae / scale}


# --------------------------------------------------------------------------- lstmcast


def context(table: dict, info: dict) -> dict:
    return {"season": int(table.get("season") or 1), "steps": int(table["steps"]),
            "rows": info["shortest"], "train_rows": info["shortest"] - info["holdout"],
            "series": info["series"], "freq": table["freq"]}


def expand(flags: str, ctx: dict) -> list[str]:
    """FLAGS with every {expression} evaluated in the table's terms, less the flags that
    only restate lstmcast's default (so that such a run is the defaults' run)."""
    names = {"max": max, "min": min, "int": int, "round": round, "abs": abs, **ctx}

    def value(match: re.Match) -> str:
        return str(eval(match.group(1), {"__builtins__": {}}, names))  # noqa: S307

    words = shlex.split(re.sub(r"\{([^{}]+)\}", value, flags))
    out, i = [], 0
    while i < len(words):
        if i + 1 < len(words) and CLI_DEFAULTS.get(words[i]) == words[i + 1]:
            i += 2
            continue
        out.append(words[i])
        i += 1
    return out


def lstmcast_command(args: argparse.Namespace, table: dict, extra: list[str], out: Path
                     ) -> list[str]:
    command = "train"
    if extra[:1] == ["tune"]:  # a configuration searched by `lstmcast tune` in its budget
        command, extra = "tune", extra[1:]
    if args.drop_time:  # the table as a CSV of values only
        cmd = [*args.lstmcast_cmd, command, str(values_only(args, table)), "--target",
               table["target"]]
    else:
        cmd = [*args.lstmcast_cmd, command, str(table["path"]), "--target",
               table["target"], "--time", table["time"]]
    if table.get("group"):
        cmd += ["--group", table["group"]]
    if table.get("time_format") and not args.drop_time:
        cmd += ["--time-format", table["time_format"]]
    cmd += ["--steps", str(table["steps"])]
    season = int(table.get("season") or 1)
    if season > 1 and args.season_flag and "--season" not in extra:
        cmd += ["--season", str(season)]
    if command == "train":
        cmd += ["--max-seconds", str(args.max_seconds)]
    cmd += [*extra, "--out", str(out), "--quiet"]
    return cmd


def values_only(args: argparse.Namespace, table: dict) -> Path:
    """The table without its time column (rows in the file's order), written once under
    the runs folder: what a user has who exported the values only."""
    path = Path(args.runs) / table["name"] / f"{Path(table['file']).stem}_values.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.read_csv(table["path"], dtype=str, keep_default_na=False)
        frame.drop(columns=[table["time"]]).to_csv(path, index=False)
    return path


def short(cmd: list[str]) -> str:
    """The command as a user types it (no paths of this machine)."""
    parts = ["lstmcast"]
    for i, part in enumerate(cmd):
        if i < cmd.index("tune" if "tune" in cmd else "train"):
            continue
        if Path(part).is_absolute() and Path(part).is_file():  # a table's file
            parts.append(Path(part).name)
        elif i > 0 and cmd[i - 1] == "--out":
            parts.append("RUN")
        else:
            parts.append(shlex.quote(part))
    return " ".join(parts)


def read_predictions(run: Path, table: dict, series: dict[str, np.ndarray], info: dict
                     ) -> dict[str, np.ndarray]:
    group, steps = table.get("group"), table["steps"]
    frame = pd.read_csv(run / "predictions.csv", dtype={group: str} if group else None)
    frame = frame[frame["target"] == table["target"]]
    out = {}
    for name, y in series.items():
        part = frame[frame[group] == name] if group else frame
        pred = part["lstmcast"].to_numpy(dtype=np.float64).reshape(-1, steps)
        actual = part["actual"].to_numpy(dtype=np.float64).reshape(-1, steps)
        truth = gather(y, origins(len(y), info["holdout"], steps), steps)
        if pred.shape != truth.shape or not np.allclose(actual, truth, rtol=1e-6, atol=1e-9):
            raise RuntimeError(f"{run}: the scored windows of series {name!r} are not the "
                               f"held-out windows ({pred.shape} against {truth.shape})")
        out[name] = pred
    return out


def run_lstmcast(args: argparse.Namespace, table: dict, config: str, flags: str,
                 series: dict[str, np.ndarray], info: dict) -> dict:
    extra = expand(flags, context(table, info))
    key = hashlib.sha256(json.dumps([args.max_seconds, args.season_flag, args.lstmcast_src,
                                     extra] + (["drop-time"] if args.drop_time else [])
                                    ).encode()).hexdigest()[:10]
    out = Path(args.runs) / table["name"] / f"run-{key}"
    cmd = lstmcast_command(args, table, extra, out)
    record = {"config": config, "flags": " ".join(extra), "command": short(cmd)}
    done = out / "panel-run.json"
    if args.reuse and done.exists():
        saved = json.loads(done.read_text())
        if saved.get("cmd") == cmd and saved.get("ok"):
            record.update(seconds=saved["seconds"], reused=True)
            return finish_run(record, out, table, series, info)
    for stale in (out, out.parent / f".{out.name}.partial"):  # an earlier, unfinished run
        if stale.exists():
            subprocess.run(["rm", "-rf", str(stale)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"  {config}: {short(cmd)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=args.env)
    seconds = time.perf_counter() - start
    record["seconds"] = round(seconds, 1)
    if proc.returncode != 0 or not (out / "predictions.csv").exists():
        lines = [ln for ln in (proc.stderr + proc.stdout).strip().splitlines() if ln.strip()]
        record["error"] = lines[-1] if lines else f"exit status {proc.returncode}"
        print(f"    failed: {record['error']}", flush=True)
        return record
    done.write_text(json.dumps({"cmd": cmd, "ok": True, "seconds": record["seconds"]}))
    return finish_run(record, out, table, series, info)


def finish_run(record: dict, out: Path, table: dict, series: dict[str, np.ndarray],
               info: dict) -> dict:
    metrics = json.loads((out / "metrics.json").read_text())
    record["train_seconds"] = metrics.get("train_seconds")
    record["epochs"] = metrics.get("epochs_run")
    own = [r for r in metrics["scores"] if r["model"] == "lstmcast"
           and r["target"] == table["target"]]
    record["own_rmse"] = own[0]["rmse"] if own else None
    with open(out / "config.toml", "rb") as f:
        model = tomllib.load(f).get("model", {})
    # the window the run used: metrics.json says it (a window chosen from the data); runs
    # of older lstmcast say it in config.toml only when it was given
    record["window"] = metrics.get("window") or model.get("window", DEFAULT_WINDOW)
    try:
        record["preds"] = read_predictions(out, table, series, info)
    except RuntimeError as err:
        record["error"] = str(err)
    return record


# --------------------------------------------------------------------------- peers


def run_peer(args: argparse.Namespace, model: str, table: dict,
             series: dict[str, np.ndarray], info: dict) -> dict:
    spec = {"series": {k: v.tolist() for k, v in series.items()}, "holdout": info["holdout"],
            "steps": table["steps"], "season": int(table.get("season") or 1)}
    if model == "nf_autolstm":
        spec["budget"] = args.peer_budget
    key = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:10]
    folder = Path(args.runs) / table["name"]
    folder.mkdir(parents=True, exist_ok=True)
    path_in, path_out = folder / f"peer-{model}-{key}-in.json", folder / f"peer-{model}-{key}.json"
    if not (args.reuse and path_out.exists()):
        path_in.write_text(json.dumps(spec))
        print(f"  {model}", flush=True)
        cmd = [args.peers_python, str(ROOT / "benchmarks/peers/panel_peer.py"), "--model", model,
               "--input", str(path_in), "--output", str(path_out)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=args.peer_timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"over {args.peer_timeout} s", "seconds": args.peer_timeout}
        except OSError as err:
            return {"error": str(err), "seconds": 0.0}
        if proc.returncode != 0 or not path_out.exists():
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            return {"error": lines[-1] if lines else f"exit status {proc.returncode}",
                    "seconds": round(time.perf_counter() - start, 1)}
    result = json.loads(path_out.read_text())
    out = {"seconds": round(result["seconds"], 1), "version": result.get("version"),
           "preds": {k: np.asarray(v) for k, v in result["forecasts"].items()}}
    for extra in ("models", "trials", "best"):  # AutoETS's models; AutoLSTM's search
        if extra in result:
            out[extra] = result[extra]
    return out


# --------------------------------------------------------------------------- the run


def evaluate_table(args: argparse.Namespace, table: dict, configs: dict[str, str]) -> dict:
    series = load_series(table)
    info = plan(table, series)
    season, steps, holdout = int(table.get("season") or 1), table["steps"], info["holdout"]
    truth = {k: gather(y, origins(len(y), holdout, steps), steps) for k, y in series.items()}
    scale = mase_scale(series, holdout, season)
    entry = {**{k: table.get(k) for k in ("name", "file", "target", "time", "group", "freq",
                                           "season", "seasons", "steps", "covariates")},
             **info, "mase_scale": scale, "baselines": {}, "peers": {}, "runs": {}}
    for name, preds in baselines(series, holdout, steps, season).items():
        entry["baselines"][name] = score(truth, preds, scale)
    best = min(entry["baselines"], key=lambda m: entry["baselines"][m]["rmse"])
    entry["best_baseline"] = best
    base_rmse = entry["baselines"][best]["rmse"]
    for peer in args.peers:
        res = run_peer(args, peer, table, series, info)
        row = {k: v for k, v in res.items() if k != "preds"}
        if "preds" in res:
            row.update(score(truth, res["preds"], scale))
        entry["peers"][peer] = row
    ets = entry["peers"].get("ets", {}).get("rmse")
    for config, flags in configs.items():
        rec = run_lstmcast(args, table, config, flags, series, info)
        preds = rec.pop("preds", None)
        if preds is not None and "error" not in rec:
            rec.update(score(truth, preds, scale))
            rec["ratio"] = rec["rmse"] / base_rmse
            rec["vs_ets"] = rec["rmse"] / ets if ets else None
            if rec.get("own_rmse") is not None and not math.isclose(
                    rec["own_rmse"], rec["rmse"], rel_tol=1e-4):
                rec["note"] = (f"metrics.json's RMSE {rec['own_rmse']:.6g} (lstmcast's own "
                               "scoring) differs from the panel's")
        entry["runs"][config] = rec
    return entry


def summarize(results: list[dict], configs: list[str]) -> dict:
    out = {}
    for config in configs:
        runs = [(e["name"], e["runs"].get(config, {})) for e in results]
        ok = [(n, r) for n, r in runs if "ratio" in r]
        ratios = np.array([r["ratio"] for _, r in ok])
        vs_ets = [r["vs_ets"] for _, r in ok if r.get("vs_ets") is not None]
        out[config] = {
            "tables": len(runs), "trained": len(ok),
            "failed": [n for n, r in runs if "ratio" not in r],
            "beat_best_baseline": int((ratios < 1).sum()) if len(ok) else 0,
            "worst_ratio": float(ratios.max()) if len(ok) else None,
            "worst_table": ok[int(ratios.argmax())][0] if len(ok) else None,
            "median_ratio": float(np.median(ratios)) if len(ok) else None,
            "geomean_ratio": float(np.exp(np.mean(np.log(ratios)))) if len(ok) else None,
            "at_or_better_than_ets": int(sum(v <= 1 for v in vs_ets)),
            "with_ets": len(vs_ets),
            "median_vs_ets": float(np.median(vs_ets)) if vs_ets else None,
            "seconds": float(sum(r.get("seconds", 0.0) for _, r in runs)),
        }
    return out


def ranked(summary: dict) -> list[str]:
    """Best first: more tables beating the best baseline, then the lower worst ratio,
    then the lower median ratio."""
    return sorted(summary, key=lambda c: (-summary[c]["beat_best_baseline"] /
                                          max(1, summary[c]["tables"]),
                                          summary[c]["worst_ratio"] or math.inf,
                                          summary[c]["median_ratio"] or math.inf))


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def describe_lstmcast(args: argparse.Namespace) -> str:
    if args.lstmcast_src:
        return f"lstmcast from the src folder {args.lstmcast_src}"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"],
                           capture_output=True, text=True).stdout.strip()
    return f"lstmcast of the working tree at {head}" + (" (src/ edited)" if dirty else "")


def secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def document(results: list[dict], configs: dict[str, str], summary: dict, command: str,
             args: argparse.Namespace) -> str:
    lines = ["# Development panel", "",
             "lstmcast's defaults, candidate defaults and peers on public tables "
             "(benchmarks/panel/, sources in benchmarks/panel/SOURCES.md), all scored by "
             "benchmarks/panel.py on the same held-out windows: the last 20% of the shortest "
             "series' rows in every series (as `lstmcast train` holds them out), every origin "
             "whose `steps` targets lie there. The ratio is lstmcast's RMSE over the best "
             "baseline's (naive, seasonal naive at the table's main season, mean of the last 30 "
             "rows, training mean; below 1: the model wins); vs ETS is lstmcast's RMSE over "
             "statsforecast's AutoETS's. MASE: the MAE over the mean absolute seasonal "
             "difference on the training rows (lag 1 without a season). Every lstmcast run "
             f"has `--max-seconds {args.max_seconds}`; seconds are the wall time of the whole "
             "`lstmcast train` command on a shared 2-core machine (load from other users "
             "varies).", "", f"Produced by ({describe_lstmcast(args)}):", "", "```", command, "```",
             ""]
    if args.notes:
        lines += [Path(args.notes).read_text().strip(), ""]
    lines += ["## Tables", "",
              "| table | freq | series | rows | shortest | holdout | windows | steps | season(s) "
              "| covariates |", "|---|---|---|---|---|---|---|---|---|---|"]
    for e in results:
        seasons = ", ".join(str(s) for s in e.get("seasons") or []) or "none"
        cov = len(e.get("covariates") or [])
        lines.append(f"| {e['name']} | {e['freq']} | {e['series']} | {e['rows']} | "
                     f"{e['shortest']} | {e['holdout']} | {e['windows']} | {e['steps']} | "
                     f"{seasons} | {cov or 'none'} |")
    lines += ["", "## Baselines and peers (RMSE / MASE)", "",
              "| table | " + " | ".join([*BASELINES, *(PEER_NAMES[p] for p in args.peers)])
              + " | peer seconds |",
              "|---|" + "---|" * (len(BASELINES) + len(args.peers) + 1)]
    for e in results:
        cells = []
        for b in BASELINES:
            s = e["baselines"].get(b)
            mark = "**" if b == e["best_baseline"] else ""
            cells.append(f"{mark}{fmt(s['rmse'])} / {fmt(s['mase'], 2)}{mark}" if s else "-")
        taken = []
        for p in args.peers:
            s = e["peers"].get(p, {})
            cells.append(f"{fmt(s['rmse'])} / {fmt(s['mase'], 2)}" if "rmse" in s
                         else f"failed: {s.get('error', '-')}")
            taken.append(f"{PEER_NAMES[p]} {secs(s.get('seconds'))}")
        lines.append(f"| {e['name']} | " + " | ".join(cells) + f" | {', '.join(taken)} |")
    ets_models = {e["name"]: e["peers"].get("ets", {}).get("models") for e in results}
    if any(ets_models.values()):
        lines += ["", "AutoETS's chosen models: " + "; ".join(
            f"{n}: {', '.join(sorted(set(m.values())))}" for n, m in ets_models.items() if m)
            + "."]
    lines += ["", "## Summary (best first)", "",
              "Ranked by the fraction of tables where lstmcast beats the best baseline, then the "
              "worst ratio, then the median ratio.", "",
              "| configuration | flags | beats best baseline | worst ratio | median ratio | "
              "geo-mean ratio | at or better than AutoETS | median vs ETS | failed | seconds |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for c in ranked(summary):
        s = summary[c]
        lines.append(
            f"| {c} | `{configs[c] or '(none)'}` | {s['beat_best_baseline']}/{s['trained']} "
            f"| {fmt(s['worst_ratio'], 2)} ({s['worst_table']}) | {fmt(s['median_ratio'], 2)} "
            f"| {fmt(s['geomean_ratio'], 2)} | {s['at_or_better_than_ets']}/{s['with_ets']} | "
            f"{fmt(s['median_vs_ets'], 2)} | {', '.join(s['failed']) or '-'} | "
            f"{s['seconds']:.0f} |")
    lines += ["", "## Per configuration", ""]
    for c in configs:
        lines += [f"### {c}", "", f"Extra flags: `{configs[c] or '(none)'}`", "",
                  "| table | window | lstmcast RMSE | MASE | best baseline | ratio | AutoETS "
                  "RMSE | vs ETS | epochs | seconds |", "|---|---|---|---|---|---|---|---|---|---|"]
        for e in results:
            r = e["runs"].get(c, {})
            best = e["best_baseline"]
            ets = e["peers"].get("ets", {}).get("rmse")
            if "ratio" not in r:
                lines.append(f"| {e['name']} | - | failed: {r.get('error', 'not run')} | | "
                             f"{best} {fmt(e['baselines'][best]['rmse'])} | | {fmt(ets)} | | | "
                             f"{secs(r.get('seconds'))} |")
                continue
            win = "**" if r["ratio"] < 1 else ""
            lines.append(
                f"| {e['name']} | {r.get('window')} | {fmt(r['rmse'])} | {fmt(r['mase'], 2)} | "
                f"{best} {fmt(e['baselines'][best]['rmse'])} | {win}{fmt(r['ratio'], 2)}{win} "
                f"| {fmt(ets)} | {fmt(r.get('vs_ets'), 2)} | {r.get('epochs')} | "
                f"{secs(r.get('seconds'))} |")
        s = summary[c]
        lines += ["", f"Beats the best baseline on {s['beat_best_baseline']} of {s['trained']} "
                  f"tables that trained ({s['tables']} run); worst ratio "
                  f"{fmt(s['worst_ratio'], 2)} ({s['worst_table']}), median "
                  f"{fmt(s['median_ratio'], 2)}; at or better than AutoETS on "
                  f"{s['at_or_better_than_ets']} of {s['with_ets']}.", ""]
        notes = [f"{e['name']}: {e['runs'][c]['note']}" for e in results
                 if e["runs"].get(c, {}).get("note")]
        lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    return "\n".join(lines).rstrip() + "\n"


def parse_config(text: str) -> tuple[str, str]:
    name, sep, flags = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"--config-set {text!r}: expected NAME='FLAGS'")
    return name.strip(), flags.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--panel", default=str(PANEL / "panel.toml"))
    p.add_argument("--tables", help="comma-separated table names (default: all)")
    p.add_argument("--max-seconds", type=float, default=90.0,  # (a float, as typed ones are:
                   # the run key holds it, and 90 and 90.0 would not reuse each other)
                   help="lstmcast train's --max-seconds for every run (90)")
    p.add_argument("--config-set", action="append", type=parse_config, default=[],
                   metavar="NAME='FLAGS'", help="an extra lstmcast configuration (repeat)")
    p.add_argument("--tune", type=float, metavar="SECONDS",
                   help="add a configuration 'tuned': `lstmcast tune` with this --budget")
    p.add_argument("--no-defaults", action="store_true", help="leave out the defaults run")
    p.add_argument("--no-season-flag", dest="season_flag", action="store_false",
                   help="do not pass --season to lstmcast")
    p.add_argument("--drop-time", action="store_true",
                   help="give lstmcast each table without its time column (a CSV of values "
                   "only, rows in time order); baselines and peers keep the table's season")
    p.add_argument("--peers", default="ets",
                   help="comma-separated peers: ets, nf_lstm, nf_autolstm (empty: none)")
    p.add_argument("--peers-python", default="/tmp/peers-venv/bin/python")
    p.add_argument("--peer-timeout", type=float, default=600)
    p.add_argument("--peer-budget", type=float, default=600,
                   help="nf_autolstm's budget in seconds: it searches for 70%% of it, then "
                   "refits the best settings (as lstmcast tune --budget)")
    p.add_argument("--lstmcast-src", default=None,
                   help="run lstmcast from this src folder (e.g. a `git archive HEAD src` "
                   "snapshot, so that edits to the working tree during a run do not change "
                   "it) with the repository's .venv python; default: .venv/bin/lstmcast")
    p.add_argument("--runs", default="/tmp/lstmcast-panel", help="run folders (not the repo)")
    p.add_argument("--reuse", action="store_true",
                   help="reuse runs and peer forecasts with the same command and inputs")
    p.add_argument("--out", default=str(ROOT / "docs" / "panel.md"))
    p.add_argument("--notes", help="a markdown file to put after the command (findings)")
    args = p.parse_args(argv)
    args.peers = [x for x in args.peers.split(",") if x]
    args.env = dict(os.environ)
    if args.lstmcast_src:
        args.lstmcast_cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "lstmcast"]
        args.env["PYTHONPATH"] = str(Path(args.lstmcast_src).resolve())
    else:
        args.lstmcast_cmd = [str(ROOT / ".venv" / "bin" / "lstmcast")]
    for peer in args.peers:
        if peer not in PEERS:
            p.error(f"--peers: unknown peer {peer!r} (choose from {', '.join(PEERS)})")
    tables = load_panel(Path(args.panel))
    if args.tables:
        wanted = args.tables.split(",")
        unknown = set(wanted) - {t["name"] for t in tables}
        if unknown:
            p.error(f"--tables: unknown {sorted(unknown)}")
        tables = [t for t in tables if t["name"] in wanted]
    configs = {} if args.no_defaults else {"defaults": ""}
    configs.update(dict(args.config_set))
    if args.tune:
        configs["tuned"] = f"tune --budget {args.tune:g}"
    if not configs:
        p.error("nothing to run: --no-defaults and no --config-set")
    argv_text = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/panel.py", *map(shlex.quote, argv_text)])
    results = []
    for table in tables:
        print(f"{table['name']}:", flush=True)
        results.append(evaluate_table(args, table, configs))
        summary = summarize(results, list(configs))
        out = Path(args.out)
        out.write_text(document(results, configs, summary, command, args))
        out.with_suffix(".json").write_text(json.dumps(
            {"command": command, "lstmcast": describe_lstmcast(args),
             "max_seconds": args.max_seconds, "configs": configs,
             "summary": summary, "tables": results}, indent=1, default=float) + "\n")
    for c in ranked(summary):
        s = summary[c]
        print(f"{c}: beats best baseline {s['beat_best_baseline']}/{s['trained']}, worst "
              f"{fmt(s['worst_ratio'], 2)} ({s['worst_table']}), median "
              f"{fmt(s['median_ratio'], 2)}, at or better than AutoETS "
              f"{s['at_or_better_than_ets']}/{s['with_ets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
