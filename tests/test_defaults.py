"""Settings chosen from the data: the window and the scaling of several series
(``lstmcast.forecast.defaults``), checked by hand."""

import json

import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.errors import ShortSeriesError
from lstmcast.forecast.architecture import chosen_network_rows
from lstmcast.forecast.defaults import MAX_WINDOW, choose_scaling, choose_window, network_rows


@pytest.mark.parametrize(("season", "shortest", "segment", "expected"), [
    (None, 1000, None, 30),   # no season: the tutorial's 30
    (7, 1000, None, 30),      # daily: 30 rows already see a week
    (24, 1000, None, 48),     # hourly: two days
    (48, 5000, None, 96),     # half-hourly: two days
    (12, 1000, None, 30),     # monthly: 30 months see two years and a half
    (4, 1000, None, 30),
    (48, 100, None, 39),      # int(100 * 0.8) = 80 training rows: (80 - 1 - 1 + 1) // 2
    (None, 20, None, 3),      # a sixth of 20 rows
    (None, 80, None, 13),     # a yearly series of 80 rows: a sixth
    (4, 60, None, 10),        # a sixth of 60 rows sees two seasons of 4 and more
    (24, 1000, 24, 48),       # a multiple of the segment
    (None, 1000, 24, 24),     # 30 rounded down to the segment
    (None, 20, 24, 24),       # never below one segment
    (1500, 100000, None, 2016),  # a long season found in the rows: at most MAX_WINDOW rows
])
def test_the_window_rule(season, shortest, segment, expected):
    window, why = choose_window(season, shortest, horizon=1, steps=1, validation=0.2,
                                segment=segment)
    assert window == expected
    assert str(window) in why


@pytest.mark.parametrize(("season", "shortest", "segment", "expected", "networks"), [
    (24, 4000, None, 336, 48),    # hourly: two weeks, the networks the last two days
    (48, 4000, None, 672, 96),    # half-hourly: two weeks of 336 rows
    (24, 800, None, 48, None),    # 640 training rows: (640 - 1) // 2 = 319 < 336, two days
    (48, 1440, None, 96, None),   # a month of half-hours: two weeks do not fit
    (24, 4000, 24, 48, None),     # segments (the long-horizon preset): as before
    (96, 8000, None, 1344, 192),  # every 15 minutes
    (288, 20000, None, 2016, 576),  # 5 minutes: two weeks would be 4032 rows
    (1440, 100000, None, 2016, 576),  # minutes: two weeks would be 20160, two days 2880
])
def test_a_sub_daily_window_sees_two_weeks_and_its_networks_two_days(
        season, shortest, segment, expected, networks):
    window, why = choose_window(season, shortest, horizon=1, steps=1, validation=0.2,
                                segment=segment, daily=True)
    assert window == expected and str(window) in why
    assert network_rows(window, season, True, segment) == networks
    if networks:
        assert f"the networks read its last {networks}" in why
    if expected == MAX_WINDOW:
        assert why.startswith(f"{MAX_WINDOW} rows, the longest window chosen ("
                              f"{2 * 7 * season} would take too long to train on; give "
                              "--window for another)")
    # a season that is not a day (daily: a week of 7): the rule of two seasons
    assert choose_window(7, 4000, horizon=1, steps=1, validation=0.2)[0] == 30
    assert network_rows(30, 7, False) is None


def test_a_window_longer_than_lstmcast_reads_is_refused_before_anything_is_fitted(tmp_path):
    """A minute table with --window 20000: the linear maps' normal matrix of 20,001 rows
    crashed numpy's OpenBLAS (a segmentation fault, no message). Refused at once instead;
    the longest window read is accepted."""
    path = tmp_path / "minutes.csv"
    pd.DataFrame({"y": np.sin(np.arange(200) / 5)}).to_csv(path, index=False)
    result = run_cli("train", path, "--target", "y", "--window", "20000", "--out",
                     tmp_path / "run")
    one_line_error(result, "--window 20000 is longer than lstmcast reads: at most 8192 rows",
                   "3.0 GiB here")
    assert not (tmp_path / "run").exists()
    with pytest.raises(ShortSeriesError, match="shorter than window"):  # 8192 is read,
        Forecaster(window=8192, epochs=1).fit(pd.read_csv(path), target="y")  # too long here


def test_a_long_window_is_cropped_for_the_networks_alone(tmp_path):
    """An hourly table of 2,000 rows: the window holds two weeks, the first layer past the
    normalization keeps the last two days for the LSTMs, and forecasts, explanations and
    a save round trip work on the long window."""
    t = pd.date_range("2024-01-01", periods=2000, freq="h")
    k = np.arange(len(t))
    frame = pd.DataFrame({"t": t.strftime("%Y-%m-%d %H:%M"),
                          "load": 5 + np.sin(2 * np.pi * k / 24) + 0.3 * (k // 24 % 7 >= 5)
                          + np.random.default_rng(0).normal(0, 0.05, len(k))})
    fc = Forecaster(units=(8,), epochs=1, batch_size=512).fit(frame, target="load", time="t")
    assert fc.window_ == 336 and fc.network_rows_ == 48
    crop = [layer for layer in fc.model_.layers if type(layer).__name__ == "Cropping1D"]
    assert [layer.cropping for layer in crop] == [(288, 0)]
    forecast = fc.predict(frame.tail(400))
    assert len(forecast) == 1 and np.isfinite(forecast["load"]).all()
    # the networks read only the last 48 rows: changing the rows before them changes
    # nothing of the networks' output
    window = fc.pipeline_.table(frame.tail(336)).x[None].astype(np.float32)
    moved = window.copy()
    moved[:, :200] += 1.0
    net = fc.ensemble_.members[0]
    np.testing.assert_array_equal(net.predict(window), net.predict(moved))
    fc.save(tmp_path / "m.lstmcast")
    loaded = Forecaster.load(tmp_path / "m.lstmcast")
    assert loaded.network_rows_ == 48 and loaded.window_ == 336
    pd.testing.assert_frame_equal(loaded.predict(frame.tail(400)), forecast)
    given = Forecaster(units=(8,), window=336)  # a window given is read whole
    assert chosen_network_rows(given, fc.pipeline_) is None
    recent = window.copy()
    recent[:, -10:] += 1.0  # within the last 48 rows: read
    assert not np.array_equal(net.predict(window), net.predict(recent))


def test_the_window_leaves_room_for_the_targets():
    # 200 rows, 20% for validation: 160; 24 steps ahead take 24 of them: (160 - 24) // 2
    assert choose_window(48, 200, horizon=1, steps=24, validation=0.2)[0] == 68


def test_a_forecaster_without_a_window_sees_two_days_of_half_hourly_rows():
    t = pd.date_range("2024-01-01", periods=48 * 30, freq="30min")
    frame = pd.DataFrame({"t": t.strftime("%Y-%m-%d %H:%M"),
                          "load": np.sin(2 * np.pi * np.arange(len(t)) / 48)})
    facts = Forecaster().inspect(frame, target="load", time="t")
    assert facts["window"][0] == 96 and facts["shapes"]["train"][1] == 96
    assert facts["season"][0] == 48
    assert Forecaster(window=12).inspect(frame, target="load", time="t")["window"] == (
        12, "given")


def test_train_says_at_once_when_the_model_loses_to_a_baseline_on_validation_rows():
    t = pd.date_range("2024-01-01", periods=24 * 20, freq="h")
    frame = pd.DataFrame({"t": t, "load": 10 + np.sin(2 * np.pi * np.arange(len(t)) / 24)})
    model = Forecaster(units=(4,), epochs=1, batch_size=64)
    with pytest.warns(UserWarning, match="validation rows the model forecasts 'load' worse "
                      "than the seasonal_naive baseline"):
        model.fit(frame, target="load", time="t")  # one epoch cannot match an exact cycle
    scores = model.validation_scores_.set_index("model")["rmse"]
    assert scores["seasonal_naive"] < 1e-9 < scores["lstmcast"]


def test_inspect_says_what_was_chosen_and_why(tmp_path):
    from helpers import run_cli

    t = pd.date_range("2024-01-01", periods=48 * 30, freq="30min")
    data = tmp_path / "load.csv"
    pd.DataFrame({"t": t.strftime("%Y-%m-%d %H:%M"),
                  "load": np.sin(2 * np.pi * np.arange(len(t)) / 48)}).to_csv(data, index=False)
    shown = run_cli("inspect", data, "--target", "load", "--time", "t")
    assert shown.returncode == 0, shown.stderr
    assert "season: 48 (a day, from the frequency (every 30 minutes))" in shown.stdout
    assert "window: 96 rows (chosen: 96 rows: 2 seasons of 48)" in shown.stdout
    assert ("forecast: the two that score best on the validation rows, each weighted by the "
            "inverse of its mean squared error there" in shown.stdout)
    off = run_cli("inspect", data, "--target", "load", "--time", "t", "--blend", "none")
    assert "forecast: the networks alone" in off.stdout
    found = run_cli("inspect", data, "--target", "load")  # no --time: the table's dates
    assert ("Column 't' holds the table's dates: read as the time column, as --time t reads "
            "it") in found.stderr
    assert "season: 48 (a day, from the frequency (every 30 minutes))" in found.stdout
    rows_only = tmp_path / "load_rows.csv"  # no time column at all: rows in file order
    pd.read_csv(data)[["load"]].to_csv(rows_only, index=False)
    bare = run_cli("inspect", rows_only, "--target", "load")
    assert ("season: 48 (found in the rows: their changes repeat every 48 rows, "
            "autocorrelation 0.95; no time column was given): the seasonal naive baseline is "
            "scored beside the model; rows are taken in file order") in bare.stdout
    walk = tmp_path / "walk.csv"
    pd.DataFrame({"load": np.cumsum(np.random.default_rng(0).normal(size=500))}).to_csv(
        walk, index=False)
    plain = run_cli("inspect", walk, "--target", "load")
    assert ("season: none (no time column was given, and the rows show no cycle that "
            "repeats: rows are taken in file order; give --time, or --season N") in plain.stdout


def test_a_day_found_in_rows_without_a_calendar_gets_the_sub_daily_window():
    """A half-hourly load written without its times (a CSV of values only, or a time column
    counting the rows): a season of 48 found in the rows is taken as a day, so the window
    holds two weeks and the networks read two days, as with its dates. A season of 12 found
    the same way is no day; nor is a season of 24 given on daily dates."""
    k = np.arange(48 * 45)
    load = (5 + np.sin(2 * np.pi * k / 48) + 0.4 * (k // 48 % 7 >= 5)
            + np.random.default_rng(0).normal(0, 0.05, len(k)))
    dated = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=len(k), freq="30min"),
                          "load": load})
    with_dates = Forecaster().inspect(dated, target="load", time="t")["window"]
    values_only = Forecaster().inspect(dated[["load"]], target="load")
    counted = Forecaster().inspect(dated.assign(t=k), target="load", time="t")
    assert with_dates[0] == 672 and "taken as a day" not in with_dates[1]
    for facts in (values_only, counted):
        assert facts["season"][0] == 48
        window, why = facts["window"]
        assert window == 672, why
        assert why == ("672 rows: 2 weeks of 336 rows; the networks read its last 96 "
                       "(2 days); the rows have no calendar: a season of 48 is taken as a day")
    given = Forecaster(season=48).inspect(dated[["load"]], target="load")["window"]
    assert given[0] == 672
    monthly = 10 + np.sin(2 * np.pi * np.arange(400) / 12)
    facts = Forecaster().inspect(pd.DataFrame({"y": monthly}), target="y")
    assert facts["season"][0] == 12 and facts["window"][0] == 30
    days = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=2000, freq="D"),
                         "y": np.sin(2 * np.pi * np.arange(2000) / 24)})
    assert Forecaster(season=24).inspect(days, target="y", time="t")["window"][0] == 48


@pytest.mark.parametrize(("given", "group", "autoregressive", "validation_by", "used", "why"), [
    ("auto", "store", True, "time", "series", "each series by its own training rows"),
    ("auto", None, True, "time", "global", "one series"),
    ("auto", "unit", False, "time", "global", "the target's past is not an input"),
    ("auto", "unit", True, "series", "global", "whole series are held out for validation"),
    ("global", "store", True, "time", "global", "given"),
    ("series", None, True, "time", "series", "given"),
    ("condition", "unit", False, "series", "condition", "given"),
])
def test_the_scaling_rule(given, group, autoregressive, validation_by, used, why):
    chosen, reason = choose_scaling(given, group, autoregressive, validation_by)
    assert chosen == used and why in reason


def stores_csv(path, days=120):
    """Three stores whose daily sales differ tenfold in level, dates written as text."""
    rng = np.random.default_rng(0)
    t = pd.date_range("2024-01-01", periods=days, freq="D")
    frames = [pd.DataFrame({"day": t.strftime("%d/%m/%Y"), "store": name,
                            "sales": level * (1 + 0.2 * np.sin(2 * np.pi * np.arange(days) / 7))
                            + rng.normal(0, level / 20, days)})
              for name, level in (("north", 10.0), ("south", 100.0), ("east", 1000.0))]
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_several_series_are_scaled_each_by_its_own_rows_and_train_says_so(tmp_path):
    """As a user: a CSV of three stores, nothing but the columns named. inspect and train say
    each store is scaled by its own rows, the run records it, and the forecasts are those of
    ``scale_by="series"`` given (the same settings otherwise); the file is left as it was."""
    from helpers import run_cli

    data = stores_csv(tmp_path / "stores.csv")
    before = data.read_bytes()
    args = ["--target", "sales", "--time", "day", "--group", "store", "--steps", "7"]
    shown = run_cli("inspect", data, *args)
    assert shown.returncode == 0, shown.stderr
    assert ("scaling: per series (chosen: each series by its own training rows, as the model "
            "reads each series' past on its own)") in shown.stdout
    named = run_cli("inspect", data, *args, "--scale-by", "auto")  # the default, given
    assert named.returncode == 0, named.stderr
    assert "scaling: per series (chosen: each series" in named.stdout
    fast = ["--epochs", "2", "--units", "4", "--seed", "0"]
    runs = {}
    for name, extra in (("auto", []), ("series", ["--scale-by", "series"])):
        done = run_cli("train", data, *args, *fast, *extra, "--out", tmp_path / name)
        assert done.returncode == 0, done.stderr
        runs[name] = done
    assert ("Scaling: each series by its own training rows, as the model reads each series' "
            "past on its own (--scale-by global scales them together).") in runs["auto"].stdout
    assert "Scaling:" not in runs["series"].stdout  # given: nothing was chosen
    metrics = json.loads((tmp_path / "auto" / "metrics.json").read_text())
    assert metrics["scale_by"]["value"] == "series"
    auto, series = (pd.read_csv(tmp_path / n / "predictions.csv") for n in ("auto", "series"))
    pd.testing.assert_frame_equal(auto, series)
    assert data.read_bytes() == before


def test_one_series_and_remaining_useful_life_keep_one_scaler():
    t = np.arange(200)
    one = pd.DataFrame({"t": t, "y": np.sin(t / 5) + t / 50})
    fc = Forecaster(units=(4,), epochs=1)
    assert fc.inspect(one, target="y", time="t")["scaling"] == ("global", "one series")
    engines = pd.DataFrame({"unit": np.repeat([1, 2, 3, 4, 5], 40), "cycle": np.tile(t[:40], 5),
                            "s1": np.tile(np.linspace(0, 1, 40), 5),
                            "rul": np.tile(np.arange(40)[::-1], 5).astype(float)})
    rul = Forecaster(units=(4,), epochs=1, horizon=0, window=5, validation_by="series")
    used, why = rul.inspect(engines, target="rul", features=["s1"], group="unit",
                            time="cycle")["scaling"]
    assert used == "global" and "the target's past is not an input" in why


@pytest.mark.parametrize(("season", "series", "expected", "words"), [
    # 54 rows, 43 train (20% validation): half of them (43 - 1 - 6 + 1) // 2 = 18 alone;
    # with other series, two seasons of 12 (the shortest keeps 37 - 24 + 1 = 14 windows)
    (12, 1, 18, "half of the 43 rows the shortest series trains on"),
    (12, 5, 24, "24 rows: 2 seasons of 12; the shortest series (54 rows) trains on 14 of its"
                " windows, the other series on more"),
    (None, 5, 9, "a sixth of the shortest series (54 rows)"),  # no season: as before
    (24, 5, 18, "half of the 43 rows"),  # two seasons (48) leave the shortest no window
])
def test_one_short_series_among_several_keeps_two_seasons_where_it_holds_one_window(
        season, series, expected, words):
    window, why = choose_window(season, 54, horizon=1, steps=6, validation=0.2,
                                series=series)
    assert window == expected and words in why


def test_a_short_series_among_long_ones_trains_and_is_forecast_with_two_seasons():
    """Monthly series of 120 rows and one of 40 (a store opened later): the window sees two
    years, and the short series is forecast too."""
    rng = np.random.default_rng(0)
    frames = []
    for store, rows in (("a", 120), ("b", 120), ("c", 40)):
        t = pd.date_range("2010-01-01", periods=120, freq="MS")[-rows:]
        k = np.arange(120)[-rows:]
        frames.append(pd.DataFrame({"store": store, "month": t.strftime("%Y-%m"),
                                    "sales": 50 + 10 * np.sin(2 * np.pi * k / 12)
                                    + rng.normal(0, 1, rows)}))
    frame = pd.concat(frames)
    fc = Forecaster(units=(4,), epochs=1).fit(frame, "sales", group="store", time="month")
    assert fc.window_ == 24 and "the shortest series (40 rows)" in fc.window_choice_
    assert sorted(fc.predict(frame)["store"]) == ["a", "b", "c"]


def test_a_near_tie_with_the_last_value_gets_random_walk_advice():
    from lstmcast.forecast.evaluation import what_to_try

    assert what_to_try("naive", 1.0017).startswith(
        "That is within 2% of the naive forecast (the last value): on a series that moves "
        "like a random walk")
    assert what_to_try("naive", 1.05).startswith("Try a longer window")
    assert what_to_try("seasonal_naive", 1.001).startswith("Try a longer window")


def test_a_pair_of_cheap_forecasts_losing_to_one_of_them_gets_no_advice_to_train_longer():
    """Quarterly changes in consumption: the forecast chosen is 0.57 x the training mean +
    0.43 x the window's mean, and on the validation rows the pair is worse than the training
    mean alone. More epochs or a longer window change nothing there; say what does."""
    from lstmcast.forecast.ensemble import Ensemble
    from lstmcast.forecast.evaluation import what_to_try

    pair = Ensemble([], {"train_mean": object(), "window_mean": object()},
                    {"train_mean": 0.57, "window_mean": 0.43})
    advice = what_to_try("train_mean", 1.04, pair)
    assert advice.startswith("The forecast (0.57 x the training mean + 0.43 x the window's "
                             "mean) is the two that scored best there")
    assert "worse than the train_mean forecast alone" in advice and "epochs" not in advice
    networks = Ensemble([], {"linear_map": object()}, {"networks": 0.5, "linear_map": 0.5})
    assert what_to_try("train_mean", 1.04, networks).startswith("Try a longer window")
    assert what_to_try("naive", 1.001, pair).startswith("That is within 2% of the naive")
