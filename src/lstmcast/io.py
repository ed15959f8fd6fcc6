"""Reading and validating tables: clear errors, nothing silently dropped.

``read_table`` takes a CSV or Parquet path, or a DataFrame, and
``TableSpec.prepare`` checks the columns a model needs: they exist (with the
nearest names suggested when not), they are numeric (the first offending rows
named when not), they hold no NaN or inf, and each series' rows are in time
order without duplicate times.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import os
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError, InvalidTypeError


class DataError(InvalidArgumentError):
    """A table lstmcast cannot use: missing or unreadable file, bad columns or values."""


def read_table(source: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read a CSV (any delimiter pandas can sniff) or Parquet file into a DataFrame.

    Raises:
        DataError: the file is missing, empty, header-only or not a table.
    """
    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidTypeError("Expected a DataFrame or a path to a CSV or Parquet file, "
                               f"got {type(source).__name__}.")
    path = Path(source)
    if not path.exists():
        raise DataError(f"{str(path)!r}: no such file.")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder, not a CSV or Parquet file.")
    if path.stat().st_size == 0:
        raise DataError(f"{str(path)!r} is empty.")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(path)
        else:
            head = path.read_bytes()[:4096]
            if b"\x00" in head and not head.startswith(b"\x1f\x8b"):
                raise DataError(f"{str(path)!r} is not a text table (it holds binary data).")
            frame = pd.read_csv(path, sep=_delimiter(path))
    except DataError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError, EOFError,
            zlib.error, csv.Error) as exc:
        raise DataError(f"{str(path)!r} could not be read as a table: {exc}") from None
    if frame.shape[1] == 0:
        raise DataError(f"{str(path)!r} holds no columns.")
    if len(frame) == 0:
        raise DataError(f"{str(path)!r} has a header but no data rows.")
    if frame.shape[1] == 1 and not pd.api.types.is_numeric_dtype(frame.iloc[:, 0]):
        raise DataError(
            f"{str(path)!r} was read as a single text column {str(frame.columns[0])!r}: "
            "is the delimiter one of , ; tab or |?")
    return frame


DELIMITERS = ",;\t|"


def _delimiter(path: Path) -> str:
    """The file's delimiter among , ; tab |, by its first lines (a comma if none fits)."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        sample = handle.read(65536)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or no consistent delimiter
        return ","


def missing_column(name: str, columns: Sequence[Any], role: str) -> DataError:
    """The error for a column that is not there, with the nearest names suggested."""
    names = [str(c) for c in columns]
    near = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    return DataError(f"{role} column {name!r} is not in the table (columns: {shown}).{hint}")


@dataclass
class TableSpec:
    """Which columns play which part.

    Attributes:
        target: the column(s) to forecast.
        features: input columns (the target's own past is added by the caller
            when it is an input).
        group: series-id column, or None for one series.
        time: time column, or None (then row order is time order).
    """

    target: list[str]
    features: list[str]
    group: str | None = None
    time: str | None = None
    extra: list[str] = field(default_factory=list)

    def columns(self) -> list[str]:
        out = [c for c in (self.group, self.time) if c is not None]
        for c in [*self.target, *self.features, *self.extra]:
            if c not in out:
                out.append(c)
        return out

    def prepare(self, frame: pd.DataFrame, *, need_target: bool = True,
                missing: str = "error") -> pd.DataFrame:
        """Check ``frame`` and return the needed columns, sorted by series then time.

        ``missing`` says what to do with NaN or inf in the numeric columns:
        "error" (the default), "drop" the rows, "ffill" (carry the last value
        forward within each series; leading gaps are dropped) or "interpolate"
        (linear within each series, ends filled with the nearest value).
        ``result.attrs["missing"]`` counts what was done.
        """
        roles = [("group", [self.group] if self.group else []),
                 ("time", [self.time] if self.time else []),
                 ("feature", self.features), ("target", self.target if need_target else []),
                 ("key", self.extra)]
        for role, names in roles:
            for name in names:
                if name not in frame.columns:
                    raise missing_column(name, frame.columns, role.capitalize())
        numeric = [*self.features, *(self.target if need_target else [])]
        numeric = list(dict.fromkeys(numeric))
        frame = frame.copy(deep=False)
        for name in numeric:
            frame[name] = check_numeric(frame, name)
            if missing == "error":
                check_finite(frame, name)
        columns = [c for c in self.columns() if need_target or c not in self.target
                   or c in self.features]
        out = sort_series(frame[columns].copy(), self.group, self.time)
        return fill_missing(out, numeric, self.group, missing)


MISSING_POLICIES = ("error", "drop", "ffill", "interpolate")


def check_numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as numbers, or an error naming the first non-numeric rows.

    A text column whose values all read as numbers (e.g. after its bad rows were
    cut away) is converted rather than refused; a true/false column becomes 0/1.
    """
    col = frame[name]
    if pd.api.types.is_bool_dtype(col):
        return col.astype(np.float64)  # a flag: 0 or 1
    if pd.api.types.is_numeric_dtype(col):
        return col
    converted = pd.to_numeric(col, errors="coerce")
    bad = col.index[(converted.isna() & col.notna()).to_numpy(dtype=bool)][:3].tolist()
    if bad:
        shown = ", ".join(f"row {r} ({col[r]!r})" for r in bad)
        raise DataError(f"Column {name!r} must be numeric; non-numeric values at {shown}.")
    return converted.astype(np.float64)


def check_finite(frame: pd.DataFrame, name: str) -> None:
    """Raise if column ``name`` holds NaN or inf, counting them and naming the first rows."""
    col = frame[name]
    bad_mask = ~np.isfinite(col.to_numpy(dtype=np.float64))
    if bad_mask.any():
        rows = col.index[bad_mask][:3].tolist()
        raise DataError(
            f"Column {name!r} holds {int(bad_mask.sum())} NaN or infinite values "
            f"(first at rows {', '.join(map(str, rows))}); fill or drop them first, or "
            "choose missing='drop', 'ffill' or 'interpolate'.")


def fill_missing(frame: pd.DataFrame, columns: list[str], group: str | None,
                 policy: str) -> pd.DataFrame:
    """Apply a ``missing`` policy (see ``TableSpec.prepare``) to sorted rows."""
    values = frame[columns].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    frame.attrs["missing"] = {"policy": policy, "values": int(bad.sum()), "rows_dropped": 0}
    if policy == "error" or not bad.any():
        return frame
    rows_before = len(frame)
    frame[columns] = frame[columns].astype(np.float64).replace([np.inf, -np.inf], np.nan)
    parts = frame.groupby(group, sort=False)[columns] if group else frame[columns]
    if policy == "ffill":
        frame[columns] = parts.ffill()
    elif policy == "interpolate":
        if group:
            frame[columns] = parts.transform(
                lambda s: s.interpolate(limit_direction="both"))
        else:
            frame[columns] = parts.interpolate(limit_direction="both")
    frame = frame.dropna(subset=columns).reset_index(drop=True)
    frame.attrs["missing"] = {"policy": policy, "values": int(bad.sum()),
                              "rows_dropped": rows_before - len(frame)}
    return frame


def sort_series(frame: pd.DataFrame, group: str | None, time: str | None) -> pd.DataFrame:
    """Rows of each series together, in time order; duplicate times are an error.

    Without a time column, the rows' order within each series is kept as given.
    """
    keys = [c for c in (group, time) if c is not None]
    if not keys:
        return frame.reset_index(drop=True)
    if time is not None:
        dup = frame.duplicated(subset=keys, keep=False)
        if dup.any():
            first = frame[dup].iloc[0]
            where = f" in series {first[group]!r}" if group else ""
            raise DataError(
                f"Time {first[time]!r} appears more than once{where} "
                f"({int(dup.sum())} rows share a time with another); each series needs "
                "one row per time.")
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def group_ids(frame: pd.DataFrame, group: str | None) -> np.ndarray:
    """Series id per row (zeros when there is one series)."""
    if group is None:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[group].to_numpy()


def default_features(frame: pd.DataFrame, skip: set) -> list[str]:
    """All other numeric columns; a text column whose values are mostly numbers is kept (and
    its bad values reported later), a text column of words is left out with a warning."""
    features, text = [], []
    for c in frame.columns:
        if c in skip or pd.api.types.is_bool_dtype(frame[c]):
            continue
        if pd.api.types.is_numeric_dtype(frame[c]):
            features.append(c)
        elif pd.to_numeric(frame[c], errors="coerce").notna().mean() > 0.5:
            features.append(c)
        else:
            text.append(str(c))
    if text:
        warnings.warn(f"Non-numeric columns are not used as features: {', '.join(text)}.",
                      stacklevel=3)
    return features


def fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": int(len(frame)), "columns": [str(c) for c in frame.columns],
            "sha256": digest.hexdigest()}


def time_step(frame: pd.DataFrame, time: str | None, group: str | None) -> Any:
    """The regular step of the time column, as JSON (None when irregular or absent)."""
    if time is None:
        return None
    col = frame[time]
    diffs = col.groupby(frame[group]).diff() if group else col.diff()
    diffs = diffs.dropna()
    if len(diffs) == 0:
        return None
    if pd.api.types.is_datetime64_any_dtype(col):
        first = frame[frame[group] == frame[group].iloc[0]][time] if group else col
        if len(first) < 3:
            return None
        with warnings.catch_warnings():  # pandas 3 announces a change of return type
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(first.iloc[:50])
        if freq is None:
            return None
        return {"kind": "datetime", "freq": getattr(freq, "freqstr", freq)}
    if pd.api.types.is_numeric_dtype(col) and diffs.nunique() == 1:
        return {"kind": "number", "step": float(diffs.iloc[0])}
    return None


def advance_time(last: np.ndarray, offset: np.ndarray, step: dict[str, Any]) -> Any:
    if step["kind"] == "number":
        values = last + offset * step["step"]
        return values.astype(last.dtype) if float(step["step"]).is_integer() else values
    freq = pd.tseries.frequencies.to_offset(step["freq"])
    return pd.DatetimeIndex([pd.Timestamp(t) + int(k) * freq for t, k in zip(last, offset)])
