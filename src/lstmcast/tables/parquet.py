"""Tables spread over many Parquet files: a folder (one file per series, or partitioned by
a key: ``id=7/part-0.parquet``) or a glob, read through pyarrow's dataset API.

``describe`` reads only the files' metadata (row counts, columns, types): it is how
``lstmcast inspect`` looks at a folder without reading it. ``read`` checks that
every file has the columns and types of the first (naming the one that differs)
and reads the rows into one DataFrame, the partition keys as columns.

``read`` reads the rows into memory, all of them or a few files (``files``):
``Forecaster.fit`` reads a set shard by shard (``lstmcast.tables.streaming``), so the
table need not fit in memory.
"""

from __future__ import annotations

import glob as globbing
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast.errors import DataError

if TYPE_CHECKING:  # pyarrow is imported when a Parquet set is read
    import pyarrow.dataset

PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet_set(source: str | os.PathLike) -> bool:
    """A folder, or a glob pattern (``*``, ``?``, ``[``) that is not itself a file's name:
    a set of Parquet files."""
    path = Path(str(source))
    return path.is_dir() or (not path.is_file() and any(c in str(source) for c in "*?["))


def _files(source: str | os.PathLike) -> list[str]:
    text = str(source)
    if Path(text).is_dir():
        found = sorted(str(p) for p in Path(text).rglob("*")
                       if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
                       and not any(part.startswith((".", "_")) for part in
                                   p.relative_to(text).parts))
        where = f"the folder {text!r}"
    else:
        found = sorted(f for f in globbing.glob(text, recursive=True) if Path(f).is_file())
        where = f"the pattern {text!r}"
    if not found and (Path(text) / "forecaster.lstmcast").is_file():
        raise DataError(f"{text!r} is a run folder (it holds a saved model), not a table: give "
                        "the table to read (the run's config.toml names the one it was "
                        "trained on).")
    if not found:
        raise DataError(f"No Parquet file (.parquet, .pq) in {where}.")
    return found


def _dataset(source: str | os.PathLike) -> pyarrow.dataset.Dataset:
    try:
        import pyarrow.dataset as ds
    except ImportError:  # pragma: no cover (pandas' Parquet support needs it too)
        raise DataError("Reading a folder of Parquet files needs pyarrow: pip install "
                        "pyarrow.") from None
    files = _files(source)
    base = str(source) if Path(str(source)).is_dir() else None
    try:
        return ds.dataset(files, format="parquet", partitioning="hive",
                          partition_base_dir=base)
    except (OSError, ValueError) as exc:
        raise DataError(f"{str(source)!r} could not be read as Parquet files: {exc}") from None


def _check_schemas(dataset: pyarrow.dataset.Dataset, source: str | os.PathLike) -> None:
    """Every file with the first file's columns and types, or an error naming the file."""
    first = None
    for fragment in dataset.get_fragments():
        try:
            schema = fragment.physical_schema
        except (OSError, ValueError) as exc:
            raise DataError(f"{fragment.path!r} is not a readable Parquet file: {exc}") from None
        fields = {f.name: str(f.type) for f in schema}
        if first is None:
            first, first_path = fields, fragment.path
            continue
        if fields != first:
            missing = [c for c in first if c not in fields]
            extra = [c for c in fields if c not in first]
            typed = [f"{c} is {fields[c]} there but {first[c]} in the first"
                     for c in first if c in fields and fields[c] != first[c]]
            what = "; ".join(part for part in (
                f"it lacks {', '.join(missing)}" if missing else "",
                f"it adds {', '.join(extra)}" if extra else "", *typed) if part)
            raise DataError(f"The Parquet files of {str(source)!r} disagree: {fragment.path!r} "
                            f"differs from {first_path!r}: {what}.")


def describe(source: str | os.PathLike) -> dict[str, Any]:
    """Files, rows, columns and types of a Parquet set, from the metadata alone."""
    dataset = _dataset(source)
    _check_schemas(dataset, source)
    fragments = list(dataset.get_fragments())
    rows = sum(f.metadata.num_rows for f in fragments)
    size = sum(Path(f.path).stat().st_size for f in fragments)
    return {"files": len(fragments), "rows": int(rows), "bytes": int(size),
            "columns": {f.name: str(f.type) for f in dataset.schema},
            "first_file": fragments[0].path}


def file_rows(source: str | os.PathLike) -> list[tuple[str, int]]:
    """Each file of a Parquet set with its rows (from the metadata), files checked alike."""
    dataset = _dataset(source)
    _check_schemas(dataset, source)
    return [(f.path, int(f.metadata.num_rows)) for f in dataset.get_fragments()]


def read(source: str | os.PathLike, first_file_only: bool = False,
         files: list[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of a Parquet set as one DataFrame (partition keys as columns).

    ``first_file_only``: the first file's rows (with its partition keys), for a look.
    ``files``: only these files of the set (a shard); ``columns``: only these columns.
    A file named that no longer exists is an error naming it.
    """
    if files is None:
        dataset = _dataset(source)
        _check_schemas(dataset, source)
        if first_file_only:
            files = [next(iter(dataset.get_fragments())).path]
    if files is not None:
        import pyarrow.dataset as ds

        gone = [f for f in files if not Path(f).is_file()]
        if gone:
            raise DataError(f"{gone[0]!r} of the Parquet set {str(source)!r} is gone (it "
                            "was there when the set was listed): the files changed while "
                            "they were read.")
        dataset = ds.dataset(files, format="parquet", partitioning="hive",
                             partition_base_dir=str(source) if Path(str(source)).is_dir()
                             else None)
    try:
        table = dataset.to_table(columns=columns)
    except (OSError, ValueError) as exc:
        raise DataError(f"{str(source)!r} could not be read: {exc}") from None
    frame = table.to_pandas(split_blocks=True, self_destruct=True)  # frees as it converts
    del table
    import pyarrow

    pyarrow.default_memory_pool().release_unused()  # back to the system, not kept for reuse
    for name in frame.columns:  # partition keys arrive as categories: plain values
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(frame[name].cat.categories.dtype)
    return frame
