"""Quantile forecasts, their scores, and conformal calibration.

References: scikit-learn's ``mean_pinball_loss`` for the pinball loss, the
closed-form CRPS of a normal distribution for the CRPS approximation, and
synthetic data whose true conditional quantiles are known for coverage and width.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from sklearn.metrics import mean_pinball_loss

from lstmcast import Forecaster
from lstmcast.engine.metrics import pinball_loss
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.intervals import (
    Intervals,
    central_pairs,
    check_levels,
    coverage,
    crps,
    min_windows,
    pinball,
)


# -- levels and scores -----------------------------------------------------------------------
def test_levels_are_sorted_and_bad_levels_are_named():
    assert check_levels([0.9, 0.1, 0.5]) == (0.1, 0.5, 0.9)
    for bad, words in (([0.0, 0.5], "outside (0, 1)"), ([0.5, 1.0], "outside (0, 1)"),
                       ([1.5], "outside (0, 1)"), ([0.1, 0.1, 0.9], "more than once"),
                       ([], "expected quantile levels"), ("0.1", "expected quantile levels")):
        with pytest.raises(InvalidArgumentError) as info:
            check_levels(bad)
        assert words in str(info.value)
    assert central_pairs((0.05, 0.1, 0.5, 0.9, 0.95)) == [(0.05, 0.95, 90), (0.1, 0.9, 80)]
    assert min_windows((0.1, 0.9)) == 9 and min_windows((0.05, 0.5)) == 19


def test_pinball_matches_scikit_learn_in_numpy_and_torch():
    rng = np.random.default_rng(1)
    y, q = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    for level in (0.1, 0.5, 0.9):
        expected = mean_pinball_loss(y.ravel(), q.ravel(), alpha=level)
        assert pinball(y, q, level) == pytest.approx(expected, rel=1e-12)
    # the training loss: outputs (N, S * Q * K), K innermost; 2 steps, 3 levels, 2 targets
    levels = (0.1, 0.5, 0.9)
    y_true = rng.normal(size=(50, 2 * 2))
    y_pred = rng.normal(size=(50, 2 * 3 * 2))
    got = float(pinball_loss(levels, 2)(torch.tensor(y_true, dtype=torch.float32),
                                        torch.tensor(y_pred, dtype=torch.float32)))
    pred = y_pred.reshape(50, 2, 3, 2)
    truth = y_true.reshape(50, 2, 2)
    expected = np.mean([mean_pinball_loss(truth.ravel(), pred[:, :, i].ravel(), alpha=t)
                        for i, t in enumerate(levels)])
    assert got == pytest.approx(expected, rel=1e-5)


def test_crps_from_many_quantiles_approaches_the_normal_closed_form():
    # CRPS of N(mu, sigma) at y: sigma * (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi))
    rng = np.random.default_rng(2)
    mu, sigma = rng.normal(size=300), rng.uniform(0.5, 2.0, size=300)
    y = mu + sigma * rng.normal(size=300)
    z = (y - mu) / sigma
    exact = np.mean(sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                             - 1 / np.sqrt(np.pi)))
    levels = tuple(np.round(np.arange(1, 100) / 100, 6))
    q = mu[:, None] + sigma[:, None] * stats.norm.ppf(levels)[None]  # (W, Q)
    approx = crps(y[:, None], q[:, None, :], levels)
    assert approx == pytest.approx(exact, rel=0.03)  # 99 levels: within 3%


def test_conformal_shifts_give_the_promised_coverage_on_exchangeable_errors():
    rng = np.random.default_rng(3)
    intervals = Intervals((0.1, 0.9), trained=False, steps=2, targets=1)
    point = rng.normal(size=(500, 2))
    truth = point + rng.standard_t(4, size=(500, 2)) * np.array([1.0, 3.0])  # step 2 wider
    intervals.calibrate(point, truth)
    new_point = rng.normal(size=(20000, 2))
    new_truth = new_point + rng.standard_t(4, size=(20000, 2)) * np.array([1.0, 3.0])
    _, q = intervals.split(new_point)
    for step in range(2):
        cover = coverage(new_truth[:, step], q[:, step, 0, 0], q[:, step, 1, 0])
        assert 0.77 <= cover <= 0.84, (step, cover)  # >= 0.8 in expectation, 500 windows
    assert intervals.shifts_[1, 1, 0] > 2 * intervals.shifts_[0, 1, 0]  # per step
    with pytest.raises(InvalidArgumentError, match="at least 9 validation windows"):
        Intervals((0.1, 0.9), False, 1, 1).calibrate(point[:8, :1], truth[:8, :1])


def test_quantile_outputs_are_sorted_and_the_median_is_the_point():
    intervals = Intervals((0.1, 0.9), trained=True, steps=1, targets=2)
    assert intervals.network_levels == (0.1, 0.5, 0.9)  # the median is trained too
    out = np.array([[5.0, 0.0, 1.0, 1.0, 0.0, 2.0]])  # (S=1, Q=3, K=2): crossing levels
    point, q = intervals.split(out)
    np.testing.assert_array_equal(point, [[1.0, 1.0]])  # the 0.5 slot
    np.testing.assert_array_equal(q[0, 0], [[0.0, 0.0], [5.0, 2.0]])  # sorted per target


def _tails(truth, low, high):
    """The fractions of truths below ``low`` and above ``high`` (numpy, per column)."""
    return np.mean(truth < low, axis=0), np.mean(truth > high, axis=0)


@pytest.mark.parametrize("trained", [False, True])
def test_calibrated_bounds_contain_the_point_even_when_validation_errors_are_lopsided(trained):
    # validation truths almost all above the point (a point forecast too low on the
    # validation period): the shift of level 0.1 is positive and larger than the gap
    # between the point and the trained 0.1 quantile, which varies from row to row
    rng = np.random.default_rng(11)
    levels = (0.05, 0.1, 0.5, 0.9, 0.95)
    intervals = Intervals(levels, trained=trained, steps=2, targets=2)
    n = 200
    point = rng.normal(size=(n, 2, 2))
    spread = rng.uniform(0.1, 2.0, size=(n, 2, 1, 2))  # the trained quantiles' spread
    offsets = np.array([-1.6, -1.3, 0.0, 1.3, 1.6])[None, None, :, None]
    outputs = point[:, :, None, :] + spread * offsets if trained else point
    truth = point + 3.0 + rng.normal(size=(n, 2, 2))
    intervals.calibrate(outputs.reshape(n, -1), truth.reshape(n, -1))
    assert (intervals.shifts_[:, 1] > 0).all()  # the lower level moves up past the point
    got_point, q = intervals.split(outputs.reshape(n, -1))
    got_point = got_point.reshape(n, 2, 2)
    np.testing.assert_array_equal(got_point, point)  # the point itself is never calibrated
    for low, high, _ in central_pairs(levels):
        lo, hi = q[:, :, levels.index(low)], q[:, :, levels.index(high)]
        assert (lo <= got_point).all() and (got_point <= hi).all(), (low, high)
        below, above = _tails(truth, lo, hi)  # on the validation windows, per step and target
        assert (below <= low).all() and (above <= 1 - high + 1e-12).all(), (below, above)
    assert (np.diff(q, axis=2) >= 0).all()  # still sorted
    # uncalibrated, crossing trained quantiles: the point stays inside every band too
    raw = Intervals(levels, trained=True, steps=1, targets=1)
    out = np.array([[3.0, 2.0, 1.0, 4.0, 5.0]])  # 0.05 and 0.1 above the 0.5 output
    p, q = raw.split(out)
    assert q[0, 0, levels.index(0.1), 0] <= p[0, 0] <= q[0, 0, levels.index(0.9), 0]


@pytest.mark.parametrize("settings", [dict(quantiles=(0.1, 0.5, 0.9)),
                                      dict(loss="mse", quantiles=(0.1, 0.9))])
def test_a_calibrated_model_forecasts_a_point_inside_every_band_and_covers_validation(settings):
    # y follows an input the model reads, and runs 1.0 higher over the validation
    # period only: the point forecast is low there, the calibrated levels move up
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    y = np.roll(x, -1) + 0.3 * rng.standard_normal(300)
    y[-60:] += 1.0
    frame = pd.DataFrame({"y": y, "x": x})
    model = Forecaster(window=4, units=(4,), dropout=0.0, epochs=5, calibrate=True, seed=0,
                       autoregressive=False, **settings).fit(frame, target="y", features=["x"])
    assert (model.intervals_.shifts_[:, 0] > 0).all()  # level 0.1 moved up past the point
    with pytest.warns(UserWarning, match="training data"):
        _, preds = model.evaluate(frame, return_predictions=True)
    point = preds["lstmcast"].to_numpy()
    lo, hi = preds["lstmcast_q0.1"].to_numpy(), preds["lstmcast_q0.9"].to_numpy()
    assert ((lo <= point) & (point <= hi)).all()
    forecast = model.predict(frame)
    assert ((forecast["y_q0.1"] <= forecast["y"]) & (forecast["y"] <= forecast["y_q0.9"])).all()
    # the validation windows are the last ones: each tail holds at most 10% of their truths
    n = model.n_windows_["validation"]
    truth = preds["actual"].to_numpy()[-n:]
    below, above = _tails(truth, lo[-n:], hi[-n:])
    assert below <= 0.1 and above <= 0.1
    assert np.mean((truth >= lo[-n:]) & (truth <= hi[-n:])) >= 0.8


# -- the Forecaster ------------------------------------------------------------------------------
def _noisy_series(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """y_t = 0.5 y_(t-1) + s_t e_t, e ~ N(0, 1), s_t = 0.2 + 2 x_t, x a slow cycle that the
    window sees: the true 80% interval is 2 * 1.2816 * s_t wide."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = 0.5 + 0.5 * np.sin(2 * np.pi * t / 150)
    scale = 0.2 + 2.0 * x
    y = np.zeros(n)
    for i in range(1, n):
        y[i] = 0.5 * y[i - 1] + scale[i] * rng.standard_normal()
    return pd.DataFrame({"y": y, "x": x}), scale


@pytest.fixture(scope="module")
def heteroscedastic():
    frame, scale = _noisy_series(6000)
    train, test = frame.iloc[:4000], frame  # scored: the 2000 rows after training
    settings = dict(window=12, units=(24,), dropout=0.0, epochs=25, patience=5,
                    learning_rate=0.003, seed=0)
    quantile = Forecaster(quantiles=(0.1, 0.5, 0.9), calibrate=True, **settings)
    quantile.fit(train, target="y", features=["x"])
    point = Forecaster(loss="mse", quantiles=(0.1, 0.9), calibrate=True, **settings)
    point.fit(train, target="y", features=["x"])
    return quantile, point, test, scale


def test_calibrated_80_percent_intervals_cover_80_percent_and_follow_the_noise(heteroscedastic):
    quantile, point, test, scale = heteroscedastic
    for model in (quantile, point):
        scores, preds = model.evaluate(test, return_predictions=True)
        row = scores[scores["model"] == "lstmcast"].iloc[0]
        assert 0.77 <= row["coverage_80"] <= 0.83, (model.loss_name, row["coverage_80"])
        assert len(preds) == 2000
    # the quantile model's width follows the noise; the point model's cannot
    _, preds = quantile.evaluate(test, return_predictions=True)
    width = (preds["lstmcast_q0.9"] - preds["lstmcast_q0.1"]).to_numpy()
    true_width = 2 * stats.norm.ppf(0.9) * scale[4000:]
    assert np.corrcoef(width, true_width)[0, 1] > 0.9
    assert np.mean(width) == pytest.approx(np.mean(true_width), rel=0.15)
    _, preds = point.evaluate(test, return_predictions=True)
    flat = (preds["lstmcast_q0.9"] - preds["lstmcast_q0.1"]).to_numpy()
    assert np.ptp(flat) < 1e-9  # one shift per step: a constant width


def test_scores_report_intervals_for_the_model_and_the_baselines(heteroscedastic):
    quantile, _, test, _ = heteroscedastic
    scores = quantile.evaluate(test)
    for column in ("pinball_0.1", "pinball_0.5", "pinball_0.9", "crps", "coverage_80",
                   "width_80"):
        assert scores[column].notna().all(), column
    by = scores.set_index("model")
    # the naive interval comes from the naive forecast's own training errors: it covers
    # about 80% too, but is wider than the model's, whose width follows the noise
    assert 0.7 <= by.loc["naive", "coverage_80"] <= 0.9
    assert by.loc["lstmcast", "crps"] < by.loc["naive", "crps"]
    forecast = quantile.predict(test)
    assert list(forecast.columns) == ["step", "y", "y_q0.1", "y_q0.5", "y_q0.9"]


def test_uncalibrated_quantiles_can_be_asked_for_and_calibration_changes_them():
    frame, _ = _noisy_series(1500, seed=4)
    settings = dict(window=12, units=(8,), dropout=0.0, epochs=3, quantiles=(0.1, 0.9))
    raw = Forecaster(**settings).fit(frame, target="y")
    calibrated = Forecaster(calibrate=True, **settings).fit(frame, target="y")
    assert raw.intervals_.shifts_ is None and calibrated.intervals_.shifts_ is not None
    a, b = raw.predict(frame), calibrated.predict(frame)
    np.testing.assert_allclose(a["y"], b["y"], rtol=1e-6)  # the same network, the same point
    assert not np.allclose(a["y_q0.9"], b["y_q0.9"])


def test_quantiles_with_groups_covariates_targets_ensemble_and_segments(tmp_path):
    rng = np.random.default_rng(5)
    rows = []
    for store in ("a", "b", "c"):
        t = np.arange(240)
        price = rng.uniform(1, 2, 240)
        base = 10 + 3 * np.sin(2 * np.pi * t / 24) + (store == "b") * 5
        rows.append(pd.DataFrame({"store": store, "t": t, "price": price,
                                  "sales": base - 2 * price + rng.normal(0, 1, 240),
                                  "visits": base * 2 + rng.normal(0, 2, 240)}))
    frame = pd.concat(rows, ignore_index=True)
    model = Forecaster(window=24, steps=6, segment=6, units=(16,), epochs=3, ensemble=2,
                       channels="independent", quantiles=(0.05, 0.5, 0.95), calibrate=True)
    model.fit(frame, target=["sales", "visits"], group="store", time="t", future=["price"])
    future = pd.DataFrame({"store": np.repeat(["a", "b", "c"], 6),
                           "t": np.tile(np.arange(240, 246), 3), "price": 1.5})
    forecast = model.predict(frame, future=future)
    assert len(forecast) == 18
    for target in ("sales", "visits"):
        q = forecast[[f"{target}_q0.05", f"{target}_q0.5", f"{target}_q0.95"]].to_numpy()
        assert (np.diff(q, axis=1) >= 0).all()  # never crossing
    scores = model.evaluate(frame, holdout=30)
    assert set(scores["target"]) == {"sales", "visits"}
    assert scores[scores["model"] == "lstmcast"]["coverage_90"].between(0, 1).all()
    model.save(tmp_path / "m.lstmcast")
    again = Forecaster.load(tmp_path / "m.lstmcast")
    pd.testing.assert_frame_equal(again.predict(frame, future=future), forecast)


def test_remaining_useful_life_gets_an_interval_and_the_late_lower_bound():
    rng = np.random.default_rng(6)
    rows = []
    for unit in range(40):
        life = int(rng.integers(60, 120))
        cycle = np.arange(1, life + 1)
        wear = cycle / life
        rows.append(pd.DataFrame({"unit": unit, "cycle": cycle,
                                  "s1": wear + rng.normal(0, 0.05, life),
                                  "s2": wear ** 2 + rng.normal(0, 0.05, life),
                                  "rul": np.minimum(life - cycle, 125)}))
    frame = pd.concat(rows, ignore_index=True)
    train, test = frame[frame["unit"] < 30], frame[frame["unit"] >= 30]
    test = test[test["cycle"] <= test.groupby("unit")["cycle"].transform("max") // 2]
    model = Forecaster(window=10, horizon=0, units=(16,), dropout=0.0, epochs=5,
                       validation_by="series", quantiles=(0.1, 0.5, 0.9), calibrate=True)
    model.fit(train, target="rul", group="unit", time="cycle", features=["s1", "s2"])
    scores, preds = model.evaluate(test, last_only=True, return_predictions=True)
    row = scores.set_index("model").loc["lstmcast"]
    assert 0.0 <= row["late_lower_80"] <= 1.0
    lower = preds["lstmcast_q0.1"].to_numpy()
    assert row["late_lower_80"] == pytest.approx(np.mean(lower > preds["actual"].to_numpy()))
    assert np.isfinite(row["phm08_lower_80"])


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings, words", [
    (dict(quantiles=(0.0, 0.5)), "outside (0, 1)"),
    (dict(quantiles=(0.5, 1.2)), "outside (0, 1)"),
    (dict(quantiles=(0.1, 0.9, 0.1)), "more than once"),
    (dict(quantiles=(0.1, 0.9), loss="mse"), "cannot train quantiles"),
    (dict(quantiles=(0.1, 0.9), loss="huber"), "calibrate=True"),
    (dict(loss="pinball"), "give `quantiles` too"),
    (dict(calibrate=True), "give `quantiles` too"),
    (dict(calibrate=True, quantiles=(0.1, 0.9), validation=0.0), "validation"),
])
def test_bad_quantile_settings_are_clear_errors(settings, words):
    frame, _ = _noisy_series(300)
    with pytest.raises(InvalidArgumentError) as info:
        Forecaster(window=12, epochs=1, **settings).fit(frame, target="y")
    assert words in str(info.value)


def test_calibration_with_too_few_validation_windows_says_how_many_it_needs():
    frame, _ = _noisy_series(90)
    model = Forecaster(window=12, epochs=1, quantiles=(0.05, 0.95), calibrate=True)
    with pytest.raises(InvalidArgumentError, match="needs at least 19 validation windows, "
                                                   "and this table gives 18"):
        model.fit(frame, target="y")


def test_recursive_forecasts_past_steps_are_refused_with_quantiles():
    frame, _ = _noisy_series(300)
    model = Forecaster(window=12, units=(4,), epochs=1, quantiles=(0.1, 0.9)).fit(frame,
                                                                                  target="y")
    with pytest.raises(InvalidArgumentError, match="train with steps=3"):
        model.predict(frame, n_ahead=3)


# -- the command line ------------------------------------------------------------------------------
def test_the_command_line_trains_predicts_and_evaluates_intervals(tmp_path):
    from helpers import FAST, one_line_error, run_cli

    frame, _ = _noisy_series(400)
    frame.insert(0, "date", pd.date_range("2016-07-01", periods=400, freq="h")
                 .strftime("%Y-%m-%d %H:%M:%S"))  # text dates, as in a user's CSV
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    run = tmp_path / "run"
    result = run_cli("train", path, "--target", "y", "--time", "date", *FAST,
                     "--quantiles", "0.9,0.1,0.5", "--calibrate", "--out", run)
    assert result.returncode == 0, result.stderr
    assert "coverage_80" in result.stdout and "Intervals" in result.stdout
    assert "Intervals: coverage and width" in (run / "report.html").read_text()
    predictions = pd.read_csv(run / "predictions.csv")
    assert {"lstmcast_q0.1", "lstmcast_q0.5", "lstmcast_q0.9"} <= set(predictions.columns)
    assert "quantiles = [0.1, 0.5, 0.9]" in (run / "config.toml").read_text()
    result = run_cli("predict", run, path, "--out", tmp_path / "forecast.csv")
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert list(forecast.columns) == ["step", "date", "y", "y_q0.1", "y_q0.5", "y_q0.9"]
    assert forecast["date"].iloc[0] == "2016-07-17 16:00:00"
    result = run_cli("evaluate", run, path, "--holdout", "50")
    assert result.returncode == 0 and "coverage_80" in result.stdout, result.stderr
    one_line_error(run_cli("train", path, "--target", "y", "--time", "date", "--quantiles", "0.5,1",
                           "--out", tmp_path / "bad"), "--quantiles: Quantile level 1.0")
    one_line_error(run_cli("train", path, "--target", "y", "--time", "date", "--quantiles",
                           "0.1,0.9",
                           "--loss", "mse", "--out", tmp_path / "bad"),
                   "cannot train quantiles", "--calibrate")
    assert not (tmp_path / "bad").exists()


@pytest.mark.benchmark
def test_the_intervals_benchmark_runs_on_tiny_sizes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "intervals.py"
    out = subprocess.run([sys.executable, str(script), "--quick", "--data", "etth2",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = (tmp_path / "intervals.md").read_text()
    for row in ("| quantile model, uncalibrated |", "| quantile model, calibrated |",
                "| naive (training errors) |", "| point model (MSE), calibrated errors |"):
        assert row in doc, row


def test_sequential_trains_quantiles_with_the_pinball_loss():
    from lstmcast.layers import LSTM, Dense
    from lstmcast.models import Sequential

    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 5, 1)).astype("float32")
    y = (x[:, -1] + rng.normal(size=(2000, 1))).astype("float32")  # noise N(0, 1)
    torch.manual_seed(0)
    model = Sequential([LSTM(8, input_shape=(5, 1)), Dense(3)], device="cpu")
    model.compile(loss=pinball_loss((0.1, 0.5, 0.9), 1), optimizer="adam")
    model.fit(x, y, epochs=30, batch_size=100, verbose=0)  # y: one value per sample
    out = model.predict(x[:500])
    width = out[:, 2] - out[:, 0]  # the true 80% width: 2 * 1.2816
    assert np.mean(width) == pytest.approx(2 * stats.norm.ppf(0.9), rel=0.15)
    assert np.mean((y[:500, 0] > out[:, 0]) & (y[:500, 0] < out[:, 2])) == pytest.approx(
        0.8, abs=0.06)


def test_a_log_model_s_quantiles_are_those_of_the_logged_table_exp_d():
    # independent reference: the same settings on a copy of the table whose target was
    # logged by hand; calibration and the pinball outputs are then exp'd level by level
    t = np.arange(120)
    rng = np.random.default_rng(3)
    sales = 50 * np.exp(0.01 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * np.exp(
        rng.normal(0, 0.05, len(t)))
    table = pd.DataFrame({"month": pd.date_range("2010-01-01", periods=len(t), freq="MS")
                          .strftime("%Y-%m"), "sales": sales})
    logged = table.assign(sales=np.log(table["sales"]))
    for settings in ({"quantiles": (0.1, 0.9), "calibrate": True, "loss": "mae"},
                     {"quantiles": (0.1, 0.5, 0.9)}):
        ours = Forecaster(log=True, steps=2, epochs=2, seed=0, **settings).fit(
            table, target="sales", time="month").predict(table)
        ref = Forecaster(log=False, steps=2, epochs=2, seed=0, **settings).fit(
            logged, target="sales", time="month").predict(logged)
        for column in [c for c in ours.columns if c.startswith("sales")]:
            np.testing.assert_allclose(ours[column], np.exp(ref[column]), rtol=1e-5)
        assert (ours["sales_q0.1"] <= ours["sales"]).all()
        assert (ours["sales"] <= ours["sales_q0.9"]).all()
