"""lstmcast.tables.time_steps: each series' step, the table's, another frequency refused, and
missing time steps refused, kept or filled by the ``missing`` policy.

The functions are driven with a bare ``TablePipeline`` (no training, no torch). Expected
steps, counts and messages are written out by hand.
"""


import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.io import DataError
from lstmcast.tables.pipeline import TablePipeline
from lstmcast.tables.roles import Roles
from lstmcast.tables.time_steps import (
    check_step,
    choose_step,
    learn_step,
    series_steps,
    time_steps,
)


def pipeline(group="id", static=(), missing="error", step=None):
    roles = Roles(target=["y"], group=group, time="t", static=list(static))
    out = TablePipeline(roles, window=3, horizon=1, steps=1, missing=missing)
    out.time_["step"] = step
    return out


def panel(spec):
    """A frame sorted by series then time: {series id: times}."""
    parts = [pd.DataFrame({"id": sid, "t": pd.DatetimeIndex(times)})
             for sid, times in spec.items()]
    frame = pd.concat(parts, ignore_index=True)
    frame["y"] = np.arange(len(frame), dtype=float)
    return frame


HOURLY = {"kind": "datetime", "freq": "h"}
DAILY = {"kind": "datetime", "freq": "D"}


def test_each_series_has_its_own_step():
    frame = panel({
        "a": pd.date_range("2024-01-01", periods=5, freq="h"),
        "b": pd.date_range("2024-01-01", periods=5, freq="D"),
        # 7 h then 29 h apart: no step divides both and is the most common
        "c": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 07:00", "2024-01-02 12:00"]),
        "d": pd.to_datetime(["2024-01-01"]),
    })
    assert series_steps(pipeline(), frame) == {"a": HOURLY, "b": DAILY, "c": None, "d": None}
    one = pipeline(group=None)
    assert series_steps(one, frame.iloc[:5]) == {None: HOURLY}


def test_the_most_common_step_is_the_tables_and_the_others_are_irregular():
    frame = panel({
        "a": pd.date_range("2024-01-01", periods=5, freq="h"),
        "b": pd.date_range("2024-02-01", periods=5, freq="h"),
        "c": pd.date_range("2024-01-01", periods=5, freq="2h"),  # on the hourly grid: gaps
        "d": pd.date_range("2024-01-01", periods=5, freq="7min"),  # off it
        "e": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 07:00", "2024-01-02 12:00"]),
    })
    p = pipeline()
    learn_step(p, frame)
    assert p.step == HOURLY
    # the 2-hourly series lies on the grid, and a series with no step of its own is not
    # counted here: only the one at another frequency is irregular
    assert p.time_["irregular"] == ["d"]


def test_with_no_step_in_any_series_every_series_is_irregular_at_most_twenty_named():
    steps = {f"s{k}": None for k in range(25)}
    p = pipeline()
    choose_step(p, steps)
    assert p.step is None
    assert p.time_["irregular"] == [f"s{k}" for k in range(20)]


def test_choose_step_names_series_ids_as_text():
    p = pipeline()
    choose_step(p, {1: DAILY, 2: DAILY, 3: HOURLY})
    assert p.step == DAILY and p.time_["irregular"] == ["3"]


# -- a table at another frequency ------------------------------------------------------------
def test_a_table_at_another_frequency_is_refused_by_name():
    hourly = panel({"a": pd.date_range("2024-01-01", periods=30, freq="h")})
    with pytest.raises(DataError, match=r"The time column 't' is hourly here, but the model "
                       r"was trained on daily data: its forecasts would be for the wrong "
                       r"times"):
        check_step(pipeline(step=DAILY), hourly)


@pytest.mark.parametrize("times", [
    pd.date_range("2024-01-01", periods=10, freq="D"),  # the model's own
    pd.date_range("2024-01-01", periods=10, freq="W-MON"),  # a multiple: gaps, not refused
    pd.to_datetime(["2024-01-01 00:00", "2024-01-04 00:00", "2024-01-05 07:00"]),  # irregular
])
def test_tables_at_the_models_frequency_or_a_multiple_pass(times):
    check_step(pipeline(step=DAILY), panel({"a": times}))  # no error


# -- missing time steps ------------------------------------------------------------------------
def gapped():
    return panel({
        "a": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]),
        "b": pd.to_datetime(["2024-01-01", "2024-01-04"]),
        "c": pd.date_range("2024-01-01", periods=3, freq="D"),
    })


def test_missing_steps_are_refused_by_default_with_where_the_first_is():
    with pytest.raises(DataError, match=r"^3 missing time steps \(daily\) in 2 series; the "
                       r"first in series 'a', between 2024-01-02 and 2024-01-04\. Fill them "
                       r"with missing='ffill' or missing='interpolate'"):
        time_steps(pipeline(step=DAILY), gapped(), [])


def test_missing_steps_in_one_series_name_the_series_not_an_id():
    frame = gapped().query("id == 'a'").drop(columns="id").reset_index(drop=True)
    with pytest.raises(DataError, match=r"1 missing time steps \(daily\) in 1 series; the "
                       r"first in the series, between 2024-01-02 and 2024-01-04"):
        time_steps(pipeline(group=None, step=DAILY), frame, [])


def test_missing_steps_kept_with_a_warning_under_drop():
    frame, notes = gapped(), []
    with pytest.warns(UserWarning, match=r"3 missing time steps .*left as they are "
                      r"\(missing='drop'\), so windows span them"):
        out = time_steps(pipeline(step=DAILY, missing="drop"), frame, notes)
    pd.testing.assert_frame_equal(out, gapped())
    assert notes == ["3 missing time steps left as they are"]


@pytest.mark.parametrize("missing", ["ffill", "interpolate", "zero"])
def test_missing_steps_added_under_ffill_interpolate_or_zero(missing):
    frame = gapped()
    frame["size"] = frame["id"].map({"a": 10.0, "b": 20.0, "c": 30.0})
    notes = []
    out = time_steps(pipeline(static=["size"], step=DAILY, missing=missing), frame, notes)
    assert notes == [f"3 missing time steps added and filled ({missing})"]
    days = pd.date_range("2024-01-01", periods=5, freq="D")
    assert list(out["t"]) == [*days, *days[:4], *days[:3]]
    assert out["id"].tolist() == ["a"] * 5 + ["b"] * 4 + ["c"] * 3
    assert out["size"].tolist() == [10.0] * 5 + [20.0] * 4 + [30.0] * 3  # carried
    # the new rows' values are left missing here, for the missing-value policy
    assert np.flatnonzero(out["y"].isna().to_numpy()).tolist() == [2, 6, 7]
    assert out["y"].iloc[[0, 1, 3, 4]].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_table_without_gaps_is_left_alone():
    frame = gapped().query("id == 'c'").reset_index(drop=True)
    notes = []
    out = time_steps(pipeline(step=DAILY), frame, notes)
    assert out is frame and notes == []


BUSINESS = {"kind": "datetime", "freq": "B"}


def trading_days(absent):
    """A year of business days without the ``absent`` ones (dates as text)."""
    days = pd.bdate_range("2023-01-02", "2023-12-29")
    return days[~days.isin(pd.DatetimeIndex(absent))]


US_HOLIDAYS = ["2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
               "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25"]


def test_market_holidays_in_business_days_are_trading_days_not_gaps():
    frame, notes = panel({"spx": trading_days(US_HOLIDAYS),
                          "ftse": trading_days(["2023-04-07", "2023-04-10", "2023-05-01",
                                                "2023-12-25", "2023-12-26"])}), []
    out = time_steps(pipeline(step=BUSINESS), frame, notes)
    assert out is frame  # no row added: the rows are the trading days
    assert notes == ["14 business days absent in 2 series, each at most 3 in a row (market "
                     "holidays): rows are taken as consecutive trading days (missing='ffill' "
                     "adds the days)"]
    notes = []
    filled = time_steps(pipeline(step=BUSINESS, missing="ffill"), frame, notes)
    assert len(filled) == len(frame) + 14 and notes == [
        "14 missing time steps added and filled (ffill)"]


@pytest.mark.parametrize(("absent", "why"), [
    (pd.bdate_range("2023-03-06", periods=4).strftime("%Y-%m-%d"), "four days in a row"),
    (pd.bdate_range("2023-01-02", "2023-12-29")[5::11].strftime("%Y-%m-%d"), "9% of days"),
])
def test_business_day_gaps_that_are_not_holidays_are_refused(absent, why):
    frame = panel({"spx": trading_days(list(absent))})
    with pytest.raises(DataError, match=r"missing time steps \(business days\) in 1 series"):
        time_steps(pipeline(step=BUSINESS), frame, [])


def test_the_command_line_says_the_note_in_its_own_flags(tmp_path):
    from helpers import run_cli

    days = trading_days(US_HOLIDAYS)
    data = tmp_path / "spx.csv"
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"),
                  "Close": 100 + np.arange(len(days)) * 0.1}).to_csv(data, index=False)
    shown = run_cli("inspect", data, "--target", "Close", "--time", "Date")  # training rows
    assert shown.returncode == 0, shown.stderr
    assert ("note: 7 business days absent in 1 series, each at most 3 in a row (market "
            "holidays): rows are taken as consecutive trading days (--missing ffill adds the "
            "days)") in shown.stdout


def test_single_missing_days_of_a_daily_table_are_still_refused():
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    frame = panel({"shop": days[~days.isin(pd.DatetimeIndex(["2023-12-25"]))]})
    with pytest.raises(DataError, match=r"^1 missing time steps \(daily\)"):
        time_steps(pipeline(step=DAILY), frame, [])


def local_clock(start, end, freq="h", zone="America/Los_Angeles"):
    """A local clock without its zone: the hour summer time skips is absent, the hour it
    repeats appears twice."""
    return pd.date_range(start, end, freq=freq, tz=zone).tz_localize(None)


@pytest.mark.parametrize(("freq", "absent"), [("h", 1), ("30min", 2), ("15min", 4)])
def test_the_hour_summer_time_skips_is_no_gap(freq, absent):
    times = local_clock("2010-01-01", "2010-10-31", freq)  # before the autumn's repeated hour
    frame, notes = panel({"site": times}), []
    out = time_steps(pipeline(step={"kind": "datetime", "freq": freq}), frame, notes)
    assert out is frame and notes == [
        f"{absent} time steps absent in 1 series, each the hour a local clock skips for "
        "summer time (the first 2010-03-14 02:00:00): rows are taken as consecutive, as the "
        "hours passed (missing='interpolate' adds them)"]


@pytest.mark.parametrize("absent", [["2010-03-14 05:00"], ["2010-06-13 02:00"],
                                    ["2010-03-14 02:00", "2010-03-14 03:00"],
                                    ["2010-03-14 02:00", "2010-03-21 02:00"]],
                         ids=["morning", "june", "two hours", "twice a month"])
def test_other_missing_hours_are_refused(absent):
    times = pd.date_range("2010-01-01", "2010-10-31", freq="h")
    frame = panel({"site": times[~times.isin(pd.DatetimeIndex(absent))]})
    with pytest.raises(DataError, match=r"missing time steps \(hourly\) in 1 series"):
        time_steps(pipeline(step=HOURLY), frame, [])


def test_the_error_names_the_first_gap_that_is_not_the_hour_summer_time_skips():
    clock = local_clock("2010-01-01", "2010-10-31")  # each misses 2010-03-14 02:00
    broken = clock[clock != pd.Timestamp("2010-05-05 10:00")]
    frame = panel({"a": clock, "b": clock, "c": broken})
    with pytest.raises(DataError) as raised:
        time_steps(pipeline(step=HOURLY), frame, [])
    assert str(raised.value).startswith(
        "4 missing time steps (hourly) in 3 series; the first in series 'c', between "
        "2010-05-05 09:00:00 and 2010-05-05 11:00:00 (the series before it that miss steps "
        "miss only the hour summer time skips). Fill them")
    alone = panel({"c": broken})  # one series: its first gap that summer time does not explain
    with pytest.raises(DataError, match=r"^2 missing time steps \(hourly\) in 1 series; the "
                       r"first in series 'c', between 2010-05-05 09:00:00 and 2010-05-05 "
                       r"11:00:00\. Fill"):
        time_steps(pipeline(step=HOURLY), alone, [])
    # two hours absent where the clock changes are no summer-time hour: they come first
    hours = pd.date_range("2010-01-01", "2010-10-31", freq="h")
    two = hours[~hours.isin(pd.DatetimeIndex(["2010-03-14 02:00", "2010-03-14 03:00",
                                               "2010-05-05 10:00"]))]
    with pytest.raises(DataError, match=r"the first in series 'e', between 2010-03-14 "
                       r"01:00:00 and 2010-03-14 04:00:00\. Fill"):
        time_steps(pipeline(step=HOURLY), panel({"e": two}), [])
    plain = pd.date_range("2010-01-01", "2010-10-31", freq="h")  # no clock change: as before
    gaps = plain[~plain.isin(pd.DatetimeIndex(["2010-02-02 02:00", "2010-03-14 02:00"]))]
    with pytest.raises(DataError, match=r"between 2010-02-02 01:00:00 and 2010-02-02 03:00"):
        time_steps(pipeline(step=HOURLY), panel({"d": gaps}), [])


def test_the_hour_summer_time_repeats_is_refused_before_training_with_a_hint(tmp_path):
    from helpers import one_line_error, run_cli

    times = local_clock("2010-07-01", "2010-11-20")  # the repeat in the last 20%
    data = tmp_path / "temps.csv"
    pd.DataFrame({"date": times.strftime("%Y/%m/%d %H:%M:%S"),
                  "temp": np.sin(np.arange(len(times)) / 4.0)}).to_csv(data, index=False)
    result = run_cli("train", data, "--target", "temp", "--time", "date", "--epochs", "1",
                     "--out", tmp_path / "run")
    one_line_error(result, "Time 2010-11-07 01:00:00 appears more than once",
                   "the hour a local clock repeats when summer time ends")
    assert "Epoch" not in result.stdout  # refused before training: the repeat is in the
    assert not (tmp_path / "run").exists()  # rows held out for the test


def test_absent_years_of_counts_are_zeros_with_missing_zero(tmp_path):
    """Event counts where a year without events has no row (as disaster tables are
    written): refused with the three ways to fill them named; with --missing zero the
    absent years are added, their counts 0 and scored so, their input (the population)
    carried from the year before; the file is left as it was."""
    from helpers import FAST, run_cli

    years = [y for y in range(1950, 2010) if y % 7 != 3]  # 1952, 1959, ... absent
    counts = [(y * 37) % 11 + 1 for y in years]
    path = tmp_path / "events.csv"
    pd.DataFrame({"year": years, "events": counts, "population": [y - 1900.0 for y in years]}
                 ).to_csv(path, index=False)  # an input: carried into the absent years
    written = path.read_bytes()
    refused = run_cli("train", path, "--target", "events", "--time", "year", *FAST,
                      "--out", tmp_path / "no")
    assert refused.returncode == 1 and "--missing zero where a row is absent" in refused.stderr
    done = run_cli("train", path, "--target", "events", "--time", "year", *FAST,
                   "--missing", "zero", "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    predictions = pd.read_csv(tmp_path / "r" / "predictions.csv")
    truth = dict(zip(years, counts))
    assert predictions["actual"].tolist() == [float(truth.get(y, 0)) for y in
                                              predictions["year"]]
    assert 0.0 in predictions["actual"].tolist()  # an absent year among the scored
    assert path.read_bytes() == written
    from lstmcast import Forecaster

    model = Forecaster.load(tmp_path / "r" / "forecaster.lstmcast")
    rows = model.pipeline_.prepare(pd.read_csv(path))
    absent = rows[~rows["year"].isin(years)]
    assert (absent["events"] == 0).all() and len(absent) == 60 - len(years)
    assert (absent["population"] == absent["year"] - 1901).all()  # the year before's
