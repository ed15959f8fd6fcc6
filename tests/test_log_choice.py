"""lstmcast.forecast.log_choice: the targets' log chosen on time-ordered folds of the
training rows."""

import re

import numpy as np
import pandas as pd

from lstmcast import Forecaster
from lstmcast.forecast import log_choice


def monthly(values) -> pd.DataFrame:
    months = pd.date_range("2000-01-01", periods=len(values), freq="MS").strftime("%Y-%m")
    return pd.DataFrame({"month": months, "sales": values})


def growing(n=144, seed=0):
    """A seasonal swing that grows with the level (multiplicative)."""
    t = np.arange(n)
    noise = np.exp(np.random.default_rng(seed).normal(0, 0.02, n))
    return 100 * np.exp(0.025 * t) * (1 + 0.4 * np.sin(2 * np.pi * t / 12)) * noise


def steady(n=144, seed=0):
    """The same swing at every level (additive), far from 0."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 5, n)
    return 1000 + 2 * t + 50 * np.sin(2 * np.pi * t / 12) + noise


def inspect(values, **settings):
    return Forecaster(steps=3, **settings).inspect(monthly(values), target="sales",
                                                   time="month")


def test_a_swing_that_grows_with_the_level_is_modelled_as_its_log():
    facts = inspect(growing())
    log, why = facts["log"]
    assert log and facts["log_possible"]
    assert why.startswith("on 3 time-ordered folds of the training rows")
    assert re.search(r"\d+% lower RMSE on the log scale, better on [23] of 3$", why), why
    model = Forecaster(steps=3, epochs=1).fit(monthly(growing()), target="sales",
                                              time="month")
    assert model.pipeline_.log == ["sales"] and model.log_choice_.log


def test_a_steady_swing_and_tables_the_log_cannot_read_stay_as_they_are():
    log, why = inspect(steady())["log"]
    assert not log and why.startswith("on 3 time-ordered folds")
    zero = growing()
    zero[5] = 0.0
    facts = inspect(zero)
    assert facts["log"] == (False, "a target value is 0 or below")
    assert not facts["log_possible"]
    facts = inspect(growing(), difference=True)
    assert facts["log"] == (False, "the targets' past is not read as it is")
    assert inspect(growing(), log=False)["log"] == (False, "given")
    assert inspect(steady(), log=True)["log"] == (True, "given")


def test_each_fold_fits_before_it_scores_and_ends_a_gap_before_the_next():
    segments = [(0, 100), (100, 160)]
    train = np.zeros(160, dtype=bool)
    train[0:80] = True   # 80 training rows of the first series
    train[100:150] = True  # 50 of the second
    folds = log_choice._folds(segments, train, 0.2, steps=2)
    assert len(folds) == log_choice.FOLDS
    gap = max(2, 50 // 10)
    for k, (fit, held) in enumerate(folds):
        assert not (fit & held).any() and not ((fit | held) & ~train).any()
        for (a, _), count in zip(segments, (80, 50)):
            kept = count - (log_choice.FOLDS - 1 - k) * gap
            rows = np.flatnonzero((fit | held)[a:a + count])
            assert rows.tolist() == list(range(kept))  # the first rows, in time order
            held_rows = np.flatnonzero(held[a:a + count])
            assert held_rows.min() > np.flatnonzero(fit[a:a + count]).max()
            assert len(held_rows) == kept - int(kept * 0.8)


def test_a_table_left_as_it_is_trains_as_with_the_log_turned_off():
    # the folds draw no random numbers: the networks start and train as they did before
    table = monthly(steady())
    chosen = Forecaster(steps=3, epochs=2).fit(table, target="sales", time="month")
    off = Forecaster(steps=3, epochs=2, log=False).fit(table, target="sales", time="month")
    assert not chosen.log_choice_.log and chosen.pipeline_.log == []
    np.testing.assert_array_equal(chosen.predict(table)["sales"], off.predict(table)["sales"])


def test_the_command_line_says_the_scale_chosen_and_serves_it(tmp_path):
    from helpers import run_cli

    path = tmp_path / "sales.csv"
    monthly(growing()).round(2).to_csv(path, index=False)
    before = path.read_bytes()
    shown = run_cli("inspect", path, "--target", "sales", "--time", "month", "--steps", "3")
    assert shown.returncode == 0, shown.stderr
    assert "scale: the targets as their log (chosen: on 3 time-ordered folds" in shown.stdout
    done = run_cli("train", path, "--target", "sales", "--time", "month", "--steps", "3",
                   "--epochs", "1", "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    assert "Scale: the targets' log (on 3 time-ordered folds of the training rows" in done.stdout
    assert "--no-log keeps them as they are" in done.stdout
    assert "(RMSE in scaled units of the log: " in done.stdout
    out = run_cli("predict", tmp_path / "run", path, "--out", tmp_path / "forecast.csv")
    assert out.returncode == 0, out.stderr
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert forecast["month"].tolist() == ["2012-01", "2012-02", "2012-03"]
    assert (forecast["sales"] > 0).all()
    assert path.read_bytes() == before
    zero = monthly(growing()).round(2)
    zero.loc[7, "sales"] = 0
    zero.to_csv(path, index=False)
    bad = run_cli("train", path, "--target", "sales", "--time", "month", "--log",
                  "--out", tmp_path / "bad")
    assert bad.returncode != 0 and not (tmp_path / "bad").exists()
    assert bad.stderr.strip().splitlines()[-1] == (
        "lstmcast train: error: Column 'sales' holds 1 value at or below 0 (0 at row 7), but "
        "the model "
        "reads it as its log, which only values above 0 have. Leave out --log for a column "
        "that reaches 0.")


def test_a_zero_in_the_rows_held_out_for_the_test_keeps_the_values_as_they_are(tmp_path):
    # the training rows alone would allow the log; the test's windows could not be read so
    from helpers import run_cli

    table = monthly(growing()).round(2)
    table.loc[140, "sales"] = 0
    path = tmp_path / "sales.csv"
    table.to_csv(path, index=False)
    done = run_cli("train", path, "--target", "sales", "--time", "month", "--steps", "3",
                   "--epochs", "1", "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    assert ("note: the targets are read as they are, not as their log: the rows held out "
            "for the test hold a value at or below 0") in done.stdout
    model = Forecaster.load(tmp_path / "run" / "forecaster.lstmcast")
    assert model.pipeline_.log == [] and model.log is False


def test_a_table_too_large_to_compare_quickly_is_left_as_it_is(monkeypatch):
    monkeypatch.setattr(log_choice, "ROWS", 100)
    facts = inspect(growing())  # 144 rows
    assert facts["log"] == (False, "a table of over 100 rows is not compared on folds "
                                   "(log=True to take the log)")
    assert facts["log_possible"]


def test_a_series_too_short_for_the_first_folds_is_left_out_of_them():
    """Several series scaled each by its own rows, one with a few rows only (its values
    begin late): the first fold holds none of them, so that fold scores the others alone
    (its scalers have no scale for that series) and the choice is still made."""
    years = np.arange(1960, 2010)
    table = pd.concat([
        pd.DataFrame({"year": years, "country": "a", "rate": 6 - 0.05 * (years - 1960)}),
        pd.DataFrame({"year": years[-4:], "country": "b", "rate": [1.4, 1.5, 1.4, 1.6]})])
    facts = Forecaster().inspect(table, target="rate", time="year", group="country")
    log, why = facts["log"]
    assert why.startswith("on 3 time-ordered folds of the training rows"), why
