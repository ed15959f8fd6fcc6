"""Which rows a model was trained on, so that evaluation can score only the rows after them.

At ``fit`` the Forecaster records, for each series, how many rows it was
given and a digest of them (their time, target and input values; floats at
float32 precision, so that a CSV saved again still matches). A table
given to ``evaluate`` later is matched against that record series by series:

- a series whose first rows are exactly the training rows "extends" the
  training data: only targets after them are new;
- a series not in the record, or whose rows differ, was not trained on: all
  of its windows are new.

``SeenRows.first_new_rows`` returns, per row of a table, the first row whose
target counts as new, and a sentence saying which rows those are.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.tables.scaling import key_str


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A hash per row. Floats are hashed at float32 precision: a CSV written and read
    again (or read by another pandas) may differ in the last bit of a float64, and the
    rows are still the same rows."""
    part = pd.DataFrame({name: frame[name].to_numpy(dtype=np.float64).astype(np.float32)
                         if pd.api.types.is_float_dtype(frame[name]) else frame[name]
                         for name in columns}, index=frame.index)  # no copy of the others
    return pd.util.hash_pandas_object(part, index=False).to_numpy()


def _digest(hashes: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(hashes).tobytes()).hexdigest()[:16]


class SeenRows:
    """The training rows of each series: count and digest (see the module docstring)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.series_: dict[str, list[Any]] = {}

    def fit(self, frame: pd.DataFrame, ids: np.ndarray,
            segments: list[tuple[int, int]]) -> SeenRows:
        self.series_ = {}
        self.update(frame, ids, segments)
        return self

    def update(self, frame: pd.DataFrame, ids: np.ndarray,
               segments: list[tuple[int, int]]) -> str:
        """Add the series of a part of the training table (a shard); returns a digest of
        the part's rows."""
        hashes = _row_hashes(frame, self.columns)
        self.series_.update({key_str(ids[a]): [int(b - a), _digest(hashes[a:b])]
                             for a, b in segments})
        return _digest(hashes)

    def first_new_rows(self, frame: pd.DataFrame, ids: np.ndarray,
                       segments: list[tuple[int, int]]) -> tuple[np.ndarray, dict[str, int]]:
        """Per row, the first row of its series whose target is new; and counts of series
        that extend the training data ("extended"), that were trained on and have no new
        row ("seen"), and that were never trained on ("new")."""
        columns = [c for c in self.columns if c in frame.columns]
        hashes = _row_hashes(frame, columns) if columns == self.columns else None
        first = np.zeros(len(frame), dtype=np.int64)
        counts = {"extended": 0, "seen": 0, "new": 0}
        for a, b in segments:
            record = self.series_.get(key_str(ids[a]))
            first[a:b] = a
            if record is None or hashes is None:
                counts["new"] += 1
                continue
            rows, digest = record
            if b - a >= rows and _digest(hashes[a : a + rows]) == digest:
                first[a:b] = a + rows
                counts["extended" if b - a > rows else "seen"] += 1
            else:
                counts["new"] += 1
        return first, counts

    def get_config(self) -> dict[str, Any]:
        return {"columns": self.columns, "series": self.series_}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeenRows:
        seen = cls(config["columns"])
        seen.series_ = dict(config["series"])
        return seen
