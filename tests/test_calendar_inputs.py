"""lstmcast.tables.calendar_inputs: calendar sines and cosines, and the clock they read.

tests/test_timeline.py checks a few hour and weekday values and the clock of a Paris table
written with two UTC offsets; this file checks every calendar part against the formula
written here from Python's own calendar (``datetime``), the columns' names and order,
zone names, each row's written offset, times moved to a zone, and the clock of each
series (several series written with their own offsets, times before and after them).
"""

import datetime
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.calendar_inputs import (
    CALENDAR_PERIODS,
    calendar_columns,
    calendar_names,
    clock_name,
    row_offsets,
    to_zone,
    wall_clock,
    written_clock,
    zone_name,
)
from lstmcast.tables.timeline import parse_time

ATOL = 1e-12  # float64 sines of the same angle


def reference(moments, part):
    """The angle of each naive datetime's ``part``, from ``datetime`` itself."""
    value = {"hour": lambda t: t.hour + t.minute / 60,
             "weekday": lambda t: t.weekday(),
             "yearday": lambda t: t.timetuple().tm_yday - 1,
             "month": lambda t: t.month - 1}[part]
    period = {"hour": 24, "weekday": 7, "yearday": 365.25, "month": 12}[part]
    return np.array([2 * np.pi * value(t) / period for t in moments])


MOMENTS = [datetime.datetime(2024, 1, 1, 0, 0), datetime.datetime(2024, 2, 29, 6, 30),
           datetime.datetime(2024, 7, 4, 12, 15), datetime.datetime(2024, 12, 31, 23, 45),
           datetime.datetime(2023, 12, 31, 18, 0), datetime.datetime(2024, 3, 9, 9, 0),
           datetime.datetime(2024, 3, 10, 21, 0)]


def test_periods_and_names():
    assert CALENDAR_PERIODS == {"hour": 24, "weekday": 7, "yearday": 365.25, "month": 12}
    assert calendar_names(["hour", "month"]) == ["hour_sin", "hour_cos", "month_sin",
                                                 "month_cos"]
    assert calendar_names([]) == []


@pytest.mark.parametrize("part", ["hour", "weekday", "yearday", "month"])
def test_each_part_against_the_calendar(part):
    out = calendar_columns(pd.DatetimeIndex(MOMENTS), [part])
    assert list(out.columns) == [f"{part}_sin", f"{part}_cos"]
    angle = reference(MOMENTS, part)
    np.testing.assert_allclose(out[f"{part}_sin"], np.sin(angle), rtol=0, atol=ATOL)
    np.testing.assert_allclose(out[f"{part}_cos"], np.cos(angle), rtol=0, atol=ATOL)


def test_columns_follow_the_parts_order_one_row_per_time():
    out = calendar_columns(pd.Series(MOMENTS), ["month", "hour"])
    assert list(out.columns) == ["month_sin", "month_cos", "hour_sin", "hour_cos"]
    assert len(out) == len(MOMENTS)
    assert calendar_columns(pd.Series(MOMENTS), []).shape == (0, 0)


def test_a_named_zone_reads_its_local_hours():
    local = [datetime.datetime(2024, 7, 1, 9, 0), datetime.datetime(2024, 12, 1, 9, 0)]
    zoned = pd.DatetimeIndex(local).tz_localize("Europe/Paris")  # 07:00 and 08:00 UTC
    out = calendar_columns(zoned, ["hour"])
    np.testing.assert_allclose(out["hour_sin"], np.sin(reference(local, "hour")), atol=ATOL)


def test_one_written_offset_moves_utc_times_to_it():
    utc = pd.DatetimeIndex(["2024-01-01 22:00", "2024-01-02 03:00"]).tz_localize("UTC")
    out = calendar_columns(utc, ["hour", "weekday"], 330)  # +05:30
    local = [datetime.datetime(2024, 1, 2, 3, 30), datetime.datetime(2024, 1, 2, 8, 30)]
    np.testing.assert_allclose(out["hour_sin"], np.sin(reference(local, "hour")), atol=ATOL)
    np.testing.assert_allclose(out["weekday_cos"], np.cos(reference(local, "weekday")),
                               atol=ATOL)
    assert list(wall_clock(utc, 330)) == [pd.Timestamp(t) for t in local]
    # naive times have no other clock than their own
    naive = pd.DatetimeIndex(["2024-01-01 22:00"])
    assert list(wall_clock(naive, 330)) == [pd.Timestamp("2024-01-01 22:00")]


# -- zones and written offsets ---------------------------------------------------------------
def test_zone_names():
    assert zone_name(None) is None
    assert zone_name(ZoneInfo("Europe/Paris")) == "Europe/Paris"
    assert zone_name(ZoneInfo("America/New_York")) == "America/New_York"
    assert zone_name(datetime.timezone(datetime.timedelta(hours=2))) is None  # an offset
    assert zone_name(datetime.timezone.utc) is None


def parsed(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # several offsets: said by parse_time
        return parse_time(pd.Series(values), "t")[0]


def test_row_offsets_as_written():
    assert row_offsets(pd.Series([1.0, 2.0])) is None  # numbers
    assert row_offsets(pd.Series(pd.to_datetime(["2024-01-01"]))) is None  # no zone
    paris = pd.Series(pd.DatetimeIndex(["2024-01-01"]).tz_localize("Europe/Paris"))
    assert row_offsets(paris) is None  # a named zone: its rules give the hours
    one = parsed(["2024-01-01T00:00:00+05:30", "2024-01-01T01:00:00+05:30"])
    assert row_offsets(one).tolist() == [330, 330]
    several = parsed(["2024-01-01T00:00:00+01:00", "2024-07-01T00:00:00+02:00",
                      "2024-07-02T00:00:00-03:30"])
    assert row_offsets(several).tolist() == [60, 120, -210]


def test_to_zone_keeps_the_instants_and_the_written_offsets():
    one = parsed(["2024-07-01T09:00:00+05:30", "2024-07-01T10:00:00+05:30"])
    moved = to_zone(one, "Europe/Paris")
    assert str(moved.dt.tz) == "Europe/Paris"
    assert (moved == one).all()  # the same instants
    assert list(moved) == [pd.Timestamp("2024-07-01 05:30", tz="Europe/Paris"),
                           pd.Timestamp("2024-07-01 06:30", tz="Europe/Paris")]
    assert row_offsets(one).tolist() == [330, 330]
    assert moved.attrs["offsets"].tolist() == [330, 330]


def test_written_clock_none_one_offset_or_a_table():
    assert written_clock(pd.Series(pd.to_datetime(["2024-01-01"]))) is None
    assert written_clock(pd.Series(pd.DatetimeIndex(["2024-01-01"]).tz_localize(
        "Europe/Paris"))) is None
    assert written_clock(parsed(["2024-01-01T00:00:00-08:00"])) == -480
    table = written_clock(parsed(["2024-01-01T03:00:00+01:00", "2024-01-01T00:00:00-05:00"]),
                          keys=["a", "b"])
    # sorted by UTC time: b's 05:00 UTC after a's 02:00 UTC
    assert table["key"].tolist() == ["a", "b"]
    assert table["minutes"].tolist() == [60, -300]
    assert list(table["utc"]) == [pd.Timestamp("2024-01-01 02:00"),
                                  pd.Timestamp("2024-01-01 05:00")]


def test_each_series_reads_its_own_written_offsets_before_between_and_after_its_rows():
    # series a crosses into summer time (+01:00 -> +02:00); series b is in -05:00
    times = parsed(["2024-03-31T00:00:00+01:00", "2024-03-31T03:00:00+02:00",
                    "2024-03-31T00:00:00-05:00", "2024-03-31T01:00:00-05:00"])
    keys = ["a", "a", "b", "b"]
    clock = written_clock(times, keys)
    asked = pd.DatetimeIndex(["2024-03-30 20:00", "2024-03-31 00:00", "2024-03-31 02:00",
                              "2024-03-31 00:00", "2024-03-31 07:00"]).tz_localize("UTC")
    who = ["a", "a", "a", "b", "b"]
    expected = [pd.Timestamp("2024-03-30 21:00"),  # before a's first row: its first offset
                pd.Timestamp("2024-03-31 01:00"),  # after a's first row (23:00 UTC): +01:00
                pd.Timestamp("2024-03-31 04:00"),  # after a's last row: +02:00
                pd.Timestamp("2024-03-30 19:00"),  # before b's first row: -05:00
                pd.Timestamp("2024-03-31 02:00")]  # after b's last row: -05:00
    assert list(wall_clock(asked, clock, who)) == expected
    out = calendar_columns(asked, ["hour"], clock, who)
    np.testing.assert_allclose(out["hour_sin"],
                               np.sin(reference([t.to_pydatetime() for t in expected], "hour")),
                               atol=ATOL)


@pytest.mark.parametrize(("column", "name"), [
    (pd.Series([1, 2, 3]), None),
    (pd.Series(pd.to_datetime(["2024-01-01"])), "as written (no time zone)"),
    (pd.Series(pd.DatetimeIndex(["2024-01-01"]).tz_localize("Europe/Paris")),
     "local (Europe/Paris)"),
    (pd.Series(pd.DatetimeIndex(["2024-01-01"]).tz_localize(ZoneInfo("UTC"))), "UTC"),
    (pd.Series(pd.to_datetime(["2024-01-01"], utc=True)), "UTC"),
    (pd.Series(pd.DatetimeIndex(["2024-01-01"]).tz_localize(
        datetime.timezone(datetime.timedelta(hours=-3, minutes=-30)))), "local (UTC-03:30)"),
])
def test_clock_names(column, name):
    assert clock_name(column) == name
