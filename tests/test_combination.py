"""The forecast chosen on the validation windows (``blend="select"``, forecast.combination).

References: every candidate rebuilt here from the table's scaled rows with index
arithmetic and ``sliding_window_view`` (not the training windows' view), the maps as
NumPy ``lstsq`` on their ridge problems written as one augmented system (not the
normal equations the map sums). Tolerances: 1e-8 relative on a map's weights (float64
solves of the same problem), 1e-5 on forecasts and validation RMSEs (float32).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli
from test_linear_map import brute_force_gcv

from lstmcast import Forecaster
from lstmcast.engine.bundle import load as load_bundle
from lstmcast.forecast import smoothing
from lstmcast.forecast.combination import (
    SHRUNK_RIDGE,
    WindowBaseline,
    candidates,
    choose,
    component_from_config,
    describe,
    networks_edge,
    validation_errors,
    window_errors,
)
from lstmcast.forecast.linear_map import RIDGES, WindowLinearMap, seasonal_positions


def augmented_lstsq(rows: np.ndarray, targets: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge least squares of ``targets`` on ``rows`` (last column the bias, not penalized)."""
    width = rows.shape[1] - 1
    penalty = np.sqrt(ridge * len(rows)) * np.eye(width, width + 1)
    a = np.vstack([rows, penalty])
    b = np.vstack([targets, np.zeros((width, targets.shape[1]))])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def test_seasonal_positions_are_a_season_or_more_before_each_target_row():
    # window 10, season 4, horizon 1: targets at window rows 10, 11, ..., 15
    rows = seasonal_positions(10, 6, 4, 1)
    np.testing.assert_array_equal(rows, [6, 7, 8, 9, 6, 7])
    np.testing.assert_array_equal(seasonal_positions(10, 3, 4, 3), [8, 9, 6])  # 12, 13, 14
    with pytest.raises(ValueError, match="does not hold a season"):
        seasonal_positions(3, 2, 4, 1)


def test_the_baselines_read_from_the_window_match_index_arithmetic(rng):
    series = rng.normal(size=200).cumsum()
    window, steps, season = 12, 5, 7
    x = np.lib.stride_tricks.sliding_window_view(series[:-steps], window)[:, :, None]
    starts = np.arange(len(x))
    targets = starts[:, None] + window + np.arange(steps)  # horizon 1
    naive = WindowBaseline("naive", window, steps, [0]).predict(x)
    np.testing.assert_allclose(naive, np.repeat(series[starts + window - 1, None], steps, 1),
                               rtol=1e-5)
    mean = WindowBaseline("window_mean", window, steps, [0]).predict(x)
    np.testing.assert_allclose(mean[:, 0], [series[s:s + window].mean() for s in starts],
                               rtol=1e-5, atol=1e-5)
    seasonal = WindowBaseline("seasonal_naive", window, steps, [0], season, 1).predict(x)
    k = np.ceil((targets - (starts[:, None] + window - 1)) / season).astype(int)
    np.testing.assert_allclose(seasonal, series[targets - k * season], rtol=1e-5)
    for horizon in (1, 3):  # the line through the window's first and last values
        drift = WindowBaseline("drift", window, steps, [0], horizon=horizon).predict(x)
        first, last = series[starts], series[starts + window - 1]
        ahead = horizon + np.arange(steps)
        want = last[:, None] + ahead[None, :] * ((last - first) / (window - 1))[:, None]
        np.testing.assert_allclose(drift, want, rtol=1e-5, atol=1e-4)
    two = np.stack([x[..., 0], -x[..., 0]], axis=-1)  # two targets: step-major columns
    mean = WindowBaseline("train_mean", window, 3, [0, 1], values=[0.25, -2.0]).predict(two)
    np.testing.assert_array_equal(mean, np.tile([0.25, -2.0, 0.25, -2.0, 0.25, -2.0],
                                                (len(two), 1)))
    with pytest.raises(ValueError, match="one value per target"):
        WindowBaseline("train_mean", window, 3, [0, 1], values=[0.25])


def test_a_map_anchored_on_the_season_solves_its_ridge_problem(rng):
    window, steps, season, n = 14, 6, 4, 600
    t = np.arange(n + window + steps)
    series = np.sin(2 * np.pi * t / season) * (1 + t / 300) + 0.2 * rng.normal(size=len(t))
    both = np.lib.stride_tricks.sliding_window_view(series, window + steps)[:n]
    x, y = both[:, :window, None], both[:, window:]
    fitted = WindowLinearMap(window, steps, [0], anchor="season", ridge=SHRUNK_RIDGE,
                             season=season, horizon=1).fit([(x, y)])
    last = both[:, window - 1:window]
    anchor = both[:, seasonal_positions(window, steps, season, 1)]
    rows = np.hstack([both[:, :window] - last, np.ones((n, 1))])
    want = augmented_lstsq(rows, y - anchor, SHRUNK_RIDGE)
    np.testing.assert_allclose(fitted.weights, want, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fitted.predict(x), rows @ want + anchor, rtol=1e-5, atol=1e-5)
    # a strong ridge keeps it near the seasonal naive; the last-value map's near the naive
    huge = WindowLinearMap(window, steps, [0], anchor="season", ridge=1e6, season=season,
                           horizon=1).fit([(x, y)])
    np.testing.assert_allclose(huge.predict(x), anchor, atol=0.05)


def test_a_smoothings_constants_are_shown_and_kept_with_its_map():
    weights = np.vstack([np.eye(4)[:, :2][::-1], np.zeros((1, 2))])  # the last two rows
    smoothed = WindowLinearMap(4, 2, [0], weights,
                               constants={"alpha": 0.2, "beta": 0.01, "gamma": 0.4, "phi": 0.98})
    assert describe({"holt_winters": 0.5, "naive": 0.5}, {"holt_winters": smoothed}) == (
        "0.50 x the Holt-Winters smoothing (alpha 0.2, beta 0.01, gamma 0.4, phi 0.98) "
        "+ 0.50 x the naive forecast")
    back = component_from_config("holt_winters", json.loads(json.dumps(smoothed.get_config())),
                                 smoothed.weights)
    assert back.constants == smoothed.constants
    x = np.arange(12.0).reshape(3, 4, 1)
    np.testing.assert_array_equal(back.predict(x), smoothed.predict(x))
    np.testing.assert_array_equal(smoothed.predict(x)[:, 0], x[:, 3, 0])


def test_the_networks_edge_is_a_paired_t_statistic_over_overlapping_windows():
    """``networks_edge`` against SciPy's paired t-test: the same mean difference over its
    standard error, with the windows counted as windows / steps (the statistic divided by
    the square root of the steps)."""
    from scipy.stats import ttest_rel

    rng = np.random.default_rng(0)
    naive = rng.gamma(2.0, 1.0, 60)
    errors = {"networks": naive * 0.9 + rng.normal(0, 0.1, 60), "linear_map": naive * 1.2,
              "naive": naive}
    reference = ttest_rel(naive, errors["networks"]).statistic  # the best other: naive
    assert networks_edge(errors, steps=1) == pytest.approx(reference, rel=1e-12)
    assert networks_edge(errors, steps=4) == pytest.approx(reference / 2, rel=1e-12)
    assert networks_edge(errors, steps=120) == pytest.approx(  # at least one window
        reference / np.sqrt(60), rel=1e-12)
    assert networks_edge({"naive": naive}, steps=1) is None
    assert networks_edge({"networks": naive + 1, "naive": naive}, steps=1) == 0.0
    assert networks_edge({"networks": naive - 1, "naive": naive}, steps=1) == float("inf")


def test_window_errors_sum_each_windows_squares_and_give_the_rmse():
    x = np.zeros((5, 3, 1))
    y = np.arange(10.0).reshape(5, 2)

    class Zero:
        def predict(self, windows):
            return np.zeros((len(windows), 2))

    errors, width = window_errors({"zero": Zero()}, [(x[:2], y[:2]), (x[2:], y[2:])])
    np.testing.assert_allclose(errors["zero"], (y ** 2).sum(axis=1))
    assert width == 2
    assert validation_errors({"zero": Zero()}, [(x, y)])["zero"] == pytest.approx(
        np.sqrt((y ** 2).mean()))


def _pair(a, b):
    """Weights in inverse proportion to the two MSEs, written out: 1/a² and 1/b², summed to 1."""
    return {name: (1 / e ** 2) / (1 / a[1] ** 2 + 1 / b[1] ** 2) for name, e in (a, b)}


def test_the_networks_need_a_clear_edge_to_be_chosen():
    errors = {"networks": 0.19, "linear_map": 0.20, "naive": 0.3}
    with_networks = _pair(("networks", 0.19), ("linear_map", 0.20))
    assert with_networks["networks"] == pytest.approx(0.5256, abs=1e-4)
    assert choose(errors, edge=2.5) == pytest.approx(with_networks)
    assert choose(errors, edge=1.0) == pytest.approx(with_networks)  # EDGE: enough
    without = _pair(("linear_map", 0.20), ("naive", 0.3))
    assert choose(errors, edge=0.4) == pytest.approx(without)
    assert choose(errors, alone=True, edge=0.4) == pytest.approx(without)
    assert choose(errors, alone=True, edge=3.0) == {"networks": 1.0}
    assert choose(errors, edge=None) == pytest.approx(with_networks)  # not scored


def test_choose_weighs_the_two_lowest_by_their_mse_and_describes_them():
    errors = {"networks": 0.30, "linear_map": 0.20, "shrunk_map": 0.25, "naive": 0.5}
    # 1/0.04 = 25 and 1/0.0625 = 16: 25/41 and 16/41
    assert choose(errors) == pytest.approx({"linear_map": 25 / 41, "shrunk_map": 16 / 41})
    assert choose({"networks": 0.2, "linear_map": 0.2, "naive": 0.2}) == {
        "networks": 0.5, "linear_map": 0.5}  # ties: the earlier ones, equally
    # the networks come in only when best of all: second best, they make way for the third
    assert choose({"networks": 0.21, "linear_map": 0.20, "naive": 0.3, "drift": 0.4}) == (
        pytest.approx(_pair(("linear_map", 0.20), ("naive", 0.3))))
    assert choose({"networks": 0.19, "linear_map": 0.20, "naive": 0.3}) == pytest.approx(
        _pair(("networks", 0.19), ("linear_map", 0.20)))
    assert choose({"networks": 0.3, "naive": 0.2}) == {"naive": 1.0}
    # one forecast exact on the validation windows: the whole weight
    assert choose({"linear_map": 0.0, "holt_winters": 0.1, "naive": 0.3}) == {
        "linear_map": 1.0}
    # networks reading inputs known in advance: alone when best, else out as before
    assert choose({"networks": 0.19, "linear_map": 0.20, "naive": 0.3}, alone=True) == {
        "networks": 1.0}
    assert choose({"networks": 0.21, "linear_map": 0.20, "naive": 0.3}, alone=True) == (
        pytest.approx(_pair(("linear_map", 0.20), ("naive", 0.3))))
    assert describe({"networks": 0.5, "seasonal_naive": 0.5, "naive": 0.0}) == (
        "0.50 x the networks + 0.50 x the seasonal naive")
    with pytest.raises(ValueError, match="no validation windows"):
        validation_errors({"naive": WindowBaseline("naive", 3, 1, [0])}, [])


def seasonal_table(n=480, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 50 + 0.08 * t + 8 * np.sin(2 * np.pi * t / season) * (1 + t / n)
    return pd.DataFrame({"month": pd.date_range("1980-01-01", periods=n, freq="MS")
                         .strftime("%Y-%m"), "sales": level + rng.normal(size=n)})


SMALL = dict(steps=6, units=(8,), epochs=3, seed=0, verbose=0)


def test_select_scores_every_candidate_on_the_validation_windows_and_weighs_the_best_two(
        tmp_path):
    df = seasonal_table()
    fc = Forecaster(**SMALL).fit(df, target="sales", time="month")
    assert fc.blend == "select" and fc.season_ == 12
    window, steps, n = fc.window_, 6, len(df)
    z = np.asarray(fc.pipeline_.table(fc.pipeline_.prepare(df)).x, dtype=np.float64)[:, 0]
    cut = int(np.floor(n * 0.8))  # the validation part: the last 20% of the rows
    both = np.lib.stride_tricks.sliding_window_view(z, window + steps)
    starts = np.arange(len(both))
    train = both[starts + window + steps - 1 < cut]
    val = both[starts + window >= cut]
    assert len(val) == fc.n_windows_["validation"] and len(train) == fc.n_windows_["train"]
    last = val[:, window - 1:window]
    seasonal_rows = seasonal_positions(window, steps, 12, 1)

    def rows_of(part):
        return np.hstack([part[:, :window] - part[:, window - 1:window],
                          np.ones((len(part), 1))])

    # the linear map's ridge per step by GCV, the hat matrix written out
    gcv_weights, _ = brute_force_gcv(
        rows_of(train), train[:, window:] - train[:, window - 1:window], RIDGES)
    linear = rows_of(val) @ gcv_weights + last
    shrunk = rows_of(val) @ augmented_lstsq(
        rows_of(train), train[:, window:] - train[:, seasonal_rows], SHRUNK_RIDGE
    ) + val[:, seasonal_rows]
    forecasts = {
        "networks": fc.ensemble_.networks_predict(val[:, :window, None]),
        "linear_map": linear, "shrunk_map": shrunk,
        "naive": np.repeat(last, steps, 1),
        "window_mean": np.repeat(val[:, :window].mean(1, keepdims=True), steps, 1),
        "seasonal_naive": val[:, seasonal_rows],
        "train_mean": np.full((len(val), steps), train[:, window:].mean()),
        "drift": last + np.arange(1, steps + 1) * (last - val[:, :1]) / (window - 1)}
    if window >= 24:  # the seasonal naive plus the mean change over a season, per season
        back = (window + np.arange(steps) - seasonal_rows) // 12
        change = np.mean([val[:, i] - val[:, i - 12] for i in range(12, window)], axis=0)
        forecasts["seasonal_drift"] = val[:, seasonal_rows] + back * change[:, None]
    # Holt-Winters over the window's last rows, its constants fitted on the training
    # windows (its recursion is checked against statsmodels in tests/test_smoothing.py)
    rows = smoothing.rows_read(window, 12)
    _, matrix, _ = smoothing.fit(train[:, window - rows:window], train[:, window:], 12, 1, steps)
    forecasts["holt_winters"] = val[:, window - rows:window] @ matrix
    want = {k: float(np.sqrt(np.mean((v - val[:, window:]) ** 2)))
            for k, v in forecasts.items()}
    assert set(fc.blend_scores_) == set(want)
    for name, value in want.items():
        assert fc.blend_scores_[name] == pytest.approx(value, rel=1e-5), name
    best = sorted(want, key=want.get)[:2]
    weights = _pair((best[0], want[best[0]]), (best[1], want[best[1]]))
    assert fc.blend_weights_ == pytest.approx(weights, rel=1e-5)
    x = val[:, :window, None]
    np.testing.assert_allclose(fc.ensemble_.predict(x), weights[best[0]] * forecasts[best[0]]
                               + weights[best[1]] * forecasts[best[1]],
                               rtol=1e-4, atol=1e-4)
    # saved and loaded: the same forecasts, the same choice
    fc.save(tmp_path / "m.lstmcast")
    saved = load_bundle(tmp_path / "m.lstmcast", "forecaster")[1]
    chosen = set(fc.blend_weights_)
    assert saved["config_version"] == (7 if "holt_winters" in chosen else
                                       6 if "seasonal_drift" in chosen else
                                       5 if {"train_mean", "drift"} & chosen else 4)
    loaded = Forecaster.load(tmp_path / "m.lstmcast")
    assert loaded.blend_weights_ == fc.blend_weights_
    assert loaded.blend_scores_ == pytest.approx(fc.blend_scores_)
    pd.testing.assert_frame_equal(loaded.predict(df), fc.predict(df))


def test_a_choice_with_a_newer_forecast_is_saved_as_the_oldest_version_that_reads_it(tmp_path):
    df = seasonal_table()
    fc = Forecaster(**SMALL).fit(df, target="sales", time="month")
    window = fc.window_
    parts = candidates(window, 6, [0], 12, 1, lambda: [(np.ones((4, window, 1)),
                                                         np.full((4, 6), 0.3))])
    assert parts["train_mean"].values == pytest.approx([0.3])
    for name, version in (("drift", 5), ("train_mean", 5), ("seasonal_drift", 6),
                          ("holt_winters", 7), ("naive", 4)):
        fc.ensemble_ = type(fc.ensemble_)(fc.ensemble_.members, {name: parts[name]},
                                          {"networks": 0.5, name: 0.5})
        fc.save(tmp_path / f"{name}.lstmcast")
        saved = load_bundle(tmp_path / f"{name}.lstmcast", "forecaster")[1]
        assert saved["config_version"] == version, name
        loaded = Forecaster.load(tmp_path / f"{name}.lstmcast")
        pd.testing.assert_frame_equal(loaded.predict(df), fc.predict(df))


def test_candidates_need_a_window_that_holds_a_season():
    x = np.zeros((5, 6, 1))
    found = candidates(6, 2, [0], 12, 1, lambda: [(x, np.zeros((5, 2)))])
    assert "seasonal_naive" not in found and found["shrunk_map"].anchor == "last"
    found = candidates(6, 2, [0], 3, 1, lambda: [(x, np.zeros((5, 2)))])
    assert "seasonal_naive" in found and found["shrunk_map"].anchor == "season"


def test_without_validation_rows_select_blends_the_networks_and_the_linear_map():
    df = seasonal_table(n=200)
    fc = Forecaster(**SMALL, early_stopping=False).fit(df, target="sales", time="month")
    assert fc.blend_scores_ is None
    assert fc.blend_weights_ == {"networks": 0.5, "linear_map": 0.5}


def test_the_cli_says_what_the_forecast_combines_and_keeps_it_in_metrics(tmp_path):
    path = tmp_path / "sales.csv"
    seasonal_table().to_csv(path, index=False)
    out = tmp_path / "run"
    done = run_cli("train", path, "--target", "sales", "--time", "month", "--steps", 6,
                   "--units", 8, "--epochs", 3, "--out", out)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    weights = metrics["blend_weights"]
    assert sum(weights.values()) == pytest.approx(1.0) and len(weights) == 2
    assert set(metrics["blend_scores"]) >= set(weights)
    edge = metrics["networks_edge"]  # how clearly the networks beat the best other there
    assert edge is None or isinstance(edge, float)
    first, second = sorted(weights, key=weights.get, reverse=True)
    assert f"The forecast: {weights[first]:.2f} x " in done.stdout
    assert f" + {weights[second]:.2f} x " in done.stdout
    assert "the two best on the validation rows" in done.stdout
    done = run_cli("inspect", path, "--target", "sales", "--time", "month", "--steps", 6)
    assert done.returncode == 0 and "score best on the validation rows" in done.stdout


def test_train_says_when_the_networks_scored_best_but_not_clearly():
    from types import SimpleNamespace

    from lstmcast.cli.common import blend_line

    def run(edge, weights):
        return SimpleNamespace(blend_weights_=weights, ensemble_=SimpleNamespace(parts={}),
                               blend_scores_={"networks": 0.10, "naive": 0.11,
                                              "linear_map": 0.12},
                               pipeline_=SimpleNamespace(log=[]), networks_edge_=edge)

    unclear = blend_line(run(0.43, {"naive": 0.5, "linear_map": 0.5}))
    assert unclear.endswith("(RMSE in scaled units: networks 0.1, naive 0.11, linear_map "
                            "0.12); the networks scored best by 0.43 standard errors of the "
                            "difference window by window, too little to tell from luck, and "
                            "are left out.")
    clear = blend_line(run(2.0, {"networks": 0.5, "naive": 0.5}))
    assert clear.startswith("The forecast: 0.50 x the networks + 0.50 x the naive forecast, "
                            "the two best on the validation rows weighted by the inverse of "
                            "their mean squared errors, the networks only when clearly best "
                            "of all") and "left out" not in clear


def test_every_candidate_combined_runs_in_onnxruntime_as_in_lstmcast(tmp_path):
    pytest.importorskip("onnxruntime")
    from test_onnx import run_onnx, session

    df = seasonal_table()
    fc = Forecaster(**SMALL).fit(df, target="sales", time="month")
    window = fc.window_
    z = np.asarray(fc.pipeline_.table(fc.pipeline_.prepare(df)).x, dtype=np.float32)
    x = np.lib.stride_tricks.sliding_window_view(z, (window, 1))[:, 0]
    train = lambda: [(x[:-6], np.zeros((len(x) - 6, 6)))]  # noqa: E731 (maps' weights only)
    parts = candidates(window, 6, [0], 12, 1, train)
    parts["linear_map"].weights = np.random.default_rng(1).normal(size=(window + 1, 6)) * 0.1
    parts["train_mean"].values = [0.37]
    weights = {"networks": 0.3, **{name: 0.7 / len(parts) for name in parts}}
    fc.ensemble_ = type(fc.ensemble_)(fc.ensemble_.members, parts, weights)
    side = json.loads(fc.export_onnx(tmp_path / "m.onnx").read_text())
    assert side["network"]["combination"]["weights"] == pytest.approx(weights)
    assert side["network"]["blend"] is None
    got = run_onnx(session(tmp_path / "m.onnx"), x)
    np.testing.assert_allclose(got, fc.ensemble_.predict(x), rtol=1e-5, atol=1e-5)


def test_the_seasonal_naive_with_drift_by_hand():
    # window 8, season 4: the changes over a season in the window are
    # 3-1, 8-5, 4-3, 5-2 = 2, 3, 1, 3: 2.25 per season
    y = np.array([1.0, 5.0, 3.0, 2.0, 3.0, 8.0, 4.0, 5.0])
    x = np.stack([y, -y], axis=-1)[None]  # one window, two targets
    got = WindowBaseline("seasonal_drift", 8, 6, [0, 1], season=4, horizon=1).predict(x)
    # targets rows 8..13: rows 4, 5, 6, 7 a season back (+2.25), then 4, 5 two (+4.5)
    want = np.array([5.25, 10.25, 6.25, 7.25, 7.5, 12.5])
    np.testing.assert_allclose(got[0, 0::2], want, rtol=1e-6)
    np.testing.assert_allclose(got[0, 1::2], -want, rtol=1e-6)  # step-major columns
    # horizon 3: targets rows 10..15 read rows 6, 7 (one season back), 4, 5, 6, 7 (two)
    got = WindowBaseline("seasonal_drift", 8, 6, [0], season=4, horizon=3).predict(x)
    np.testing.assert_allclose(got[0], [6.25, 7.25, 7.5, 12.5, 8.5, 9.5], rtol=1e-6)
    # a window of 7 holds only three changes over a season: not read
    with pytest.raises(ValueError, match="two seasons or more"):
        WindowBaseline("seasonal_drift", 7, 6, [0], season=4, horizon=1)
    zero = np.zeros((5, 7, 1))
    assert "seasonal_drift" not in candidates(7, 2, [0], 4, 1, lambda: [(zero, np.zeros((5, 2)))])
    eight = np.zeros((5, 8, 1))
    assert "seasonal_drift" in candidates(8, 2, [0], 4, 1, lambda: [(eight, np.zeros((5, 2)))])


def test_inverse_mse_weights_hold_at_the_edges_of_floating_point():
    """Weights from RMSEs far apart, or none finite, are numbers that sum to 1 (1/e² of
    1e-200 alone would overflow)."""
    from lstmcast.forecast.combination import inverse_mse

    for errors in ({"a": 1e-160, "b": 1e-3}, {"a": 1e-200, "b": 1e-3}, {"a": 3.0, "b": 4.0},
                   {"a": float("inf"), "b": float("inf")}):
        weights = inverse_mse(errors)
        assert all(np.isfinite(list(weights.values()))), errors
        assert sum(weights.values()) == pytest.approx(1.0)
    assert inverse_mse({"a": 3.0, "b": 4.0}) == pytest.approx({"a": 16 / 25, "b": 9 / 25})
    assert inverse_mse({"a": 1e-200, "b": 1e-3})["a"] == pytest.approx(1.0)
