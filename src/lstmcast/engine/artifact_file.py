"""The bytes of a saved artifact, checked without torch.

An artifact (``lstmcast.engine.bundle``) is a safetensors file: 8 bytes giving
the header's length, the header (JSON: each tensor's dtype, shape and byte range,
and lstmcast's metadata), then the tensors' bytes. Everything that can be wrong
with such a file (truncated, foreign, corrupted or edited, newer, of another
kind) shows in those bytes, so it is found here, before torch is imported: a
command given a broken run says so at once. ``bundle.load`` reads the tensors of
a file that passed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from lstmcast.errors import ArtifactError

FORMAT = "lstmcast"
FORMAT_VERSION = 1
FILE_CHECKSUM = "file_checksum"
_DIGITS = 64  # a SHA-256 in hex
_UNSET = "0" * _DIGITS
FORECASTER_KIND = "forecaster"
"""The kind of a saved Forecaster (a run's ``forecaster.lstmcast``)."""
OLD_ENTRIES = frozenset({"format", "format_version", "kind", "config", "checksum"})
"""The metadata of a file written before ``file_checksum``."""


@dataclass(frozen=True)
class CheckedFile:
    """An artifact's bytes and metadata, as ``read`` found them."""

    path: Path
    data: bytes
    metadata: dict
    sealed: bool  # it carries ``file_checksum`` (and passed it)
    config: dict  # the JSON config the caller saved, read


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where the JSON beside an exported ONNX file goes: ``model.onnx`` -> ``model.json``."""
    return Path(path).with_suffix(".json")


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


def unsealed_metadata() -> dict[str, str]:
    """The ``file_checksum`` entry to write before the bytes are known (``seal``)."""
    return {FILE_CHECKSUM: _UNSET}


def seal(data: bytes) -> bytes:
    """A file written with ``file_checksum`` unset, with it set."""
    header_len = int.from_bytes(data[:8], "little")
    digest = _file_digest(data, header_len, _UNSET)
    if digest is None:  # safetensors wrote the header in a way this module does not know
        raise RuntimeError("lstmcast could not find the file checksum's place in the header "
                           "safetensors wrote; please report this.")
    at = data.index(_field(_UNSET), 8, 8 + header_len)
    return data[:at] + _field(digest) + data[at + len(_field(_UNSET)) :]


def layout(data: bytes, name: str = "the file") -> tuple[int, dict]:
    """The header's length and the header of an artifact's bytes.

    Raises:
        ArtifactError: the bytes are not a whole safetensors file (too short, an
            unreadable header, tensors that end before or after the file does).
    """
    try:
        if len(data) < 8:
            raise ValueError("the file is shorter than a header")
        header_len = int.from_bytes(data[:8], "little")
        if header_len > len(data) - 8:
            raise ValueError(f"the header says {header_len} bytes, the file has "
                             f"{len(data) - 8}")
        header = json.loads(data[8 : 8 + header_len])
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        ends = [entry["data_offsets"][1] for key, entry in header.items()
                if key != "__metadata__"]
        size = len(data) - 8 - header_len
        if max(ends, default=0) != size:
            raise ValueError(f"the tensors take {max(ends, default=0)} bytes, the file holds "
                             f"{size} after its header")
    except (ValueError, UnicodeDecodeError, OverflowError, TypeError, IndexError,
            KeyError) as exc:
        raise ArtifactError(
            f"{name!r} is not a readable lstmcast artifact (truncated, corrupted, or another "
            f"kind of file): {exc}") from None
    return header_len, header


def read(path: str | os.PathLike, kind: str) -> CheckedFile:
    """Read and check the artifact of ``kind`` at ``path`` (no tensor is decoded).

    Raises:
        ArtifactError: the file is missing, not lstmcast's, of another kind,
            from a newer format version, truncated, corrupted or edited (any
            changed byte of a file with ``file_checksum``). The tensors of a file
            written before ``file_checksum`` are checked by ``bundle.load``.
    """
    source = Path(path)
    name = str(source)
    if not source.exists():
        raise ArtifactError(f"No saved model at {name!r}: the file does not exist.")
    if not source.is_file():
        raise ArtifactError(f"No saved model at {name!r}: it is not a file.")
    data = source.read_bytes()
    header_len, header = layout(data, name)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ArtifactError(f"{name!r} is a safetensors file but not an lstmcast artifact.")
    sealed = FILE_CHECKSUM in metadata
    if sealed and _file_digest(data, header_len, metadata[FILE_CHECKSUM]) != metadata[
            FILE_CHECKSUM]:
        claimed = str(metadata.get("format_version", ""))
        if claimed.isdigit() and int(claimed) > FORMAT_VERSION:  # checked otherwise there
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
    try:
        config = json.loads(metadata["config"])
    except (KeyError, ValueError, TypeError):
        raise ArtifactError(f"{name!r} is corrupted: its config is not valid JSON.") from None
    return CheckedFile(source, data, metadata, sealed, config)
