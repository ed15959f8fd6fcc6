"""Several networks trained alike, forecasting their mean.

An LSTM's test error varies from seed to seed; the mean of a few networks
trained on the same windows with consecutive seeds varies less. A
Forecaster's networks are always an ``Ensemble`` (of one, by default). With
``blend``, the ensemble's forecast is the mean of the networks' and a
least-squares linear map's (``lstmcast.linear_map``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lstmcast.linear_map import WindowLinearMap
from lstmcast.models import Sequential


class Ensemble:
    """Networks whose outputs are averaged.

    Args:
        members: trained ``Sequential`` models with the same input and output shapes.
        linear: a fitted linear map of the windows to blend with (None: the networks alone).
        weight: the networks' share of the blend; the map has ``1 - weight``.
    """

    def __init__(self, members: Sequence[Sequential], linear: WindowLinearMap | None = None,
                 weight: float = 1.0) -> None:
        self.members = list(members)
        self.linear = linear
        self.weight = weight

    @property
    def first(self) -> Sequential:
        """The first network (the one ``explain`` shows)."""
        return self.members[0]

    def __len__(self) -> int:
        return len(self.members)

    def predict(self, x: Any) -> np.ndarray:
        """The forecast for windows ``x`` (in the units the networks see): the members'
        mean output, blended with the linear map's when there is one."""
        outputs = [member.predict(x) for member in self.members]
        mean = outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)
        if self.linear is None:
            return mean
        blended = self.weight * mean + (1.0 - self.weight) * self.linear.predict(x)
        return blended.astype(np.float32)
