import warnings

import numpy as np
import pandas as pd
import pytest

from lstmcast import NotFittedError
from lstmcast.engine.bundle import ArtifactError
from lstmcast.forecast import scores
from lstmcast.forecast.evaluation import LagCopyWarning, warn_lag_copy
from lstmcast.forecast.forecaster import Forecaster
from lstmcast.tables.io import DataError

FAST = {"units": (8,), "dropout": 0.0, "epochs": 2, "batch_size": 64, "window": 6,
        "blend": None}  # the networks alone; the blend, the default, is test_linear_map.py's


def panel(n_series=3, length=40, seed=0):
    """Long format: sine waves per series with an exogenous feature and integer time."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_series):
        t = np.arange(length)
        x = np.sin(t / 3 + k) + 0.05 * rng.normal(size=length)
        frames.append(pd.DataFrame({"sid": f"s{k}", "t": t * 5, "x": x,
                                    "y": 10 + 2 * np.roll(x, 1) + k}))
    return pd.concat(frames, ignore_index=True)


def test_fit_predict_many_series_with_regular_time():
    df = panel()
    f = Forecaster(**FAST, steps=2).fit(df, target="y", group="sid", time="t")
    out = f.predict(df)
    assert list(out.columns) == ["sid", "step", "t", "y"]
    assert len(out) == 3 * 2
    first = out[out["sid"] == "s0"]
    assert first["t"].tolist() == [200, 205]  # last time 195, step 5, horizon 1
    assert np.isfinite(out["y"]).all()
    # default: the other numeric columns, and the target's own past when forecasting ahead
    assert f.inputs_ == ["x", "y"] and f.autoregressive_


def test_scalers_never_see_validation_rows():
    df = pd.DataFrame({"v": np.arange(100.0), "y": np.arange(100.0)})
    f = Forecaster(**FAST, validation=0.2).fit(df, target="y", features=["v"])
    assert f.x_scaler_.global_.offset_[0] == 0.0
    assert f.x_scaler_.global_.scale_[0] == 79.0  # rows 0..79: the training part only
    assert f.y_scaler_.global_.scale_[0] == 79.0


def test_scalers_never_see_held_out_series():
    df = panel(n_series=5)
    df.loc[df["sid"] == "s3", "x"] += 1000.0
    f = Forecaster(**FAST, validation=0.2, validation_by="series", seed=1)
    f.fit(df, target="y", features=["x"], group="sid", time="t")
    held_out_s3 = f.x_scaler_.global_.offset_[0] + f.x_scaler_.global_.scale_[0] < 500
    trained_on_s3 = f.x_scaler_.global_.scale_[0] > 500
    assert held_out_s3 != trained_on_s3  # s3's rows are in the fit only when s3 is trained on


def test_windows_never_cross_series_and_all_fit():
    df = panel(n_series=3, length=20)
    f = Forecaster(**FAST, early_stopping=False).fit(df, target="y", group="sid", time="t")
    assert f.n_windows_ == {"train": 3 * (20 - 6), "validation": 0}


def test_rows_are_sorted_by_time_and_duplicates_rejected():
    df = panel(n_series=2)
    shuffled = df.sample(frac=1.0, random_state=0)
    a = Forecaster(**FAST).fit(df, target="y", group="sid", time="t").predict(df)
    b = Forecaster(**FAST).fit(shuffled, target="y", group="sid", time="t").predict(shuffled)
    pd.testing.assert_frame_equal(a, b)
    dup = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(DataError, match="appears more than once in series 's0'"):
        Forecaster(**FAST).fit(dup, target="y", group="sid", time="t")


def test_save_load_round_trip_predicts_exactly(tmp_path):
    df = panel()
    f = Forecaster(**FAST, scale_by="series").fit(df, target="y", group="sid", time="t")
    path = tmp_path / "f.lstmcast"
    f.save(path)
    g = Forecaster.load(path)
    pd.testing.assert_frame_equal(g.predict(df), f.predict(df))
    pd.testing.assert_frame_equal(g.evaluate(df), f.evaluate(df))
    assert g.history_ == f.history_ and g.fingerprint_ == f.fingerprint_
    with pytest.raises(ArtifactError, match="holds a 'forecaster', not a 'sequential'"):
        from lstmcast.models import load_model

        load_model(path)


def test_evaluate_scores_match_direct_formulas_and_baselines_are_what_they_say():
    df = panel(n_series=2)
    f = Forecaster(**FAST, season=4).fit(df, target="y", features=[], group="sid", time="t",)
    result, pred = f.evaluate(df, return_predictions=True)
    assert set(result["model"]) == {"lstmcast", "train_mean", "naive", "window_mean",
                                    "seasonal_naive"}
    row = result.set_index("model").loc["lstmcast"]
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean((pred["lstmcast"] - pred["actual"]) ** 2)))
    assert row["mae"] == pytest.approx(np.mean(np.abs(pred["lstmcast"] - pred["actual"])))
    best = result[result["model"] != "lstmcast"]["rmse"].min()
    assert row["skill"] == pytest.approx(1 - row["rmse"] / best)
    worse = [n for n in result.attrs["notes"] if "worse than the" in n]  # said when it is
    assert bool(worse) == (row["skill"] < 0)
    if worse:
        assert f"RMSE {row['rmse']:.4g} against {best:.4g}" in worse[0]
    for sid, part in pred.groupby("sid"):
        series = df[df["sid"] == sid].set_index("t")["y"]
        np.testing.assert_allclose(part["naive"], series.loc[part["t"] - 5].to_numpy())
        np.testing.assert_allclose(part["seasonal_naive"], series.loc[part["t"] - 20].to_numpy())
        np.testing.assert_allclose(
            part["window_mean"],
            [series.loc[t - 30 : t - 5].mean() for t in part["t"]])


def test_last_only_scores_one_window_per_series_and_pads_short_ones():
    df = panel(n_series=3, length=30)
    df["rul"] = df.groupby("sid").cumcount(ascending=False).astype(float)
    f = Forecaster(**FAST, horizon=0).fit(df, target="rul", features=["x"], group="sid",
                                          time="t")
    short = df.groupby("sid").tail(4)  # shorter than the window of 6
    with pytest.warns(UserWarning, match="padded"):
        out = f.predict(short)
    assert len(out) == 3
    result, pred = f.evaluate(short, last_only=True, return_predictions=True)
    assert len(pred) == 3 and (pred["actual"] == 0).all()
    assert any("padded" in n for n in result.attrs["notes"])
    assert any("MAPE leaves out 3" in n for n in result.attrs["notes"])


def test_recursive_forecast_only_when_inputs_are_the_target():
    df = panel(n_series=1)
    uni = Forecaster(**FAST).fit(df, target="y", features=[], time="t")
    assert uni.autoregressive_
    out = uni.predict(df, n_ahead=7)
    assert out["step"].tolist() == list(range(1, 8))
    multi = Forecaster(**FAST).fit(df, target="y", features=["x"], time="t")
    with pytest.raises(ValueError, match=r"future values of the inputs \['x'\]"):
        multi.predict(df, n_ahead=3)


def test_backtest_refits_per_fold_in_time_order():
    df = panel(n_series=2, length=40)
    result = Forecaster(**FAST).backtest(df, target="y", group="sid", time="t", folds=2,
                                         test_size=4)
    folds = result[result["model"] == "lstmcast"]
    assert folds["fold"].tolist() == [1, 2]
    assert folds["train_rows"].tolist() == [2 * 32, 2 * 36]


def test_lag_copy_warning():
    rng = np.random.default_rng(0)
    truth = np.cumsum(rng.normal(size=(200, 1)), axis=0)
    naive = np.vstack([[0.0], truth[:-1]])
    copy = naive + 0.01 * rng.normal(size=naive.shape)
    with pytest.warns(LagCopyWarning, match="lagged copy"):
        warn_lag_copy("y", truth, {"lstmcast": copy, "naive": naive})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_lag_copy("y", truth, {"lstmcast": truth + 0.01, "naive": naive})
        # a combination that holds the naive forecast on purpose: the networks are judged
        warn_lag_copy("y", truth, {"lstmcast": copy, "networks": truth + 0.01, "naive": naive})
    with pytest.warns(LagCopyWarning, match="^The networks' forecasts of 'y'"):
        warn_lag_copy("y", truth, {"lstmcast": truth + 0.01, "networks": copy, "naive": naive})


def test_missing_columns_suggest_the_nearest_names():
    df = panel()
    with pytest.raises(DataError, match="Target column 'yy' is not in the table.*'y'"):
        Forecaster(**FAST).fit(df, target="yy", group="sid")
    with pytest.raises(DataError, match="Group column 'sdi'.*Did you mean 'sid'"):
        Forecaster(**FAST).fit(df, target="y", group="sdi")


def test_non_numeric_and_nan_values_are_named():
    df = panel(n_series=1)
    bad = df.astype({"x": object})
    bad.loc[5, "x"] = "oops"
    with pytest.raises(DataError, match=r"Column 'x' must be numeric.*row 5 \('oops'\)"):
        Forecaster(**FAST).fit(bad, target="y", time="t")
    nan = df.copy()
    nan.loc[[7, 9], "y"] = np.nan
    with pytest.raises(DataError, match="'y' holds 2 NaN or infinite values.*rows 7, 9"):
        Forecaster(**FAST).fit(nan, target="y", time="t")


def test_short_series_are_named_and_left_out():
    df = pd.concat([panel(n_series=2), panel(n_series=1, length=5).assign(sid="tiny")])
    with pytest.warns(UserWarning, match="too short.*tiny"):
        Forecaster(**FAST).fit(df, target="y", group="sid", time="t")
    with pytest.raises(DataError, match="Every series is shorter"):
        Forecaster(**FAST).fit(panel(n_series=1, length=5), target="y", time="t")


def test_not_fitted_and_bad_params():
    with pytest.raises(NotFittedError):
        Forecaster().predict(panel())
    with pytest.raises(ValueError, match="`window`"):
        Forecaster(window=0).fit(panel(), target="y")
    with pytest.raises(ValueError, match="autoregressive"):
        Forecaster(**FAST, horizon=0).fit(panel(), target="y", features=[], group="sid")


def test_same_seed_same_forecaster():
    df = panel()
    a = Forecaster(**FAST, seed=3).fit(df, target="y", group="sid", time="t").predict(df)
    b = Forecaster(**FAST, seed=3).fit(df, target="y", group="sid", time="t").predict(df)
    pd.testing.assert_frame_equal(a, b)


def test_scores_against_hand_values():
    t = np.array([1.0, 2.0, 0.0, 4.0])
    p = np.array([2.0, 2.0, 1.0, 2.0])
    assert scores.mae(t, p) == pytest.approx(1.0)
    assert scores.rmse(t, p) == pytest.approx(np.sqrt(6 / 4))
    assert scores.mape(t, p) == pytest.approx(100 * (1 + 0 + 0.5) / 3)  # the zero is left out
    assert scores.smape(t, p) == pytest.approx(100 * (2 / 3 + 0 + 2 + 4 / 6) / 4)
    assert scores.naive_scale([np.array([1.0, 3.0, 2.0])]) == pytest.approx(1.5)
    assert scores.phm08(np.array([10.0, 10.0]), np.array([0.0, 20.0])) == pytest.approx(
        np.exp(10 / 13) - 1 + np.exp(1) - 1)


def test_per_condition_scaling_uses_a_key_column():
    df = panel(n_series=2)
    df["cond"] = (df["t"] // 5) % 2
    df.loc[df["cond"] == 1, "x"] += 100.0  # two operating regimes, far apart
    f = Forecaster(**FAST, scale_by="cond", autoregressive=False).fit(
        df, target="y", features=["x"], group="sid", time="t")
    assert sorted(f.x_scaler_.by_key_) == ["0", "1"]  # keys by their string form
    scaled = f.x_scaler_.transform(df[["x"]].to_numpy(), df["cond"].to_numpy())
    assert scaled.min() > -0.5 and scaled.max() < 1.5  # each regime on its own scale
    assert "cond" not in f.inputs_


@pytest.mark.parametrize("loader", ["airline", "sunspots"])
def test_shipped_univariate_series_end_to_end(loader):
    from lstmcast import datasets

    frame = getattr(datasets, f"load_{loader}")()
    target, time = frame.columns[1], frame.columns[0]
    f = Forecaster(**FAST).fit(frame.iloc[:-12], target=target, time=time)
    result = f.evaluate(frame, holdout=12)
    assert result.attrs["n_windows"] == 12
    # monthly: 12 from the frequency; yearly sunspots: none from the frequency, and the
    # solar cycle of 11 years found in the rows
    assert f.season_ == (12 if loader == "airline" else 11)
    assert {"lstmcast", "naive", "seasonal_naive", "window_mean", "train_mean"} == set(
        result["model"])
    out = f.predict(frame, n_ahead=3)
    assert len(out) == 3 and out[time].is_monotonic_increasing


def test_several_targets_and_steps():
    df = panel(n_series=2)
    df["z"] = -df["y"]
    f = Forecaster(**FAST, steps=3).fit(df, target=["y", "z"], features=["x"], group="sid",
                                        time="t")
    out = f.predict(df)
    assert list(out.columns) == ["sid", "step", "t", "y", "z"] and len(out) == 2 * 3
    result = f.evaluate(df)
    assert set(result["target"]) == {"y", "z"}
    assert f.model_.output_shape == (6,)


def test_last_only_reports_the_phm08_score():
    df = panel(n_series=3, length=30)
    df["rul"] = df.groupby("sid").cumcount(ascending=False).astype(float) + 5
    f = Forecaster(**FAST, horizon=0).fit(df, target="rul", features=["x"], group="sid",
                                          time="t")
    result, pred = f.evaluate(df, last_only=True, return_predictions=True)
    row = result.set_index("model").loc["lstmcast"]
    assert row["phm08"] == pytest.approx(scores.phm08(pred["actual"], pred["lstmcast"]))
    assert "phm08" not in f.evaluate(df).columns  # only for the one-per-series protocol


def test_an_ensemble_forecasts_the_mean_of_its_members(tmp_path):
    df = panel()
    both = Forecaster(**FAST, seed=4, ensemble=2).fit(df, target="y", group="sid", time="t")
    one = Forecaster(**FAST, seed=4).fit(df, target="y", group="sid", time="t")
    two = Forecaster(**FAST, seed=5).fit(df, target="y", group="sid", time="t")
    want = (one.predict(df)["y"] + two.predict(df)["y"]) / 2
    np.testing.assert_allclose(both.predict(df)["y"], want, rtol=1e-6)
    assert len(both.members_) == 2 and both.histories_[1] == two.history_
    both.save(tmp_path / "e.lstmcast")
    loaded = Forecaster.load(tmp_path / "e.lstmcast")
    pd.testing.assert_frame_equal(loaded.predict(df), both.predict(df))
    assert "1 of the ensemble's 2" in both.explain(df).summary()


def trend(length=160, seed=0):
    """A rising line with a 12-row season: its last rows lie above everything before."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    y = 2.0 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, length)
    return pd.DataFrame({"t": t, "y": y})


def test_difference_forecasts_a_trend_beyond_the_training_range():
    df = trend()
    holdout = 30
    # the networks alone (no blend: the linear maps would extrapolate the trend for them)
    settings = {"units": (16,), "dropout": 0.0, "epochs": 60, "window": 12, "seed": 0,
                "blend": None}
    maes = {}
    for name, options in {"levels": {"normalize": None}, "difference": {"difference": True},
                          "default": {}}.items():
        f = Forecaster(**settings, **options).fit(df.iloc[:-holdout], target="y", time="t")
        result = f.evaluate(df, holdout=holdout).set_index("model")
        maes[name] = result.loc["lstmcast", "mae"]
        naive = result.loc["naive", "mae"]
    # levels above the training maximum saturate a min-max scaled network; changes do not,
    # nor do windows made relative to their last value (the default)
    assert maes["difference"] < 0.5 * naive < maes["levels"]
    assert maes["default"] < 0.5 * naive


def test_difference_adds_the_last_level_to_the_networks_change():
    df = trend(60)
    f = Forecaster(**FAST, difference=True).fit(df, target="y", time="t")
    assert f.autoregressive_ and f.inputs_ == ["y"]
    # by hand: scaled row-to-row changes in, a scaled change out, the last level added
    y = df["y"].to_numpy()
    changes = np.diff(y)[-FAST["window"]:]
    xs, ys = f.x_scaler_.global_, f.y_scaler_.global_
    window = ((changes - xs.offset_[0]) / xs.scale_[0]).astype(np.float32)
    out = f.model_.predict(window[None, :, None])[0, 0]
    want = y[-1] + out * ys.scale_[0] + ys.offset_[0]
    got = f.predict(df)["y"].iloc[0]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(f.explain(df).prediction, got, rtol=1e-5)
    # the y scaler was fitted on the changes of the training rows, not on the levels
    assert ys.scale_[0] < 0.5 * (y.max() - y.min())


def test_difference_recursion_feeds_back_changes():
    df = trend(60)
    f = Forecaster(**FAST, difference=True).fit(df, target="y", time="t")
    grown, one_at_a_time = df.copy(), []
    for _ in range(4):  # the definition of a recursive forecast, one call at a time
        step = f.predict(grown)["y"].iloc[0]
        one_at_a_time.append(step)
        grown = pd.concat([grown, pd.DataFrame({"t": [grown["t"].iloc[-1] + 1], "y": [step]})],
                          ignore_index=True)
    np.testing.assert_allclose(f.predict(df, n_ahead=4)["y"], one_at_a_time, rtol=1e-5)


def test_difference_round_trip_and_bad_settings(tmp_path):
    df = panel()
    f = Forecaster(**FAST, difference=True, scale_by="series").fit(df, target="y", group="sid",
                                                                  time="t", features=[])
    f.save(tmp_path / "d.lstmcast")
    g = Forecaster.load(tmp_path / "d.lstmcast")
    assert g.difference
    pd.testing.assert_frame_equal(g.predict(df), f.predict(df))
    with pytest.raises(ValueError, match="target's past must be an input"):
        Forecaster(**FAST, difference=True, autoregressive=False).fit(
            df, target="y", group="sid", features=["x"])
    with pytest.raises(ValueError, match="difference"):
        Forecaster(**FAST, difference="yes").fit(df, target="y", group="sid")


def test_lr_patience_halves_the_rate_when_validation_stalls():
    df = panel(length=80)
    f = Forecaster(**{**FAST, "epochs": 15}, learning_rate=0.05, lr_patience=1,
                   early_stopping=False).fit(df, target="y", group="sid", time="t")
    # Keras's rule by hand, from the recorded validation losses
    rate, best, wait, want = 0.05, np.inf, 0, []
    for value in f.history_["val_loss"]:
        want.append(rate)
        if value < best - 1e-4:
            best, wait = value, 0
            continue
        wait += 1
        if wait >= 1:
            rate, wait = max(rate * 0.5, 1e-5), 0
    np.testing.assert_allclose(f.history_["learning_rate"], want, rtol=1e-6)
    assert min(want) < 0.05  # the rate did fall in this run
    assert "learning_rate" not in Forecaster(**FAST).fit(df, target="y", group="sid").history_
    with pytest.raises(ValueError, match="lr_patience"):
        Forecaster(**FAST, lr_patience=-1).fit(df, target="y", group="sid")


def test_the_time_column_can_also_be_an_input():
    # engines that all live 50 cycles, with sensors that are pure noise: the remaining life
    # is only knowable from the engine's age, i.e. the time column given as a feature too
    rng = np.random.default_rng(0)
    df = pd.concat([pd.DataFrame({"unit": u, "cycle": np.arange(1, 51),
                                  "s": rng.normal(size=50), "rul": np.arange(49, -1, -1.0)})
                    for u in range(8)], ignore_index=True)
    shuffled = df.sample(frac=1.0, random_state=0)  # rows are sorted by unit, then cycle
    settings = {"units": (8,), "dropout": 0.0, "epochs": 80, "window": 6, "horizon": 0,
                "early_stopping": False, "seed": 0}
    maes = {}
    for features in (["s"], ["s", "cycle"]):
        f = Forecaster(**settings).fit(shuffled, target="rul", features=features, group="unit",
                                       time="cycle")
        assert f.inputs_ == features
        maes[len(features)] = f.evaluate(df).set_index("model").loc["lstmcast", "mae"]
    assert maes[2] < 0.3 * maes[1], maes


def test_mae_loss_forecasts_the_median_of_a_capped_target():
    # 7 of 10 engines sit at the cap (125), the other 3 at 40, 60 and 80, and the sensor is
    # pure noise: the best absolute-error forecast is the median, 125; the best squared-error
    # forecast the mean, 105.5 (numpy below). On windows that look alike, MSE lands under the cap.
    rng = np.random.default_rng(0)
    targets = [125.0] * 7 + [40.0, 60.0, 80.0]
    df = pd.concat([pd.DataFrame({"unit": u, "cycle": np.arange(30), "s": rng.normal(size=30),
                                  "rul": rul}) for u, rul in enumerate(targets)],
                   ignore_index=True)
    settings = {"units": (4,), "dropout": 0.0, "epochs": 60, "window": 5, "horizon": 0,
                "early_stopping": False, "learning_rate": 0.01, "seed": 0}
    forecasts = {}
    for loss in ("mse", "mae"):
        f = Forecaster(loss=loss, **settings).fit(df, target="rul", features=["s"],
                                                  group="unit", time="cycle")
        forecasts[loss] = f.predict(df)["rul"].to_numpy()
    assert abs(np.median(forecasts["mae"]) - np.median(targets)) < 3, forecasts["mae"]
    assert abs(np.median(forecasts["mse"]) - np.mean(targets)) < 3, forecasts["mse"]
