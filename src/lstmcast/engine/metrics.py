"""Losses and metrics with Keras's names and definitions.

Each metric is accumulated over an epoch as a sum of per-value terms and a
count, then finished; so an epoch's "mae" is the mean over all its samples, as
in Keras, whatever the batch sizes.

Keras's MAPE: ``100 * mean(|y - y_pred| / max(|y|, epsilon))``, epsilon = 1e-7.
Where the true value is 0 the term is ``|y_pred| / 1e-7``: huge, on purpose, as in
Keras; MAPE is only meaningful for targets far from zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from lstmcast.checks import invalid

EPSILON = 1e-7  # keras.backend.epsilon()

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _abs_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_true - y_pred).abs()


def _squared_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_true - y_pred).square()


def _percentage_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return 100.0 * (y_true - y_pred).abs() / y_true.abs().clamp_min(EPSILON)


@dataclass(frozen=True)
class Metric:
    """A metric as a per-value term, averaged over an epoch, then finished."""

    name: str
    term: LossFn
    finish: Callable[[float], float] = lambda mean: mean


METRICS: dict[str, Metric] = {
    "mae": Metric("mae", _abs_error),
    "mse": Metric("mse", _squared_error),
    "rmse": Metric("rmse", _squared_error, lambda mean: mean**0.5),
    "mape": Metric("mape", _percentage_error),
}

_ALIASES = {
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
    "mean_absolute_percentage_error": "mape",
}


def get_metric(name: object) -> Metric:
    """Return the metric called ``name`` ("mae", "mape", "mse", "rmse" or a Keras long name)."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if not isinstance(key, str) or key not in METRICS:  # a list inside the list: named too
        raise invalid("metrics", f"a list of names from {sorted(METRICS)}", name)
    return METRICS[key]


def _huber(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return F.huber_loss(y_pred, y_true, delta=1.0)  # Keras's Huber, delta 1.0


LOSSES: dict[str, LossFn] = {
    "mse": lambda y_true, y_pred: F.mse_loss(y_pred, y_true),
    "mae": lambda y_true, y_pred: F.l1_loss(y_pred, y_true),
    "huber": _huber,
}
_LOSS_ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae"}


def pinball_loss(levels: Sequence[float], targets: int) -> LossFn:
    """The pinball (quantile) loss of outputs (N, S * Q * K), Q levels per step and target
    (K innermost), against targets (N, S * K), averaged over every value:
    tau * (y - q) where the truth is above the quantile, (1 - tau) * (q - y) below."""
    tau = torch.as_tensor(list(levels), dtype=torch.float32).view(1, 1, -1, 1)

    def pinball(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        n = y_true.shape[0]
        pred = y_pred.reshape(n, -1, tau.shape[2], targets)  # (N, S, Q, K)
        error = y_true.reshape(n, -1, 1, targets).to(pred.dtype) - pred
        t = tau.to(device=pred.device, dtype=pred.dtype)
        return torch.maximum(t * error, (t - 1.0) * error).mean()

    pinball.slots = tau.shape[2]  # outputs per target value (``Sequential`` checks y by it)
    return pinball


def get_loss(loss: object) -> tuple[str, LossFn]:
    """Return ``(name, fn)`` for a loss name ("mse", "mae", "huber") or a callable.

    A callable takes ``(y_true, y_pred)`` torch tensors, as in Keras, and
    returns a scalar or one value per sample (then averaged).
    """
    if callable(loss):
        fn = loss

        def mean_loss(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
            return fn(y_true, y_pred).mean()

        return getattr(loss, "__name__", "custom_loss"), mean_loss
    key = _LOSS_ALIASES.get(loss, loss) if isinstance(loss, str) else None
    if key not in LOSSES:
        raise invalid("loss", f"one of {sorted(LOSSES)} or a callable(y_true, y_pred)", loss)
    return key, LOSSES[key]
