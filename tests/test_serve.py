"""lstmcast serve: the service's forecasts are predict's, its state survives kill -9, bad
requests are one-line 4xx answers."""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.forecast.window_predict import (
    finish_records,
    finish_table,
    predict_window,
    prepare_table,
)
from lstmcast.serve.app import build

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
from fastapi.testclient import TestClient  # noqa: E402  (after the filter: it warns)

TOKEN = "s3cret-token-0123456789"


def _sales(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    parts = []
    for store in ("a", "b", "c"):
        t = np.arange(n)
        parts.append(pd.DataFrame({"store": store, "day": t, "promo": (t % 7 == 0).astype(int),
                                   "temp": 20 + rng.normal(size=n).round(3),
                                   "sales": (50 + 10 * np.sin(t / 4) + rng.normal(size=n))
                                   .round(4)}))
    return pd.concat(parts, ignore_index=True)


def _hourly(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    t = np.arange(n)
    return pd.DataFrame({"time": pd.date_range("2024-01-01", periods=n, freq="h")
                         .strftime("%Y-%m-%d %H:%M:%S"),
                         "price": (t % 5).astype(float),
                         "y": (np.sin(t / 3) + 0.1 * rng.normal(size=n)).round(4)})


def _train(folder: Path, frame: pd.DataFrame, **fit) -> Path:
    settings = fit.pop("settings")
    fc = Forecaster(units=(8,), epochs=1, batch_size=32, seed=0, device="cpu", **settings)
    fc.fit(frame, **fit)
    folder.mkdir()
    fc.save(folder / "forecaster.lstmcast")
    frame.to_csv(folder.parent / f"{folder.name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three tiny runs: many series with features (blended, scaled per series, the target
    read as its log), one hourly series with quantiles, and one with an input known in
    advance."""
    root = tmp_path_factory.mktemp("serve")
    return {
        "many": _train(root / "many", _sales(), target="sales", group="store", time="day",
                       settings={"window": 6, "scale_by": "series", "log": True}),
        "quantile": _train(root / "quantile", _hourly()[["time", "y"]], target="y",
                           time="time", settings={"window": 8, "steps": 3,
                                                  "quantiles": (0.1, 0.5, 0.9)}),
        "future": _train(root / "future", _hourly(), target="y", time="time",
                         future=["price"], settings={"window": 8, "steps": 2, "blend": None}),
    }


def _client(run: Path, state: Path, **options) -> TestClient:
    return TestClient(build(str(run), str(state), **options))


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def _same_forecast(answer: list[dict], expected: pd.DataFrame) -> None:
    got = pd.DataFrame(answer)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-6)
        elif column == "time":
            assert (pd.to_datetime(got[column]) == pd.to_datetime(expected[column])).all()
        else:
            assert got[column].tolist() == expected[column].tolist()


def _predicted(run: Path, tmp_path: Path, future: Path | None = None) -> pd.DataFrame:
    out = tmp_path / f"{run.name}-forecast.csv"
    extra = ["--future", future] if future is not None else []
    result = run_cli("predict", run, run.parent / f"{run.name}.csv", *extra, "--out", out)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(out)


def _future_rows(run: Path, count: int) -> list[dict]:
    history = pd.read_csv(run.parent / f"{run.name}.csv")
    last = pd.Timestamp(history["time"].iloc[-1])
    times = pd.date_range(last + pd.Timedelta(hours=1), periods=count, freq="h")
    return [{"time": t.strftime("%Y-%m-%d %H:%M:%S"), "price": float(k % 3)}
            for k, t in enumerate(times)]


@pytest.mark.parametrize("name", ["many", "quantile", "future"])
def test_forecast_equals_lstmcast_predict(runs, name, tmp_path):
    run = runs[name]
    body = {"rows": _records(pd.read_csv(run.parent / f"{name}.csv"))}
    future_file = None
    if name == "future":
        body["future"] = _future_rows(run, 2)
        future_file = tmp_path / "future.csv"
        pd.DataFrame(body["future"]).to_csv(future_file, index=False)
    answer = _client(run, tmp_path / "state").post("/forecast", json=body)
    assert answer.status_code == 200, answer.text
    expected = _predicted(run, tmp_path, future_file)
    _same_forecast(answer.json()["forecast"], expected)
    if name == "quantile":
        assert {"y_q0.1", "y_q0.5", "y_q0.9"} <= set(expected.columns)


@pytest.mark.parametrize("name", ["many", "quantile"])
def test_observe_in_chunks_equals_predict_on_the_whole_history(runs, name, tmp_path):
    run = runs[name]
    rows = _records(pd.read_csv(run.parent / f"{name}.csv"))
    client = _client(run, tmp_path / "state")
    for chunk in (rows[:7], rows[7:50], rows[50:]):  # series start and continue mid-chunk
        answer = client.post("/observe", json={"rows": chunk})
        assert answer.status_code == 200, answer.text
        assert answer.json()["observed"] == len(chunk)
    expected = _predicted(run, tmp_path)
    key = "store" if name == "many" else None
    for series in (["a", "b", "c"] if key else ["_"]):
        mine = expected[expected[key] == series] if key else expected
        got = client.get(f"/forecast/{series}")
        assert got.status_code == 200, got.text
        _same_forecast(got.json()["forecast"], mine.reset_index(drop=True))
    # the last observe answered with the forecasts of the series it touched
    touched = sorted({r["store"] for r in rows[50:]}) if key else None
    _same_forecast(answer.json()["forecast"], expected[expected[key].isin(touched)]
                   .reset_index(drop=True) if key else expected)


def test_series_named_by_two_columns_are_posted_and_answered_by_them(tmp_path):
    """A model trained with group="store,region": records carry both columns, the answers
    too, and a stored series is asked for by its joined id ("a | north")."""
    frame = _sales().assign(region=lambda f: np.where(f["day"] % 2 == 0, "north", "south"))
    frame = frame.assign(day=frame["day"] // 2)  # each store's days split over two regions
    run = _train(tmp_path / "two", frame, target="sales", group="store,region", time="day",
                 settings={"window": 6})
    client = _client(run, tmp_path / "state")
    rows = _records(frame)
    answer = client.post("/forecast", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    expected = _predicted(run, tmp_path)
    assert list(expected.columns[:2]) == ["store", "region"]
    _same_forecast(answer.json()["forecast"], expected)
    assert client.post("/observe", json={"rows": rows}).status_code == 200
    got = client.get("/forecast/a | north")
    assert got.status_code == 200, got.text
    _same_forecast(got.json()["forecast"], expected[(expected["store"] == "a")
                                                    & (expected["region"] == "north")]
                   .reset_index(drop=True))
    missing = client.post("/forecast", json={"rows": [{k: v for k, v in r.items()
                                                       if k != "region"} for r in rows]})
    assert missing.status_code == 422 and "no column 'region'" in missing.text


def test_the_state_outlives_the_app(runs, tmp_path):
    run, state = runs["many"], tmp_path / "state"
    rows = _records(pd.read_csv(run.parent / "many.csv"))
    assert _client(run, state).post("/observe", json={"rows": rows[:30]}).status_code == 200
    again = _client(run, state)  # a new process would read the same file
    before = again.get("/forecast/a")
    assert before.status_code == 200
    assert again.post("/observe", json={"rows": rows[29:30]}).status_code == 409  # stored
    assert again.post("/observe", json={"rows": rows[30:40]}).status_code == 200
    assert again.get("/forecast/a").json() != before.json()


BAD = [  # (raw body, status, words of the one-line error)
    (b"{\"rows\": [", 400, "malformed JSON"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b"{\"rows\": [], \"extra\": 1}", 400, "unknown field 'extra'"),
    (b"{\"future\": []}", 400, "no field 'rows'"),
    (b"{\"rows\": {}}", 400, "`rows` must be a list"),
    (b"{\"rows\": []}", 422, "`rows` is empty"),
    (b"{\"rows\": [{\"store\": \"a\", \"day\": 1, \"promo\": 0, \"temp\": 1}]}", 422,
     "rows[0] has no column 'sales'"),
    (b"{\"rows\": [{\"store\": \"a\", \"day\": 1, \"promo\": 0, \"temp\": 1, \"sales\": 2, "
     b"\"colour\": 3}]}", 422, "column 'colour', which the model does not read"),
    (b"{\"rows\": [{\"store\": \"a\", \"day\": 1, \"promo\": 0, \"temp\": \"warm\", "
     b"\"sales\": 2}]}", 422, "rows[0].temp must be a number, got text \"warm\""),
    (b"{\"rows\": [{\"store\": \"a\", \"day\": 1, \"promo\": 0, \"temp\": NaN, \"sales\": 2}]}",
     400, "NaN is not a JSON number"),
    (b"{\"rows\": [{\"store\": null, \"day\": 1, \"promo\": 0, \"temp\": 1, \"sales\": 2}]}",
     422, "rows[0].store must be text or a number, got null"),
    (b"{\"rows\": [{\"store\": \"zz\", \"day\": 1, \"promo\": 0, \"temp\": 1, \"sales\": 2}]}",
     422, "'zz'"),
]


@pytest.mark.parametrize("raw, status, words", BAD)
def test_bad_requests_are_one_line_4xx_answers(runs, tmp_path_factory, raw, status, words):
    client = _client(runs["many"], tmp_path_factory.mktemp("state"))
    for path in ("/forecast", "/observe"):
        answer = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert answer.status_code == status, (path, answer.text)
        error = answer.json()["error"]
        assert words in error and "\n" not in error, error


def test_limits_gaps_order_and_unknown_series(runs, tmp_path):
    from lstmcast.serve.schema import Limits

    run = runs["many"]
    rows = _records(pd.read_csv(run.parent / "many.csv"))
    client = _client(run, tmp_path / "state", limits=Limits(body_bytes=20_000, rows=50))
    big = client.post("/forecast", json={"rows": rows[:60]})
    assert big.status_code == 413 and "more than the limit of 50" in big.json()["error"]
    huge = client.post("/forecast", content=b" " * 30_000)
    assert huge.status_code == 413 and "20000" in huge.json()["error"]
    assert client.post("/observe", json={"rows": rows[:10]}).status_code == 200
    gap = client.post("/observe", json={"rows": rows[12:14]})  # days 10 and 11 missing
    assert gap.status_code == 422 and "'a'" in gap.json()["error"], gap.text
    twice = client.post("/observe", json={"rows": [rows[10], rows[10]]})
    assert twice.status_code == 409 and "comes again" in twice.json()["error"]
    back = client.post("/observe", json={"rows": [rows[3]]})
    assert back.status_code == 409 and "time 3 comes before 9" in back.json()["error"]
    unknown = client.get("/forecast/nobody")
    assert unknown.status_code == 404 and "'nobody'" in unknown.json()["error"]
    assert client.get("/nowhere").status_code == 404
    assert client.get("/forecast/a").status_code == 200  # nothing refused was written


def test_the_token_guards_everything_but_health(runs, tmp_path):
    client = _client(runs["many"], tmp_path / "state", token=TOKEN)
    assert client.get("/health").json() == {"status": "ok"}
    for path in ("/model", "/metrics", "/forecast/a", "/docs"):
        for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            answer = client.get(path, headers=header)
            assert answer.status_code == 401, (path, header)
            assert "token" in answer.json()["error"]
    ok = client.get("/model", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["targets"] == ["sales"]
    assert ok.json()["group"] == "store" and ok.json()["window"] == 6


def test_a_future_model_needs_its_future_values(runs, tmp_path):
    client = _client(runs["future"], tmp_path / "state")
    rows = _records(pd.read_csv(runs["future"].parent / "future.csv"))
    answer = client.post("/observe", json={"rows": rows})
    assert answer.status_code == 422 and "price" in answer.json()["error"]
    assert client.get("/forecast/_").status_code == 422
    missing = client.post("/forecast", json={"rows": rows, "future": [{"time": "2030-01-01"}]})
    assert missing.status_code == 422 and "no column 'price'" in missing.json()["error"]


def _parse_metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


async def _concurrently(app, calls):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.request(*call[:2], **call[2]) for call in calls))


def test_concurrent_requests_share_a_network_call_and_metrics_count_them(runs, tmp_path):
    run = runs["many"]
    app = build(str(run), str(tmp_path / "state"))
    rows = _records(pd.read_csv(run.parent / "many.csv"))
    client = TestClient(app)
    assert client.post("/observe", json={"rows": rows}).status_code == 200
    answers = asyncio.run(_concurrently(app, [("GET", f"/forecast/{s}", {})
                                              for s in "abc" * 4]))
    assert [a.status_code for a in answers] == [200] * 12
    client.post("/forecast", content=b"nope")
    values = _parse_metrics(client.get("/metrics").text)
    calls = values["lstmcast_batch_requests_count"]
    assert values["lstmcast_batch_requests_sum"] == 13  # the observe, and the 12 reads
    assert calls < 13  # some arrived together and shared a call
    assert values['lstmcast_requests_total{path="/forecast/{series}",method="GET",code="200"}'] \
        == 12
    assert values['lstmcast_errors_total{code="400"}'] == 1
    assert values["lstmcast_series"] == 3
    assert values['lstmcast_request_seconds_count{path="/forecast/{series}"}'] == 12
    assert values['lstmcast_request_seconds_bucket{path="/forecast/{series}",le="+Inf"}'] == 12


def test_concurrent_observes_of_one_series_never_interleave(runs, tmp_path):
    run = runs["many"]
    app = build(str(run), str(tmp_path / "state"))
    rows = [r for r in _records(pd.read_csv(run.parent / "many.csv")) if r["store"] == "b"]
    chunks = [rows[k:k + 10] for k in range(0, 40, 10)]
    answers = asyncio.run(_concurrently(app, [("POST", "/observe", {"json": {"rows": c}})
                                              for c in chunks]))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 409}, [a.text for a in answers]
    count, stored = app.state.service.store.tail("b", 1000)
    days = [r["day"] for r in stored]
    assert days == sorted(days) and len(set(days)) == len(days) == count
    accepted = [c for c, code in zip(chunks, codes) if code == 200]
    assert sum(len(c) for c in accepted) == count  # whole chunks, nothing of a refused one


def test_a_table_being_read_does_not_hold_up_stored_series(runs, tmp_path):
    """A request that reads a table or writes rows is prepared in a thread of its own:
    a stored series' forecast is answered while it is still being prepared."""
    run = runs["many"]
    service = build(str(run), str(tmp_path / "state")).state.service
    rows = _records(pd.read_csv(run.parent / "many.csv"))
    release = threading.Event()

    def slow() -> list:
        release.wait(30)
        return [service.stored("a")]

    async def scenario() -> tuple:
        await service.observe({"rows": rows})
        held = asyncio.ensure_future(service.batcher.submit(slow, quick=False))
        await asyncio.sleep(0.05)
        quick = await asyncio.wait_for(service.forecast_series("b"), 10)
        waiting = not held.done()
        release.set()
        return quick, waiting, await held

    try:
        quick, waiting, held = asyncio.run(scenario())
    finally:
        release.set()
        service.batcher.close()
    assert waiting and [r["store"] for r in quick] == ["b"] and held[0]["store"] == "a"


def test_predict_window_is_the_ensembles_forecast(runs):
    fc = Forecaster.load(runs["many"] / "forecaster.lstmcast")
    prepared = prepare_table(fc, pd.read_csv(runs["many"].parent / "many.csv"))
    assert prepared.windows.shape == (3, 6, 3)
    np.testing.assert_allclose(predict_window(fc, prepared.windows),
                               fc.ensemble_.predict(prepared.windows), atol=1e-6)


@pytest.mark.parametrize("name, n_ahead", [("many", None), ("quantile", None),
                                           ("quantile", 1), ("future", None)])
def test_finish_records_are_finish_tables_json(runs, name, n_ahead):
    """The service's records (labels kept in the Prepared, numbers unscaled per call) are
    finish_table's DataFrame written as JSON: the same columns in the same order, the same
    labels, the same numbers."""
    run = runs[name]
    fc = Forecaster.load(run / "forecaster.lstmcast")
    future = pd.DataFrame(_future_rows(run, 2)) if name == "future" else None
    prepared = prepare_table(fc, pd.read_csv(run.parent / f"{name}.csv"), future, n_ahead)
    outputs = predict_window(fc, prepared.windows)
    expected = json.loads(finish_table(fc, prepared, outputs, warn=False).to_json(
        orient="records", date_format="iso", double_precision=15))
    assert prepared.labels is None
    for _ in range(2):  # the labels are made by the first call, then reused
        got = finish_records(fc, prepared, outputs)
        assert prepared.labels is not None
        assert [list(r) for r in got] == [list(r) for r in expected]
        for mine, theirs in zip(got, expected):
            for column, value in theirs.items():
                if isinstance(value, float):
                    assert mine[column] == pytest.approx(value, rel=1e-12, abs=1e-12)
                else:
                    assert mine[column] == value and type(mine[column]) is type(value)
    moved = predict_window(fc, prepared.windows + 0.5)  # other outputs, the same labels
    again = json.loads(finish_table(fc, prepared, moved, warn=False).to_json(
        orient="records", date_format="iso", double_precision=15))
    target = fc.pipeline_.roles.target[0]
    np.testing.assert_allclose([r[target] for r in finish_records(fc, prepared, moved)],
                               [r[target] for r in again], rtol=1e-12)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(run: Path, state: Path, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "lstmcast", "serve", str(run), "--state",
                                str(state), "--port", str(port), "--workers", str(workers),
                                "--quiet"], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the service did not start in 60 s")


def test_two_workers_share_the_state_and_kill_9_loses_nothing_acknowledged(runs, tmp_path):
    run, state, port = runs["many"], tmp_path / "state", _free_port()
    rows = _records(pd.read_csv(run.parent / "many.csv"))
    process = _start(run, state, port, workers=2)
    acknowledged = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for start in range(0, len(rows), 20):  # each request: 20 rows, some series
                answer = client.post("/observe", json={"rows": rows[start:start + 20]})
                assert answer.status_code == 200, answer.text
            for series in "abc":
                acknowledged[series] = client.get(f"/forecast/{series}").json()
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group: uvicorn and its workers
        process.wait(timeout=30)
    process = _start(run, state, port, workers=1)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for series in "abc":
                assert client.get(f"/forecast/{series}").json() == acknowledged[series]
            text = client.get("/metrics").text
            assert "lstmcast_series 3" in text
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_the_command_refuses_bad_settings_in_one_line(runs, tmp_path):
    short = tmp_path / "token.txt"
    short.write_text("abc\n")
    one_line_error(run_cli("serve", runs["many"], "--token-file", short), "--token-file",
                   "16 characters")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    one_line_error(run_cli("serve", runs["many"], "--state", taken), "--state",
                   "not empty")
    one_line_error(run_cli("serve", runs["many"], "--state", runs["many"] / "state"),
                   "--state")
    one_line_error(run_cli("serve", runs["many"], "--workers", "0"), "--workers")
    assert re.search(r"--token-file", run_cli("serve", "--help").stdout)
