"""Data-parallel scaling: training throughput with 1 process and with N under torchrun.

Writes docs/distributed.md (generated; do not edit by hand) and docs/distributed.json.

    python benchmarks/distributed.py                     # 1 and 2 CPU processes (this machine)
    python benchmarks/distributed.py --procs 1,2,4,8 --device cuda   # a GPU node
    python benchmarks/distributed.py --quick             # a smoke run

The same job each time: the tutorial's stack (LSTM 100, Dropout 0.2, LSTM 50,
Dropout 0.2, Dense 1) on 20,000 windows of 30 steps x 17 features, the same
global batch (``--batch``), ``--epochs`` epochs; throughput = training windows
per second over the epochs after the first (which warms up). With N processes
each takes a disjoint 1/N of every global batch and DistributedDataParallel
averages the gradients; on the CPU each process gets cores / N threads, so the
comparison is one process using every core against N sharing them.
Efficiency = (rate with N / rate with 1) / N.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(args: argparse.Namespace) -> None:
    """One rank (or the single process): train, and rank 0 prints the rate as JSON."""
    import numpy as np
    import torch

    from lstmcast.engine import distributed
    from lstmcast.engine.callbacks import Callback
    from lstmcast.layers import LSTM, Dense, Dropout
    from lstmcast.models import Sequential

    device = distributed.init(args.device)
    if not distributed.launched():
        torch.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 30, 17)).astype("float32")
    y = x[:, -1, :1] * 0.5 + rng.normal(0, 0.1, size=(args.samples, 1)).astype("float32")
    torch.manual_seed(0)
    model = Sequential([LSTM(100, input_shape=(30, 17), return_sequences=True), Dropout(0.2),
                        LSTM(50), Dropout(0.2), Dense(1)], device=device)
    model.compile(loss="mse", optimizer="adam")

    class Clock(Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter())

    clock = Clock()
    started = time.perf_counter()
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch, callbacks=[clock], verbose=0)
    times = [started, *clock.times]
    later = times[-1] - times[1] if len(times) > 2 else times[-1] - times[0]
    epochs = args.epochs - 1 if len(times) > 2 else args.epochs
    if distributed.is_main():
        print(json.dumps({"processes": distributed.world_size(),
                          "threads": torch.get_num_threads(),
                          "windows_per_s": args.samples * epochs / later,
                          "device": str(model.device)}))
    distributed.close()


def measure(procs: int, args: argparse.Namespace) -> dict:
    common = ["--worker", "--samples", str(args.samples), "--epochs", str(args.epochs),
              "--batch", str(args.batch)] + (["--device", args.device] if args.device else [])
    if procs == 1:
        command = [sys.executable, __file__, *common]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   "--nproc-per-node", str(procs), __file__, *common]
    env = dict(os.environ)
    if procs > 1 and (args.device or "cpu") == "cpu":
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // procs))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--procs", default="1,2")
    parser.add_argument("--device", default=None)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "distributed.md")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.quick:
        args.samples, args.epochs, args.rounds = 2000, 2, 1
    counts = [int(p) for p in args.procs.split(",")]
    runs: dict[int, list[dict]] = {p: [] for p in counts}
    for r in range(args.rounds):  # alternate, so a noisy moment hits every count alike
        for procs in counts:
            got = measure(procs, args)
            runs[procs].append(got)
            print(f"round {r + 1}: {procs} process(es) {got['windows_per_s']:,.0f} windows/s",
                  flush=True)
    median = {p: sorted(x["windows_per_s"] for x in v)[len(v) // 2] for p, v in runs.items()}
    base = median[counts[0]] * counts[0]
    lines = ["# Data-parallel scaling (torchrun, DistributedDataParallel)", "",
             f"Generated by `python benchmarks/distributed.py{' --quick' if args.quick else ''}"
             f" --procs {args.procs}{' --device ' + args.device if args.device else ''}`; "
             "do not edit by hand.", "", __doc__.split("\n\n", 3)[3].strip(), "",
             f"Median of {args.rounds} rounds, {args.samples:,} windows, global batch "
             f"{args.batch}, {args.epochs} epochs.", "",
             "| processes | threads each | device | windows/s (median) | all rounds | "
             "speed-up | efficiency |", "|---|---|---|---|---|---|---|"]
    for p in counts:
        rounds = ", ".join(f"{x['windows_per_s']:,.0f}" for x in runs[p])
        lines.append(f"| {p} | {runs[p][0]['threads']} | {runs[p][0]['device']} | "
                     f"{median[p]:,.0f} | {rounds} | {median[p] * counts[0] / base:.2f}x | "
                     f"{median[p] / (base / counts[0]) / p:.0%} |")
    lines += ["", f"Machine: {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    args.out.with_suffix(".json").write_text(json.dumps({str(k): v for k, v in runs.items()},
                                                        indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
