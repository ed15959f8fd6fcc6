"""The least-squares linear map of the window and its blend with the networks (``blend``).

References: NumPy's ``lstsq`` on the ridge problem written as one augmented least-squares
system (not the normal equations the map sums), built from the table's scaled rows with
``sliding_window_view`` (not the training windows' view). Tolerances: 1e-8 relative on
the weights (float64 solves of the same problem), 1e-5 on forecasts (float32).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli
from test_streaming import series_table, write_set

from lstmcast import Forecaster
from lstmcast.engine.bundle import load as load_bundle
from lstmcast.forecast.artifacts import CONFIG_VERSION
from lstmcast.forecast.linear_map import CHUNK, RIDGE, WindowLinearMap


def reference_weights(series: list[np.ndarray], window: int, steps: int) -> np.ndarray:
    """Ridge least squares of (future - last) on (window - last, 1), one map for every
    series, solved as an augmented lstsq problem."""
    rows, targets = [], []
    for values in series:
        both = np.lib.stride_tricks.sliding_window_view(values, window + steps)
        last = both[:, window - 1:window]
        rows.append(np.hstack([both[:, :window] - last, np.ones((len(both), 1))]))
        targets.append(both[:, window:] - last)
    a, b = np.vstack(rows), np.vstack(targets)
    penalty = np.sqrt(RIDGE * len(a)) * np.eye(window, window + 1)  # not on the bias
    a = np.vstack([a, penalty])
    b = np.vstack([b, np.zeros((window, steps))])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def test_the_map_solves_the_ridge_problem_over_chunks_and_targets(rng):
    window, steps, n = 12, 5, CHUNK + 700  # more windows than one chunk
    data = np.cumsum(rng.normal(size=(n + window + steps - 1, 3)), axis=0) * [1, 2, 0.5]
    data[:, 1] += 40.0  # a level far from zero: the map is relative to the last value
    x = np.lib.stride_tricks.sliding_window_view(data, (window, 3))[:, 0][:n]
    y = np.stack([data[i + window:i + window + steps] for i in range(n)])  # (W, S, inputs)
    targets = [2, 1]  # two of the three columns, in another order
    y = y[:, :, targets].reshape(n, -1)  # step-major, as the networks' outputs
    whole = WindowLinearMap(window, steps, targets).fit([(x, y)])
    parts = WindowLinearMap(window, steps, targets).fit([(x[:900], y[:900]), (x[900:], y[900:])])
    want = reference_weights([data[:n + window + steps - 1, t] for t in targets], window, steps)
    np.testing.assert_allclose(whole.weights, want, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(parts.weights, want, rtol=1e-8, atol=1e-10)
    out = whole.predict(x).reshape(n, steps, 2)
    for k, t in enumerate(targets):  # target t's forecast from its own window only
        last = x[:, -1, t:t + 1]
        manual = np.hstack([x[:, :, t] - last, np.ones((n, 1))]) @ want + last
        np.testing.assert_allclose(out[:, :, k], manual, rtol=1e-5, atol=1e-4)


def test_the_map_is_exact_on_a_linear_process(rng):
    # y continues the window's last value with the mean step of the window: a linear map
    window, steps, n = 8, 3, 400
    x = np.cumsum(rng.normal(size=(n, window, 1)), axis=1)
    slope = (x[:, -1, 0] - x[:, 0, 0]) / (window - 1)
    y = x[:, -1, :] + slope[:, None] * np.arange(1, steps + 1)
    fitted = WindowLinearMap(window, steps, [0]).fit([(x, y)])
    assert np.abs(fitted.predict(x) - y).max() < 0.02  # only the ridge's shrinkage


def channels(n=900, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame({
        "date": pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M"),
        "a": np.sin(2 * np.pi * t / 24) + 0.3 * rng.normal(size=n) + np.linspace(0, 3, n),
        "b": 10 + np.cos(2 * np.pi * t / 12) + 0.3 * rng.normal(size=n)})


SMALL = dict(window=24, steps=12, segment=6, units=(8,), epochs=2, seed=1)


def test_a_blended_forecaster_averages_the_networks_and_the_map_of_its_training_windows(
        tmp_path):
    df = channels()
    fc = Forecaster.preset("long-horizon", **SMALL)
    assert fc.blend == "auto"
    fc.fit(df, target=["a", "b"], features=[], time="date")
    table = fc.pipeline_.table(fc.pipeline_.prepare(df))
    scaled = np.asarray(table.x, dtype=np.float64)
    n_train = fc.n_windows_["train"]
    span = 24 + 12
    # the training windows are the first n_train of the series (time-ordered split)
    want = reference_weights([scaled[:n_train + span - 1, k] for k in (0, 1)], 24, 12)
    np.testing.assert_allclose(fc.ensemble_.linear.weights, want, rtol=1e-6, atol=1e-8)
    # the forecast of the last windows: the mean of the networks' and the map's
    x = np.lib.stride_tricks.sliding_window_view(table.x, (24, 2))[:, 0][-200:]
    nets = np.mean([m.predict(x) for m in fc.members_], axis=0)
    last = x[:, -1, :].astype(np.float64)  # (W, targets)
    lin = np.stack([np.hstack([x[:, :, k] - last[:, k:k + 1], np.ones((len(x), 1))]) @ want
                    + last[:, k:k + 1] for k in (0, 1)], axis=-1).reshape(len(x), -1)
    assert fc.blend_weight_ == 0.5
    np.testing.assert_allclose(fc.ensemble_.predict(x), 0.5 * nets + 0.5 * lin, rtol=1e-5,
                               atol=1e-5)
    assert np.abs(nets - lin).max() > 0.01  # two different forecasts, really averaged
    # saved and loaded: the same forecasts; the file says it needs a reader of blends
    fc.save(tmp_path / "m.lstmcast")
    _, saved = load_bundle(tmp_path / "m.lstmcast", "forecaster")
    assert saved["config_version"] == 3 and CONFIG_VERSION == 7
    loaded = Forecaster.load(tmp_path / "m.lstmcast")
    assert loaded.blend_weight_ == fc.blend_weight_
    pd.testing.assert_frame_equal(loaded.predict(df), fc.predict(df))
    plain = Forecaster.preset("long-horizon", **SMALL, blend=None).fit(
        df, target=["a", "b"], features=[], time="date")
    assert plain.blend_weight_ is None
    plain.save(tmp_path / "plain.lstmcast")
    assert load_bundle(tmp_path / "plain.lstmcast", "forecaster")[1]["config_version"] == 2


def test_evaluate_scores_each_half_of_the_blend_beside_the_baselines():
    df = channels()
    fc = Forecaster.preset("long-horizon", **SMALL).fit(df, target=["a", "b"], features=[],
                                                        time="date")
    scores, pred = fc.evaluate(df, holdout=120, return_predictions=True)
    assert {"networks", "linear_map"} <= set(scores["model"])
    assert any("networks, linear_map: the model's own forecasts, each alone, not baselines "
               "(it forecasts 0.50 x the networks + 0.50 x the linear map)" in n
               for n in scores.attrs["notes"])
    # the forecast is the mean of its halves, in the target's units too (affine scaling)
    np.testing.assert_allclose(pred["lstmcast"], (pred["networks"] + pred["linear_map"]) / 2,
                               rtol=1e-5, atol=1e-5)
    for target, part in scores.groupby("target"):
        rmse = part.set_index("model")["rmse"]
        truth = pred.loc[pred["target"] == target, "actual"]
        for half in ("networks", "linear_map"):
            got = pred.loc[pred["target"] == target, half]
            assert rmse[half] == pytest.approx(np.sqrt(np.mean((got - truth) ** 2)), rel=1e-6)
        best = rmse.drop(["lstmcast", "networks", "linear_map"]).min()  # halves are no baseline
        skill = part.set_index("model")["skill"]["lstmcast"]
        assert skill == pytest.approx(1 - rmse["lstmcast"] / best)
    plain = Forecaster.preset("long-horizon", **SMALL, blend=None).fit(
        df, target=["a", "b"], features=[], time="date")
    assert not {"networks", "linear_map"} & set(plain.evaluate(df, holdout=120)["model"])


def test_the_map_of_shards_is_the_map_in_memory(tmp_path):
    frame = series_table(8)
    folder = write_set(frame, tmp_path / "set")
    kw = dict(target="load", group="store", time="date")
    settings = dict(window=24, steps=4, units=(8,), epochs=1, batch_size=32, seed=2,
                    blend="linear", scale_by="series")
    memory = Forecaster(**settings).fit(frame, **kw)
    shards = Forecaster(**settings, shard_rows=400).fit(folder, **kw)
    assert shards.streamed_["shards"] > 1
    np.testing.assert_allclose(shards.ensemble_.linear.weights, memory.ensemble_.linear.weights,
                               rtol=1e-6, atol=1e-9)


def test_blend_refuses_what_it_cannot_blend():
    df = channels()
    with pytest.raises(ValueError, match="blend='linear'.*difference=True"):
        Forecaster(blend="linear", difference=True).fit(df, "a", features=[])
    with pytest.raises(ValueError, match="pinball loss trains one output per quantile"):
        Forecaster(blend="linear", quantiles=(0.1, 0.9)).fit(df, "a", features=[])
    with pytest.raises(ValueError, match=r"\['a'\] is not among the inputs"):
        Forecaster(blend="linear", autoregressive=False, window=12, epochs=1).fit(
            df, "a", features=["b"])
    # "auto" (the preset's) blends only where it can: not with quantiles trained by the
    # network, not without the target's past among the inputs
    small = dict(window=24, steps=6, segment=6, units=(4,), epochs=1)
    quantiles = Forecaster.preset("long-horizon", **small, quantiles=(0.1, 0.9))
    assert quantiles.fit(df, "a", features=[]).blend_weight_ is None
    no_past = Forecaster(blend="auto", autoregressive=False, window=12, epochs=1)
    assert no_past.fit(df, "a", features=["b"]).blend_weight_ is None
    calibrated = Forecaster.preset("long-horizon", **small, quantiles=(0.1, 0.9), loss="mae",
                                   calibrate=True).fit(df, "a", features=[])
    assert calibrated.blend_weight_ == 0.5  # point forecasts: blended, intervals around it


def test_the_cli_blends_and_says_so(tmp_path):
    df = channels()
    path = tmp_path / "two.csv"
    df.to_csv(path, index=False)
    done = run_cli("train", str(path), "--target", "a,b", "--time", "date", "--features", "",
                   "--window", "24", "--steps", "12", "--segment", "6", "--units", "8",
                   "--epochs", "1", "--blend", "linear", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    weight = metrics["blend_weight"]
    assert weight == 0.5
    assert ("The forecast: 0.50 x the networks + 0.50 x the linear map." in done.stdout)
    assert f"forecast {weight:.2f} x the networks + " in done.stdout  # the explanation says so
    assert 'blend = "linear"' in (tmp_path / "run" / "config.toml").read_text()
    loaded = Forecaster.load(tmp_path / "run" / "forecaster.lstmcast")
    assert loaded.blend_weight_ == weight
    bad = run_cli("train", str(path), "--target", "a", "--blend", "mean")
    one_line_error(bad, "--blend expects one of select, linear, auto, got 'mean'")


@pytest.mark.benchmark
def test_the_long_horizon_benchmark_scores_the_blend_and_its_networks_alone(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    rng = np.random.default_rng(0)
    n = 700
    t = np.arange(n)
    table = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="h")
                          .strftime("%Y-%m-%d %H:%M:%S"),
                          "load": np.sin(2 * np.pi * t / 24) + 0.2 * rng.normal(size=n),
                          "OT": np.cos(2 * np.pi * t / 24) + 0.2 * rng.normal(size=n)})
    table.to_csv(tmp_path / "tiny.csv", index=False)
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "longhorizon.py"
    out = subprocess.run([sys.executable, str(script), "--data", str(tmp_path / "tiny.csv"),
                          "--split", "0.7,0.1,0.2", "--horizons", "24", "--modes", "M,S",
                          "--seeds", "1", "--models", "naive,linear,recommended",
                          "--budget", "20", "--out", str(tmp_path / "lh.md")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = json.loads((tmp_path / "lh.json").read_text())["runs"]
    for mode in ("M", "S"):
        rows = {r["model"]: r for r in runs if r["mode"] == mode}
        assert set(rows) == {"naive", "linear", "recommended", "networks-alone"}
        assert len({r["n_windows"] for r in rows.values()}) == 1  # the same windows
        assert rows["recommended"]["mse"] != rows["networks-alone"]["mse"]
    doc = (tmp_path / "lh.md").read_text()
    assert "the preset's networks alone (same runs, without --blend)" in doc


def brute_force_gcv(a: np.ndarray, y: np.ndarray, ridges: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each target column, the ridge of ``ridges`` (per row) with the lowest GCV, the
    hat matrix written out: ``H = A (A'A + lam n P)^-1 A'`` with P the identity but on the
    intercept (the last column), GCV = ``n |y - H y|^2 / (n - trace H)^2``; and the weights
    solved at it."""
    n, k = a.shape
    penalty = np.diag([1.0] * (k - 1) + [0.0])
    scores, solutions = [], []
    for lam in ridges:
        inverse = np.linalg.inv(a.T @ a + lam * n * penalty)
        hat = a @ inverse @ a.T
        residual = y - hat @ y
        scores.append(n * (residual ** 2).sum(axis=0) / (n - np.trace(hat)) ** 2)
        solutions.append(inverse @ a.T @ y)
    best = np.argmin(np.array(scores), axis=0)  # (steps,)
    weights = np.stack([solutions[b][:, j] for j, b in enumerate(best)], axis=1)
    return weights, np.asarray(ridges)[best]


def test_the_ridge_chosen_by_gcv_is_the_brute_force_choice(rng):
    """``gcv_ridge`` from the summed normal equations against the hat matrix written out,
    on a problem where the steps want different ridges (one signal, one noise)."""
    from lstmcast.forecast.linear_map import RIDGES, gcv_ridge

    n, k = 90, 6
    x = rng.normal(size=(n, k)) + [3.0, 0, 0, 0, 0, -2.0]  # columns off zero: centring
    a = np.hstack([x, np.ones((n, 1))])
    y = np.stack([x @ [1.0, -0.5, 0.2, 0, 0, 0.3] + 0.1 * rng.normal(size=n) + 4.0,
                  rng.normal(size=n), x[:, 0] * 0.05 + rng.normal(size=n)], axis=1)
    weights, ridges = gcv_ridge(a.T @ a, a.T @ y, (y ** 2).sum(axis=0))
    want_weights, want_ridges = brute_force_gcv(a, y, RIDGES)
    np.testing.assert_array_equal(ridges, want_ridges)
    np.testing.assert_allclose(weights, want_weights, rtol=1e-7, atol=1e-9)
    assert ridges[0] < ridges[1]  # the signal keeps its weights, the noise is shrunk
    # given one ridge, it solves the problem the map's normal equations solve at that ridge
    fixed, ridge = gcv_ridge(a.T @ a, a.T @ y, (y ** 2).sum(axis=0), ridges=np.array([0.1]))
    assert ridge.tolist() == [0.1] * 3
    ridged = a.T @ a + 0.1 * n * np.diag([1.0] * k + [0.0])
    np.testing.assert_allclose(fixed, np.linalg.solve(ridged, a.T @ y), rtol=1e-8, atol=1e-10)


def test_a_map_with_its_ridge_by_gcv_fits_in_chunks_and_is_kept_in_its_config(rng):
    from lstmcast.forecast.combination import component_from_config
    from lstmcast.forecast.linear_map import GCV, RIDGES, _relative

    window, steps, n = 10, 4, CHUNK + 300
    data = np.cumsum(rng.normal(size=n + window + steps - 1))
    data += np.sin(np.arange(len(data)) / 3.0)
    x = np.lib.stride_tricks.sliding_window_view(data, window)[:n][:, :, None]
    y = np.stack([data[i + window:i + window + steps] for i in range(n)])
    fitted = WindowLinearMap(window, steps, [0], ridge=GCV).fit([(x[:500], y[:500]),
                                                                 (x[500:], y[500:])])
    a = _relative(x[:, :, 0])
    want_weights, want_ridges = brute_force_gcv(a, y - x[:, -1:, 0], RIDGES)
    np.testing.assert_array_equal(fitted.ridges, want_ridges)
    np.testing.assert_allclose(fitted.weights, want_weights, rtol=1e-6, atol=1e-9)
    config = fitted.get_config()
    assert config["ridge"] == GCV
    again = component_from_config("linear_map", json.loads(json.dumps(config)),
                                  fitted.weights)
    np.testing.assert_array_equal(again.predict(x), fitted.predict(x))
    plain = WindowLinearMap(window, steps, [0]).fit([(x, y)])
    assert plain.ridges.tolist() == [RIDGE] * steps


def test_a_ridge_that_is_neither_a_number_nor_gcv_is_refused():
    with pytest.raises(ValueError, match="ridge must be a number or 'gcv', not 'loo'"):
        WindowLinearMap(5, 2, [0], ridge="loo")
