"""The time column: text dates parsed, frequencies found, gaps counted, times continued.

Expected values are written out by hand (the calendar, the next business day),
not computed by the code under test.
"""

import json
import warnings
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from helpers import FAST as FAST_CLI
from helpers import run_cli

from lstmcast import Forecaster
from lstmcast.tables.calendar_inputs import calendar_columns, clock_name, written_clock
from lstmcast.tables.frequency import (
    advance,
    calendar_parts,
    describe,
    fill_gaps,
    find_gaps,
    grid,
    infer_step,
    season,
)
from lstmcast.tables.timeline import (
    MIDNIGHTS,
    TimeError,
    parse_time,
    quarter_notation,
    write_back,
    write_quarters,
    writing,
    written_format,
)

TEXT_DTYPES = [object, "str", "string"]
try:  # Arrow strings, when pyarrow's pandas types are there (pandas >= 2)
    import pyarrow as pa

    TEXT_DTYPES.append(pd.ArrowDtype(pa.string()))
except (ImportError, AttributeError):  # pragma: no cover
    pass


@pytest.mark.parametrize("dtype", TEXT_DTYPES, ids=str)
@pytest.mark.parametrize(("values", "first", "second"), [
    (["2016-07-01 00:00:00", "2016-07-01 01:00:00"], "2016-07-01 00:00", "2016-07-01 01:00"),
    (["2016-07-01", "2016-07-02"], "2016-07-01", "2016-07-02"),
    (["2016-07-01T00:00:00Z", "2016-07-01T01:00:00Z"], "2016-07-01 00:00+00:00",
     "2016-07-01 01:00+00:00"),
    (["13/07/2016", "14/07/2016"], "2016-07-13", "2016-07-14"),  # day-first: 13 > 12
    (["07/13/2016", "07/14/2016"], "2016-07-13", "2016-07-14"),  # month-first: 13 > 12
    (["13.07.2016 08:30", "13.07.2016 09:30"], "2016-07-13 08:30", "2016-07-13 09:30"),
    (["1949-01", "1949-02"], "1949-01-01", "1949-02-01"),
])
def test_text_times_parse_whatever_pandas_stores_them_as(values, first, second, dtype):
    parsed, _ = parse_time(pd.Series(values, dtype=dtype), "date")
    assert parsed.iloc[0] == pd.Timestamp(first) and parsed.iloc[1] == pd.Timestamp(second)


def test_time_zones_are_kept():
    parsed, _ = parse_time(pd.Series(["2016-07-01T00:00:00+02:00", "2016-07-01T01:00:00+02:00"]),
                           "date")
    assert str(parsed.dt.tz) in ("UTC+02:00", "pytz.FixedOffset(120)")
    assert parsed.iloc[0] == pd.Timestamp("2016-06-30 22:00", tz="UTC")


def test_times_followed_by_the_word_utc_read_in_utc():
    """A database's export ("2020-01-01 00:00:00 UTC", BigQuery's way) did not read as
    dates: every value was refused. The word is the zone +00:00."""
    for values in (["2020-01-01 00:00:00 UTC", "2020-01-01 01:00:00 UTC"],
                   ["2020-01-01T00:00 GMT", "2020-01-01T01:00 GMT"]):
        parsed, used = parse_time(pd.Series(values), "date")
        assert used == "iso8601" and str(parsed.dt.tz) == "UTC"
        assert parsed.tolist() == [pd.Timestamp("2020-01-01 00:00", tz="UTC"),
                                   pd.Timestamp("2020-01-01 01:00", tz="UTC")]
    with pytest.raises(TimeError, match="does not read as dates"):  # a word for some rows only
        parse_time(pd.Series(["2020-01-01 00:00:00 UTC", "2020-01-01 01:00:00 CET"]), "date")


@pytest.mark.parametrize("written", ["%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%S.000Z"])
def test_times_in_utc_are_trained_on_and_written_back_as_written(tmp_path, written):
    """A database's "... UTC" and JSON's "...Z" times through train and predict: the first
    did not read at all, and the second was written back as "+00:00". Forecasts are
    written as the table wrote its times; the file is not changed."""
    hours = pd.date_range("2020-01-01", periods=120, freq="h")
    path = tmp_path / "utc.csv"
    pd.DataFrame({"time": hours.strftime(written), "load": np.sin(np.arange(120) / 4)}).to_csv(
        path, index=False)
    before = path.read_bytes()
    done = run_cli("train", path, "--target", "load", "--time", "time", "--steps", 2,
                   *FAST_CLI, "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "forecast.csv"
    done = run_cli("predict", tmp_path / "run", path, "--out", out)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out)["time"].tolist() == list(pd.date_range(
        "2020-01-06", periods=2, freq="h").strftime(written))
    assert path.read_bytes() == before


def test_numeric_time_stays_numeric():
    for col in (pd.Series([1, 2, 3]), pd.Series(["1", "2", "3"]),
                pd.Series([1, 2, 3], dtype="Int64"), pd.Series([0.5, 1.0, 1.5])):
        parsed, fmt = parse_time(col, "t")
        assert parsed.dtype.kind in "if" and fmt is None


@pytest.mark.parametrize(("values", "time_format", "message"), [
    (["2016-07-01", "July 2nd", "2016-07-03"], None, r"'July 2nd' at row 1"),
    (["01/02/2016", "02/02/2016"], None, "both day-first and month-first"),
    (["2016-07-01T00:00:00+02:00", "2016-07-01 01:00:00"], None, "mixes times with a zone"),
    (["2016-07-01", None], None, "1 missing values \\(first at row 1\\)"),
    (["2016-07-01", "2016-07-02"], "%d/%m/%Y", "'2016-07-01' at row 0"),
])
def test_bad_times_are_named(values, time_format, message):
    with pytest.raises(TimeError, match=message):
        parse_time(pd.Series(values), "date", time_format)


@pytest.mark.parametrize(("written", "order", "second"), [
    ("%-m/%-d/%Y", "month-first", "2000-02-01"),  # a month's first days, as US sheets write
    ("%d/%m/%Y", "day-first", "2000-02-01"),  # the same, as European sheets write
    ("%m-%d-%Y", "month-first", "2000-02-01"),
])
def test_an_ambiguous_column_takes_the_one_reading_that_is_evenly_spaced(written, order,
                                                                          second):
    months = pd.date_range("2000-01-01", periods=30, freq="MS")  # the other reading: uneven
    text = pd.Series(list(months.strftime(written)) * 2)  # two series, the same months
    with pytest.warns(UserWarning, match=f"read {order}, the only reading whose times are "
                      "evenly spaced \\(2000-01-01, 2000-02-01, 2000-03-01 ...\\)"):
        parsed, used = parse_time(text, "date")
    assert parsed.iloc[1] == pd.Timestamp(second) and parsed.iloc[29] == months[-1]
    assert pd.to_datetime(text, format=used).equals(parsed)  # what predict reads it with


def test_months_written_as_statistics_offices_write_them_are_read_and_written_back():
    text = pd.Series(["1999M11", "1999M12", "2000M01"])  # Eurostat, the IMF
    parsed, used = parse_time(text, "date")
    assert list(parsed) == list(pd.date_range("1999-11-01", periods=3, freq="MS"))
    assert written_format(text, parsed) == "%YM%m"
    stata = pd.Series(["1999m11", "1999m12", "2000m1"])
    parsed, used = parse_time(stata, "date")
    assert parsed.iloc[2] == pd.Timestamp("2000-01-01")
    assert written_format(stata, parsed) == "%Ym%-m"


@pytest.mark.parametrize(("written", "later"), [
    (["Jan-10", "Feb-10", "Mar-10"], ["Nov-18", "Dec-18", "Jan-19"]),  # Excel's "mmm-yy"
    (["Jan-2010", "Feb-2010", "Mar-2010"], ["Nov-2018", "Dec-2018", "Jan-2019"]),
    (["01-Jan-2010", "01-Feb-2010", "01-Mar-2010"], ["01-Nov-2018", "01-Dec-2018",
                                                     "01-Jan-2019"]),
    (["2010-Jan", "2010-Feb", "2010-Mar"], ["2018-Nov", "2018-Dec", "2019-Jan"]),
    (["January 01, 2010", "February 01, 2010", "March 01, 2010"],
     ["November 01, 2018", "December 01, 2018", "January 01, 2019"]),
    (["01/2010", "02/2010", "03/2010"], ["11/2018", "12/2018", "01/2019"]),
    (["01-2010", "02-2010", "03-2010"], ["11-2018", "12-2018", "01-2019"]),
])
def test_months_are_written_back_in_the_format_that_read_them(written, later):
    """Forecasts of a table of "Jan-10" months read "Nov-18", not 2018-11-01: whatever
    format read the column writes the forecasts' times, where it writes the values read."""
    text = pd.Series(written)
    parsed, used = parse_time(text, "Month")
    assert list(parsed) == list(pd.date_range("2010-01-01", periods=3, freq="MS"))
    record = writing(text, parsed, used)
    assert list(write_back(parsed, record)) == written
    assert list(write_back(pd.date_range("2018-11-01", periods=3, freq="MS"), record)) == later


def test_midnights_written_out_are_written_back_so():
    """A spreadsheet's export writes "2022-01-03 00:00:00" for each day: forecasts keep the
    clock, as pandas alone would write 2022-07-20."""
    text = pd.Series(["2022-01-03 00:00:00", "2022-01-04 00:00:00"])
    parsed, used = parse_time(text, "Date")
    record = writing(text, parsed, used)
    assert list(write_back(pd.DatetimeIndex(["2022-07-20"]), record)) == ["2022-07-20 00:00:00"]


@pytest.mark.parametrize(("written", "later"), [
    (["2019-W52", "2020-W01", "2020-W02"], ["2020-W52", "2020-W53", "2021-W01"]),
    (["2019W52", "2020W01", "2020W02"], ["2020W52", "2020W53", "2021W01"]),
])
def test_iso_weeks_read_as_their_mondays_and_are_written_back_as_weeks(written, later):
    """Web analytics and weekly statistics write ISO 8601 weeks (2019-W52): each is the
    Monday of that week (ISO week 1 of 2020 starts on Monday 30 December 2019), and
    forecasts are weeks again, across a year of 53 weeks."""
    text = pd.Series(written)
    parsed, used = parse_time(text, "week")
    assert list(parsed) == [pd.Timestamp("2019-12-23"), pd.Timestamp("2019-12-30"),
                            pd.Timestamp("2020-01-06")]
    record = writing(text, parsed, used)
    assert list(write_back(parsed, record)) == written
    mondays = pd.DatetimeIndex(["2020-12-21", "2020-12-28", "2021-01-04"])
    assert list(write_back(mondays, record)) == later
    with pytest.raises(TimeError, match=r"holds ISO weeks \(2019-W02\), but '2019-W60' at row "
                       r"1 is no week of its year"):
        parse_time(pd.Series(["2019-W02", "2019-W60"]), "week")  # no 60th week


def test_an_ambiguous_column_evenly_spaced_both_ways_or_neither_is_refused():
    both = pd.Series([f"{d}/1/2001" for d in range(1, 13)])  # days of January, or months
    uneven = pd.Series(["1/1/2000", "2/1/2000", "4/1/2000", "7/1/2000"])  # a gap either way
    for text in (both, uneven):
        with pytest.raises(TimeError, match="both day-first and month-first"):
            parse_time(text, "date")


def test_time_format_settles_an_ambiguous_column():
    col = pd.Series(["01/02/2016", "02/02/2016"])
    assert parse_time(col, "d", "dayfirst")[0].iloc[0] == pd.Timestamp("2016-02-01")
    assert parse_time(col, "d", "monthfirst")[0].iloc[0] == pd.Timestamp("2016-01-02")
    assert parse_time(col, "d", "%m/%d/%Y")[0].iloc[1] == pd.Timestamp("2016-02-02")
    iso = pd.Series(["2016-02-01", "2016-02-02"])  # never ambiguous: read whatever is said
    assert parse_time(iso, "d", "dayfirst")[0].iloc[0] == pd.Timestamp("2016-02-01")
    assert parse_time(iso, "d", "monthfirst")[0].iloc[0] == pd.Timestamp("2016-02-01")


@pytest.mark.parametrize(("times", "freq", "words"), [
    (pd.date_range("2024-01-01", periods=30, freq="h"), "h", "hourly"),
    (pd.date_range("2024-01-01", periods=30, freq="D"), "D", "daily"),
    (pd.date_range("2024-01-01", periods=30, freq="B"), "B", "business days"),
    (pd.date_range("2024-01-07", periods=30, freq="W-SUN"), "W-SUN", "weekly"),
    (pd.date_range("2024-01-01", periods=30, freq="MS"), "MS", "monthly"),
    (pd.date_range("2024-01-01", periods=30, freq="15min"), "15min", "every 15 minutes"),
])
def test_frequencies_are_inferred_even_with_gaps(times, freq, words):
    series = pd.Series(times).drop(index=[5, 6])  # a gap of two steps
    step = infer_step(series.reset_index(drop=True))
    assert step == {"kind": "datetime", "freq": freq}
    assert describe(step) == words


def test_numeric_steps_and_irregular_series():
    assert infer_step(pd.Series([0, 5, 10, 20])) == {"kind": "number", "step": 5.0}
    assert infer_step(pd.Series([0.0, 1.0, 2.5])) is None
    # 29 h then 68 h apart: no step divides both, so no frequency (irregular)
    assert infer_step(pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-02 05:00",
                                                 "2024-01-05 01:00"]))) is None


def test_advance_continues_times_by_the_calendar():
    friday = np.array([pd.Timestamp("2024-03-01")])  # a Friday
    assert list(advance(friday, np.array([1]), {"kind": "datetime", "freq": "B"})) == [
        pd.Timestamp("2024-03-04")]  # Monday
    jan31 = np.array([pd.Timestamp("2024-01-01")])
    assert list(advance(jan31, np.array([2]), {"kind": "datetime", "freq": "MS"})) == [
        pd.Timestamp("2024-03-01")]
    assert advance(np.array([10]), np.array([3]), {"kind": "number", "step": 5.0}).tolist() == [25]


def test_gaps_are_counted_and_filled_per_series():
    frame = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 3, "t": [0, 1, 4, 5, 6, 0, 1, 2],
                          "y": [1.0, 2, 5, 6, 7, 1, 2, 3], "size": [3] * 5 + [4] * 3})
    step = {"kind": "number", "step": 1.0}
    gaps = find_gaps(frame, "t", "id", step)
    assert [(g.series, g.after, g.next, g.missing) for g in gaps] == [("a", 1, 4, 2)]
    filled, added = fill_gaps(frame, "t", "id", step, ["id", "size"])
    assert added == 2 and filled["t"].tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2]
    assert filled["size"].tolist()[:5] == [3] * 5 and filled["y"].isna().sum() == 2


def test_calendar_values_by_hand():
    parts = calendar_parts({"kind": "datetime", "freq": "h"})
    assert parts == ["hour", "weekday", "yearday"]
    assert calendar_parts({"kind": "datetime", "freq": "MS"}) == ["month"]
    assert calendar_parts({"kind": "datetime", "freq": "D"}) == ["weekday", "yearday"]
    assert calendar_parts({"kind": "number", "step": 1.0}) == []
    cal = calendar_columns(pd.to_datetime(["2024-01-01 06:00", "2024-01-03 18:00"]), parts)
    np.testing.assert_allclose(cal["hour_sin"], [1.0, -1.0], atol=1e-12)  # 6h and 18h
    np.testing.assert_allclose(cal["hour_cos"], [0.0, 0.0], atol=1e-12)
    # Monday (0) and Wednesday (2) of a 7-day cycle
    np.testing.assert_allclose(cal["weekday_sin"], np.sin([0.0, 2 * np.pi * 2 / 7]))


def hourly_csv(path, dtype=None, n=300, gap=None):
    times = pd.date_range("2016-07-01", periods=n, freq="h")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": times.strftime("%Y-%m-%d %H:%M:%S"),
                          "load": rng.normal(size=n),
                          "OT": 30 + 5 * np.sin(np.arange(n) * 2 * np.pi / 24)
                          + rng.normal(0, 0.2, n)})
    if gap is not None:
        frame = frame.drop(index=gap)
    frame.to_csv(path, index=False)
    return path


FAST = {"units": (8,), "window": 24, "epochs": 2, "batch_size": 64}


@pytest.mark.parametrize("dtype", TEXT_DTYPES, ids=str)
def test_a_table_with_text_dates_trains_and_forecasts_with_dates(dtype, tmp_path):
    frame = pd.read_csv(hourly_csv(tmp_path / "d.csv"))
    frame["date"] = frame["date"].astype(dtype)
    f = Forecaster(**FAST, steps=3).fit(frame, target="OT", time="date")
    out = f.predict(frame)
    assert out["date"].tolist() == [pd.Timestamp("2016-07-13 12:00"),
                                    pd.Timestamp("2016-07-13 13:00"),
                                    pd.Timestamp("2016-07-13 14:00")]  # 300 h after 07-01 00:00


def test_nullable_numbers_and_categorical_ids(tmp_path):
    rng = np.random.default_rng(0)
    parts = [pd.DataFrame({"id": k, "t": np.arange(60), "x": rng.integers(0, 5, 60),
                           "y": rng.normal(size=60)}) for k in ("a", "b")]
    frame = pd.concat(parts, ignore_index=True).astype(
        {"id": "category", "t": "Int64", "x": "Int64", "y": "Float64"})
    f = Forecaster(**{**FAST, "window": 5}).fit(frame, target="y", group="id", time="t")
    out = f.predict(frame)
    assert out["t"].tolist() == [60, 60] and np.isfinite(out["y"].astype(float)).all()


def test_missing_time_steps_error_or_fill(tmp_path):
    path = hourly_csv(tmp_path / "gap.csv", gap=[100, 101, 102])
    with pytest.raises(ValueError, match="3 missing time steps \\(hourly\\) in 1 series.*"
                       "between 2016-07-05 03:00:00 and 2016-07-05 07:00:00"):
        Forecaster(**FAST).fit(path, target="OT", time="date")
    f = Forecaster(**FAST, missing="interpolate")
    facts = f.inspect(path, target="OT", time="date")
    assert facts["rows"] == 300 and facts["notes"] == [
        "3 missing time steps added and filled (interpolate)",
        "6 missing values: interpolate"]  # OT and load on the 3 new rows
    f.fit(path, target="OT", time="date")
    assert f.predict(path)["date"].iloc[0] == pd.Timestamp("2016-07-13 12:00")


def test_zones_survive_to_the_forecast(tmp_path):
    frame = pd.read_csv(hourly_csv(tmp_path / "d.csv"))
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("Europe/Paris").astype(str)
    f = Forecaster(**FAST).fit(frame, target="OT", time="date")
    when = f.predict(frame)["date"].iloc[0]
    assert when == pd.Timestamp("2016-07-13 12:00", tz="Europe/Paris")
    naive = pd.read_csv(tmp_path / "d.csv")
    with pytest.raises(ValueError, match="no time zone here"):
        f.predict(naive)


def test_inspect_does_not_change_a_fitted_model(tmp_path):
    path = hourly_csv(tmp_path / "d.csv")
    f = Forecaster(**FAST).fit(path, target="OT", time="date")
    before = f.predict(path)
    other = pd.read_csv(path)
    other["OT"] = other["OT"] * 100  # another scale: an inspect that refits would show it
    f.inspect(other, target="OT", features=["load"], time="date")
    pd.testing.assert_frame_equal(f.predict(path), before)
    assert f.inputs_ == ["load", "OT"]


# -- frequencies on real calendars: each family inferred, named, continued ------------------
def dates(*values):
    """A series of datetimes written out by hand ("2024-02-29", "2024-03-31 23:45")."""
    return pd.Series(pd.to_datetime(list(values)))


def following(series, step, n=3):
    """The ``n`` times after a series' last, as ``advance`` continues it."""
    last = series.to_numpy()[-1:].repeat(n)
    return [t.strftime("%Y-%m-%d %H:%M") for t in advance(last, np.arange(1, n + 1), step)]


@pytest.mark.parametrize(("times", "step", "words", "after"), [
    # quarter starts: not monthly data with two missing months in three
    (dates("1990-01-01", "1990-04-01", "1990-07-01", "1990-10-01", "1991-01-01"),
     {"freq": "QS-JAN"}, "quarterly", ["1991-04-01", "1991-07-01", "1991-10-01"]),
    # fiscal quarters starting in February, May, August, November
    (dates("2023-02-01", "2023-05-01", "2023-08-01", "2023-11-01"),
     {"freq": "QS-FEB"}, "quarterly", ["2024-02-01", "2024-05-01", "2024-08-01"]),
    # fiscal quarter ends, over a leap February
    (dates("2023-02-28", "2023-05-31", "2023-08-31", "2023-11-30", "2024-02-29"),
     {"freq": "QE-NOV"}, "quarterly (on month ends)",
     ["2024-05-31", "2024-08-31", "2024-11-30"]),
    (dates("2022-12-31", "2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"),
     {"freq": "QE-DEC"}, "quarterly (on month ends)",
     ["2024-03-31", "2024-06-30", "2024-09-30"]),
    (dates("2019-07-01", "2020-01-01", "2020-07-01", "2021-01-01"),
     {"freq": "6MS"}, "half-yearly", ["2021-07-01", "2022-01-01", "2022-07-01"]),
    (dates("2019-06-30", "2019-12-31", "2020-06-30"),
     {"freq": "6ME"}, "half-yearly (on month ends)", ["2020-12-31", "2021-06-30", "2021-12-31"]),
    (dates("2018-01-01", "2019-01-01", "2020-01-01", "2021-01-01"),
     {"freq": "YS-JAN"}, "yearly", ["2022-01-01", "2023-01-01", "2024-01-01"]),
    (dates("2019-12-31", "2020-12-31", "2021-12-31"),
     {"freq": "YE-DEC"}, "yearly (on month ends)", ["2022-12-31", "2023-12-31", "2024-12-31"]),
    # the end of February each year, 29th in leap years
    (dates("2019-02-28", "2020-02-29", "2021-02-28"),
     {"freq": "YE-FEB"}, "yearly (on month ends)", ["2022-02-28", "2023-02-28", "2024-02-29"]),
    # months on the 3rd, the 15th, the 30th (February's last day), month ends
    (dates("2023-10-03", "2023-11-03", "2023-12-03"),
     {"freq": "MS", "day": 3}, "monthly (on day 3)", ["2024-01-03", "2024-02-03", "2024-03-03"]),
    (dates("2023-12-15", "2024-01-15", "2024-02-15"),
     {"freq": "MS", "day": 15}, "monthly (on day 15)", ["2024-03-15", "2024-04-15", "2024-05-15"]),
    (dates("2023-12-30", "2024-01-30", "2024-02-29", "2024-03-30"),
     {"freq": "MS", "day": 30}, "monthly (on day 30)", ["2024-04-30", "2024-05-30", "2024-06-30"]),
    (dates("2023-11-30", "2023-12-31", "2024-01-31"),
     {"freq": "ME"}, "monthly (on month ends)", ["2024-02-29", "2024-03-31", "2024-04-30"]),
    (dates("2022-11-30", "2022-12-31", "2023-01-31"),
     {"freq": "ME"}, "monthly (on month ends)", ["2023-02-28", "2023-03-31", "2023-04-30"]),
    (dates("2024-10-01", "2024-11-01", "2024-12-01"),
     {"freq": "MS"}, "monthly", ["2025-01-01", "2025-02-01", "2025-03-01"]),
    # weekly on a Wednesday, over the new year; business days over a leap day and a weekend
    (dates("2023-12-20", "2023-12-27"),
     {"freq": "W-WED"}, "weekly", ["2024-01-03", "2024-01-10", "2024-01-17"]),
    (dates("2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-04"),
     {"freq": "B"}, "business days", ["2024-03-05", "2024-03-06", "2024-03-07"]),
    (dates("2023-12-27", "2023-12-28", "2023-12-29", "2024-01-01"),
     {"freq": "B"}, "business days", ["2024-01-02", "2024-01-03", "2024-01-04"]),
    # hourly and sub-hourly over the year's last midnight
    (dates("2023-12-31 21:00", "2023-12-31 22:00", "2023-12-31 23:00"),
     {"freq": "h"}, "hourly", ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00"]),
    (dates("2023-12-31 23:00", "2023-12-31 23:15", "2023-12-31 23:30", "2023-12-31 23:45"),
     {"freq": "15min"}, "every 15 minutes",
     ["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 00:30"]),
    (dates("2024-02-29 22:30", "2024-02-29 23:00", "2024-02-29 23:30"),
     {"freq": "30min"}, "every 30 minutes",
     ["2024-03-01 00:00", "2024-03-01 00:30", "2024-03-01 01:00"]),
])
def test_each_frequency_is_inferred_named_and_continued(times, step, words, after):
    found = infer_step(times)
    assert found == {"kind": "datetime", **step}
    assert describe(found) == words
    assert following(times, found) == [a if " " in a else a + " 00:00" for a in after]
    # the grid from the first time to the last holds exactly the times (none missing)
    assert list(grid(times.iloc[0], times.iloc[-1], found)) == list(times)


@pytest.mark.parametrize(("first", "day"), [
    (datetime(2024, 1, 1 + k), name)
    for k, name in enumerate(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"])])
def test_weekly_on_any_weekday(first, day):
    times = pd.Series([first + timedelta(weeks=w) for w in range(5)])
    step = infer_step(times)
    assert step == {"kind": "datetime", "freq": f"W-{day}"} and describe(step) == "weekly"
    last = times.iloc[-1]
    assert list(advance(np.array([last, last]), np.array([1, 2]), step)) == [
        last + timedelta(weeks=1), last + timedelta(weeks=2)]


def test_missing_steps_are_gaps_only_on_a_finer_grid_the_data_fits():
    # a monthly series with one month missing is monthly with a gap of one
    monthly = dates("2023-11-01", "2023-12-01", "2024-02-01", "2024-03-01", "2024-04-01")
    step = infer_step(monthly)
    assert step == {"kind": "datetime", "freq": "MS"}
    frame = pd.DataFrame({"t": monthly, "y": np.arange(5.0)})
    assert [(g.after, g.next, g.missing) for g in find_gaps(frame, "t", None, step)] == [
        (pd.Timestamp("2023-12-01"), pd.Timestamp("2024-02-01"), 1)]
    # a quarterly series with one quarter missing is quarterly with a gap of one
    quarterly = dates("2023-01-01", "2023-04-01", "2023-10-01", "2024-01-01", "2024-04-01")
    step = infer_step(quarterly)
    assert step == {"kind": "datetime", "freq": "QS-JAN"}
    filled, added = fill_gaps(pd.DataFrame({"t": quarterly, "y": np.arange(5.0)}), "t", None,
                              step, [])
    assert added == 1 and filled["t"].iloc[2] == pd.Timestamp("2023-07-01")
    # quarterly dates with one date between quarters: no grid explains them (irregular),
    # rather than a monthly grid two thirds empty
    assert infer_step(dates("2023-01-01", "2023-04-01", "2023-07-01", "2023-08-01",
                            "2023-10-01", "2024-01-01")) is None
    # the same for numbers: mostly 3 apart, once 1 apart
    assert infer_step(pd.Series([0, 1, 3, 6, 9, 12])) is None


def test_steps_follow_the_wall_clock_of_a_named_zone():
    paris = "Europe/Paris"  # summer time from 2024-03-31 02:00 (+01:00 -> +02:00)
    daily = pd.Series(pd.DatetimeIndex(["2024-03-30", "2024-03-31", "2024-04-01"]
                                       ).tz_localize(paris))
    step = infer_step(daily)  # 24, 23 and 24 hours apart: daily, at local midnight
    assert step == {"kind": "datetime", "freq": "D"}
    assert list(advance(daily.to_numpy()[-1:], np.array([1]), step)) == [
        pd.Timestamp("2024-04-02", tz=paris)]
    hourly = pd.Series(pd.DatetimeIndex(["2024-03-31 00:00", "2024-03-31 01:00",
                                         "2024-03-31 03:00"]).tz_localize(paris))
    step = infer_step(hourly)  # an hour apart each (02:00 does not exist that night)
    assert step == {"kind": "datetime", "freq": "h"}
    assert list(advance(hourly.to_numpy()[-1:], np.array([1]), step)) == [
        pd.Timestamp("2024-03-31 04:00", tz=paris)]


def test_steps_saved_by_older_versions_still_read():
    jan31 = np.array([pd.Timestamp("2024-01-31")])
    assert list(advance(jan31, np.array([1]), {"kind": "datetime", "freq": "M"})) == [
        pd.Timestamp("2024-02-29")]
    assert list(advance(jan31, np.array([1]), {"kind": "datetime", "freq": "Q-DEC"})) == [
        pd.Timestamp("2024-04-30")]
    assert list(advance(jan31, np.array([2]), {"kind": "datetime", "freq": "15T"})) == [
        pd.Timestamp("2024-01-31 00:30")]
    assert describe({"kind": "datetime", "freq": "3MS"}) == "quarterly"
    assert describe({"kind": "datetime", "freq": "2MS"}) == "every 2 months"
    assert describe({"kind": "datetime", "freq": "2h"}) == "every 2 hours"
    assert describe({"kind": "datetime", "freq": "A-DEC"}) == "yearly (on month ends)"
    assert calendar_parts({"kind": "datetime", "freq": "QS-JAN"}) == ["month"]
    assert calendar_parts({"kind": "datetime", "freq": "YS-JAN"}) == []
    assert calendar_parts({"kind": "datetime", "freq": "W-WED"}) == ["yearday"]


def test_a_series_off_the_grid_is_left_whole():
    # a monthly table, and one series on the 15th of each month: not gaps to fill, and
    # none of its rows dropped
    frame = pd.DataFrame({"id": ["a"] * 3 + ["b"] * 3,
                          "t": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01",
                                               "2024-01-15", "2024-02-15", "2024-03-15"]),
                          "y": np.arange(6.0)})
    step = {"kind": "datetime", "freq": "MS"}
    assert [(g.series, g.missing) for g in find_gaps(frame, "t", "id", step)] == [("a", 1)]
    filled, added = fill_gaps(frame, "t", "id", step, ["id"])
    assert added == 1 and filled["t"].tolist()[4:] == list(frame["t"].iloc[3:])


# -- dates written as numbers -------------------------------------------------------------
@pytest.mark.parametrize("values", [pd.Series([20240131, 20240201]),
                                    pd.Series([20240131.0, 20240201.0]),
                                    pd.Series(["20240131", "20240201"])])
def test_a_time_format_reads_numbers_as_dates(values):
    for fmt in ("%Y%m%d", "iso8601"):
        parsed, used = parse_time(values, "date", fmt)
        assert parsed.tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-01")]
        assert used == fmt
    with pytest.warns(UserWarning, match="--time-format %Y%m%d reads them as dates"):
        assert parse_time(values, "date")[0].dtype.kind in "if"  # no format: numbers, said
    with pytest.raises(TimeError, match="holds numbers .*'20240131'.*time_format='%d%m%Y'"):
        parse_time(values, "date", "dayfirst")


def test_numbers_with_a_time_format_train_and_forecast_dates(tmp_path):
    days = [datetime(2024, 1, 1) + timedelta(days=k) for k in range(40)]
    path = tmp_path / "d.csv"
    pd.DataFrame({"date": [d.strftime("%Y%m%d") for d in days],
                  "y": np.sin(np.arange(40.0))}).to_csv(path, index=False)
    assert pd.read_csv(path)["date"].dtype.kind == "i"  # as a CSV reads them
    f = Forecaster(units=(4,), window=5, steps=2, epochs=1, time_format="%Y%m%d")
    f.fit(path, target="y", time="date")
    assert f.predict(path)["date"].tolist() == [pd.Timestamp("2024-02-10"),
                                                pd.Timestamp("2024-02-11")]


# -- through the Forecaster: no rows invented, forecasts on the data's own dates ------------
def test_quarterly_data_gets_no_rows_added_and_quarterly_forecasts():
    quarters = [datetime(1990 + k // 4, 1 + 3 * (k % 4), 1) for k in range(40)]
    frame = pd.DataFrame({"date": [q.strftime("%Y-%m-%d") for q in quarters],
                          "y": np.sin(np.arange(40.0))})
    for missing in ("interpolate", "ffill"):
        facts = Forecaster(units=(4,), window=4, missing=missing).inspect(
            frame, target="y", time="date")
        assert facts["rows"] == 40 and facts["notes"] == []
        assert describe(facts["time"]["step"]) == "quarterly"
    f = Forecaster(units=(4,), window=4, steps=3, epochs=1, missing="interpolate")
    f.fit(frame, target="y", time="date")
    assert f.predict(frame)["date"].tolist() == [pd.Timestamp("2000-01-01"),
                                                 pd.Timestamp("2000-04-01"),
                                                 pd.Timestamp("2000-07-01")]


def test_monthly_data_on_the_3rd_is_forecast_on_the_3rd():
    months = [datetime(2022 + k // 12, 1 + k % 12, 3) for k in range(24)]
    frame = pd.DataFrame({"date": [m.strftime("%Y-%m-%d") for m in months],
                          "y": np.sin(np.arange(24.0))})
    f = Forecaster(units=(4,), window=4, steps=2, epochs=1).fit(frame, target="y", time="date")
    assert f.pipeline_.time_["step"] == {"kind": "datetime", "freq": "MS", "day": 3}
    assert f.predict(frame)["date"].tolist() == [pd.Timestamp("2024-01-03"),
                                                 pd.Timestamp("2024-02-03")]


# -- the calendar on the series' own wall clock ---------------------------------------------
# Paris local times around the change to summer time (2024-03-31, 02:00 -> 03:00), written
# with the offset of each: 22:00 .. 01:00 at +01:00, then 03:00 .. at +02:00
PARIS_WALL = ([datetime(2024, 3, 30, 22) + timedelta(hours=k) for k in range(4)]
              + [datetime(2024, 3, 31, 3) + timedelta(hours=k) for k in range(20)])
PARIS_TEXT = [t.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if t.day == 30 or t.hour < 2
                                                 else "+02:00") for t in PARIS_WALL]


def hour_angle(hours):
    return np.sin(2 * np.pi * np.asarray(hours, dtype=float) / 24)


def test_calendar_hours_are_the_hours_written():
    with pytest.warns(UserWarning, match=r"several UTC offsets \(\+01:00, \+02:00\).*the UTC "
                      "offset of its last row"):
        parsed, _ = parse_time(pd.Series(PARIS_TEXT), "date")
    assert parsed.iloc[3] == pd.Timestamp("2024-03-31 00:00", tz="UTC")  # held in UTC
    clock = written_clock(parsed)
    cal = calendar_columns(parsed, ["hour"], clock)
    np.testing.assert_allclose(cal["hour_sin"], hour_angle([t.hour for t in PARIS_WALL]),
                               atol=1e-12)
    # the times after the end keep the last row's offset (+02:00): 23:00 and 00:00 local
    nxt = advance(parsed.to_numpy()[-1:].repeat(2), np.array([1, 2]), infer_step(parsed))
    np.testing.assert_allclose(calendar_columns(nxt, ["hour"], clock)["hour_sin"],
                               hour_angle([23, 0]), atol=1e-12)
    assert clock_name(parsed).startswith("local (the UTC offset each row was written with")
    zoned = parsed.dt.tz_convert("Europe/Paris")  # a named zone's rules give the hours
    assert clock_name(zoned) == "local (Europe/Paris)" and written_clock(zoned) is None
    np.testing.assert_allclose(calendar_columns(zoned, ["hour"])["hour_sin"],
                               hour_angle([t.hour for t in PARIS_WALL]), atol=1e-12)


@pytest.mark.parametrize("zoned", [False, True], ids=["offsets-text", "named-zone"])
def test_calendar_inputs_read_local_hours_at_fit_and_predict(zoned):
    frame = pd.DataFrame({"date": PARIS_TEXT, "y": np.sin(np.arange(24.0))})
    if zoned:  # tz-aware datetimes, as Parquet keeps them
        frame["date"] = pd.to_datetime(frame["date"], utc=True).dt.tz_convert("Europe/Paris")
    f = Forecaster(units=(4,), window=4, steps=2, epochs=1, calendar=True, scaler=None)
    expected = hour_angle([t.hour for t in PARIS_WALL])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the several offsets, said above
        f.fit(frame, target="y", time="date")
        pipeline = f.pipeline_
        history = pipeline.prepare(frame)  # as predict reads the history
        np.testing.assert_allclose(history["hour_sin"], expected, atol=1e-12)
        names = [c for c in history.columns if c.startswith(("hour", "weekday", "yearday"))]
        again = history.drop(columns=names)
        pipeline.add_calendar(again)  # as fit adds them
        np.testing.assert_allclose(again["hour_sin"], expected, atol=1e-12)
        # the rows to forecast: 23:00 and 00:00 local (+02:00, the last row's offset)
        future = pipeline.future_inputs(history.iloc[[-1]].reset_index(drop=True), None)
    column = pipeline.inputs.index("hour_sin")
    np.testing.assert_allclose(future[0, :, column], hour_angle([23, 0]), atol=1e-6)
    assert f.pipeline_.time_["calendar_clock"] == (
        "local (Europe/Paris)" if zoned else
        "local (the UTC offset each row was written with: +01:00, +02:00; the rows after a "
        "series' end keep its last row's)")


@pytest.mark.parametrize(("step", "expected"), [
    ({"kind": "datetime", "freq": "h"}, 24), ({"kind": "datetime", "freq": "30min"}, 48),
    ({"kind": "datetime", "freq": "15min"}, 96), ({"kind": "datetime", "freq": "D"}, 7),
    ({"kind": "datetime", "freq": "B"}, 5), ({"kind": "datetime", "freq": "W-WED"}, 52),
    ({"kind": "datetime", "freq": "MS"}, 12), ({"kind": "datetime", "freq": "MS", "day": 3}, 12),
    ({"kind": "datetime", "freq": "ME"}, 12), ({"kind": "datetime", "freq": "QS-JAN"}, 4),
    ({"kind": "datetime", "freq": "QE-NOV"}, 4), ({"kind": "datetime", "freq": "6MS"}, 2),
    ({"kind": "datetime", "freq": "YS-JAN"}, None), ({"kind": "datetime", "freq": "7min"}, None),
    ({"kind": "datetime", "freq": "2D"}, None), ({"kind": "number", "step": 1.0}, None),
    (None, None)])
def test_the_season_of_each_frequency(step, expected):
    found, why = season(step)
    assert found == expected
    assert why  # always says what it is, or why there is none


@pytest.mark.parametrize(("written", "expected"), [
    (["1960 Q1", "1960 Q2", "1960 Q3", "1960 Q4", "1961 Q1"],
     ["1960-01-01", "1960-04-01", "1960-07-01", "1960-10-01", "1961-01-01"]),
    (["1998-Q4", "1999-Q1"], ["1998-10-01", "1999-01-01"]),
    (["Q3 2001", "Q4 2001"], ["2001-07-01", "2001-10-01"]),
    (["Jan 1973", "Feb 1973", "Dec 1973"], ["1973-01-01", "1973-02-01", "1973-12-01"]),
    (["3 March 2024", "4 March 2024"], ["2024-03-03", "2024-03-04"]),
])
def test_quarters_and_month_names_read_as_written_by_spreadsheets_and_r(written, expected):
    parsed, used = parse_time(pd.Series(written), "t")
    assert [datetime(*map(int, e.split("-"))) for e in expected] == list(parsed)
    again, _ = parse_time(pd.Series(written), "t", used)  # what predict does
    assert list(again) == list(parsed)


@pytest.mark.parametrize(("written", "notation"), [
    ("1960 Q1", "{y} Q{q}"), ("1998-Q4", "{y}-Q{q}"), ("Q3 2001", "Q{q} {y}"),
    ("2001q2", "{y}q{q}"), (" Q1/1975 ", "Q{q}/{y}")])
def test_a_quarter_is_written_back_as_the_table_wrote_it(written, notation):
    assert quarter_notation(written) == notation
    parsed, _ = parse_time(pd.Series([written]), "t")
    assert list(write_quarters(parsed, notation)) == [written.strip()]


def test_the_command_line_writes_quarters_as_the_table_did(tmp_path):
    """A table of "Q1-1990" quarters: the run's predictions.csv, predict's CSV and JSON and
    what it prints name quarters so (they were written 1990-01-01, a day)."""
    quarters = pd.period_range("1990Q1", periods=48, freq="Q")
    rng = np.random.default_rng(0)
    pd.DataFrame({"quarter": [f"Q{p.quarter}-{p.year}" for p in quarters],
                  "sales": (10 + np.tile([1.0, -1.0, 2.0, 0.0], 12)
                            + rng.normal(0, 0.1, 48)).round(3)}).to_csv(
        tmp_path / "q.csv", index=False)
    run = tmp_path / "run"
    done = run_cli("train", tmp_path / "q.csv", "--target", "sales", "--time", "quarter",
                   "--steps", "2", "--out", run, "--quiet", *FAST_CLI)
    assert done.returncode == 0, done.stderr
    held = pd.read_csv(run / "predictions.csv")["quarter"]
    assert held.str.fullmatch(r"Q[1-4]-\d{4}").all() and held.iloc[-1] == "Q4-2001"
    done = run_cli("predict", run, tmp_path / "q.csv", "--out", tmp_path / "f.csv")
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(tmp_path / "f.csv")["quarter"]) == ["Q1-2002", "Q2-2002"]
    run_cli("predict", run, tmp_path / "q.csv", "--out", tmp_path / "f.json")
    assert [r["quarter"] for r in json.loads((tmp_path / "f.json").read_text())] == [
        "Q1-2002", "Q2-2002"]
    printed = run_cli("predict", run, tmp_path / "q.csv").stdout
    assert "Q1-2002" in printed and "2002-01-01" not in printed


def test_mixed_date_formats_are_named_not_counted_as_zero():
    with pytest.raises(TimeError, match="mixes date formats"):
        parse_time(pd.Series(["2024-01-31", "31/01/2024"]), "t", "dayfirst")


def test_a_date_written_unlike_the_others_is_the_one_named():
    """Among 119 ISO dates, the one written month-first (row 70) is quoted, not the first
    and last rows, which read alike."""
    dates = pd.date_range("2020-01-01", periods=120, freq="D").strftime("%Y-%m-%d").tolist()
    dates[70] = "03/11/2020"
    with pytest.raises(TimeError) as raised:
        parse_time(pd.Series(dates), "date", "auto")
    assert str(raised.value) == (
        "Time column 'date' mixes date formats: most values are written like '2020-01-01' "
        "(row 0), but 1 is not, the first '03/11/2020' at row 70. Write them alike, or give "
        "the format with `time_format`, e.g. '%d/%m/%Y %H:%M'.")


def local_midnights(zone, start="2000-01-01", months=24):
    """The first of each month at midnight in ``zone``, written in UTC as JavaScript does."""
    days = pd.date_range(start, periods=months, freq="MS").tz_localize(zone)
    return pd.Series(days.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.000Z"))


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "America/New_York",
                                  "Europe/Paris", "Australia/Sydney", "Pacific/Auckland"])
def test_local_midnights_written_in_utc_read_as_their_dates(zone):
    text = local_midnights(zone)
    assert text.str[11:13].nunique() == 2  # summer time: two clock readings an hour apart
    parsed, used = parse_time(text, "date")
    assert used == MIDNIGHTS and parsed.dt.tz is None
    assert list(parsed) == list(pd.date_range("2000-01-01", periods=24, freq="MS"))
    # a later table read as the model's: summer or winter rows alone, or plain dates
    for rows in (text.iloc[4:8], text.iloc[:2], pd.Series(["2002-01-01", "2002-02-01"])):
        again, _ = parse_time(rows.reset_index(drop=True), "date", MIDNIGHTS)
        assert again.dt.tz is None and (again.dt.hour == 0).all()
    assert list(parse_time(text.iloc[4:8].reset_index(drop=True), "date", MIDNIGHTS)[0]) == \
        list(pd.date_range("2000-05-01", periods=4, freq="MS"))


def test_other_utc_times_stay_times():
    hours = pd.Series(pd.date_range("2000-01-01", periods=48, freq="h", tz="UTC")
                      .strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert parse_time(hours, "t")[1] == "iso8601"  # hourly: every clock reading
    eight = local_midnights("America/Los_Angeles").str.replace("T07:", "T08:")
    parsed, used = parse_time(eight, "t")  # one clock reading: kept as written
    assert used == "iso8601" and str(parsed.dt.tz) == "UTC"
    half = pd.Series(["2000-01-01T07:30:00Z", "2000-02-01T08:30:00Z", "2000-03-01T08:30:00Z"])
    assert parse_time(half, "t")[1] == "iso8601"  # not whole hours


def test_a_table_of_local_midnights_trains_monthly_and_forecasts_dates():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": local_midnights("America/Los_Angeles", months=60),
                          "count": 100 + np.tile(np.arange(12.0), 5) + rng.normal(size=60)})
    model = Forecaster(units=(4,), epochs=1, verbose=0).fit(frame, "count", time="date")
    assert model.pipeline_.step == {"kind": "datetime", "freq": "MS"} and model.season_ == 12
    out = model.predict(frame.tail(30), n_ahead=2)
    assert list(out["date"]) == [pd.Timestamp("2005-01-01"), pd.Timestamp("2005-02-01")]


def test_a_total_among_the_dates_is_named_and_unreadable_dates_ask_for_a_format():
    months = pd.period_range("2010-01", periods=120, freq="M").astype(str).tolist()
    with pytest.raises(TimeError, match=r"reads as dates but for 1 value: 'Total' at row "
                                        r"120 .*Leave that row out of the file"):
        parse_time(pd.Series(months + ["Total"]), "month", "auto")
    with pytest.raises(TimeError, match=r"but for 2 values: 'Sum' at row 3, 'n/a' at row 7"):
        parse_time(pd.Series(months[:3] + ["Sum"] + months[3:6] + ["n/a"]), "month", "auto")
    # mostly unreadable: the format is asked for, as before
    odd = pd.Series([f"{d:02d}-{m:02d}-2020 h" for m in range(1, 6) for d in range(1, 20)])
    with pytest.raises(TimeError, match=r"does not read as dates: .*Give its format"):
        parse_time(odd, "day", "auto")


@pytest.mark.parametrize(("written", "fmt"), [
    (["2019-11", "2019-12", "2020-01"], "%Y-%m"),
    (["30/11/2019", "31/12/2019", "31/01/2020"], "%d/%m/%Y"),
    (["Nov 2019", "Dec 2019", "Jan 2020"], "%b %Y"),
    (["2019-12-31 22:00", "2019-12-31 23:00", "2020-01-01 00:00"], "%Y-%m-%d %H:%M"),
    (["12/31/2019", "1/1/2020", "1/2/2020"], "%-m/%-d/%Y"),  # a US spreadsheet's
    (["Dec 31 2019", "Jan 1 2020", "Jan 2 2020"], "%b %-d %Y"),
    (["2019-11-01", "2019-12-01", "2020-01-01"], None),  # pandas writes these itself
    (["2019-12-31T23:00:00Z", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z"],
     "%Y-%m-%dT%H:%M:%SZ"),  # in UTC, as JSON writes times (it was pandas' own +00:00)
    (["2019-12-31 23:00:00 UTC", "2020-01-01 00:00:00 UTC"], "%Y-%m-%d %H:%M:%S UTC"),
    (["2019-12-31T23:00:00+02:00", "2020-01-01T00:00:00+02:00"], None),  # another zone
])
def test_the_format_a_table_wrote_its_dates_in_is_found_for_writing_back(written, fmt):
    text = pd.Series(written)
    parsed, _ = parse_time(text, "t", "auto")
    assert written_format(text, parsed) == fmt
    if fmt is not None:
        assert pd.DatetimeIndex(parsed).strftime(fmt).tolist() == written


def test_forecasts_are_written_with_the_dates_as_the_table_wrote_them(tmp_path):
    months = pd.period_range("2012-01", periods=48, freq="M")
    sales = 100 + 10 * np.sin(np.arange(48) * 2 * np.pi / 12)
    for name, text, ahead in (
            ("ym", months.astype(str), ["2016-01", "2016-02"]),
            ("dmy", months.to_timestamp(how="end").strftime("%d/%m/%Y"),
             ["31/01/2016", "29/02/2016"])):
        data = tmp_path / f"{name}.csv"
        pd.DataFrame({"month": text, "sales": sales}).to_csv(data, index=False)
        run = tmp_path / f"run-{name}"
        assert run_cli("train", data, "--target", "sales", "--time", "month", "--steps", 2,
                       *FAST_CLI, "--out", run).returncode == 0
        out = tmp_path / f"{name}-f.csv"
        result = run_cli("predict", run, data, "--out", out)
        assert result.returncode == 0, result.stderr
        assert pd.read_csv(out, dtype=str)["month"].tolist() == ahead
        assert pd.read_csv(run / "predictions.csv", dtype=str)["month"].iloc[0] in set(text)


# -- times written as milliseconds since 1970, as JSON writers write dates ------------------
JAN_2010_MS, FEB_2010_MS = 1262304000000, 1264982400000  # 2010-01-01 and 2010-02-01, UTC


@pytest.mark.parametrize("values", [pd.Series([JAN_2010_MS, FEB_2010_MS]),
                                    pd.Series([float(JAN_2010_MS), float(FEB_2010_MS)]),
                                    pd.Series([str(JAN_2010_MS), str(FEB_2010_MS)])])
def test_milliseconds_since_1970_read_as_dates(values):
    parsed, used = parse_time(values, "date")
    assert parsed.tolist() == [pd.Timestamp("2010-01-01"), pd.Timestamp("2010-02-01")]
    assert used == "epoch-ms" and parsed.dt.tz is None
    assert parse_time(values, "date", "epoch-ms")[0].tolist() == parsed.tolist()


def test_seconds_since_1970_read_as_dates_when_told():
    seconds = pd.Series([1262304000, 1262307600])  # 2010-01-01 00:00 and 01:00
    with pytest.warns(UserWarning, match=r"Time column 't' holds numbers such as 1262304000, "
                      r"which read as seconds since 1970 \(2010-01-01 00:00 UTC\): they are "
                      r"used as numbers. --time-format epoch-s reads them as dates"):
        assert parse_time(seconds, "t")[0].dtype.kind == "i"  # not told: numbers, said so
    parsed, used = parse_time(seconds, "t", "epoch-s")
    assert parsed.tolist() == [pd.Timestamp("2010-01-01 00:00"),
                               pd.Timestamp("2010-01-01 01:00")] and used == "epoch-s"


@pytest.mark.parametrize("values", [
    pd.Series([201001010000, 201001020000, 201001030000]),  # %Y%m%d%H%M: 12 digits
    pd.Series([100000000001, 100000000002]),  # not whole seconds
    pd.Series([0, 1, 2]), pd.Series([20240131, 20240201]),
    pd.Series([2021010100, 2021010101, 2021010102]),  # %Y%m%d%H: in range, not minutes apart
    pd.Series([1262304000, 1262304001])])  # a second apart: ids, not a log's times
def test_other_numbers_stay_numbers(values):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        parsed, used = parse_time(values, "t")
    assert parsed.dtype.kind in "if" and used is None
    assert not any("since 1970" in str(w.message) for w in said)  # not taken for seconds


def test_epoch_formats_refuse_text_dates_and_numbers_out_of_range():
    with pytest.raises(TimeError, match=r"holds text \(such as '2010-01-01'\); "
                                        r"time_format='epoch-ms' reads numbers"):
        parse_time(pd.Series(["2010-01-01", "2010-02-01"]), "date", "epoch-ms")
    with pytest.raises(TimeError, match="cannot read as seconds since 1970-01-01"):
        parse_time(pd.Series([10**17, 10**17 + 1]), "date", "epoch-s")


def test_a_json_file_of_pandas_epoch_dates_trains_monthly_from_the_command_line(tmp_path):
    months = [datetime(2010 + k // 12, 1 + k % 12, 1) for k in range(72)]
    epoch = datetime(1970, 1, 1)
    records = [{"date": int((m - epoch).total_seconds()) * 1000, "y": 50 + 10 * np.sin(k)}
               for k, m in enumerate(months)]
    path = tmp_path / "sales.json"
    path.write_text(json.dumps(records))
    before = path.read_bytes()
    shown = run_cli("inspect", path, "--target", "y", "--time", "date")
    assert shown.returncode == 0, shown.stderr
    assert ("holds dates, read as epoch-ms (milliseconds since 1970-01-01, UTC); frequency "
            "monthly") in shown.stdout
    result = run_cli("train", path, "--target", "y", "--time", "date", *FAST_CLI,
                     "--out", tmp_path / "run", "--quiet")
    assert result.returncode == 0, result.stderr
    dates = pd.read_csv(tmp_path / "run" / "predictions.csv")["date"]
    assert dates.iloc[0] == "2014-11-01"  # the last 14 of 72 months (20%): from month 59
    ahead = run_cli("predict", tmp_path / "run", path)
    assert ahead.returncode == 0, ahead.stderr
    assert "2016-01-01" in ahead.stdout and path.read_bytes() == before


def test_parsed_quietly_reads_as_parse_time_does_holding_back_its_warnings():
    from lstmcast.tables.timeline import parse_time, parsed_quietly

    # read day-first, the only reading evenly spaced, which parse_time says in a warning
    dates = pd.Series(["01/02/2020 22:00", "01/02/2020 23:00", "02/02/2020 00:00"])
    with pytest.warns(UserWarning, match="reads both day-first and month-first"):
        want = parse_time(dates, "d")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none may escape
        got = parsed_quietly(dates, "d")
    pd.testing.assert_series_equal(got, want)
    assert parsed_quietly(pd.Series(["2020-01-01", "01/05/2020", "x"]), "d") is None
