"""The parts a table's columns play, decided once and checked before anything is trained.

- target: the column(s) to forecast;
- features: past-observed inputs (seen over the window only);
- future: inputs known in advance (prices, promotions, planned load): seen over
  the window and over the forecast steps;
- static: one value per series (a store's size, an engine's make);
- calendar: sine/cosine of hour, weekday, day of year or month, derived from a
  datetime time column (future-known);
- group: the series id; time: the time column; key: the ``scale_by`` column.

The target's own past is an input (``autoregressive``) by default when
forecasting ahead (horizon >= 1); never with horizon 0, where the window's last
row holds the answer.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.checks import invalid
from lstmcast.errors import InvalidArgumentError
from lstmcast.tables import text_files
from lstmcast.tables.calendar_inputs import calendar_names
from lstmcast.tables.io import default_features, missing_column, series_columns, told_apart


@dataclass
class Roles:
    """Which columns play which part (see the module docstring)."""

    target: list[str]
    features: list[str] = field(default_factory=list)
    future: list[str] = field(default_factory=list)
    static: list[str] = field(default_factory=list)
    group: str | None = None
    time: str | None = None
    key: str | None = None
    autoregressive: bool = False
    calendar: list[str] = field(default_factory=list)  # calendar parts: "hour", "weekday"...

    @property
    def calendar_columns(self) -> list[str]:
        return calendar_names(self.calendar)

    @property
    def future_inputs(self) -> list[str]:
        """Inputs known over the forecast steps: the future columns, then the calendar's."""
        return [*self.future, *self.calendar_columns]

    @property
    def inputs(self) -> list[str]:
        """The network's input columns, in order."""
        own = self.target if self.autoregressive else []
        return list(dict.fromkeys([*self.features, *own, *self.future_inputs, *self.static]))

    def columns(self) -> list[str]:
        """Every column of the table a model reads (calendar columns are derived)."""
        out = [c for c in (self.group, self.time) if c is not None]
        for c in [*self.target, *self.features, *self.future, *self.static,
                  *([self.key] if self.key else [])]:
            if c not in out:
                out.append(c)
        return out

    def get_config(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Roles:
        return cls(**config)


def _names(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "a column name or a list of column names", value)
    return list(value)


def resolve(frame: pd.DataFrame, target: Any, features: Any = None, group: str | None = None,
            time: str | None = None, future: Any = None, static: Any = None, *,
            scale_by: str = "global", horizon: int = 1, autoregressive: bool | None = None,
            difference: bool = False, calendar: bool = False) -> Roles:
    """Decide and check the roles of ``frame``'s columns.

    Raises:
        InvalidArgumentError / DataError: a column that is not there (with the
            nearest names), one column in two roles that exclude each other, the
            target among the inputs with horizon 0, ``difference`` without the
            target's past.
    """
    targets = _names("target", target)
    if not targets:
        raise invalid("target", "a column name", target)
    future_cols, static_cols = _names("future", future), _names("static", static)
    key = _check_named(frame, targets, group, time, future_cols, static_cols, scale_by)
    if features is None:
        skip = {*targets, group, time, key, *future_cols, *static_cols}
        feature_cols = default_features(frame, skip)
    else:
        feature_cols = _named_features(frame, features, group)
    autoregressive = _autoregressive(feature_cols, targets, horizon, autoregressive)
    feature_cols = [c for c in feature_cols if c not in targets]
    overlap = [c for c in feature_cols if c in future_cols or c in static_cols]
    if overlap:
        raise InvalidArgumentError(f"Column {overlap[0]!r} is both a feature and a future or "
                                   "static input; give it one role.")
    if difference and not autoregressive:
        raise InvalidArgumentError(
            "`difference` forecasts the change from the target's last value, so the target's "
            "past must be an input: turn autoregressive on (it is on by default when "
            "forecasting ahead).")
    if future_cols and horizon == 0:
        raise InvalidArgumentError(
            "With horizon 0 the target row is the window's last row, whose values are inputs "
            "already: give these columns as features instead of future.")
    roles = Roles(target=targets, features=feature_cols, future=future_cols,
                  static=static_cols, group=group, time=time, key=key,
                  autoregressive=bool(autoregressive))
    if time is None:
        _check_unnamed_time(frame, {*roles.columns()}, group)
        _check_unnamed_years(frame, roles.target, group)
        _check_unnamed_digits(frame, roles.target, group)
    if not roles.inputs and not calendar:  # calendar inputs are added once the step is known
        raise InvalidArgumentError("No input columns: give `features`, inputs known in advance "
                                   "(`future`) or `calendar` inputs, or turn `autoregressive` "
                                   "on to forecast from the target's past.")
    return roles


def numeric_columns(frame: pd.DataFrame, taken: set) -> list[str]:
    """The numeric columns of ``frame`` outside ``taken`` (the time, group and input
    columns named) that could be forecast, leaving out an index pandas wrote with the
    table: where --target is not given, the one there is is forecast."""
    with warnings.catch_warnings():  # default_features' notes are for the inputs
        warnings.simplefilter("ignore")
        candidates = default_features(frame, taken)
    return [c for c in candidates if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])]  # a flag is an input, not a target


SCALINGS = ("auto", "global", "series")
"""``scale_by`` values that name no column (any other names the key column)."""


def _check_named(frame: pd.DataFrame, targets: list[str], group: str | None,
                 time: str | None, future_cols: list[str], static_cols: list[str],
                 scale_by: str) -> str | None:
    """Every named column is there and has one role; returns the scaling key column (None:
    global or per-series scaling)."""
    for name, role in [*[(t, "Target") for t in targets], (group, "Group"), (time, "Time"),
                       *[(c, "Future") for c in future_cols],
                       *[(c, "Static") for c in static_cols]]:
        if name is not None and name not in frame.columns:
            raise missing_column(name, frame.columns, role)
    key = None
    if scale_by not in SCALINGS:
        key = scale_by
        if key not in frame.columns:
            raise missing_column(key, frame.columns, "Scaling key (`scale_by`)")
    for name, role in ((group, "group"), (time, "time")):
        if name is not None and name in targets:
            raise InvalidArgumentError(
                f"Column {name!r} is the target and cannot also be the {role} column.")
    if group is not None and group == time:
        raise InvalidArgumentError(f"Column {group!r} cannot be both the group and the time.")
    for name, role in [*[(c, "future") for c in future_cols],
                       *[(c, "static") for c in static_cols]]:
        if name in targets:
            raise InvalidArgumentError(
                f"The target {name!r} cannot be a {role} input: its values over the forecast "
                "are what is forecast." if role == "future" else
                f"The target {name!r} cannot be a static input.")
        if name in (group, time):
            raise InvalidArgumentError(f"Column {name!r} is the group or time column and cannot "
                                       f"be a {role} input.")
    both = set(future_cols) & set(static_cols)
    if both:
        raise InvalidArgumentError(f"Column {sorted(both)[0]!r} is given as both future and "
                                   "static; choose one.")
    return key


def _named_features(frame: pd.DataFrame, features: Any, group: str | None) -> list[str]:
    """The feature columns given by name, each there and not the series id."""
    feature_cols = _names("features", features)
    for name in feature_cols:
        if name not in frame.columns:
            raise missing_column(name, frame.columns, "Feature")
        if name == group:
            raise InvalidArgumentError(f"Column {name!r} is the group (series id) and "
                                       "cannot also be a feature.")
    return feature_cols


def _autoregressive(feature_cols: list[str], targets: list[str], horizon: int,
                    autoregressive: bool | None) -> bool:
    """Whether the target's past is an input: as given, on when a feature names the target,
    else on when forecasting ahead (horizon >= 1); refused where it would show the answer."""
    named_targets = [c for c in feature_cols if c in targets]
    if named_targets and horizon == 0:
        raise InvalidArgumentError(
            f"The target {named_targets[0]!r} is among the features, and with horizon 0 a "
            "window's last row is the answer: the model would be shown it. Leave the target "
            "out of the features (or forecast ahead with horizon >= 1).")
    if named_targets:
        autoregressive = True if autoregressive is None else autoregressive
        if not autoregressive:
            raise InvalidArgumentError(
                f"The target {named_targets[0]!r} is among the features but autoregressive is "
                "off; leave it out of the features, or turn autoregressive on.")
    if autoregressive is None:
        autoregressive = horizon >= 1
    if autoregressive and horizon == 0:
        raise InvalidArgumentError(
            "`horizon=0` labels a window with its own last row, so feeding the target's past "
            "as an input (autoregressive) would show the model the answer. Use horizon >= 1, "
            "or turn autoregressive off (it is off by default with horizon 0).")
    return bool(autoregressive)


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
    from lstmcast.tables.timeline import is_text, parse_time

    group = group if group in frame.columns else None
    found = []
    for name in frame.columns:
        col = frame[name].iloc[:200]
        if name == group or col.isna().any() or not (
                is_text(col) or pd.api.types.is_datetime64_any_dtype(col) or (
                    pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
                    and written_digits(col))):
            continue
        try:
            with warnings.catch_warnings():  # said when the column is read as the time
                warnings.simplefilter("ignore")
                parsed = parse_time(col, str(name))[0]
        except InvalidArgumentError:
            continue
        keys = pd.DataFrame({"time": parsed.to_numpy()})
        if group:
            keys["series"] = frame[group].iloc[:200].to_numpy()
        if parsed.dtype.kind == "M" and not keys.duplicated().any():
            found.append(name)
    return found[0] if len(found) == 1 else None


YEAR_NAMES = ("year", "years", "yr", "jahr", "année", "annee", "año", "ano", "anno")
"""Names a column of years goes by (in any case)."""


def _years(frame: pd.DataFrame, name: Any) -> bool:
    """Whether column ``name`` is named for years (``YEAR_NAMES``) and holds whole numbers
    from 1000 to 2999 (its first 200 rows read)."""
    col = frame[name].iloc[:200]
    if not (isinstance(name, str) and name.strip().lower() in YEAR_NAMES
            and pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            and len(col) > 1 and col.notna().all()):
        return False
    values = col.to_numpy(dtype=float)
    return bool((values % 1 == 0).all() and values.min() >= 1000 and values.max() < 3000)


def year_column(frame: pd.DataFrame, group: str | None) -> tuple[str, int] | None:
    """Where no time column is given, a column named for years (``YEAR_NAMES``) holding
    whole numbers from 1000 to 2999, in order within each series and all the same number
    of years apart, from 1 to 10 (its first 200 rows read): a yearly table's time column
    (Nile's 'year'; a census every 10 years), which otherwise is an input counting the
    rows, and the years between rows. None where there is none."""
    group = group if group in frame.columns else None
    for name in frame.columns:
        if not _years(frame, name):
            continue
        values = frame[name].iloc[:200].to_numpy(dtype=float)
        keys = frame[group].iloc[:200].to_numpy() if group else np.zeros(len(values))
        steps = np.concatenate([np.diff(values[keys == k]) for k in pd.unique(keys)])
        if len(steps) and 1 <= steps[0] <= 10 and (steps == steps[0]).all():
            return name, int(steps[0])
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
    from lstmcast.tables.timeline import parse_time

    group = group if group in frame.columns else None
    named = {c.strip().lower(): c for c in frame.columns if isinstance(c, str)}
    years = [named[n] for n in YEAR_NAMES if n in named]
    periods = [named[n] for n in PERIOD_NAMES if n in named]
    if len(years) != 1 or len(periods) != 1:
        return None
    name, head = f"{years[0]},{periods[0]}", frame.iloc[:200]
    try:
        with warnings.catch_warnings():  # said when the columns are read as the time
            warnings.simplefilter("ignore")
            times = parse_time(joined_columns.join(head, None, name)[name], name)[0]
    except InvalidArgumentError:
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
                          f"order. Give time={name!r} to read it as the time.", stacklevel=4)
            return


def _check_unnamed_years(frame: pd.DataFrame, targets: list[str], group: str | None) -> None:
    """Without a time column a column of years (``_years``) is an input counting the rows:
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
                      stacklevel=4)
        return
    for name in frame.columns:
        if name in targets or name == group or not _years(frame, name):
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
                          stacklevel=4)
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
                          stacklevel=4)
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
                      stacklevel=4)
        return
