"""The torch side: blocks built from layer specs, and the Network that chains them.

Recurrent blocks run on PyTorch's fused ``nn.LSTM`` / ``nn.GRU`` kernels
(oneDNN on the CPU, cuDNN on a GPU). Shapes: N batch, T time steps, F features,
H units.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "linear": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=-1),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
    "softplus": nn.Softplus,
    "swish": nn.SiLU,
}


class RecurrentBlock(nn.Module):
    """One LSTM or GRU layer on the fused kernel, many-to-many or many-to-one (M3).

    An LSTM here has one bias vector, as in Keras (K2): PyTorch's second bias,
    ``bias_hh_l0``, is replaced by a constant zero buffer, so the parameter
    count and the trained values are Keras's.
    """

    def __init__(self, cell: str, input_size: int, units: int, return_sequences: bool) -> None:
        super().__init__()
        rnn_class = nn.LSTM if cell == "LSTM" else nn.GRU
        self.rnn = rnn_class(input_size, units, batch_first=True)
        self.return_sequences = return_sequences
        if cell == "LSTM":
            del self.rnn.bias_hh_l0
            self.rnn.register_buffer("bias_hh_l0", torch.zeros(4 * units), persistent=False)
            self.rnn._init_flat_weights()  # let the kernel see the buffer in the bias' place

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, T, F)
        if x.device.type == "cpu" and _cpu_autocast() and not cpu_has_bf16():
            # oneDNN has no bfloat16 recurrent kernel without AVX512-BF16/AMX: the
            # recurrence runs in float32 there, the other layers stay in bfloat16
            with torch.autocast("cpu", enabled=False):
                out, _ = self.rnn(x.float())
        else:
            out, _ = self.rnn(x)  # (N, T, H)
        return out if self.return_sequences else out[:, -1]  # (N, T, H) or (N, H)


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def _cpu_autocast() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4
        return torch.is_autocast_cpu_enabled()


class DenseBlock(nn.Module):
    """A fully connected layer (M6); on (N, T, F) it acts on every time step."""

    def __init__(self, input_size: int, units: int, activation: str) -> None:
        super().__init__()
        self.linear = nn.Linear(input_size, units)
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, F) or (N, T, F)
        return self.activation(self.linear(x))  # (N, units) or (N, T, units)


class DropoutBlock(nn.Module):
    """Dropout (M6): while training, zero each value with probability ``rate`` and
    scale the rest by 1 / (1 - rate); in inference, the identity.

    The mask compares float32 uniforms with ``rate``, the same Bernoulli
    distribution as ``nn.Dropout`` but drawn about twice as fast on the CPU
    (``bernoulli_`` was 15% of a training step of the tutorial's model). The
    uniforms are float32 even under bfloat16 autocast, so ``rate`` is kept to
    float32 precision.
    """

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = torch.rand(x.shape, device=x.device) >= self.rate
        return x * keep * (1.0 / (1.0 - self.rate))

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class CropBlock(nn.Module):
    """Drops ``start`` steps from the front and ``end`` from the back of the time axis."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__()
        self.start, self.end = start, end

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, T, F)
        return x[:, self.start : x.shape[1] - self.end]  # (N, T - start - end, F)


class FutureInputsBlock(nn.Module):
    """Appends the model input's future-known values over the forecast rows to ``x``.

    The model input is (N, T_in, F); its last ``steps`` rows are the rows to
    forecast, and only ``columns`` (the inputs known in advance) are read there.
    """

    reads_model_input = True

    def __init__(self, steps: int, columns: Sequence[int]) -> None:
        super().__init__()
        self.steps = steps
        self.register_buffer("columns", torch.as_tensor(list(columns), dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor, model_input: torch.Tensor) -> torch.Tensor:
        future = model_input[:, -self.steps :].index_select(2, self.columns)  # (N, S, K)
        return torch.cat([x, future.flatten(1).to(x.dtype)], dim=1)  # (N, H + S * K)


class Network(nn.Module):
    """The layers' blocks applied in order: input (N, T, F) to the top layer's output.

    A block with ``reads_model_input`` also receives the model's input (for
    inputs known in advance over the forecast rows).
    """

    def __init__(self, blocks: Sequence[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input = x
        for block in self.blocks:
            if getattr(block, "reads_model_input", False):
                x = block(x, model_input)
            else:
                x = block(x)
        return x


def default_device() -> torch.device:
    """CUDA when a GPU is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
