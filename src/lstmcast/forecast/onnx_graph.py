"""The forecasts a Forecaster combines (``lstmcast.forecast.combination``), as torch
modules, so that the ONNX graph holds the whole combination (``onnx_export``).

Each module computes what its NumPy twin's ``predict`` does, from the same scaled
windows; tests/test_combination.py checks onnxruntime against ``Ensemble.predict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from lstmcast.forecast.combination import SEASONAL
from lstmcast.forecast.ensemble import NETWORKS
from lstmcast.forecast.linear_map import seasonal_positions, seasons_back


class MapModule(nn.Module):
    """``lstmcast.forecast.linear_map.WindowLinearMap.predict`` in torch, for the graph."""

    def __init__(self, linear: Any) -> None:
        super().__init__()
        self.window = linear.window
        self.columns = list(linear.columns)
        self.seasonal = linear.anchor == "season"
        self.register_buffer("maps", torch.tensor(linear.weights[:-1], dtype=torch.float32))
        self.register_buffer("bias", torch.tensor(linear.weights[-1], dtype=torch.float32))
        rows = seasonal_positions(linear.window, linear.steps, linear.season, linear.horizon) \
            if self.seasonal else [0]
        self.register_buffer("rows", torch.tensor(rows, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        history = x[:, :self.window, self.columns].transpose(1, 2)  # (W, targets, window)
        last = history[:, :, -1:]
        base = history[:, :, self.rows] if self.seasonal else last
        mapped = (history - last) @ self.maps + self.bias + base  # (W, targets, steps)
        return mapped.transpose(1, 2).reshape(x.shape[0], -1)  # step-major


class BaselineModule(nn.Module):
    """``lstmcast.forecast.combination.WindowBaseline.predict`` in torch, for the graph."""

    def __init__(self, baseline: Any) -> None:
        super().__init__()
        self.kind, self.window, self.steps = baseline.kind, baseline.window, baseline.steps
        self.columns = list(baseline.columns)
        seasonal = self.kind in SEASONAL
        rows = (seasonal_positions(baseline.window, baseline.steps, baseline.season,
                                   baseline.horizon) if seasonal else [0])
        self.register_buffer("rows", torch.tensor(rows, dtype=torch.long))
        self.season = baseline.season or 1
        back = (torch.as_tensor(seasons_back(baseline.steps, self.season, baseline.horizon),
                                dtype=torch.float32) if seasonal
                else torch.zeros(baseline.steps))  # seasons back, for seasonal_drift
        self.register_buffer("back", back[None, :, None])
        self.register_buffer("values", torch.tensor(baseline.values or [0.0] * len(self.columns),
                                                    dtype=torch.float32))
        ahead = baseline.horizon + torch.arange(baseline.steps, dtype=torch.float32)
        self.register_buffer("ahead", ahead[None, :, None] / max(1, baseline.window - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        history = x[:, :self.window, self.columns]  # (W, window, targets)
        if self.kind == "naive":
            out = history[:, -1:, :].expand(-1, self.steps, -1)
        elif self.kind == "window_mean":
            out = history.mean(dim=1, keepdim=True).expand(-1, self.steps, -1)
        elif self.kind == "train_mean":  # the constant, one row per window
            out = (history[:, -1:, :] * 0 + self.values).expand(-1, self.steps, -1)
        elif self.kind == "drift":
            last = history[:, -1:, :]
            out = last + self.ahead * (last - history[:, :1, :])
        elif self.kind == "seasonal_drift":
            s = self.season
            change = (history[:, s:, :] - history[:, :-s, :]).mean(dim=1, keepdim=True)
            out = history[:, self.rows, :] + self.back * change
        else:
            out = history[:, self.rows, :]
        return out.reshape(x.shape[0], -1)


class Combination(nn.Module):
    """The weighted sum of the networks' mean and the other forecasts of
    ``lstmcast.forecast.ensemble.Ensemble.predict``."""

    def __init__(self, networks: nn.Module, parts: Mapping[str, Any],
                 weights: Mapping[str, float]) -> None:
        super().__init__()
        used = [(name, float(w)) for name, w in weights.items() if w > 0]
        self.names = [name for name, _ in used]
        self.weights = [w for _, w in used]
        self.parts = nn.ModuleList([
            networks if name == NETWORKS else
            MapModule(parts[name]) if hasattr(parts[name], "anchor") else
            BaselineModule(parts[name])
            for name in self.names])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = self.weights[0] * self.parts[0](x)
        for weight, part in zip(self.weights[1:], self.parts[1:]):
            total = total + weight * part(x)
        return total
