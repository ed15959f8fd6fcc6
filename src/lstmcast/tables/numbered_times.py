"""Times written as numbers: seconds or milliseconds since 1970, spreadsheets' day
numbers, and dates written as digits (19490101).

A column of numbers named as the time stays numbers (a step of 1, no calendar) unless a
``time_format`` says what they count (``read``), with two exceptions: whole seconds
written as milliseconds from 1973 on, as JSON writers write dates (``is_epoch_ms``), and
dates written without separators that as numbers would not be evenly spaced
(``written_digits``: 19491201 then 19500101, which as numbers leave a gap of 8,900).
Where numbers kept as numbers look like dates counted one of these ways, a warning
names the dates they read as and the format that reads them (``hint``): a sensor log's
1609459200 (seconds since 1970), or a spreadsheet's 43831 (2020-01-01: a date column
exported in the "General" format, as Excel and LibreOffice count days from 1899-12-30).
Years are numbers too: a column named for them holding whole numbers from 1000 to 2999
(``named_years``), the same number of years apart (``years_apart``), is a yearly table's
time where none is named.

No torch here.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import TimeError, shown

UNITS = {"epoch-ms": "ms", "epoch-s": "s", "excel": "D"}
"""The time formats that read numbers, and the unit each counts."""
ORIGINS = {"epoch-ms": pd.Timestamp("1970-01-01"), "epoch-s": pd.Timestamp("1970-01-01"),
           "excel": pd.Timestamp("1899-12-30")}
"""Where each count starts (a spreadsheet's day 1 is 1900-01-01 in the 1900 date system,
day 60 the 1900-02-29 it counts though it never was: from day 61 on, 1899-12-30 is day 0)."""
COUNTED = {"epoch-ms": "milliseconds since 1970-01-01, UTC",
           "epoch-s": "seconds since 1970-01-01, UTC",
           "excel": "a spreadsheet's day numbers, days since 1899-12-30"}
"""What each counts, in words."""

EPOCH_MS = (10**11, 10**13)
"""Milliseconds since 1970 as JSON writers write dates (pandas' to_json, JavaScript): read
as dates without being told when every value is a whole second from 1973 to 2286 and the
numbers are not dates written with 12 digits (201001011300: %Y%m%d%H%M)."""

DAY_NUMBERS = (10_000, 80_000)
"""The spreadsheet day numbers ``hint`` looks at: 1927-05-18 to 2119-01-10."""
DIGIT_FORMATS = {6: "%Y%m", 8: "%Y%m%d", 10: "%Y%m%d%H", 12: "%Y%m%d%H%M"}
"""Dates written as whole numbers without separators, by their number of digits."""
DIGIT_YEARS = (1800, 2200)
"""The years such dates are read in."""

_DAY_STEPS = ((1 / 24, 1 / 24), (1, 1), (7, 7), (28, 31), (89, 92), (181, 184), (365, 366))
"""The steps, in days, of regular times: hours, days, weeks, months, quarters, halves,
years."""


def number_text(col: pd.Series) -> pd.Series:
    """Numbers as they were written: whole ones without a decimal point (20240131)."""
    whole = pd.api.types.is_integer_dtype(col) or bool(
        (col.to_numpy(dtype=np.float64) % 1 == 0).all())
    return (col.astype(np.int64) if whole else col).astype(str)


def is_epoch_ms(col: pd.Series) -> bool:
    """Whether a column of numbers is milliseconds since 1970 (see ``EPOCH_MS``)."""
    values = col.to_numpy(dtype=np.float64)
    if not ((values >= EPOCH_MS[0]) & (values < EPOCH_MS[1]) & (values % 1000 == 0)).all():
        return False
    twelve = number_text(col)
    if not (twelve.str.len() == 12).all():
        return True
    return bool(pd.to_datetime(twelve, format="%Y%m%d%H%M", errors="coerce").isna().any())


def digit_dates(col: pd.Series) -> str | None:
    """The format of ``DIGIT_FORMATS`` that reads every value of a column of whole numbers
    as a date from ``DIGIT_YEARS``; None where there is none."""
    values = col.to_numpy(dtype=np.float64)
    if len(values) == 0 or not np.isfinite(values).all() or (values % 1).any():
        return None
    text = number_text(col)
    lengths = text.str.len().unique()
    fmt = DIGIT_FORMATS.get(int(lengths[0])) if len(lengths) == 1 else None
    if fmt is None:
        return None
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    years = parsed.dt.year
    if parsed.isna().any() or (years < DIGIT_YEARS[0]).any() or (years >= DIGIT_YEARS[1]).any():
        return None
    return fmt


def written_digits(col: pd.Series) -> str | None:
    """The format that reads a column of numbers as dates written without separators
    (``digit_dates``) where, as numbers, they are not evenly spaced: a month or a year
    passed (19490101, 19490201, ... 19500101), which read as numbers would be a time with
    gaps; None otherwise (numbers a step apart stay numbers, with a ``hint``)."""
    fmt = digit_dates(col)
    if fmt is None:
        return None
    steps = np.diff(np.unique(col.to_numpy(dtype=np.float64)))
    return fmt if len(steps) > 1 and (steps != steps[0]).any() else None


def read(col: pd.Series, name: str, fmt: str) -> tuple[pd.Series, str]:
    """Numbers counting ``UNITS[fmt]`` from ``ORIGINS[fmt]`` as dates (without a zone, as
    the dates that were written so); a spreadsheet's fractions of a day to the second."""
    values = col.to_numpy(dtype=np.float64)
    unit = UNITS[fmt]
    if fmt == "excel":
        values, unit = np.round(values * 86_400), "s"
    try:
        parsed = pd.to_datetime(values, unit=unit, origin=ORIGINS[fmt])
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        raise TimeError(f"Time column {name!r} holds numbers (such as {shown(col.iloc[0])}) "
                        f"that time_format={fmt!r} cannot read as {COUNTED[fmt]}.") from None
    return pd.Series(parsed, index=col.index, name=col.name), fmt


def hint(col: pd.Series, name: str) -> None:
    """A warning where numbers kept as numbers read as seconds since 1970, as a
    spreadsheet's day numbers or as dates written as digits."""
    values = np.unique(col.to_numpy(dtype=np.float64))
    if len(values) < 2:
        return
    digits = digit_dates(pd.Series(values))
    if digits:
        first = pd.to_datetime(number_text(pd.Series(values[:1])), format=digits).iloc[0]
        warnings.warn(f"Time column {name!r} holds numbers such as {int(values[0])}, which "
                      f"read as dates written {digits} ({first:%Y-%m-%d %H:%M}): they are "
                      f"used as numbers. --time-format {digits} reads them as dates (a season "
                      "from the calendar, forecasts dated).", stacklevel=4)
    elif _seconds(values):
        first = pd.Timestamp(int(values[0]), unit="s")
        warnings.warn(f"Time column {name!r} holds numbers such as {int(values[0])}, which "
                      f"read as seconds since 1970 ({first:%Y-%m-%d %H:%M} UTC): they are "
                      "used as numbers. --time-format epoch-s reads them as dates (a season "
                      "from the calendar, forecasts dated).", stacklevel=4)
    elif _day_numbers(values):
        first = read(pd.Series(values[:1]), name, "excel")[0].iloc[0]
        warnings.warn(f"Time column {name!r} holds numbers such as "
                      f"{np.format_float_positional(values[0], trim='-')}, "
                      f"which read as a spreadsheet's day numbers ({first:%Y-%m-%d} for the "
                      "first: a date column saved in the General format): they are used as "
                      "numbers. --time-format excel reads them as dates (a season from the "
                      "calendar, forecasts dated).", stacklevel=4)


def _seconds(values: np.ndarray) -> bool:
    """Whole seconds from 1973 to 2286, apart by whole minutes (a sensor log's 1609459200)."""
    return bool((values % 1 == 0).all() and values[0] >= 1e8 and values[-1] < 1e10
                and not (np.diff(values) % 60).any())


def _day_numbers(values: np.ndarray) -> bool:
    """Within ``DAY_NUMBERS``, whole hours apart, the most common step one of a calendar's."""
    if values[0] < DAY_NUMBERS[0] or values[-1] >= DAY_NUMBERS[1]:
        return False
    hours = values * 24
    if np.abs(hours - np.round(hours)).max() > 1e-6:
        return False
    steps, counts = np.unique(np.round(np.diff(values) * 24) / 24, return_counts=True)
    step = steps[np.argmax(counts)]
    return any(low - 1e-9 <= step <= high + 1e-9 for low, high in _DAY_STEPS)


YEAR_NAMES = ("year", "years", "yr", "jahr", "année", "annee", "año", "ano", "anno")
"""Names a column of years goes by (in any case)."""


def named_years(name: Any, values: pd.Series | np.ndarray) -> bool:
    """Whether ``values`` (a column, or an index, named ``name``) are named for years
    (``YEAR_NAMES``) and are whole numbers from 1000 to 2999 (the first 200 read)."""
    col = values.iloc[:200] if isinstance(values, pd.Series) else pd.Series(values[:200])
    if not (isinstance(name, str) and name.strip().lower() in YEAR_NAMES
            and pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            and len(col) > 1 and col.notna().all()):
        return False
    numbers = col.to_numpy(dtype=float)
    return bool((numbers % 1 == 0).all() and numbers.min() >= 1000 and numbers.max() < 3000)


def years_apart(steps: np.ndarray) -> int | None:
    """The years between rows where ``steps`` (the changes of a column of years, series by
    series) are all the same, from 1 to 10 (a census every 10 years); else None."""
    if len(steps) and 1 <= steps[0] <= 10 and (steps == steps[0]).all():
        return int(steps[0])
    return None
