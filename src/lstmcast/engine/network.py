"""The torch side: blocks built from layer specs, and the Network that chains them.

Recurrent blocks run on PyTorch's fused ``nn.LSTM`` / ``nn.GRU`` kernels
(oneDNN on the CPU, cuDNN on a GPU). Shapes: N batch, T time steps, F features,
H units.
"""

from __future__ import annotations

import contextlib
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
    """One LSTM or GRU layer on the fused kernel, many-to-many or many-to-one.

    An LSTM here has one bias vector, as in Keras: PyTorch's second bias,
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
    """A fully connected layer; on (N, T, F) it acts on every time step."""

    def __init__(self, input_size: int, units: int, activation: str) -> None:
        super().__init__()
        self.linear = nn.Linear(input_size, units)
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, F) or (N, T, F)
        return self.activation(self.linear(x))  # (N, units) or (N, T, units)


class DropoutBlock(nn.Module):
    """Dropout: while training, zero each value with probability ``rate`` and
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
        future = future.flatten(1).to(x.dtype)
        if x.shape[0] != future.shape[0]:  # after ChannelSplit: a sample's channels in rows
            future = future.repeat_interleave(x.shape[0] // future.shape[0], dim=0)
        return torch.cat([x, future], dim=1)  # (N, H + S * K)


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


# -- blocks for long-horizon forecasting ---------------------------------------------------
def _window_stats(x: torch.Tensor, columns: torch.Tensor, window: int, kind: str
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sample's level and spread of ``columns`` over its first ``window`` rows.

    ``kind`` "last": the last row's value and 1; "mean": the mean and the standard
    deviation (plus 1e-5, so a flat window divides by a small number, not 0).
    Shapes: x (N, T, F) -> (N, 1, K) each.
    """
    values = x[:, :window].index_select(2, columns)  # (N, L, K)
    if kind == "last":
        return values[:, -1:], torch.ones_like(values[:, -1:])
    mean = values.mean(dim=1, keepdim=True)
    std = torch.sqrt(values.var(dim=1, keepdim=True, unbiased=False) + 1e-10) + 1e-5
    return mean, std


class InstanceNormBlock(nn.Module):
    """Normalizes ``columns`` of each window by that window's own statistics (RevIN-style)."""

    def __init__(self, columns: Sequence[int], window: int, kind: str) -> None:
        super().__init__()
        self.window, self.kind = window, kind
        self.register_buffer("columns", torch.as_tensor(list(columns), dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, T, F)
        level, spread = _window_stats(x, self.columns, self.window, self.kind)
        out = x.clone()
        out[:, :, self.columns] = (x.index_select(2, self.columns) - level) / spread
        return out  # (N, T, F)


class InstanceDenormBlock(nn.Module):
    """Maps forecasts (N, S * K) back with the statistics of the model input's window."""

    reads_model_input = True

    def __init__(self, columns: Sequence[int], window: int, kind: str) -> None:
        super().__init__()
        self.window, self.kind = window, kind
        self.register_buffer("columns", torch.as_tensor(list(columns), dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor, model_input: torch.Tensor) -> torch.Tensor:
        level, spread = _window_stats(model_input, self.columns, self.window, self.kind)
        k = len(self.columns)
        steps = x.reshape(x.shape[0], -1, k)  # (N, S, K)
        return (steps * spread.to(x.dtype) + level.to(x.dtype)).reshape(x.shape[0], -1)


class ChannelSplitBlock(nn.Module):
    """Each of ``columns`` as its own series: (N, T, F) -> (N * K, T, 1 + F_other + K).

    A channel's row holds its own value, the other (shared) inputs, and a one-hot
    code of the channel, so one network serves every channel and still knows which.
    """

    def __init__(self, columns: Sequence[int], others: Sequence[int]) -> None:
        super().__init__()
        self.register_buffer("columns", torch.as_tensor(list(columns), dtype=torch.long),
                             persistent=False)
        self.register_buffer("others", torch.as_tensor(list(others), dtype=torch.long),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, T, F)
        n, steps, _ = x.shape
        k = len(self.columns)
        own = x.index_select(2, self.columns).permute(0, 2, 1).reshape(n * k, steps, 1)
        code = torch.eye(k, dtype=x.dtype, device=x.device)[None, :, None, :]  # (1, K, 1, K)
        code = code.expand(n, k, steps, k).reshape(n * k, steps, k)  # (N * K, T, K)
        if not len(self.others):  # (an empty gather does not export to ONNX as one)
            return torch.cat([own, code], dim=2)  # (N * K, T, 1 + K)
        shared = x.index_select(2, self.others)  # (N, T, F_other)
        shared = shared.repeat_interleave(k, dim=0)  # (N * K, T, F_other)
        return torch.cat([own, shared, code], dim=2)  # (N * K, T, 1 + F_other + K)


class ChannelMergeBlock(nn.Module):
    """The channels' outputs back side by side: (N * K, S) -> (N, S * K), step-major."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.channels
        per = x.reshape(-1, k, x.shape[1])  # (N, K, S)
        return per.permute(0, 2, 1).reshape(per.shape[0], -1)  # (N, S * K)


class SegmentRecurrentBlock(nn.Module):
    """Segment recurrence with parallel decoding (the design of SegRNN, Lin et al. 2023).

    Encoder: the window (N, L, F) is cut into L / w segments; each segment's
    w x F values are embedded by a linear layer and a ReLU into d values, and one
    LSTM (or GRU) runs over the segments: L / w steps instead of L. Decoder: for
    each of the S / w output segments, a learned position embedding is fed as one
    step to the same cell, starting from the encoder's final state; all output
    segments are computed at once, as one batch. A linear layer maps each to w
    steps of ``outputs`` values: (N, S * outputs). With ``linear_length`` (L), a linear
    map of the flattened window is added to that.
    """

    def __init__(self, cell: str, features: int, units: int, segment: int, steps: int,
                 outputs: int, dropout: float, linear_length: int | None = None) -> None:
        super().__init__()
        self.segment, self.steps, self.outputs = segment, steps, outputs
        self.out_segments = -(-steps // segment)  # ceil
        self.embed = nn.Linear(segment * features, units)
        self.rnn = (nn.LSTM if cell == "LSTM" else nn.GRU)(units, units, batch_first=True)
        if cell == "LSTM":  # one bias, as in Keras and the LSTM layer
            del self.rnn.bias_hh_l0
            self.rnn.register_buffer("bias_hh_l0", torch.zeros(4 * units), persistent=False)
            self.rnn._init_flat_weights()
        self.position = nn.Parameter(torch.empty(self.out_segments, units))
        self.dropout = DropoutBlock(dropout)
        self.head = nn.Linear(units, segment * outputs)
        self.linear = (None if linear_length is None else  # the window, flat, to the forecast
                       nn.Linear(linear_length * features, steps * outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, L, F)
        n, length, features = x.shape
        segs = x.reshape(n, length // self.segment, self.segment * features)  # (N, L/w, wF)
        embedded = torch.relu(self.embed(segs))  # (N, L/w, d)
        cpu_fallback = (x.device.type == "cpu" and _cpu_autocast() and not cpu_has_bf16())
        with torch.autocast("cpu", enabled=False) if cpu_fallback else contextlib.nullcontext():
            if cpu_fallback:
                embedded = embedded.float()
            _, state = self.rnn(embedded)  # h, c: (1, N, d)
            m = self.out_segments
            pos = self.position.to(embedded.dtype)[None].expand(n, m, -1).reshape(n * m, 1, -1)
            if isinstance(state, tuple):
                state = tuple(s.repeat_interleave(m, dim=1) for s in state)  # (1, N*m, d)
            else:
                state = state.repeat_interleave(m, dim=1)
            decoded, _ = self.rnn(pos, state)  # (N*m, 1, d)
        out = self.head(self.dropout(decoded[:, 0]))  # (N*m, w*outputs)
        out = out.reshape(n, m * self.segment, self.outputs)[:, : self.steps]
        out = out.reshape(n, self.steps * self.outputs)  # (N, S * outputs)
        if self.linear is not None:
            out = out + self.linear(x.reshape(n, length * features).to(out.dtype))
        return out

