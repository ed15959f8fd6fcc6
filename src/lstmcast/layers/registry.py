"""Every layer type by name, and what a stack of layers costs in memory.

``layer_from_config`` rebuilds any layer (the tutorial's and the forecasting
ones) from its class name and config: saved models and Keras files read
through it. ``memory_estimate`` and ``check_memory`` size a network from the
shapes alone, before anything is allocated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from lstmcast.errors import InvalidArgumentError, size_text
from lstmcast.layers.core import GRU, LSTM, Activation, Dense, Dropout, Input, Layer, Shape
from lstmcast.layers.forecasting import (
    ChannelMerge,
    ChannelSplit,
    Cropping1D,
    FutureInputs,
    InstanceDenorm,
    InstanceNorm,
    SegmentLSTM,
)

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Input, LSTM, GRU, Dense, Dropout, Activation, Cropping1D,
                                  FutureInputs, InstanceNorm, InstanceDenorm, ChannelSplit,
                                  ChannelMerge, SegmentLSTM)
}


def layer_from_config(class_name: str, config: dict[str, Any]) -> Layer:
    """Rebuild a layer from its class name and ``get_config()``."""
    if class_name not in LAYER_TYPES:
        raise InvalidArgumentError(
            f"Unknown layer type {class_name!r}; known: {', '.join(LAYER_TYPES)}."
        )
    return LAYER_TYPES[class_name].from_config(config)


def memory_estimate(layers: Sequence[Layer], input_shape: Shape, batch_size: int) -> dict:
    """About how much memory training ``layers`` on samples of ``input_shape`` takes, from
    the shapes alone: {"params": values, "bytes": weights, gradients and Adam's two moments
    in float32, plus one batch's activations}."""
    shape, params, activations = tuple(input_shape), 0, 0
    for layer in layers:
        params += layer.estimate_params(shape)
        activations += layer.estimate_activations(shape)
        shape = layer.compute_output_shape(shape)
    return {"params": params, "bytes": 4 * (4 * params + batch_size * activations)}


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover (not POSIX)
        return None


def check_memory(layers: Sequence[Layer], input_shape: Shape, batch_size: int,
                 what: str = "`units`") -> dict:
    """Refuse, before anything is allocated, a network whose training cannot fit in this
    machine's memory; return the estimate."""
    estimate = memory_estimate(layers, input_shape, batch_size)
    total = physical_memory()
    if total is not None and estimate["bytes"] > total:
        raise InvalidArgumentError(
            f"This network has about {estimate['params']:,} weights and training it needs "
            f"about {size_text(estimate['bytes'])}, more than this machine's "
            f"{size_text(total)} of memory (nothing was allocated); lower {what}.")
    return estimate

