"""Training on a table read in shards: a set of Parquet files bigger than memory.

A folder (or glob) of Parquet files is cut into shards of whole files, each of at
most ``shard_rows`` rows (a file with more rows is a shard by itself). Each series
must lie within one shard, so the files hold whole series: one file per series, or
partitioned by the series key (``id=7/part-0.parquet``). ``Forecaster.fit`` reads
the shards in passes and never holds more than one:

1. the group and time columns of every shard: the time column's frequency, learned
   from every series as in memory, and a check that no series spans two shards;
2. every shard, prepared as in memory (missing values and time steps, calendar):
   the scalers, fitted on each shard's training rows and merged (min and max; or
   count, mean and sum of squared deviations, Chan's update: the same numbers as one
   fit on all rows, up to rounding), globally, per series (a series is in one shard)
   or per key value (an operating condition's rows, merged over the shards); the
   training rows' mean and the naive forecast's error (MASE's scale); which rows
   were trained on; the windows of each shard;
3. every epoch, each shard in turn, in an order shuffled per epoch from the seed:
   its windows, shuffled, in batches (``training.Parts``). Under torchrun each rank
   reads its own shards.

The validation part is cut per shard as in memory: the last part of every series,
or (``validation_by="series"``) a share of each shard's series. Two things use a
sample, the first shard's windows, rather than every shard: the baselines' error
quantiles (their intervals) and the conformal calibration.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.tables import joined_columns, parquet, time_steps
from lstmcast.tables.io import DataError, sort_series
from lstmcast.tables.parts import Arrays, Parts
from lstmcast.tables.pipeline import Table, TablePipeline, group_ids
from lstmcast.tables.scaling import key_strs
from lstmcast.tables.seen import SeenRows
from lstmcast.tables.splits import split_rows, split_windows
from lstmcast.tables.windows import segments

SHARD_ROWS = 1_000_000


@dataclass
class Shard:
    """Whole files read together, and their rows (from the files' metadata)."""

    files: list[str]
    rows: int


def plan(source: str | os.PathLike, shard_rows: int) -> list[Shard]:
    """The files of a Parquet set in shards of at most ``shard_rows`` rows, in order."""
    shards: list[Shard] = []
    for path, rows in parquet.file_rows(source):
        if shards and shards[-1].rows + rows <= shard_rows:
            shards[-1].files.append(path)
            shards[-1].rows += rows
        else:
            shards.append(Shard([path], rows))
    return shards


class ShardedTable:
    """A Parquet set read one shard at a time.

    Args:
        source: a folder or a glob of Parquet files.
        shard_rows: most rows per shard (a bigger file is a shard by itself).
        select: applied to every shard's rows as read (the command line drops the
            rows it tests on this way).

    A series id or a time of several columns (``joined``: ``group="store,item"``) is read
    as its columns and joined into one as each shard is read
    (``lstmcast.tables.joined_columns``).

    ``most_rows`` is the most rows held at once so far (what bounds the memory).
    """

    def __init__(self, source: str | os.PathLike, shard_rows: int = SHARD_ROWS,
                 select: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> None:
        self.source = source
        self.shards = plan(source, shard_rows)
        self.select = select
        self.most_rows = 0
        self.group: str | None = None
        self.time: str | None = None

    def joined(self, group: str | None, time: str | None) -> ShardedTable:
        """This table, its shards read with ``group`` and ``time`` joined where each names
        several columns."""
        self.group, self.time = group, time
        return self

    def _read(self, files: list[str], columns: list[str] | None) -> pd.DataFrame:
        """``files``' rows (``columns`` only: a joined name reads its parts), the joined
        columns made."""
        group, time = self.group, self.time
        if columns is not None:
            group, time = (name if name in columns else None for name in (group, time))
            columns = list(dict.fromkeys(
                part for name in columns for part in (
                    joined_columns.columns(name) if name in (group, time) else [name])))
        frame = parquet.read(self.source, files=files, columns=columns)
        return joined_columns.join(frame, group, time)

    def __len__(self) -> int:
        return len(self.shards)

    def read(self, k: int, columns: list[str] | None = None, select: bool = True
             ) -> pd.DataFrame:
        """Shard k's rows (``columns`` only), through ``select`` unless ``select`` is False."""
        frame = self._read(self.shards[k].files, columns)
        if select and self.select is not None:
            frame = self.select(frame)
        self.most_rows = max(self.most_rows, len(frame))
        return frame

    def shortest(self, group: str | None) -> int:
        """Rows of the shortest series (reading the group column only)."""
        if group is None:
            return sum(s.rows for s in self.shards)
        return int(min(self._read(s.files, [group])
                       .groupby(group, dropna=False, observed=True).size().min()
                       for s in self.shards))

    def first(self) -> pd.DataFrame:
        """The first file's rows: enough to decide the columns' roles."""
        return self._read(self.shards[0].files[:1], None)

    def check_one_series(self, group: str | None) -> None:
        """A table without a group column is one series: it must fit in one shard."""
        if group is None and len(self) > 1:
            raise DataError(
                f"{self.source!r} holds one series (no group column) over "
                f"{sum(s.rows for s in self.shards)} rows in {len(self)} shards: streaming "
                "reads whole series shard by shard. Give the series-id column (`group`), or "
                "raise `shard_rows` to read the table whole.")

    def check_home(self, home: dict[str, int], k: int, group: str, ids: Any) -> None:
        """Record that shard k holds the series ``ids``; a series already in another shard
        (``home``: series -> shard) is an error naming the file of each."""
        for sid in pd.unique(key_strs(np.asarray(ids))):
            if home.setdefault(sid, k) != k:
                raise DataError(
                    f"Series {sid!r} has rows in two shards: "
                    f"{self.where(home[sid], group, sid)} and {self.where(k, group, sid)}. "
                    "Streaming reads whole series shard by shard: keep each series in one "
                    f"file (one file per series, or partitioned by {group!r}), or raise "
                    "shard_rows.")

    def where(self, k: int, group: str, series: str) -> str:
        """The file of shard k that holds ``series`` (read again, one file at a time: only
        for an error message)."""
        for path in self.shards[k].files:
            ids = self._read([path], [group])[group].to_numpy()
            if series in set(key_strs(ids)):
                return repr(path)
        return repr(self.shards[k].files[0])


@dataclass
class Loaded:
    """One shard prepared: its arrays, and where its training and validation windows start."""

    table: Table
    train_rows: np.ndarray
    train_starts: np.ndarray
    val_starts: np.ndarray


@dataclass
class StreamStats:
    """What ``fit`` learns from the training rows besides the scalers, summed over shards."""

    targets: int
    season: int
    seen: SeenRows
    sums: np.ndarray = field(init=False)
    count: int = 0
    naive_sums: np.ndarray = field(init=False)
    naive_count: np.ndarray = field(init=False)
    rows: int = 0
    series: int = 0
    longest: int = 0
    digests: list[str] = field(default_factory=list)
    short: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sums = np.zeros(self.targets)
        self.naive_sums = np.zeros(self.targets)
        self.naive_count = np.zeros(self.targets, dtype=np.int64)

    def add(self, frame: pd.DataFrame, ids: np.ndarray, train: np.ndarray,
            pipeline: TablePipeline) -> None:
        """Add a prepared shard's rows (``train``: its training rows)."""
        segs = segments(ids, len(frame))
        y = frame[pipeline.targets].to_numpy(dtype=np.float64)
        self.sums += y[train].sum(axis=0)
        self.count += int(train.sum())
        for a, b in segs:
            rows = y[a:b][train[a:b]]
            if len(rows) > self.season:
                self.naive_sums += np.abs(rows[self.season:] - rows[:-self.season]).sum(axis=0)
                self.naive_count += len(rows) - self.season
            if b - a < pipeline.span:
                self.short.append(ids[a])
            self.longest = max(self.longest, b - a)
        self.series += len(segs)
        self.digests.append(self.seen.update(frame, ids, segs))
        self.rows += len(frame)

    @property
    def train_mean(self) -> list[float]:
        return (self.sums / max(self.count, 1)).tolist()

    @property
    def naive_scale(self) -> list[float]:
        return [float(s / n) if n else float("nan")
                for s, n in zip(self.naive_sums, self.naive_count)]

    @property
    def digest(self) -> str:
        """A digest of the shards' digests (not the in-memory fingerprint's)."""
        return hashlib.sha256("".join(self.digests).encode()).hexdigest()

    def fingerprint(self, columns: list[str]) -> dict[str, Any]:
        """The rows' fingerprint, as ``io.fingerprint`` gives for a table in memory."""
        return {"rows": self.rows, "columns": columns, "sha256": self.digest,
                "shards": len(self.digests)}


class ShardWindows(Parts):
    """The windows of a ``ShardedTable`` under one pipeline, a shard at a time.

    ``fit`` learns the pipeline (time, scalers) and the statistics in passes 1 and 2
    of the module docstring; afterwards the object is the training data of
    ``Sequential.fit`` (``training.Parts``): ``arrays(k)`` prepares shard k again.
    The last shard prepared is kept, so a table of one shard is read once.
    """

    def __init__(self, table: ShardedTable, pipeline: TablePipeline, validation: float,
                 validation_by: str, seed: int) -> None:
        super().__init__()
        self.table = table
        self.pipeline = pipeline
        self.validation = validation
        self.validation_by = validation_by
        self.seed = seed
        self.shortest_rows: int | None = None  # learned with the time (learn_time)
        self.series_count = 1  # how many series, learned with them
        self._cached: tuple[int, Loaded] | None = None

    # -- pass 1 --------------------------------------------------------------------------
    def learn_time(self) -> None:
        """The time column's kind and frequency from every series; each series in one shard;
        the rows of the shortest series (``shortest_rows``) and how many series there are
        (``series_count``). Once: later calls return."""
        if self.shortest_rows is not None:
            return
        roles, pipeline = self.pipeline.roles, self.pipeline
        self.table.check_one_series(roles.group)
        shortest = sum(s.rows for s in self.table.shards)  # one series, without a group
        columns = [c for c in (roles.group, roles.time) if c]
        home: dict[str, int] = {}
        steps: time_steps.SeriesSteps = {}
        for k in range(len(self.table)):
            frame = self.table.read(k, columns) if columns else None
            if roles.group:
                self.table.check_home(home, k, roles.group, frame[roles.group])
                shortest = min(shortest, int(frame.groupby(roles.group, dropna=False,
                                                           observed=True).size().min()))
            if roles.time:
                frame[roles.time] = pipeline.parse_time_column(frame[roles.time], fitting=k == 0)
                steps.update(time_steps.series_steps(
                    pipeline, sort_series(frame, roles.group, roles.time)))
        if roles.time:
            time_steps.choose_step(pipeline, steps)
        self.shortest_rows, self.series_count = shortest, max(1, len(home))

    # -- pass 2 --------------------------------------------------------------------------
    def fit(self, calendar: bool, season: int, seen_columns: list[str]) -> StreamStats:
        """Fit the pipeline's scalers and sum the statistics over every shard."""
        pipeline = self.pipeline
        self.learn_time()
        stats = StreamStats(len(pipeline.targets), season, SeenRows(seen_columns))
        self.sizes, self.val_sizes = [], []
        for k in range(len(self.table)):
            frame = self._prepare(k)
            if k == 0 and calendar:
                pipeline.add_calendar(frame)
            ids = group_ids(frame, pipeline.roles.group)
            train_rows, held_out = self._split(frame, ids, k)
            pipeline.partial_fit(frame, train_rows)
            stats.add(frame, ids, train_rows, pipeline)
            train_starts, val_starts = self._starts(frame, ids, train_rows, held_out)
            self.sizes.append(len(train_starts))
            self.val_sizes.append(len(val_starts))
        pipeline.finish_fit()
        self._train_parts = [k for k, n in enumerate(self.sizes) if n]
        self._val_parts = [k for k, n in enumerate(self.val_sizes) if n]
        self.count, self.validation_count = len(self._train_parts), len(self._val_parts)
        self._cached = None
        return stats

    @property
    def sample_shard(self) -> int:
        """The first shard with training windows: the sample for what needs one."""
        return self._train_parts[0]

    def _split(self, frame: pd.DataFrame, ids: np.ndarray, k: int
               ) -> tuple[np.ndarray, set[Any]]:
        segs = segments(ids, len(frame))
        by = self.validation_by
        if by == "series" and len(segs) < 2:  # a shard of one series: by time instead
            by = "time"
        return split_rows(segs, ids, self.validation, by, self.seed + k)

    def _starts(self, frame: pd.DataFrame, ids: np.ndarray, train_rows: np.ndarray,
                held_out: set[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Where a shard's training and validation windows start."""
        pipeline = self.pipeline
        return split_windows(len(frame), ids, train_rows, held_out, pipeline.window,
                             pipeline.horizon, pipeline.steps)

    # -- pass 3 --------------------------------------------------------------------------
    def _prepare(self, k: int) -> pd.DataFrame:
        """Shard k's rows, only the columns the model reads, prepared as in memory."""
        frame = self.table.read(k, self.pipeline.roles.columns())
        return self.pipeline.prepare(frame, need_target=True, owned=True)

    def load(self, k: int, rows: bool = False) -> Loaded:
        """Shard k prepared and scaled, with its windows (the last one asked is kept).
        Its rows are let go once in arrays, unless ``rows``."""
        if self._cached is not None and self._cached[0] == k and (
                not rows or len(self._cached[1].table.frame)):
            return self._cached[1]
        self._cached = None  # let the previous shard go before reading the next
        frame = self._prepare(k)
        ids = group_ids(frame, self.pipeline.roles.group)
        train_rows, held_out = self._split(frame, ids, k)
        loaded = Loaded(self.pipeline.arrays(frame), train_rows,
                        *self._starts(frame, ids, train_rows, held_out))
        if not rows:  # the windows need only the arrays
            loaded.table.frame = frame.iloc[:0]
        self._cached = (k, loaded)
        return loaded

    def arrays(self, part: int) -> Arrays:
        loaded = self.load(self._train_parts[part])
        return self.pipeline.windows(loaded.table, loaded.train_starts)

    def part_sizes(self) -> list[int]:
        return [self.sizes[k] for k in self._train_parts]

    def validation_arrays(self, part: int) -> Arrays:
        loaded = self.load(self._val_parts[part])
        return self.pipeline.windows(loaded.table, loaded.val_starts)

    def validation_order(self, parts: list[int]) -> list[int]:
        """The shard in memory first (a table of one shard is never read again)."""
        cached = self._cached[0] if self._cached is not None else None
        return sorted(parts, key=lambda j: self._val_parts[j] != cached)

    @property
    def windows(self) -> dict[str, int]:
        return {"train": int(sum(self.sizes)), "validation": int(sum(self.val_sizes))}
