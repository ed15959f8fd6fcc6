"""Layers beyond the tutorial's stack, for forecasting tables (``lstmcast.layers`` exports them).

Each is a layer like the others: Keras-style config (``get_config`` /
``from_config``), output shapes and parameter counts in ``summary()``, and
usable from ``Sequential``. The Forecaster assembles them:

- ``Cropping1D`` and ``FutureInputs``: windows that run over the rows to
  forecast, for inputs known in advance.
- ``InstanceNorm`` / ``InstanceDenorm``: each window normalized by its own
  last value (or mean and standard deviation), and the forecast mapped back
  (RevIN-style, without the learned affine).
- ``ChannelSplit`` / ``ChannelMerge``: channel independence: each target
  column goes through one shared network as its own series, with a one-hot
  code of which it is.
- ``SegmentLSTM``: segment recurrence with parallel decoding (SegRNN's design):
  L / w recurrent steps instead of L, and every forecast step at once.

Shapes: N batch, T time steps, F features, K channels, S forecast steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.checks import check_bool, check_choice, check_float, check_int, invalid
from lstmcast.engine.network import (
    ChannelMergeBlock,
    ChannelSplitBlock,
    CropBlock,
    FutureInputsBlock,
    InstanceDenormBlock,
    InstanceNormBlock,
    SegmentRecurrentBlock,
)
from lstmcast.errors import InvalidArgumentError
from lstmcast.layers.core import GRU, LSTM, Layer, Shape, _copy_into


def _positions(name: str, value: Any) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not len(value):
        raise invalid(name, "a non-empty list of feature positions", value)
    return [check_int(name, c, minimum=0) for c in value]


class Cropping1D(Layer):
    """Drops steps from the start and the end of the time axis (Keras's ``Cropping1D``).

    Args:
        cropping: ``(start, end)``: steps dropped at each end, or one int for both.

    A Forecaster with inputs known in advance feeds windows that run past the
    forecast rows; ``Cropping1D((0, rows))`` keeps the recurrent layers on the
    past window.
    """

    def __init__(self, cropping: int | Sequence[int] = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pair = (cropping, cropping) if isinstance(cropping, (int, np.integer)) else cropping
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise invalid("cropping", "an int or a pair (start, end)", cropping)
        self.cropping = tuple(check_int("cropping", c, minimum=0) for c in pair)

    def _own_config(self) -> dict[str, Any]:
        return {"cropping": list(self.cropping)}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        steps = input_shape[0] - sum(self.cropping)
        if steps < 1:
            raise InvalidArgumentError(
                f"Cropping1D `{self.name}` crops {sum(self.cropping)} steps from "
                f"{input_shape[0]}: nothing is left.")
        return (steps, *input_shape[1:])

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        return CropBlock(*self.cropping)


class FutureInputs(Layer):
    """Appends the inputs known in advance over the forecast rows to a layer's output.

    The model's input holds the window and, after it, the rows to forecast; this
    layer reads the last ``steps`` rows of the model's input, columns
    ``columns`` only (prices, promotions, calendar: known ahead), and appends
    them, flattened, to its own input (N, H), giving (N, H + steps * len(columns)).
    A Dense layer after it then forecasts each step from the window's summary
    and that step's known inputs.

    Args:
        steps: forecast rows at the end of the model's input.
        columns: positions of the known-in-advance inputs among its features.
    """

    def __init__(self, steps: int, columns: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = check_int("steps", steps)
        if isinstance(columns, (str, bytes)) or not len(columns):
            raise invalid("columns", "a non-empty list of feature positions", columns)
        self.columns = [check_int("columns", c, minimum=0) for c in columns]

    def _own_config(self) -> dict[str, Any]:
        return {"steps": self.steps, "columns": list(self.columns)}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise InvalidArgumentError(
                f"FutureInputs `{self.name}` expects a flat input (batch, units), such as a "
                f"recurrent layer's last output; got a sample shape {tuple(input_shape)}.")
        return (input_shape[0] + self.steps * len(self.columns),)

    def _check_model_input(self, shape: Shape) -> None:
        if len(shape) != 2 or shape[0] < self.steps or max(self.columns) >= shape[1]:
            raise InvalidArgumentError(
                f"FutureInputs `{self.name}` reads the last {self.steps} rows and features "
                f"{self.columns} of the model's input, which has shape {tuple(shape)}.")

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        return FutureInputsBlock(self.steps, self.columns)


class _WindowStatistics(Layer):
    """The settings InstanceNorm and InstanceDenorm share: which columns, over how
    many rows, by which statistics."""

    def __init__(self, columns: Sequence[int], window: int, kind: str = "last",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = _positions("columns", columns)
        self.window = check_int("window", window)
        self.kind = check_choice("kind", kind, ["last", "mean"])

    def _own_config(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "window": self.window, "kind": self.kind}


class InstanceNorm(_WindowStatistics):
    """Normalizes chosen columns of each window by the window's own statistics.

    Args:
        columns: positions of the features to normalize (e.g. the targets' past).
        window: rows whose statistics are used (the first ``window`` rows; later
            rows, such as the rows to forecast, are normalized with them).
        kind: "last" (subtract the window's last value: the forecast becomes a
            change from it) or "mean" (subtract the mean, divide by the standard
            deviation), RevIN's two usual choices.

    A series whose level drifts out of its training range stays in range for
    the network. ``InstanceDenorm`` undoes it on the output.
    """

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 2 or input_shape[0] < self.window or max(
                self.columns) >= input_shape[1]:
            raise InvalidArgumentError(
                f"InstanceNorm `{self.name}` normalizes features {self.columns} over "
                f"{self.window} rows; got a sample shape {tuple(input_shape)}.")
        return tuple(input_shape)

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        return InstanceNormBlock(self.columns, self.window, self.kind)


class InstanceDenorm(_WindowStatistics):
    """Maps forecasts back with the statistics ``InstanceNorm`` took from the model's input.

    Args:
        columns, window, kind: as the ``InstanceNorm`` at the bottom of the model;
            the output (N, S * K) holds S steps of the K ``columns``, step-major.
    """

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1 or input_shape[0] % len(self.columns):
            raise InvalidArgumentError(
                f"InstanceDenorm `{self.name}` expects (batch, steps x {len(self.columns)}) "
                f"outputs; got a sample shape {tuple(input_shape)}.")
        return tuple(input_shape)

    def _check_model_input(self, shape: Shape) -> None:
        if len(shape) != 2 or shape[0] < self.window or max(self.columns) >= shape[1]:
            raise InvalidArgumentError(
                f"InstanceDenorm `{self.name}` reads features {self.columns} over "
                f"{self.window} rows of the model's input, which has shape {tuple(shape)}.")

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        return InstanceDenormBlock(self.columns, self.window, self.kind)


class ChannelSplit(Layer):
    """Channel independence: each of ``columns`` becomes its own series.

    (N, T, F) -> (N * K, T, 1 + F_other + K): a channel's own value, the other
    inputs (shared by every channel: features, calendar...), and a one-hot code
    of the channel, which the next layer's weights turn into a learned
    per-channel embedding. ``ChannelMerge`` puts the channels back side by side.

    Args:
        columns: positions of the channels (the targets' past) among the features.
    """

    def __init__(self, columns: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = _positions("columns", columns)

    def _own_config(self) -> dict[str, Any]:
        return {"columns": list(self.columns)}

    def _others(self, features: int) -> list[int]:
        return [c for c in range(features) if c not in self.columns]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 2 or max(self.columns) >= input_shape[1]:
            raise InvalidArgumentError(
                f"ChannelSplit `{self.name}` takes features {self.columns} of a (batch, "
                f"time_steps, features) input; got a sample shape {tuple(input_shape)}.")
        k = len(self.columns)
        return (input_shape[0], 1 + len(self._others(input_shape[1])) + k)

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        return ChannelSplitBlock(self.columns, self._others(input_shape[1]))


class ChannelMerge(Layer):
    """The channels' forecasts side by side again: (N * K, S) -> (N, S * K), step-major.

    Args:
        channels: K, as split by ``ChannelSplit``.

    The batch axis shrinks K times, so ``summary()`` shows K x S outputs per sample.
    """

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = check_int("channels", channels)

    def _own_config(self) -> dict[str, Any]:
        return {"channels": self.channels}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise InvalidArgumentError(
                f"ChannelMerge `{self.name}` expects (batch, steps) outputs per channel; got a "
                f"sample shape {tuple(input_shape)}.")
        return (input_shape[0] * self.channels,)

    def _make_block(self, input_shape: Shape) -> nn.Module:
        return ChannelMergeBlock(self.channels)


class SegmentLSTM(Layer):
    """Segment recurrence with parallel decoding: a whole multi-step forecast in one layer.

    The window (N, L, F) is cut into L / ``segment`` segments; each is embedded
    by a linear layer and a ReLU into ``units`` values, and one LSTM (or GRU)
    runs over the segments. From its final state, every output segment is
    decoded at once: a learned position embedding per output segment, one step
    of the same cell, dropout, and a linear layer to ``segment`` steps of
    ``outputs`` values. Output (N, steps * outputs), step-major.

    A point-wise LSTM takes L steps, one after another; this takes L / segment,
    and all forecast steps in one batched call (docs/longhorizon.md measures
    the difference). The design is SegRNN's (Lin et al. 2023), with an LSTM.

    Args:
        units: d, the width of the embedding and of the cell.
        segment: w, rows per segment; the window length must be a multiple of it.
        steps: S, forecast steps.
        outputs: values per step (1 for one channel).
        cell: "lstm" or "gru".
        dropout: before the output layer, while training.
        linear: add a linear map of the whole window (L F values) to the
            forecast, starting at zero: the recurrence learns what the linear
            map leaves. Helps at long horizons (docs/longhorizon.md).

    Weights (``get_weights``): embedding kernel (w F, d) and bias (d,); the
    cell's kernel (d, 4d), recurrent kernel (d, 4d) and bias (4d,) in Keras's
    LSTM layout (a GRU: (d, 3d), (d, 3d), (2, 3d)); positions (S / w, d);
    output kernel (d, w outputs) and bias (w outputs,); with ``linear``, its
    kernel (L F, S outputs) and bias (S outputs,).
    """

    def __init__(self, units: int, segment: int, steps: int, outputs: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, linear: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.linear = check_bool("linear", linear)
        self.units = check_int("units", units)
        self.segment = check_int("segment", segment)
        self.steps = check_int("steps", steps)
        self.outputs = check_int("outputs", outputs)
        self.cell = check_choice("cell", cell, ["lstm", "gru"])
        self.dropout = check_float("dropout", dropout, low=0.0, high=1.0, high_inclusive=False)

    def _own_config(self) -> dict[str, Any]:
        return {"units": self.units, "segment": self.segment, "steps": self.steps,
                "outputs": self.outputs, "cell": self.cell, "dropout": self.dropout,
                "linear": self.linear}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 2:
            raise InvalidArgumentError(
                f"SegmentLSTM `{self.name}` expects 3-D input (batch, time_steps, features), "
                f"got a sample shape {tuple(input_shape)}.")
        if input_shape[0] % self.segment:
            raise InvalidArgumentError(
                f"SegmentLSTM `{self.name}`: the window ({input_shape[0]} rows) must be a "
                f"multiple of the segment ({self.segment} rows).")
        return (self.steps * self.outputs,)

    def estimate_params(self, input_shape: Shape) -> int:
        self.compute_output_shape(input_shape)
        with torch.device("meta"):  # the shapes only: nothing is allocated
            block = self._segment_block(input_shape)
        return sum(p.numel() for p in block.parameters())

    def estimate_activations(self, input_shape: Shape) -> int:
        # the cell's gates, state and output per segment read and per segment decoded
        decoded = -(-self.steps // self.segment)
        return (input_shape[0] // self.segment + decoded) * 6 * self.units

    def _segment_block(self, input_shape: Shape) -> SegmentRecurrentBlock:
        return SegmentRecurrentBlock(self.cell.upper(), input_shape[1], self.units,
                                     self.segment, self.steps, self.outputs, self.dropout,
                                     input_shape[0] if self.linear else None)

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        block = self._segment_block(input_shape)
        rnn = block.rnn
        nn.init.xavier_uniform_(block.embed.weight)
        nn.init.zeros_(block.embed.bias)
        nn.init.xavier_uniform_(rnn.weight_ih_l0)
        nn.init.orthogonal_(rnn.weight_hh_l0)
        nn.init.zeros_(rnn.bias_ih_l0)
        if self.cell == "lstm":
            with torch.no_grad():  # unit_forget_bias, as the LSTM layer
                rnn.bias_ih_l0[self.units : 2 * self.units].fill_(1.0)
        else:
            nn.init.zeros_(rnn.bias_hh_l0)
        nn.init.normal_(block.position)
        nn.init.xavier_uniform_(block.head.weight)
        nn.init.zeros_(block.head.bias)
        if block.linear is not None:  # starts at zero: the forecast is the recurrence's
            nn.init.zeros_(block.linear.weight)
            nn.init.zeros_(block.linear.bias)
        return block

    @property
    def _recurrent(self) -> LSTM | GRU:
        """The LSTM / GRU layer whose weight layout this cell shares."""
        spec = (LSTM if self.cell == "lstm" else GRU)(self.units)
        spec.block = type("Holder", (), {"rnn": self.block.rnn})()
        return spec

    def get_weights(self) -> list[np.ndarray]:
        self._require_built()
        b = self.block
        return [b.embed.weight.detach().cpu().numpy().T.copy(),
                b.embed.bias.detach().cpu().numpy().copy(),
                *self._recurrent.get_weights(),
                b.position.detach().cpu().numpy().copy(),
                b.head.weight.detach().cpu().numpy().T.copy(),
                b.head.bias.detach().cpu().numpy().copy(),
                *([b.linear.weight.detach().cpu().numpy().T.copy(),
                   b.linear.bias.detach().cpu().numpy().copy()] if b.linear is not None else [])]

    def _assign(self, arrays: list[np.ndarray]) -> None:
        b = self.block
        _copy_into(b.embed.weight, arrays[0].T)
        _copy_into(b.embed.bias, arrays[1])
        self._recurrent._assign(arrays[2:5])
        _copy_into(b.position, arrays[5])
        _copy_into(b.head.weight, arrays[6].T)
        _copy_into(b.head.bias, arrays[7])
        if b.linear is not None:
            _copy_into(b.linear.weight, arrays[8].T)
            _copy_into(b.linear.bias, arrays[9])
