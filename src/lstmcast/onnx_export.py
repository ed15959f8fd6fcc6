"""Taking a model out: the network as ONNX, and a JSON sidecar for a Forecaster's table.

ONNX runs where Python and torch do not (onnxruntime in a service, a database
job, an edge box). The network is exported with a dynamic batch axis: input
``windows`` (batch, time_steps, features) float32, output ``forecast``
(batch, outputs). A Forecaster's ensemble is exported as one graph that
averages its members (and blends them with its linear map, with ``blend``).

A network sees scaled windows, not a table. For a Forecaster the sidecar
(``model.json`` beside ``model.onnx``) holds the rest, as data: the input
columns in order, the window length, each scaler's offset and scale (one
over all rows, and one per series or condition when the model scales that
way), and how outputs map back to forecasts. ``recipe`` in the sidecar says
it in words; ``serve_window`` below is the same in NumPy, for reference.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.errors import InvalidArgumentError

SIDECAR_FORMAT = "lstmcast-onnx-sidecar"
SIDECAR_VERSION = 1
OPSET = 17

RECIPE = [
    "Take the last `window` rows of one series, the columns `inputs` in that order "
    "(with `difference`, the targets' columns as changes from the previous row).",
    "Scale each column: (value - offset) / scale, with `x_scaler` (its `by_key` entry for "
    "the series when `scale_by` is not 'global', else `global`).",
    "Run the ONNX model on the windows stacked as float32 (batch, window, inputs): its output "
    "is (batch, steps * targets), step-major (step 1's targets, then step 2's...).",
    "Unscale: value * scale + offset with `y_scaler` (same choice of entry); with "
    "`difference`, add the window's last value of each target.",
]


class _Mean(nn.Module):
    """Several networks' mean output, as one graph."""

    def __init__(self, networks: list[nn.Module]) -> None:
        super().__init__()
        self.networks = nn.ModuleList(networks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [network(x) for network in self.networks]
        return torch.stack(outputs).mean(dim=0)


class _Blend(nn.Module):
    """``weight * networks(x) + (1 - weight) * linear map(x)``: ``lstmcast.linear_map``'s
    ``WindowLinearMap.predict`` in torch, for the graph."""

    def __init__(self, networks: nn.Module, linear: Any, weight: float) -> None:
        super().__init__()
        self.networks = networks
        self.window = linear.window
        self.columns = list(linear.columns)
        self.weight = float(weight)
        self.register_buffer("maps", torch.tensor(linear.weights[:-1], dtype=torch.float32))
        self.register_buffer("bias", torch.tensor(linear.weights[-1], dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        history = x[:, :self.window, self.columns].transpose(1, 2)  # (W, targets, window)
        last = history[:, :, -1:]
        mapped = (history - last) @ self.maps + self.bias + last  # (W, targets, steps)
        linear = mapped.transpose(1, 2).reshape(x.shape[0], -1)  # step-major
        return self.weight * self.networks(x) + (1.0 - self.weight) * linear


def export_networks(networks: list[nn.Module], input_shape: tuple[int, ...],
                    linear: Any = None, weight: float = 1.0) -> bytes:
    """The ONNX bytes of ``networks`` (averaged when several; blended with ``linear``, a
    fitted ``WindowLinearMap``, when given) for samples of ``input_shape``.

    Exported from a CPU copy in inference mode (dropout off), float32, with
    TorchScript tracing (``dynamo=False``): ONNX's own LSTM and GRU operators,
    in about a second.
    """
    if importlib.util.find_spec("onnx") is None:
        raise InvalidArgumentError(
            "Exporting to ONNX needs the onnx package: pip install onnx (or lstmcast[onnx]).")
    copies = [copy.deepcopy(network).cpu().float().eval() for network in networks]
    module = copies[0] if len(copies) == 1 else _Mean(copies).eval()
    if linear is not None:
        module = _Blend(module, linear, weight).eval()
    example = torch.zeros((2, *input_shape), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on its own internals
        torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET,
                          input_names=["windows"], output_names=["forecast"],
                          dynamic_axes={"windows": {0: "batch"}, "forecast": {0: "batch"}})
    return buffer.getvalue()


def sidecar(forecaster: Any) -> dict[str, Any]:
    """What turns a table into the ONNX model's input, and its output into forecasts."""
    pipeline = forecaster.pipeline_
    intervals = forecaster.intervals_
    slots = 1 if intervals is None else intervals.slots
    config = pipeline.get_config()
    roles = config["roles"]
    return {
        "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION,
        "input": {"name": "windows", "shape": [None, pipeline.input_length,
                                               len(pipeline.inputs)], "dtype": "float32"},
        "output": {"name": "forecast",
                   "shape": [None, pipeline.steps * slots * len(pipeline.targets)],
                   "layout": "step-major" if slots == 1 else "step, quantile level, target"},
        "quantiles": None if intervals is None else {
            **intervals.get_config(), "network_levels": list(intervals.network_levels),
            "recipe": "the output holds, per step and target, one value per network level "
                      "(network_levels; the point forecast is the 0.5 one) or one point value; "
                      "a level's value is that (sorted) value, or the point value, plus "
                      "shifts[step][level][target] when calibrated, sorted again, then "
                      "unscaled like the forecast"},
        "inputs": list(pipeline.inputs), "targets": list(pipeline.targets),
        "window": pipeline.window, "input_length": pipeline.input_length,
        "horizon": pipeline.horizon, "steps": pipeline.steps,
        "difference": pipeline.difference, "scale_by": pipeline.scale_by,
        "group": roles.get("group"), "time": roles.get("time"),
        "future": list(pipeline.roles.future_inputs or []), "calendar": config["calendar"],
        "x_scaler": config["x_scaler"], "y_scaler": config["y_scaler"],
        "recipe": RECIPE,
    }


def sidecar_path(path: str | os.PathLike) -> Path:
    """``model.onnx`` -> ``model.json``."""
    return Path(path).with_suffix(".json")


def serve_window(side: dict[str, Any], history: Any, run: Any, key: Any = None) -> np.ndarray:
    """The sidecar's recipe in NumPy, for reference (serving code in another language does
    the same): one series' recent rows to its point forecast (steps, targets).

    Args:
        side: the sidecar (``json.load`` of model.json).
        history: a table (pandas) of one series' last rows, oldest first: at least
            ``window`` rows (one more with ``difference``), holding the ``inputs``
            columns (and the ``scale_by`` column when the model scales by a condition).
        run: float32 windows (batch, window, inputs) -> outputs, e.g.
            ``lambda x: session.run(None, {"windows": x})[0]`` with onnxruntime.
        key: the series id, when the model scales each series on its own.

    Models reading inputs known in advance or calendar columns need those rows
    and columns built too (the sidecar's ``future`` and ``calendar``); this
    reference does not build them and says so.
    """
    if side["future"] or side.get("calendar"):
        raise ValueError("serve_window covers models whose inputs are all in the history "
                         "table; this one reads future or calendar inputs.")
    window, inputs = side["window"], side["inputs"]
    raw = history[inputs].to_numpy(dtype=np.float64)
    targets = [inputs.index(t) for t in side["targets"]]
    if side["difference"]:
        changes = np.diff(raw[:, targets], axis=0)
        raw = raw[1:].copy()
        raw[:, targets] = changes
    if len(raw) < window:
        raise ValueError(f"need {window + side['difference']} rows of history, got "
                         f"{len(history)}")
    raw = raw[-window:]
    by = side["scale_by"]
    if by not in ("global", "series"):  # a condition column: each row its own entry
        rows = [_entry(side["x_scaler"], k) for k in history[by].to_numpy()[-window:]]
        offset, scale = (np.stack(part) for part in zip(*rows))
    else:
        offset, scale = _entry(side["x_scaler"], key if by == "series" else None)
    x = ((raw - offset) / scale).astype(np.float32)[None]
    out = np.asarray(run(x), dtype=np.float64)[0].reshape(side["steps"], -1, len(targets))
    levels = (side.get("quantiles") or {}).get("network_levels") or []
    out = out[:, levels.index(0.5) if levels else 0]  # the point forecast (steps, targets)
    offset, scale = _entry(side["y_scaler"], key if by == "series" else None)
    forecast = out * scale + offset
    if side["difference"]:
        forecast = forecast + history[side["targets"]].to_numpy(dtype=np.float64)[-1]
    return forecast


def _entry(scaler: dict[str, Any], key: Any) -> tuple[np.ndarray, np.ndarray]:
    """A scaler's offset and scale: the entry of ``key`` (a series or condition), or the
    global one when ``key`` is None or the scaler has no entries."""
    chosen = scaler["global"]
    if key is not None and scaler["by_key"]:
        by_key = {str(k): c for k, c in scaler["by_key"]}
        if str(key) not in by_key:
            raise KeyError(f"{key!r} was not in the training data")
        chosen = by_key[str(key)]
    return np.asarray(chosen["offset"]), np.asarray(chosen["scale"])
