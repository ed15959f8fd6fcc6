"""Optimizers with Keras's names and defaults, built on torch.optim.

Pass a name to ``compile`` ("adam", "adamw", "sgd", "rmsprop") for these
defaults, or an instance to set your own learning rate::

    model.compile(loss="mse", optimizer=Adam(learning_rate=3e-4))

Keras's Adam adds epsilon (1e-7) to the uncorrected second moment's root;
torch adds it after bias correction. With epsilon this small the two differ
only in the first steps and only for gradients near 1e-7.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from lstmcast.checks import check_bool, check_float, invalid


class Optimizer:
    """Base class: a learning rate, optional gradient clipping, and a torch builder.

    Args:
        learning_rate: step size, > 0.
        clipnorm: if set, each step first rescales the gradients so that their
            global L2 norm is at most this value.
    """

    def __init__(self, learning_rate: float, clipnorm: float | None = None) -> None:
        self.learning_rate = check_float("learning_rate", learning_rate, low=0.0,
                                         low_inclusive=False)
        self.clipnorm = None if clipnorm is None else check_float(
            "clipnorm", clipnorm, low=0.0, low_inclusive=False)

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "clipnorm": self.clipnorm}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Adam(Optimizer):
    """Adam (Keras defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7)."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, clipnorm: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm)
        self.beta_1 = check_float("beta_1", beta_1, low=0.0, high=1.0, high_inclusive=False)
        self.beta_2 = check_float("beta_2", beta_2, low=0.0, high=1.0, high_inclusive=False)
        self.epsilon = check_float("epsilon", epsilon, low=0.0, low_inclusive=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        params = list(params)
        return torch.optim.Adam(params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2),
                                eps=self.epsilon, fused=_can_fuse(params))


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default weight_decay 0.004)."""

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 clipnorm: float | None = None) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, clipnorm)
        self.weight_decay = check_float("weight_decay", weight_decay, low=0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        params = list(params)
        return torch.optim.AdamW(params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2),
                                 eps=self.epsilon, weight_decay=self.weight_decay,
                                 fused=_can_fuse(params))


class SGD(Optimizer):
    """Stochastic gradient descent (Keras defaults: learning_rate 0.01, momentum 0)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, clipnorm: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0,
                                    high_inclusive=False)
        self.nesterov = check_bool("nesterov", nesterov)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return torch.optim.SGD(params, lr=self.learning_rate, momentum=self.momentum,
                               nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop (Keras defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7)."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, clipnorm: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm)
        self.rho = check_float("rho", rho, low=0.0, high=1.0, high_inclusive=False)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0,
                                    high_inclusive=False)
        self.epsilon = check_float("epsilon", epsilon, low=0.0, low_inclusive=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(params, lr=self.learning_rate, alpha=self.rho,
                                   momentum=self.momentum, eps=self.epsilon)


def _can_fuse(params: list[torch.nn.Parameter]) -> bool | None:
    """Use torch's fused Adam kernel (one pass over all weights; the same update)
    when every parameter is a float32 tensor on the CPU or a CUDA device."""
    fusable = bool(params) and all(
        p.device.type in ("cpu", "cuda") and p.dtype == torch.float32 for p in params)
    return True if fusable else None


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop,
}


def get_optimizer(optimizer: object) -> Optimizer:
    """Return an Optimizer for a name ("adam", ...) or an instance (used as is)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise invalid("optimizer", f"one of {sorted(OPTIMIZERS)} or an lstmcast.engine.optimizers "
                  "instance such as Adam(learning_rate=1e-3)", optimizer)


def optimizer_from_config(class_name: str, config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from its class name and ``get_config()``."""
    classes = {cls.__name__: cls for cls in OPTIMIZERS.values()}
    if class_name not in classes:
        raise invalid("optimizer", f"one of {sorted(classes)}", class_name)
    return classes[class_name](**config)
