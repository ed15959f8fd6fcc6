"""Run folders, their TOML config, and the built-in data sources the CLI knows by name.

A run folder holds everything about one training run::

    forecaster.lstmcast   the saved Forecaster (safetensors + JSON)
    config.toml           the resolved settings; `--config` takes it back
    metrics.json          test scores of the model and the baselines
    history.csv           loss and metrics per epoch
    predictions.csv       test forecasts beside actuals and baselines
    loss.png, forecast.png (and rul.png for C-MAPSS)

It is written in ``.NAME.partial`` beside the target and renamed into place
at the end, so a failed run never leaves a half-written run folder, and an
existing run folder is never overwritten. A run that dies keeps its partial
folder with the last epoch's checkpoint, and ``lstmcast train --resume NAME``
continues it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd

from lstmcast.datasets import (
    CMAPSS_SUBSETS,
    load_airline,
    load_cmapss,
    load_etth2,
    load_sunspots,
)
from lstmcast.engine import artifact_file
from lstmcast.errors import InvalidArgumentError
from lstmcast.runs.outputs import holds_model
from lstmcast.tables import parquet
from lstmcast.tables.io import DataError, read_table
from lstmcast.tables.parquet import is_parquet_set

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BUILTIN_NAMES = ["cmapss:FD001", "cmapss:FD002", "cmapss:FD003", "cmapss:FD004", "airline",
                 "sunspots", "etth2"]


@dataclass
class Source:
    """A table to train or score on, with the settings that suit it.

    Attributes:
        name: the name given on the command line.
        frame: the table to fit on (for C-MAPSS, the training engines).
        test: a separate test table (C-MAPSS), else None.
        defaults: column roles and model settings that suit this data.
        last_only: score the last window of each test series only (C-MAPSS).
        holdout: rows at the end of each series kept for testing (no separate test table).
        parquet: for a peek at a set of Parquet files, what their metadata says
            (``lstmcast.tables.parquet.describe``); ``frame`` then holds the first file only.
    """

    name: str
    frame: pd.DataFrame
    test: pd.DataFrame | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    last_only: bool = False
    holdout: int | None = None
    parquet: dict[str, Any] | None = None


def resolve(name: str, peek: bool = False) -> Source:
    """A built-in dataset name (cmapss:FD001, airline, sunspots), a CSV/Parquet path, or a
    folder or glob of Parquet files. ``peek``: of a Parquet set, read the first file only
    (``Source.parquet`` describes the whole set from its metadata)."""
    key = name.strip()
    if key.lower().startswith("cmapss"):
        subset = key.split(":", 1)[1].upper() if ":" in key else "FD001"
        if subset not in CMAPSS_SUBSETS:
            raise InvalidArgumentError(
                f"Unknown C-MAPSS subset {subset!r}; use one of "
                f"{', '.join('cmapss:' + s for s in CMAPSS_SUBSETS)}.")
        data = load_cmapss(subset)
        defaults = {"target": "rul", "group": "unit", "time": "cycle", "features": data.features,
                    "horizon": 0, "validation_by": "series", "window": 30}  # the tutorial's
        if data.scale_by != "global":  # FD002, FD004: six operating conditions
            defaults["scale_by"] = data.scale_by
        return Source(key, data.train, data.test, last_only=True, defaults=defaults)
    if key.lower() == "airline":
        # the defaults' own choice on the validation rows handles the passengers' trend:
        # RMSE 16.1 on the last 24 months, against 28.6-36.4 with `difference` (3 seeds)
        frame = load_airline()  # its months as the shipped CSV writes them: 1960-12
        frame["month"] = frame["month"].dt.strftime("%Y-%m")
        return Source(key, frame, holdout=24, defaults={
            "target": "passengers", "time": "month", "season": 12, "window": 24})
    if key.lower() == "etth2":  # the shipped CSV, read as a user's own file would be
        return Source(key, load_etth2(), defaults={"target": ["OT"], "time": "date"})
    if key.lower() == "sunspots":
        return Source(key, load_sunspots(), holdout=30, defaults={
            "target": "sunspots", "time": "year", "window": 30})
    path = Path(key)
    if is_parquet_set(key):  # a folder or a glob of Parquet files
        if peek:
            return Source(key, parquet.read(key, first_file_only=True),
                          parquet=parquet.describe(key))
        return Source(key, read_table(key))
    if not path.exists() and ":" not in key and "." not in path.name:
        raise DataError(f"{key!r} is neither a file nor a built-in dataset "
                        f"({', '.join(BUILTIN_NAMES)}).")
    return Source(key, read_table(path))


# -- TOML ------------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(sections: dict[str, dict[str, Any]]) -> str:
    """Write ``{section: {key: scalar or list}}`` as TOML; None values are left out."""
    lines = ["# lstmcast run settings; `lstmcast train ... --config this-file` reuses them"]
    for section, values in sections.items():
        lines.append(f"\n[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def read_toml(path: str | Path) -> dict[str, dict[str, Any]]:
    source = Path(path)
    if not source.is_file():
        raise DataError(f"Config file {str(source)!r} does not exist.")
    try:
        return tomllib.loads(source.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"Config file {str(source)!r} is not valid TOML: {exc}") from None


# -- run folders -------------------------------------------------------------------------
CHECKPOINT = "checkpoint.lstmcast"
LAUNCH = "launch.json"  # how many processes trained the run (torchrun), for --resume


def resume_command(target: str | Path, processes: int) -> str:
    """The command that continues run ``target``, under torchrun when it had several
    processes."""
    if processes > 1:
        return f"torchrun --nproc-per-node {processes} -m lstmcast train --resume {target}"
    return f"lstmcast train --resume {target}"
LOCK = ".lock"  # held by the process that writes a partial run folder


def partial_path(target: str | Path) -> Path:
    """Where the run folder ``target`` is built (and its checkpoint kept) until it is done."""
    target = Path(target)
    return target.parent / f".{target.name}.partial"


def hold_lock(path: Path, busy: Callable[[str], str]) -> IO[str] | None:
    """An exclusive lock on the file ``path``, held by this process until the returned
    handle is closed (None where the system has no locks); ``busy(owner)`` is the message
    when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not POSIX): no lock
        return None
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise InvalidArgumentError(busy(owner)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle


class RunFolder:
    """A run folder built in ``.NAME.partial`` beside it and renamed into place at the end.

    If training dies, the partial folder keeps the config and the last epoch's
    checkpoint, and ``RunFolder(NAME, resume=True)`` picks it up again. An
    existing, non-empty run folder is never touched.
    """

    def __init__(self, target: str | Path, resume: bool = False, processes: int = 1) -> None:
        self.target = Path(target)
        self.path = partial_path(self.target)
        self.processes = processes  # under torchrun: the job's processes, resumed alike
        if self.target.exists() and not self.target.is_dir():
            raise InvalidArgumentError(
                f"--out {str(self.target)!r} is an existing file, not a run folder; choose "
                "another --out (nothing was overwritten).")
        if resume and (self.target / "forecaster.lstmcast").is_file():
            raise InvalidArgumentError(
                f"Run {str(self.target)!r} is finished (its model is saved): there is nothing to "
                f"resume. Use it with `lstmcast evaluate {self.target} DATA` or `lstmcast "
                "predict`, or train again with another --out.")
        if self.target.exists() and any(self.target.iterdir()):
            raise InvalidArgumentError(
                f"Run folder {str(self.target)!r} already exists and is not empty; choose "
                "another --out (nothing was overwritten).")
        self._lock = None
        if self.path.exists():
            self._take_lock()
        if resume:
            if not (self.path / "config.toml").is_file():
                raise InvalidArgumentError(
                    f"There is no interrupted run to resume at {str(self.target)!r} "
                    f"(no {self.path.name}/config.toml).")
            launch = self.path / LAUNCH
            before = json.loads(launch.read_text())["processes"] if launch.is_file() else 1
            if before != processes:
                self._release_lock()
                raise InvalidArgumentError(
                    f"Run {str(self.target)!r} was trained by {before} process"
                    f"{'es' if before > 1 else ''} and is resumed by {processes}: the batches "
                    "and their order would differ from the run it continues. Resume it with "
                    f"`{resume_command(self.target, before)}`.")
        else:
            if self.path.exists():
                self._release_lock()
                raise InvalidArgumentError(
                    f"An interrupted run of this name exists ({str(self.path)!r}): resume it "
                    f"with `{resume_command(self.target, processes)}`, or delete that folder.")
            self.path.mkdir(parents=True)
            self._take_lock()
            (self.path / LAUNCH).write_text(json.dumps({"processes": processes}) + "\n")

    def _take_lock(self) -> None:
        """Hold a lock on the partial folder while this process writes it."""
        self._lock = hold_lock(
            self.path / LOCK, lambda owner: f"Run {str(self.target)!r} is being trained right "
            f"now (by {owner}); wait for it to finish, or choose another --out (nothing was "
            "touched).")

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._release_lock()
        (self.path / LOCK).unlink(missing_ok=True)
        if kind is None:
            (self.path / LAUNCH).unlink(missing_ok=True)  # only a partial run needs it
            if self.target.exists():
                self.target.rmdir()  # empty, checked above
            self.path.rename(self.target)
            return
        if (self.path / CHECKPOINT).exists():
            hint = (f"the last finished epoch is kept in {str(self.path)!r}: resume with "
                    f"`{resume_command(self.target, self.processes)}`")
            if isinstance(value, Exception) and value.args:
                value.args = (f"{value.args[0]} ({hint})", *value.args[1:])
            else:
                print(f"lstmcast: {hint}", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name: str) -> Path:
        """Path of a file inside the run folder (no escaping it)."""
        candidate = (self.path / name).resolve()
        if self.path.resolve() not in candidate.parents:
            raise InvalidArgumentError(f"{name!r} is not a file name inside the run folder.")
        return candidate


def check_order(command: str, run: str | Path, data: str | Path | None) -> None:
    """An error naming the order where the data came first and the run folder second
    (``lstmcast predict sales.csv runs/a``), before either is read."""
    if data is not None and holds_model(data) and not holds_model(run):
        raise InvalidArgumentError(
            f"{str(run)!r} is not a run folder, and {str(data)!r} is one: the run folder "
            f"comes first (lstmcast {command} {data} {run}).")


def forecaster_file(run: str | Path) -> Path:
    """The saved Forecaster of an existing run folder, its bytes checked (truncated,
    corrupted, edited, newer, another kind of file) before torch is imported."""
    path = run_file(run, "forecaster.lstmcast")
    artifact_file.read(path, artifact_file.FORECASTER_KIND)
    return path


def run_file(run: str | Path, name: str) -> Path:
    """A file of an existing run folder, with a clear error when it is not one."""
    folder = Path(run)
    if not folder.is_dir():
        raise InvalidArgumentError(f"Run folder {str(folder)!r} does not exist.")
    path = folder / name
    if not path.exists():
        raise InvalidArgumentError(
            f"{str(folder)!r} is not an lstmcast run folder (no {name}).")
    return path
