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

from lstmcast.engine import artifact_file
from lstmcast.errors import ArtifactError
from lstmcast.tables.io import atomic_write

# The file's format and its checks without torch live in artifact_file
FORMAT, FORMAT_VERSION = artifact_file.FORMAT, artifact_file.FORMAT_VERSION


def tensor_checksum(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names, dtypes, shapes and bytes: the ``checksum`` entry,
    all that files written before ``file_checksum`` are checked with."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        digest.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def save(path: str | os.PathLike, tensors: dict[str, torch.Tensor], config: dict[str, Any],
         kind: str) -> Path:
    """Save ``tensors`` and a JSON-ready ``config`` as one artifact of ``kind``."""
    plain = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "config": json.dumps(config, sort_keys=True),
        "checksum": tensor_checksum(plain),  # for lstmcast versions before file_checksum
        **artifact_file.unsealed_metadata(),  # set once the bytes are known (seal)
    }
    return atomic_write(path, artifact_file.seal(save_bytes(plain, metadata=metadata)))


def load(path: str | os.PathLike, kind: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read an artifact of ``kind`` saved by ``save``; return ``(tensors, config)``.

    Raises:
        ArtifactError: the file is missing, not lstmcast's, of another kind,
            from a newer format version, truncated, corrupted or edited (any
            changed byte of a file with ``file_checksum``; the tensors of an
            older file).
    """
    checked = artifact_file.read(path, kind)  # every check that needs no torch
    name = str(checked.path)
    try:
        tensors = load_bytes(checked.data)
    except SafetensorError as exc:
        raise ArtifactError(
            f"{name!r} is not a readable lstmcast artifact (truncated, corrupted, or another "
            f"kind of file): {exc}") from None
    if not checked.sealed and checked.metadata.get("checksum") != tensor_checksum(tensors):
        raise ArtifactError(f"{name!r} is corrupted or was edited: its tensors do not "
                            "match their checksum.")
    return tensors, checked.config


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
