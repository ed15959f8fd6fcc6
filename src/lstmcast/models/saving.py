"""A Sequential on disk: one safetensors file of its weights (and optimizer state) with a JSON
config in its header; no pickle. Writes are atomic: a failed save leaves any previous
file as it was.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstmcast.engine import bundle

if TYPE_CHECKING:  # sequential imports this module
    from lstmcast.models.sequential import Sequential

MODEL_KIND = "sequential"
WEIGHTS_KIND = "weights"


def save_model(model: Sequential, path: str | os.PathLike) -> None:
    """Save architecture, compile settings, weights and optimizer state to one file.

    The file is safetensors with a JSON config in its header; no pickle.
    A failed save leaves any previous file at ``path`` as it was.
    """
    model.ensure_built()
    tensors = {f"network.{k}": v for k, v in model.network_.state_dict().items()}
    optimizer_state = None
    if model.optimizer_ is not None:
        optimizer_tensors, optimizer_state = bundle.optimizer_tensors(model.optimizer_)
        tensors.update(optimizer_tensors)
    config = {"model": model.get_config(), "input_shape": list(model.built_input_shape_),
              "compile": model.get_compile_config(), "optimizer_state": optimizer_state,
              "versions": library_versions()}
    bundle.save(path, tensors, config, MODEL_KIND)


def save_weights(model: Sequential, path: str | os.PathLike) -> None:
    """Save the weights only (safetensors)."""
    model.ensure_built()
    bundle.save(path, dict(model.network_.state_dict()),
                {"model": model.get_config()}, WEIGHTS_KIND)

def load_weights(model: Sequential, path: str | os.PathLike) -> None:
    """Load weights saved by ``save_weights`` into this (built) model."""
    model.ensure_built()
    tensors, _ = bundle.load(path, WEIGHTS_KIND)
    load_state(model.network_, tensors, path)


def load_state(network: torch.nn.Module, tensors: dict[str, torch.Tensor],
               path: str | os.PathLike) -> None:
    expected = network.state_dict()
    if set(tensors) != set(expected) or any(
            tensors[k].shape != expected[k].shape for k in expected):
        raise bundle.ArtifactError(
            f"{str(path)!r} does not hold weights for this architecture.")
    network.load_state_dict(tensors)


def library_versions() -> dict[str, str]:
    from lstmcast import __version__

    return {"lstmcast": __version__, "torch": torch.__version__, "numpy": np.__version__}
