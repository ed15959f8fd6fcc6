"""The time column: parsed, its frequency found, its gaps counted, continued past the end.

- ``parse_time`` turns a text column into datetimes (ISO 8601 with or without a
  time and a zone; day-first and month-first dates, which must be told apart
  by the values or by ``time_format``); numbers stay numbers, unless a
  strftime ``time_format`` (or "iso8601") says they are dates written without
  separators (20240131), or another what they count (``numbered_times``), or they
  read as such dates and as numbers would have gaps (19491201, 19500101);
  datetimes stay as they are, time zones are kept ("2020-01-01 00:00:00 UTC", as
  databases export times, is read at +00:00). A column written with several
  UTC offsets (daylight saving time) is held in UTC, each row's offset kept for
  its hours as written. Dates written as the UTC instants of their local
  midnights (``local_dates``: 07:00Z in summer, 08:00Z in winter) are read as the
  dates. Quarters (1960 Q1) and ISO weeks (2019-W02) are read first, as periods
  (``lstmcast.tables.periods``); forecasts' times are written back as the table
  wrote them (``writing``, ``write_back``).
- ``infer_step`` finds the regular step of a series, tolerating gaps: the
  coarsest grid every time lies on, which must also be the most common
  difference: sub-daily (hourly, 15 minutes...), daily, business days, weekly
  on any weekday, calendar months on any day of the month or on month ends
  (monthly, quarterly in any phase, half-yearly, yearly), or a numeric step.
- ``advance`` continues each series from its own times (``grid``: every step
  from a first time to a last): a fixed step by its length, days and weeks by
  the wall-clock date, business days over weekends, months by the calendar.
- ``find_gaps`` / ``fill_gaps`` count the missing time steps of each series and
  reindex them onto the regular grid.
- ``calendar_columns`` derives hour-of-day, day-of-week, day-of-year and month
  as sine/cosine pairs, on the series' own wall clock (``written_clock``).

A step is a small JSON-ready dict: ``{"kind": "number", "step": 1.0}`` or
``{"kind": "datetime", "freq": "h"}``, a pandas frequency string ("15min", "h",
"D", "B", "W-MON", "MS", "ME", "QS-FEB", "QE-DEC", "6MS", "YS-JAN"...), with a
day of the month for months on another day than the first or the last:
``{"kind": "datetime", "freq": "MS", "day": 3}``. The names pandas used before
2.2 ("M", "Q-DEC", "A-DEC", "H", "T") read too.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError, TimeError, shown
from lstmcast.tables import numbered_times
from lstmcast.tables.numbered_times import number_text
from lstmcast.tables.periods import (
    ISO_WEEK_FORMATS,
    ISO_WEEKS,
    QUARTERS,
    iso_weeks,
    quarter_notation,
    quarters,
    write_quarters,
)

# day-first and month-first forms people write (ISO 8601 is tried before these)
_DATES = {"dayfirst": ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"],
          "monthfirst": ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"],
          "yearfirst": ["%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]}
# dates with month names, as spreadsheets and R write them ("Jan 1973", "3 March 2024")
_NAMED = ["%b %Y", "%B %Y", "%b-%Y", "%b-%y", "%Y %b", "%Y-%b", "%d %b %Y", "%d %B %Y",
          "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y",
          "%YM%m",  # 2000M01: months as statistics offices (Eurostat, IMF) and Stata write
          "%m/%Y", "%m-%Y"]  # 01/2010: a month and its year, as ledgers write them
MIDNIGHTS = "dates (local midnights written in utc)"  # the format name of ``local_dates``
_CLOCKS = ["", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p"]
TIME_FORMATS = ("auto", "iso8601", "dayfirst", "monthfirst", *numbered_times.UNITS)


def is_text(col: pd.Series) -> bool:
    """A column of text, whichever way pandas stores it (object, str, string, Arrow)."""
    return (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)) and not (
        pd.api.types.is_datetime64_any_dtype(col))



def parsed_quietly(col: pd.Series, name: str) -> pd.Series | None:
    """``col`` as ``parse_time`` reads it, its warnings held back (they are said when the
    column is read as the time), or None where it does not read: for finding which column,
    or index, holds a table's time."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse_time(col, name)[0]
    except InvalidArgumentError:
        return None

def parse_time(col: pd.Series, name: str, time_format: str | None = None) -> tuple[pd.Series,
                                                                                    str | None]:
    """The time column as numbers or datetimes, and the format that read it (None if not text).

    Args:
        col: the column as read (numbers, datetimes, or text of either).
        name: its name, for messages.
        time_format: "auto" or None (ISO 8601, then day-/month-first forms when
            the values tell them apart), "iso8601", "dayfirst", "monthfirst" (ISO
            8601 dates, never ambiguous, read too), or a strftime format such as
            "%d/%m/%Y %H:%M". A strftime format or "iso8601" also reads a column
            of numbers as dates (20240131 with "%Y%m%d"); without one, numbers
            stay numbers, but for milliseconds since 1970 (read as "epoch-ms") and
            dates written as 6 to 12 digits that as numbers are not evenly spaced
            (19490101, 19490201 ...: read as "%Y%m%d").
            "epoch-ms" and "epoch-s" read numbers counting from 1970-01-01 (UTC)
            as dates, "excel" a spreadsheet's day numbers
            (``lstmcast.tables.numbered_times``).

    Returns:
        The parsed column and the format that read it. Times written with
        several UTC offsets are held in UTC, each row's offset in minutes kept
        in ``parsed.attrs["offsets"]``, row for row (``written_clock``).

    Raises:
        TimeError: a missing value, a value that does not parse (named with its
            row), day-first and month-first both possible, a mix of zones, or
            numbers with "dayfirst" / "monthfirst".
    """
    missing = col.isna().to_numpy()
    if missing.any():
        if missing.sum() == 1 and missing[0] and len(col) > 1:
            raise TimeError(f"Time column {name!r} is blank in the first row (a row of units "
                            "or notes under the header?): leave that row out; every row needs a "
                            "time.")
        row = col.index[missing][0]
        raise TimeError(f"Time column {name!r} has {int(missing.sum())} missing values (first "
                        f"at row {row}); every row needs a time.")
    if pd.api.types.is_bool_dtype(col):
        raise TimeError(f"Time column {name!r} holds true/false values, not times.")
    if pd.api.types.is_datetime64_any_dtype(col):
        return col, None
    fmt = (time_format or "auto").strip()
    written = fmt.lower() not in ("auto", "dayfirst", "monthfirst")  # iso8601 or strftime
    if pd.api.types.is_numeric_dtype(col):
        if fmt.lower() in numbered_times.UNITS or (
                fmt.lower() == "auto" and numbered_times.is_epoch_ms(col)):
            return numbered_times.read(col, name, fmt.lower() if written else "epoch-ms")
        digits = numbered_times.written_digits(col) if fmt.lower() == "auto" else None
        if written or digits:  # dates written as numbers (20240131), as a CSV reads them
            return _parse_dates(number_text(col), name, digits or fmt)
        _numbers_not_dates(number_text(col), name, fmt)
        numbered_times.hint(col, name)
        kind = np.int64 if pd.api.types.is_integer_dtype(col) else np.float64
        return col.astype(kind), None
    if not is_text(col):
        raise TimeError(f"Time column {name!r} has values of type {col.dtype}; expected "
                        "numbers, dates or text dates.")
    text = col.astype(str).str.strip()
    if fmt.lower() in ("auto", "iso8601") and text.str.fullmatch(_UTC_WORD).all():
        text = text.str.replace(_UTC_WORD, r"\1+00:00", regex=True)  # "... 00:00:00 UTC"
    if not written or fmt.lower() in numbered_times.UNITS:
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all():
            return parse_time(numbers, name, time_format)
        if fmt.lower() in numbered_times.UNITS:
            raise TimeError(f"Time column {name!r} holds text (such as {shown(text.iloc[0])}); "
                            f"time_format={fmt.lower()!r} reads numbers ("
                            f"{numbered_times.COUNTED[fmt.lower()]}): leave time_format unset "
                            "to read dates.")
    return _parse_dates(text, name, fmt)


_UTC_WORD = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(?:UTC|GMT)")
"""An ISO 8601 time followed by the word UTC or GMT, as databases export timestamps
("2020-01-01 00:00:00 UTC"): read as the time at offset +00:00."""


def _numbers_not_dates(col: pd.Series, name: str, fmt: str) -> None:
    """Refuse day-first / month-first for a column of numbers, which they cannot read."""
    if fmt.lower() == "auto":
        return
    raise TimeError(
        f"Time column {name!r} holds numbers (such as {str(col.iloc[0])!r}), which "
        f"time_format={fmt!r} does not read as dates. If they are dates written without "
        "separators, give their strftime format, e.g. time_format='%d%m%Y' "
        "(--time-format); to use them as numbers, leave time_format unset.")


WRITTEN = ("%Y-%m", "%Y/%m", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
           "%b %Y", "%B %Y", "%b %d %Y", "%d %b %Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
           "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M",
           "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
           "%d.%m.%Y %H:%M:%S",
           # without leading zeros, as spreadsheets write them: "1/5/2020", "Jan 5 2020"
           "%-m/%-d/%Y", "%-d/%-m/%Y", "%-d.%-m.%Y", "%b %-d %Y", "%-m/%-d/%Y %H:%M",
           "%-m/%-d/%Y %-H:%M", "%-d/%-m/%Y %H:%M", "%-d/%-m/%Y %H:%M:%S",
           "%-m/%-d/%Y %H:%M:%S", "%YM%m", "%Ym%-m",
           "%Y-%m-%d %H:%M:%S")  # midnights written out (a spreadsheet's export), which
# pandas' own way writes as dates
"""How dates are written besides pandas' own ("2020-01-01", "2020-01-01 13:00:00"), for
``written_format``: what a table's forecasts are written back in. The ``%-`` forms (no
leading zero) are the C library's on Linux and macOS; where one writes something else,
it matches no table, and the dates are written as pandas writes them."""


UTC_WRITTEN = ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S GMT", "%Y-%m-%dT%H:%M:%SZ",
               "%Y-%m-%dT%H:%M:%S.000Z", "%Y-%m-%d %H:%M UTC", "%Y-%m-%dT%H:%MZ")
"""How times in UTC are written besides with an offset: a database's "... UTC", JSON's
"...Z"."""


def written_format(text: pd.Series, parsed: pd.Series, formats: tuple[str, ...] = WRITTEN
                   ) -> str | None:
    """The format of ``formats`` that writes ``parsed`` exactly as ``text`` was written (its
    first and last 100 values), so that forecasts of a table of "2019-12" months read
    "2020-01", not 2020-01-01; None for pandas' own way, times with a zone (but those in
    UTC written as ``UTC_WRITTEN`` writes them), and any other."""
    zone = getattr(parsed.dt, "tz", None)
    if zone is not None:
        if str(zone) != "UTC":
            return None
        formats = UTC_WRITTEN
    if len(text) == 0:
        return None
    keep = np.r_[0:min(100, len(text)), max(0, len(text) - 100):len(text)]
    want = text.iloc[keep].astype(str).str.strip().to_numpy()
    times = pd.DatetimeIndex(parsed.iloc[keep])
    if (times.astype(str).to_numpy() == want).all():
        return None  # pandas' own way writes them so
    for fmt in formats:
        if (times.strftime(fmt).to_numpy() == want).all():
            return fmt
    return None


def writing(text: pd.Series, parsed: pd.Series, used: str | None) -> dict[str, str]:
    """How times read from ``text`` (in format ``used``) are written back: quarters as
    written (``{"notation": "{y} Q{q}"}``), other dates in a format of ``WRITTEN``
    (``{"written": "%Y-%m"}``); nothing for pandas' own way, numbers and datetimes."""
    if used == QUARTERS:
        return {"notation": quarter_notation(str(text.iloc[0]))}
    if parsed.dtype.kind != "M" or pd.api.types.is_datetime64_any_dtype(text):
        return {}
    read_as = ((used,) if used and "%" in used else  # first as it was read
               ISO_WEEK_FORMATS if used == ISO_WEEKS else ())
    written = written_format(text, parsed, read_as + WRITTEN)
    return {} if written is None else {"written": written}


def write_back(times: Any, writing: dict[str, Any]) -> np.ndarray | None:
    """Datetimes ``times`` written as the training table wrote them (``writing``: what
    ``writing`` returned, kept in the pipeline's time record), as text; None where that
    was pandas' own way."""
    if writing.get("notation"):
        return write_quarters(times, writing["notation"])
    if writing.get("written"):
        return pd.DatetimeIndex(times).strftime(writing["written"]).to_numpy(dtype=object)
    return None


def clock_change_hour(times: Any) -> np.ndarray:
    """Per time of a local clock without its zone, whether it falls where summer time
    starts or ends: from 00:00 to 03:00, in March, April, September, October or November
    (the hour skipped in spring, the hour repeated in autumn, either hemisphere)."""
    index = pd.DatetimeIndex(times)
    return np.asarray((index.hour <= 3) & index.month.isin([3, 4, 9, 10, 11]))


def local_dates(parsed: pd.Series, known: bool = False) -> pd.Series | None:
    """Dates written as the UTC instants of their local midnights, as a JavaScript export
    writes them ("2000-05-01T07:00:00.000Z" for May 1 in California, 08:00 in winter),
    as the dates (2000-05-01); None for other times. Recognised by a clock in UTC that
    reads two whole hours an hour apart and nothing else (summer time), never twice in a
    day; ``known``: the training table's times were such dates, so these are too. A
    clock from 11:00 on is a midnight east of Greenwich, on the next day (23:00 for
    Paris, 13:00 for Sydney)."""
    if parsed.dtype.kind != "M" or parsed.dt.tz is None:
        return parsed if known and parsed.dtype.kind == "M" else None
    utc = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    day = utc.dt.floor("D")
    minutes = ((utc - day) // pd.Timedelta(minutes=1)).to_numpy()
    dates = day + pd.to_timedelta(np.where(minutes >= 11 * 60, 1, 0), unit="D")
    if not known:
        clocks = np.unique(minutes)
        if (str(parsed.dt.tz) != "UTC" or len(clocks) != 2 or clocks[1] - clocks[0] != 60
                or clocks[0] % 60 or pd.Series(utc.unique()).dt.floor("D").duplicated().any()):
            return None  # not two whole hours an hour apart, or two times in a day
    return dates


def _parse_dates(text: pd.Series, name: str, time_format: str) -> tuple[pd.Series, str]:
    fmt = time_format.lower()
    if fmt in ("auto", QUARTERS):
        parsed = quarters(text)
        if parsed is not None:
            return parsed, QUARTERS
        if fmt == QUARTERS:
            _raise_first_bad(text, name, [])
    if fmt in ("auto", ISO_WEEKS):
        try:
            parsed = iso_weeks(text)
        except ValueError as exc:
            row, value = exc.args
            raise TimeError(f"Time column {name!r} holds ISO weeks (2019-W02), but "
                            f"{shown(value)} at row {row} is no week of its year (weeks 1 "
                            "to 52, or 53 in a long year).") from None
        if parsed is not None:
            return parsed, ISO_WEEKS
        if fmt == ISO_WEEKS:
            _raise_first_bad(text, name, [])
    if fmt in ("auto", "iso8601", "dayfirst", "monthfirst", MIDNIGHTS):  # never ambiguous
        parsed = _try(text, "ISO8601")
        if parsed is not None:
            parsed = _one_zone(parsed, text, name)
            dates = local_dates(parsed, known=fmt == MIDNIGHTS)
            return (parsed, "iso8601") if dates is None else (dates, MIDNIGHTS)
        if fmt in ("iso8601", MIDNIGHTS):
            _raise_first_bad(text, name, ["ISO8601"])
    if fmt not in ("auto", "dayfirst", "monthfirst"):  # a strftime format
        parsed = _try(text, time_format)
        if parsed is None:
            _raise_first_bad(text, name, [time_format])
        return _one_zone(parsed, text, name), time_format
    orders = ["dayfirst", "monthfirst", "yearfirst"] if fmt == "auto" else [fmt, "yearfirst"]
    found: dict[str, tuple[str, pd.Series]] = {}
    for order in orders:
        for date in _DATES[order]:
            for clock in _CLOCKS:
                parsed = _try(text, date + clock)
                if parsed is not None:
                    found.setdefault(order, (date + clock, parsed))
    if "dayfirst" in found and "monthfirst" in found:
        order = _evenly_spaced(found, text, name)
        found = {order: found[order]}
    if not found and fmt == "auto":
        for date in _NAMED:
            parsed = _try(text, date)
            if parsed is not None:
                return _one_zone(parsed, text, name), date
    if not found:
        _raise_first_bad(text, name, ["ISO8601"] + [d + c for o in orders for d in _DATES[o]
                                                  for c in _CLOCKS] + _NAMED)
    order = next(o for o in orders if o in found)
    fmt_used, parsed = found[order]
    return _one_zone(parsed, text, name), fmt_used


def _evenly_spaced(found: dict[str, tuple[str, pd.Series]], text: pd.Series,
                   name: str) -> str:
    """Of a column that reads both day-first and month-first, the one reading whose times
    are evenly spaced (a warning says so), as a month's first days written 1/1/2000,
    2/1/2000 ... are; where both are, or neither, a TimeError asks which."""
    spaced = {}
    for order in ("dayfirst", "monthfirst"):
        times = pd.DatetimeIndex(found[order][1].unique()).sort_values()
        if len(times) >= 3 and _even(times):
            dates = (times == times.normalize()).all()
            spaced[order] = ", ".join(t.strftime("%Y-%m-%d") if dates else str(t)
                                      for t in times[:3]) + " ..."
    example = text.iloc[0]
    if len(spaced) != 1:
        raise TimeError(
            f"Time column {name!r} reads both day-first and month-first ({example!r}: every day "
            "is 12 or less); say which with time_format='dayfirst' or "
            "time_format='monthfirst'.")
    order = next(iter(spaced))
    other = "monthfirst" if order == "dayfirst" else "dayfirst"
    warnings.warn(f"Time column {name!r} reads both day-first and month-first ({example!r}: "
                  f"every day is 12 or less): read {order.replace('first', '-first')}, the "
                  f"only reading whose times are evenly spaced ({spaced[order]}); "
                  f"time_format={other!r} reads it the other way.", stacklevel=4)
    return order


def _even(times: pd.DatetimeIndex) -> bool:
    """Whether sorted ``times`` are evenly spaced: one fixed step, or the same day and
    clock every same number of months (monthly, quarterly, yearly)."""
    if len(np.unique(np.diff(times.asi8))) == 1:
        return True
    months = np.diff(times.year * 12 + times.month)
    clock = times - times.normalize()
    return (len(np.unique(months)) == 1 and len(times.day.unique()) == 1
            and len(clock.unique()) == 1)


def _try(text: pd.Series, fmt: str) -> pd.Series | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
            several = not pd.api.types.is_datetime64_any_dtype(parsed)  # pandas < 3: objects
        except (ValueError, TypeError):  # several UTC offsets: one zone is checked below
            several = True
        if several:
            try:
                parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
            except (ValueError, TypeError):
                return None
    if parsed.isna().any():
        return None
    if several:  # held in UTC; each row's offset kept for its hours as written
        parsed.attrs["offsets"] = _written_offsets(text)
    return parsed


def _written_offsets(text: pd.Series) -> np.ndarray | None:
    """The UTC offset (minutes) each text time ends with: Z, +01:00, +0100 or +01."""
    found = text.str.extract(r"(?:(Z)|([+-])(\d\d):?(\d\d)?)$", flags=re.IGNORECASE)
    if (found[0].isna() & found[1].isna()).any():
        return None
    hours = pd.to_numeric(found[2], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    minutes = pd.to_numeric(found[3], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    sign = np.where(found[1].to_numpy() == "-", -1, 1)
    return sign * (hours * 60 + minutes)


def _raise_first_bad(text: pd.Series, name: str, formats: list[str]) -> None:
    bad = np.ones(len(text), dtype=bool)
    most = np.zeros(len(text), dtype=bool)  # the values of the format that reads the most
    for fmt in formats:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ok = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).notna()
            except (ValueError, TypeError):
                continue
        ok = ok.to_numpy()
        bad &= ~ok
        most = ok if ok.sum() > most.sum() else most
    rows = np.flatnonzero(bad)
    if not len(rows):  # each value reads in some format, but no one format reads them all
        like, odd = int(np.flatnonzero(most)[0]), np.flatnonzero(~most)
        raise TimeError(
            f"Time column {name!r} mixes date formats: most values are written like "
            f"{text.iloc[like]!r} (row {text.index[like]}), but {len(odd)} "
            f"{'is' if len(odd) == 1 else 'are'} not, the first {text.iloc[odd[0]]!r} at row "
            f"{text.index[odd[0]]}. Write them alike, or give the format with `time_format`, "
            "e.g. '%d/%m/%Y %H:%M'.")
    row = int(rows[0])
    if len(rows) <= max(3, len(text) // 100) and (most | bad).all() and most.any():
        # one format reads every other row: a total, a note or units among the dates
        listed = ", ".join(f"{text.iloc[r]!r} at row {text.index[r]}" for r in rows[:3])
        raise TimeError(
            f"Time column {name!r} reads as dates but for {len(rows)} "
            f"{'value' if len(rows) == 1 else 'values'}: {listed} (a total, a note or units "
            f"among the rows?). Leave {'that row' if len(rows) == 1 else 'those rows'} out "
            "of the file.")
    raise TimeError(
        f"Time column {name!r} does not read as dates: {text.iloc[row]!r} at row "
        f"{text.index[row]} ({len(rows)} values like it). Give its format with `time_format`, "
        "e.g. '%d/%m/%Y %H:%M', '%b %Y' for 'Jan 1973'.")


def _one_zone(parsed: pd.Series, text: pd.Series, name: str) -> pd.Series:
    """Refuse a column mixing times with and without a zone; say when offsets were unified."""
    zoned = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if zoned.any() and not zoned.all():
        with_zone = int(np.flatnonzero(zoned.to_numpy())[0])
        without = int(np.flatnonzero(~zoned.to_numpy())[0])
        raise TimeError(
            f"Time column {name!r} mixes times with a zone ({text.iloc[with_zone]!r}, row "
            f"{text.index[with_zone]}) and without ({text.iloc[without]!r}, row "
            f"{text.index[without]}); give every time the same kind.")
    if "offsets" in parsed.attrs:
        offsets = parsed.attrs["offsets"]
        listed = ("" if offsets is None else
                  " (" + ", ".join(offset_text(m) for m in sorted(set(offsets.tolist()))[:4])
                  + ")")
        hours = ("calendar inputs (calendar=True) take each row's hour as written, and "
                 "for the rows after a series' end (the forecast) the UTC offset of its last "
                 "row" if offsets is not None else "calendar inputs (calendar=True) take UTC "
                 "hours")
        warnings.warn(f"Time column {name!r} has several UTC offsets{listed}, as daylight "
                      f"saving time writes them: its times are held in UTC (forecast times "
                      f"too); {hours}. Times in a named zone (tz-aware datetimes, as Parquet "
                      "keeps them) follow the zone's changes past the end.", stacklevel=4)
    return parsed


def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
