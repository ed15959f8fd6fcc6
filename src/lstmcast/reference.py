"""The tutorial's equations in NumPy, gate by gate.

This is not the engine (the engine runs PyTorch's fused kernels). It is the
oracle the engine is tested against, and the source of the gate traces that
``explain`` draws. It is written to be read beside the tutorial::

    forget gate      z_f = sigmoid(W_f [h_{t-1}, x_t] + b_f)
    input gate       z_i = sigmoid(W_i [h_{t-1}, x_t] + b_i)
    candidate        z   = tanh(W_z [h_{t-1}, x_t] + b_z)
    output gate      z_o = sigmoid(W_o [h_{t-1}, x_t] + b_o)
    cell state       c_t = z_f * c_{t-1} + z_i * z
    hidden state     h_t = z_o * tanh(c_t)

Weights use Keras's layout: an LSTM has ``kernel`` (F, 4H),
``recurrent_kernel`` (H, 4H) and one ``bias`` (4H,), gates in the order
i, f, c, o. A GRU (T4, Keras's ``reset_after=True``) has ``kernel`` (F, 3H),
``recurrent_kernel`` (H, 3H) and ``bias`` (2, 3H) (input and recurrent rows),
gates in the order z (update), r (reset), h (candidate).

Shapes: N = batch size, T = time steps, F = input features, H = units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x): squashes into [0, 1], so a gate can forget (0) or keep (1)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # the same function, without overflow


def _gate_matrix(kernel: np.ndarray, recurrent_kernel: np.ndarray, k: int, units: int):
    """W_k of the tutorial: the k-th gate's block of [recurrent_kernel; kernel], (H + F, H)."""
    cols = slice(k * units, (k + 1) * units)
    return np.concatenate([recurrent_kernel[:, cols], kernel[:, cols]], axis=0)


def lstm_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run one LSTM layer over ``x`` (N, T, F) and return every intermediate.

    Returns:
        A dict of (N, T, H) arrays: ``forget``, ``input``, ``candidate``,
        ``output`` (the gates z_f, z_i, z, z_o), ``cell`` (c_t) and ``hidden`` (h_t).
    """
    x = np.asarray(x, dtype=np.float64)
    n, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    w_i, w_f, w_z, w_o = (_gate_matrix(kernel, recurrent_kernel, k, units) for k in range(4))
    b_i, b_f, b_z, b_o = np.split(np.asarray(bias, dtype=np.float64), 4)
    h = np.zeros((n, units)) if h0 is None else np.asarray(h0, dtype=np.float64)
    c = np.zeros((n, units)) if c0 is None else np.asarray(c0, dtype=np.float64)
    trace = {k: np.empty((n, steps, units)) for k in
             ("forget", "input", "candidate", "output", "cell", "hidden")}
    for t in range(steps):
        hx = np.concatenate([h, x[:, t]], axis=1)  # [h_{t-1}, x_t], (N, H + F)
        z_f = sigmoid(hx @ w_f + b_f)
        z_i = sigmoid(hx @ w_i + b_i)
        z = np.tanh(hx @ w_z + b_z)
        z_o = sigmoid(hx @ w_o + b_o)
        c = z_f * c + z_i * z
        h = z_o * np.tanh(c)
        for key, value in (("forget", z_f), ("input", z_i), ("candidate", z),
                           ("output", z_o), ("cell", c), ("hidden", h)):
            trace[key][:, t] = value
    return trace


def gru_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run one GRU layer (the LSTM's sibling, T4) over ``x`` (N, T, F).

    update z_t = sigmoid(x_t W_z + b_z + h_{t-1} U_z + b'_z)
    reset  r_t = sigmoid(x_t W_r + b_r + h_{t-1} U_r + b'_r)
    candidate n_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))
    hidden h_t = z_t * h_{t-1} + (1 - z_t) * n_t

    Returns:
        A dict of (N, T, H) arrays: ``update``, ``reset``, ``candidate``, ``hidden``.
    """
    x = np.asarray(x, dtype=np.float64)
    n, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    bias = np.asarray(bias, dtype=np.float64).reshape(2, 3 * units)
    w_z, w_r, w_h = np.split(np.asarray(kernel, dtype=np.float64), 3, axis=1)
    u_z, u_r, u_h = np.split(np.asarray(recurrent_kernel, dtype=np.float64), 3, axis=1)
    b_z, b_r, b_h = np.split(bias[0], 3)
    rb_z, rb_r, rb_h = np.split(bias[1], 3)
    h = np.zeros((n, units)) if h0 is None else np.asarray(h0, dtype=np.float64)
    trace = {k: np.empty((n, steps, units)) for k in ("update", "reset", "candidate", "hidden")}
    for t in range(steps):
        x_t = x[:, t]
        z = sigmoid(x_t @ w_z + b_z + h @ u_z + rb_z)
        r = sigmoid(x_t @ w_r + b_r + h @ u_r + rb_r)
        cand = np.tanh(x_t @ w_h + b_h + r * (h @ u_h + rb_h))
        h = z * h + (1.0 - z) * cand
        for key, value in (("update", z), ("reset", r), ("candidate", cand), ("hidden", h)):
            trace[key][:, t] = value
    return trace


_erf = np.vectorize(math.erf)

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True))
    / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "selu": lambda x: 1.0507009873554805
    * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "swish": lambda x: x * sigmoid(x),
}


def forward_stack(
    layers: Sequence[tuple[str, dict[str, Any], Sequence[np.ndarray]]],
    x: np.ndarray,
) -> tuple[np.ndarray, list[dict[str, np.ndarray] | None]]:
    """Run a Sequential stack in inference mode (Dropout is the identity).

    Args:
        layers: one ``(class_name, config, weights)`` per layer, as given by
            ``layer.__class__.__name__``, ``layer.get_config()`` and ``layer.get_weights()``.
        x: input (N, T, F).

    Returns:
        ``(output, traces)``: the stack's output and, per layer, the gate trace
        of a recurrent layer (None for the others).
    """
    out = model_input = np.asarray(x, dtype=np.float64)
    traces: list[dict[str, np.ndarray] | None] = []
    for kind, config, weights in layers:
        trace = None
        if kind in ("LSTM", "GRU"):
            run = lstm_forward if kind == "LSTM" else gru_forward
            trace = run(out, *[np.asarray(w, dtype=np.float64) for w in weights])
            out = trace["hidden"] if config["return_sequences"] else trace["hidden"][:, -1]
        elif kind == "Dense":
            kernel, bias = (np.asarray(w, dtype=np.float64) for w in weights)
            out = ACTIVATIONS[config["activation"]](out @ kernel + bias)
        elif kind == "Activation":
            out = ACTIVATIONS[config["activation"]](out)
        elif kind == "Cropping1D":
            start, end = config["cropping"]
            out = out[:, start : out.shape[1] - end]
        elif kind == "FutureInputs":  # the model input's last rows, known-ahead columns
            future = model_input[:, -config["steps"]:][:, :, config["columns"]]
            future = future.reshape(len(future), -1)
            future = np.repeat(future, len(out) // len(future), axis=0)  # channels split
            out = np.concatenate([out, future], axis=1)
        elif kind == "InstanceNorm":
            cols = config["columns"]
            level, spread = window_stats(out, cols, config["window"], config["kind"])
            out = out.copy()
            out[:, :, cols] = (out[:, :, cols] - level) / spread
        elif kind == "InstanceDenorm":
            cols = config["columns"]
            level, spread = window_stats(model_input, cols, config["window"], config["kind"])
            out = (out.reshape(len(out), -1, len(cols)) * spread + level).reshape(len(out), -1)
        elif kind == "ChannelSplit":
            cols = config["columns"]
            others = [c for c in range(out.shape[2]) if c not in cols]
            n, steps, k = out.shape[0], out.shape[1], len(cols)
            own = out[:, :, cols].transpose(0, 2, 1).reshape(n * k, steps, 1)
            shared = np.repeat(out[:, :, others], k, axis=0)
            code = np.broadcast_to(np.tile(np.eye(k), (n, 1))[:, None, :], (n * k, steps, k))
            out = np.concatenate([own, shared, code], axis=2)
        elif kind == "ChannelMerge":
            k = config["channels"]
            per = out.reshape(len(out) // k, k, -1)
            out = per.transpose(0, 2, 1).reshape(len(per), -1)
        elif kind == "SegmentLSTM":
            out, trace = segment_forward(out, config, [np.asarray(w, dtype=np.float64)
                                                       for w in weights])
        elif kind != "Dropout":
            raise ValueError(f"The reference has no equations for layer type {kind!r}.")
        traces.append(trace)
    return out, traces


def window_stats(x: np.ndarray, columns: list[int], window: int, kind: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A window's level and spread per column (N, 1, K): the last value and 1, or the mean
    and the standard deviation (with the engine's small constants)."""
    values = x[:, :window][:, :, columns]
    if kind == "last":
        return values[:, -1:], np.ones_like(values[:, -1:])
    mean = values.mean(axis=1, keepdims=True)
    return mean, np.sqrt(values.var(axis=1, keepdims=True) + 1e-10) + 1e-5


def segment_forward(x: np.ndarray, config: dict[str, Any], weights: list[np.ndarray]
                    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``SegmentLSTM`` in NumPy: segments embedded, the cell over them, every output segment
    decoded as one step from the final state (plus the window's linear map, with
    ``linear``). Returns (output (N, S * outputs), the
    encoder's gate trace over the segments)."""
    embed_k, embed_b, kernel, recurrent, bias, position, head_k, head_b = weights[:8]
    n, length, features = x.shape
    w = config["segment"]
    segs = x.reshape(n, length // w, w * features)
    embedded = np.maximum(segs @ embed_k + embed_b, 0.0)  # (N, L/w, d)
    m = len(position)
    pos = np.broadcast_to(position[None], (n, m, position.shape[1])).reshape(n * m, 1, -1)
    if config["cell"] == "lstm":
        trace = lstm_forward(embedded, kernel, recurrent, bias)
        h = np.repeat(trace["hidden"][:, -1], m, axis=0)
        c = np.repeat(trace["cell"][:, -1], m, axis=0)
        decoded = lstm_forward(pos, kernel, recurrent, bias, h, c)["hidden"][:, 0]
    else:
        trace = gru_forward(embedded, kernel, recurrent, bias)
        h = np.repeat(trace["hidden"][:, -1], m, axis=0)
        decoded = gru_forward(pos, kernel, recurrent, bias, h)["hidden"][:, 0]
    out = (decoded @ head_k + head_b).reshape(n, m * w, config["outputs"])[:, : config["steps"]]
    out = out.reshape(n, -1)
    if config.get("linear"):  # the flattened window's linear map, added
        linear_k, linear_b = weights[8:10]
        out = out + x.reshape(n, -1) @ linear_k + linear_b
    return out, trace
