"""Explanations are of the real model: gates from the reference equations reproduce the engine."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import lstmcast
from lstmcast import InvalidArgumentError
from lstmcast.forecast.explain import explain_window, forget_lookback, integrated_gradients
from lstmcast.forecast.forecaster import Forecaster
from lstmcast.layers import GRU, LSTM, Dense, Dropout
from lstmcast.models import Sequential

FAST = {"units": (12, 6), "dropout": 0.1, "epochs": 3, "batch_size": 32, "window": 8,
        "blend": None}  # explain explains the network; the blend has its own tests


def frame():
    rng = np.random.default_rng(0)
    parts = []
    for k in range(3):
        t = np.arange(50)
        a = np.sin(t / 3 + k) + 0.1 * rng.normal(size=50)
        b = rng.normal(size=50)
        parts.append(pd.DataFrame({"id": f"m{k}", "t": t, "a": a, "b": b,
                                   "y": np.roll(a, 2) * 2 + 0.1 * b}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def fitted():
    df = frame()
    return Forecaster(**FAST).fit(df, target="y", group="id", time="t"), df


def test_gates_reproduce_the_engine_prediction_in_float64(fitted):
    f, df = fitted
    expl = f.explain(df, series="m1")
    assert expl.reference_gap <= 1e-5
    net = f.model_.network_.double().cpu().eval()
    try:
        with torch.no_grad():
            engine = net(torch.from_numpy(expl.window[None])).reshape(-1)[0].item()
    finally:
        f.model_.network_.float()
    assert engine == pytest.approx(expl.output, abs=1e-5)
    # and the float32 engine's own forecast, in target units, is the same prediction
    forecast = f.predict(df).set_index("id").loc["m1", "y"]
    assert forecast == pytest.approx(expl.prediction, rel=1e-4)
    assert [layer.kind for layer in expl.layers] == ["LSTM", "LSTM"]
    for layer in expl.layers:
        assert set(layer.gates) == {"forget", "input", "candidate", "output", "cell", "hidden"}
        assert layer.gates["forget"].shape == (8, layer.gates["forget"].shape[1])


def test_attributions_are_complete(fitted):
    f, df = fitted
    for baseline in ("mean", "zeros"):
        expl = f.explain(df, series="m2", window=3, baseline=baseline)
        diff = expl.output - expl.baseline_output
        assert expl.attributions.shape == (8, 3)  # a, b and the target's own past
        assert abs(expl.attributions.sum() - diff) <= 1e-4 * max(1.0, abs(diff))
        assert expl.completeness_gap <= 1e-4 * max(1.0, abs(diff))


def test_integrated_gradients_of_a_linear_model_are_weight_times_difference(rng):
    model = Sequential([Dense(1, input_shape=(4, 3))], device="cpu")
    model.build()
    kernel, bias = model.layers[0].get_weights()
    x, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    attr = integrated_gradients(model.network_, x, b, output_index=2)  # output of step 2
    want = np.zeros((4, 3))
    want[2] = kernel[:, 0] * (x[2] - b[2])
    np.testing.assert_allclose(attr, want, atol=1e-6)


def test_lookback_from_forget_gates_by_hand():
    assert forget_lookback(np.full((30, 5), 0.5)) == 4  # 0.5^4 = 0.0625 < 0.1 <= 0.5^3
    assert forget_lookback(np.full((10, 2), 0.999)) == 10  # remembers the whole window
    forget = np.full((6, 1), 0.9)
    forget[-1] = 0.05  # the last step wipes the memory
    assert forget_lookback(forget) == 1


def test_gru_explanations_have_update_and_reset_gates(rng):
    lstmcast.set_seed(0)
    model = Sequential([GRU(5, input_shape=(6, 2), return_sequences=True), Dropout(0.1),
                        GRU(3), Dense(1)], device="cpu")
    model.build()
    expl = explain_window(model, rng.normal(size=(6, 2)), baseline="zeros")
    assert [set(layer.gates) for layer in expl.layers] == [
        {"update", "reset", "candidate", "hidden"}] * 2
    assert all(layer.lookback is None for layer in expl.layers)
    assert expl.reference_gap <= 1e-5 and expl.completeness_gap <= 1e-4


def test_window_selection_and_errors(fitted):
    f, df = fitted
    last = f.explain(df, series="m0")
    assert last.time_labels[-1] == "49" and last.context == {"id": "m0", "t": "49",
                                                              "target": "y"}
    at = f.explain(df, series="m0", at=20)
    assert at.time_labels == [str(t) for t in range(13, 21)]
    first = f.explain(df, series="m0", window=0)
    assert first.time_labels[0] == "0"
    with pytest.raises(InvalidArgumentError, match="Series 'zz' is not in the data"):
        f.explain(df, series="zz")
    with pytest.raises(InvalidArgumentError, match="Time '99' is not in series 'm0'"):
        f.explain(df, series="m0", at=99)
    with pytest.raises(InvalidArgumentError, match="`window`"):
        f.explain(df, series="m0", window=500)
    with pytest.raises(InvalidArgumentError, match="`baseline`"):
        f.explain(df, baseline="median")


def test_a_quarterly_table_is_explained_in_quarters():
    """Text quarters ("2009 Q4") are read as dates; the explanation names them as quarters
    again, and takes either form for ``at``."""
    rng = np.random.default_rng(0)
    quarters = pd.period_range("1990Q1", periods=48, freq="Q")
    df = pd.DataFrame({"quarter": [f"{p.year} Q{p.quarter}" for p in quarters],
                       "beer": 100 + np.tile([5.0, -3, 8, -4], 12) + rng.normal(size=48)})
    f = Forecaster(window=8, units=(4,), epochs=1, blend=None).fit(df, "beer", time="quarter")
    last = f.explain(df)
    assert last.time_labels[-1] == "2001 Q4" and last.context["quarter"] == "2001 Q4"
    assert f.explain(df, at="1995 Q3").time_labels[-1] == "1995 Q3"
    assert f.explain(df, at="1995-07-01").time_labels[-1] == "1995 Q3"
    with pytest.raises(InvalidArgumentError, match="runs from 1990 Q1 to 2001 Q4"):
        f.explain(df, at="2030 Q1")
    # written "Q4-2001": named so, as predict writes them; "2001 Q4" and dates still read
    other = df.assign(quarter=[f"Q{p.quarter}-{p.year}" for p in quarters])
    g = Forecaster(window=8, units=(4,), epochs=1, blend=None).fit(other, "beer",
                                                                   time="quarter")
    assert g.explain(other).context["quarter"] == "Q4-2001"
    for at in ("Q3-1995", "1995 Q3", "1995-07-01"):
        assert g.explain(other, at=at).time_labels[-1] == "Q3-1995"
    with pytest.raises(InvalidArgumentError, match="runs from Q1-1990 to Q4-2001"):
        g.explain(other, at="Q1-2030")


def test_summary_names_features_steps_and_lookback(fitted):
    f, df = fitted
    text = f.explain(df).summary()
    assert "features that mattered most" in text and "time steps that mattered most" in text
    assert "keeps more than 10% of what it wrote for about" in text
    assert "reproduce the engine's output within" in text


def test_lstm_layer_trace_matches_the_tutorial_model_on_cmapss_shapes(rng):
    model = Sequential([LSTM(100, input_shape=(30, 19), return_sequences=True), Dropout(0.2),
                        LSTM(50), Dropout(0.2), Dense(1)], device="cpu")
    model.build()
    expl = explain_window(model, rng.uniform(size=(30, 19)))
    assert expl.layers[0].gates["forget"].shape == (30, 100)
    assert expl.layers[1].gates["cell"].shape == (30, 50)
    assert expl.reference_gap <= 1e-5


def test_cli_explain_writes_pictures(tmp_path):
    df = frame()
    csv = tmp_path / "d.csv"
    df.to_csv(csv, index=False)
    run = tmp_path / "run"
    args = [sys.executable, "-m", "lstmcast"]
    train = subprocess.run([*args, "train", csv, "--target", "y", "--group", "id", "--time", "t",
                            "--epochs", "1", "--units", "6", "--window", "8", "--quiet",
                            "--out", run], capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr
    assert {p.name for p in (run / "explain").iterdir()} == {
        "attribution.png", "gate_means.png", "gates_lstm.png", "summary.txt"}
    out = subprocess.run([*args, "explain", run, csv, "--series", "m2", "--at", "30", "--out",
                          tmp_path / "why"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Explanation for id m2, t 30" in out.stdout
    assert (tmp_path / "why" / "attribution.png").stat().st_size > 10_000
    bad = subprocess.run([*args, "explain", run, csv, "--series", "nope"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 1 and "Series 'nope'" in bad.stderr
