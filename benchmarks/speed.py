"""Speed: lstmcast against a hand-written PyTorch loop and Keras 3, side by side.

Writes docs/benchmarks.md (generated; do not edit by hand), docs/benchmarks.json
and docs/images/benchmarks.png.

    python benchmarks/speed.py            # everything (about half an hour on 2 cores)
    python benchmarks/speed.py --quick    # a smoke run on tiny sizes

What it measures, in one run:
- training and predict samples/s and peak memory of each contender, each in a
  fresh process (so no contender inherits another's allocator state), the
  contenders alternating A B C ... A B C ... so that drift hits all alike;
  Keras runs from its own environments made by benchmarks/peers/setup.sh
  (a peer whose environment is missing is skipped, with a message);
- the machine's ceiling: the time of the matrix products alone that one
  training step of the tutorial's model needs, at its shapes, with torch's
  threads; lstmcast's rate as a percentage of it;
- how cost grows with window length, units and number of windows, and peak
  memory of zero-copy windows against the tutorial's list of window copies;
- C-MAPSS FD001 test RMSE with and without the options that change numerics
  (bfloat16, lstmcast's dropout masks), and time to RMSE <= 16 against the
  tutorial's recipe in Keras + TensorFlow;
- lstmcast's training quiet and beside one competing busy process (a core
  spinning, killed after each run), with torch's default threads and with one:
  the busy / quiet ratio (``--update contended`` alone: about two minutes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import busy, uptime

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
WORKER = HERE / "speed_worker.py"
PEERS = HERE / "peers"
KERAS_BACKENDS = {"tensorflow": "tf", "jax": "jax", "torch": "torch"}
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


class Contender:
    """A command line for the worker: which Python, which contender, which flags."""

    def __init__(self, label: str, name: str, python: Path | str = sys.executable,
                 env: dict[str, str] | None = None, flags: tuple[str, ...] = ()) -> None:
        self.label, self.name, self.python = label, name, str(python)
        self.env, self.flags = env or {}, flags

    def run(self, common: list[str], timeout: float = 3600) -> dict:
        env = {**os.environ, **self.env}
        env.setdefault("PYTHONPATH", str(ROOT / "src"))
        done = subprocess.run([self.python, str(WORKER), self.name, *common, *self.flags],
                              capture_output=True, text=True, env=env, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{self.label} failed:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def contenders(quick: bool) -> list[Contender]:
    out = [Contender("lstmcast Sequential", "sequential"),
           Contender("lstmcast Sequential, bfloat16", "sequential",
                     flags=("--precision", "bfloat16")),
           Contender("lstmcast Forecaster", "forecaster"),
           Contender("PyTorch, hand-written loop", "torch-loop"),
           Contender("PyTorch, hand-written loop + tuned malloc", "torch-loop", env=TUNED_MALLOC)]
    for backend, short in KERAS_BACKENDS.items():
        python = PEERS / f".venv-{short}" / "bin" / "python"
        if python.exists() and (PEERS / f".venv-{short}" / ".complete").exists():
            out.append(Contender(f"Keras 3 + {backend}", "keras", python,
                                 env={"KERAS_BACKEND": backend, "PYTHONPATH": ""}))
        else:
            print(f"skipped Keras 3 + {backend}: no environment at {python.parent.parent} "
                  f"(run: bash benchmarks/peers/setup.sh {short})", flush=True)
    return out


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def head_to_head(args: argparse.Namespace) -> dict:
    """Every contender once per round, alternating; medians over rounds."""
    common = ["--samples", str(args.samples), "--epochs", str(args.epochs)]
    field = contenders(args.quick)
    runs: dict[str, list[dict]] = {c.label: [] for c in field}
    for r in range(args.rounds):
        for contender in field:
            result = contender.run(common)
            runs[contender.label].append(result)
            print(f"round {r + 1}/{args.rounds} {contender.label:45s} "
                  f"train {result['train']:8,.0f}/s"
                  + (f"  predict {result['predict']:8,.0f}/s" if "predict" in result else "")
                  + f"  peak {result['peak_mb']:6,.0f} MB", flush=True)
    table = {}
    for label, results in runs.items():
        table[label] = {"train": summary([r["train"] for r in results]),
                        "peak_mb": summary([r["peak_mb"] for r in results]),
                        "versions": results[0].get("versions", {})}
        if "predict" in results[0]:
            table[label]["predict"] = summary([r["predict"] for r in results])
    return table


def contended(args: argparse.Namespace) -> dict:
    """lstmcast's training quiet and beside one busy process (a core spinning), alternating,
    with torch's default threads and with one thread (OMP_NUM_THREADS=1): samples/s and
    the busy / quiet ratio. Bounded: each run is ``--contended-samples`` windows, 2 epochs,
    the busy process spins at most 150 s and is killed after each run."""
    common = ["--samples", str(args.contended_samples), "--epochs", "2"]
    field = [Contender("lstmcast Sequential, default threads", "sequential"),
             Contender("lstmcast Sequential, OMP_NUM_THREADS=1", "sequential",
                       env={"OMP_NUM_THREADS": "1"})]
    runs: dict[str, dict[str, list[float]]] = {c.label: {"quiet": [], "busy": []}
                                               for c in field}
    for r in range(args.contended_rounds):
        for contender in field:
            runs[contender.label]["quiet"].append(contender.run(common, timeout=150)["train"])
            spinner = busy(150)
            try:
                runs[contender.label]["busy"].append(contender.run(common, timeout=150)["train"])
            finally:
                spinner.kill()
                spinner.wait()
            print(f"round {r + 1}/{args.contended_rounds} {contender.label:40s} quiet "
                  f"{runs[contender.label]['quiet'][-1]:8,.0f}/s  beside a busy process "
                  f"{runs[contender.label]['busy'][-1]:8,.0f}/s", flush=True)
    return {"samples": args.contended_samples, "rounds": args.contended_rounds,
            "uptime": uptime(),
            "runs": {label: {"quiet": summary(v["quiet"]), "busy": summary(v["busy"]),
                             "ratio": statistics.median(v["busy"]) / statistics.median(
                                 v["quiet"])} for label, v in runs.items()}}


def gemm_ceiling(batch: int = 200, window: int = 30, features: int = 40,
                 units: tuple[int, int] = (100, 50), repeats: int = 10) -> dict:
    """The machine's matrix-product rate at the model's shapes, as a ceiling.

    One training step of an LSTM layer (input I, units H, gates G = 4H) needs,
    forward, an (B*T, I) x (I, G) product for the inputs and T products
    (B, H) x (H, G) for the recurrence; backward, for each, the two products of
    the same size that give the input and the weight gradients. "stepwise" times
    exactly those products, each through the faster of torch.mm and oneDNN's
    linear; "batched" times the recurrent ones as single (B*T, H) x (H, G)
    products, the best rate these inner sizes allow
    (the recurrence cannot really be batched, so no kernel reaches it: a strict
    ceiling). Both in float32 and bfloat16, at torch's thread count.
    """
    import torch

    def shapes(batched: bool) -> list[tuple[int, int, int]]:
        out, inputs = [], features
        for hidden in units:
            gates = 4 * hidden
            layer = [(batch * window, inputs, gates)]
            layer += [(batch * window, hidden, gates)] if batched else \
                [(batch, hidden, gates)] * window
            for m, k, n in layer:
                out += [(m, k, n), (m, n, k), (k, m, n)]  # forward, d-input, d-weight
            inputs = hidden
        return out + [(batch, units[-1], 1)]

    result = {"threads": torch.get_num_threads()}
    for dtype in (torch.float32, torch.bfloat16):
        for batched in (False, True):
            plan = shapes(batched)
            flops = sum(2 * m * k * n for m, k, n in plan)
            best = sum(min(product_seconds(m, k, n, dtype, repeats)) for m, k, n in plan)
            key = f"{str(dtype).split('.')[1]}_{'batched' if batched else 'stepwise'}"
            result[key] = {"flop_per_sample": flops / batch, "seconds_per_step": best,
                           "gflops": flops / best / 1e9, "samples_per_s": batch / best}
    big = torch.randn(2048, 2048)
    best = min(timed_mm(big) for _ in range(repeats))
    result["float32_peak"] = {"gflops": 2 * 2048**3 / best / 1e9, "seconds_per_step": best}
    return result


def product_seconds(m: int, k: int, n: int, dtype, repeats: int) -> list[float]:
    """Best time of an (m, k) x (k, n) product through torch.mm (MKL for float32)
    and through oneDNN's linear kernel where torch has it: the faster counts."""
    import torch

    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    out, w = torch.empty(m, n, dtype=dtype), b.t().contiguous()
    kernels = [lambda: torch.mm(a, b, out=out)]
    try:
        torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], "")
        kernels.append(lambda: torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], ""))
    except (AttributeError, RuntimeError):
        pass
    times = []
    for kernel in kernels:
        kernel()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            kernel()
            best = min(best, time.perf_counter() - start)
        times.append(best)
    return times


def timed_mm(a) -> float:
    import torch

    start = time.perf_counter()
    torch.mm(a, a)
    return time.perf_counter() - start


def sweeps(args: argparse.Namespace) -> dict:
    """lstmcast Sequential (float32) as window length, units and windows grow."""
    seq = Contender("lstmcast", "sequential")
    out: dict[str, list[dict]] = {"window": [], "units": [], "rows": [], "copies": []}
    windows = (30, 100) if args.quick else (30, 100, 300)
    units = (32, 64) if args.quick else (32, 64, 128, 256, 512)
    for t in windows:
        steps = max(3, round(40 * 30 / t)) if not args.quick else 2
        r = seq.run(["--window", str(t), "--steps", str(steps), "--epochs", "1",
                     "--samples", str(steps * 200 + 1)])
        out["window"].append({"window": t, "train": r["train"], "peak_mb": r["peak_mb"]})
        print(f"window {t}: {r['train']:,.0f}/s, peak {r['peak_mb']:,.0f} MB", flush=True)
    for u in units:
        steps = max(3, round(40 * (100 / u) ** 2)) if not args.quick else 2
        steps = min(steps, 120)
        r = seq.run(["--units", str(u), "--steps", str(steps), "--epochs", "1",
                     "--samples", str(steps * 200 + 1)])
        out["units"].append({"units": u, "train": r["train"], "peak_mb": r["peak_mb"]})
        print(f"units {u}: {r['train']:,.0f}/s, peak {r['peak_mb']:,.0f} MB", flush=True)
    # memory due to the data: peak of the run on N rows minus the peak of the same run
    # on 1,000 rows (interpreter, torch, kernels' buffers and allocator slack cancel out)
    sizes = (10**4,) if args.quick else (10**4, 10**5, 10**6)
    steps = "2" if args.quick else "40"
    base = {name: Contender(name, name).run(["--samples", "1000", "--steps", steps])["peak_mb"]
            for name in ("rows", "copies")}
    for rows in sizes:
        r = Contender("rows", "rows").run(["--samples", str(rows), "--steps", steps])
        r["peak_extra_mb"] = r["peak_mb"] - base["rows"]
        r["ratio"] = r["peak_extra_mb"] / (r["raw_mb"] + r["state_mb"])
        out["rows"].append(r)
        print(f"{rows:,} rows, zero-copy windows: {r['peak_extra_mb']:,.0f} MB more than on "
              f"1,000 rows (raw {r['raw_mb']:,.0f} MB + state {r['state_mb']:.1f} MB; "
              f"ratio {r['ratio']:.2f}), {r['train']:,.0f}/s", flush=True)
        c = Contender("copies", "copies").run(["--samples", str(rows)])
        c["peak_extra_mb"] = c["peak_mb"] - base["copies"]
        c["ratio"] = c["peak_extra_mb"] / c["raw_mb"]
        out["copies"].append(c)
        print(f"{rows:,} rows, list of copies: {c['peak_extra_mb']:,.0f} MB "
              f"(ratio {c['ratio']:.1f})", flush=True)
    return out


def fd001_arrays(path: Path) -> int:
    """FD001 prepared as the tutorial would, for Keras: min-max scaling on the
    training engines, windows of 30, RUL clipped at 125; the last window of each
    test engine (padded at the front with its first row if short) and true RUL."""
    from lstmcast.datasets import load_cmapss

    data = load_cmapss("FD001", rul_cap=125)
    cols = data.features
    low, high = data.train[cols].min(), data.train[cols].max()
    scale = lambda frame: ((frame[cols] - low) / (high - low)).to_numpy(np.float32)  # noqa: E731
    xs, ys, tests, truth = [], [], [], []
    for _, engine in data.train.groupby("unit"):
        values, rul = scale(engine), engine["rul"].to_numpy(np.float32)
        for end in range(30, len(engine) + 1):
            xs.append(values[end - 30: end])
            ys.append(rul[end - 1])
    for _, engine in data.test.groupby("unit"):
        values = scale(engine)
        if len(values) < 30:
            values = np.vstack([np.repeat(values[:1], 30 - len(values), 0), values])
        tests.append(values[-30:])
        truth.append(engine["rul"].to_numpy()[-1])
    np.savez(path, x=np.array(xs), y=np.array(ys)[:, None], x_test=np.array(tests),
             truth=np.array(truth, np.float32))
    return len(xs)


def accuracy(args: argparse.Namespace) -> dict:
    """FD001 test RMSE for the numerics-changing options, and time to RMSE <= 16."""
    seeds = range(1 if args.quick else args.accuracy_seeds)
    variants = {"float32 (default)": (), "bfloat16": ("--precision", "bfloat16"),
                "float32, torch's nn.Dropout masks": ("--torch-dropout",)}
    out: dict = {"variants": {}, "keras": None}
    epochs_flag = []
    for label, flags in variants.items():
        out["variants"][label] = []
        for seed in seeds:
            r = Contender(label, "fd001", flags=flags).run(["--seed", str(seed), *epochs_flag])
            out["variants"][label].append(r)
            print(f"FD001 {label}, seed {seed}: RMSE {r['rmse']:.2f}, {r['epochs']} epochs, "
                  f"{r['seconds']:.0f} s", flush=True)
    python = PEERS / ".venv-tf" / "bin" / "python"
    if not (PEERS / ".venv-tf" / ".complete").exists():
        print("skipped time to accuracy in Keras + TensorFlow: no environment", flush=True)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        arrays = Path(tmp) / "fd001.npz"
        fd001_arrays(arrays)
        keras = Contender("Keras 3 + tensorflow, the tutorial's recipe", "keras-recipe", python,
                          env={"KERAS_BACKEND": "tensorflow", "PYTHONPATH": ""})
        out["keras"] = keras.run(["--arrays", str(arrays), "--goal", str(args.goal)])
    k = out["keras"]
    print(f"Keras-TF recipe: RMSE {k['rmse']:.2f} after {k['epochs']} epochs, "
          f"{k['seconds']:.0f} s; reached {args.goal}: {k['seconds_to_goal']}", flush=True)
    return out


def machine() -> dict:
    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "avx512_bf16": "avx512_bf16" in flags,
            "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "date": datetime.date.today().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accuracy-seeds", type=int, default=3)
    parser.add_argument("--goal", type=float, default=16.0)
    parser.add_argument("--no-sweeps", action="store_true")
    parser.add_argument("--no-accuracy", action="store_true")
    parser.add_argument("--contended-samples", type=int, default=4000,
                        help="windows per run beside a busy process")
    parser.add_argument("--contended-rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--update", nargs="+", choices=("head_to_head", "ceiling", "sweeps",
                                                        "accuracy", "contended"),
                        help="measure only these parts again; keep the rest from the "
                        "existing .json beside --out")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.epochs, args.rounds = 600, 1, 1
        args.contended_samples, args.contended_rounds = 600, 1

    from report_speed import write_report  # noqa: E402  (beside this file)

    parts = {"head_to_head": lambda: head_to_head(args), "ceiling": gemm_ceiling,
             "sweeps": lambda: None if args.no_sweeps else sweeps(args),
             "accuracy": lambda: None if args.no_accuracy or args.quick else accuracy(args),
             "contended": lambda: contended(args)}
    results = {}
    if args.update:
        results = json.loads(args.out.with_suffix(".json").read_text())
        results.setdefault("updated", []).append(
            {"parts": args.update, "date": datetime.date.today().isoformat()})
    results["machine"] = machine()
    if not args.update or "head_to_head" in args.update:
        results["args"] = {k: str(v) for k, v in vars(args).items()}
    started = time.perf_counter()
    for name, measure in parts.items():
        if not args.update or name in args.update:
            results[name] = measure()
    seconds = time.perf_counter() - started
    (results["updated"][-1] if args.update else results)["seconds"] = seconds
    write_report(results, args.out)
    print(f"wrote {args.out} in {seconds:.0f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
