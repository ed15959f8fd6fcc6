"""Series a missing-value policy would leave nothing to train on, found before training.

Under ``missing="ffill"`` or ``"interpolate"`` a column that is blank in every training row
of a series cannot be filled, and every row of the series goes; under ``"drop"`` a series
with too few complete rows has no history left for the rows held out for the test. Found
after training, either fails the run at scoring (no scale for the series, or no rows to
forecast it from); found before, the series is left out of training and of the test, named
in a warning. ``lstmcast train``, ``tune`` and ``inspect`` do this on the rows they split,
and ``backtest`` on each fold's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lstmcast.tables.roles import Roles


def leave_out_unusable(fit: pd.DataFrame, test: pd.DataFrame, roles: Roles,
                       policy: str | None, holdout: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``fit`` and ``test`` less the series a missing-value policy would leave nothing to
    train on (a column they use blank in every row before the test's rows: ffill and
    interpolate cannot fill it, and every row goes) or, under drop, too few complete rows
    for the test, each named in a warning: found before training, not after it."""
    group = roles.group
    if not group or policy not in ("drop", "ffill", "interpolate"):
        return fit, test
    used = list(dict.fromkeys([*roles.target, *roles.features, *roles.future,
                               *roles.static]))
    left = {}
    for name, column in _blank_columns(fit, group, used).items():
        left[name] = (f"no {column!r} value in the rows trained on (every one blank before "
                      f"their last {holdout} rows)")
    if policy == "drop":  # a row with a blank value goes: the test's rows need a history
        for name in _series_with(test, group, used, least=holdout + 1, every=True):
            left.setdefault(name, f"{holdout} rows or fewer with every value given (the test "
                                  f"takes each series' last {holdout})")
    for why in dict.fromkeys(left.values()):
        names = [n for n, w in left.items() if w == why]
        listed = ", ".join(repr(str(n)) for n in names[:5]) + (" ..." if len(names) > 5 else "")
        warnings.warn(f"{len(names)} {'series has' if len(names) == 1 else 'series have'} "
                      f"{why}: left out of training and of the test ({listed}).", stacklevel=4)
    return fit[~fit[group].isin(list(left))], test[~test[group].isin(list(left))]


def _given(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """(rows, columns): whether each value is given (a number, not blank)."""
    values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    return np.isfinite(values)


def _blank_columns(frame: pd.DataFrame, group: str, columns: list[str]) -> dict:
    """Per series of ``frame`` with a column of ``columns`` blank in every row: the first
    such column."""
    given = pd.DataFrame(_given(frame, columns), index=frame.index, columns=columns)
    any_given = given.groupby(frame[group], observed=True, dropna=False, sort=False).any()
    blank = ~any_given.to_numpy()
    return {name: columns[int(row.argmax())]
            for name, row in zip(any_given.index, blank) if row.any()}


def _series_with(frame: pd.DataFrame, group: str, columns: list[str], least: int,
                 every: bool = False) -> list:
    """The series of ``frame`` with fewer than ``least`` rows that hold a value (a number,
    not blank) in any of ``columns``, or with ``every``, in all of them."""
    given = _given(frame, columns)
    given = given.all(axis=1) if every else given.any(axis=1)
    counts = pd.Series(given, index=frame.index).groupby(
        frame[group], observed=True, dropna=False, sort=False).sum()
    return counts.index[counts.to_numpy() < least].tolist()
