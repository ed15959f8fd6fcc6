"""Scalers fitted on training rows only, stored as plain numbers, inverted for predictions.

Fitting on all rows (train and test together) leaks the test set's range into
training; these scalers are always fitted on the training part, and saved as
JSON so that a loaded model scales new data exactly as it was trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.checks import check_choice, check_int
from lstmcast.errors import InvalidArgumentError, NotFittedError


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


def _json_key(key: Any) -> Any:
    return key.item() if hasattr(key, "item") else key


class KeyedScaler:
    """A Scaler per key (series id or operating condition), with a global fallback.

    Args:
        kind: "minmax" or "standard".

    ``fit(values, keys)`` learns one Scaler per distinct key from the rows
    given (the training rows only) and one over all of them. ``transform`` uses
    the key's own scaler, or the global one for a key never seen in training
    (``unseen_`` then lists it). With ``keys=None`` it is a single global scaler.
    """

    def __init__(self, kind: str = "minmax") -> None:
        self.kind = check_choice("kind", kind, ["minmax", "standard"])

    def fit(self, values: np.ndarray, keys: np.ndarray | None = None) -> KeyedScaler:
        values = np.asarray(values, dtype=np.float64)
        self.global_ = Scaler(self.kind).fit(values)
        self.by_key_: dict[Any, Scaler] = {}
        if keys is not None:
            keys = np.asarray(keys)
            for key in np.unique(keys):
                self.by_key_[_json_key(key)] = Scaler(self.kind).fit(values[keys == key])
        self.unseen_: list[Any] = []
        return self

    def _apply(self, values: np.ndarray, keys: np.ndarray | None, inverse: bool) -> np.ndarray:
        if not hasattr(self, "global_"):
            raise NotFittedError("This scaler is not fitted yet: call `fit` on training rows.")
        values = np.asarray(values, dtype=np.float64)
        method = "inverse_transform" if inverse else "transform"
        if keys is None or not self.by_key_:
            return getattr(self.global_, method)(values)
        keys = np.asarray(keys)
        out = np.empty_like(values)
        for key in np.unique(keys):
            rows = keys == key
            scaler = self.by_key_.get(_json_key(key))
            if scaler is None:
                scaler = self.global_
                if _json_key(key) not in self.unseen_:
                    self.unseen_.append(_json_key(key))
            out[rows] = getattr(scaler, method)(values[rows])
        return out

    def transform(self, values: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        return self._apply(values, keys, inverse=False)

    def inverse_transform(self, values: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        return self._apply(values, keys, inverse=True)

    def get_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "global": self.global_.get_config(),
                "by_key": [[k, s.get_config()] for k, s in self.by_key_.items()]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KeyedScaler:
        scaler = cls(config["kind"])
        scaler.global_ = Scaler.from_config(config["global"])
        scaler.by_key_ = {k: Scaler.from_config(c) for k, c in config["by_key"]}
        scaler.unseen_ = []
        return scaler


def kmeans(values: np.ndarray, k: int, seed: int = 0, iterations: int = 100
           ) -> tuple[np.ndarray, np.ndarray]:
    """Cluster rows of ``values`` (N, D) into ``k`` groups (k-means, k-means++ start).

    Columns are standardized first, so that settings on different scales count
    alike. Clusters are numbered in the order of their centres (sorted by
    columns), so the numbering does not depend on the random start.

    Returns:
        ``(labels, centres)``: int labels (N,) and centres (k, D) in original units.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    k = check_int("k", k)
    if len(x) < k:
        raise InvalidArgumentError(f"Cannot make {k} clusters from {len(x)} rows.")
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / np.where(std > 0, std, 1.0)
    rng = np.random.default_rng(seed)
    centres = z[[rng.integers(len(z))]]
    while len(centres) < k:  # k-means++: far points are likelier next centres
        d2 = ((z[:, None, :] - centres[None]) ** 2).sum(-1).min(axis=1)
        probs = d2 / d2.sum() if d2.sum() > 0 else np.full(len(z), 1 / len(z))
        centres = np.vstack([centres, z[rng.choice(len(z), p=probs)]])
    for _ in range(iterations):
        labels = ((z[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        moved = np.array([z[labels == j].mean(axis=0) if np.any(labels == j) else centres[j]
                          for j in range(k)])
        if np.allclose(moved, centres):
            break
        centres = moved
    original = centres * np.where(std > 0, std, 1.0) + mean
    order = np.lexsort(original.T[::-1])
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    return relabel[labels], original[order]


def nearest_centre(values: np.ndarray, centres: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Label each row of ``values`` with its nearest centre, on ``reference``'s column scales."""
    x = np.asarray(values, dtype=np.float64)
    std = np.asarray(reference, dtype=np.float64).std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    return (((x[:, None, :] - centres[None]) / scale) ** 2).sum(-1).argmin(axis=1)
