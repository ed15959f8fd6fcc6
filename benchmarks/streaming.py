"""Training on Parquet sets bigger than memory: peak memory against table size, and the
throughput of reading in shards against the in-memory path.

Writes docs/streaming.md (generated; do not edit by hand) and docs/streaming.json.

    python benchmarks/streaming.py                 # 1 GB and 4 GB sets, 2M rows for speed
    python benchmarks/streaming.py --quick         # a smoke run (tiny sets)
    python benchmarks/streaming.py --device cuda --series-rows 200 --out docs/streaming-gpu

The sets: many series of ``--series-rows`` rows each (id, an integer time, the target
and 32 inputs, float64: a sensor log), ``--series-per-file`` series per file, written
file by file (never whole in memory). "GB" is the rows as pandas holds them (276 bytes
a row), the table a user would otherwise load. Each measurement runs in a fresh process whose
peak resident memory (``ru_maxrss``) is reported.

1. Memory: one epoch of ``Forecaster.fit`` on each set, shards of ``--shard-rows``
   rows (the default 1,000,000), a small LSTM: peak memory per size and their ratio.
2. Throughput, side by side on a set that fits: the same fit from the DataFrame in
   memory and from the Parquet folder in 8 shards; windows trained per second of the
   whole ``fit`` (reading, preparing, every epoch), and their ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FEATURES = 32  # inputs besides the target: rows of a sensor log


def row_bytes(features: int) -> int:
    """int32 id + int64 time + float64 target and inputs."""
    return 4 + 8 + 8 * (1 + features)


def make_set(folder: Path, rows: int, series_rows: int, per_file: int,
             features: int = FEATURES) -> dict:
    """A Parquet set of ``rows`` rows, written file by file."""
    import numpy as np
    import pandas as pd

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    series = max(1, rows // series_rows)
    t = np.arange(series_rows)
    for first in range(0, series, per_file):
        ids = np.arange(first, min(first + per_file, series))
        level = rng.normal(0, 3, len(ids))[:, None]
        phase = rng.uniform(0, 6, len(ids))[:, None]
        x = rng.normal(size=(features, len(ids), series_rows))
        y = level + np.sin(t / 8 + phase) + 0.3 * x[0] + rng.normal(0, 0.1, x[0].shape)
        columns = {"id": np.repeat(ids, series_rows).astype("int32"),
                   "t": np.tile(t, len(ids)).astype("int64"), "y": y.ravel()}
        columns.update({f"x{k + 1}": x[k].ravel() for k in range(features)})
        pd.DataFrame(columns).to_parquet(folder / f"part-{first // per_file:05d}.parquet",
                                         index=False)
    disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    return {"rows": series * series_rows, "series": series,
            "files": len(list(folder.glob("*.parquet"))), "disk_bytes": disk,
            "table_bytes": series * series_rows * row_bytes(features)}


def child(args: argparse.Namespace) -> None:
    """One fit in this process; prints its seconds, windows and peak memory as JSON."""
    import pandas as pd
    import torch

    from lstmcast import Forecaster

    torch.set_num_threads(args.threads)
    forecaster = Forecaster(window=24, units=(16,), dropout=0.0, epochs=args.epochs,
                            batch_size=args.batch, early_stopping=False, validation=0.0,
                            normalize=None, shard_rows=args.shard_rows, seed=0,
                            device=args.device)
    data = pd.read_parquet(args.folder) if args.mode == "memory" else args.folder
    started = time.perf_counter()
    forecaster.fit(data, target="y", group="id", time="t")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"mode": args.mode, "seconds": seconds, "epochs": args.epochs,
                      "windows": forecaster.n_windows_["train"], "peak_bytes": peak,
                      "streamed": forecaster.streamed_}))


def run_child(folder: Path, mode: str, epochs: int, shard_rows: int, threads: int,
              batch: int, device: str = "cpu") -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--folder", str(folder),
                          "--epochs", str(epochs), "--shard-rows", str(shard_rows),
                          "--threads", str(threads), "--batch", str(batch),
                          "--device", device],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{mode} on {folder} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["windows_per_s"] = result["windows"] * epochs / result["seconds"]
    return result


def render(report: dict) -> str:
    gib = 1024 ** 3
    lines = ["# Training on Parquet sets bigger than memory", "",
             "Generated by `python benchmarks/streaming.py` (do not edit by hand); "
             f"{report['machine']}, torch {report['torch']}, {report['threads']} threads, "
             f"training on {report.get('device', 'cpu')}.", "",
             "## Peak memory against the table's size", "",
             f"One epoch of `Forecaster.fit` on a folder of Parquet files ({FEATURES} inputs "
             f"and the target per row; LSTM of 16 units, window 24, batch {report['batch']}), "
             f"shards of {report['shard_rows']:,} rows. Table = the "
             "rows as pandas would hold them; peak = the fitting process's peak resident "
             "memory (Python, torch and pyarrow included).", "",
             "| table | rows | series | files | on disk | shards | most rows held | "
             "fit | peak memory |", "|---|---|---|---|---|---|---|---|---|"]
    for row in report["memory"]:
        s = row["set"]
        lines.append(f"| {s['table_bytes'] / gib:.2f} GiB | {s['rows']:,} | {s['series']:,} | "
                     f"{s['files']} | {s['disk_bytes'] / gib:.2f} GiB | "
                     f"{row['streamed']['shards']} | {row['streamed']['most_rows']:,} | "
                     f"{row['seconds']:.0f} s | {row['peak_bytes'] / gib:.2f} GiB |")
    first, last = report["memory"][0], report["memory"][-1]
    if len(report["memory"]) > 1:
        ratio = last["peak_bytes"] / first["peak_bytes"]
        size = last["set"]["table_bytes"] / first["set"]["table_bytes"]
        lines += ["", f"A table {size:.1f}x bigger: peak memory x{ratio:.2f} "
                  f"({(ratio - 1) * 100:+.0f}%)."]
    lines.append("")
    t = report["throughput"]
    lines += ["## Throughput: shards against the table in memory", "",
              f"The same fit ({t['epochs']} epochs) on a set that fits "
              f"({t['set']['rows']:,} rows, {t['set']['series']:,} series), side by side in "
              "one run: from the DataFrame in memory, and from the Parquet folder in "
              f"{t['shards']['streamed']['shards']} shards. Windows trained per second of "
              "the whole fit (reading and preparing the shards every epoch included).", "",
              "| path | fit | windows/s | peak memory |", "|---|---|---|---|"]
    for name in ("memory", "shards"):
        r = t[name]
        lines.append(f"| {name} | {r['seconds']:.1f} s | {r['windows_per_s']:,.0f} | "
                     f"{r['peak_bytes'] / gib:.2f} GiB |")
    speed = t["shards"]["windows_per_s"] / t["memory"]["windows_per_s"]
    lines += ["", f"Shards / memory: {speed:.2f}x the throughput.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", default="1,4", help="table sizes in GiB (memory test)")
    parser.add_argument("--speed-rows", type=int, default=2_000_000)
    parser.add_argument("--series-rows", type=int, default=1000)
    parser.add_argument("--series-per-file", type=int, default=100)
    parser.add_argument("--shard-rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the speed test")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--work", default="/tmp/lstmcast-streaming")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--quick", action="store_true", help="tiny sets (a smoke run)")
    parser.add_argument("--child", choices=["memory", "shards"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        return child(args)
    import torch

    gib = 1024 ** 3
    sizes = [float(s) for s in args.sizes_gb.split(",")]
    speed_rows, shard_rows = args.speed_rows, args.shard_rows
    if args.quick:
        sizes, speed_rows, shard_rows = [0.01, 0.04], 40_000, 20_000
        args.series_per_file = 5
    work = Path(args.work)
    machine = f"{platform.processor() or platform.machine()}, {platform.system()}"
    if args.device.startswith("cuda"):
        machine += f", {torch.cuda.get_device_name(torch.device(args.device))}"
    report = {"machine": machine, "torch": torch.__version__, "threads": args.threads,
              "shard_rows": shard_rows, "batch": args.batch, "device": args.device,
              "memory": []}
    for size in sizes:
        folder = work / f"set-{size:g}gb"
        made = make_set(folder, int(size * gib / row_bytes(FEATURES)), args.series_rows,
                        args.series_per_file)
        print(f"{size:g} GiB: {made['rows']:,} rows in {made['files']} files", flush=True)
        result = run_child(folder, "shards", 1, shard_rows, args.threads, args.batch,
                           args.device)
        result["set"] = made
        report["memory"].append(result)
        print(f"  fit {result['seconds']:.0f} s, peak {result['peak_bytes'] / gib:.2f} GiB",
              flush=True)
        shutil.rmtree(folder)
    folder = work / "speed"
    made = make_set(folder, speed_rows, args.series_rows, args.series_per_file)
    memory = run_child(folder, "memory", args.epochs, shard_rows, args.threads, args.batch,
                       args.device)
    shards = run_child(folder, "shards", args.epochs, max(1, made["rows"] // 8), args.threads,
                       args.batch, args.device)
    report["throughput"] = {"set": made, "epochs": args.epochs, "memory": memory,
                            "shards": shards}
    shutil.rmtree(folder)
    print(f"throughput: memory {memory['windows_per_s']:,.0f}/s, shards "
          f"{shards['windows_per_s']:,.0f}/s", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "streaming.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "streaming.md").write_text(render(report))
    print(render(report))


if __name__ == "__main__":
    main()
