"""Reading and validating tables: clear errors, nothing silently dropped.

``read_table`` takes a CSV, Parquet or JSON path, or a DataFrame (text files as users
write them: ``lstmcast.tables.text_files``). The checks that
``lstmcast.tables.pipeline.TablePipeline.prepare`` runs on the columns a model needs
live here: they exist (with the nearest names suggested when not), they are
numeric (the first offending rows named when not), they hold no NaN or inf
(or are filled by a ``missing`` policy), and each series' rows are in time
order without duplicate times.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
import re
import tempfile
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import DataError, InvalidArgumentError, InvalidTypeError, shown
from lstmcast.tables import in_memory, text_files, workbooks
from lstmcast.tables.timeline import clock_change_hour


def read_table(source: Any) -> pd.DataFrame:
    """Read a CSV (any delimiter pandas can sniff), Parquet or JSON file (a list of flat
    records, or one record per line) or an Excel workbook's first sheet of values
    (``lstmcast.tables.workbooks``) into a DataFrame; a folder or a glob of Parquet
    files as one table (``lstmcast.tables.parquet``). A DataFrame, a Series or an array
    of numbers as ``lstmcast.tables.in_memory`` reads them (an index of dates a column).

    Raises:
        DataError: the file is missing, empty, header-only or not a table.
    """
    held = in_memory.frame_of(source)
    if held is not None:
        return held
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidTypeError("Expected a DataFrame, a Series, an array of numbers or a path "
                               f"to a CSV or Parquet file, got {type(source).__name__}.")
    path = Path(source)
    from lstmcast.tables import parquet  # a folder or a glob of Parquet files

    if parquet.is_parquet_set(path):
        return _tidy_columns(parquet.read(path))
    sheet = workbooks.sheet_of(str(source))  # book.xlsx#Sales: a sheet named
    if sheet is not None:
        return _checked(workbooks.read(sheet[0], [s.lower() for s in sheet[0].suffixes],
                                       sheet[1]), path)
    if not path.exists():
        raise DataError(f"{str(path)!r}: no such file.")
    if path.stat().st_size == 0:
        raise DataError(f"{str(path)!r} is empty.")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(path)
        elif workbooks.is_workbook(suffixes):
            frame = workbooks.read(path, suffixes)
        else:
            frame = text_files.read(path, suffixes)
    except DataError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError, EOFError,
            zlib.error, csv.Error) as exc:
        raise DataError(f"{str(path)!r} could not be read as a table: {exc}") from None
    return _checked(frame, path)


def _checked(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A table read from ``path``, its columns tidied; a DataError where it holds no
    columns, no rows, or one column of text (a delimiter not found)."""
    frame = _without_totals(_tidy_columns(frame), path)
    if frame.shape[1] == 0:
        raise DataError(f"{str(path)!r} holds no columns.")
    if len(frame) == 0:
        raise DataError(f"{str(path)!r} has a header but no data rows.")
    if frame.shape[1] == 1 and not pd.api.types.is_numeric_dtype(frame.iloc[:, 0]):
        book = workbooks.sheet_of(str(path)) or (
            (path, None) if workbooks.is_workbook([s.lower() for s in path.suffixes]) else None)
        raise DataError(
            f"{str(path)!r} was read as a single text column {str(frame.columns[0])!r}: "
            + ("is the table on another sheet? Name it after the file's: "
               f"'{book[0]}#SHEET'." if book else "is the delimiter one of , ; tab or |?"))
    return frame


TOTALS = ("total", "totals", "grand total", "sum", "summe", "gesamt", "insgesamt",
          "total général", "totale", "average", "mean", "avg")
"""What a spreadsheet's summary rows below the data say in their first cells."""


def _without_totals(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` less its last rows (two at most) that say ``TOTALS`` in a column where the
    word is on no other row (a sum or an average under the data, as a spreadsheet keeps
    one; not a series named "Total"), with a warning quoting them."""
    def totals(values: pd.Series) -> np.ndarray:
        said = values.astype("string").str.strip().str.lower().isin(TOTALS)
        return said.fillna(False).to_numpy(dtype=bool)

    if len(frame) <= 4:
        return frame
    last = 0
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        tail = totals(col.iloc[-2:])
        if tail.any() and not totals(col.iloc[:-2]).any():
            last = max(last, 2 - int(np.argmax(tail)))
    if not last:
        return frame
    shown_rows = "; ".join(",".join(f"{v:.15g}" if isinstance(v, float) else str(v)
                                    for v in row if pd.notna(v))
                           for row in frame.iloc[-last:].itertuples(index=False))
    warnings.warn(f"Left out the last {'row' if last == 1 else f'{last} rows'} of "
                  f"{path.name!r}: a total or an average under the data, not a row of it "
                  f"({shown_rows}).", stacklevel=4)
    return frame.iloc[:-last].reset_index(drop=True)


def _tidy_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Names without the spaces around them (a header "t, y" means "y"); the empty columns
    that trailing delimiters make ("Unnamed: 3", all blank) left out."""
    names = [c.strip() if isinstance(c, str) else c for c in frame.columns]
    if len(set(names)) == len(names):
        frame.columns = names
    blank = [c for c in frame.columns if isinstance(c, str) and c.startswith("Unnamed: ")
             and frame[c].isna().all()]
    return frame.drop(columns=blank) if blank else frame


def missing_column(name: str, columns: Sequence[Any], role: str) -> DataError:
    """The error for a column that is not there, with the nearest names suggested."""
    names = [str(c) for c in columns]
    near = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    return DataError(f"{role} column {name!r} is not in the table (columns: {shown}).{hint}"
                     + wide_hint(columns))


# a column named for a time: a year, a quarter or month of it, or a date
_TIME_NAME = re.compile(r"\s*(?:1[5-9]|2[01])\d\d(?:[-/ ]?(?:Q[1-4]|M\d{1,2}|\d{1,2}"
                        r"(?:[-/]\d{1,2})?))?\s*", re.IGNORECASE)


def wide_hint(columns: Sequence[Any]) -> str:
    """Where three columns or more are named for times (1960, 1961 ... as World Bank
    files hold a series per row), what to do: lstmcast reads a row per time. Else ""."""
    times = [str(c) for c in columns if _TIME_NAME.fullmatch(str(c))]
    if len(times) < 3:
        return ""
    return (f" Its columns {times[0]!r} .. {times[-1]!r} are times: the table holds a series "
            "per row, and lstmcast reads a row per time. Turn it first, e.g. with pandas: "
            "frame.melt(id_vars=[its id columns], var_name='year', value_name='value'), then "
            "give --time year --target value and the id column as --group.")


MISSING_POLICIES = ("error", "drop", "ffill", "interpolate", "zero")


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
        values = ", ".join(f"row {r} ({shown(col[r])})" for r in bad)
        raise DataError(f"Column {name!r} must be numeric; non-numeric values at {values}.")
    return converted.astype(np.float64)


def check_finite(frame: pd.DataFrame, name: str, features: Sequence[str] = (),
                 targets: Sequence[str] = ()) -> None:
    """Raise if column ``name`` holds NaN or inf, counting them and naming the first rows;
    for one of the past inputs ``features`` (not a target), the others to keep where it is
    left out of the inputs."""
    col = frame[name]
    bad_mask = ~np.isfinite(col.to_numpy(dtype=np.float64))
    if bad_mask.any():
        rows = col.index[bad_mask][:3].tolist()
        others = [f for f in features if f != name]
        leave = ("" if name not in features or name in targets else
                 f" Or leave it out of the inputs: features={','.join(map(str, others))!r}.")
        raise DataError(
            f"Column {name!r} holds {int(bad_mask.sum())} NaN or infinite values "
            f"(first at rows {', '.join(map(str, rows))}); fill or drop them first, or "
            "choose missing='drop', missing='ffill', missing='interpolate' or "
            f"missing='zero' (targets that count: nothing happened).{leave}")


def check_static(frame: pd.DataFrame, static: Sequence[str], group: str | None) -> None:
    """Raise if a ``static`` column holds more than one value in a series (``group``;
    None: in the table), naming the column, the series and how many values."""
    for name in static:
        if group:
            counts = frame.groupby(group, sort=False, observed=True)[name].nunique(dropna=False)
        else:
            counts = pd.Series([frame[name].nunique(dropna=False)])
        varying = counts[counts > 1]
        if len(varying):
            where = f"series {shown(varying.index[0])}" if group else "the table"
            raise DataError(f"Static column {name!r} must hold one value per series, but "
                            f"{where} has {int(varying.iloc[0])} different values.")


def check_positive(frame: pd.DataFrame, name: str, fitting: bool) -> None:
    """Raise if column ``name``, which the model reads as its log, holds a value at or
    below 0, counting them and naming the first (``fitting``: a table to train on)."""
    col = frame[name]
    bad = ~(col.to_numpy(dtype=np.float64) > 0)
    if bad.any():
        count = int(bad.sum())
        hint = ("Leave out `log=True` for a column that reaches 0." if fitting else
                "The model was trained on values above 0: check the rows, or train without "
                "the log (log=False).")
        raise DataError(
            f"Column {name!r} holds {count} value{'s' if count > 1 else ''} at or below 0 "
            f"({shown(col[bad].iloc[0])} at row {col.index[bad][0]}), but the model reads "
            f"it as its log, which only values above 0 have. {hint}")


def blank_tail(frame: pd.DataFrame, targets: Sequence[str], group: str | None
               ) -> np.ndarray | None:
    """The rows to forecast of a table that holds them as a spreadsheet does: where the
    targets are blank from some row to the end of each series (in file order) and nowhere
    before, with rows before them in every series, those rows' mask; else None."""
    names = [t for t in targets if t in frame.columns
             and pd.api.types.is_numeric_dtype(frame[t])]
    if not names:
        return None
    blank = pd.Series(np.zeros(len(frame), dtype=bool), index=frame.index)
    for name in names:
        blank |= ~np.isfinite(frame[name].to_numpy(dtype=np.float64))
    if not blank.any():
        return None
    keys = frame[group] if group else pd.Series(0, index=frame.index)
    tail = blank[::-1].groupby(keys[::-1], sort=False, dropna=False).cummin()[::-1]
    if not (blank == tail).all() or tail.groupby(keys, sort=False, dropna=False).all().any():
        return None
    return tail.to_numpy()


def check_complete(frame: pd.DataFrame, columns: Sequence[str], group: str | None,
                   targets: Sequence[str], features: Sequence[str] = ()) -> None:
    """``check_finite`` on every column of a whole table before anything trains (naming,
    for one of the past inputs ``features``, the others to keep without it); targets
    left blank only in the last rows of each series (rows to forecast, as a spreadsheet
    holds them) are named as such, with where those rows go instead."""
    tail = blank_tail(frame, targets, group)
    if tail is not None:
        first = frame.index[tail][0]
        raise DataError(
            f"{'Column' if len(targets) == 1 else 'Columns'} "
            f"{', '.join(repr(t) for t in targets)} {'is' if len(targets) == 1 else 'are'} "
            f"blank in the last rows of {'its series' if group else 'the table'} "
            f"({int(tail.sum())} rows, the first at row {first}), as rows to forecast are: "
            "train on the rows before them (leave the blank rows out of the file); predict "
            "reads the file as it is and forecasts them.")
    for name in columns:  # text columns are left to check_numeric, which names a value
        if name in frame.columns and pd.api.types.is_numeric_dtype(frame[name]):
            check_finite(frame, name, features, targets)


def fill_missing(frame: pd.DataFrame, columns: list[str], group: str | None,
                 policy: str, targets: Sequence[str] = ()) -> pd.DataFrame:
    """Apply a ``missing`` policy (see ``TableSpec.prepare``) to sorted rows. Under "zero"
    the ``targets`` among ``columns`` are 0 where blank (counts: nothing happened) and
    the other columns (a price, a temperature) carried forward within each series."""
    bad = sum(int((~np.isfinite(frame[c].to_numpy(dtype=np.float64))).sum())
              for c in columns)  # column by column: no copy of the whole table
    frame.attrs["missing"] = {"policy": policy, "values": bad, "rows_dropped": 0}
    if policy == "error" or not bad:
        return frame
    rows_before = len(frame)
    frame[columns] = frame[columns].astype(np.float64).replace([np.inf, -np.inf], np.nan)
    parts = frame.groupby(group, sort=False, observed=True)[columns] if group else frame[columns]
    if policy == "ffill":
        frame[columns] = parts.ffill()
    elif policy == "zero":  # counts: a row absent, or blank, where nothing was sold
        counts = [c for c in columns if c in targets]
        inputs = [c for c in columns if c not in targets]
        frame[counts] = frame[counts].fillna(0.0)
        if inputs:  # a grouping already narrowed to columns cannot narrow again
            frame[inputs] = (frame.groupby(group, sort=False, observed=True)[inputs].ffill()
                             if group else frame[inputs].ffill())
    elif policy == "interpolate":
        if group:
            frame[columns] = parts.transform(
                lambda s: s.interpolate(limit_direction="both"))
        else:
            frame[columns] = parts.interpolate(limit_direction="both")
    frame = frame.dropna(subset=columns).reset_index(drop=True)
    frame.attrs["missing"] = {"policy": policy, "values": bad,
                              "rows_dropped": rows_before - len(frame)}
    return frame


def sort_series(frame: pd.DataFrame, group: str | None, time: str | None,
                whole: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of each series together, in time order; duplicate times are an error, naming
    the columns of ``whole`` (the table ``frame``'s columns were taken from, row for row)
    that tell the series apart.

    Without a time column, the rows' order within each series is kept as given.
    """
    keys = [c for c in (group, time) if c is not None]
    if not keys:
        return frame.reset_index(drop=True)
    if time is not None:
        dup = frame.duplicated(subset=keys, keep=False)
        if dup.any():
            first = frame[dup].iloc[0]
            where = f" in series {shown(first[group])}" if group else ""
            hint = (_repeats(frame, keys) or _repeated_hour(first[time])
                    or _split_by_more(group, series_columns(
                        frame if whole is None else whole, keys)))
            raise DataError(
                f"Time {shown(first[time])} appears more than once{where} "
                f"({int(dup.sum())} rows share a time with another); each series needs "
                f"one row per time.{hint}")
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _repeats(frame: pd.DataFrame, keys: list[str]) -> str:
    """A hint where every row that shares a time repeats another row exactly (a file
    appended twice, an export run twice)."""
    repeats = int(frame.duplicated(keep="first").sum())
    if repeats == 0 or repeats != int(frame.duplicated(subset=keys, keep="first").sum()):
        return ""
    return (f" {repeats} {'row repeats' if repeats == 1 else 'rows repeat'} another row "
            "exactly (the same time and values, as when a file is appended twice): drop the "
            "repeats first (pandas: frame.drop_duplicates()).")


def series_columns(frame: pd.DataFrame, keys: list[str], skip: Sequence[str] = ()
                   ) -> list[str]:
    """The first column, else the first two, besides ``keys`` that label rows (text or
    whole numbers, each value on two rows or more on average; none named in ``skip``, in
    any case) and with them tell every row apart: the series id of a long table (a stock's
    symbol beside its dates; an age and a sex beside years); [] where there is none."""
    labels = [c for c in frame.columns if c not in keys
              and str(c).strip().lower() not in skip
              and (pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(
                  frame[c]) or pd.api.types.is_integer_dtype(frame[c]))
              and 2 * frame[c].nunique() <= len(frame)]
    for found in ([[c] for c in labels]
                  + [[a, b] for k, a in enumerate(labels[:10]) for b in labels[k + 1:10]]):
        if not frame.duplicated(subset=[*keys, *found]).any():
            return found
    return []


def told_apart(series: Sequence[str]) -> str:
    """Who tells a table's series apart, for a message: "Column 'symbol' tells the series
    apart", "Columns 'age' and 'sex' tell the series apart"."""
    named = " and ".join(repr(c) for c in series)
    return (f"{'Column' if len(series) == 1 else 'Columns'} {named} tell"
            f"{'s' if len(series) == 1 else ''} the series apart")


def _split_by_more(group: str | None, found: Sequence[str] = ()) -> str:
    """A hint where the rows at one time may be several series told apart by more than
    one column (a job and a sex, a store and a product), naming the columns ``found`` that
    tell them apart where there are some."""
    if found:
        named = ",".join(found)
        return (f" {told_apart(found)}: name {'it' if len(found) == 1 else 'them'} as the "
                + (f"group beside {group!r}, joined by a comma ('{group},{named}')." if group
                   else f"group (group={named!r})."))  # --group on the command line
    what = (f"besides {group!r} (a product within a store, say), name both as the group, "
            f"joined by a comma ('{group},OTHER')" if group else
            "(a store, a product), give it as the group column")
    return f" If another column tells the series apart {what}."


def _repeated_hour(value: Any) -> str:
    """A hint where a duplicate time may be the hour a local clock repeats when summer
    time ends (01:00 twice on an autumn night)."""
    if isinstance(value, pd.Timestamp) and value.tz is None and clock_change_hour([value])[0]:
        return (" It may be the hour a local clock repeats when summer time ends: write the "
                "times with their UTC offset (2010-11-07 01:00-07:00), or in UTC.")
    return ""


def check_ids(frame: pd.DataFrame, group: str | None) -> None:
    """Raise if the series-id column has missing values (counted, the first row named)."""
    if group is None or group not in frame.columns:
        return
    bad = frame[group].isna().to_numpy()
    if bad.any():
        raise DataError(f"Series-id column {group!r} has {int(bad.sum())} missing values "
                        f"(first at row {frame.index[bad][0]}); every row needs its series id.")


def default_features(frame: pd.DataFrame, skip: set) -> list[str]:
    """All other numeric columns, true/false flags among them (read as 0/1: a promotion, a
    holiday); a text column whose values are mostly numbers is kept (and its bad values
    reported later), a text column of words is left out with a warning."""
    features, text = [], []
    for c in frame.columns:
        if c in skip:
            continue
        if _row_numbers(frame, c):
            first = frame[c].min()
            warnings.warn(f"Column {str(c)!r} holds the row numbers {first}, {first + 1}, "
                          f"{first + 2} ... (an index written with the table, as pandas' "
                          "to_csv and R's write.csv write one): not used as a feature.",
                          stacklevel=3)
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


ROW_NUMBER_GAPS = 0.1
"""The share of gaps between sorted row numbers that still reads as row numbers (a
series' held-out rows leave a gap where the next series begins)."""


def _row_numbers(frame: pd.DataFrame, column: Any) -> bool:
    """A column without a name in the file (pandas reads it as "Unnamed: 0") holding whole
    numbers that count the rows one by one: a DataFrame's index written by ``to_csv``, or
    R's row names written by ``write.csv``. The frame may hold only some of the file's
    rows (the training rows of each series, in another order), so the numbers are
    distinct and, sorted, step by one but for at most ``ROW_NUMBER_GAPS`` of them."""
    if not (isinstance(column, str) and re.fullmatch(r"Unnamed: \d+|", column)):
        return False
    values = frame[column]
    if not pd.api.types.is_integer_dtype(values) or len(values) < 2:
        return False
    steps = np.diff(np.sort(values.to_numpy(dtype=np.int64)))
    return bool((steps >= 1).all() and (steps > 1).mean() <= ROW_NUMBER_GAPS)


def fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": int(len(frame)), "columns": [str(c) for c in frame.columns],
            "sha256": digest.hexdigest()}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    target = Path(path)
    if target.is_dir():
        raise InvalidArgumentError(f"Cannot save to {str(target)!r}: it is a directory.")
    if not target.parent.exists():
        raise InvalidArgumentError(
            f"Cannot save to {str(target)!r}: folder {str(target.parent)!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # as open() would make it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
