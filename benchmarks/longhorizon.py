"""Long-horizon accuracy on a table of the ETT kind, under the standard protocol.

    python benchmarks/longhorizon.py [--data PATH] [--horizons 96,192,336,720] [--modes M,S]
        [--seeds 3] [--models naive,seasonal,linear,tutorial,recommended] [--peers]
        [--split 12/4/4 | --split 0.7,0.1,0.2] [--speed] [--keep] [--out docs/longhorizon.md]

The protocol (the data's SOURCE.md): rows split in time order (ETT hourly:
train [0, 8640), validation [8640, 11520), test [11520, 14400); other tables:
fractions); each column z-scored with the training rows' mean and standard
deviation; look-back L = 96; every test window, stride 1 (its input may reach
back into the validation rows); MSE and MAE on the z-scored values, averaged
over windows, steps and columns. "M": every numeric column in and out; "S":
the target column (OT) only.

Every model sees the same windows:

- naive: the window's last value, repeated; seasonal: the value 24 rows
  earlier (the last day, repeated);
- linear: a least-squares linear map of the window minus its last value, one
  per horizon, shared by the channels (NLinear-style, closed form, a tiny ridge);
- tutorial: lstmcast's Forecaster with the tutorial's stack and default
  settings (window and steps set; validation on the protocol's rows);
- recommended: ``Forecaster.preset("long-horizon")`` (segment recurrence,
  instance normalization, channel independence, absolute error, the forecast
  the mean of the network's and a least-squares linear map's); each of its runs
  also scores the same network without the linear map (networks-alone);
- without-normalize, without-channels, without-segment, without-mae (named in
  --models): the preset's network (no blend) with one technique taken out, to see
  what each is worth; with-linear: that network with ``linear=True`` (a linear map
  of the window trained inside it); ensemble-3: the preset with ``ensemble=3``;
- with --peers: NeuralForecast's LSTM and Darts' BlockRNNModel(LSTM), each in
  its own environment (benchmarks/peers/setup.sh), run by
  benchmarks/peers/longhorizon_peer.py on the same windows and scaling.

Writes the json of every run beside the markdown (``--keep`` keeps rows on
file that this run does not redo, from the same table and split only) and the
markdown table with mean +- std over seeds, wall time and training samples/s,
and, for ETTh2 under the standard split only, the published results. ETTh2 is
recognised by its bytes (the SHA-256 of the shipped file, whatever its name or
folder), not by its file name: another table, or an edited copy, gets no
published rows.
``--speed`` adds training samples/s of the segment recurrence against the
point-wise stack at look-back 96, 336 and 720.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lstmcast import Forecaster  # noqa: E402
from lstmcast.datasets import data_path  # noqa: E402

LOOKBACK = 96
# The published results below belong to this table and this split only: ETTh2 as shipped
# (lstmcast/data/ett/SOURCE.md gives the same SHA-256) under the standard 12/4/4 split.
PUBLISHED_TABLE = {"name": "ETTh2",
                   "sha256": "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b",
                   "split": "12/4/4"}
PUBLISHED = {  # ETTh2, multivariate, L = 96 (MSE, MAE): SegRNN's README; others iTransformer
    "SegRNN": {96: (0.278, 0.335), 192: (0.359, 0.389), 336: (0.421, 0.436),
               720: (0.432, 0.455)},
    "iTransformer": {96: (0.297, 0.349), 192: (0.380, 0.400), 336: (0.428, 0.432),
                     720: (0.427, 0.445)},
    "PatchTST": {96: (0.302, 0.348), 192: (0.388, 0.400), 336: (0.426, 0.433),
                 720: (0.431, 0.446)},
    "DLinear": {96: (0.333, 0.387), 192: (0.477, 0.476), 336: (0.594, 0.541),
                720: (0.831, 0.657)},
}
PEERS = {"neuralforecast": "NeuralForecast LSTM", "darts": "Darts BlockRNNModel(LSTM)"}
VARIANTS = {  # the preset's networks (no blend) with one technique taken out: what each is worth
    "without-normalize": {"normalize": None, "blend": None},
    "without-channels": {"channels": "joint", "blend": None},
    "without-segment": {"segment": None, "units": (100, 50), "dropout": 0.2, "blend": None},
    "without-mae": {"loss": "mse", "blend": None},
    # one added: the window's linear map beside the LSTM, trained with it
    "with-linear": {"linear": True, "blend": None},
    "ensemble-3": {"ensemble": 3},  # and one added: three networks (seeds s..s+2), averaged
}


# -- the table ---------------------------------------------------------------------------
def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def published_for(sha256: str, split: str) -> str | None:
    """The name of the table whose published results apply (``PUBLISHED``): "ETTh2" when
    the file's bytes are the shipped ETTh2's and the split is the standard one; else None,
    and no published result is shown."""
    if sha256 == PUBLISHED_TABLE["sha256"] and split == PUBLISHED_TABLE["split"]:
        return PUBLISHED_TABLE["name"]
    return None


def same_table(old: dict, results: dict, what: str) -> None:
    """Refuse rows measured on another table or split than this run's."""
    old_sha, sha = old.get("data_sha256"), results["data_sha256"]
    table_differs = old_sha != sha if old_sha else old.get("data") != results["data"]
    if table_differs or old.get("split") != results["split"]:
        raise SystemExit(
            f"{what} holds runs on {old.get('data')!r} (split {old.get('split')}), not on "
            f"{results['data']!r} (split {results['split']}): their rows would be printed "
            "beside this table's; choose another --out, or leave them out.")


# -- the protocol -----------------------------------------------------------------------
def borders(n: int, split: str) -> tuple[int, int, int]:
    """Ends of the train, validation and test rows."""
    if split == "12/4/4":  # ETT hourly: months of 30 days
        month = 30 * 24
        train, val, test = 12 * month, 16 * month, 20 * month
        if n < test:
            raise SystemExit(f"--split 12/4/4 needs {test} rows; the table has {n}.")
        return train, val, test
    parts = [float(p) for p in split.split(",")]
    if len(parts) != 3 or abs(sum(parts) - 1) > 1e-6:
        raise SystemExit(f"--split wants 12/4/4 or three fractions adding to 1, got {split!r}.")
    train = int(n * parts[0])
    val = int(n * (parts[0] + parts[1]))
    return train, val, n


def load(path: str, split: str, mode: str, target: str):
    frame = pd.read_csv(path)
    time_col = frame.columns[0]
    numeric = [c for c in frame.columns[1:] if pd.api.types.is_numeric_dtype(frame[c])]
    columns = numeric if mode == "M" else [target]
    train, val, test = borders(len(frame), split)
    mean = frame[columns][:train].mean()
    std = frame[columns][:train].std(ddof=0)
    return frame, time_col, columns, (train, val, test), mean.to_numpy(), std.to_numpy()


def test_starts(val: int, test: int, horizon: int) -> np.ndarray:
    """Window starts whose first target is in [val, test) and whose targets end before test."""
    first = np.arange(val, test - horizon + 1)
    return first - LOOKBACK


def windows(z: np.ndarray, starts: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    idx = starts[:, None] + np.arange(LOOKBACK + horizon)
    both = z[idx]  # (W, L + H, C)
    return both[:, :LOOKBACK], both[:, LOOKBACK:]


def scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    err = pred - truth
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}


# -- the baselines ---------------------------------------------------------------------
def naive(x: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(x[:, -1:], horizon, axis=1)


def seasonal(x: np.ndarray, horizon: int, season: int = 24) -> np.ndarray:
    reps = -(-horizon // season)
    return np.tile(x[:, -season:], (1, reps, 1))[:, :horizon]


def linear(z: np.ndarray, train_end: int, x: np.ndarray, horizon: int,
           ridge: float = 1e-3) -> np.ndarray:
    """NLinear-style: y - last = W (x - last) + b, one W for every channel, least squares."""
    starts = np.arange(0, train_end - LOOKBACK - horizon + 1)
    xt, yt = windows(z, starts, horizon)
    last = xt[:, -1:]
    a = (xt - last).transpose(0, 2, 1).reshape(-1, LOOKBACK)  # (W C, L)
    b = (yt - last).transpose(0, 2, 1).reshape(-1, horizon)
    a1 = np.hstack([a, np.ones((len(a), 1))])
    gram = a1.T @ a1
    gram[:-1, :-1] += ridge * len(a) * np.eye(LOOKBACK)
    w = np.linalg.solve(gram, a1.T @ b)  # (L + 1, H)
    last = x[:, -1:]
    q = (x - last).transpose(0, 2, 1).reshape(-1, LOOKBACK)
    out = np.hstack([q, np.ones((len(q), 1))]) @ w
    return out.reshape(len(x), x.shape[2], horizon).transpose(0, 2, 1) + last


# -- lstmcast ---------------------------------------------------------------------------
def forecaster(model: str, horizon: int, seed: int, borders_: tuple[int, int, int],
               budget: float) -> Forecaster:
    train, val, _ = borders_
    common = {"window": LOOKBACK, "steps": horizon, "seed": seed,
              "validation": (val - train) / val, "max_seconds": budget}
    if model == "tutorial":
        return Forecaster(**common)
    return Forecaster.preset("long-horizon", **common, **VARIANTS.get(model, {}))


def run_lstmcast(model: str, frame: pd.DataFrame, time_col: str, columns: list[str],
                 borders_: tuple[int, int, int], mean: np.ndarray, std: np.ndarray,
                 horizon: int, seed: int, budget: float) -> dict:
    train, val, test = borders_
    fc = forecaster(model, horizon, seed, borders_, budget)
    started = time.perf_counter()
    fc.fit(frame[:val], target=columns, features=[], time=time_col)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    _, pred = fc.evaluate(frame[:test], holdout=test - val, return_predictions=True)
    predict_s = time.perf_counter() - started
    scored = z_scores(pred, "lstmcast", columns, std, horizon)
    epochs = len(fc.history_["loss"])
    windows_trained = fc.n_windows_["train"] * sum(len(h["loss"]) for h in fc.histories_)
    row = {**scored, "train_seconds": round(fit_s, 1), "predict_seconds": round(predict_s, 1),
           "epochs": epochs, "samples_per_s": round(windows_trained / fit_s, 1),
           "stopped_by_budget": bool(fit_s >= budget * 0.98),
           "params": {k: (list(v) if isinstance(v, tuple) else v)
                      for k, v in fc.get_params().items()
                      if k not in ("layers", "callbacks", "checkpoint", "verbose", "device")}}
    if "networks" in pred:  # the same networks without the linear map: what the blend adds
        row["networks_alone"] = z_scores(pred, "networks", columns, std, horizon)
    return row


def z_scores(pred: pd.DataFrame, model: str, columns: list[str], std: np.ndarray,
             horizon: int) -> dict:
    """MSE and MAE of ``model``'s column of ``evaluate``'s predictions, on the z-scored
    values."""
    z_err, z_abs = [], []
    for k, name in enumerate(columns):
        part = pred[pred["target"] == name]
        err = (part[model].to_numpy() - part["actual"].to_numpy()) / std[k]
        z_err.append(np.mean(err ** 2))
        z_abs.append(np.mean(np.abs(err)))
    return {"mse": float(np.mean(z_err)), "mae": float(np.mean(z_abs)),
            "n_windows": int(len(pred) // len(columns) // horizon)}


def run_peer(peer: str, data: str, mode: str, horizon: int, seed: int, split: str,
             out: Path) -> dict | None:
    python = ROOT / "benchmarks" / "peers" / f".venv-{peer}" / "bin" / "python"
    if not python.exists():
        print(f"skipped {PEERS[peer]}: no environment (bash benchmarks/peers/setup.sh {peer})",
              flush=True)
        return None
    result = out / f"peer-{peer}-{mode}-{horizon}-{seed}.json"
    cmd = [str(python), str(ROOT / "benchmarks" / "peers" / "longhorizon_peer.py"), "--peer",
           peer, "--data", data, "--horizon", str(horizon), "--mode", mode, "--seed", str(seed),
           "--lookback", str(LOOKBACK), "--split", split, "--out", str(result)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"{PEERS[peer]} failed: {done.stderr[-1500:]}", flush=True)
        return None
    return json.loads(result.read_text())


def peer_rows(folder: Path, results: dict) -> list[dict]:
    """The rows of peer runs made earlier by longhorizon_peer.py, one json file each, on the
    table (by file name: the peer's json has no more) and split of ``results``."""
    rows = []
    for path in sorted(folder.glob("*.json")):
        row = json.loads(path.read_text())
        if row.get("peer") not in PEERS or "mse" not in row:
            continue
        same_table({"data": row.get("data"), "split": row.get("split")},
                   {**results, "data_sha256": None}, str(path))
        if row.get("n_windows") != row.get("expected_windows"):
            raise SystemExit(f"{path}: {row.get('n_windows')} windows scored, "
                             f"{row.get('expected_windows')} expected")
        rows.append({"mode": row["mode"], "horizon": row["horizon"],
                     "n_windows": row["n_windows"], "model": row["peer"],
                     "seed": row["seed"], "mse": row["mse"], "mae": row["mae"],
                     "train_seconds": row.get("train_seconds"),
                     "samples_per_s": row.get("train_samples_per_s"),
                     "separate_run": path.name, "peer": row})
    if not rows:
        raise SystemExit(f"no peer results in {folder}")
    return rows


# -- speed -------------------------------------------------------------------------------
def speed(lookbacks=(96, 336, 720), horizon: int = 96, channels: int = 7,
          batches: int = 3) -> list[dict]:
    """Training windows per second: the recommended network against the same one with the
    tutorial's point-wise stack, on random windows of `channels` columns."""
    rows = []
    rng = np.random.default_rng(0)
    for length in lookbacks:
        data = pd.DataFrame(rng.normal(size=(length + horizon - 1 + 256 * batches, channels)),
                            columns=[f"c{k}" for k in range(channels)])
        for name in ("segment", "point-wise stack"):
            settings = {"window": length, "steps": horizon, "epochs": 1, "validation": 0.0,
                        "early_stopping": False}
            fc = (Forecaster.preset("long-horizon", **settings) if name == "segment" else
                  Forecaster.preset("long-horizon", **settings, segment=None, units=(100, 50),
                                    dropout=0.2))
            started = time.perf_counter()
            fc.fit(data, target=list(data.columns), features=[])
            took = time.perf_counter() - started
            rows.append({"lookback": length, "network": name,
                         "samples_per_s": round(fc.n_windows_["train"] / took, 1),
                         "seconds": round(took, 1), "windows": fc.n_windows_["train"]})
            print(f"speed L={length} {name}: {rows[-1]['samples_per_s']} windows/s", flush=True)
    return rows


# -- the document --------------------------------------------------------------------------
def _mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def document(results: dict, args: argparse.Namespace) -> str:
    runs = results["runs"]
    published = results.get("published")
    title = published or results["data"]
    target = results.get("target", "OT")
    lines = [
        f"# Long-horizon accuracy: {title} (generated by benchmarks/longhorizon.py)",
        "",
        f"Data `{results['data']}`, split {results['split']} (train / validation / test rows "
        f"{results['borders']}), look-back {LOOKBACK}, every test window (stride 1, the "
        "last incomplete batch kept), each column z-scored with the training rows' mean "
        "and standard deviation; MSE and MAE on the z-scored values. M: every column in "
        f"and out; S: {target} only. Mean ± standard deviation over seeds where there are "
        f"several (count in brackets). Machine: {results['machine']}.",
        ""]
    if not published:
        lines += [f"No published results here: those this script knows are "
                  f"{PUBLISHED_TABLE['name']}'s (the shipped file, SHA-256 "
                  f"{PUBLISHED_TABLE['sha256'][:12]}...) under split "
                  f"{PUBLISHED_TABLE['split']}, and this run is on `{results['data']}` "
                  f"(SHA-256 {str(results.get('data_sha256'))[:12]}...), split "
                  f"{results['split']}.", ""]
    models = ["naive", "seasonal", "linear", "tutorial", "recommended", "networks-alone",
              *PEERS, *VARIANTS]
    names = {"naive": "last value repeated", "seasonal": "seasonal naive (24)",
             "linear": "linear map of the window (least squares)",
             "tutorial": "lstmcast, the tutorial's stack, defaults",
             "recommended": "lstmcast, preset long-horizon", **PEERS,
             "networks-alone": "the preset's networks alone (same runs, without --blend)",
             "without-normalize": "networks alone, without instance normalization",
             "without-channels": "networks alone, channels joint (not independent)",
             "without-segment": "networks alone, the tutorial's stack for SegmentLSTM",
             "without-mae": "networks alone, trained on the squared error",
             "with-linear": "networks alone, with a linear map trained in them (--linear)",
             "ensemble-3": "preset, mean of 3 networks (--ensemble 3)"}
    for mode in ("M", "S"):
        horizons = sorted({r["horizon"] for r in runs if r["mode"] == mode})
        if not horizons:
            continue
        lines += [f"## {'Multivariate (M)' if mode == 'M' else f'Univariate (S, {target})'}", "",
                  "| model | " + " | ".join(f"{h}: MSE | {h}: MAE" for h in horizons) + " |",
                  "|---|" + "---|---|" * len(horizons)]
        for model in models:
            cells = []
            for h in horizons:
                rows = [r for r in runs if r["mode"] == mode and r["horizon"] == h
                        and r["model"] == model]
                if not rows:
                    cells += ["", ""]
                    continue
                count = f" ({len(rows)})" if len(rows) > 1 else ""
                cells += [_mean_std([r["mse"] for r in rows]) + count,
                          _mean_std([r["mae"] for r in rows])]
            if any(cells):
                lines.append(f"| {names[model]} | " + " | ".join(cells) + " |")
        if mode == "M" and published:
            for name, table in PUBLISHED.items():
                cells = []
                for h in horizons:
                    mse, mae = table.get(h, (None, None))
                    cells += [f"{mse:.3f}" if mse else "", f"{mae:.3f}" if mae else ""]
                lines.append(f"| {name} (published) | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Time", "",
              "| mode | horizon | model | seeds | train seconds | epochs | training windows/s |",
              "|---|---|---|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: (r["mode"], r["horizon"], r["model"])):
        if "train_seconds" not in r:
            continue
        budget = " (budget)" if r.get("stopped_by_budget") else ""
        lines.append(f"| {r['mode']} | {r['horizon']} | {names.get(r['model'], r['model'])} | "
                     f"{r['seed']} | {r['train_seconds']}{budget} | {r.get('epochs', '')} | "
                     f"{r.get('samples_per_s', '')} |")
    if results.get("speed"):
        lines += ["", "## Segment recurrence against the point-wise stack", "",
                  "Training windows per second of the long-horizon preset's network and of "
                  "the same network with the tutorial's point-wise stack (LSTM 100 -> LSTM 50) "
                  "in place of the SegmentLSTM, 7 channels, 96 steps, one epoch of 3 batches "
                  "of 256 windows (the time includes preparing the table):", "",
                  "| look-back | segment | point-wise stack | ratio |", "|---|---|---|---|"]
        by = {(r["lookback"], r["network"]): r for r in results["speed"]}
        for length in sorted({r["lookback"] for r in results["speed"]}):
            seg, point = by[(length, "segment")], by[(length, "point-wise stack")]
            lines.append(f"| {length} | {seg['samples_per_s']} | {point['samples_per_s']} | "
                         f"{seg['samples_per_s'] / point['samples_per_s']:.1f}x |")
    if any(r["model"] == "networks-alone" for r in runs):
        lines += ["", "The preset's forecast is the mean of its network's and a least-squares "
                  "linear map of the window (`blend=\"linear\"`), the map fitted in closed "
                  "form on the training windows as the 'linear map' row's is; 'networks "
                  "alone' scores the same trained networks without the map, in the same run. "
                  "The rows 'networks alone, ...' are the preset's network without the blend, "
                  "with one technique changed."]
    separate = sorted({(r["model"], r["peer"].get("version"), r["seed"]) for r in runs
                       if r.get("separate_run")})
    if separate:
        lines += ["", "Peers' rows: measured by benchmarks/peers/longhorizon_peer.py in a "
                  "separate run (--peer-results), on the same protocol and windows: " +
                  "; ".join(f"{PEERS[m]} {v}, seed {s}" for m, v, s in separate) + "."]
    lines += ["", results.get("notes", "")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(data_path("ett", "ETTh2.csv")))
    parser.add_argument("--target", default="OT")
    parser.add_argument("--horizons", default="96,192,336,720")
    parser.add_argument("--modes", default="M,S")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--models", default="naive,seasonal,linear,tutorial,recommended")
    parser.add_argument("--tutorial-seeds", type=int, default=1,
                        help="seeds of the tutorial's stack and of the preset's variants "
                        "(without-normalize, without-channels, without-segment, without-mae, "
                        "with-linear)")
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--peer-results", metavar="DIR",
                        help="add the peers' rows from the json files that "
                        "benchmarks/peers/longhorizon_peer.py wrote in DIR (an earlier, "
                        "separate run) instead of running them here")
    parser.add_argument("--split", default="12/4/4")
    parser.add_argument("--budget", type=float, default=1200.0,
                        help="seconds of training per lstmcast run at most")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs" / "longhorizon.md"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_suffix(".json")
    horizons = [int(h) for h in args.horizons.split(",") if h]
    modes = [m for m in args.modes.split(",") if m]
    models = [m for m in args.models.split(",") if m]
    if args.peers:
        models += list(PEERS)
    if not Path(args.data).is_file():
        raise SystemExit(f"--data {args.data}: no such file.")
    sha256 = file_sha256(args.data)
    results = {"data": Path(args.data).name, "data_sha256": sha256,
               "published": published_for(sha256, args.split), "target": args.target,
               "split": args.split, "runs": [], "speed": [],
               "machine": f"{os.cpu_count()} CPU cores, torch threads "
                          f"{__import__('torch').get_num_threads()}"}
    redo = {(m, mo, h) for m in models + ["networks-alone"] * ("recommended" in models)
            for mo in modes for h in horizons}
    if args.keep and json_path.exists():
        old = json.loads(json_path.read_text())
        same_table(old, results, f"--keep: {json_path}")
        results["runs"] = [r for r in old["runs"]
                           if (r["model"], r["mode"], r["horizon"]) not in redo]
        results["speed"] = [] if args.speed else old.get("speed", [])

    if args.peer_results:
        results["runs"] = [r for r in results["runs"] if r["model"] not in PEERS]
        results["runs"] += peer_rows(Path(args.peer_results), results)

    def save():
        json_path.write_text(json.dumps(results, indent=1) + "\n")
        out.write_text(document(results, args))

    for mode in modes:
        frame, time_col, columns, bounds, mean, std = load(args.data, args.split, mode,
                                                           args.target)
        results["borders"] = list(bounds)
        z = ((frame[columns].to_numpy(dtype=np.float64) - mean) / std)
        for horizon in horizons:
            starts = test_starts(bounds[1], bounds[2], horizon)
            x, y = windows(z, starts, horizon)
            base = {"mode": mode, "horizon": horizon, "n_windows": len(starts)}
            for model in ("naive", "seasonal", "linear"):
                if model in models:
                    started = time.perf_counter()
                    pred = (naive(x, horizon) if model == "naive" else
                            seasonal(x, horizon) if model == "seasonal" else
                            linear(z, bounds[0], x, horizon))
                    results["runs"].append({**base, "model": model, "seed": 0,
                                            **scores(pred, y),
                                            "seconds": round(time.perf_counter() - started, 2)})
            save()
            for model in ("tutorial", "recommended", *PEERS, *VARIANTS):
                if model not in models:
                    continue
                seeds = (args.tutorial_seeds if model == "tutorial" or model in VARIANTS
                         else args.seeds)
                for seed in range(1, seeds + 1):
                    print(f"{mode} {horizon} {model} seed {seed}", flush=True)
                    if model in PEERS:
                        row = run_peer(model, args.data, mode, horizon, seed, args.split,
                                       out.parent)
                        if row is None:
                            continue
                        row = {"mse": row["mse"], "mae": row["mae"],
                               "n_windows": row["n_windows"],
                               "train_seconds": row.get("train_seconds"),
                               "samples_per_s": row.get("train_samples_per_s"),
                               "peer": row}
                    else:
                        row = run_lstmcast(model, frame, time_col, columns, bounds, mean, std,
                                           horizon, seed, args.budget)
                    alone = row.pop("networks_alone", None)
                    results["runs"].append({**base, "model": model, "seed": seed, **row})
                    if alone is not None and model == "recommended":
                        results["runs"].append({**base, "model": "networks-alone",
                                                "seed": seed, **alone})
                    print(f"  MSE {row['mse']:.4f} MAE {row['mae']:.4f}", flush=True)
                    save()
    if args.speed:
        results["speed"] = speed()
    save()
    print(f"wrote {out} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
