"""Serving benchmark: lstmcast serve under load on 127.0.0.1, beside in-process predict and
onnxruntime on the same model.

    python benchmarks/serve.py [--series 64] [--clients 1,16,64] [--requests 5000]
                               [--seconds 10] [--client raw|httpx] [--out docs/serve-figures.md]

What it does, in one run:

1. trains a small LSTM (window 24, 32 units, 1 epoch) on ``--series`` synthetic
   hourly series and exports it to ONNX;
2. in process, on one series' last window: ``predict_window`` (prepared windows),
   ``Forecaster.predict`` on the series' last rows (the table path), and
   onnxruntime's ``InferenceSession.run``; medians of ``--repeats`` calls;
3. starts ``lstmcast serve`` (a subprocess, 127.0.0.1 only), observes each series'
   history, then for batching on and off and each client count, sends
   ``GET /forecast/SERIES`` (series drawn in turn) from that many concurrent asyncio
   clients until ``--requests`` answers or ``--seconds`` pass, whichever comes
   first: p50 / p99 latency, forecasts per second, errors, the service's CPU time
   per request and the requests per network call (from its /metrics);
4. the same at the largest client count with httpx's AsyncClient as the client,
   beside the lean one, with each client's CPU time per request;
5. reads beside writes: 16 clients reading while one more posts ``/observe`` (one
   new row at a time, the rows held back from the history);
6. again at 16 clients (batching on) and in process, beside a competing busy
   process (one core spinning, stopped after the run): the ratio to the quiet run.

The client (``--client raw``, the default) is a lean HTTP/1.1 keep-alive client on
asyncio streams (one connection per client, the request's bytes written, the
answer's status, headers and Content-Length body read and checked), on uvloop when
it is installed, as the service is: httpx spends 1-4 ms of CPU per request here,
more than the service, on the same two cores, so with httpx the figures measure
httpx. Every loop is bounded in requests and seconds and the service and the busy
process are killed at the end. The client runs on the same cores as the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from timing import busy, median_ms, uptime  # noqa: E402


def synthetic(series: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    times = pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    return pd.concat([pd.DataFrame({"unit": f"u{k}", "time": times,
                                    "load": (np.sin(2 * np.pi * (t + 3 * k) / 24)
                                             + 0.1 * rng.normal(size=rows)).round(4)})
                      for k in range(series)], ignore_index=True)


def train(folder: Path, table: pd.DataFrame) -> Path:
    from lstmcast import Forecaster

    run = folder / "run"
    run.mkdir()
    fc = Forecaster(window=24, units=(32,), epochs=1, seed=0, device="cpu")
    fc.fit(table, target="load", group="unit", time="time")
    fc.save(run / "forecaster.lstmcast")
    fc.export_onnx(folder / "model.onnx")
    return run


def in_process(run: Path, onnx: Path, history: pd.DataFrame, repeats: int) -> dict:
    import onnxruntime as ort
    import torch

    from lstmcast import Forecaster
    from lstmcast.forecast.window_predict import predict_window, prepare_table

    torch.set_num_threads(1)  # as the service runs
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    fc = Forecaster.load(run / "forecaster.lstmcast", device="cpu")
    session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    x = prepare_table(fc, history).windows
    out = {"predict_window_ms": median_ms(repeats, predict_window, fc, x),
           "predict_table_ms": median_ms(repeats, fc.predict, history),
           "onnxruntime_ms": median_ms(repeats, session.run, None, {"windows": x})}
    out["window_ratio"] = out["predict_window_ms"] / out["onnxruntime_ms"]
    out["table_ratio"] = out["predict_table_ms"] / out["onnxruntime_ms"]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(run: Path, state: Path, batching: bool, seconds: float = 90) -> tuple:
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "lstmcast", "serve", str(run), "--state", str(state),
               "--port", str(port), "--quiet", *([] if batching else ["--no-batching"])]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("lstmcast serve did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the processes in a process group (Linux's /proc; 0
    elsewhere): the service and its workers."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime (ticks)
    return total / os.sysconf("SC_CLK_TCK")


def batch_counts(url: str) -> tuple[float, float]:
    """The service's requests in network calls, and its calls (from /metrics)."""
    import httpx

    values = dict(line.rsplit(" ", 1) for line in httpx.get(f"{url}/metrics").text
                  .splitlines() if line.startswith("lstmcast_batch_requests_"))
    return (float(values.get("lstmcast_batch_requests_sum", 0)),
            float(values.get("lstmcast_batch_requests_count", 0)))


async def load(url: str, series: list[str], clients: int, requests: int, seconds: float,
               client: str = "raw") -> dict:
    """``clients`` concurrent loops of GET /forecast/SERIES until ``requests`` answers or
    ``seconds``, whichever first, through the lean client or httpx."""
    return await (load_raw if client == "raw" else load_httpx)(url, series, clients, requests,
                                                              seconds)


async def load_raw(url: str, series: list[str], clients: int, requests: int, seconds: float
                   ) -> dict:
    """``load`` through one keep-alive asyncio connection per client."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = {"count": 0}
    sent = {"count": 0}
    deadline = time.monotonic() + seconds
    asks = [f"GET /forecast/{s} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for s in series]

    async def client_loop() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while sent["count"] < requests and time.monotonic() < deadline:
                k = sent["count"]
                sent["count"] += 1
                started = time.perf_counter()
                try:
                    writer.write(asks[k % len(asks)])
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    body = await reader.readexactly(length)
                except (OSError, ValueError, StopIteration, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError):
                    errors["count"] += 1  # a broken answer or connection ends this client
                    latencies.append(time.perf_counter() - started)
                    return
                latencies.append(time.perf_counter() - started)
                errors["count"] += not (head.startswith(b"HTTP/1.1 200")
                                        and body.startswith(b'{"forecast":[{'))
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return _summary(clients, latencies, errors["count"], time.perf_counter() - began)


async def load_httpx(url: str, series: list[str], clients: int, requests: int,
                     seconds: float) -> dict:
    """``load`` through httpx's AsyncClient (a pool of ``clients`` connections)."""
    import httpx

    latencies: list[float] = []
    errors = {"count": 0}
    sent = {"count": 0}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while sent["count"] < requests and time.monotonic() < deadline:
            k = sent["count"]
            sent["count"] += 1
            started = time.perf_counter()
            try:
                answer = await client.get(f"/forecast/{series[k % len(series)]}")
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors["count"] += not ok

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - began
    return _summary(clients, latencies, errors["count"], wall)


def _summary(clients: int, latencies: list[float], errors: int, wall: float) -> dict:
    ms = np.array(latencies) * 1000
    return {"clients": clients, "requests": len(latencies), "errors": errors,
            "seconds": wall, "per_second": len(latencies) / wall,
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def run_loop(coroutine: Any) -> Any:
    """``asyncio.run``, on uvloop when it is installed (as uvicorn runs the service)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def measured(url: str, group: int, series: list[str], clients: int, args: argparse.Namespace,
             client: str) -> dict:
    """One bounded load run with the service's CPU time, the client's and the batch sizes."""
    calls_before, cpu_before = batch_counts(url), cpu_seconds(group)
    mine_before = time.process_time()
    row = run_loop(load(url, series, clients, args.requests, args.seconds, client))
    mine = time.process_time() - mine_before
    cpu = cpu_seconds(group) - cpu_before
    calls_after = batch_counts(url)
    calls = calls_after[1] - calls_before[1]
    done = max(row["requests"], 1)
    return {**row, "client": client, "service_cpu_ms": 1000 * cpu / done,
            "client_cpu_ms": 1000 * mine / done,
            "per_call": (calls_after[0] - calls_before[0]) / calls if calls else 0.0}


def observe(url: str, table: pd.DataFrame) -> None:
    import httpx

    with httpx.Client(base_url=url, timeout=120) as client:
        for _, part in table.groupby("unit", sort=False):
            answer = client.post("/observe", json={"rows": json.loads(part.to_json(
                orient="records"))})
            answer.raise_for_status()


def served(run: Path, folder: Path, table: pd.DataFrame, args: argparse.Namespace,
           batching: bool, clients: list[int], tag: str = "", client: str | None = None
           ) -> list[dict]:
    state = folder / f"state-{'on' if batching else 'off'}{tag}"
    process, url = start(run, state, batching)
    try:
        observe(url, table)
        series = list(table["unit"].unique())
        run_loop(load(url, series, 4, 40, 10))  # warm-up
        rows = []
        for n in clients:
            rows.append({"batching": batching, **measured(url, process.pid, series, n, args,
                                                          client or args.client)})
            print(rows[-1], flush=True)
        return rows
    finally:
        stop(process)


async def observer(url: str, bodies: list[bytes], stop: asyncio.Event) -> dict:
    """POST /observe of each body in turn on one keep-alive connection until ``stop``."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    try:
        for body in bodies:
            if stop.is_set():
                break
            started = time.perf_counter()
            writer.write(b"POST /observe HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json"
                         b"\r\nContent-Length: %d\r\n\r\n" % (host.encode(), len(body)) + body)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            errors += not head.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
    return _summary(1, latencies, errors, time.perf_counter() - began)


def served_mixed(run: Path, folder: Path, table: pd.DataFrame, args: argparse.Namespace,
                 clients: int) -> dict:
    """``clients`` reading stored series (the lean client) beside one client observing
    each series' next row in turn (one row a request, written to disk before each
    answer): the rows held back from the history are what it observes."""
    held = max(1, min(40, args.rows // 4))
    parts = [part for _, part in table.groupby("unit", sort=False)]
    rest = [json.loads(part.iloc[-held:].to_json(orient="records")) for part in parts]
    bodies = [json.dumps({"rows": [rows[k]]}).encode() for k in range(held) for rows in rest]
    process, url = start(run, folder / "state-mixed", True)
    try:
        observe(url, pd.concat([part.iloc[:-held] for part in parts]))
        series = list(table["unit"].unique())
        run_loop(load(url, series, 4, 40, 10))  # warm-up

        async def both() -> list[dict]:
            done = asyncio.Event()

            async def reads() -> dict:
                try:
                    return await load_raw(url, series, clients, args.requests, args.seconds)
                finally:
                    done.set()
            return await asyncio.gather(reads(), observer(url, bodies, done))

        reads, writes = run_loop(both())
    finally:
        stop(process)
    print({"reads": reads, "observes": writes}, flush=True)
    return {"reads": reads, "observes": writes}


def document(result: dict, command: str) -> str:
    inp, beside = result["in_process"], result["busy"]
    lines = ["# Serving: lstmcast serve under load (generated by benchmarks/serve.py)", "",
             f"Command: `{command}`", "",
             f"Machine: {result['cores']} CPU cores, shared with other work while this ran "
             "(the figures move with it). Load before and after: "
             f"`{result['uptime_before']}` / `{result['uptime_after']}`. The load "
             f"generator ({CLIENTS[result.get('client', 'httpx')]}) runs on the same cores "
             "as the service (1 worker, 1 torch thread).", "",
             f"Model: an LSTM (window 24, 32 units, 1 step) on {result['series']} hourly "
             "series. Requests: `GET /forecast/SERIES` from the stored history, the series "
             "in turn.", "",
             "## In process, one series' last window", "",
             "| path | median (ms) | / onnxruntime |", "|---|---|---|",
             f"| onnxruntime `InferenceSession.run` | {inp['onnxruntime_ms']:.3f} | 1.0x |",
             f"| `predict_window` (prepared window) | {inp['predict_window_ms']:.3f} | "
             f"{inp['window_ratio']:.1f}x |",
             f"| `Forecaster.predict` (a table of the last rows) | "
             f"{inp['predict_table_ms']:.3f} | {inp['table_ratio']:.1f}x |", "",
             "## Over HTTP on 127.0.0.1", "",
             "| batching | clients | requests | errors | forecasts/s | p50 (ms) | p99 (ms) "
             "| requests per network call | service CPU per request (ms) | client CPU per "
             "request (ms) |", "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(row) for row in result["served"]]
    if "httpx" in result:
        lean, httpx = result["httpx"]
        lines += ["", f"The same load through httpx's AsyncClient, beside the lean client "
                  f"(batching on, {httpx['clients']} clients):", "",
                  "| client | requests | errors | forecasts/s | p50 (ms) | p99 (ms) | "
                  "requests per network call | service CPU per request (ms) | client CPU per "
                  "request (ms) |", "|---|---|---|---|---|---|---|---|---|"]
        lines += [_row(row, row["client"]) for row in (lean, httpx)]
    if "mixed" in result:
        reads, writes = result["mixed"]["reads"], result["mixed"]["observes"]
        lines += ["", f"Reads beside writes: {reads['clients']} clients reading stored series "
                  "(batching on) while one more client posts `/observe`, one new row of a "
                  "series at a time, each committed to disk before its answer:", "",
                  "| requests | count | errors | per second | p50 (ms) | p99 (ms) |",
                  "|---|---|---|---|---|---|"]
        for name, row in (("GET /forecast/SERIES", reads), ("POST /observe", writes)):
            lines.append(f"| {name} | {row['requests']} | {row['errors']} | "
                         f"{row['per_second']:.0f} | {row['p50_ms']:.1f} | "
                         f"{row['p99_ms']:.1f} |")
    quiet, loaded = beside["quiet"], beside["loaded"]
    lines += ["", "## Beside a competing busy process (one core spinning)", "",
              "| | quiet | busy | busy / quiet |", "|---|---|---|---|",
              f"| forecasts/s, {quiet['clients']} clients, batching | {quiet['per_second']:.0f} | "
              f"{loaded['per_second']:.0f} | {loaded['per_second'] / quiet['per_second']:.2f} |",
              f"| p50 (ms) | {quiet['p50_ms']:.1f} | {loaded['p50_ms']:.1f} | "
              f"{loaded['p50_ms'] / quiet['p50_ms']:.2f} |",
              f"| `predict_window` (ms) | {inp['predict_window_ms']:.3f} | "
              f"{beside['predict_window_ms']:.3f} | "
              f"{beside['predict_window_ms'] / inp['predict_window_ms']:.2f} |", ""]
    return "\n".join(lines)


CLIENTS = {"raw": "one keep-alive HTTP/1.1 connection per client on asyncio streams",
           "httpx": "asyncio + httpx"}


def _row(row: dict, first: str | None = None) -> str:
    cells = ([first] if first else [("on" if row["batching"] else "off"), row["clients"]]) + [
        row["requests"], row["errors"], f"{row['per_second']:.0f}", f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}", f"{row.get('per_call', 0):.1f}",
        f"{row.get('service_cpu_ms', 0):.2f}", f"{row.get('client_cpu_ms', 0):.2f}"]
    return "| " + " | ".join(map(str, cells)) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=64)
    parser.add_argument("--rows", type=int, default=200, help="rows per series")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--requests", type=int, default=5000, help="most per load run")
    parser.add_argument("--seconds", type=float, default=10, help="most per load run")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="the load generator: lean asyncio streams (raw) or httpx")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "docs" / "serve-figures.md"))
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    before = uptime()
    with tempfile.TemporaryDirectory(prefix="lstmcast-serve-bench-") as tmp:
        folder = Path(tmp)
        table = synthetic(args.series, args.rows)
        run = train(folder, table)
        history = table[table["unit"] == "u0"].iloc[-25:]
        result = {"series": args.series, "cores": os.cpu_count(), "uptime_before": before,
                  "client": args.client,
                  "in_process": in_process(run, folder / "model.onnx", history, args.repeats)}
        print(result["in_process"], flush=True)
        result["served"] = (served(run, folder, table, args, False, clients)
                            + served(run, folder, table, args, True, clients))
        if args.client == "raw":  # the same load through httpx, beside it
            lean = next(r for r in result["served"] if r["batching"]
                        and r["clients"] == max(clients))
            result["httpx"] = [lean, served(run, folder, table, args, True, [max(clients)],
                                            "-httpx", "httpx")[0]]
        result["mixed"] = served_mixed(run, folder, table, args, 16 if 16 in clients
                                       else max(clients))
        quiet = next((r for r in result["served"] if r["batching"] and r["clients"] == 16),
                     result["served"][-1])
        spinner = busy(args.seconds * 2 + 120)
        try:
            loaded = served(run, folder, table, args, True, [quiet["clients"]], "-busy")[0]
            window = in_process(run, folder / "model.onnx", history, args.repeats)
        finally:
            spinner.kill()
            spinner.wait()
        result["busy"] = {"quiet": quiet, "loaded": loaded,
                          "predict_window_ms": window["predict_window_ms"]}
    result["uptime_after"] = uptime()
    command = "python benchmarks/serve.py " + " ".join(argv if argv is not None
                                                      else sys.argv[1:])
    out = Path(args.out)
    out.write_text(document(result, command.strip()))
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
