"""The time column of a table given without one: found, or named in a warning.

The command line reads a table's time column where ``--time`` is not given (``cli.common``):
the dates of a column without a name in the file (``unnamed_time``), the table's one column
of dates or of dates written as digits (``dated_column``), a column named for years the same
number of years apart (``year_column``), or a year beside a month or a quarter
(``year_and_period``), each said on stderr. ``Forecaster.fit`` without ``time`` takes the rows
in file order, as the tutorial's windows do, and ``check_without_time`` says where that is
not what the table means: dates in a column (a warning; out of order, an error), years or
dates as digits left as inputs (a warning), years repeated within a series (an error naming
the columns that tell the series apart).

No torch here.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError
from lstmcast.tables import text_files
from lstmcast.tables.io import series_columns, told_apart
from lstmcast.tables.numbered_times import YEAR_NAMES, named_years, years_apart


def check_without_time(frame: pd.DataFrame, used: set, targets: list[str],
                       group: str | None) -> None:
    """Where no time column is given: the warnings and errors of ``_check_unnamed_time``
    (``used``: the columns that have a part), ``_check_unnamed_years`` and
    ``_check_unnamed_digits``."""
    _check_unnamed_time(frame, used, group)
    _check_unnamed_years(frame, targets, group)
    _check_unnamed_digits(frame, targets, group)


def _first_times(frame: pd.DataFrame, name: Any) -> tuple[pd.Series | None, str | None]:
    """Text column ``name`` (blank nowhere) read by ``parse_time`` over its first 200 rows:
    the times and None, or None and what ``parse_time`` said; (None, None) for any other
    column."""
    from lstmcast.tables.timeline import is_text, parse_time

    if not is_text(frame[name]) or frame[name].isna().any():
        return None, None
    try:
        return parse_time(frame[name].iloc[:200], str(name))[0], None
    except InvalidArgumentError as error:
        return None, str(error)


def _in_order(times: pd.Series | None, frame: pd.DataFrame, group: str | None) -> bool | None:
    """Whether ``times`` (``_first_times``') are dates in order within each series; None
    where they are no dates."""
    if times is None or times.dtype.kind != "M":
        return None
    return bool(times.groupby(frame[group].iloc[:200].to_numpy()).apply(
        lambda t: t.is_monotonic_increasing).all() if group else
        times.is_monotonic_increasing)


def _dates_in_order(frame: pd.DataFrame, name: Any, group: str | None) -> bool | None:
    """Whether text column ``name`` holds dates in order within each series (its first
    200 rows read); None where it holds no dates (or a blank)."""
    return _in_order(_first_times(frame, name)[0], frame, group)


def unnamed_time(frame: pd.DataFrame, group: str | None) -> str | None:
    """The column without a name in the file that holds dates in order: the time column
    of a table written from a DataFrame indexed by its dates (pandas reads the index's
    blank name as "Unnamed: 0") or of a file without a header line (its columns named
    column_1, column_2, ... by ``text_files``). None where there is none (a ``group`` not
    in the table is named by the checks of the roles, later)."""
    group = group if group in frame.columns else None
    for name in frame.columns:
        if isinstance(name, str) and text_files.NO_NAME.fullmatch(name) and \
                _dates_in_order(frame, name, group):
            return name
    return None


def dated_column(frame: pd.DataFrame, group: str | None) -> str | None:
    """Where no time column is given, the one column of the table (the series id aside)
    holding dates, text or datetimes or dates written as digits (``numbered_times.
    written_digits``: 19490101), distinct within each series (its first 200 rows read): a
    table's time column. None where there is none, or more than one."""
    from lstmcast.tables.numbered_times import written_digits
    from lstmcast.tables.timeline import is_text, parsed_quietly

    group = group if group in frame.columns else None
    found = []
    for name in frame.columns:
        col = frame[name].iloc[:200]
        if name == group or col.isna().any() or not (
                is_text(col) or pd.api.types.is_datetime64_any_dtype(col) or (
                    pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
                    and written_digits(col))):
            continue
        parsed = parsed_quietly(col, str(name))
        if parsed is None:
            continue
        keys = pd.DataFrame({"time": parsed.to_numpy()})
        if group:
            keys["series"] = frame[group].iloc[:200].to_numpy()
        if parsed.dtype.kind == "M" and not keys.duplicated().any():
            found.append(name)
    return found[0] if len(found) == 1 else None


def year_column(frame: pd.DataFrame, group: str | None) -> tuple[str, int] | None:
    """Where no time column is given, a column named for years (``YEAR_NAMES``) holding
    whole numbers from 1000 to 2999, in order within each series and all the same number
    of years apart, from 1 to 10 (its first 200 rows read): a yearly table's time column
    (Nile's 'year'; a census every 10 years), which otherwise is an input counting the
    rows, and the years between rows. None where there is none."""
    group = group if group in frame.columns else None
    for name in frame.columns:
        if not named_years(name, frame[name]):
            continue
        values = frame[name].iloc[:200].to_numpy(dtype=float)
        keys = frame[group].iloc[:200].to_numpy() if group else np.zeros(len(values))
        step = years_apart(np.concatenate([np.diff(values[keys == k])
                                           for k in pd.unique(keys)]))
        if step is not None:
            return name, step
    return None


PERIOD_NAMES = ("month", "months", "mon", "monat", "mois", "mes", "mese", "quarter", "qtr",
                "quartal", "trimestre")
"""Names a column of months or of quarters goes by (in any case), beside one of years."""


def year_and_period(frame: pd.DataFrame, group: str | None) -> str | None:
    """Where no time column is given, a column named for years (``YEAR_NAMES``) beside one
    named for months or quarters (``PERIOD_NAMES``) that read together as times in order
    and distinct within each series (their first 200 rows read): a government table's
    time written in two columns, as ``time="Year,Month"`` joins them. None where there is
    none."""
    from lstmcast.tables import joined_columns
    from lstmcast.tables.timeline import parsed_quietly

    group = group if group in frame.columns else None
    named = {c.strip().lower(): c for c in frame.columns if isinstance(c, str)}
    years = [named[n] for n in YEAR_NAMES if n in named]
    periods = [named[n] for n in PERIOD_NAMES if n in named]
    if len(years) != 1 or len(periods) != 1:
        return None
    name, head = f"{years[0]},{periods[0]}", frame.iloc[:200]
    try:
        joined = joined_columns.join(head, None, name)[name]
    except InvalidArgumentError:  # a month or a quarter that is none
        return None
    times = parsed_quietly(joined, name)
    if times is None:
        return None
    keys = pd.DataFrame({"time": times.to_numpy(),
                         "series": head[group].to_numpy() if group else 0})
    if times.dtype.kind != "M" or keys.duplicated().any() or not _in_order(times, head, group):
        return None
    return name


_DATES_UNREAD = ("reads both day-first", "mixes date formats", "reads as dates but for",
                 "mixes times with a zone")
"""What ``parse_time`` says of a column of dates it cannot read as they are written."""


def _unread_dates(frame: pd.DataFrame, name: Any, said: str | None) -> str | None:
    """What keeps text column ``name``, which holds dates, from being read as dates (mixed
    formats, day-first or month-first...), as ``parse_time`` says it of the whole column
    after the column's name, where it ``said`` so of its first 200 rows (``_first_times``);
    None where that is not what it said, or it said nothing."""
    from lstmcast.tables.timeline import parse_time

    def unread(message: str | None) -> bool:
        return message is not None and any(mark in message for mark in _DATES_UNREAD)

    if not unread(said):
        return None
    try:  # the whole column, for the message's counts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parse_time(frame[name], str(name))
    except InvalidArgumentError as error:
        said = str(error)
    return said.removeprefix(f"Time column {str(name)!r} ") if unread(said) else None


CALENDAR_NAMES = (*YEAR_NAMES, *PERIOD_NAMES, "day", "days", "week", "weekday", "hour",
                  "minute", "date", "time")
"""Names of columns that hold a part of the time: never a series id."""


def _check_unnamed_digits(frame: pd.DataFrame, targets: list[str], group: str | None) -> None:
    """Without a time column a column of dates written as digits (``numbered_times.
    written_digits``: 19490101, its first 200 rows read) is an input counting the rows: a
    warning names the time column."""
    from lstmcast.tables.numbered_times import written_digits

    for name in frame.columns:
        col = frame[name].iloc[:200]
        if (name in targets or name == group or not pd.api.types.is_numeric_dtype(col)
                or pd.api.types.is_bool_dtype(col) or col.isna().any()):
            continue
        fmt = written_digits(col)
        if fmt:
            warnings.warn(f"Column {name!r} holds dates written as digits ({fmt}), but no time "
                          "column was given: it is an input and the rows are taken in file "
                          f"order. Give time={name!r} to read it as the time.", stacklevel=5)
            return


def _check_unnamed_years(frame: pd.DataFrame, targets: list[str], group: str | None) -> None:
    """Without a time column a column of years (``named_years``) is an input counting the rows:
    where a year repeats within a series, the table holds several series not told apart (an
    error where columns tell them apart, named); where the years are in order, a warning
    names the time column (and that gaps are then named, where they skip unevenly); a year
    and a month or quarter (``year_and_period``) are named as the time together."""
    group = group if group in frame.columns else None
    joined = year_and_period(frame, group)
    if joined is not None:
        warnings.warn(f"Columns {' and '.join(map(repr, joined.split(',')))} hold the time, "
                      "but no time column was given: they are inputs and the rows are taken "
                      f"in file order. Give time={joined!r} to read them as the time.",
                      stacklevel=5)
        return
    for name in frame.columns:
        if name in targets or name == group or not named_years(name, frame[name]):
            continue
        keys = [group, name] if group else [name]
        if frame.duplicated(subset=keys).any():
            series = series_columns(frame, keys, skip=CALENDAR_NAMES)
            if series:
                joined = ",".join([group, *series] if group else series)
                raise InvalidArgumentError(
                    f"Column {name!r} holds years, each on several rows of "
                    f"{'a series' if group else 'the table'}, but no time column was given: "
                    f"the rows of several series would be read as one. {told_apart(series)}"
                    f": give group={joined!r} and time={name!r}.")
            return
        steps = np.concatenate([np.diff(y) for _, y in frame.groupby(
            group, sort=False)[name]] if group else [np.diff(frame[name].to_numpy())])
        if (steps > 0).all():
            uneven = len(steps) and (steps != steps[0]).any()
            warnings.warn(f"Column {name!r} holds years in order, and no time column was "
                          "given: it is an input counting the rows, which are taken in file "
                          f"order. Give time={name!r} to read it as the time"
                          + (" (its missing years are then named)." if uneven else "."),
                          stacklevel=5)
        return


def _check_unnamed_time(frame: pd.DataFrame, used: set, group: str | None) -> None:
    """Without a time column the rows are taken in file order: a text column of dates that
    is not in order is a forgotten ``time`` (an error); one in order gets a warning."""
    for name in frame.columns:
        if name in used:
            continue
        times, said = _first_times(frame, name)
        unread = _unread_dates(frame, name, said)
        if unread:
            warnings.warn(f"Column {name!r} is not read as the time column, and rows are taken "
                          f"in file order: no time column was given, and it {unread}",
                          stacklevel=5)
            return
        ordered = _in_order(times, frame, group)
        if ordered is None:
            continue
        if not ordered:
            series = [] if group else series_columns(frame, [name])
            raise InvalidArgumentError(
                f"Column {name!r} holds dates that are not in order, but no time column was "
                f"given: the rows would be taken in file order. Give time={name!r} to sort "
                "each series by it (or sort the file)." + (
                    f" {told_apart(series)} (each has one row per date): give "
                    f"group={','.join(series)!r} too." if series else ""))
        warnings.warn(f"Column {name!r} holds dates but no time column was given: rows are "
                      f"taken in file order, and forecasts get no dates (give time={name!r}).",
                      stacklevel=5)
        return
