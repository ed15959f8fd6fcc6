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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lstmcast.forecast.linear_map import WindowLinearMap
from lstmcast.models import Sequential

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
