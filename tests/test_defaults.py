"""Settings chosen from the data: the window (``lstmcast.forecast.defaults``), checked by hand."""

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.forecast.defaults import choose_window


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
])
def test_the_window_rule(season, shortest, segment, expected):
    window, why = choose_window(season, shortest, horizon=1, steps=1, validation=0.2,
                                segment=segment)
    assert window == expected
    assert str(window) in why


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
    assert "forecast: the mean of the two that score best on the validation rows" in shown.stdout
    off = run_cli("inspect", data, "--target", "load", "--time", "t", "--blend", "none")
    assert "forecast: the networks alone" in off.stdout
    bare = run_cli("inspect", data, "--target", "load")  # no time column: rows in file order
    assert "season: none (no time column was given: rows are taken in file order" in bare.stdout
