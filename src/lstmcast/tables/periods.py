"""Times written as periods rather than dates: quarters (``1960 Q1``, ``1960-Q1``,
``Q1 1960``) and ISO 8601 weeks (``2019-W02``, ``2019W02``), as statistics offices, R
and web analytics write them. ``lstmcast.tables.timeline`` reads a time column through
these before it tries dates: each period reads as its first day (a quarter's first
month, a week's Monday), and forecasts are written back in the notation read.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import numpy as np
import pandas as pd

QUARTERS = "quarters"  # the format name of quarters written as 1960 Q1, 1960-Q1, Q1 1960
_QUARTER = re.compile(r"^(?:(?P<y1>\d{4})\s*[-/ ]?\s*Q(?P<q1>[1-4])|Q(?P<q2>[1-4])\s*[-/ ]?"
                      r"\s*(?P<y2>\d{4}))$", re.IGNORECASE)
ISO_WEEKS = "iso weeks"  # the format name of ISO 8601 weeks written as 2019-W02 or 2019W02
_ISO_WEEK = re.compile(r"^(?P<y>\d{4})-?W(?P<w>\d{2})$", re.IGNORECASE)
ISO_WEEK_FORMATS = ("%G-W%V", "%GW%V")  # how they are written back (their Monday's week)


def quarters(text: pd.Series) -> pd.Series | None:
    """Quarters written as 1960 Q1, 1960-Q1, 1960Q1 or Q1 1960, as the quarter's first day."""
    found = text.str.extract(_QUARTER)
    if found.isna().all(axis=1).any():
        return None
    year = found["y1"].fillna(found["y2"]).astype(int)
    quarter = found["q1"].fillna(found["q2"]).astype(int)
    return pd.Series(pd.to_datetime({"year": year, "month": 3 * quarter - 2, "day": 1}),
                     index=text.index)


def iso_weeks(text: pd.Series) -> pd.Series | None:
    """ISO 8601 weeks written 2019-W02 or 2019W02 (as web analytics and Eurostat's weekly
    tables write them), as each week's Monday; None where a value is not written so.

    Raises:
        ValueError: a value written so that is no week of its year (2019-W60), with its
            row (the first argument) and the value (the second).
    """
    found = text.str.extract(_ISO_WEEK)
    if found.isna().any(axis=None):
        return None
    days = []
    for row, (y, w) in enumerate(zip(found["y"], found["w"])):
        try:
            days.append(datetime.date.fromisocalendar(int(y), int(w), 1))
        except ValueError:  # week 53 of a year of 52, week 00
            raise ValueError(row, text.iloc[row]) from None
    return pd.Series(pd.to_datetime(days), index=text.index)


def quarter_notation(text: str) -> str:
    """How a quarter was written, as a template of its year and quarter: "1960 Q1" gives
    "{y} Q{q}", "Q1-1960" gives "Q{q}-{y}" (``write_quarters`` writes times back in it)."""
    found = _QUARTER.match(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not a quarter such as 1960 Q1")
    year, quarter = ("y1", "q1") if found.group("y1") else ("y2", "q2")
    written, at = [], 0
    for (a, b), field in sorted([(found.span(year), "{y}"), (found.span(quarter), "{q}")]):
        written += [found.string[at:a], field]
        at = b
    return "".join(written) + found.string[at:]


def write_quarters(times: Any, notation: str) -> np.ndarray:
    """Each time as its quarter written in ``notation`` (``quarter_notation``)."""
    index = pd.DatetimeIndex(times)
    return np.array([notation.format(y=y, q=q) for y, q in zip(index.year, index.quarter)],
                    dtype=object)
