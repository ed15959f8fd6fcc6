"""lstmcast.tables.frequency: steps inferred from times, named, continued, gaps, seasons.

tests/test_timeline.py already checks the naming and continuation of many calendar steps
(quarters, fiscal years, days of the month, zones); this file adds what it leaves out:
the grid each inferred step names read back by pandas itself (``pd.date_range`` with the
inferred frequency must give the same times), irregular series, the length of a step,
whole multiples, numeric grids, time zones over daylight saving time, gaps in dated
series, every season's reason, and unknown steps refused. Expected values are written
out by hand or come from pandas' own calendar, never from the code under test.
"""


import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.frequency import (
    advance,
    calendar_parts,
    describe,
    fill_gaps,
    find_gaps,
    fixed_length,
    grid,
    infer_step,
    is_multiple,
    period_labels,
    season,
    wall_time,
)
from lstmcast.tables.timeline import TimeError

HOUR_NS = 3_600_000_000_000


def dt(freq, **extra):
    return {"kind": "datetime", "freq": freq, **extra}


def num(step):
    return {"kind": "number", "step": step}


# -- inferred steps, read back by pandas ------------------------------------------------
# (pandas frequency, first time, inferred name, words, season, what the season is)
KNOWN = [
    ("h", "2024-03-29 20:00", "h", "hourly", 24, "a day"),
    ("30min", "2024-02-28 22:00", "30min", "every 30 minutes", 48, "a day"),
    ("15min", "2023-12-31 23:00", "15min", "every 15 minutes", 96, "a day"),
    ("D", "2024-02-25", "D", "daily", 7, "a week"),
    ("B", "2024-02-26", "B", "business days", 5, "a week of business days"),
    ("W-MON", "2024-01-01", "W-MON", "weekly", 52, "a year of weeks"),
    ("W-SUN", "2023-12-03", "W-SUN", "weekly", 52, "a year of weeks"),
    ("MS", "2023-10-01", "MS", "monthly", 12, "a year of months"),
    ("ME", "2023-10-31", "ME", "monthly (on month ends)", 12, "a year of months"),
    ("QS-JAN", "2022-01-01", "QS-JAN", "quarterly", 4, "a year of quarters"),
    ("QE-DEC", "2022-03-31", "QE-DEC", "quarterly (on month ends)", 4, "a year of quarters"),
    ("YS-JAN", "2015-01-01", "YS-JAN", "yearly", None, "yearly rows have no season"),
    ("YE-DEC", "2015-12-31", "YE-DEC", "yearly (on month ends)", None,
     "yearly (on month ends) rows have no season"),
]


@pytest.mark.parametrize(("freq", "start", "name", "words", "period", "why"), KNOWN,
                         ids=[k[0] for k in KNOWN])
def test_pandas_frequencies_are_found_named_and_seasoned(freq, start, name, words, period,
                                                         why):
    times = pd.Series(pd.date_range(start, periods=12, freq=freq))
    step = infer_step(times)
    assert step == dt(name)
    assert describe(step) == words
    assert season(step) == (period, why)
    # pandas reads the inferred name as the very same grid
    again = pd.date_range(times.iloc[0], periods=len(times), freq=step["freq"])
    assert list(again) == list(times)


@pytest.mark.parametrize("freq", ["h", "30min", "D", "B", "W-MON", "MS", "ME", "QS-JAN",
                                  "YS-JAN"])
def test_a_few_missing_steps_keep_the_frequency(freq):
    times = pd.Series(pd.date_range("2020-01-01", periods=16, freq=freq))
    gapped = times.drop(index=[3, 9, 10]).reset_index(drop=True)
    step = infer_step(gapped)
    assert step is not None
    assert list(pd.date_range(times.iloc[0], periods=16, freq=step["freq"])) == list(times)


def test_irregular_times_have_no_step():
    hourly = pd.date_range("2024-01-01", periods=10, freq="h")
    # mostly two hours apart, once one hour: a grid mostly empty is no step
    assert infer_step(pd.Series(hourly[[0, 1, 3, 5, 7, 9]])) is None
    # one time, repeated times and unsorted times have no step
    assert infer_step(pd.Series(hourly[:1])) is None
    assert infer_step(pd.Series(hourly[[0, 1, 1, 2]])) is None
    assert infer_step(pd.Series(hourly[[0, 2, 1, 3]])) is None
    # random times
    rng = np.random.default_rng(0)
    seconds = np.sort(rng.choice(10**6, size=30, replace=False))
    assert infer_step(pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, "s"))
                      ) is None
    # numbers: mostly 2 apart, or decreasing
    assert infer_step(pd.Series([0.0, 1.0, 3.0, 5.0, 7.0])) is None
    assert infer_step(pd.Series([3, 2, 1])) is None


def test_a_tie_between_the_step_and_a_multiple_keeps_the_step():
    # gaps of 1, 1, 2, 2 hours: one hour is as common as two, and divides both
    times = pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00",
                                      "2024-01-01 02:00", "2024-01-01 04:00",
                                      "2024-01-01 06:00"]))
    assert infer_step(times) == dt("h")
    assert infer_step(pd.Series([0.0, 0.5, 1.0, 2.0, 3.0])) == num(0.5)


def test_a_step_that_is_not_a_round_unit_is_named_in_the_largest_unit_that_divides_it():
    ninety = pd.Series(pd.date_range("2024-01-01", periods=5, freq="90min"))
    assert infer_step(ninety) == dt("90min")
    assert describe(dt("90min")) == "every 90 minutes"
    seconds = pd.Series(pd.date_range("2024-01-01", periods=5, freq="1500ms"))
    assert infer_step(seconds) == dt("1500ms")
    assert describe(dt("1500ms")) == "every 1500 milliseconds"


# -- words ------------------------------------------------------------------------------
@pytest.mark.parametrize(("step", "words"), [
    (None, "irregular"), (num(0.5), "every 0.5"), (num(2.0), "every 2"),
    (dt("min"), "every minute"), (dt("s"), "every second"), (dt("6h"), "every 6 hours"),
    (dt("3D"), "every 3 days"), (dt("2W-MON"), "every 2 weeks"),
    (dt("2B"), "every 2 business days"), (dt("5MS"), "every 5 months"),
    (dt("24MS"), "every 2 years"), (dt("2YS-JAN"), "every 2 years"),
    (dt("1h30min"), "every 90 minutes"),  # read by pandas' own parser
])
def test_steps_in_words(step, words):
    assert describe(step) == words


@pytest.mark.parametrize("freq", ["fortnightly", "BMS", "3X", ""])
def test_an_unknown_step_is_refused_with_its_name(freq):
    with pytest.raises(TimeError, match=rf"Unknown time step {freq!r}: expected a frequency"):
        describe(dt(freq))
    with pytest.raises(TimeError, match="Unknown time step"):
        advance(np.array([pd.Timestamp("2024-01-01")]), np.array([1]), dt(freq))


# -- the length of a step, and multiples ----------------------------------------------------
@pytest.mark.parametrize(("step", "length"), [
    (dt("h"), ("fixed", HOUR_NS)), (dt("15min"), ("fixed", 15 * 60 * 10**9)),
    (dt("D"), ("days", 1)), (dt("2D"), ("days", 2)), (dt("W-WED"), ("days", 7)),
    (dt("B"), None), (dt("MS"), None), (dt("QE-DEC"), None), (num(1.0), None), (None, None),
])
def test_fixed_length(step, length):
    assert fixed_length(step) == length


@pytest.mark.parametrize(("step", "common", "expected"), [
    (dt("2h"), dt("h"), True), (dt("h"), dt("2h"), False),
    (dt("D"), dt("h"), True), (dt("D"), dt("7min"), False),  # 1440 / 7 is not whole
    (dt("h"), dt("D"), False), (dt("W-MON"), dt("D"), True),
    (dt("QS-FEB"), dt("QS-JAN"), True), (dt("YS-JAN"), dt("MS"), True),
    (dt("ME"), dt("MS"), False),  # month ends are not on month starts
    (dt("MS", day=3), dt("MS"), False), (dt("2B"), dt("B"), True), (dt("B"), dt("D"), False),
    (num(10.0), num(2.5), True), (num(3.0), num(2.0), False),
    (num(1.0), dt("h"), False),
])
def test_is_multiple(step, common, expected):
    assert is_multiple(step, common) is expected


# -- grids and continuing ---------------------------------------------------------------------
def test_numeric_grid_and_advance():
    assert list(grid(0.0, 10.0, num(2.5))) == [0.0, 2.5, 5.0, 7.5, 10.0]
    out = advance(np.array([10, 20]), np.array([1, 3]), num(5.0))
    assert out.tolist() == [15, 35] and np.issubdtype(out.dtype, np.integer)
    half = advance(np.array([1, 2]), np.array([1, 1]), num(0.5))
    assert half.tolist() == [1.5, 2.5] and half.dtype == np.float64


def test_dated_grids_match_pandas_calendar():
    # a last time off the grid: the grid stops before it
    assert list(grid(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01 05:30"), dt("h"))
                ) == list(pd.date_range("2024-01-01", "2024-01-01 05:00", freq="h"))
    for freq in ("B", "W-FRI", "MS", "ME", "QS-JAN"):
        expected = pd.date_range("2023-11-01", "2024-12-31", freq=freq)
        assert list(grid(expected[0], pd.Timestamp("2024-12-31"), dt(freq))) == list(expected)


def test_advance_with_nothing_to_move():
    out = advance(np.array([], dtype="datetime64[ns]"), np.array([], dtype=np.int64), dt("h"))
    assert len(out) == 0


def test_hours_over_the_autumn_change_are_real_hours():
    # Paris leaves summer time on 2024-10-27 at 03:00 +02:00 (-> 02:00 +01:00): 01:00 + 1 h is
    # 02:00 +02:00, + 2 h is 02:00 +01:00, as pandas counts them
    start = pd.Timestamp("2024-10-27 01:00", tz="Europe/Paris")
    out = advance(np.array([start] * 3), np.array([1, 2, 3]), dt("h"))
    assert list(out) == [start + pd.Timedelta(hours=k) for k in (1, 2, 3)]
    assert [t.utcoffset() for t in out] == [pd.Timedelta(hours=h) for h in (2, 1, 1)]
    # days keep the hour of the day on the wall clock: 23 then 25 hours apart here
    day = advance(np.array([pd.Timestamp("2024-10-26 12:00", tz="Europe/Paris")]),
                  np.array([1]), dt("D"))
    assert list(day) == [pd.Timestamp("2024-10-27 12:00", tz="Europe/Paris")]


def test_wall_time_is_the_local_clock():
    paris = pd.DatetimeIndex(["2024-07-01 00:00", "2024-12-01 00:00"]).tz_localize(
        "Europe/Paris")
    assert list(wall_time(paris)) == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-12-01")]
    assert wall_time(paris).tz is None
    naive = pd.DatetimeIndex(["2024-07-01 05:00"])
    assert list(wall_time(naive)) == list(naive)


# -- gaps in dated series ------------------------------------------------------------------------
def test_gaps_in_dated_series_are_found_per_series_and_filled():
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06",
                           "2024-01-09", "2024-01-01", "2024-01-02", "2024-01-03"])
    frame = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 3, "t": days,
                          "y": np.arange(8.0), "size": [1.0] * 5 + [2.0] * 3})
    gaps = find_gaps(frame, "t", "id", dt("D"))
    # series a misses 3rd, 4th, 7th and 8th January; the first gap is after the 2nd
    assert [(g.series, g.after, g.next, g.missing) for g in gaps] == [
        ("a", pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-05"), 4)]
    filled, added = fill_gaps(frame, "t", "id", dt("D"), ["id", "size"])
    assert added == 4
    assert list(filled["t"].iloc[:9]) == list(pd.date_range("2024-01-01", "2024-01-09"))
    assert filled["id"].tolist() == ["a"] * 9 + ["b"] * 3
    assert filled["size"].tolist() == [1.0] * 9 + [2.0] * 3
    assert filled["y"].isna().sum() == 4
    assert filled["y"].iloc[[0, 1, 4, 5, 8]].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_gaps_in_a_zoned_series_are_filled_in_its_zone():
    times = pd.date_range("2024-03-31 00:00", periods=6, freq="h", tz="Europe/Paris")
    frame = pd.DataFrame({"t": times[[0, 1, 4, 5]], "y": [1.0, 2.0, 3.0, 4.0]})
    assert [(g.after, g.missing) for g in find_gaps(frame, "t", None, dt("h"))] == [
        (times[1], 2)]
    filled, added = fill_gaps(frame, "t", None, dt("h"), [])
    assert added == 2 and list(filled["t"]) == list(times)
    assert str(filled["t"].dt.tz) == "Europe/Paris"


def test_a_series_without_gaps_is_returned_as_it_is():
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=4, freq="B"),
                          "y": [1.0, 2.0, 3.0, 4.0]})
    assert find_gaps(frame, "t", None, dt("B")) == []
    filled, added = fill_gaps(frame, "t", None, dt("B"), [])
    assert added == 0
    pd.testing.assert_frame_equal(filled, frame)


# -- seasons and calendar cycles -----------------------------------------------------------------
@pytest.mark.parametrize(("step", "period", "why"), [
    (None, None, "the time column is irregular"),
    (num(1.0), None, "the time column holds numbers, not dates"),
    (dt("7min"), None, "every 7 minutes rows have no daily season"),
    (dt("D"), 7, "a week"), (dt("2D"), None, "every 2 days rows have no season"),
    (dt("2B"), None, "every 2 business days"),
    (dt("2W-MON"), None, "every 2 weeks rows have no season"),
    (dt("6MS"), 2, "a year of half-years"),
    (dt("2MS"), None, "every 2 months rows have no season"),
    (dt("6h"), 4, "a day"), (dt("25h"), None, "every 25 hours rows have no daily season"),
])
def test_each_season_and_its_reason(step, period, why):
    assert season(step) == (period, why)


@pytest.mark.parametrize(("step", "parts"), [
    (None, []), (num(1.0), []), (dt("B"), ["weekday", "yearday"]),
    (dt("2D"), ["weekday", "yearday"]), (dt("6h"), ["hour", "weekday", "yearday"]),
    (dt("2W-MON"), ["yearday"]), (dt("6MS"), ["month"]), (dt("YE-DEC"), []),
    (dt("24h"), ["weekday", "yearday"]),  # a day written in hours: no hour of the day
])
def test_calendar_parts(step, parts):
    assert calendar_parts(step) == parts


def test_quarters_months_and_years_are_labelled_as_their_periods():
    quarters = pd.Series(pd.date_range("2009-01-01", periods=5, freq="QS"))
    assert period_labels(quarters, infer_step(quarters)) == [
        "2009 Q1", "2009 Q2", "2009 Q3", "2009 Q4", "2010 Q1"]
    months = pd.Series(pd.date_range("2009-11-30", periods=3, freq="ME"))
    assert period_labels(months, infer_step(months)) == ["2009-11", "2009-12", "2010-01"]
    years = pd.Series(pd.date_range("1871-01-01", periods=2, freq="YS"))
    assert period_labels(years, infer_step(years)) == ["1871", "1872"]
    # quarters that start in February are not calendar quarters; hours are their times
    shifted = pd.Series(pd.date_range("2009-02-01", periods=4, freq="QS-FEB"))
    hours = pd.Series(pd.date_range("2009-01-01", periods=4, freq="h"))
    assert period_labels(shifted, infer_step(shifted)) is None
    assert period_labels(hours, infer_step(hours)) is None
    assert period_labels(pd.Series([1, 2, 3]), {"kind": "number", "step": 1}) is None
