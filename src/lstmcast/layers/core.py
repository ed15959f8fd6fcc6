"""Layer specs with Keras's names and arguments: Input, LSTM, GRU, Dense, Dropout, Activation.

A layer is a small description (its config) until a model is built; building
turns it into a torch block (see ``network``). After that, ``get_weights`` and
``set_weights`` speak Keras's array layout, so weights move
between Keras and lstmcast unchanged:

=========  ===========================================================
LSTM       kernel (F, 4H), recurrent_kernel (H, 4H), bias (4H,); gates i, f, c, o
GRU        kernel (F, 3H), recurrent_kernel (H, 3H), bias (2, 3H); gates z, r, h
Dense      kernel (F, units), bias (units,)
=========  ===========================================================

Initial values follow Keras: kernels glorot_uniform, recurrent kernels
orthogonal, biases zero, and an LSTM's forget-gate bias one (unit_forget_bias).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.checks import check_bool, check_choice, check_float, check_int, invalid
from lstmcast.engine.network import ACTIVATIONS, DenseBlock, DropoutBlock, RecurrentBlock
from lstmcast.errors import InvalidArgumentError, NotFittedError

Shape = tuple[int, ...]  # a shape without the batch axis, e.g. (T, F)


def _check_shape(name: str, value: Any, length: int | None = None) -> tuple:
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or not value:
        raise invalid(name, "a tuple of positive integers such as (30, 40)", value)
    dims = tuple(value)
    for d in dims:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1):
            raise invalid(name, "a tuple of positive integers such as (30, 40)", value)
    if length is not None and len(dims) != length:
        raise invalid(name, f"a tuple of {length} dimensions", value)
    return tuple(None if d is None else int(d) for d in dims)


class Layer:
    """Base class of lstmcast's layers.

    Args:
        input_shape: shape of one sample, without the batch axis, e.g.
            ``(time_steps, features)``; the batch size stays free.
        batch_input_shape: ``(batch_size, time_steps, features)``: the same,
            with a fixed batch size. Give at most one of the two.
        name: a name for ``summary()``; made unique by the model when None.
    """

    def __init__(
        self,
        *,
        input_shape: Sequence[int] | None = None,
        batch_input_shape: Sequence[int] | None = None,
        name: str | None = None,
    ) -> None:
        if input_shape is not None and batch_input_shape is not None:
            raise InvalidArgumentError(
                "Give either `input_shape` or `batch_input_shape`, not both."
            )
        self.batch_input_shape = _check_shape("batch_input_shape", batch_input_shape)
        shape = _check_shape("input_shape", input_shape)
        if self.batch_input_shape is not None:
            shape = self.batch_input_shape[1:]
        self.input_shape = shape
        if name is not None and not isinstance(name, str):
            raise invalid("name", "a string", name)
        self.name = name
        self.block: nn.Module | None = None
        self.built_input_shape: Shape | None = None

    # -- description -------------------------------------------------------
    def _own_config(self) -> dict[str, Any]:
        return {}

    def get_config(self) -> dict[str, Any]:
        """Return the layer's arguments as a JSON-ready dict (Keras's get_config)."""
        config: dict[str, Any] = {"name": self.name}
        config.update(self._own_config())
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        elif self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuild a layer from ``get_config()``'s output."""
        return cls(**config)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """Shape of the output for one sample of ``input_shape`` (no batch axis)."""
        return tuple(input_shape)

    # -- building ----------------------------------------------------------
    def _make_block(self, input_shape: Shape) -> nn.Module | None:
        return None

    def build(self, input_shape: Shape, model_input_shape: Shape | None = None) -> nn.Module:
        """Create this layer's torch block for inputs of ``input_shape`` (the model's own
        input is ``model_input_shape``, which only layers that read it look at)."""
        self._check_model_input(tuple(model_input_shape or input_shape))
        block = self._make_block(tuple(input_shape))
        self.block = block if block is not None else nn.Identity()
        self.built_input_shape = tuple(input_shape)
        return self.block

    @property
    def built(self) -> bool:
        return self.block is not None

    @property
    def output_shape(self) -> Shape:
        """Output shape without the batch axis, once built."""
        self._require_built()
        return self.compute_output_shape(self.built_input_shape)

    def estimate_params(self, input_shape: Shape) -> int:
        """Trainable values this layer will have for inputs of ``input_shape``, from the
        shapes alone (nothing is allocated): to refuse a size before building it."""
        return 0

    def estimate_activations(self, input_shape: Shape) -> int:
        """Values per sample this layer keeps for the backward pass (about)."""
        return 0

    def count_params(self) -> int:
        """Number of trainable values in this layer."""
        self._require_built()
        return sum(p.numel() for p in self.block.parameters())

    def _check_model_input(self, shape: Shape) -> None:
        pass

    # -- weights, in Keras's layout -----------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Return the weights as NumPy arrays in Keras's layout and order."""
        self._require_built()
        return []

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Set the weights from NumPy arrays in Keras's layout (as ``get_weights`` gives)."""
        self._require_built()
        expected = [w.shape for w in self.get_weights()]
        if len(weights) != len(expected):
            raise InvalidArgumentError(
                f"Layer `{self.name}` expects {len(expected)} weight arrays "
                f"with shapes {expected}, got {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for i, (w, shape) in enumerate(zip(arrays, expected)):
            if w.shape != shape:
                raise InvalidArgumentError(
                    f"Weight {i} of layer `{self.name}` must have shape {shape}, got {w.shape}."
                )
        self._assign(arrays)

    def _assign(self, arrays: list[np.ndarray]) -> None:
        pass

    def _require_built(self) -> None:
        if self.block is None:
            raise NotFittedError(
                f"Layer `{self.name}` is not built yet: give the first layer an "
                "`input_shape`, or call `fit` or `predict` on the model first."
            )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._own_config().items())
        return f"{type(self).__name__}({args})"


def _check_activation(name: str, value: Any) -> str:
    if value is None:
        return "linear"
    return check_choice(name, value, ACTIVATIONS)


def _copy_into(param: torch.Tensor, array: np.ndarray) -> None:
    with torch.no_grad():
        param.copy_(torch.as_tensor(np.ascontiguousarray(array), dtype=param.dtype))


class _Recurrent(Layer):
    """Shared parts of LSTM and GRU."""

    gates = 0  # weight blocks per unit: 4 for an LSTM, 3 for a GRU
    biases = 1  # bias vectors per gate: 1 (Keras' LSTM), 2 (Keras' GRU, reset_after)

    def __init__(
        self,
        units: int,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        return_sequences: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_int("units", units)
        # The fused kernels compute tanh and sigmoid; other choices would need a
        # slow per-step loop, which lstmcast does not run.
        self.activation = check_choice("activation", activation, ["tanh"])
        self.recurrent_activation = check_choice(
            "recurrent_activation", recurrent_activation, ["sigmoid"]
        )
        self.return_sequences = check_bool("return_sequences", return_sequences)

    def _own_config(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "activation": self.activation,
            "recurrent_activation": self.recurrent_activation,
            "return_sequences": self.return_sequences,
        }

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 2:
            raise InvalidArgumentError(
                f"{type(self).__name__} layer `{self.name}` expects 3-D input "
                f"(batch, time_steps, features), got a sample shape {tuple(input_shape)}."
            )
        steps = input_shape[0]
        return (steps, self.units) if self.return_sequences else (self.units,)

    def estimate_params(self, input_shape: Shape) -> int:
        u = self.units  # the LSTM block keeps torch's second bias as a buffer, not a weight
        return self.gates * (input_shape[-1] * u + u * u + self.biases * u)

    def estimate_activations(self, input_shape: Shape) -> int:
        return input_shape[0] * self.units * (self.gates + 2)  # gates, cell and hidden per step

    def _make_block(self, input_shape: Shape) -> nn.Module:
        self.compute_output_shape(input_shape)
        block = RecurrentBlock(type(self).__name__, input_shape[-1], self.units,
                               self.return_sequences)
        rnn = block.rnn
        nn.init.xavier_uniform_(rnn.weight_ih_l0)  # glorot_uniform over (F, gates*H)
        nn.init.orthogonal_(rnn.weight_hh_l0)  # orthogonal over (H, gates*H)
        nn.init.zeros_(rnn.bias_ih_l0)
        if isinstance(rnn, nn.GRU):
            nn.init.zeros_(rnn.bias_hh_l0)
        return block

    # torch stores gate blocks in rows; Keras in columns, possibly in another order
    _order: tuple[int, ...] = ()

    def _to_keras(self, w: torch.Tensor) -> np.ndarray:
        blocks = torch.chunk(w.detach().cpu(), self.gates, dim=0)
        return torch.cat([blocks[k] for k in self._order], dim=0).T.numpy().copy()

    def _to_torch(self, array: np.ndarray) -> np.ndarray:
        blocks = np.split(np.asarray(array).T, self.gates, axis=0)
        inverse = np.argsort(self._order)
        return np.concatenate([blocks[k] for k in inverse], axis=0)


class LSTM(_Recurrent):
    """Long short-term memory layer.

    Args:
        units: cell units H = the layer's output size.
        activation: must be "tanh" (the fused kernel's).
        recurrent_activation: must be "sigmoid" (the fused kernel's).
        return_sequences: True gives (N, T, H), one output per step
            (many-to-many); False gives (N, H), the last step only.
        input_shape / batch_input_shape / name: see ``Layer``.

    Example:
        >>> LSTM(units=100, input_shape=(30, 40), return_sequences=True)
        LSTM(units=100, activation='tanh', recurrent_activation='sigmoid', return_sequences=True)
    """

    gates = 4
    _order = (0, 1, 2, 3)  # torch i, f, g, o == Keras i, f, c, o

    def _make_block(self, input_shape: Shape) -> nn.Module:
        block = super()._make_block(input_shape)
        with torch.no_grad():  # unit_forget_bias=True
            block.rnn.bias_ih_l0[self.units : 2 * self.units].fill_(1.0)
        return block

    def get_weights(self) -> list[np.ndarray]:
        self._require_built()
        rnn = self.block.rnn
        bias = rnn.bias_ih_l0.detach().cpu().numpy().copy()
        return [self._to_keras(rnn.weight_ih_l0), self._to_keras(rnn.weight_hh_l0), bias]

    def _assign(self, arrays: list[np.ndarray]) -> None:
        rnn = self.block.rnn
        _copy_into(rnn.weight_ih_l0, self._to_torch(arrays[0]))
        _copy_into(rnn.weight_hh_l0, self._to_torch(arrays[1]))
        _copy_into(rnn.bias_ih_l0, arrays[2])


class GRU(_Recurrent):
    """Gated recurrent unit layer, the LSTM's sibling; Keras's ``reset_after=True``.

    Takes the same arguments as ``LSTM``. Its bias is (2, 3H): the input bias
    and the recurrent bias, as in Keras.
    """

    gates = 3
    biases = 2
    _order = (1, 0, 2)  # Keras z, r, h from torch r, z, n

    def get_weights(self) -> list[np.ndarray]:
        self._require_built()
        rnn = self.block.rnn
        b_in = self._to_keras(rnn.bias_ih_l0[:, None])[0]
        b_rec = self._to_keras(rnn.bias_hh_l0[:, None])[0]
        return [self._to_keras(rnn.weight_ih_l0), self._to_keras(rnn.weight_hh_l0),
                np.stack([b_in, b_rec])]

    def _assign(self, arrays: list[np.ndarray]) -> None:
        rnn = self.block.rnn
        _copy_into(rnn.weight_ih_l0, self._to_torch(arrays[0]))
        _copy_into(rnn.weight_hh_l0, self._to_torch(arrays[1]))
        _copy_into(rnn.bias_ih_l0, self._to_torch(arrays[2][0][None, :])[:, 0])
        _copy_into(rnn.bias_hh_l0, self._to_torch(arrays[2][1][None, :])[:, 0])


class Dense(Layer):
    """Fully connected layer. On (N, T, F) input it acts on every time step.

    Args:
        units: output size, a positive integer.
        activation: None or "linear", "relu", "tanh", "sigmoid", "softmax",
            "elu", "gelu", "selu", "softplus", "swish".
    """

    def __init__(self, units: int, activation: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_int("units", units)
        self.activation = _check_activation("activation", activation)

    def _own_config(self) -> dict[str, Any]:
        return {"units": self.units, "activation": self.activation}

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape[:-1]) + (self.units,)

    def estimate_params(self, input_shape: Shape) -> int:
        return input_shape[-1] * self.units + self.units

    def _make_block(self, input_shape: Shape) -> nn.Module:
        block = DenseBlock(input_shape[-1], self.units, self.activation)
        nn.init.xavier_uniform_(block.linear.weight)
        nn.init.zeros_(block.linear.bias)
        return block

    def get_weights(self) -> list[np.ndarray]:
        self._require_built()
        linear = self.block.linear
        return [linear.weight.detach().cpu().numpy().T.copy(),
                linear.bias.detach().cpu().numpy().copy()]

    def _assign(self, arrays: list[np.ndarray]) -> None:
        _copy_into(self.block.linear.weight, arrays[0].T)
        _copy_into(self.block.linear.bias, arrays[1])


class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of its inputs while training.

    Args:
        rate: fraction to drop, in [0, 1).
    """

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_float("rate", rate, low=0.0, high=1.0, high_inclusive=False)

    def _own_config(self) -> dict[str, Any]:
        return {"rate": self.rate}

    def _make_block(self, input_shape: Shape) -> nn.Module:
        return DropoutBlock(self.rate)


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: "linear", "relu", "tanh", "sigmoid", "softmax" (over the
            last axis), "elu", "gelu", "selu", "softplus" or "swish".
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = _check_activation("activation", activation)

    def _own_config(self) -> dict[str, Any]:
        return {"activation": self.activation}

    def _make_block(self, input_shape: Shape) -> nn.Module:
        return ACTIVATIONS[self.activation]()


class Input(Layer):
    """The model's input, declared first: ``Sequential([Input((30, 40)), LSTM(100), ...])``.

    As Keras's ``keras.Input`` (and ``InputLayer``) in a Sequential: it fixes the
    shape of one sample so the model is built, and gets its weights, as layers
    are added. It is not one of ``model.layers`` and has no weights.

    Args:
        shape: ``(time_steps, features)`` of one sample, without the batch axis.
        batch_size: a fixed batch size, or None (free).
        batch_shape: ``(batch_size, time_steps, features)`` instead of the two above.
        name: a name, kept in the model's config.
    """

    def __init__(self, shape: Sequence[int] | None = None, batch_size: int | None = None,
                 name: str | None = None, batch_shape: Sequence[int | None] | None = None,
                 ) -> None:
        if batch_shape is not None:
            if shape is not None or batch_size is not None:
                raise InvalidArgumentError(
                    "Give `Input` either `shape` (and `batch_size`) or `batch_shape`, not both.")
            batch_shape = _check_shape("batch_shape", batch_shape)
            if len(batch_shape) < 2:
                raise invalid("batch_shape", "(batch_size, time_steps, features)", batch_shape)
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if shape is None:
            raise InvalidArgumentError(
                "`Input` needs the shape of one sample: Input(shape=(time_steps, features)).")
        shape = _check_shape("shape", shape)
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size)
            super().__init__(batch_input_shape=(batch_size, *shape), name=name)
        else:
            super().__init__(input_shape=shape, name=name)

    def get_config(self) -> dict[str, Any]:
        batch = self.batch_input_shape[0] if self.batch_input_shape else None
        return {"name": self.name, "batch_shape": [batch, *self.input_shape]}

    def __repr__(self) -> str:
        batch = self.batch_input_shape[0] if self.batch_input_shape else None
        return f"Input(shape={self.input_shape}" + (f", batch_size={batch})" if batch else ")")


InputLayer = Input  # Keras's other name for it
