"""Several networks trained alike, and the forecasts they are combined with.

An LSTM's test error varies from seed to seed; the mean of a few networks
trained on the same windows with consecutive seeds varies less. A
Forecaster's networks are always an ``Ensemble`` (of one, by default). With
``blend``, the ensemble's forecast is a weighted sum of the networks' mean and
other forecasts of the same windows: a least-squares linear map
(``lstmcast.forecast.linear_map``), or those chosen on the validation windows
(``lstmcast.forecast.combination``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.forecast.linear_map import WindowLinearMap
from lstmcast.models import Sequential

if TYPE_CHECKING:
    from torch import nn

NETWORKS = "networks"


class Ensemble:
    """Networks whose outputs are averaged, and combined with other forecasts.

    Args:
        members: trained ``Sequential`` models with the same input and output shapes.
        parts: other forecasts of the windows by name (each with ``predict(x)``),
            e.g. ``{"linear_map": WindowLinearMap}``.
        weights: each forecast's share by name, ``"networks"`` for the networks' mean
            (default: the networks alone).
    """

    def __init__(self, members: Sequence[Sequential], parts: Mapping[str, Any] | None = None,
                 weights: Mapping[str, float] | None = None) -> None:
        self.members = list(members)
        self.parts = dict(parts or {})
        self.weights = dict(weights) if weights is not None else {NETWORKS: 1.0}
        unknown = set(self.weights) - set(self.parts) - {NETWORKS}
        if unknown:
            raise ValueError(f"weights for forecasts the ensemble does not hold: {unknown}")

    @classmethod
    def blend(cls, members: Sequence[Sequential], linear: WindowLinearMap,
              weight: float) -> Ensemble:
        """The networks (``weight``) blended with a linear map (``1 - weight``)."""
        return cls(members, {"linear_map": linear},
                   {NETWORKS: weight, "linear_map": 1.0 - weight})

    @property
    def first(self) -> Sequential:
        """The first network (the one ``explain`` shows)."""
        return self.members[0]

    @property
    def combined(self) -> bool:
        """Whether the forecast is more than the networks' mean."""
        return any(w > 0 for name, w in self.weights.items() if name != NETWORKS)

    @property
    def linear(self) -> WindowLinearMap | None:
        """The linear map the networks are blended with (None: none)."""
        return self.parts.get("linear_map")

    @property
    def weight(self) -> float:
        """The networks' share of the forecast."""
        return self.weights.get(NETWORKS, 0.0)

    def __len__(self) -> int:
        return len(self.members)

    def direct(self) -> Ensemble:
        """This ensemble with each network called straight on float32 windows (NumPy in,
        NumPy out: no ``Sequential.predict`` checks, batching or index gather; the same
        outputs), where every member is float32 on the CPU; else itself. For windows
        already prepared (``lstmcast.forecast.window_predict``, a forecast of a few
        series), where those steps cost more than the network."""
        networks = [member.network_ for member in self.members]
        cached = self.__dict__.get("_direct")
        if cached is None or len(cached[0]) != len(networks) or any(
                a is not b for a, b in zip(cached[0], networks)):
            direct = all(member.precision == "float32" and _on_cpu(net)
                         for member, net in zip(self.members, networks))
            cached = (networks, [_DirectNetwork(net) for net in networks] if direct else None)
            self._direct = cached
        if cached[1] is None:
            return self
        short = copy.copy(self)  # the same blend, its members called directly
        short.members = cached[1]
        return short

    def networks_predict(self, x: Any) -> np.ndarray:
        """The members' mean output for windows ``x``."""
        outputs = [member.predict(x) for member in self.members]
        return outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)

    def predict(self, x: Any) -> np.ndarray:
        """The forecast for windows ``x`` (in the units the networks see): the members'
        mean output, combined with the other forecasts by their weights."""
        if not self.combined:
            return self.networks_predict(x)
        total = None
        for name, weight in self.weights.items():
            if weight <= 0:
                continue
            part = (self.networks_predict(x) if name == NETWORKS
                    else self.parts[name].predict(x))
            total = weight * part if total is None else total + weight * part
        return total.astype(np.float32)


class _DirectNetwork:
    """One member's torch module called directly: float32 windows in, outputs out, in
    inference mode (``Ensemble.direct``)."""

    def __init__(self, network: nn.Module) -> None:
        self.network = network

    def predict(self, x: np.ndarray) -> np.ndarray:
        import torch

        if self.network.training:  # trained again since: dropout off, as predict has it
            self.network.eval()
        with torch.inference_mode():
            batch = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))  # (N, L, F)
            return self.network(batch).float().numpy()


def _on_cpu(network: nn.Module) -> bool:
    first = next(network.parameters(), None)
    return first is None or first.device.type == "cpu"
