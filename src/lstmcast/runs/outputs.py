"""Where the command line may write: never over what a command reads, nor a run's files.

Each command declares what it reads and writes (``Access``: the names of its
arguments), and one ``OutputGuard`` built from that declaration checks every
path the command writes, before anything is computed:

- nothing the command reads is ever written, ``--force`` or not: the data (a
  file, a folder of Parquet files or a glob of them), the future table, a
  config, a model, a Keras file; the same file reached through another name
  (a symbolic or hard link) is the same file;
- nothing inside a folder the command reads is written, nor a new file that
  would join a glob it reads;
- no existing file of any run folder (its model, config, metrics, plots) is
  replaced, whichever command runs: run folders are written by ``lstmcast
  train`` alone, as a whole;
- any other existing file is replaced only with ``--force``.

Writes are atomic (``atomic_write``: a temporary file renamed over the
target; folders are built beside their target and renamed into place), so a
failure leaves nothing half written. This module imports no torch: the
checks run before the command's heavy work.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lstmcast.errors import InvalidArgumentError
from lstmcast.tables import workbooks
from lstmcast.tables.io import atomic_write

if TYPE_CHECKING:
    import argparse

    import pandas as pd

MODEL_FILE = "forecaster.lstmcast"
# what the arguments hold, in the guard's messages
WHAT = {"data": "the data this command reads", "future": "the future table this command reads",
        "config": "the config this command reads", "run": "the model this command reads",
        "model": "the model this command reads", "resume": "the run this command resumes"}


class OutputError(InvalidArgumentError):
    """An output path that would overwrite something the user has."""


@dataclass(frozen=True)
class Access:
    """What a command reads and writes, by the names of its arguments.

    Attributes:
        reads: arguments holding paths the command reads ("data", "future",
            "config", "run", "model", "resume").
        writes: arguments holding paths it writes ("out").
        folder: the written paths are folders (a run folder, an explanation).
    """

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ("out",)
    folder: bool = False


def holds_model(path: str | os.PathLike) -> bool:
    """A folder holding a saved Forecaster: a finished run folder."""
    return Path(path).is_dir() and (Path(path) / MODEL_FILE).exists()


def is_run_folder(path: Path) -> bool:
    """A run folder (it holds a saved Forecaster) or one being built (``.NAME.partial``)."""
    return holds_model(path) or (path.is_dir() and path.name.startswith(".")
                                 and path.name.endswith(".partial"))


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


Read = str | os.PathLike | None  # a path a command reads (None: not given)


class OutputGuard:
    """Checks the paths a command writes against what it reads, then writes them safely.

    Args:
        force: replace existing outputs (never what is read, nor a run's files).
        reads: the paths the command reads, each a path or ``(path, "what it is")``.
            Paths that do not exist (a built-in dataset's name) protect nothing;
            a glob protects every file it matches and every name it would match.
    """

    def __init__(self, force: bool = False, reads: Iterable[Read | tuple[Read, str]] = ()
                 ) -> None:
        self.force = force
        self.access = Access()
        self.forceable = True
        self.reads: list[tuple[Path, str]] = []
        self.globs: list[tuple[str, str]] = []
        for item in reads:
            path, what = item if isinstance(item, tuple) else (item, WHAT["data"])
            if path is None:
                continue
            text = os.fspath(path)
            sheet = workbooks.sheet_of(text)  # book.xlsx#Sales reads book.xlsx
            text = str(sheet[0]) if sheet is not None else text
            if glob.has_magic(text) and not Path(text).exists():
                self.globs.append((str(Path(text).expanduser().absolute()), what))
                self.reads += [(Path(p).resolve(), what) for p in glob.glob(text)]
            elif Path(text).exists():
                self.reads.append((Path(text).resolve(), what))

    @classmethod
    def for_command(cls, args: argparse.Namespace, access: Access) -> OutputGuard:
        """The guard of a parsed command line, from its declared ``access``."""
        reads = []
        for name in access.reads:
            value = getattr(args, name, None)
            if name == "run" and value is not None and Path(value).is_dir():
                value = Path(value) / MODEL_FILE  # a run folder is read for its model
            reads.append((value, WHAT[name]))
        guard = cls(force=getattr(args, "force", False), reads=reads)
        guard.access = access
        guard.forceable = hasattr(args, "force")  # a command without --force never replaces
        return guard

    def check_outputs(self, args: argparse.Namespace) -> None:
        """Check every path the command declares it writes, before any work: files, or
        folders (``Access.folder``)."""
        for name in self.access.writes:
            value = getattr(args, name, None)
            if value is not None:
                check = self.check_folder if self.access.folder else self.check_file
                check(value, f"--{name.replace('_', '-')}")

    def _refusal(self, target: Path) -> str | None:
        """Why ``target`` may not be written, or None."""
        resolved = target.resolve()
        if is_run_folder(resolved):
            return "it is a run folder that already exists"
        for path, what in self.reads:
            if _same(resolved, path):
                return f"it is {what}"
            if path.is_dir() and path in resolved.parents:
                return f"it is inside {str(path)!r}, {what}"
            if resolved.is_dir() and resolved in path.parents:
                return f"it holds {str(path)!r}, {what}"
        for pattern, what in self.globs:
            if fnmatch.fnmatch(str(resolved), pattern) or fnmatch.fnmatch(
                    str(target.absolute()), pattern):
                return f"it would join {pattern!r}, {what}"
        if resolved.exists() and is_run_folder(resolved.parent):
            return (f"it is part of the run folder {str(resolved.parent)!r} (run folders are "
                    "written whole by `lstmcast train`)")
        return None

    def check_file(self, path: str | os.PathLike, option: str = "--out") -> Path:
        """Refuse ``path`` if it would overwrite something; return it as a Path."""
        target = Path(path)
        reason = self._refusal(target)
        if reason:
            raise OutputError(f"Refusing to write {option} {str(target)!r}: {reason} "
                              "(nothing was written; choose another path).")
        if target.is_dir():
            raise OutputError(f"{option} {str(target)!r} is a folder; give a file name.")
        if target.exists() and not self.force:
            raise OutputError(f"{option} {str(target)!r} already exists; choose another path, "
                              "or add --force to replace it (nothing was written).")
        if not target.parent.exists():
            raise OutputError(f"{option} {str(target)!r}: folder {str(target.parent)!r} does "
                              "not exist.")
        return target

    def check_folder(self, path: str | os.PathLike, option: str = "--out",
                     forceable: bool | None = None) -> Path:
        """Refuse a folder ``path`` that exists and holds files (unless ``force`` and
        ``forceable``: a run folder is never written into)."""
        target = Path(path)
        forceable = self.forceable if forceable is None else forceable
        reason = self._refusal(target)
        if reason:
            raise OutputError(f"Refusing to write {option} {str(target)!r}: {reason} "
                              "(nothing was written; choose another folder).")
        if target.exists() and not target.is_dir():
            raise OutputError(f"{option} {str(target)!r} is an existing file, not a folder "
                              "(nothing was written).")
        if target.is_dir() and any(target.iterdir()) and not (self.force and forceable):
            hint = ", or add --force to replace its files" if forceable else ""
            raise OutputError(f"{option} folder {str(target)!r} already exists and is not "
                              f"empty; choose another{hint} (nothing was written).")
        return target

    def write_file(self, path: str | os.PathLike, data: bytes, option: str = "--out") -> Path:
        """Check ``path`` and write ``data`` to it atomically."""
        return atomic_write(self.check_file(path, option), data)


TABLE_FORMATS = (".csv", ".parquet", ".json")


def check_format(path: str | os.PathLike | None, formats: tuple[str, ...] = TABLE_FORMATS,
                 option: str = "--out") -> str | None:
    """The format ``path``'s extension names (".csv"...), refused unless one of ``formats``."""
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        named = f"extension {suffix!r}" if suffix else "no extension"
        raise OutputError(f"{option} {str(path)!r} has {named}; give a file name ending in "
                          f"{', '.join(formats[:-1])} or {formats[-1]} (the format written).")
    return suffix


def table_bytes(frame: pd.DataFrame, path: str | os.PathLike) -> bytes:
    """A DataFrame in the format ``path``'s extension names: CSV, Parquet or JSON records
    (dates in ISO 8601)."""
    import io

    suffix = check_format(path)
    if suffix == ".parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if suffix == ".json":
        return (frame.to_json(orient="records", date_format="iso", indent=1) + "\n").encode()
    return frame.to_csv(index=False).encode()


def free_name(path: str | os.PathLike) -> Path:
    """``path`` if nothing is there, else ``path-2``, ``path-3``...: a new default name."""
    candidate = Path(path)
    k = 2
    while candidate.exists() or _partial(candidate).exists():
        candidate = Path(f"{path}-{k}")
        k += 1
    return candidate


def _partial(path: Path) -> Path:
    return path.parent / f".{path.name}.partial"


def publish_folder(built: Path, target: Path) -> None:
    """Move the files of folder ``built`` into ``target`` (created if missing), then drop it.

    With a new target the whole folder is renamed into place in one step;
    into an existing folder (``--force``) each file replaces its namesake.
    """
    if not target.exists():
        built.rename(target)
        return
    for item in built.iterdir():
        os.replace(item, target / item.name)
    shutil.rmtree(built, ignore_errors=True)
