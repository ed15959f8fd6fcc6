"""Sliding windows over a table, zero-copy, never across a series boundary.

A window is ``window`` consecutive rows; its target lies ``horizon`` rows after
the window's last row and spans ``steps`` rows::

    rows:    s  ...  e=s+window-1   e+1  ...  e+horizon  ...  e+horizon+steps-1
    X[k]:    [--------------]
    y[k]:                                     [---------------------------]

horizon=1 is the tutorial's labelling: the row after the window.
horizon=0 labels a window with its own last row (remaining useful life).

The tutorial's loop ``for index in range(len(data) - sequence_length)`` with
``sequence_length = window + 1`` stops one window early: on 100 values and
window 19 it makes 80 windows, where 81 fit. ``make_windows`` makes all 81.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from lstmcast.checks import check_int, invalid
from lstmcast.errors import InvalidArgumentError, InvalidTypeError, shown


def as_numeric_array(data: Any, name: str = "data") -> np.ndarray:
    """Return ``data`` (array-like or DataFrame of numeric columns) as an ndarray.

    No copy is made when ``data`` already is a numeric ndarray.
    """
    if hasattr(data, "dtypes") and hasattr(data, "columns"):  # a pandas DataFrame
        bad = [str(c) for c, t in zip(data.columns, data.dtypes) if not _is_numeric(t)]
        if bad:
            raise InvalidArgumentError(
                f"`{name}` must hold numeric columns only; non-numeric: {', '.join(bad)}."
            )
        return data.to_numpy()
    if hasattr(data, "to_numpy"):  # a pandas Series
        data = data.to_numpy()
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"`{name}` must be array-like, got {type(data).__name__}.") from exc
    if arr.dtype == object or not _is_numeric(arr.dtype):
        raise InvalidArgumentError(f"`{name}` must be numeric, got dtype {arr.dtype}.")
    return arr


def _is_numeric(dtype: DTypeLike) -> bool:
    try:
        return np.issubdtype(np.dtype(dtype), np.number) or np.dtype(dtype) == np.bool_
    except TypeError:
        return False


def segments(groups: Any, n: int) -> list[tuple[int, int]]:
    """Return the ``(start, stop)`` row ranges of each series, in order.

    Args:
        groups: array (n,) of series ids, or None for a single series.
        n: number of rows.

    Raises:
        InvalidArgumentError: the rows of one id are not contiguous.
    """
    if groups is None:
        return [(0, n)]
    ids = np.asarray(groups.to_numpy() if hasattr(groups, "to_numpy") else groups)
    if ids.ndim != 1 or len(ids) != n:
        raise invalid("groups", f"an array of shape ({n},), one id per row", f"shape {ids.shape}")
    if n == 0:
        return []
    change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [n]])
    seen: dict[Any, int] = {}
    for start in starts:
        key = ids[start].item() if hasattr(ids[start], "item") else ids[start]
        if key in seen:
            raise InvalidArgumentError(
                f"Rows of series {shown(key)} are not contiguous in `groups`: they appear at row "
                f"{seen[key]} and again at row {int(start)}. Sort the rows by series id first."
            )
        seen[key] = int(start)
    return [(int(a), int(b)) for a, b in zip(starts, stops)]


def window_starts(
    n: int,
    window: int,
    *,
    horizon: int = 1,
    steps: int = 1,
    groups: Any = None,
) -> np.ndarray:
    """Return the first row of every window that fits inside its series, as int64 (k,)."""
    span = window + horizon + steps - 1  # rows from a window's first row to its last target
    parts = [np.arange(a, b - span + 1, dtype=np.int64) for a, b in segments(groups, n)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class WindowView:
    """Windows of several series: a read-only, zero-copy stand-in for a 3-D array.

    The windows of all rows, ``base`` (a strided view of the data), are indexed
    with ``starts``, the windows that stay inside one series. Indexing gathers
    only the windows asked for; ``np.asarray(view)`` materializes all of them.

    Attributes:
        base: read-only view (rows - window + 1, window, features) of the data.
        starts: int64 (n_windows,) first row of each valid window.
    """

    def __init__(self, base: np.ndarray, starts: np.ndarray) -> None:
        self.base = base
        self.starts = starts

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.starts),) + tuple(self.base.shape[1:])

    @property
    def ndim(self) -> int:
        return 3

    @property
    def dtype(self) -> np.dtype:
        return self.base.dtype

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):
            return self.base[(self.starts[key[0]],) + key[1:]]
        return self.base[self.starts[key]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for start in self.starts:
            yield self.base[start]

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> np.ndarray:
        out = self.base[self.starts]
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"WindowView(shape={self.shape}, dtype={self.dtype})"


def window_view(values: np.ndarray, window: int) -> np.ndarray:
    """All windows of ``values`` (N, F) as a read-only view (N - window + 1, window, F)."""
    base = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (N-L+1, F, L)
    base = base.transpose(0, 2, 1)  # (N-L+1, L, F), still a view
    base.flags.writeable = False
    return base


def target_rows(starts: np.ndarray, window: int, horizon: int, steps: int) -> np.ndarray:
    """Row numbers (W, steps) of the targets of the windows starting at ``starts``."""
    first_target = starts + window - 1 + horizon
    return first_target[:, None] + np.arange(steps)


def _target_values(values: np.ndarray, target: Any) -> np.ndarray:
    """The values windows take their targets from: ``target`` (one per row of ``values``),
    or the one column of ``values``."""
    n = values.shape[0]
    if target is None:
        if values.shape[1] != 1:
            raise InvalidArgumentError(
                f"`data` has {values.shape[1]} feature columns, so `target` must say which "
                "values to predict: pass an array (rows,) as `target`."
            )
        return values[:, 0]
    y_source = as_numeric_array(target, "target")
    if y_source.ndim == 2 and y_source.shape[1] == 1:
        y_source = y_source[:, 0]
    if y_source.shape != (n,):
        raise invalid("target", f"an array of shape ({n},), one value per row of `data`",
                      f"shape {y_source.shape}")
    return y_source


def make_windows(
    data: Any,
    window: int,
    *,
    target: Any = None,
    horizon: int = 1,
    steps: int = 1,
    groups: Any = None,
) -> tuple[np.ndarray | WindowView, np.ndarray]:
    """Cut a series (or many) into sliding windows and their targets.

    Args:
        data: array (N,) or (N, F), or a DataFrame of numeric columns.
        window: rows per window (L), a positive integer.
        target: None to take y from ``data`` itself (univariate; ``data`` must
            then be (N,) or (N, 1)), or an array (N,) to take y from.
        horizon: rows between a window's last row and its first target row;
            1 = the next row (the tutorial's D1, D2), 0 = the window's own last row.
        steps: consecutive target rows (direct multi-step forecasting).
        groups: None, or an array (N,) of series ids; no window or target
            crosses a change of id. Rows of one id must be contiguous.

    Returns:
        ``(X, y)``. X is (W, L, F) with W windows, a read-only view of ``data``
        (a ``WindowView`` when ``groups`` splits the rows into several series),
        so memory does not grow with L. y is (W,) when ``steps == 1``, else (W, steps).

    Raises:
        InvalidArgumentError: a bad argument, or no window fits in the data.

    Example:
        >>> X, y = make_windows(np.arange(100.0), window=19)
        >>> X.shape, y[0]
        ((81, 19, 1), 19.0)
    """
    window = check_int("window", window)
    horizon = check_int("horizon", horizon, minimum=0)
    steps = check_int("steps", steps)
    values = as_numeric_array(data, "data")
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise invalid("data", "an array of shape (rows,) or (rows, features)",
                      f"shape {values.shape}")
    n = values.shape[0]
    y_source = _target_values(values, target)
    starts = window_starts(n, window, horizon=horizon, steps=steps, groups=groups)
    if len(starts) == 0:
        need = window + horizon + steps - 1
        where = "any series" if groups is not None else "the data"
        raise InvalidArgumentError(
            f"No window fits in {where}: window={window}, horizon={horizon}, steps={steps} "
            f"need at least {need} rows in a series, and the longest has "
            f"{max((b - a for a, b in segments(groups, n)), default=0)}."
        )

    base = window_view(values, window)
    y = y_source[target_rows(starts, window, horizon, steps)]
    if steps == 1:
        y = y[:, 0]

    contiguous = starts[-1] - starts[0] + 1 == len(starts)
    if contiguous:
        X = base[starts[0] : starts[-1] + 1]
    else:
        X = WindowView(base, starts)
    return X, y
