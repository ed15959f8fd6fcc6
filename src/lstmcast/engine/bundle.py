"""Saved artifacts: one safetensors file holding tensors plus a JSON config.

No pickle anywhere: loading reads numbers and JSON, it never runs code.
The file's metadata carries::

    format          "lstmcast"
    format_version  "1"
    kind            what the file holds ("forecaster", "model", "weights"...)
    config          JSON of whatever the caller saves (layers, compile settings...)
    checksum        SHA-256 over all tensors (names, dtypes, shapes, bytes)
    file_checksum   SHA-256 over every byte of the file, with this value's own
                    64 hex digits read as "0"s

``file_checksum`` covers the header too (the config, the other entries, the
tensors' table, even the padding), so any changed byte of a saved artifact is
refused on load: a scaler's offset edited by hand would otherwise load and
forecast wrongly without a word. Files written before it (``checksum`` alone,
over the tensors only) load as they did, with the old check; their metadata
must hold only the five entries they were written with, so that an edit of the
key ``file_checksum`` itself cannot pass a new file off as an old one.
``checksum`` is still written, so lstmcast versions before ``file_checksum``
(which ignore entries they do not know) read new files too. A future change of
the file checksum's scheme takes a new key, not a new meaning for this one.

Writes go to a temporary file beside the target that is then renamed over it,
so a crash or a full disk during a save leaves the previous file intact.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from lstmcast.errors import ArtifactError
from lstmcast.tables.io import atomic_write

FORMAT = "lstmcast"
FORMAT_VERSION = 1
FILE_CHECKSUM = "file_checksum"
_DIGITS = 64  # a SHA-256 in hex
_UNSET = "0" * _DIGITS
OLD_ENTRIES = frozenset({"format", "format_version", "kind", "config", "checksum"})
"""The metadata of a file written before ``file_checksum``."""


def _checksum(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        digest.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def _field(value: str) -> bytes:
    """``file_checksum``'s entry as safetensors writes it in the header (compact JSON)."""
    return f'"{FILE_CHECKSUM}":"{value}"'.encode()


def _file_digest(data: bytes, header_len: int, value: str) -> str | None:
    """SHA-256 of ``data`` (a whole artifact) with the ``value`` of its ``file_checksum``
    entry read as zeros; None when that entry is not in its header exactly once, as
    written (so the file cannot match)."""
    if not isinstance(value, str) or len(value) != _DIGITS:
        return None
    header = data[8 : 8 + header_len]
    needle = _field(value)
    if header.count(needle) != 1:
        return None
    at = 8 + header.index(needle) + len(needle) - 1 - _DIGITS  # the value's first digit
    view = memoryview(data)
    digest = hashlib.sha256()
    digest.update(view[:at])
    digest.update(_UNSET.encode())
    digest.update(view[at + _DIGITS :])
    return digest.hexdigest()


def _seal(data: bytes) -> bytes:
    """A file written with ``file_checksum`` unset, with it set."""
    header_len = int.from_bytes(data[:8], "little")
    digest = _file_digest(data, header_len, _UNSET)
    if digest is None:  # safetensors wrote the header in a way this module does not know
        raise RuntimeError("lstmcast could not find the file checksum's place in the header "
                           "safetensors wrote; please report this.")
    at = data.index(_field(_UNSET), 8, 8 + header_len)
    return data[:at] + _field(digest) + data[at + len(_field(_UNSET)) :]


def save(path: str | os.PathLike, tensors: dict[str, torch.Tensor], config: dict[str, Any],
         kind: str) -> Path:
    """Save ``tensors`` and a JSON-ready ``config`` as one artifact of ``kind``."""
    plain = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "config": json.dumps(config, sort_keys=True),
        "checksum": _checksum(plain),  # for lstmcast versions before file_checksum
        FILE_CHECKSUM: _UNSET,  # set once the bytes are known (_seal)
    }
    return atomic_write(path, _seal(save_bytes(plain, metadata=metadata)))


def load(path: str | os.PathLike, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read an artifact of ``kind`` saved by ``save``; return ``(tensors, config)``.

    Raises:
        ArtifactError: the file is missing, not lstmcast's, of another kind,
            from a newer format version, truncated, corrupted or edited (any
            changed byte of a file with ``file_checksum``; the tensors of an
            older file).
    """
    source = Path(path)
    name = str(source)
    if not source.exists():
        raise ArtifactError(f"No saved model at {name!r}: the file does not exist.")
    if not source.is_file():
        raise ArtifactError(f"No saved model at {name!r}: it is not a file.")
    data = source.read_bytes()
    try:
        tensors = load_bytes(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + header_len])
    except (SafetensorError, ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise ArtifactError(
            f"{name!r} is not a readable lstmcast artifact (truncated, corrupted, or another "
            f"kind of file): {exc}") from None
    metadata = header.get("__metadata__") or {}
    sealed = FILE_CHECKSUM in metadata
    if sealed and _file_digest(data, header_len, metadata[FILE_CHECKSUM]) != metadata[
            FILE_CHECKSUM]:
        claimed = str(metadata.get("format_version", ""))
        newer = claimed.isdigit() and int(claimed) > FORMAT_VERSION
        if newer:  # a newer lstmcast may check its files otherwise
            raise ArtifactError(
                f"{name!r} is corrupted or was edited (its bytes do not match its checksum), "
                f"or was saved in format version {claimed}, newer than this lstmcast reads "
                f"({FORMAT_VERSION}): then upgrade lstmcast to load it.")
        raise ArtifactError(
            f"{name!r} is corrupted or was edited: its bytes do not match its checksum.")
    if metadata.get("format") != FORMAT:
        raise ArtifactError(f"{name!r} is a safetensors file but not an lstmcast artifact.")
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        raise ArtifactError(f"{name!r} has an unreadable format version.") from None
    if version > FORMAT_VERSION:
        raise ArtifactError(
            f"{name!r} was saved in format version {version}, newer than this lstmcast "
            f"reads ({FORMAT_VERSION}): upgrade lstmcast to load it.")
    if metadata.get("kind") != kind:
        raise ArtifactError(
            f"{name!r} holds a {metadata.get('kind')!r}, not a {kind!r}.")
    if not sealed:  # written before file_checksum: the header is not covered
        unknown = sorted(set(metadata) - OLD_ENTRIES)
        if unknown:
            raise ArtifactError(f"{name!r} is corrupted or was edited: its header holds an "
                                f"entry {unknown[0]!r} that lstmcast never writes.")
        if metadata.get("checksum") != _checksum(tensors):
            raise ArtifactError(f"{name!r} is corrupted or was edited: its tensors do not "
                                "match their checksum.")
    try:
        config = json.loads(metadata["config"])
    except (KeyError, ValueError):
        raise ArtifactError(f"{name!r} is corrupted: its config is not valid JSON.") from None
    return tensors, config


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Split a torch optimizer's state into tensors and JSON-ready values."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, entry in state["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{pid}.{key}"] = value
            else:
                scalars.setdefault(str(pid), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                       saved: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = value
    for pid, values in saved["scalars"].items():
        state.setdefault(int(pid), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
