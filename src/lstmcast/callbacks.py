"""Callbacks with Keras's names: History, EarlyStopping, ModelCheckpoint (and TimeLimit).

A callback is told about the run as it goes (``on_train_begin``,
``on_epoch_begin``, ``on_epoch_end``, ``on_train_batch_end``, ``on_train_end``)
and may stop it by setting ``self.model.stop_training = True``. ``logs`` holds
the epoch's values: "loss", the metrics, and "val_..." when there is validation.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

from lstmcast.checks import check_choice, check_float, check_int, invalid


class Callback:
    """Base class; override the hooks you need. ``self.model`` is set before training."""

    def __init__(self) -> None:
        self.model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_train_end(self, logs: dict[str, float] | None = None) -> None: ...


class History(Callback):
    """Records every epoch's logs; ``fit`` returns it (SPEC F1).

    Attributes:
        history: dict of per-epoch lists, e.g. ``{"loss": [...], "mae": [...]}``.
        epoch: the epoch numbers run (0-based).
        params: ``{"epochs": ..., "steps": ..., "verbose": ...}``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _better(mode: str, monitor: str) -> str:
    if mode != "auto":
        return mode
    return "max" if monitor.endswith(("acc", "accuracy", "auc")) else "min"


class _Monitor(Callback):
    """Shared by callbacks that watch one value for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise invalid("monitor", "the name of a logged value such as 'val_loss'", monitor)
        self.monitor = monitor
        self.mode = _better(check_choice("mode", mode, ["auto", "min", "max"]), monitor)
        self.min_delta = abs(check_float("min_delta", min_delta, low=-math.inf))
        self.best = math.inf if self.mode == "min" else -math.inf

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _value(self, logs: dict[str, float] | None) -> float | None:
        logs = logs or {}
        if self.monitor not in logs:
            available = ", ".join(logs) or "none"
            raise invalid("monitor", f"a logged value (available: {available})", self.monitor)
        return logs[self.monitor]


class EarlyStopping(_Monitor):
    """Stops training when ``monitor`` has stopped improving.

    Args:
        monitor: value to watch, e.g. "val_loss" (default) or "loss".
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: "min", "max" or "auto" (from the name).
        restore_best_weights: at the end, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before watching at all.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = check_int("patience", patience, minimum=0)
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int("start_from_epoch", start_from_epoch, minimum=0)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list[np.ndarray] | None = None
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        value = self._value(logs)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping; best {self.monitor} "
                  f"{self.best:.4g} at epoch {self.best_epoch + 1}.")


class ModelCheckpoint(_Monitor):
    """Saves the model (or only its weights) after epochs.

    Args:
        filepath: where to save; may hold format fields such as
            ``"ckpt-{epoch:02d}-{val_loss:.3f}.lstmcast"`` (epoch is 1-based).
        monitor: value that decides "best" when ``save_best_only``.
        save_best_only: save only when ``monitor`` improved.
        save_weights_only: save only the weights (``model.save_weights``).
        mode: "min", "max" or "auto".

    Each save writes a temporary file and renames it, so an interrupted save
    never leaves a broken file in place of a good one.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto") -> None:
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value):
                return
            self.best = value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise invalid("filepath", f"format fields among epoch, {', '.join(logs)}",
                          self.filepath) from exc
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")


class TimeLimit(Callback):
    """Stops training at the end of the first epoch that ends past ``seconds`` of training.

    Args:
        seconds: wall-clock budget for ``fit``, > 0.
    """

    def __init__(self, seconds: float, verbose: int = 0) -> None:
        super().__init__()
        self.seconds = check_float("seconds", seconds, low=0.0, low_inclusive=False)
        self.verbose = verbose
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.start = time.perf_counter()
        self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if time.perf_counter() - self.start > self.seconds:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: time limit of {self.seconds:.0f} s reached; stopping.")
