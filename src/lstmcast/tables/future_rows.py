"""The rows after each series' end: their times, calendar and inputs known in advance, joined
from the future table by series and time, scaled as the network reads them.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.errors import shown
from lstmcast.tables import joined_columns
from lstmcast.tables.io import DataError, check_finite, check_numeric, missing_column, read_table
from lstmcast.tables.scaling import key_strs, zeros_dropped
from lstmcast.tables.timeline import TimeError

if TYPE_CHECKING:
    from lstmcast.tables.pipeline import TablePipeline


def future_inputs(pipeline: TablePipeline, last_rows: pd.DataFrame, future: Any) -> np.ndarray:
    """Scaled inputs (series, horizon - 1 + steps, F) of the rows after each series' end.

    Only the future-known columns are filled (the network reads nothing else
    there): the calendar from the continued time column, the ``future``
    columns from the ``future`` table, matched by series and time (or taken
    in order without a time column).

    Raises:
        DataError: no future table while the model needs one, a missing
            column, or missing rows (named by series and time).
    """
    roles = pipeline.roles
    count = pipeline.horizon - 1 + pipeline.steps
    n = len(last_rows)
    times = (pipeline.forecast_times(last_rows[roles.time].to_numpy(), count)
             if roles.time else None)
    rows = pd.DataFrame(index=range(n * count))
    if roles.group:
        rows[roles.group] = np.repeat(last_rows[roles.group].to_numpy(), count)
    if roles.time:
        if times is None:
            raise DataError(f"The time column {roles.time!r} has no regular step, so the "
                            "times to forecast, and their future inputs, are unknown.")
        rows[roles.time] = times
    if roles.calendar:
        cal = pipeline.calendar_frame(times, roles.calendar, rows)
        for name in cal.columns:
            rows[name] = cal[name].to_numpy()
    if roles.future:
        rows = join_future(pipeline, rows, future, count)
    ids = rows[roles.group].to_numpy() if roles.group else np.zeros(len(rows), np.int64)
    scaled = scaled_future(pipeline, rows[roles.future_inputs].to_numpy(dtype=np.float64),
                           pipeline.input_keys(rows, ids) if roles.key is None else None)
    return scaled.reshape(n, count, -1)


def scaled_future(pipeline: TablePipeline, known: np.ndarray, keys: np.ndarray | None
                  ) -> np.ndarray:
    """Rows after a series' end as the network reads them (rows, F): the inputs known in
    advance (``known``, (rows, len(future_inputs)) in their own units) scaled with the
    input scaler's ``keys``, every other input 0. The others are scaled from a placeholder
    of 1, which every scaler takes (one that reads a target as its log too), then set
    to 0."""
    raw = np.ones((len(known), len(pipeline.inputs)))
    cols = pipeline.future_columns()
    raw[:, cols] = known
    scaled = pipeline.scale_inputs(raw, keys)
    keep = np.zeros(len(pipeline.inputs), dtype=bool)
    keep[cols] = True
    scaled[:, ~keep] = 0.0
    return scaled


READINGS = {"auto": "as their values read alone", "dayfirst": "as day-first dates",
            "monthfirst": "as month-first dates"}
"""How a future table's times are read on their own, where the training table's way fails."""


def _future_times(pipeline: TablePipeline, column: pd.Series, wanted: pd.Series
                  ) -> pd.Series:
    """The future table's times: read as the training table's were; where they are written
    otherwise (another tool's export: "19/07/2020" beside a history in ISO), read on their
    own, the reading taken that holds the most of the times to forecast (``wanted``), with a
    warning. The first error stands where no reading holds any."""
    try:
        return pipeline.parse_time_column(column, fitting=False)
    except (DataError, TimeError) as error:
        refused = error
    found = []
    for how in READINGS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pipeline.parse_time_column(column, fitting=False, time_format=how)
        except (DataError, TimeError):
            continue
        found.append((int(pd.Index(parsed).isin(pd.Index(wanted)).sum()), how, parsed))
    hits, how, parsed = max(found, key=lambda f: f[0], default=(0, None, None))
    if not hits:
        raise refused
    warnings.warn(f"The future table's times are written otherwise than the training table's "
                  f"({shown(column.iloc[0])}): read on their own, {READINGS[how]}, the "
                  f"reading that holds the times to forecast.", stacklevel=5)
    return parsed


def _zeros_matched(ids: pd.Series, known: set[str], group: str) -> pd.Series:
    """The future table's series ids, those written without the history's leading zeros
    ("1" for "001": a spreadsheet drops them) matched to the one id of the same number,
    with a warning; every other id as it is."""
    matched = zeros_dropped(set(ids) - known, known)
    if matched:
        key, value = next(iter(matched.items()))
        warnings.warn(f"The future table writes {len(matched)} of its {group!r} values "
                      f"without the history's leading zeros ({key!r} for {value!r}), as a "
                      "spreadsheet drops them: matched by their number.", stacklevel=5)
    return ids.replace(matched) if matched else ids


def join_future(pipeline: TablePipeline, rows: pd.DataFrame, future: Any, count: int
                ) -> pd.DataFrame:
    roles = pipeline.roles
    if future is None:
        raise DataError(f"This model reads future values of {', '.join(roles.future)}: "
                        "give them for the rows to forecast (predict(..., future=TABLE), "
                        "--future FILE).")
    table = joined_columns.join(read_table(future), roles.group, roles.time)
    keys = [c for c in (roles.group, roles.time) if c]
    for name in [*keys, *roles.future]:
        if name not in table.columns:
            raise missing_column(name, table.columns, "Future table's")
    table = table[[*keys, *roles.future]].copy()
    if roles.time:
        table[roles.time] = _future_times(pipeline, table[roles.time], rows[roles.time])
    for name in roles.future:
        table[name] = check_numeric(table, name)
        check_finite(table, name)
    if roles.time is None:  # rows in order, per series
        if roles.group:
            table["_k"] = table.groupby(roles.group, sort=False, observed=True).cumcount()
            rows["_k"] = np.tile(np.arange(count), len(rows) // count)
            keys = [roles.group, "_k"]
        else:
            table["_k"] = np.arange(len(table))
            rows["_k"] = np.arange(len(rows))
            keys = ["_k"]
    if roles.group:
        table[roles.group] = key_strs(table[roles.group].to_numpy())
        rows["_id"] = key_strs(rows[roles.group].to_numpy())
        table[roles.group] = _zeros_matched(table[roles.group], set(rows["_id"]), roles.group)
        table = table.rename(columns={roles.group: "_id"})
        keys = ["_id" if k == roles.group else k for k in keys]
    merged = rows.merge(table.drop_duplicates(keys), on=keys, how="left",
                        suffixes=("", "_future"))
    missing = merged[roles.future].isna().any(axis=1).to_numpy()
    if missing.any():
        first = merged.loc[missing].iloc[0]
        where = [f"{roles.group} {shown(first[roles.group])}" if roles.group else None,
                 f"{roles.time} {shown(first[roles.time])}" if roles.time else
                 f"forecast row {int(first['_k']) + 1}"]
        raise DataError(
            f"The future table lacks {int(missing.sum())} of the {len(merged)} rows to "
            f"forecast (first: {', '.join(w for w in where if w)}); it needs "
            f"{', '.join(roles.future)} for the {count} rows after each series' end.")
    return merged
