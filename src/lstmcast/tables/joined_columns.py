"""A series id or a time given as several columns: ``group="store,item"``,
``time="year,month"``.

A table of jobs by job and sex needs two columns to name a series; a table of
quarterly accounts often holds its time as a year and a quarter, a government
table as a year and a month. Where the group or the time names several columns
joined by commas (and no column bears that whole name), ``join`` gives the table
one column under that name, in the first part's place and instead of the parts,
so that the rest of lstmcast sees one id and one time column; every reader of a
table calls it. ``split`` writes such columns of a table written out (forecasts)
back as their parts.

- a series id: the parts' values joined by `` | `` (``"a | x"``);
- a time: a year, then a quarter (a column named for quarters, or values
  ``Q1`` .. ``Q4``: ``"2000 Q1"``), a month (1 to 12 or its name:
  ``"2000-01"``), or a month and a day (``"2000-01-31"``); or a date and a time
  of day (a second column of clock times, ``"17:24:00"``, as sensor logs write
  them: ``"16/12/2006 17:24:00"``): text the time column reads as any other.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import shown
from lstmcast.tables import in_memory, timeline
from lstmcast.tables.io import DataError, missing_column, read_table

SEPARATOR = " | "  # not "/": a series id is a path segment of the service (/forecast/ID)
_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                  "Nov", "Dec")
_MONTHS = {m.lower(): k for k, m in enumerate(_ABBREVIATIONS, start=1)}


def parts(name: str | None) -> list[str]:
    """The columns ``name`` joins: several for ``"store,item"``, else none."""
    if not isinstance(name, str) or "," not in name:
        return []
    return [part.strip() for part in name.split(",")]


def columns(name: str | None) -> list[str]:
    """The columns a table holds ``name`` in: its parts, or ``name`` itself (none for
    None)."""
    return parts(name) or ([name] if name else [])


def record_id(record: dict, group: str) -> str:
    """A record's series id, as ``join`` writes it for a table of such records."""
    return SEPARATOR.join(str(record[name]) for name in columns(group))


def read_joined(data: Any, group: str | None, time: str | None
                ) -> tuple[pd.DataFrame, str | None]:
    """``data`` read (``io.read_table``) with its group and time joined (``join``), and the
    time column: ``time``, else a DataFrame's index of dates (``in_memory.time_of``)."""
    time = in_memory.time_of(data, time)
    return join(read_table(data), group, time), time


def join(frame: pd.DataFrame, group: str | None, time: str | None = None) -> pd.DataFrame:
    """``frame`` with the columns ``group`` and ``time`` name joined, each into one
    column of that name; ``frame`` itself where each is one column (or the table already
    holds the joined column). Levels of its index named there become columns first."""
    frame = in_memory.with_levels(frame, [*columns(group), *columns(time)])
    for name, role, joined in ((group, "Group", _ids), (time, "Time", _times)):
        names = parts(name)
        if not names or name in frame.columns:
            continue
        for part in names:
            if part not in frame.columns:
                raise missing_column(part, frame.columns, role)
        before = list(frame.columns)[:list(frame.columns).index(names[0])]
        out = frame.drop(columns=names)
        out.insert(len([c for c in before if c not in names]), name,
                   joined(frame, names, name))
        frame = out
    return frame


def _ids(frame: pd.DataFrame, names: list[str], name: str) -> np.ndarray:
    values = frame[names].astype("string")
    joined = values[names[0]]
    for part in names[1:]:
        joined = joined + SEPARATOR + values[part]  # blank where a part is blank
    return joined.astype(object).where(joined.notna(), None).to_numpy()


_CLOCK = re.compile(r"\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?")
"""A time of day as a clock column holds it: "17:24", "17:24:00", "5:00:00.5"."""


def _times(frame: pd.DataFrame, names: list[str], name: str) -> np.ndarray:
    """Each row's time as text: "2000 Q1", "2000-01", "2000-01-31", or a date and its
    time of day ("16/12/2006 17:24:00", the date as written)."""
    if len(names) not in (2, 3):
        raise DataError(f"Time {name!r} joins {len(names)} columns; give a year and a quarter, "
                        "a year and a month, a year, a month and a day, or a date and a time "
                        "of day.")
    if len(names) == 2 and _is_clock(frame[names[1]]):
        return _date_and_clock(frame[names[0]], frame[names[1]])
    _check_year(frame, names, name)
    year = _whole(frame, names[0], name, 1, 9999)
    if len(names) == 2 and _is_quarter(frame[names[1]], names[1]):
        quarter = _whole(frame, names[1], name, 1, 4, strip="q")
        return np.array([f"{y:04d} Q{q}" for y, q in zip(year, quarter)], dtype=object)
    month = _whole(frame, names[1], name, 1, 12, names=_MONTHS)
    if len(names) == 2:
        words = _month_words(frame[names[1]])
        if words is not None:  # "Jan 2000": written back as names (``split``)
            return np.array([f"{words[m - 1]} {y:04d}" for y, m in zip(year, month)],
                            dtype=object)
        return np.array([f"{y:04d}-{m:02d}" for y, m in zip(year, month)], dtype=object)
    day = _whole(frame, names[2], name, 1, 31)
    return np.array([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(year, month, day)],
                    dtype=object)


_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_WRITTEN_MONTHS = {"%b %Y": _ABBREVIATIONS, "%B %Y": _NAMES}
"""How a year and a month written as names join ("Jan 2000", "January 2000"), each with
the names as the column wrote them."""


def _month_words(column: pd.Series) -> tuple[str, ...] | None:
    """The month names a column writes, where every value is an English month's
    abbreviation ("Jan") or every one its full name ("January"); None otherwise."""
    text = column.astype("string").str.strip()
    for words in _WRITTEN_MONTHS.values():
        if bool(text.isin(words).fillna(False).all()):
            return words
    return None


def _check_year(frame: pd.DataFrame, names: list[str], name: str) -> None:
    """A DataError where the first part holds days or months, not years (``--time
    Month,Day``: a daily table that never says its year; ``--time day,time``: a day of the
    year and a clock), with what to do."""
    if re.search(r"y(ea)?r|an|jahr|ano|año", names[0], re.IGNORECASE):
        return
    numbers = pd.to_numeric(frame[names[0]].astype("string").str.strip(), errors="coerce")
    days = bool(re.fullmatch(r"(day|doy|yday|julian)s?", names[0].strip(), re.IGNORECASE))
    if len(numbers) and numbers.notna().all() and (days or numbers.between(1, 31).all()):
        raise DataError(
            f"Time {name!r}: column {names[0]!r} holds {int(numbers.min())} .. "
            f"{int(numbers.max())}, which are not years; a time of several columns starts "
            "with the year (--time Year,Month,Day). Add a column of years to the file, or "
            "leave --time out to read the rows as evenly spaced steps in their order.")


def _is_clock(column: pd.Series) -> bool:
    """A column of times of day ("17:24:00"; a workbook's time cells), none blank."""
    values = column.to_numpy(dtype=object)
    if len(values) and all(isinstance(v, datetime.time) for v in values):
        return True
    text = column.astype("string").str.strip()
    return bool(len(text)) and bool(text.str.fullmatch(_CLOCK).fillna(False).all())


def _date_and_clock(dates: pd.Series, clocks: pd.Series) -> np.ndarray:
    """Each row's date and time of day joined as text: the date as written (a date typed
    as such, in a workbook or a Parquet file: ISO), then the time."""
    day = (pd.DatetimeIndex(dates).strftime("%Y-%m-%d").to_series(index=dates.index)
           if pd.api.types.is_datetime64_any_dtype(dates) else dates.astype("string"))
    joined = day.str.strip() + " " + clocks.astype("string").str.strip()
    return joined.astype(object).where(joined.notna(), None).to_numpy()


def _is_quarter(column: pd.Series, part: str) -> bool:
    text = column.astype("string").str.strip().str.lower()
    return bool(re.search(r"quarter|qtr", part, re.IGNORECASE)
                or text.str.fullmatch(r"q[1-4]").fillna(False).all())


def _whole(frame: pd.DataFrame, part: str, name: str, low: int, high: int,
           strip: str = "", names: dict[str, int] | None = None) -> np.ndarray:
    """Column ``part`` as whole numbers from ``low`` to ``high`` (``strip``: a letter
    before them; ``names``: words for them, by their first three letters), or a
    DataError naming the first value that is not."""
    text = frame[part].astype("string").str.strip().str.lower()
    if strip:
        text = text.str.removeprefix(strip)
    numbers = pd.to_numeric(text, errors="coerce")
    if names:
        numbers = numbers.fillna(text.str[:3].map(names).astype("Float64"))
    good = numbers.notna() & (numbers % 1 == 0) & numbers.between(low, high)
    good = good.fillna(False).to_numpy(dtype=bool)
    if not good.all():
        row = int(np.argmax(~good))
        raise DataError(f"Time {name!r}: column {part!r} holds {shown(frame[part].iloc[row])} at "
                        f"row {row}, not a whole number from {low} to {high}"
                        + (" or a month's name" if names else "") + ".")
    return numbers.to_numpy(dtype=np.int64)


def split(frame: pd.DataFrame, group: str | None, time: str | None = None,
          quarters: bool = False, writing: dict | None = None) -> pd.DataFrame:
    """``frame`` with its joined id and time columns (``join``) back as the columns they
    were made of: a time as its year, then its quarter (``quarters``: it was read as
    quarters), its month, or its month and day; or, given ``writing`` (the pipeline's time
    record, for ``timeline.write_back``), as its date and its time of day, the date
    written as the table wrote it. Of two columns not read as quarters, a year and a
    month join into text read as "%Y-%m"; any other was a date and a time of day."""
    names = parts(group)
    if names and group in frame.columns:
        pieces = frame[group].astype(str).str.split(SEPARATOR, n=len(names) - 1, expand=True,
                                                    regex=False)
        frame = _replace(frame, group, {n: pieces[k].to_numpy() for k, n in enumerate(names)})
    names = parts(time)
    if names and time in frame.columns:
        times = pd.DatetimeIndex(pd.to_datetime(frame[time]))
        words = _WRITTEN_MONTHS.get((writing or {}).get("written"))
        if len(names) == 2 and not quarters and words is not None:  # "Jan 2000"
            return _replace(frame, time, {names[0]: np.asarray(times.year),
                                          names[1]: np.array([words[m - 1] for m in times.month],
                                                             dtype=object)})
        if (len(names) == 2 and not quarters and writing is not None
                and writing.get("written") != "%Y-%m"):
            text = timeline.write_back(times, writing)
            text = pd.Series(text if text is not None else
                             times.strftime("%Y-%m-%d %H:%M:%S"), dtype=object)
            pieces = text.str.rsplit(" ", n=1, expand=True)
            return _replace(frame, time, {names[0]: pieces[0].to_numpy(),
                                          names[1]: pieces[1].to_numpy()})
        values = [times.year, times.quarter if quarters else times.month, times.day]
        frame = _replace(frame, time, {n: np.asarray(v) for n, v in zip(names, values)})
    return frame


def _replace(frame: pd.DataFrame, name: str, parts_: dict[str, np.ndarray]) -> pd.DataFrame:
    out = frame.drop(columns=[name])
    at = list(frame.columns).index(name)
    for k, (part, values) in enumerate(parts_.items()):
        out.insert(at + k, part, values)
    return out
