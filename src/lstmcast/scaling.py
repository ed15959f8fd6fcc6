"""Scalers fitted on training rows only, stored as plain numbers, inverted for predictions.

Fitting on all rows (train and test together) leaks the test set's range into
training; these scalers are always fitted on the training part, and saved as
JSON so that a loaded model scales new data exactly as it was trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.checks import check_choice
from lstmcast.errors import NotFittedError


class Scaler:
    """Per-column affine scaling ``(x - offset) / scale``.

    Args:
        kind: "minmax" (to [0, 1]) or "standard" (zero mean, unit variance).

    A constant column gets scale 1, so it never divides by zero.
    """

    def __init__(self, kind: str = "minmax") -> None:
        self.kind = check_choice("kind", kind, ["minmax", "standard"])

    def fit(self, values: np.ndarray) -> Scaler:
        """Learn offset and scale per column from ``values`` (rows, columns)."""
        values = np.asarray(values, dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values
        if self.kind == "minmax":
            offset, span = values.min(axis=0), np.ptp(values, axis=0)
        else:
            offset, span = values.mean(axis=0), values.std(axis=0)
        self.offset_ = offset
        self.scale_ = np.where(span > 0, span, 1.0)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._require_fitted()
        values = np.asarray(values, dtype=np.float64)
        squeeze = values.ndim == 1
        out = ((values[:, None] if squeeze else values) - self.offset_) / self.scale_
        return out[:, 0] if squeeze else out

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        self._require_fitted()
        values = np.asarray(values, dtype=np.float64)
        squeeze = values.ndim == 1
        out = (values[:, None] if squeeze else values) * self.scale_ + self.offset_
        return out[:, 0] if squeeze else out

    def get_config(self) -> dict[str, Any]:
        self._require_fitted()
        return {"kind": self.kind, "offset": self.offset_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Scaler:
        scaler = cls(config["kind"])
        scaler.offset_ = np.asarray(config["offset"], dtype=np.float64)
        scaler.scale_ = np.asarray(config["scale"], dtype=np.float64)
        return scaler

    def _require_fitted(self) -> None:
        if not hasattr(self, "offset_"):
            raise NotFittedError("This Scaler is not fitted yet: call `fit` on training rows.")
