"""Rolling origins in time order inside the training rows: each fold fits on the rows
before its cut and scores the next ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


MIN_FOLDS = 3


@dataclass
class Fold:
    """One rolling origin: fit on ``train``; score the last ``size`` rows of each series
    of ``test`` (``train`` and the ``size`` rows after it)."""

    number: int
    train: pd.DataFrame
    test: pd.DataFrame
    size: int


def series_lengths(frame: pd.DataFrame, group: str | None) -> pd.Series:
    import pandas as pd

    return (frame.groupby(group, dropna=False, observed=True).size() if group
            else pd.Series([len(frame)]))


def fold_size(frame: pd.DataFrame, group: str | None, steps: int) -> int:
    """The default rows per fold and series: ``steps``, or a tenth of the shortest series
    (as ``Forecaster.backtest``)."""
    return max(steps, int(series_lengths(frame, group).min()) // 10)


def make_folds(frame: pd.DataFrame, group: str | None, time_col: str | None, folds: int, size: int,
               time_format: str | None = None, need: int = 2) -> list[Fold]:
    """``folds`` rolling origins over ``frame`` (the training rows), oldest first.

    Fold k (from 0) fits on each series without its last (folds - k) * size rows and
    scores the ``size`` rows after them. ``need``: the fewest rows the first fold must
    keep of every series, else a ``DataError`` saying what to change.
    """
    from lstmcast.tables.io import DataError
    from lstmcast.tables.splits import drop_tail

    shortest = int(series_lengths(frame, group).min())
    first = shortest - folds * size
    if first < need:
        raise DataError(
            f"The shortest series has {shortest} training rows: too short for {folds} folds "
            f"of {size} rows (the first fold would train on {max(first, 0)} rows of it and "
            f"needs {need}); give fewer --folds, a smaller --fold-size, or longer series.")
    out = []
    for k in range(folds):
        cut = (folds - k) * size
        out.append(Fold(k + 1, drop_tail(frame, group, time_col, cut, time_format),
                        drop_tail(frame, group, time_col, cut - size, time_format), size))
    return out
