"""The time column: parsed, its frequency found, its gaps counted, continued past the end.

- ``parse_time`` turns a text column into datetimes (ISO 8601 with or without a
  time and a zone; day-first and month-first dates, which must be told apart
  by the values or by ``time_format``); numbers stay numbers, datetimes stay
  as they are, time zones are kept.
- ``infer_step`` finds the regular step of a series (hourly, daily, business
  days, weekly, monthly, quarterly, yearly, or a numeric step), tolerating gaps.
- ``find_gaps`` / ``fill_gaps`` count the missing time steps of each series and
  reindex them onto the regular grid.
- ``advance`` continues times past the end; ``calendar_columns`` derives
  hour-of-day, day-of-week, day-of-year and month as sine/cosine pairs.

A step is a small JSON-ready dict: ``{"kind": "number", "step": 1.0}`` or
``{"kind": "datetime", "freq": "h"}`` (a pandas frequency string).
"""

from __future__ import annotations

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
            the values tell them apart), "iso8601", "dayfirst", "monthfirst", or a
            strftime format such as "%d/%m/%Y %H:%M".

    Raises:
        TimeError: a missing value, a value that does not parse (named with its
            row), day-first and month-first both possible, or a mix of zones.
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
    if pd.api.types.is_numeric_dtype(col):
        kind = np.int64 if pd.api.types.is_integer_dtype(col) else np.float64
        return col.astype(kind), None
    if not is_text(col):
        raise TimeError(f"Time column {name!r} has values of type {col.dtype}; expected "
                        "numbers, dates or text dates.")
    text = col.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return numbers, None
    return _parse_dates(text, name, (time_format or "auto").strip())


def _parse_dates(text: pd.Series, name: str, time_format: str) -> tuple[pd.Series, str]:
    fmt = time_format.lower()
    if fmt in ("auto", "iso8601"):
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
            "is 12 or less); say which with time_format='dayfirst' or 'monthfirst' "
            "(--time-format).")
    if not found:
        _raise_first_bad(text, name, ["ISO8601"] + [d + c for ds in _DATES.values() for d in ds
                                                  for c in _CLOCKS])
    order = next(o for o in orders if o in found)
    fmt_used, parsed = found[order]
    return _one_zone(parsed, text, name), fmt_used


def _try(text: pd.Series, fmt: str) -> pd.Series | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        except (ValueError, TypeError):  # several UTC offsets: one zone is checked below
            try:
                parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
            except (ValueError, TypeError):
                return None
            parsed.attrs["offsets"] = True
    if parsed.isna().any():
        return None
    return parsed


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
    row = int(rows[0]) if len(rows) else 0
    raise TimeError(
        f"Time column {name!r} does not read as dates: {text.iloc[row]!r} at row "
        f"{text.index[row]} ({len(rows)} values like it). Give its format with time_format "
        "(--time-format), e.g. '%d/%m/%Y %H:%M'.")


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
    if parsed.attrs.get("offsets"):
        warnings.warn(f"Time column {name!r} has several UTC offsets (daylight saving time?); "
                      "its times were converted to UTC.", stacklevel=4)
    return parsed


# -- the step ------------------------------------------------------------------------
_FIXED = [("min", pd.Timedelta(minutes=1)), ("h", pd.Timedelta(hours=1)),
          ("D", pd.Timedelta(days=1))]
# calendar steps, with the names pandas before 2.2 used for month, quarter and year ends
_CALENDAR = [("MS",), ("ME", "M"), ("QS",), ("QE", "Q"), ("YS", "AS"), ("YE", "A")]
NAMES = {"min": "minutes", "h": "hourly", "D": "daily", "B": "business days", "W": "weekly",
         "MS": "monthly", "ME": "monthly", "QS": "quarterly", "QE": "quarterly",
         "YS": "yearly", "YE": "yearly"}


def _base(freq: Any) -> str:
    """A frequency's name without its anchor and multiple: "W-SUN" -> "W", "15min" -> "min"."""
    name = getattr(freq, "rule_code", None) or freq.name
    return name.split("-")[0]


def describe(step: dict[str, Any] | None) -> str:
    """A step in words: "hourly", "every 15 minutes", "every 0.5", "irregular"."""
    if step is None:
        return "irregular"
    if step["kind"] == "number":
        value = step["step"]
        return f"every {int(value) if float(value).is_integer() else value}"
    freq = pd.tseries.frequencies.to_offset(step["freq"])
    base = _base(freq)
    word = NAMES.get(base, step["freq"])
    return word if freq.n == 1 else f"every {freq.n} {word}"


def infer_step(times: pd.Series) -> dict[str, Any] | None:
    """The regular step of one series' sorted, distinct times; None when there is none.

    Gaps are allowed (the step is the smallest difference, which every other
    difference must be a whole multiple of); calendar steps (months,
    quarters, years) need every time on the grid.
    """
    if len(times) < 2:
        return None
    if not pd.api.types.is_datetime64_any_dtype(times):
        values = times.to_numpy(dtype=np.float64)
        diffs = np.diff(values)
        step = float(diffs.min())
        if step <= 0:
            return None
        ratio = diffs / step
        if np.allclose(ratio, np.round(ratio), rtol=0, atol=1e-9):
            return {"kind": "number", "step": step}
        return None
    index = pd.DatetimeIndex(times)
    diffs = index[1:] - index[:-1]
    smallest = diffs.min()
    if smallest <= pd.Timedelta(0):
        return None
    if smallest >= pd.Timedelta(days=28):
        for aliases in _CALENDAR:
            base = _offset(aliases)
            if base is None:
                continue
            for n in (1, 2, 3, 6):
                freq = base * n
                if _on_grid(index, freq):
                    return {"kind": "datetime", "freq": freq.freqstr}
        return None
    if smallest == pd.Timedelta(days=1) and (index.day_of_week < 5).all() and (
            diffs == pd.Timedelta(days=3)).any() and index.normalize().equals(index):
        freq = pd.tseries.frequencies.to_offset("B")
        if _on_grid(index, freq):
            return {"kind": "datetime", "freq": "B"}
    multiples = diffs / smallest
    if not np.allclose(multiples, np.round(multiples)):
        return None
    if smallest % pd.Timedelta(days=7) == pd.Timedelta(0):
        weeks = smallest // pd.Timedelta(days=7)
        day = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][index[0].day_of_week]
        freq = pd.tseries.frequencies.to_offset(f"{weeks}W-{day}" if weeks > 1 else f"W-{day}")
        if index.normalize().equals(index):
            return {"kind": "datetime", "freq": freq.freqstr}
    if smallest % pd.Timedelta(days=1) == pd.Timedelta(0):
        days = smallest // pd.Timedelta(days=1)
        return {"kind": "datetime", "freq": f"{days}D" if days > 1 else "D"}
    freq = pd.tseries.frequencies.to_offset(smallest)
    return {"kind": "datetime", "freq": freq.freqstr}


def _offset(aliases: tuple[str, ...]) -> Any:
    for alias in aliases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.tseries.frequencies.to_offset(alias)
        except ValueError:
            continue
    return None


def _on_grid(index: pd.DatetimeIndex, freq: Any) -> bool:
    grid = pd.date_range(index[0], index[-1], freq=freq)
    return len(grid) > 0 and grid[0] == index[0] and index.isin(grid).all()


def grid(first: Any, last: Any, step: dict[str, Any]) -> pd.Index:
    """Every time from ``first`` to ``last`` at ``step``."""
    if step["kind"] == "number":
        n = int(round((last - first) / step["step"]))
        return pd.Index(first + np.arange(n + 1) * step["step"])
    return pd.date_range(first, last, freq=step["freq"])


def advance(last: np.ndarray, offset: np.ndarray, step: dict[str, Any]) -> Any:
    """``last`` moved ``offset`` steps forward (arrays of the same length)."""
    if step["kind"] == "number":
        values = np.asarray(last, dtype=np.float64) + np.asarray(offset) * step["step"]
        if float(step["step"]).is_integer() and np.issubdtype(np.asarray(last).dtype,
                                                                np.integer):
            return values.astype(np.asarray(last).dtype)
        return values
    freq = pd.tseries.frequencies.to_offset(step["freq"])
    start = pd.DatetimeIndex(last)
    fixed = isinstance(freq, pd.offsets.Tick) or (isinstance(freq, pd.offsets.Day)
                                                   and start.tz is None)
    if fixed:  # a fixed length (a day has 24 hours without a zone): vectorized
        length = (pd.Timedelta(days=freq.n) if isinstance(freq, pd.offsets.Day)
                  else pd.Timedelta(freq.nanos, unit="ns"))
        return start + np.asarray(offset, dtype=np.int64) * length
    return pd.DatetimeIndex([t + int(k) * freq for t, k in zip(start, offset)])


@dataclass
class Gap:
    """Missing time steps in one series."""

    series: Any
    after: Any  # the last time before the first gap
    next: Any  # the first time after it
    missing: int  # missing steps in the whole series


def find_gaps(frame: pd.DataFrame, time: str, group: str | None,
              step: dict[str, Any]) -> list[Gap]:
    """The series of a sorted frame that miss time steps of ``step``."""
    gaps = []
    parts = (frame.groupby(group, sort=False, observed=True)[time] if group
             else [(None, frame[time])])
    for sid, times in parts:
        if len(times) < 2:
            continue
        expected = grid(times.iloc[0], times.iloc[-1], step)
        missing = len(expected) - len(times)
        if missing > 0:
            jumps = np.flatnonzero(~np.isin(times.to_numpy()[1:],
                                            _next_on_grid(times.to_numpy()[:-1], step)))
            k = int(jumps[0]) if len(jumps) else 0
            gaps.append(Gap(sid, times.iloc[k], times.iloc[k + 1], missing))
    return gaps


def _next_on_grid(values: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    nxt = advance(values, np.ones(len(values), dtype=np.int64), step)
    return np.asarray(nxt)


def fill_gaps(frame: pd.DataFrame, time: str, group: str | None,
              step: dict[str, Any], constant: list[str]) -> tuple[pd.DataFrame, int]:
    """Reindex each series onto its full grid; new rows hold NaN but for ``constant`` columns
    (the series id and per-series constants), which are carried. Returns (frame, rows added)."""
    parts = []
    added = 0
    groups = frame.groupby(group, sort=False, observed=True) if group else [(None, frame)]
    for _, part in groups:
        full = grid(part[time].iloc[0], part[time].iloc[-1], step)
        if len(full) == len(part):
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


def calendar_parts(step: dict[str, Any] | None) -> list[str]:
    """The calendar cycles a step makes meaningful (none for numeric or yearly time)."""
    if step is None or step["kind"] != "datetime":
        return []
    freq = pd.tseries.frequencies.to_offset(step["freq"])
    base = _base(freq)
    if base in ("YS", "YE", "AS", "A", "Y"):
        return []
    if base in ("MS", "ME", "M", "QS", "QE", "Q"):
        return ["month"]
    if base == "W":
        return ["yearday"]
    if base in ("D", "B"):
        return ["weekday", "yearday"]
    return ["hour", "weekday", "yearday"]


def calendar_names(parts: list[str]) -> list[str]:
    return [f"{part}_{f}" for part in parts for f in ("sin", "cos")]


def calendar_columns(times: Any, parts: list[str]) -> pd.DataFrame:
    """Sine and cosine of each calendar cycle at ``times`` (one row per time)."""
    index = pd.DatetimeIndex(times)
    values = {"hour": index.hour + index.minute / 60.0, "weekday": index.day_of_week,
              "yearday": index.day_of_year - 1, "month": index.month - 1}
    out = {}
    for part in parts:
        angle = 2 * np.pi * np.asarray(values[part], dtype=np.float64) / CALENDAR_PERIODS[part]
        out[f"{part}_sin"] = np.sin(angle)
        out[f"{part}_cos"] = np.cos(angle)
    return pd.DataFrame(out)
