"""Saved artifacts: one safetensors file holding tensors plus a JSON config.

No pickle anywhere: loading reads numbers and JSON, it never runs code.
The file's metadata carries::

    format          "lstmcast"
    format_version  "1"
    config          JSON of whatever the caller saves (layers, compile settings...)
    checksum        SHA-256 over all tensors, to catch a corrupted file

Writes go to a temporary file beside the target that is then renamed over it,
so a crash or a full disk during a save leaves the previous file intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from lstmcast.errors import ArtifactError, InvalidArgumentError

FORMAT = "lstmcast"
FORMAT_VERSION = 1


def _checksum(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        digest.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


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


def save(path: str | os.PathLike, tensors: dict[str, torch.Tensor], config: dict[str, Any],
         kind: str) -> Path:
    """Save ``tensors`` and a JSON-ready ``config`` as one artifact of ``kind``."""
    plain = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "config": json.dumps(config, sort_keys=True),
        "checksum": _checksum(plain),
    }
    return atomic_write(path, save_bytes(plain, metadata=metadata))


def load(path: str | os.PathLike, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read an artifact of ``kind`` saved by ``save``; return ``(tensors, config)``.

    Raises:
        ArtifactError: the file is missing, not lstmcast's, of another kind,
            from a newer format version, truncated or corrupted.
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
    if metadata.get("checksum") != _checksum(tensors):
        raise ArtifactError(f"{name!r} is corrupted: its tensors do not match their checksum.")
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
