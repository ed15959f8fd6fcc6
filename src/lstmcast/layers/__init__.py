"""The tutorial's layers (``from lstmcast.layers import LSTM, Dropout, Dense, Activation``)
and the forecasting layers beyond them.

- ``core``: ``Layer``, ``LSTM``, ``GRU``, ``Dense``, ``Dropout``, ``Activation``, ``Input``;
- ``forecasting``: ``Cropping1D``, ``FutureInputs``, ``InstanceNorm``, ``InstanceDenorm``,
  ``ChannelSplit``, ``ChannelMerge``, ``SegmentLSTM``;
- ``registry``: every layer type by name, and a network's memory before it is built.
"""

from lstmcast.layers.core import (
    GRU,
    LSTM,
    Activation,
    Dense,
    Dropout,
    Input,
    InputLayer,
    Layer,
)
from lstmcast.layers.forecasting import (
    ChannelMerge,
    ChannelSplit,
    Cropping1D,
    FutureInputs,
    InstanceDenorm,
    InstanceNorm,
    SegmentLSTM,
)
from lstmcast.layers.registry import (
    LAYER_TYPES,
    check_memory,
    layer_from_config,
    memory_estimate,
    physical_memory,
)

__all__ = [
    "GRU", "LAYER_TYPES", "LSTM", "Activation", "ChannelMerge", "ChannelSplit", "Cropping1D",
    "Dense", "Dropout", "FutureInputs", "Input", "InputLayer", "InstanceDenorm", "InstanceNorm",
    "Layer", "SegmentLSTM", "check_memory", "layer_from_config", "memory_estimate",
    "physical_memory",
]
