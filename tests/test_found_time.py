"""lstmcast.tables.found_time: a table given without its time column. The command line's
readings (dates, digits, years, a year and a month) are run as a user runs them in
test_cli.py and test_trust.py; here, ``Forecaster.fit``'s warnings where it keeps the rows in
file order, through ``roles.resolve``."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.found_time import dated_column, year_and_period, year_column
from lstmcast.tables.roles import resolve


def test_without_time_a_year_and_a_month_or_a_year_alone_are_named_as_the_time():
    """Forecaster.fit without `time` keeps the rows in file order (the command line reads
    these columns as the time itself): a year and a month, or a column of years, were
    inputs without a word. A warning names the time to give."""
    months = pd.date_range("2001-01-01", periods=36, freq="MS")
    frame = pd.DataFrame({"Year": months.year, "Month": months.month,
                          "sales": np.arange(36.0)})
    with pytest.warns(UserWarning, match=r"Columns 'Year' and 'Month' hold the time, but no "
                      r"time column was given: they are inputs .* Give time='Year,Month'"):
        assert resolve(frame, "sales").features == ["Year", "Month"]
    flow = pd.DataFrame({"year": np.arange(1871, 1971), "flow": np.arange(100.0)})
    with pytest.warns(UserWarning, match=r"Column 'year' holds years in order, and no time "
                      r"column was given: .* Give time='year' to read it as the time\.$"):
        resolve(flow, "flow")


def test_without_time_dates_written_as_digits_are_named_as_the_time():
    """Months written 19490101 (whole numbers to a CSV reader) given to Forecaster.fit
    without `time` were an input counting the rows, unsaid; a warning names the time."""
    months = pd.date_range("1949-01-01", periods=30, freq="MS")
    frame = pd.DataFrame({"date": months.strftime("%Y%m%d").astype(int),
                          "value": np.arange(30.0)})
    with pytest.warns(UserWarning, match=r"Column 'date' holds dates written as digits "
                      r"\(%Y%m%d\), but no time column was given: .* Give time='date'"):
        assert resolve(frame, "value").features == ["date"]


def test_the_time_column_found_where_none_is_given():
    """What the command line reads as the time without --time, each against the table it
    was written from: years a constant step apart up to 10, a year and a month that make
    distinct times in order within each series, one column of digit dates."""
    flow = np.arange(40.0)
    for years, found in ((np.arange(1871, 1911), ("year", 1)),
                         (np.arange(1800, 2000, 5), ("year", 5)),
                         (np.arange(1800, 2240, 11), None),  # 11 apart: not read so
                         (np.r_[1871:1891, 1892:1912], None)):  # a year left out
        assert year_column(pd.DataFrame({"year": years, "flow": flow}), None) == found
    months = pd.date_range("2001-01-01", periods=24, freq="MS")
    table = pd.DataFrame({"Year": months.year, "Month": months.month, "v": flow[:24]})
    assert year_and_period(table, None) == "Year,Month"
    two = pd.concat([table.assign(id="a"), table.assign(id="b")], ignore_index=True)
    assert year_and_period(two, None) is None  # each month twice: which series?
    assert year_and_period(two, "id") == "Year,Month"
    digits = pd.DataFrame({"day": months.strftime("%Y%m%d").astype(int), "v": flow[:24]})
    assert dated_column(digits, None) == "day"
    assert dated_column(digits.assign(day=np.arange(24)), None) is None  # a counter
