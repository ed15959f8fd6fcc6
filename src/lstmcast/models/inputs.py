"""What a Sequential checks before it trains, predicts or evaluates: the shapes, types and
finite values of ``x`` and ``y``, each refusal one line naming the array and the place.

Shapes: N samples, T time steps, F features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lstmcast.engine.training import Samples, match_target, to_tensor, window_rows
from lstmcast.errors import InvalidArgumentError, InvalidTypeError
from lstmcast.tables.windows import WindowView

if TYPE_CHECKING:  # sequential imports this module
    from lstmcast.models.sequential import Sequential


def check_samples(model: Sequential, x: Any, name: str = "x", action: str = "training") -> Samples:
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not isinstance(x, (np.ndarray, WindowView, torch.Tensor)):
        if hasattr(x, "to_numpy"):
            x = x.to_numpy()
        else:
            raise InvalidTypeError(
                f"`{name}` must be a NumPy array of shape (batch, time_steps, features), "
                f"got {type(x).__name__}.")
    shape = tuple(x.shape)
    if len(shape) != 3:
        hint = (" For one feature, add an axis: x[..., None]." if len(shape) == 2 else "")
        raise InvalidArgumentError(
            f"`{name}` must be 3-D (batch, time_steps, features), "
            f"got an array of shape {shape}.{hint}")
    if shape[0] == 0:
        raise InvalidArgumentError(f"`{name}` holds no samples (shape {shape}).")
    if isinstance(x, np.ndarray) and not np.issubdtype(x.dtype, np.number):
        raise InvalidArgumentError(f"`{name}` must be numeric, got dtype {x.dtype}.")
    expected = model.built_input_shape_ if model.built else model.input_shape
    if expected is not None:
        for got, want, what in zip(shape[1:], expected, ("time steps", "features")):
            if want is not None and got != want:
                raise InvalidArgumentError(
                    f"`{name}` has {got} {what} per sample, but the model expects "
                    f"input_shape {tuple(expected)}: got an array of shape {shape}.")
    check_finite(name, x, action)
    if not model.built:
        model.build(shape[1:])
    return Samples(x, model.device)


def check_targets(model: Sequential, y: Any, n: int, name: str = "y", action: str = "training"
             ) -> torch.Tensor:
    y_arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if not np.issubdtype(y_arr.dtype, np.number):
        raise InvalidArgumentError(f"`{name}` must be numeric, got dtype {y_arr.dtype}.")
    if y_arr.ndim == 0 or y_arr.shape[0] != n:
        raise InvalidArgumentError(
            f"`{name}` must have one target per sample ({n}), got shape {y_arr.shape}.")
    check_finite(name, y_arr, action, target=True)
    expected = tuple(model.output_shape)
    slots = getattr(model.loss_, "slots", 1) if model.compiled_ else 1
    if slots > 1:  # a loss with several outputs per target value (quantiles)
        expected = (*expected[:-1], expected[-1] // slots)
    target = match_target(to_tensor(y_arr, model.device), expected)
    if tuple(target.shape[1:]) != expected:
        raise InvalidArgumentError(
            f"`{name}` has shape {y_arr.shape}, but the model outputs "
            f"{(None,) + tuple(model.output_shape)} per batch"
            + (f", {slots} per target value." if slots > 1 else "."))
    return target


_CHECK_BLOCK = 1 << 22  # values checked at a time: the temporary masks stay a few MB


def check_finite(name: str, x: Any, action: str = "training", target: bool = False) -> None:
    """Raise if ``x`` holds NaN or inf: how many of each, and where the first one is.

    ``action`` ("training", "predicting", "evaluating") is what they stop; ``target``:
    ``x`` holds targets (samples, outputs), not inputs (samples, time steps, features)."""
    if isinstance(x, torch.Tensor):
        arr = x.detach().cpu().numpy()
    elif isinstance(x, WindowView):
        arr = x.base
    else:
        arr = np.asarray(x)
    rows = window_rows(arr) if arr.ndim == 3 else None
    values = rows if rows is not None else arr
    if not np.issubdtype(values.dtype, np.floating):
        return
    counts = {"NaN": 0, "infinite": 0}
    firsts: dict[str, list[int]] = {}
    values = np.atleast_1d(values)
    block = max(1, _CHECK_BLOCK // max(1, values[:1].size))  # rows per block: bounded memory
    for start in range(0, len(values), block):
        part = values[start: start + block]
        if np.isfinite(part).all():
            continue
        for kind, bad in (("NaN", np.isnan(part)), ("infinite", np.isinf(part))):
            if bad.any():
                counts[kind] += int(bad.sum())
                if kind not in firsts:
                    first = np.argwhere(bad)[0].tolist()
                    first[0] += start
                    firsts[kind] = first
    if not firsts:
        return
    parts = []
    for kind, count in counts.items():
        if count:
            noun = f"{count} NaN value" if kind == "NaN" else f"{count} infinite value"
            where = _position(firsts[kind], rows is not None, target)
            parts.append(f"{noun}{'s' if count > 1 else ''} (first at {where})")
    raise InvalidArgumentError(
        f"`{name}` holds {' and '.join(parts)}; the network cannot compute with them: "
        f"fill or drop them before {action}.")


def _position(index: list[int], windowed: bool, target: bool) -> str:
    """Where a value sits: its sample, time step and feature (or output), or its row
    under a sliding-window view."""
    if windowed:  # the rows under a sliding-window view (W + L - 1, F)
        return f"row {index[0]}, feature {index[1]} of the rows the windows are cut from"
    if target:
        axes = ("sample", "time step", "output") if len(index) == 3 else ("sample", "output")
    else:
        axes = ("sample", "time step", "feature")
    return ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))

