"""Scalers fitted on training rows only, stored as plain numbers, inverted for predictions.

Fitting on all rows (train and test together) leaks the test set's range into
training; these scalers are always fitted on the training part, and saved as
JSON so that a loaded model scales new data exactly as it was trained.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike

from lstmcast.checks import check_choice, check_int
from lstmcast.errors import InvalidArgumentError, NotFittedError, shown


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

    def partial_fit(self, values: np.ndarray) -> Scaler:
        """``fit`` on rows that come in parts: after the last part, offset and scale are
        those of one ``fit`` on all of them (up to rounding). Keeps the count, min, max,
        mean and sum of squared deviations, merged by Chan et al.'s pairwise update."""
        values = np.asarray(values, dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values
        if len(values) == 0:
            return self
        n, mean = len(values), values.mean(axis=0)
        part = (n, values.min(axis=0), values.max(axis=0), mean,
                ((values - mean) ** 2).sum(axis=0))
        if getattr(self, "moments_", None) is None:
            self.moments_ = part
        else:
            n_a, lo_a, hi_a, mean_a, m2_a = self.moments_
            total, delta = n_a + n, mean - mean_a
            self.moments_ = (total, np.minimum(lo_a, part[1]), np.maximum(hi_a, part[2]),
                             mean_a + delta * n / total,
                             m2_a + part[4] + delta ** 2 * n_a * n / total)
        count, lo, hi, mean, m2 = self.moments_
        if self.kind == "minmax":
            offset, span = lo, hi - lo
        else:
            offset, span = mean, np.sqrt(m2 / count)
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


def key_str(key: Any) -> str:
    """A key's string form, the same whichever way it was stored: 7, 7.0, np.int64(7), "7"."""
    if hasattr(key, "item"):
        key = key.item()
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def key_strs(keys: np.ndarray) -> np.ndarray:
    """``key_str`` of every key, computed once per distinct key."""
    codes, uniques = pd.factorize(np.asarray(keys, dtype=object))
    return np.array([key_str(k) for k in uniques], dtype=object)[codes]


BLOCK_ROWS = 65536  # rows scaled at a time: temporaries stay a few MB whatever the table


class UnknownKeyError(InvalidArgumentError):
    """Rows whose series (or scaling key) had no rows in the training data."""


def zeros_dropped(unknown: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Each of the ``unknown`` ids that is one of the ``known`` less its leading zeros ("1"
    for "001", as a spreadsheet saves ids), mapped to it, where one known id alone has
    that number."""
    numbered: dict[int, list[str]] = {}
    for key in known:
        if key.isdigit():
            numbered.setdefault(int(key), []).append(key)
    return {key: numbered[int(key)][0] for key in sorted(set(unknown))
            if key.isdigit() and len(numbered.get(int(key), [])) == 1}


def _zeros_hint(unknown: list[str], known: dict) -> str:
    """Where the unknown ids are known ones less their leading zeros, a sentence saying so."""
    pairs = zeros_dropped(unknown, known)
    if not pairs:
        return ""
    key, trained = next(iter(pairs.items()))
    return (f" {len(pairs)} of them are trained ids without their leading zeros ({key!r} for "
            f"{trained!r}), as a spreadsheet saves them: write the ids as the training table "
            "did (as text).")


class KeyedScaler:
    """A Scaler per key (series id or operating condition), plus one over all rows.

    Args:
        kind: "minmax" or "standard".
        what: what the keys are ("series", or a key column's name), for messages.
        log: the columns taken as their natural log before scaling (and exp'd after
            unscaling): values above 0 only.

    ``fit(values, keys)`` learns one Scaler per distinct key from the rows
    given (the training rows only) and one over all of them. Keys are matched
    by their string form (``key_str``), so ids read as 7 from one file and "7"
    from another are the same. ``transform`` of a key never seen in training is
    an error listing such keys: its scale is unknown, and guessing it would put
    forecasts in the wrong units. With ``keys=None`` it is a single global scaler.
    """

    def __init__(self, kind: str = "minmax", what: str = "series",
                 log: tuple[int, ...] | list[int] = ()) -> None:
        self.kind = check_choice("kind", kind, ["minmax", "standard"])
        self.what = what
        self.log = [int(c) for c in log]

    def logged(self, values: np.ndarray) -> np.ndarray:
        """``values`` (rows, columns) with the ``log`` columns as their natural log (a new
        array when there are such columns).

        Raises:
            InvalidArgumentError: a value at or below 0 in a ``log`` column.
        """
        if not self.log:
            return values
        values = np.array(values, dtype=np.float64)
        part = values[..., self.log] if values.ndim > 1 else values
        if not (part > 0).all():
            bad = float(part[~(part > 0)].flat[0])
            raise InvalidArgumentError(
                f"A value of {bad:g} reached a scaler that takes the log of its column: "
                "only values above 0 have one.")
        if values.ndim > 1:
            values[:, self.log] = np.log(part)
        else:
            values = np.log(values)
        return values

    def exped(self, values: np.ndarray) -> np.ndarray:
        """The inverse of ``logged`` (in place): exp of the ``log`` columns, clipped to
        float64's range."""
        if self.log:
            cols = values[:, self.log]
            values[:, self.log] = np.exp(np.clip(cols, -745.0, 709.0))
        return values

    def fit(self, values: np.ndarray, keys: np.ndarray | None = None) -> KeyedScaler:
        values = self.logged(np.asarray(values, dtype=np.float64))
        self.global_ = Scaler(self.kind).fit(values)
        self.by_key_: dict[str, Scaler] = {}
        if keys is not None:
            keys = key_strs(keys)
            for key, rows in _key_rows(keys):
                self.by_key_[key] = Scaler(self.kind).fit(values[rows])
        return self

    def partial_fit(self, values: np.ndarray, keys: np.ndarray | None = None) -> KeyedScaler:
        """``fit`` on rows that come in parts (``Scaler.partial_fit``, per key too)."""
        values = self.logged(np.asarray(values, dtype=np.float64))
        if not hasattr(self, "global_"):
            self.global_ = Scaler(self.kind)
            self.by_key_ = {}
        self.global_.partial_fit(values)
        if keys is not None:
            for key, rows in _key_rows(key_strs(keys)):
                self.by_key_.setdefault(key, Scaler(self.kind)).partial_fit(values[rows])
        return self

    def _apply(self, values: np.ndarray, keys: np.ndarray | None, inverse: bool,
               dtype: DTypeLike = np.float64) -> np.ndarray:
        """Each row scaled (or unscaled) with its key's scaler, computed in float64 a
        block of rows at a time (no whole-table temporaries) and stored as ``dtype``."""
        if not hasattr(self, "global_"):
            raise NotFittedError("This scaler is not fitted yet: call `fit` on training rows.")
        values = np.asarray(values, dtype=np.float64)
        codes = None
        offsets, scales = self.global_.offset_[None], self.global_.scale_[None]
        if keys is not None and self.by_key_:
            codes, uniques = pd.factorize(key_strs(keys))
            unknown = sorted(k for k in uniques if k not in self.by_key_)
            if unknown:
                listed = ", ".join(shown(k) for k in unknown[:5]) + (
                    " ..." if len(unknown) > 5 else "")
                column = "" if self.what == "series" else f" of {self.what!r}"
                raise UnknownKeyError(
                    f"{len(unknown)} {'series' if self.what == 'series' else 'values' + column} "
                    f"had no rows in the training data ({listed}); this model scales each "
                    f"{'series' if self.what == 'series' else 'value'} with its own scaler, "
                    "so it cannot put them in the right units. Forecast only what it was "
                    "trained on, or retrain with scale_by='global'."
                    + _zeros_hint(unknown, self.by_key_))
            if len(uniques):
                offsets = np.stack([self.by_key_[k].offset_ for k in uniques])
                scales = np.stack([self.by_key_[k].scale_ for k in uniques])
        squeeze = values.ndim == 1
        values = values[:, None] if squeeze else values
        out = np.empty(values.shape, dtype=dtype)
        for a in range(0, len(values), BLOCK_ROWS):
            rows = slice(a, a + BLOCK_ROWS)
            offset, scale = ((offsets[0], scales[0]) if codes is None
                             else (offsets[codes[rows]], scales[codes[rows]]))
            out[rows] = (self.exped(values[rows] * scale + offset) if inverse
                         else (self.logged(values[rows]) - offset) / scale)
        return out[:, 0] if squeeze else out

    def transform(self, values: np.ndarray, keys: np.ndarray | None = None,
                  dtype: DTypeLike = np.float64) -> np.ndarray:
        return self._apply(values, keys, inverse=False, dtype=dtype)

    def inverse_transform(self, values: np.ndarray, keys: np.ndarray | None = None
                          ) -> np.ndarray:
        return self._apply(values, keys, inverse=True)

    def get_config(self) -> dict[str, Any]:
        config = {"kind": self.kind, "what": self.what, "global": self.global_.get_config(),
                  "by_key": [[k, s.get_config()] for k, s in self.by_key_.items()]}
        if self.log:
            config["log"] = list(self.log)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KeyedScaler:
        scaler = cls(config["kind"], config.get("what", "series"), config.get("log", ()))
        scaler.global_ = Scaler.from_config(config["global"])
        scaler.by_key_ = {key_str(k): Scaler.from_config(c) for k, c in config["by_key"]}
        return scaler

    @classmethod
    def identity(cls, width: int, log: tuple[int, ...] | list[int] = ()) -> KeyedScaler:
        """A scaler that changes nothing (``scaler=None``) but take the log of the ``log``
        columns."""
        scaler = cls("minmax", log=log)
        scaler.global_ = Scaler("minmax")
        scaler.global_.offset_ = np.zeros(width)
        scaler.global_.scale_ = np.ones(width)
        scaler.by_key_ = {}
        return scaler


def _key_rows(keys: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Each distinct key with its rows, found in one sort (not one pass per key)."""
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(key, order[bounds[i]:bounds[i + 1]]) for i, key in enumerate(uniques)]


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
