"""Series held in memory as pandas and numpy hold them, read as tables.

A pandas Series, a numpy array of one dimension or a list of numbers is one column (the
Series' name, or ``VALUES``). The dates of a DataFrame's or a Series' index become a
column (the index's name, or ``INDEX_TIME``) where they are the time, rather than being
dropped: a DatetimeIndex or a PeriodIndex (pandas' way of saying which axis is time),
text that reads as dates (``Jan 1980``, as some loaders label a series' months) or years
in an index named for them. They are the time where no time column is given
(``time_of``) or where it names them, and the other levels of such an index come with
them (the series' names of a long table indexed by series and date). A level of any
other index becomes a column where the time or the group names it (``with_levels``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidTypeError
from lstmcast.tables import numbered_times, timeline

VALUES = "y"
"""The column an unnamed Series, an array or a list of numbers becomes."""
INDEX_TIME = "time"
"""The column an unnamed index of dates becomes."""


def frame_of(data: Any) -> pd.DataFrame | None:
    """``data`` as a DataFrame (its index as it is); None where it is not held in memory
    (a path).

    Raises:
        InvalidTypeError: an array of two or more dimensions (its columns have no
            names), or values that are not numbers.
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(VALUES if data.name is None else str(data.name))
    elif isinstance(data, (np.ndarray, list, tuple)):
        values = np.asarray(data)
        if values.ndim != 1:
            raise InvalidTypeError(
                f"Expected a DataFrame, a Series or one series of numbers, got an array of "
                f"shape {values.shape}: its columns have no names. Give a DataFrame with "
                "named columns.")
        if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
            raise InvalidTypeError(
                f"Expected a series of numbers, got a {type(data).__name__} of "
                f"{values.dtype} values. Give a DataFrame for a table with text columns.")
        return pd.DataFrame({VALUES: values})
    return data if isinstance(data, pd.DataFrame) else None


def time_of(data: Any, time: str | None) -> str | None:
    """The time column: ``time`` where given, else the column ``with_levels`` makes of an
    index of dates in ``data`` (one level of dates), else None."""
    if time is not None or not isinstance(data, (pd.DataFrame, pd.Series)):
        return time
    dates = _date_levels(data.index)
    if len(dates) != 1:
        return None
    columns = _columns(data.index, dates)
    held = ([VALUES if data.name is None else str(data.name)]
            if isinstance(data, pd.Series) else data.columns)
    return None if any(c in held for c in columns) else columns[dates[0]]


def with_levels(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the levels of its index that ``names`` names (the time's or the
    group's columns; an unnamed level of dates is ``INDEX_TIME``) moved into columns, where
    no column holds them already; every level of an index of series and dates where its
    dates are named (the series' names come with them)."""
    if not names:
        return frame
    index = frame.index
    dates = _date_levels(index)
    columns = _columns(index, dates)
    wanted = [i for i, c in enumerate(columns) if c in names and c not in frame.columns]
    if not wanted:
        return frame
    if set(wanted) & set(dates):
        wanted = [i for i, c in enumerate(columns) if c not in frame.columns]
    named = frame.set_axis(index.set_names(columns), axis=0)
    moved = named.reset_index(level=[columns[i] for i in wanted])
    for i in wanted:
        if isinstance(moved[columns[i]].dtype, pd.PeriodDtype):
            moved[columns[i]] = moved[columns[i]].dt.to_timestamp()
    return moved


def _date_levels(index: pd.Index) -> list[int]:
    """The levels of ``index`` that hold dates: datetimes or periods, or, in an index of
    one level, the text of dates (``Jan 1980``, as some loaders label a series' values) or
    years under a name for them (``year``: 1871, 1872 ...; ``found_time.year_column``)."""
    if not isinstance(index, pd.MultiIndex):
        return [0] if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or (
            _years(index) or _text_dates(index)) else []
    return [i for i, level in enumerate(index.levels)
            if isinstance(level, (pd.DatetimeIndex, pd.PeriodIndex))]


def _years(index: pd.Index) -> bool:
    """Whether an index holds years under a name for them, the same number apart once
    sorted (rows are sorted by time), as a column of them is read as the time."""
    name = index.name
    if (not isinstance(name, str) or isinstance(index, pd.RangeIndex)
            or name.strip().lower() not in numbered_times.YEAR_NAMES):  # before sorting
        return False
    years = np.sort(np.asarray(index))[:200]
    return (numbered_times.named_years(index.name, years)
            and numbered_times.years_apart(np.diff(years.astype(float))) is not None)


def _text_dates(index: pd.Index) -> bool:
    """Whether an index of text holds dates, distinct and read in one format (its first
    200), as a column of them is found to be the time."""
    if len(index) < 2 or not timeline.is_text(index):  # its own dtype: numbers are no text
        return False
    values = pd.Series(index[:200])
    parsed = timeline.parsed_quietly(values, "index")
    return parsed is not None and parsed.dtype.kind == "M" and not (
        values.isna().any() or parsed.duplicated().any())


def _columns(index: pd.Index, dates: list[int]) -> list[str]:
    """The columns the levels of ``index`` become, ``dates`` its levels of dates
    (``_date_levels``): each its name, ``INDEX_TIME`` for the one level of dates, else its
    position as pandas names it."""
    return [str(name) if name is not None else INDEX_TIME if dates == [i] else f"level_{i}"
            for i, name in enumerate(index.names)]
