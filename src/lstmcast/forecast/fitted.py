"""What ``fit`` learned, by name: the Forecaster's read-only fitted attributes.

``fit`` (``lstmcast.forecast.fitting``) or ``load`` (``lstmcast.forecast.artifacts``)
writes the state once: ``pipeline_`` (the table pipeline), ``ensemble_`` (the
networks and what their forecast combines), ``stats_``, ``seen_``, ``intervals_``,
``histories_``; the properties here name the parts a user reads, and say
``NotFittedError`` before ``fit``.
"""

from __future__ import annotations

from lstmcast.errors import NotFittedError
from lstmcast.models import Sequential
from lstmcast.tables.scaling import KeyedScaler


class FittedAttributes:
    """A mixin: the fitted attributes a Forecaster offers by name."""

    def check_fitted(self) -> None:
        """Raises ``NotFittedError`` unless the Forecaster is fitted (or loaded)."""
        if not hasattr(self, "ensemble_"):
            raise NotFittedError("This Forecaster is not fitted yet: call `fit` first, "
                                 "or load a saved one with `Forecaster.load`.")

    @property
    def model_(self) -> Sequential:
        """The first network (the only one unless ``ensemble`` > 1)."""
        self.check_fitted()
        return self.ensemble_.first

    @property
    def members_(self) -> list[Sequential]:
        self.check_fitted()
        return self.ensemble_.members

    @property
    def inputs_(self) -> list[str]:
        """The network's input columns, in order."""
        self.check_fitted()
        return self.pipeline_.inputs

    @property
    def autoregressive_(self) -> bool:
        self.check_fitted()
        return self.pipeline_.roles.autoregressive

    @property
    def x_scaler_(self) -> KeyedScaler:
        return self.pipeline_.x_scaler_

    @property
    def y_scaler_(self) -> KeyedScaler:
        return self.pipeline_.y_scaler_

    @property
    def train_mean_(self) -> list[float]:
        return self.stats_.train_mean

    @property
    def naive_scale_(self) -> list[float]:
        return self.stats_.naive_scale

    @property
    def season_(self) -> int | None:
        """The season of the seasonal naive baseline and MASE: ``season``, or the
        frequency's (None: no season)."""
        return self.stats_.season

    @property
    def blend_weight_(self) -> float | None:
        self.check_fitted()
        return self.ensemble_.weight if self.ensemble_.combined else None

    @property
    def blend_weights_(self) -> dict[str, float]:
        self.check_fitted()
        return {n: w for n, w in self.ensemble_.weights.items() if w > 0}

    @property
    def network_rows_(self) -> int | None:
        """The rows of the window the networks read (its last ones) where fewer than the
        window: two days of a sub-daily table whose window holds two weeks
        (``lstmcast.forecast.architecture.chosen_network_rows``); None: the whole window."""
        self.check_fitted()
        for layer in self.model_.layers:
            if type(layer).__name__ == "Cropping1D" and layer.cropping[0]:
                return self.pipeline_.window - layer.cropping[0]
        return None

    @property
    def window_(self) -> int:
        """The window the model was fitted with: ``window``, or the one chosen from the
        data."""
        self.check_fitted()
        return self.pipeline_.window
