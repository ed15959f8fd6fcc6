"""A time column's frequency: its step in words, the step inferred from the times, the times
that continue it, the gaps in a series and their filling, and the season it implies.

A step is ``{"kind": "number", "step": 1.0}`` or ``{"kind": "datetime", "freq": "h"}``
(``lstmcast.tables.timeline`` says more).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.tables.timeline import TimeError, clock_change_hour

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
    anchor: str | int | None = None


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
    wall = wall_time(index)
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


def _month_anchor(wall: pd.DatetimeIndex) -> str | int | None:
    """Where in the month every time falls: "start", "end", or a day (its month's last day
    when the month is shorter: the 30th is February's 28th or 29th); None when they differ."""
    day, length = wall.day.to_numpy(), wall.days_in_month.to_numpy()
    if (day == 1).all():
        return "start"
    if (day == length).all():
        return "end"
    anchor = int(day.max())
    return anchor if (day == np.minimum(anchor, length)).all() else None


def _month_step(n: int, anchor: str | int, month: int) -> dict[str, Any]:
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


def wall_time(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
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
        a, b = wall_time(start)[0], wall_time(pd.DatetimeIndex([end]))[0]
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


def advance(last: np.ndarray, offset: np.ndarray, step: dict[str, Any]
            ) -> np.ndarray | pd.DatetimeIndex:
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
    wall = wall_time(start)
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
    # compared in one unit: pandas 2 calls indexes of two units unequal, whatever they hold
    return same if same.as_unit(out.unit).equals(out) else out


HOLIDAY_RUN = 3  # business days: Christmas and Boxing Day, a closure of a few days
HOLIDAY_SHARE = 0.08  # of a series' business days: 9-10 holidays a year on the NYSE, 15 on
# the NSE (6%)


@dataclass
class Gap:
    """Missing time steps in one series."""

    series: Any
    after: Any  # the last time before the first gap
    next: Any  # the first time after it
    missing: int  # missing steps in the whole series
    longest: int = 1  # the most steps missing in a row
    steps: int = 0  # steps from the series' first time to its last
    runs: tuple = ()  # the first missing time of each run of missing steps (up to 50)
    bounds: tuple = ()  # (the time before, the time after) each of those runs

    def holidays(self) -> bool:
        """Whether a business-day series' gaps read as market holidays: runs of at most
        ``HOLIDAY_RUN`` days, at most ``HOLIDAY_SHARE`` of its days."""
        return self.longest <= HOLIDAY_RUN and self.missing <= HOLIDAY_SHARE * self.steps

    def summer_time(self, step: dict[str, Any]) -> bool:
        """Whether a sub-daily series' gaps read as the hour a local clock skips when it
        moves to summer time: each an hour long, where a clock changes
        (``timeline.clock_change_hour``), at most one a year."""
        per_hour = rows_per_day(step)
        if per_hour is None or per_hour % 24:
            return False
        per_hour //= 24
        years = self.steps / (per_hour * 24 * 365) + 1
        return (self.missing == per_hour * len(self.runs) and self.longest == per_hour
                and len(self.runs) <= years and bool(clock_change_hour(self.runs).all()))


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
        jumps = np.diff(pos)
        starts = np.flatnonzero(jumps > 1)
        k = int(starts[0])
        gaps.append(Gap(sid, times.iloc[k], times.iloc[k + 1], len(full) - len(times),
                        int(jumps.max()) - 1, len(full),
                        tuple(full[pos[starts[:50]] + 1]),
                        tuple(zip(times.iloc[starts[:50]], times.iloc[starts[:50] + 1]))))
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


def period_labels(times: pd.Series, step: dict[str, Any] | None) -> list[str] | None:
    """Each time as its period reads where the table steps by calendar quarters ("2009
    Q4"), months ("2009-10") or years ("2009"); None for other steps (the time itself is
    the label) or times that are not naive dates."""
    step = step or {}
    if (step.get("kind") != "datetime" or "day" in step
            or not pd.api.types.is_datetime64_dtype(times)):
        return None
    freq = str(step.get("freq", ""))
    index = pd.DatetimeIndex(times)
    if freq in ("QS-JAN", "QE-DEC", "QS", "QE", "Q", "Q-DEC"):
        return [f"{y} Q{q}" for y, q in zip(index.year, index.quarter)]
    if freq in ("MS", "ME", "M"):
        return [f"{y}-{m:02d}" for y, m in zip(index.year, index.month)]
    if freq in ("YS-JAN", "YE-DEC", "YS", "YE", "Y", "A", "AS", "A-DEC"):
        return [str(y) for y in index.year]
    return None


def rows_per_day(step: dict[str, Any] | None) -> int | None:
    """Rows in a day where the step divides a day (24 hourly, 48 half-hourly); else None."""
    if step is None or step.get("kind") != "datetime":
        return None
    unit = _unit(step)
    if unit.kind == "fixed" and unit.n < _DAY and _DAY % unit.n == 0:
        return _DAY // unit.n
    return None


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
        day = rows_per_day(step)
        return (day, "a day") if day else (None, f"{describe(step)} rows have no daily season")
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

