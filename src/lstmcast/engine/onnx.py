"""A network as an ONNX graph: input ``windows`` (batch, input_length, inputs) float32, output
``forecast`` (batch, outputs), with a dynamic batch axis.

``Sequential.export_onnx`` writes one network; a Forecaster's ensemble, with
what its forecast combines, is built on this by ``lstmcast.forecast.onnx_export``.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import warnings

import torch
from torch import nn

from lstmcast.errors import InvalidArgumentError

OPSET = 17


class Mean(nn.Module):
    """Several networks' mean output, as one graph."""

    def __init__(self, networks: list[nn.Module]) -> None:
        super().__init__()
        self.networks = nn.ModuleList(networks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [network(x) for network in self.networks]
        return torch.stack(outputs).mean(dim=0)


def export_module(module: nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """The ONNX bytes of ``module`` (in inference mode, float32, on the CPU) for samples of
    ``input_shape``.

    Exported with TorchScript tracing (``dynamo=False``): ONNX's own LSTM and GRU
    operators, in about a second.
    """
    if importlib.util.find_spec("onnx") is None:
        raise InvalidArgumentError(
            "Exporting to ONNX needs the onnx package: pip install onnx (or lstmcast[onnx]).")
    example = torch.zeros((2, *input_shape), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on its own internals
        torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=OPSET,
                          input_names=["windows"], output_names=["forecast"],
                          dynamic_axes={"windows": {0: "batch"}, "forecast": {0: "batch"}})
    return buffer.getvalue()


def export_networks(networks: list[nn.Module], input_shape: tuple[int, ...]) -> bytes:
    """The ONNX bytes of ``networks``: a CPU float32 copy of each, averaged when several."""
    copies = [copy.deepcopy(network).cpu().float().eval() for network in networks]
    module = copies[0] if len(copies) == 1 else Mean(copies).eval()
    return export_module(module, input_shape)
