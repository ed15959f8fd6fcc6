"""lstmcast.forecast.tune.space: what a trial draws per model family, read through optuna's
FixedTrial (a trial whose draws are given), and the defaults' and the preset's first trials."""

import pytest
from optuna.trial import FixedTrial

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import params
from lstmcast.forecast.tune.space import (
    Space,
    comparable,
    loss_name,
    plain,
    preset_settings,
    window_cap,
)

STACKED = {"family": "stacked", "window": 20, "layers": 3, "units": 64, "dropout": 0.1,
           "learning_rate": 0.01, "batch_size": "auto", "loss": "mae", "normalize": "none"}


def space(name="all", fixed=None, segments=(6, 12, 24), cap=60, **kw):
    return Space(name, fixed or {}, (8, 64), segments, cap, **kw)


def test_the_families_left_to_search():
    assert space().families == ("stacked", "segment")
    assert space("stacked").families == ("stacked",)
    assert space(fixed={"segment": 12}).families == ("segment",)  # the user chose
    assert space(fixed={"layers": 2}).families == ("stacked",)
    assert space(segments=()).families == ("stacked",)  # no segment fits the windows
    with pytest.raises(InvalidArgumentError) as info:
        space("segment", segments=(), cap=5)
    assert str(info.value) == (
        "The 'segment' search space has no family left to search: the segment family needs "
        "windows of at least 6 rows (the first fold allows 5), and --segment fixes the "
        "segment family; try --space stacked.")


def test_a_stacked_trial_becomes_forecaster_settings():
    family, settings = space().settings(FixedTrial(STACKED))
    assert family == "stacked"
    assert settings == {"window": 20, "units": (64, 32, 16), "dropout": 0.1,
                        "learning_rate": 0.01, "batch_size": None, "loss": "mae",
                        "normalize": None}  # units halve per layer; "auto" and "none" as None


def test_the_user_s_settings_win_and_are_not_drawn():
    fixed = {"window": 15, "loss": "huber", "batch_size": 32}
    draws = {k: v for k, v in STACKED.items() if k not in ("window", "loss", "batch_size")}
    family, settings = space("stacked", fixed).settings(FixedTrial(draws))  # none asked for
    assert (settings["window"], settings["loss"], settings["batch_size"]) == (15, "huber", 32)
    _, settings = space("stacked", {"quantiles": (0.1, 0.9)}).settings(
        FixedTrial({k: v for k, v in STACKED.items() if k != "loss"}))
    assert "loss" not in settings  # the pinball loss follows from the quantiles: not drawn
    _, settings = space("stacked", {"difference": True}).settings(
        FixedTrial({k: v for k, v in STACKED.items() if k != "normalize"}))
    assert "normalize" not in settings  # forecast from the last value already


def test_a_segment_trial_is_the_preset_with_its_draws():
    draws = {"family": "segment", "segment": 12, "segments": 3, "segment_units": 32,
             "segment_dropout": 0.3, "segment_learning_rate": 0.002, "blend": "none"}
    family, settings = space().settings(FixedTrial(draws))
    preset = params.PRESETS["long-horizon"]
    assert family == "segment"
    assert (settings["segment"], settings["window"], settings["units"]) == (12, 36, (32,))
    assert (settings["dropout"], settings["learning_rate"], settings["blend"]) == (0.3, 0.002,
                                                                                   None)
    for name in ("loss", "scaler", "channels", "normalize", "epochs"):
        assert settings[name] == preset[name]  # the rest from the long-horizon preset
    _, settings = space(cap=24).settings(FixedTrial({**draws, "segments": 4}))
    assert settings["window"] == 24  # at most the cap: 2 segments of 12


def test_the_defaults_first_trial_is_forecaster_s_defaults():
    s = space()
    trial = s.defaults_params(window=100)
    assert trial["window"] == 64  # clamped into the space's windows
    _, settings = s.settings(FixedTrial(trial))
    assert settings == {"window": 64, "units": (100, 50), "dropout": 0.2,
                        "learning_rate": 0.001, "batch_size": None, "loss": "mse",
                        "normalize": "auto"}
    assert space(fixed={"segment": 12}).defaults_params(30) is None  # no stacked family


def test_the_preset_s_first_trial_is_the_preset():
    s = space(cap=100)
    _, settings = s.settings(FixedTrial(s.preset_params("long-horizon", 72)))
    preset = params.PRESETS["long-horizon"]
    assert settings["window"] == 72
    for name in ("segment", "units", "dropout", "learning_rate", "blend", "channels"):
        assert settings[name] == preset[name], name
    assert space(segments=(6, 12)).preset_params("long-horizon", 72) is None  # 24 not drawn
    assert space("stacked").preset_params("long-horizon", 72) is None
    assert s.preset_params("long-horizon", None) is None
    _, settings = space(cap=60).settings(FixedTrial(s.preset_params("long-horizon", 72)))
    assert settings["window"] == 48  # the cap, 60, leaves two segments of 24


def test_preset_settings_under_the_user_s():
    settings = preset_settings("long-horizon", {"window": 36})
    assert settings["segment"] == 18  # divides the window, leaving two segments
    settings = preset_settings("long-horizon", {"difference": True})
    assert "normalize" not in settings and settings["channels"] == "independent"
    settings = preset_settings("long-horizon", {}, autoregressive=False)
    assert "normalize" not in settings and "channels" not in settings


def test_window_cap_loss_name_comparable_and_plain():
    assert window_cap(100, {}) == 39  # int(100 * 0.8) = 80: (80 - 1 - 1 + 1) // 2
    assert window_cap(100, {"early_stopping": False}) == 49  # nothing held out
    assert window_cap(100, {"early_stopping": False, "lr_patience": 3}) == 39
    assert window_cap(100, {"horizon": 5, "steps": 10, "validation": 0.5}) == 18
    assert window_cap(3, {}) == 2
    assert loss_name({}) == "mse" and loss_name({"quantiles": (0.5,)}) == "pinball"
    assert loss_name({"loss": "mae", "quantiles": (0.5,)}) == "mae"
    assert comparable("stacked", {}) == "stacked/mse/minmax/level/log None"
    assert comparable("segment", {"loss": "mae", "scaler": "standard", "normalize": "mean"}
                      ) == "segment/mae/standard/mean/log None"
    assert comparable("stacked", {"log": True}) == "stacked/mse/minmax/level/log True"
    assert plain((1, 2)) == [1, 2] and plain("x") == "x"


def test_describe():
    assert space().describe() == {"space": "all", "families": ["stacked", "segment"],
                                  "windows": [8, 64], "segments": [6, 12, 24]}


def test_the_scale_is_drawn_where_the_table_allows_the_log():
    for drawn, log in (("auto", None), ("off", False), ("on", True)):
        _, settings = space("stacked", logs=True).settings(FixedTrial({**STACKED, "log": drawn}))
        assert settings["log"] is log
    _, settings = space("stacked").settings(FixedTrial(STACKED))  # a target reaches 0
    assert "log" not in settings
    for fixed in ({"log": False}, {"difference": True}):
        _, settings = space("stacked", fixed, logs=True).settings(FixedTrial(STACKED))
        assert settings.get("log") is fixed.get("log")  # given, or not with differences
    assert space("stacked", logs=True).defaults_params(30)["log"] == "auto"
    assert "log" not in space("stacked").defaults_params(30)
