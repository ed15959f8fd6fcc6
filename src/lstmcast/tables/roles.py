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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from lstmcast.checks import invalid
from lstmcast.errors import InvalidArgumentError
from lstmcast.tables import found_time
from lstmcast.tables.calendar_inputs import calendar_names
from lstmcast.tables.io import default_features, missing_column


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
    if target is None:  # the one numeric column left to forecast
        target = only_target(frame, {group, time, *_names("features", features),
                                     *_names("future", future), *_names("static", static)},
                             "target=")
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
        found_time.check_without_time(frame, {*roles.columns()}, roles.target, group)
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


def only_target(frame: pd.DataFrame, taken: set, asked: str,
                error: Callable[[str], Exception] = InvalidArgumentError) -> str:
    """The one numeric column outside ``taken`` (``numeric_columns``) to forecast where no
    target is given; else ``error``, saying that ``asked`` is required and listing the
    columns to choose from."""
    from lstmcast.tables.io import wide_hint

    numeric = numeric_columns(frame, taken)
    if len(numeric) == 1:
        return numeric[0]
    listed = ", ".join(repr(str(c)) for c in numeric[:8])
    together = "joined by commas" if asked.startswith("--") else "as a list"
    raise error(f"{asked} is required for this data (the column to forecast)"
                + (f": one of {listed}{', ...' if len(numeric) > 8 else ''}"
                   + (f" (or several, {together}, forecast together)."
                      if len(numeric) > 1 else ".")
                   if numeric else "; the table has no numeric column.")
                + wide_hint(frame.columns))


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
