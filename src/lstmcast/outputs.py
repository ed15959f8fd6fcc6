"""Where the command line may write: never over what a user has, unless asked.

Every file or folder a command writes goes through ``OutputGuard``: a path
that exists is refused (the message names it) unless the user passed
``--force``, and some paths are refused even then: the data file being read,
the run folder and the files in it (the saved model, its config, its
metrics). Writes are atomic (``bundle.atomic_write``; folders are built beside
their target and renamed into place), so a failure leaves nothing half
written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lstmcast.bundle import atomic_write
from lstmcast.errors import InvalidArgumentError


class OutputError(InvalidArgumentError):
    """An output path that would overwrite something the user has."""


class OutputGuard:
    """Checks output paths before anything is computed, then writes them safely.

    Args:
        force: overwrite existing outputs (never the protected paths).
        protected: paths that are read by the command (the data, a run
            folder, or ``(path, "what it is")`` for another file): none of them,
            and nothing inside a protected folder's top level, may be written.
    """

    def __init__(self, force: bool = False, protected: Iterable[Any] = ()) -> None:
        self.force = force
        self.protected: list[Path] = []
        self.described: dict[Path, str] = {}  # what a protected file is, when not the data
        for item in protected:
            if isinstance(item, tuple):  # (path, what it is)
                item, what = item
                self.described[Path(item).resolve()] = what
            if item is not None:
                self.protected.append(Path(item).resolve())

    def _protected_reason(self, path: Path) -> str | None:
        resolved = path.resolve()
        for item in self.protected:
            if resolved == item:
                what = ("the run folder" if item.is_dir() else
                        self.described.get(item, "the data file this command reads"))
                return f"it is {what}"
            if item.is_dir() and resolved.parent == item and resolved.exists():
                return f"it is part of the run folder {str(item)!r}"
        return None

    def check_file(self, path: str | os.PathLike, option: str = "--out") -> Path:
        """Refuse ``path`` if it would overwrite something; return it as a Path."""
        target = Path(path)
        reason = self._protected_reason(target)
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

    def check_folder(self, path: str | os.PathLike, option: str = "--out") -> Path:
        """Refuse a folder ``path`` that exists and holds files, unless ``force``."""
        target = Path(path)
        reason = self._protected_reason(target)
        if reason:
            raise OutputError(f"Refusing to write {option} {str(target)!r}: {reason} "
                              "(nothing was written; choose another folder).")
        if target.exists() and not target.is_dir():
            raise OutputError(f"{option} {str(target)!r} is a file, not a folder (nothing was "
                              "written).")
        if target.is_dir() and any(target.iterdir()) and not self.force:
            raise OutputError(f"{option} folder {str(target)!r} already exists and is not empty;"
                              " choose another, or add --force to replace its files (nothing "
                              "was written).")
        return target

    def write_file(self, path: str | os.PathLike, data: bytes, option: str = "--out") -> Path:
        """Check ``path`` and write ``data`` to it atomically."""
        return atomic_write(self.check_file(path, option), data)


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
