"""ONNX export: onnxruntime (the reference) reproduces lstmcast's predictions."""

import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.datasets import data_path
from lstmcast.layers import GRU, LSTM, Activation, Dense, Dropout
from lstmcast.models import Sequential
from lstmcast.onnx_export import serve_window


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
    # the sidecar's quantile recipe by hand: sort the levels, add the shifts, sort, unscale
    x = fc.pipeline_.table(history).x[-48:][None]
    out = run_onnx(sess, x).reshape(24, 3, 2).astype(np.float64)
    levels = np.sort(out, axis=1)[:, [0, 2]] + np.asarray(q["shifts"])
    levels = np.sort(levels, axis=1)
    scaler = side["y_scaler"]["global"]
    levels = levels * np.asarray(scaler["scale"]) + np.asarray(scaler["offset"])
    np.testing.assert_allclose(levels[:, 0], want[["OT_q0.1", "HUFL_q0.1"]], rtol=1e-5)
    np.testing.assert_allclose(levels[:, 1], want[["OT_q0.9", "HUFL_q0.9"]], rtol=1e-5)


def test_the_sidecar_serves_each_series_with_its_own_scaler(table, tmp_path):
    frame = pd.read_csv(table)
    fc = Forecaster(window=6, steps=3, units=(8,), epochs=2, difference=True,
                    scale_by="series")
    fc.fit(frame, target="sales", features=["promo", "temp", "sales"], group="store",
           time="day")
    side = json.loads(fc.export_onnx(tmp_path / "s.onnx").read_text())
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
                   "run folder")
    assert (tmp_path / "m.onnx").read_bytes() == before
