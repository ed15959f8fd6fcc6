"""ONNX export: onnxruntime (the reference) reproduces lstmcast's predictions."""

import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.datasets import data_path
from lstmcast.forecast.onnx_export import serve_window
from lstmcast.layers import GRU, LSTM, Activation, Dense, Dropout
from lstmcast.models import Sequential


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def run_onnx(sess, x):
    return sess.run(None, {"windows": np.asarray(x, dtype=np.float32)})[0]


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_the_tutorial_stack_runs_in_onnxruntime_as_in_lstmcast(cell, tmp_path, rng):
    model = Sequential([cell(100, input_shape=(30, 40), return_sequences=True), Dropout(0.2),
                        cell(50), Dropout(0.2), Dense(1), Activation("linear")], device="cpu")
    model.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    model.export_onnx(tmp_path / "m.onnx")
    sess = session(tmp_path / "m.onnx")
    for batch in (1, 7, 300):  # the batch axis is free (traced with 2)
        x = rng.normal(size=(batch, 30, 40)).astype("float32")
        np.testing.assert_allclose(run_onnx(sess, x), model.predict(x), atol=1e-5)


@pytest.fixture(scope="module")
def ett():
    return pd.read_csv(data_path("ett", "ETTh2.csv"), nrows=1200)


def test_a_multistep_ensemble_with_its_sidecar_reproduces_predict(ett, tmp_path):
    # segment recurrence, instance normalization, channels as series, two networks averaged
    # and blended with the least-squares map of the window
    fc = Forecaster.preset("long-horizon", window=48, steps=24, units=(16,), epochs=1,
                           ensemble=2, seed=3, linear=True)
    fc.fit(ett, target=["OT", "HUFL"], features=[], time="date")
    assert fc.blend_weight_ == 0.5
    side_path = fc.export_onnx(tmp_path / "ett.onnx")
    assert side_path == tmp_path / "ett.json"
    sess = session(tmp_path / "ett.onnx")
    table = fc.pipeline_.table(ett)
    x = np.lib.stride_tricks.sliding_window_view(table.x, (48, 2))[:, 0][-500:]
    np.testing.assert_allclose(run_onnx(sess, x), fc.ensemble_.predict(x), atol=1e-5)
    # the sidecar alone turns the table's last rows into predict's forecast
    side = json.loads(side_path.read_text())
    assert side["input"]["shape"] == [None, 48, 2] and side["steps"] == 24
    got = serve_window(side, ett.iloc[-100:], lambda w: run_onnx(sess, w))
    want = fc.predict(ett.iloc[-100:])[["OT", "HUFL"]].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_quantile_model_exports_its_levels_and_the_sidecar_says_how_to_read_them(
        ett, tmp_path):
    fc = Forecaster.preset("long-horizon", window=48, steps=24, units=(16,), epochs=1,
                           quantiles=(0.1, 0.9), calibrate=True)
    fc.fit(ett, target=["OT", "HUFL"], features=[], time="date")
    side = json.loads(fc.export_onnx(tmp_path / "q.onnx").read_text())
    sess = session(tmp_path / "q.onnx")
    q = side["quantiles"]
    assert q["network_levels"] == [0.1, 0.5, 0.9] and side["output"]["shape"] == [None, 144]
    history = ett.iloc[-100:]
    want = fc.predict(history)
    got = serve_window(side, history, lambda w: run_onnx(sess, w))  # the point forecast
    np.testing.assert_allclose(got, want[["OT", "HUFL"]].to_numpy(), rtol=1e-5)
    # the sidecar's quantile recipe by hand: sort the levels, add the shifts, sort, keep
    # them around the point, unscale
    x = fc.pipeline_.table(history).x[-48:][None]
    out = run_onnx(sess, x).reshape(24, 3, 2).astype(np.float64)
    levels = np.sort(out, axis=1)[:, [0, 2]] + np.asarray(q["shifts"])
    levels = np.sort(levels, axis=1)
    assert q["around_point"]
    levels[:, 0] = np.minimum(levels[:, 0], out[:, 1])
    levels[:, 1] = np.maximum(levels[:, 1], out[:, 1])
    scaler = side["y_scaler"]["global"]
    levels = levels * np.asarray(scaler["scale"]) + np.asarray(scaler["offset"])
    np.testing.assert_allclose(levels[:, 0], want[["OT_q0.1", "HUFL_q0.1"]], rtol=1e-5)
    np.testing.assert_allclose(levels[:, 1], want[["OT_q0.9", "HUFL_q0.9"]], rtol=1e-5)


@pytest.mark.parametrize("setting", [{"difference": True}, {"log": True}],
                         ids=["difference", "log"])
def test_the_sidecar_serves_each_series_with_its_own_scaler(setting, table, tmp_path):
    frame = pd.read_csv(table)
    fc = Forecaster(window=6, steps=3, units=(8,), epochs=2, scale_by="series", **setting)
    fc.fit(frame, target="sales", features=["promo", "temp", "sales"], group="store",
           time="day")
    side = json.loads(fc.export_onnx(tmp_path / "s.onnx").read_text())
    past = [c["past"] for c in side["columns"]]
    if "log" in setting:  # the target's past read as its log, its forecast exp'd
        assert side["log"] == ["sales"] and past == ["value", "value", "log"]
    else:
        assert side["log"] == [] and past == ["value", "value", "change"]
    sess = session(tmp_path / "s.onnx")
    want = fc.predict(frame)
    for store, rows in frame.groupby("store"):
        got = serve_window(side, rows.iloc[-10:], lambda w: run_onnx(sess, w), key=store)
        np.testing.assert_allclose(got[:, 0], want[want["store"] == store]["sales"],
                                   rtol=1e-5)


def test_export_through_the_cli_refuses_to_overwrite(trained, tmp_path):
    run, _ = trained
    done = run_cli("export", run, "--out", tmp_path / "m.onnx")
    assert done.returncode == 0, done.stderr
    side = json.loads((tmp_path / "m.json").read_text())
    assert side["targets"] == ["sales"] and side["format"] == "lstmcast-onnx-sidecar"
    x = np.zeros((3, *side["input"]["shape"][1:]), dtype=np.float32)
    assert run_onnx(session(tmp_path / "m.onnx"), x).shape == (3, side["output"]["shape"][1])
    before = (tmp_path / "m.onnx").read_bytes()
    one_line_error(run_cli("export", run, "--out", tmp_path / "m.onnx"), "already exists")
    one_line_error(run_cli("export", run, "--out", run / "forecaster.lstmcast", "--force"),
                   "it is the model this command reads")
    assert (tmp_path / "m.onnx").read_bytes() == before


# -- serving from the sidecar alone --------------------------------------------------------
def hourly_stores(hours=160, seed=0):
    """Two stores' hourly sales, naive (zone-less) times: a daily cycle, a promotion known in
    advance, a temperature seen in the past only, a store size, and an operating mode."""
    rng = np.random.default_rng(seed)
    parts = []
    for s, store in enumerate(("north", "south")):
        time = pd.date_range("2024-03-29 20:00", periods=hours, freq="h")
        promo = (rng.random(hours) < 0.3).astype(float)
        sales = (40 + 10 * s + 5 * np.sin(2 * np.pi * time.hour / 24) + 4 * promo
                 + rng.normal(0, 0.5, hours))
        parts.append(pd.DataFrame({
            "store": store, "time": time.strftime("%Y-%m-%d %H:%M"), "promo": promo,
            "temp": 12 + rng.normal(size=hours), "size": 100.0 + 50 * s,
            "mode": (time.hour >= 12).astype(int), "sales": sales}))
    return pd.concat(parts, ignore_index=True)


VALUES = {  # what a serving program's author writes for each calendar value the sidecar names
    "hour + minute / 60": lambda t: t.hour + t.minute / 60.0,
    "day_of_week": lambda t: t.day_of_week,
    "day_of_year - 1": lambda t: t.day_of_year - 1,
    "month - 1": lambda t: t.month - 1,
}


def serve_from_sidecar(side, history, future, sess):
    """A serving program written from the sidecar alone (its data and its recipe), in NumPy
    and pandas: a history table and a future table in, predict's table out."""
    rows_past, rows_ahead = side["rows"]["past"], side["rows"]["future"]
    group, time = side["group"], side["time_column"]["name"]
    step = pd.tseries.frequencies.to_offset(side["time_column"]["step"]["freq"])
    columns, targets = side["columns"], side["targets"]
    scaling = side["scaling"]

    def calendar(times):
        out = {}
        for part in side["calendar_parts"]:
            angle = (2 * np.pi * np.asarray(VALUES[part["value"]](times), dtype=float)
                     / part["period"])
            sin, cos = part["columns"]
            out[sin], out[cos] = np.sin(angle), np.cos(angle)
        return out

    def entry(scaler, choice, series, rows):
        """(rows, columns) offsets and scales for ``rows`` of one series."""
        by_key = {str(k): v for k, v in scaler["by_key"]}
        if choice == "global":
            keys = [None] * len(rows)
        elif choice == "series":
            keys = [str(series)] * len(rows)
        else:
            keys = [str(v) for v in rows[choice]]
        chosen = [scaler["global"] if k is None else by_key[k] for k in keys]
        return (np.array([c["offset"] for c in chosen]), np.array([c["scale"] for c in chosen]))

    windows, ends = [], []
    for series, rows in history.groupby(group, sort=False):
        rows = rows.assign(_t=pd.to_datetime(rows[time])).sort_values("_t")
        rows = rows.iloc[-side["rows"]["history_needed"]:]
        past = rows.iloc[-rows_past:]
        times = pd.DatetimeIndex(past["_t"])
        later = pd.DatetimeIndex([times[-1] + k * step for k in range(1, rows_ahead + 1)])
        ahead = (future[future[group] == series].assign(_t=pd.to_datetime(future[time]))
                 .set_index("_t").loc[later] if side["future_table"]
                 else pd.DataFrame(index=later))
        on_past, on_later = calendar(times), calendar(later)
        raw = np.zeros((rows_past + rows_ahead, len(columns)))
        for column in columns:
            j, name = column["position"], column["name"]
            if column["past"] == "value":
                raw[:rows_past, j] = past[name]
            elif column["past"] == "change":
                raw[:rows_past, j] = np.diff(rows[name].to_numpy(dtype=float))[-rows_past:]
            else:
                assert column["past"] == "calendar"
                raw[:rows_past, j] = on_past[name]
            if column["future"] == "future table":
                raw[rows_past:, j] = ahead[name]
            elif column["future"] == "calendar":
                raw[rows_past:, j] = on_later[name]
        offset, scale = entry(side["x_scaler"], scaling["inputs"]["past"], series, past)
        x = np.empty_like(raw)
        x[:rows_past] = (raw[:rows_past] - offset) / scale
        offset, scale = entry(side["x_scaler"], scaling["inputs"]["future"], series, ahead)
        x[rows_past:] = (raw[rows_past:] - offset) / scale
        x[rows_past:, [c["position"] for c in columns if c["future"] == "zero"]] = 0.0
        windows.append(x)
        ends.append((series, times[-1], rows[targets].to_numpy(dtype=float)[-1]))
    out = sess.run([side["output"]["name"]],
                   {side["input"]["name"]: np.stack(windows).astype(np.float32)})[0]
    out = out.astype(float).reshape(len(windows), side["steps"], side["output"]["slots"],
                                    len(targets))
    q = side["quantiles"]
    network_levels = q["network_levels"] if q else []
    point = out[:, :, network_levels.index(0.5) if network_levels else 0]
    frames = []
    for w, (series, last, level) in enumerate(ends):
        offset, scale = entry(side["y_scaler"], scaling["targets"], series, [None])
        offset = offset + (level if side["difference"] else 0.0)  # unscaled: v * scale + this
        steps = np.arange(1, side["steps"] + 1)
        frame = pd.DataFrame({group: series, "step": steps,
                              time: [last + (side["horizon"] - 1 + s) * step for s in steps]})
        for k, target in enumerate(targets):
            frame[target] = (point[w] * scale + offset)[:, k]
        if q:
            if network_levels:
                levels = np.sort(out[w], axis=1)[:, [network_levels.index(t)
                                                     for t in q["levels"]]]
            else:
                levels = np.repeat(out[w][:, :1], len(q["levels"]), axis=1)
            if q["shifts"] is not None:
                levels = np.sort(levels + np.asarray(q["shifts"]), axis=1)
            if q["around_point"]:  # no interval leaves out the point forecast
                at = np.array(q["levels"])[None, :, None]
                centre = point[w][:, None]
                levels = np.where(at < 0.5, np.minimum(levels, centre),
                                  np.where(at > 0.5, np.maximum(levels, centre), levels))
            for i, t in enumerate(q["levels"]):
                for k, target in enumerate(targets):
                    frame[f"{target}_q{t:g}"] = (levels[:, i] * scale + offset)[:, k]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("settings", [
    # per-series scaling, instance normalization, horizon 2, two networks blended with the map
    {"scale_by": "series", "horizon": 2, "ensemble": 2, "blend": "linear"},
    # differencing, quantiles trained and calibrated
    {"difference": True, "quantiles": (0.1, 0.9), "calibrate": True},
    # the calendar alone, a condition's own scaler per past row, the global one ahead
    {"scale_by": "mode", "future": [], "quantiles": (0.1, 0.9), "calibrate": True,
     "loss": "mae"},
], ids=["series-blend", "difference-quantiles", "condition-calendar-calibrated"])
def test_a_covariate_and_calendar_model_serves_from_its_sidecar_alone(settings, tmp_path):
    data = hourly_stores()
    history = data.groupby("store").head(140)
    settings = dict(settings)
    known = settings.pop("future", ["promo"])
    fc = Forecaster(window=8, steps=3, units=(8,), epochs=2, dropout=0.0, calendar=True,
                    seed=1, **settings)
    fc.fit(history, "sales", features=["temp", "sales"], group="store", time="time",
           future=known, static=["size"])
    side = json.loads(fc.export_onnx(tmp_path / "m.onnx").read_text())
    rows_ahead = settings.get("horizon", 1) - 1 + 3
    assert side["version"] == 2 and side["rows"] == {
        "past": 8, "future": rows_ahead, "history_needed": 8 + settings.get("difference", 0),
        "forecast_row_of_step": "horizon - 1 + step (1 = the row after the last)"}
    assert side["future_table"] == known and side["time_column"]["step"]["freq"] == "h"
    assert [p["part"] for p in side["calendar_parts"]] == ["hour", "weekday", "yearday"]
    assert {c["name"]: (c["past"], c["future"]) for c in side["columns"]} == {
        "temp": ("value", "zero"),
        "sales": ("change" if settings.get("difference") else "value", "zero"),
        **({"promo": ("value", "future table")} if known else {}), "size": ("value", "zero"),
        **{f"{p}_{f}": ("calendar", "calendar") for p in ("hour", "weekday", "yearday")
           for f in ("sin", "cos")}}
    used = fc.pipeline_.scale_by  # "auto" is per series here: stores, each its own past
    assert used == settings.get("scale_by", "series")
    assert side["scaling"]["inputs"] == {"past": used, "future": "global" if
                                         used == "mode" else used}
    network = side["network"]
    assert network["members"] == settings.get("ensemble", 1)
    assert (network["blend"] is not None) == ("blend" in settings)
    assert network["normalize"] == (None if settings.get("difference") else "last")
    future = data.groupby("store").nth(list(range(140, 140 + rows_ahead)))
    future = future[["store", "time", "promo"]] if known else None
    want = fc.predict(history, future=future)
    got = serve_from_sidecar(side, history, future, session(tmp_path / "m.onnx"))
    assert list(got.columns) == [c for c in want.columns]
    assert got["store"].tolist() == want["store"].tolist()
    assert (pd.to_datetime(got["time"]) == pd.to_datetime(want["time"])).all()
    values = [c for c in want.columns if c.startswith("sales")]
    np.testing.assert_allclose(got[values].to_numpy(), want[values].to_numpy(), rtol=1e-5,
                               atol=1e-5)
    # the library's reference does the same, a series at a time
    sess = session(tmp_path / "m.onnx")
    for store, rows in history.groupby("store"):
        point = serve_window(side, rows, lambda w: run_onnx(sess, w), key=store,
                             future=None if future is None else future[future["store"] == store])
        np.testing.assert_allclose(point[:, 0], want[want["store"] == store]["sales"],
                                   rtol=1e-5, atol=1e-5)


def test_the_sidecar_states_every_calendar_part():
    from lstmcast.forecast.onnx_export import CALENDAR_VALUES
    from lstmcast.tables.calendar_inputs import CALENDAR_PERIODS

    assert set(CALENDAR_VALUES) == set(CALENDAR_PERIODS)
    assert set(VALUES) == {value for value, _ in CALENDAR_VALUES.values()}
