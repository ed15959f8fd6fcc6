"""In-process latency of one series' forecast: Forecaster.predict on a table of its last
rows, beside predict_window and onnxruntime on the same model, in the same run.

    python benchmarks/predict_latency.py [--repeats 200] [--out docs/predict-latency.md]

Models (each trained one epoch on 16 synthetic hourly series, exported to ONNX):

- serve's small model: window 24, 32 units, the Forecaster's default blend (which
  here picks the linear map and the seasonal naive forecast: no network runs);
- an LSTM of 32 units, window 24, the network alone (``blend=None``);
- the tutorial's size: LSTM 100 -> LSTM 50, window 30, the network alone;
- calendar inputs and a feature: LSTM 32, window 24, hour/weekday/yearday inputs.

For each, medians of ``--repeats`` calls after a warm-up, one thread each (as the
service runs): onnxruntime ``InferenceSession.run`` on the prepared window;
``predict_window`` (the same window, lstmcast's networks); ``Forecaster.predict``
on the series' last rows as text dates (the table path, ``lstmcast.tables.fast_path``'s
short way); and the same with the short way switched off (the full table path,
what ``predict`` did before it). Beside them, the floor of any DataFrame-in,
DataFrame-out call: reading the columns the model needs from the table and building
the forecast's DataFrame from arrays already computed, nothing else (no checks, no
scaling, no network). Ratios are over onnxruntime. The run is bounded:
four small trainings and 4 x 4 x ``--repeats`` calls (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from timing import median_ms, uptime  # noqa: E402

MODELS = {
    "serve's small model (default blend: linear map + seasonal naive)":
        (dict(window=24, units=(32,)), dict(features=[])),
    "LSTM 32, window 24 (network alone)":
        (dict(window=24, units=(32,), blend=None), dict(features=[])),
    "LSTM 100 -> 50, window 30 (network alone)":
        (dict(window=30, units=(100, 50), blend=None), dict(features=[])),
    "LSTM 32, window 24, calendar + 1 feature (network alone)":
        (dict(window=24, units=(32,), blend=None, calendar=True), dict(features=["temp"])),
}


def synthetic(series: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    times = pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    return pd.concat([pd.DataFrame({"unit": f"u{k}", "time": times,
                                    "load": (np.sin(2 * np.pi * (t + 3 * k) / 24)
                                             + 0.1 * rng.normal(size=rows)).round(4),
                                    "temp": rng.normal(size=rows).round(2)})
                      for k in range(series)], ignore_index=True)


def measure(name: str, settings: dict, fit: dict, table: pd.DataFrame, folder: Path,
            repeats: int) -> dict:
    import onnxruntime as ort

    from lstmcast import Forecaster
    from lstmcast.forecast.window_predict import predict_window, prepare_table
    from lstmcast.tables import fast_path

    fc = Forecaster(epochs=1, seed=0, device="cpu", **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(table, target="load", group="unit", time="time", **fit)
    path = folder / f"model{len(list(folder.glob('*.onnx')))}.onnx"
    fc.export_onnx(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    history = table[table["unit"] == "u0"].iloc[-(fc.window + 1):]
    x = prepare_table(fc, history).windows
    pipeline = fc.table_reader()
    short = fast_path.last_window(pipeline, history, pipeline.roles.autoregressive)
    needed = [c for c in pipeline.roles.columns() if c in history.columns]
    forecast = fc.predict(history)
    written = {c: forecast[c].to_numpy().copy() for c in forecast.columns}
    out = {"model": name, "window": fc.window, "units": list(fc.units), "rows": len(history),
           "parameters": sum(m.count_params() for m in fc.ensemble_.members),
           "network_runs": fc.ensemble_.weight > 0, "short_way": short is not None,
           "onnxruntime_ms": median_ms(repeats, session.run, None, {"windows": x}),
           "predict_window_ms": median_ms(repeats, predict_window, fc, x),
           "predict_ms": median_ms(repeats, fc.predict, history),
           "floor_ms": median_ms(repeats, floor, history, needed, written)}
    real = fast_path.last_window
    fast_path.last_window = lambda *a, **k: None  # the full table path, as before
    try:
        out["full_path_ms"] = median_ms(repeats, fc.predict, history)
    finally:
        fast_path.last_window = real
    for key in ("predict_window", "predict", "full_path", "floor"):
        out[f"{key}_ratio"] = out[f"{key}_ms"] / out["onnxruntime_ms"]
    print(json.dumps(out), flush=True)
    return out


def floor(history: pd.DataFrame, needed: list[str], written: dict) -> pd.DataFrame:
    """The least a call with a table in and a table out does: read the columns the model
    needs as arrays, and build the forecast's DataFrame from arrays already made."""
    for column in needed:
        history[column].to_numpy()
    return pd.DataFrame(written, copy=False)


def document(result: dict, command: str) -> str:
    lines = ["# Forecaster.predict beside onnxruntime (generated by "
             "benchmarks/predict_latency.py)", "",
             f"Command: `{command}`. Machine: {result['cores']} CPU cores, shared with "
             f"other work (load before / after: `{result['uptime_before']}` / "
             f"`{result['uptime_after']}`). One thread each; medians of "
             f"{result['repeats']} calls on one series' last window + 1 rows (text dates). "
             "The floor: reading the model's columns from that table and building the "
             "forecast's DataFrame from ready arrays, nothing else.",
             "", "| model | parameters | onnxruntime (ms) | predict_window (ms) | "
             "Forecaster.predict (ms) | full table path (ms) | predict_window / ort | "
             "predict / ort | full path / ort | floor (ms) | floor / ort |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["models"]:
        lines.append(f"| {r['model']} | {r['parameters']:,} | {r['onnxruntime_ms']:.3f} | "
                     f"{r['predict_window_ms']:.3f} | {r['predict_ms']:.3f} | "
                     f"{r['full_path_ms']:.3f} | {r['predict_window_ratio']:.1f}x | "
                     f"{r['predict_ratio']:.1f}x | {r['full_path_ratio']:.1f}x | "
                     f"{r['floor_ms']:.3f} | {r['floor_ratio']:.1f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--series", type=int, default=16)
    parser.add_argument("--models", default="all",
                        help="comma-separated indexes into the models (0-3), or all")
    parser.add_argument("--out", default=str(ROOT / "docs" / "predict-latency.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the service runs
    chosen = (list(MODELS) if args.models == "all"
              else [list(MODELS)[int(k)] for k in args.models.split(",")])
    result = {"cores": os.cpu_count(), "repeats": args.repeats, "uptime_before": uptime()}
    table = synthetic(args.series, 200)
    with tempfile.TemporaryDirectory(prefix="lstmcast-predict-latency-") as tmp:
        result["models"] = [measure(name, *MODELS[name], table, Path(tmp), args.repeats)
                            for name in chosen]
    result["uptime_after"] = uptime()
    command = "python benchmarks/predict_latency.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    out = Path(args.out)
    out.write_text(document(result, command.strip()))
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
