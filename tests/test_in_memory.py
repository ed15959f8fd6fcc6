"""Series as pandas and numpy hold them: a Series, an array, a list; an index of dates."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import DataError, InvalidArgumentError, InvalidTypeError
from lstmcast.forecast.forecaster import Forecaster
from lstmcast.tables import in_memory

SMALL = {"units": (8,), "dropout": 0.0, "epochs": 2, "batch_size": 64, "steps": 3,
         "verbose": 0, "seed": 0}


def monthly(rows=72):
    """A monthly series with a yearly season, and its first dates."""
    t = np.arange(rows)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(
        0, 1, rows)
    return values, pd.date_range("2000-01-01", periods=rows, freq="MS")


def test_a_series_dated_by_its_index_is_read_as_its_time_column_holds_it():
    """The index's dates are the time (a season from the calendar, forecasts dated), and the
    forecasts are those of the same table with the dates in a column named as the time.
    Before, a Series was refused and a DataFrame's index of dates was dropped."""
    values, dates = monthly()
    reference = Forecaster(**SMALL).fit(pd.DataFrame({"time": dates, "sales": values}),
                                        target="sales", time="time")
    fc = Forecaster(**SMALL).fit(pd.Series(values, index=dates, name="sales"))
    assert fc.pipeline_.roles.time == "time" and fc.pipeline_.roles.target == ["sales"]
    assert fc.season_choice(fc.pipeline_)[0] == 12  # from the calendar, not from the rows
    got = fc.predict(pd.Series(values, index=dates, name="sales"))
    want = reference.predict(pd.DataFrame({"time": dates, "sales": values}))
    assert list(got["time"]) == list(pd.date_range("2006-01-01", periods=3, freq="MS"))
    np.testing.assert_allclose(got["sales"], want["sales"], rtol=1e-6)


def test_an_index_of_dates_out_of_order_is_sorted_as_a_time_column():
    """Rows shuffled under a DatetimeIndex give the forecasts of the rows in order (before,
    the index was dropped and the rows trained in their shuffled order)."""
    values, dates = monthly()
    frame = pd.DataFrame({"sales": values}, index=dates.rename("month"))
    ordered = Forecaster(**SMALL).fit(frame, target="sales").predict(frame)
    shuffled = frame.sample(frac=1.0, random_state=0)
    fc = Forecaster(**SMALL).fit(shuffled, target="sales")
    assert fc.pipeline_.roles.time == "month"
    np.testing.assert_allclose(fc.predict(shuffled)["sales"], ordered["sales"], rtol=1e-6)


def test_a_quarterly_period_index_has_the_season_of_quarters():
    values, _ = monthly(60)
    series = pd.Series(values, index=pd.period_range("1990Q1", periods=60, freq="Q"))
    fc = Forecaster(**SMALL).fit(series)
    assert fc.pipeline_.roles.target == [in_memory.VALUES]
    assert fc.season_choice(fc.pipeline_)[0] == 4
    assert fc.predict(series)["time"].iloc[0] == pd.Timestamp("2005-01-01")


@pytest.mark.parametrize("kind", [np.asarray, list, pd.Series])
def test_values_without_names_are_one_column_forecast_without_naming_it(kind):
    values, _ = monthly()
    reference = Forecaster(**SMALL).fit(pd.DataFrame({"y": values}), target="y")
    fc = Forecaster(**SMALL).fit(kind(values))
    assert fc.pipeline_.roles.target == ["y"] and fc.pipeline_.roles.time is None
    np.testing.assert_allclose(fc.predict(kind(values))["y"],
                               reference.predict(pd.DataFrame({"y": values}))["y"], rtol=1e-6)


def test_a_named_index_is_the_time_or_the_group_where_it_is_named_so():
    values, dates = monthly()
    yearly = pd.DataFrame({"year": 1900 + np.arange(72), "level": values})
    reference = Forecaster(**SMALL).fit(yearly, target="level", time="year").predict(yearly)
    indexed = yearly.set_index("year")
    got = Forecaster(**SMALL).fit(indexed, target="level", time="year").predict(indexed)
    assert list(got["year"]) == [1972, 1973, 1974]
    np.testing.assert_allclose(got["level"], reference["level"], rtol=1e-6)
    # years in an index named for them are the time without naming it, as in a file
    alone = Forecaster(**SMALL).fit(indexed.sample(frac=1.0, random_state=0))
    assert alone.pipeline_.roles.time == "year"
    np.testing.assert_allclose(alone.predict(indexed)["level"], reference["level"], rtol=1e-6)
    assert in_memory.time_of(yearly.set_index("level"), None) is None  # not named for years
    long = pd.concat({"a": pd.Series(values, index=dates), "b": pd.Series(2 * values,
                                                                          index=dates)},
                     names=["store", "date"]).rename("sales")
    fc = Forecaster(**SMALL).fit(long, group="store")
    assert (fc.pipeline_.roles.group, fc.pipeline_.roles.time) == ("store", "date")
    assert list(fc.predict(long)["store"]) == ["a"] * 3 + ["b"] * 3


def test_an_index_of_dates_beside_the_time_column_given_is_no_input():
    values, dates = monthly()
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "sales": values}, index=dates)
    fc = Forecaster(**SMALL).fit(frame, target="sales", time="date")
    assert fc.pipeline_.roles.time == "date" and fc.pipeline_.roles.features == []


def test_what_cannot_be_read_as_a_series_is_refused_saying_why():
    with pytest.raises(InvalidTypeError, match=r"shape \(5, 2\): its columns have no names"):
        Forecaster(**SMALL).fit(np.ones((5, 2)))
    with pytest.raises(InvalidTypeError, match="series of numbers, got a list"):
        Forecaster(**SMALL).fit(["a", "b", "c"])
    with pytest.raises(InvalidTypeError, match="got dict"):
        Forecaster(**SMALL).fit({"y": [1, 2]})
    two = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0)})
    with pytest.raises(InvalidArgumentError, match=r"target= is required .*one of 'a', 'b' "
                       r"\(or several, as a list, forecast together\)"):
        Forecaster(**SMALL).fit(two)


def test_time_of_and_with_levels():
    dates = pd.date_range("2020-01-01", periods=4, freq="D")
    assert in_memory.time_of(pd.Series([1.0] * 4, index=dates), None) == "time"
    assert in_memory.time_of(pd.Series([1.0] * 4, index=dates), "other") == "other"
    assert in_memory.time_of(pd.DataFrame({"x": range(4)}), None) is None
    # a column already named as the index: the column is the time, the index is left
    assert in_memory.time_of(pd.DataFrame({"time": range(4)}, index=dates), None) is None
    frame = pd.DataFrame({"x": range(4)}, index=pd.Index([5, 6, 7, 8], name="k"))
    assert in_memory.with_levels(frame, ["other"]) is frame
    assert list(in_memory.with_levels(frame, ["k"]).columns) == ["k", "x"]


def test_tune_and_backtest_take_a_series_dated_by_its_index():
    values, dates = monthly(96)
    series = pd.Series(values, index=dates, name="sales")
    found = Forecaster.tune(series, budget=60, trials=2, units=(4,), epochs=2, steps=3,
                            verbose=0)
    assert found.forecaster.pipeline_.roles.time == "time"
    assert found.forecaster.predict(series)["time"].iloc[0] == pd.Timestamp("2008-01-01")
    scores = Forecaster(**SMALL).backtest(series, folds=2)
    assert set(scores["fold"]) == {1, 2} and "seasonal_naive" in set(scores["model"])


def test_an_index_of_text_dates_is_the_time_and_other_text_is_not():
    """A loader's labels of the months (``Jan 1980``) read as a text column of them does;
    labels that are not dates leave the rows in their order."""
    values, dates = monthly()
    labelled = pd.Series(values, index=dates.strftime("%b %Y"))
    fc = Forecaster(**SMALL).fit(labelled)
    assert fc.pipeline_.roles.time == "time" and fc.season_choice(fc.pipeline_)[0] == 12
    assert fc.predict(labelled)["time"].iloc[0] == pd.Timestamp("2006-01-01")
    named = pd.Series(values, index=[f"row {i}" for i in range(len(values))])
    assert in_memory.time_of(named, None) is None
    assert Forecaster(**SMALL).fit(named).pipeline_.roles.time is None


def test_a_long_table_indexed_by_series_and_date_without_group_names_the_group():
    """The repeated dates' error names the index level that tells the series apart, in the
    API's words (before: the generic "If another column tells the series apart ...",
    the columns checked being the model's only)."""
    values, dates = monthly()
    long = pd.concat({"a": pd.Series(values, index=dates), "b": pd.Series(2 * values,
                                                                          index=dates)},
                     names=["store", "date"]).rename("sales")
    with pytest.raises(DataError, match=r"appears more than once .*Column 'store' tells the "
                       r"series apart: name it as the group \(group='store'\)\.$"):
        Forecaster(**SMALL).fit(long)
