"""A series told apart by several columns: ``group="store,item"``.

A table of jobs by job and sex, or of sales by store and product, needs two
columns to name a series. Where the group names several columns joined by
commas (and no column bears that whole name), ``join`` gives the table one id
column under that name, each id the parts' values joined by `` | ``
(``"a | x"``), in place of the parts; every reader of a table calls it, so the
rest of lstmcast sees one id column. ``split`` turns the id column of a table
written out (forecasts) back into the parts.
"""

from __future__ import annotations

import pandas as pd

from lstmcast.tables.io import missing_column

SEPARATOR = " | "  # not "/": a series id is a path segment of the service (/forecast/ID)


def parts(group: str | None) -> list[str]:
    """The columns ``group`` names: several for ``"store,item"``, else none."""
    if not isinstance(group, str) or "," not in group:
        return []
    return [name.strip() for name in group.split(",")]


def columns(group: str | None) -> list[str]:
    """The columns a table holds its series id in: ``group``'s parts, or ``group`` itself
    (none without a group)."""
    return parts(group) or ([group] if group else [])


def record_id(record: dict, group: str) -> str:
    """A record's series id, as ``join`` writes it for a table of such records."""
    return SEPARATOR.join(str(record[name]) for name in columns(group))


def join(frame: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """``frame`` with the columns ``group`` names joined into one id column named
    ``group``, in the first part's place; ``frame`` itself where the group is one column
    (or the table already holds the joined column)."""
    names = parts(group)
    if not names or group in frame.columns:
        return frame
    for name in names:
        if name not in frame.columns:
            raise missing_column(name, frame.columns, "Group")
    values = frame[names].astype("string")
    joined = values[names[0]]
    for name in names[1:]:
        joined = joined + SEPARATOR + values[name]  # blank where a part is blank
    out = frame.drop(columns=names)
    out.insert(list(frame.columns).index(names[0]), group,
               joined.astype(object).where(joined.notna(), None))
    return out


def split(frame: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """``frame`` with its joined id column (``join``) back as the columns it was made of."""
    names = parts(group)
    if not names or group not in frame.columns:
        return frame
    pieces = frame[group].astype(str).str.split(SEPARATOR, n=len(names) - 1, expand=True,
                                                regex=False)
    out = frame.drop(columns=[group])
    at = list(frame.columns).index(group)
    for k, name in enumerate(names):
        out.insert(at + k, name, pieces[k].to_numpy())
    return out
