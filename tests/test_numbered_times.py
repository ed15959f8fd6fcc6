"""Times written as numbers (lstmcast.tables.numbered_times): a spreadsheet's day numbers
read with ``time_format="excel"`` against Python's own calendar, the warning where numbers
kept as numbers read as such days, and the command line on a CSV saved so; dates written
as digits (19490101), against Python's ``datetime.strptime``.

Seconds and milliseconds since 1970 are tested in test_timeline.py, through parse_time.
"""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli

from lstmcast.errors import TimeError
from lstmcast.tables.numbered_times import hint, written_digits
from lstmcast.tables.timeline import parse_time

SPREADSHEET_DAY_0 = dt.datetime(1899, 12, 30)  # day 1 is 1900-01-01, past the 1900-02-29 it counts


def test_day_numbers_read_as_the_calendar_counts_them():
    days = [25569, 36526, 43831, 44621.5, 45000 + 1 / 24, 45000 + 23 / 24 + 59 / 1440]
    parsed, used = parse_time(pd.Series(days), "when", "excel")
    expected = [SPREADSHEET_DAY_0 + dt.timedelta(seconds=round(d * 86400)) for d in days]
    assert used == "excel"
    assert parsed.tolist() == [pd.Timestamp(e) for e in expected]
    assert parsed.iloc[0] == pd.Timestamp("1970-01-01")  # the epoch, as spreadsheets count it
    assert parsed.iloc[2] == pd.Timestamp("2020-01-01")
    assert parsed.iloc[4] == pd.Timestamp("2023-03-15 01:00:00")  # to the second, not 00:59:59.999


def test_day_numbers_written_as_text_read_too():
    parsed, _ = parse_time(pd.Series(["43831", "43862"]), "when", "excel")
    assert parsed.tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")]


def test_excel_refuses_text_dates():
    with pytest.raises(TimeError, match=r"holds text \(such as '2020-01-01'\); "
                                        r"time_format='excel' reads numbers \(a spreadsheet's "
                                        r"day numbers"):
        parse_time(pd.Series(["2020-01-01", "2020-02-01"]), "when", "excel")


@pytest.mark.parametrize("freq", ["D", "W-MON", "MS", "QS", "YS", "h"])
def test_day_numbers_of_a_regular_calendar_are_named(freq):
    times = pd.date_range("2015-01-01", periods=40, freq=freq)
    days = pd.Series((times - pd.Timestamp(SPREADSHEET_DAY_0)) / pd.Timedelta(days=1))
    if freq != "h":
        days = days.astype(np.int64)
    first = (f"{int(days.iloc[0])}, which read as a spreadsheet's day numbers "
             f"\\({times[0]:%Y-%m-%d} for the first")  # W-MON: 2015-01-05; hourly: not 42005.0
    with pytest.warns(UserWarning, match=r"Time column 'Date' holds numbers such as " + first +
                      r": a date column saved in the General format\): they are used as "
                      r"numbers. --time-format excel reads them as dates"):
        parsed, used = parse_time(days, "Date")
    assert parsed.dtype.kind in "if" and used is None  # numbers are not dates unasked


@pytest.mark.parametrize("values", [
    np.arange(100, 244),  # counts, a step of one, below the day numbers of 1927
    np.arange(1949, 1961),  # years
    np.arange(20_000, 20_100) * 1.37,  # within the range, no calendar's step
    np.array([43831.3, 43832.7, 43833.1]),  # not whole hours apart
    np.arange(90_000, 90_100)])  # past 2119
def test_other_numbers_get_no_day_number_warning(values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hint(pd.Series(values), "t")


def test_command_line_names_the_format_and_reads_the_days(tmp_path):
    months = pd.date_range("2001-01-01", periods=60, freq="MS")
    table = tmp_path / "export.csv"
    pd.DataFrame({"Date": (months - pd.Timestamp(SPREADSHEET_DAY_0)).days,
                  "sales": np.arange(60) % 12 + 10.0}).to_csv(table, index=False)
    before = table.read_bytes()
    plain = run_cli("inspect", table, "--target", "sales", "--time", "Date")
    assert plain.returncode == 0, plain.stderr
    assert "read as a spreadsheet's day numbers (2001-01-01 for the first" in plain.stderr
    assert "--time-format excel reads them as dates" in plain.stderr
    told = run_cli("inspect", table, "--target", "sales", "--time", "Date",
                   "--time-format", "excel")
    assert told.returncode == 0, told.stderr
    assert ("time: 'Date' holds dates, read as excel (a spreadsheet's day numbers, days since "
            "1899-12-30); frequency monthly") in told.stdout
    assert "season: 12" in told.stdout and "day numbers" not in told.stderr
    assert table.read_bytes() == before


# -- dates written as digits --------------------------------------------------------------
MONTHS = [dt.datetime(1949 + k // 12, 1 + k % 12, 1) for k in range(30)]


@pytest.mark.parametrize("fmt", ["%Y%m", "%Y%m%d", "%Y%m%d%H", "%Y%m%d%H%M"])
def test_dates_written_as_digits_read_as_dates_where_numbers_would_have_gaps(fmt):
    """Monthly dates through two year ends, written as one whole number each (as a CSV
    reads 19490101): as numbers they are not evenly spaced (19491201 to 19500101 is 8,900),
    so they are read as the dates Python's strptime reads, in the format that wrote them."""
    numbers = pd.Series([int(m.strftime(fmt)) for m in MONTHS])
    assert written_digits(numbers) == fmt
    parsed, used = parse_time(numbers, "date")
    assert used == fmt
    assert parsed.tolist() == [pd.Timestamp(dt.datetime.strptime(str(n), fmt)) for n in numbers]


@pytest.mark.parametrize("values", [
    [20240101, 20240102, 20240103],  # evenly spaced: numbers (with a hint, below)
    [19491201, 19491232, 19500101],  # no day 32
    [17991201, 17991231, 18000101],  # before 1800
    [123456, 123457, 123469],  # 6 digits, month 34
    [20240101, 2024010200, 20240103],  # digits of two lengths
    [19490101.5, 19490201, 19500101]])  # not whole
def test_other_numbers_are_not_read_as_digit_dates(values):
    assert written_digits(pd.Series(values)) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert parse_time(pd.Series(values), "t")[0].dtype.kind in "if"


def test_digit_dates_a_step_apart_stay_numbers_with_the_format_named():
    days = pd.Series([20240101, 20240102, 20240103])
    with pytest.warns(UserWarning, match=r"Time column 't' holds numbers such as 20240101, "
                      r"which read as dates written %Y%m%d \(2024-01-01 00:00\): they are used "
                      r"as numbers. --time-format %Y%m%d reads them as dates"):
        hint(days, "t")


def test_command_line_reads_a_column_of_digit_dates_as_the_time(tmp_path):
    """Months written 19490101 (a column of whole numbers to a CSV reader), trained without
    --time: the column was a past input counting the rows, and with --time the months had
    "792 missing time steps (every 100)". It is the time column, with a season of 12, and
    the forecasts are written as the table wrote its dates. The file is not changed."""
    months = pd.date_range("1949-01-01", periods=96, freq="MS")
    table = tmp_path / "ymd.csv"
    pd.DataFrame({"date": months.strftime("%Y%m%d").astype(int),
                  "value": 100 + 10 * np.sin(2 * np.pi * np.arange(96) / 12)}).to_csv(
        table, index=False)
    before = table.read_bytes()
    told = run_cli("inspect", table, "--target", "value", "--time", "date")
    assert told.returncode == 0, told.stderr
    assert "time: 'date' holds dates, read as %Y%m%d; frequency monthly" in told.stdout
    assert "season: 12" in told.stdout
    out = tmp_path / "forecast.csv"
    trained = run_cli("train", table, "--target", "value", "--steps", 2, "--epochs", 1,
                      "--out", tmp_path / "run")
    assert trained.returncode == 0, trained.stderr
    assert "Column 'date' holds the table's dates: read as the time column" in trained.stderr
    done = run_cli("predict", tmp_path / "run", table, "--out", out)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out)["date"].tolist() == [19570101, 19570201]
    assert table.read_bytes() == before


def test_years_named_for_them_and_the_years_between_rows():
    from lstmcast.tables.numbered_times import named_years, years_apart

    assert named_years("Year", pd.Series([1871, 1872, 1873]))
    assert named_years("jahr", np.array([2000.0, 2005.0]))
    assert not named_years("level", pd.Series([1871, 1872]))  # not named for years
    assert not named_years("year", pd.Series([1871.5, 1872.5]))  # not whole
    assert not named_years("year", pd.Series([0, 1, 2]))  # row numbers, not years
    assert not named_years("year", pd.Series([True, False]))
    assert years_apart(np.array([1.0, 1.0, 1.0])) == 1
    assert years_apart(np.array([10.0, 10.0])) == 10  # a census
    assert years_apart(np.array([1.0, 2.0])) is None  # a year skipped
    assert years_apart(np.array([12.0])) is None and years_apart(np.array([])) is None
