"""Forecast error measures on NumPy arrays, in original units.

All take ``y_true`` and ``y_pred`` of the same shape and average over every value.

- MAE, RMSE: as usual.
- MAPE: 100 * mean(|e| / |y|) over the values whose true value is not zero;
  values with y == 0 are left out (and counted by ``zero_targets``), since a
  percentage of zero is undefined. NaN when every true value is zero. (Keras's
  training metric "mape" instead divides by max(|y|, 1e-7); see ``metrics``.)
- sMAPE: 100 * mean(2|e| / (|y| + |y_pred|)), a term of 0 where both are 0.
- MASE: MAE divided by the in-sample MAE of the (seasonal) naive forecast on the
  training series; below 1 beats that naive forecast.
- PHM08 score (C-MAPSS): sum over engines of exp(-d/13) - 1 for d < 0 and
  exp(d/10) - 1 for d >= 0, with d = predicted - true RUL; late predictions
  cost more than early ones.
"""

from __future__ import annotations

import numpy as np


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}.")
    return t, p


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def zero_targets(y_true: np.ndarray) -> int:
    """How many true values MAPE leaves out because they are zero."""
    return int(np.sum(np.asarray(y_true) == 0))


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    keep = t != 0
    if not keep.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(t[keep] - p[keep]) / np.abs(t[keep])))


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    denom = np.abs(t) + np.abs(p)
    terms = np.divide(2.0 * np.abs(t - p), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(terms))


def naive_scale(series: list[np.ndarray], season: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast y[t - season] over training series."""
    diffs = [np.abs(s[season:] - s[:-season]).ravel() for s in series if len(s) > season]
    if not diffs:
        return float("nan")
    return float(np.mean(np.concatenate(diffs)))


def mase(y_true: np.ndarray, y_pred: np.ndarray, scale: float) -> float:
    if not np.isfinite(scale) or scale <= 0:
        return float("nan")
    return mae(y_true, y_pred) / scale


def phm08(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    t, p = _pair(y_true, y_pred)
    d = p - t
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))


def all_scores(y_true: np.ndarray, y_pred: np.ndarray, scale: float) -> dict[str, float]:
    """MAE, RMSE, MAPE, sMAPE and MASE of one forecast."""
    return {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred),
            "mape": mape(y_true, y_pred), "smape": smape(y_true, y_pred),
            "mase": mase(y_true, y_pred, scale)}
