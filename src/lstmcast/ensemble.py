"""Several networks trained alike, forecasting their mean.

An LSTM's test error varies from seed to seed; the mean of a few networks
trained on the same windows with consecutive seeds varies less. A
Forecaster's networks are always an ``Ensemble`` (of one, by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lstmcast.models import Sequential


class Ensemble:
    """Networks whose outputs are averaged.

    Args:
        members: trained ``Sequential`` models with the same input and output shapes.
    """

    def __init__(self, members: Sequence[Sequential]) -> None:
        self.members = list(members)

    @property
    def first(self) -> Sequential:
        """The first network (the one ``explain`` shows)."""
        return self.members[0]

    def __len__(self) -> int:
        return len(self.members)

    def predict(self, x: Any) -> np.ndarray:
        """The members' mean output for windows ``x`` (in the units the networks see)."""
        outputs = [member.predict(x) for member in self.members]
        return outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)
