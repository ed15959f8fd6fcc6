"""Calendar inputs and clocks: the hour, weekday, day of the year and month a time's row
reads (on the clock it was written on), and time zones: a zone's name, each row's written
UTC offset, times moved to a zone.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.tables.frequency import wall_time
from lstmcast.tables.timeline import offset_text

# the clock times were written on (``written_clock``): None (their own zone, or none),
# one UTC offset in minutes, or each series' offsets by UTC time
WrittenClock = int | pd.DataFrame | None


# -- calendar ---------------------------------------------------------------------------
CALENDAR_PERIODS = {"hour": 24, "weekday": 7, "yearday": 365.25, "month": 12}


def calendar_names(parts: list[str]) -> list[str]:
    return [f"{part}_{f}" for part in parts for f in ("sin", "cos")]


def calendar_columns(times: Any, parts: list[str], written: WrittenClock = None,
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
def zone_name(tz: datetime.tzinfo | None) -> str | None:
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


def written_clock(parsed: pd.Series, keys: Any = None) -> WrittenClock:
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


def wall_clock(times: Any, written: WrittenClock = None, keys: Any = None) -> pd.DatetimeIndex:
    """``times`` on the clock they were written with, naive (see ``written_clock``)."""
    index = pd.DatetimeIndex(times)
    if written is None or index.tz is None:
        return wall_time(index)
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
                f"{', '.join(offset_text(m) for m in minutes[:4])}; the rows after a "
                "series' end keep its last row's)")
    return "UTC" if minutes == [0] else f"local (UTC{offset_text(minutes[0])})"

