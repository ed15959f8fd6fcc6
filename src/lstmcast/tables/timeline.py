"""The time column: parsed, its frequency found, its gaps counted, continued past the end.

- ``parse_time`` turns a text column into datetimes (ISO 8601 with or without a
  time and a zone; day-first and month-first dates, which must be told apart
  by the values or by ``time_format``); numbers stay numbers, unless a
  strftime ``time_format`` (or "iso8601") says they are dates written without
  separators (20240131); datetimes stay as they are, time zones are kept. A
  column written with several UTC offsets (daylight saving time) is held in
  UTC, each row's offset kept for its hours as written.
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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError


class TimeError(InvalidArgumentError):
    """A time column that cannot be used: unparseable, ambiguous, mixed zones, gaps."""


# day-first and month-first forms people write (ISO 8601 is tried before these)
_DATES = {"dayfirst": ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"],
          "monthfirst": ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"],
          "yearfirst": ["%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]}
# dates with month names, as spreadsheets and R write them ("Jan 1973", "3 March 2024")
_NAMED = ["%b %Y", "%B %Y", "%b-%Y", "%b-%y", "%Y %b", "%Y-%b", "%d %b %Y", "%d %B %Y",
          "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y"]
QUARTERS = "quarters"  # the format name of quarters written as 1960 Q1, 1960-Q1, Q1 1960
_QUARTER = re.compile(r"^(?:(?P<y1>\d{4})\s*[-/ ]?\s*Q(?P<q1>[1-4])|Q(?P<q2>[1-4])\s*[-/ ]?"
                      r"\s*(?P<y2>\d{4}))$", re.IGNORECASE)
_CLOCKS = ["", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", " %I:%M %p", " %I:%M:%S %p"]
TIME_FORMATS = ("auto", "iso8601", "dayfirst", "monthfirst")


def is_text(col: pd.Series) -> bool:
    """A column of text, whichever way pandas stores it (object, str, string, Arrow)."""
    return (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)) and not (
        pd.api.types.is_datetime64_any_dtype(col))


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
            stay numbers.

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
        if written:  # dates written as numbers (20240131), as a CSV reads them
            return _parse_dates(_number_text(col), name, fmt)
        _numbers_not_dates(_number_text(col), name, fmt)
        kind = np.int64 if pd.api.types.is_integer_dtype(col) else np.float64
        return col.astype(kind), None
    if not is_text(col):
        raise TimeError(f"Time column {name!r} has values of type {col.dtype}; expected "
                        "numbers, dates or text dates.")
    text = col.astype(str).str.strip()
    if not written:
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all():
            _numbers_not_dates(text, name, fmt)
            return numbers, None
    return _parse_dates(text, name, fmt)


def _number_text(col: pd.Series) -> pd.Series:
    """Numbers as they were written: whole ones without a decimal point (20240131)."""
    whole = pd.api.types.is_integer_dtype(col) or bool(
        (col.to_numpy(dtype=np.float64) % 1 == 0).all())
    return (col.astype(np.int64) if whole else col).astype(str)


def _numbers_not_dates(col: pd.Series, name: str, fmt: str) -> None:
    """Refuse day-first / month-first for a column of numbers, which they cannot read."""
    if fmt.lower() == "auto":
        return
    raise TimeError(
        f"Time column {name!r} holds numbers (such as {str(col.iloc[0])!r}), which "
        f"time_format={fmt!r} does not read as dates. If they are dates written without "
        "separators, give their strftime format, e.g. time_format='%d%m%Y' "
        "(--time-format); to use them as numbers, leave time_format unset.")


def _quarters(text: pd.Series) -> pd.Series | None:
    """Quarters written as 1960 Q1, 1960-Q1, 1960Q1 or Q1 1960, as the quarter's first day."""
    found = text.str.extract(_QUARTER)
    if found.isna().all(axis=1).any():
        return None
    year = found["y1"].fillna(found["y2"]).astype(int)
    quarter = found["q1"].fillna(found["q2"]).astype(int)
    return pd.Series(pd.to_datetime({"year": year, "month": 3 * quarter - 2, "day": 1}),
                     index=text.index)


def _parse_dates(text: pd.Series, name: str, time_format: str) -> tuple[pd.Series, str]:
    fmt = time_format.lower()
    if fmt in ("auto", QUARTERS):
        parsed = _quarters(text)
        if parsed is not None:
            return parsed, QUARTERS
        if fmt == QUARTERS:
            _raise_first_bad(text, name, [])
    if fmt in ("auto", "iso8601", "dayfirst", "monthfirst"):  # ISO 8601 is never ambiguous
        parsed = _try(text, "ISO8601")
        if parsed is not None:
            return _one_zone(parsed, text, name), "iso8601"
        if fmt == "iso8601":
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
        example = text.iloc[0]
        raise TimeError(
            f"Time column {name!r} reads both day-first and month-first ({example!r}: every day "
            "is 12 or less); say which with time_format='dayfirst' or "
            "time_format='monthfirst'.")
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
    for fmt in formats:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ok = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).notna()
            except (ValueError, TypeError):
                continue
        bad &= ~ok.to_numpy()
    rows = np.flatnonzero(bad)
    if not len(rows):  # each value reads in some format, but no one format reads them all
        raise TimeError(
            f"Time column {name!r} mixes date formats ({text.iloc[0]!r} at row {text.index[0]}, "
            f"{text.iloc[-1]!r} at row {text.index[-1]}): no one format reads every value. "
            "Write them alike, or give the format with `time_format`, e.g. '%d/%m/%Y %H:%M'.")
    row = int(rows[0])
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
                  " (" + ", ".join(_offset_text(m) for m in sorted(set(offsets.tolist()))[:4])
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


# -- the step ------------------------------------------------------------------------
_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
# fixed lengths in nanoseconds, under the names pandas uses and those it used before 2.2
_NS = {"h": 3_600_000_000_000, "H": 3_600_000_000_000, "min": 60_000_000_000,
       "T": 60_000_000_000, "s": 1_000_000_000, "S": 1_000_000_000, "ms": 1_000_000,
       "L": 1_000_000, "us": 1_000, "U": 1_000, "ns": 1, "N": 1}
_DAY = 86_400_000_000_000
# calendar months: months per step and where in the month (before pandas 2.2: M, Q, A, AS)
_MONTHLY = {"MS": (1, "start"), "ME": (1, "end"), "M": (1, "end"), "QS": (3, "start"),
            "QE": (3, "end"), "Q": (3, "end"), "YS": (12, "start"), "AS": (12, "start"),
            "YE": (12, "end"), "Y": (12, "end"), "A": (12, "end")}


@dataclass(frozen=True)
class _Unit:
    """A datetime step as arithmetic: ``n`` nanoseconds ("fixed"), days (wall-clock
    dates), business days, or calendar months, the latter on the month's ``anchor``:
    "start", "end", or a day of the month (its last day when the month is shorter)."""

    kind: str
    n: int
    anchor: Any = None


def _unit(step: dict[str, Any]) -> _Unit:
    freq = str(step["freq"])
    found = re.fullmatch(r"(\d*)([A-Za-z]+)(?:-([A-Za-z]{3}))?", freq)
    if found:
        count, base = int(found[1] or 1), found[2]
        if base in _NS:
            return _Unit("fixed", count * _NS[base])
        if base in ("D", "W", "B"):
            return _Unit("bdays" if base == "B" else "days", count * (7 if base == "W" else 1))
        if base in _MONTHLY:
            months, anchor = _MONTHLY[base]
            day = int(step.get("day") or 1)
            return _Unit("months", count * months, anchor if day == 1 else day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            offset = pd.tseries.frequencies.to_offset(freq)
        except ValueError:
            offset = None
    if isinstance(offset, pd.offsets.Tick) and not isinstance(offset, pd.offsets.Day):
        return _Unit("fixed", int(offset.nanos))
    raise TimeError(f"Unknown time step {freq!r}: expected a frequency such as 'h', '15min', "
                    "'D', 'B', 'W-MON', 'MS', 'ME', 'QS-JAN' or 'YS-JAN'.")


def fixed_length(step: dict[str, Any] | None) -> tuple[str, int] | None:
    """A datetime step whose every step on naive times is as long: ("fixed", nanoseconds)
    or ("days", days); None for months, business days, numbers and no step."""
    if step is None or step["kind"] != "datetime":
        return None
    unit = _unit(step)
    return (unit.kind, unit.n) if unit.kind in ("fixed", "days") else None


def describe(step: dict[str, Any] | None) -> str:
    """A step in words: "hourly", "every 15 minutes", "quarterly", "monthly (on day 3)",
    "every 0.5", "irregular"."""
    if step is None:
        return "irregular"
    if step["kind"] == "number":
        value = step["step"]
        return f"every {int(value) if float(value).is_integer() else value}"
    unit = _unit(step)
    n = unit.n
    if unit.kind == "fixed":
        for name, one, many in (("h", "hourly", "hours"), ("min", "every minute", "minutes"),
                                ("s", "every second", "seconds"),
                                ("ms", "every millisecond", "milliseconds"),
                                ("us", "every microsecond", "microseconds"),
                                ("ns", "every nanosecond", "nanoseconds")):
            if n % _NS[name] == 0:
                k = n // _NS[name]
                return one if k == 1 else f"every {k} {many}"
    if unit.kind == "bdays":
        return "business days" if n == 1 else f"every {n} business days"
    if unit.kind == "days":
        if n % 7 == 0:
            return "weekly" if n == 7 else f"every {n // 7} weeks"
        return "daily" if n == 1 else f"every {n} days"
    word = ({1: "monthly", 3: "quarterly", 6: "half-yearly", 12: "yearly"}.get(n)
            or (f"every {n // 12} years" if n % 12 == 0 else f"every {n} months"))
    if unit.anchor == "end":
        return f"{word} (on month ends)"
    return word if unit.anchor == "start" else f"{word} (on day {unit.anchor})"


def infer_step(times: pd.Series) -> dict[str, Any] | None:
    """The regular step of one series' sorted, distinct times; None when there is none.

    The step is the coarsest grid every time lies on (the greatest common
    divisor of the differences, in calendar months for dates on one day of
    the month, in days for dates at one time of day, else in time), and it
    must also be the most common difference: gaps are allowed, but a grid
    mostly empty (quarterly dates with one off-quarter date on a monthly grid)
    is no step. Dates at one time of day are read on their own wall clock (a
    zone's daylight saving time does not break a daily step).
    """
    if len(times) < 2:
        return None
    if not pd.api.types.is_datetime64_any_dtype(times):
        values = times.to_numpy(dtype=np.float64)
        diffs = np.diff(values)
        if (diffs <= 0).any():
            return None
        step = float(diffs.min())
        ratio = diffs / step
        whole = np.round(ratio)
        if np.allclose(ratio, whole, rtol=0, atol=1e-9) and _regular(whole.astype(np.int64)):
            return {"kind": "number", "step": step}
        return None
    index = pd.DatetimeIndex(times)
    ns = index.as_unit("ns").asi8
    if (np.diff(ns) <= 0).any():
        return None
    wall = _wall(index)
    clock = wall - wall.normalize()
    if (clock == clock[0]).all():
        return _dated_step(wall)
    n = _regular(np.diff(ns))
    return None if n is None else {"kind": "datetime", "freq": _fixed_name(n)}


def _regular(diffs: np.ndarray) -> int | None:
    """The greatest common divisor of positive whole differences, when it is also their
    most common value (ties allowed); else None."""
    step = int(np.gcd.reduce(diffs))
    if step <= 0:
        return None
    values, counts = np.unique(diffs, return_counts=True)
    return step if counts[values == step].sum() >= counts.max() else None


def _dated_step(wall: pd.DatetimeIndex) -> dict[str, Any] | None:
    """The step of distinct times at one time of day: months, weeks, business days, days."""
    months = wall.year.to_numpy().astype(np.int64) * 12 + wall.month.to_numpy() - 1
    anchor = _month_anchor(wall)
    if anchor is not None and (np.diff(months) > 0).all():
        n = _regular(np.diff(months))
        return None if n is None else _month_step(n, anchor, int(wall[0].month))
    dates = wall.normalize().to_numpy().astype("datetime64[D]")
    days = np.diff(dates.astype(np.int64))
    n = _regular(days)
    if n is not None and n % 7 == 0:  # weekly, on the first time's weekday
        day = _WEEKDAYS[wall[0].day_of_week]
        return {"kind": "datetime", "freq": f"W-{day}" if n == 7 else f"{n // 7}W-{day}"}
    weekday = wall.day_of_week.to_numpy()
    if (weekday < 5).all() and ((weekday[1:] <= weekday[:-1]) | (days >= 7)).any():
        # weekdays only, over a weekend: business days (Monday follows Friday)
        b = _regular(np.diff(np.busday_count(dates[0], dates)))
        return None if b is None else {"kind": "datetime", "freq": "B" if b == 1 else f"{b}B"}
    if n is None:
        return None
    return {"kind": "datetime", "freq": "D" if n == 1 else f"{n}D"}


def _month_anchor(wall: pd.DatetimeIndex) -> Any:
    """Where in the month every time falls: "start", "end", or a day (its month's last day
    when the month is shorter: the 30th is February's 28th or 29th); None when they differ."""
    day, length = wall.day.to_numpy(), wall.days_in_month.to_numpy()
    if (day == 1).all():
        return "start"
    if (day == length).all():
        return "end"
    anchor = int(day.max())
    return anchor if (day == np.minimum(anchor, length)).all() else None


def _month_step(n: int, anchor: Any, month: int) -> dict[str, Any]:
    """A step of ``n`` months named as pandas would: quarters and years after the first
    time's month (QS-FEB: February, May, August, November; YE-JUN: each June's end)."""
    start = anchor != "end"
    if n % 12 == 0:
        k = n // 12
        name = f"{'' if k == 1 else k}{'YS' if start else 'YE'}-{_MONTHS[month - 1]}"
    elif n == 3:
        phase = (month - 1) % 3  # QS-JAN starts quarters in January; QE-DEC ends them in December
        name = f"QS-{_MONTHS[phase]}" if start else f"QE-{_MONTHS[phase + 9]}"
    else:
        name = f"{'' if n == 1 else n}{'MS' if start else 'ME'}"
    step: dict[str, Any] = {"kind": "datetime", "freq": name}
    if anchor not in ("start", "end"):
        step["day"] = int(anchor)
    return step


def _fixed_name(ns: int) -> str:
    for name in ("h", "min", "s", "ms", "us", "ns"):
        if ns % _NS[name] == 0:
            k = ns // _NS[name]
            return name if k == 1 else f"{k}{name}"
    raise AssertionError("unreachable: every length is whole nanoseconds")


def is_multiple(step: dict[str, Any], common: dict[str, Any]) -> bool:
    """``step`` lies on ``common``'s grid: the same kind of step, a whole multiple of it
    (whatever the phase: quarters from February and from January are both quarterly)."""
    if step["kind"] != common["kind"]:
        return False
    if step["kind"] == "number":
        ratio = step["step"] / common["step"]
        return abs(ratio - round(ratio)) < 1e-9
    a, b = _unit(step), _unit(common)
    if a.kind == "days" and b.kind == "fixed":  # days on an hourly grid
        return (a.n * _DAY) % b.n == 0
    return a.kind == b.kind and a.anchor == b.anchor and a.n % b.n == 0


def _wall(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The times on their own wall clock (naive): in their zone, when they have one."""
    return index.tz_localize(None) if index.tz is not None else index


def grid(first: Any, last: Any, step: dict[str, Any]) -> pd.Index:
    """Every time from ``first`` to ``last`` at ``step`` (``first``, then ``advance``'s
    steps from it, up to ``last``)."""
    if step["kind"] == "number":
        n = int(round((last - first) / step["step"]))
        return pd.Index(first + np.arange(n + 1) * step["step"])
    unit = _unit(step)
    start, end = pd.DatetimeIndex([first]), pd.Timestamp(last)
    if unit.kind == "fixed":
        count = (end - start[0]) // pd.Timedelta(unit.n, unit="ns")
    else:
        a, b = _wall(start)[0], _wall(pd.DatetimeIndex([end]))[0]
        if unit.kind == "days":
            count = (b.normalize() - a.normalize()).days // unit.n
        elif unit.kind == "bdays":
            count = int(np.busday_count(np.datetime64(a.date()), np.datetime64(b.date()))
                        ) // unit.n
        else:
            count = ((b.year - a.year) * 12 + b.month - a.month) // unit.n
    count = max(int(count), 0) + 2  # the steps up to ``last``, and one more to cut
    out = advance(start.repeat(count), np.arange(count), step)
    return out[out <= end]


def advance(last: np.ndarray, offset: np.ndarray, step: dict[str, Any]) -> Any:
    """``last`` moved ``offset`` steps forward (arrays of the same length), each from its
    own time: a fixed step by its length; days and weeks by the wall-clock date (the
    same hour across daylight saving time); business days skipping weekends; months by
    the calendar, on the step's day of the month (its last day when shorter) or on
    month ends."""
    if step["kind"] == "number":
        values = np.asarray(last, dtype=np.float64) + np.asarray(offset) * step["step"]
        if float(step["step"]).is_integer() and np.issubdtype(np.asarray(last).dtype,
                                                                np.integer):
            return values.astype(np.asarray(last).dtype)
        return values
    unit = _unit(step)
    start = pd.DatetimeIndex(last)
    k = np.broadcast_to(np.asarray(offset, dtype=np.int64), (len(start),)) * unit.n
    if len(start) == 0:
        return start
    if unit.kind == "fixed":
        return _like(start + pd.to_timedelta(k, unit="ns"), start)
    wall = _wall(start)
    day = wall.normalize()
    if unit.kind == "days":
        out = wall + pd.to_timedelta(k, unit="D")
    elif unit.kind == "bdays":
        moved = np.busday_offset(day.to_numpy().astype("datetime64[D]"), k, roll="forward")
        out = pd.DatetimeIndex(moved.astype("datetime64[ns]")) + (wall - day)
    else:
        total = wall.year.to_numpy().astype(np.int64) * 12 + wall.month.to_numpy() - 1 + k
        first = pd.DatetimeIndex(pd.to_datetime(pd.DataFrame(
            {"year": total // 12, "month": total % 12 + 1, "day": 1})))
        length = first.days_in_month.to_numpy()
        at = (length if unit.anchor == "end" else 1 if unit.anchor == "start"
              else np.minimum(unit.anchor, length))
        out = first + pd.to_timedelta(np.asarray(at) - 1, unit="D") + (wall - day)
    if start.tz is not None:
        out = out.tz_localize(start.tz, ambiguous=np.ones(len(out), dtype=bool),
                              nonexistent="shift_forward")
    return _like(out, start)


def _like(out: pd.DatetimeIndex, start: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``out`` in ``start``'s resolution, where no time is lost by it."""
    try:
        same = out.as_unit(start.unit)
    except (AttributeError, ValueError):  # pragma: no cover
        return out
    return same if same.equals(out) else out


@dataclass
class Gap:
    """Missing time steps in one series."""

    series: Any
    after: Any  # the last time before the first gap
    next: Any  # the first time after it
    missing: int  # missing steps in the whole series


def find_gaps(frame: pd.DataFrame, time: str, group: str | None,
              step: dict[str, Any]) -> list[Gap]:
    """The series of a sorted frame that miss time steps of ``step`` (a series with a time
    off its grid has another step: it is left out, not counted as gaps)."""
    gaps = []
    parts = (frame.groupby(group, sort=False, observed=True)[time] if group
             else [(None, frame[time])])
    for sid, times in parts:
        if len(times) < 2:
            continue
        full, pos = _positions(times, step)
        if pos is None or len(full) == len(times):
            continue
        k = int(np.flatnonzero(np.diff(pos) > 1)[0])
        gaps.append(Gap(sid, times.iloc[k], times.iloc[k + 1], len(full) - len(times)))
    return gaps


def _positions(times: pd.Series, step: dict[str, Any]) -> tuple[pd.Index, np.ndarray | None]:
    """A series' grid from its first to its last time, and each time's place on it (None
    when a time is off the grid). A numeric grid holds the series' own values where it
    has them (no rounding differences)."""
    if step["kind"] == "number":
        values = times.to_numpy(dtype=np.float64)
        where = (values - values[0]) / step["step"]
        pos = np.round(where)
        if not np.allclose(where, pos, rtol=0, atol=1e-6):
            return pd.Index([]), None
        pos = pos.astype(np.int64)
        full = values[0] + np.arange(pos[-1] + 1) * step["step"]
        if pd.api.types.is_integer_dtype(times) and float(step["step"]).is_integer():
            full = full.round().astype(np.int64)
            values = times.to_numpy(dtype=np.int64)
        full[pos] = values
        return pd.Index(full), pos
    full = grid(times.iloc[0], times.iloc[-1], step)
    pos = full.get_indexer(pd.DatetimeIndex(times))
    return full, (None if (pos < 0).any() else pos)


def fill_gaps(frame: pd.DataFrame, time: str, group: str | None,
              step: dict[str, Any], constant: list[str]) -> tuple[pd.DataFrame, int]:
    """Reindex each series onto its full grid; new rows hold NaN but for ``constant`` columns
    (the series id and per-series constants), which are carried. A series with a time off
    the grid is kept as it is (no row of it dropped). Returns (frame, rows added)."""
    parts = []
    added = 0
    groups = frame.groupby(group, sort=False, observed=True) if group else [(None, frame)]
    for _, part in groups:
        full, pos = _positions(part[time], step)
        if pos is None or len(full) == len(part):
            parts.append(part)
            continue
        indexed = part.set_index(time)
        if isinstance(full, pd.DatetimeIndex) and indexed.index.tz is not None:
            full = full.tz_convert(indexed.index.tz)
        out = indexed.reindex(full)
        for c in constant:
            out[c] = out[c].ffill()
        out.index.name = time
        out = out.reset_index()
        added += len(out) - len(part)
        parts.append(out[frame.columns])
    return pd.concat(parts, ignore_index=True), added


# -- calendar ---------------------------------------------------------------------------
CALENDAR_PERIODS = {"hour": 24, "weekday": 7, "yearday": 365.25, "month": 12}


def season(step: dict[str, Any] | None) -> tuple[int | None, str]:
    """The main season of a step, in steps, and what it is: a day of sub-daily rows (24
    hourly, 48 half-hourly), a week of days (7, or 5 business days), a year of weeks (52),
    months (12), quarters (4) or half-years (2); (None, why) when the step has none (numbers,
    years, or a step that does not divide a day)."""
    if step is None:
        return None, "the time column is irregular"
    if step["kind"] != "datetime":
        return None, "the time column holds numbers, not dates"
    unit = _unit(step)
    if unit.kind == "fixed":
        if unit.n < _DAY and _DAY % unit.n == 0:
            return _DAY // unit.n, "a day"
        return None, f"{describe(step)} rows have no daily season"
    if unit.kind == "bdays":
        return (5, "a week of business days") if unit.n == 1 else (None, describe(step))
    if unit.kind == "days":
        if unit.n == 1:
            return 7, "a week"
        if unit.n == 7:
            return 52, "a year of weeks"
        return None, f"{describe(step)} rows have no season"
    by_months = {1: (12, "a year of months"), 3: (4, "a year of quarters"),
                 6: (2, "a year of half-years")}
    return by_months.get(unit.n, (None, f"{describe(step)} rows have no season"))


def calendar_parts(step: dict[str, Any] | None) -> list[str]:
    """The calendar cycles a step makes meaningful (none for numeric or yearly time)."""
    if step is None or step["kind"] != "datetime":
        return []
    unit = _unit(step)
    if unit.kind == "months":
        return ["month"] if unit.n < 12 else []
    if unit.kind == "days" and unit.n % 7 == 0:
        return ["yearday"]
    if unit.kind in ("days", "bdays") or unit.n % _DAY == 0:
        return ["weekday", "yearday"]
    return ["hour", "weekday", "yearday"]


def calendar_names(parts: list[str]) -> list[str]:
    return [f"{part}_{f}" for part in parts for f in ("sin", "cos")]


def calendar_columns(times: Any, parts: list[str], written: Any = None,
                     keys: Any = None) -> pd.DataFrame:
    """Sine and cosine of each calendar cycle at ``times`` (one row per time), on the
    series' own wall clock: the times as written without a zone, in their zone's local
    time with one, or with the UTC offsets they were written with (``written``, from
    ``written_clock``; ``keys``: each time's series id, as given to it)."""
    index = wall_clock(times, written, keys)
    values = {"hour": index.hour + index.minute / 60.0, "weekday": index.day_of_week,
              "yearday": index.day_of_year - 1, "month": index.month - 1}
    out = {}
    for part in parts:
        angle = 2 * np.pi * np.asarray(values[part], dtype=np.float64) / CALENDAR_PERIODS[part]
        out[f"{part}_sin"] = np.sin(angle)
        out[f"{part}_cos"] = np.cos(angle)
    return pd.DataFrame(out)


# -- the wall clock: the hours the times were written in ---------------------------------
def zone_name(tz: Any) -> str | None:
    """A named time zone's name ("Europe/Paris"); None for no zone or a fixed UTC offset."""
    if tz is None or tz.utcoffset(None) is not None:  # fixed offsets know theirs without a date
        return None
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)


def row_offsets(parsed: pd.Series) -> np.ndarray | None:
    """Each row's UTC offset in minutes as written, for times whose zone is only offsets
    (several, kept by ``parse_time`` row for row, or one fixed offset); None for times
    without a zone or in a named zone (whose own rules give their hours)."""
    if not pd.api.types.is_datetime64_any_dtype(parsed) or parsed.dt.tz is None:
        return None
    fixed = parsed.dt.tz.utcoffset(None)
    if fixed is None:  # a named zone
        return None
    if "offsets" in parsed.attrs:
        return parsed.attrs["offsets"]
    return np.full(len(parsed), int(fixed.total_seconds() // 60), dtype=np.int64)


def to_zone(parsed: pd.Series, tz: str) -> pd.Series:
    """``parsed`` converted to zone ``tz``, its hours as written kept for the calendar
    (unless ``tz`` is a named zone, whose rules then give them)."""
    written = row_offsets(parsed)
    out = parsed.dt.tz_convert(tz)
    out.attrs["offsets"] = written
    return out


def written_clock(parsed: pd.Series, keys: Any = None) -> Any:
    """What ``calendar_columns`` needs to read times on the clock they were written with:
    None (their own zone, or none), one offset in minutes, or a table of each series'
    written offsets by UTC time, which also gives the times after a series' last row
    (gaps, the forecast) the offset of the row before them. ``keys``: the series ids,
    row for row with ``parsed`` (None for one series)."""
    minutes = row_offsets(parsed)
    if minutes is None or len(minutes) == 0:
        return None
    if (minutes == minutes[0]).all():
        return int(minutes[0])
    return pd.DataFrame({"key": _keys(keys, len(parsed)), "utc": _utc(parsed),
                         "minutes": np.asarray(minutes, dtype=np.int64)}
                        ).sort_values("utc", kind="stable").reset_index(drop=True)


def wall_clock(times: Any, written: Any = None, keys: Any = None) -> pd.DatetimeIndex:
    """``times`` on the clock they were written with, naive (see ``written_clock``)."""
    index = pd.DatetimeIndex(times)
    if written is None or index.tz is None:
        return _wall(index)
    utc = _utc(index)
    if not isinstance(written, pd.DataFrame):
        return utc + pd.Timedelta(minutes=int(written))
    query = pd.DataFrame({"key": _keys(keys, len(index)), "utc": utc,
                          "row": np.arange(len(index))}).sort_values("utc", kind="stable")
    found = pd.merge_asof(query, written, on="utc", by="key", direction="backward")
    if found["minutes"].isna().any():  # before a series' first row: its first offset
        ahead = pd.merge_asof(query, written, on="utc", by="key", direction="forward")
        found["minutes"] = found["minutes"].fillna(ahead["minutes"]).fillna(0)
    minutes = np.empty(len(index), dtype=np.int64)
    minutes[found["row"].to_numpy()] = found["minutes"].to_numpy(dtype=np.int64)
    return utc + pd.to_timedelta(minutes, unit="min")


def _utc(times: Any) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(times)
    return index.tz_convert("UTC").tz_localize(None).as_unit("ns")


def _keys(keys: Any, n: int) -> np.ndarray:
    if keys is None:
        return np.full(n, "0", dtype=object)
    return pd.Series(np.asarray(keys)).astype(str).to_numpy(dtype=object)


def clock_name(parsed: pd.Series) -> str | None:
    """The clock calendar inputs read a parsed time column on, in words (None for numbers)."""
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        return None
    if parsed.dt.tz is None:
        return "as written (no time zone)"
    zone = zone_name(parsed.dt.tz)
    if zone is not None:
        return "UTC" if zone in ("UTC", "Etc/UTC") else f"local ({zone})"
    written = row_offsets(parsed)  # None: several offsets that could not be read back
    minutes = sorted({int(m) for m in written}) if written is not None and len(written) else [0]
    if len(minutes) > 1:
        return (f"local (the UTC offset each row was written with: "
                f"{', '.join(_offset_text(m) for m in minutes[:4])}; the rows after a "
                "series' end keep its last row's)")
    return "UTC" if minutes == [0] else f"local (UTC{_offset_text(minutes[0])})"


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
