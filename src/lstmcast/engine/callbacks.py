"""Callbacks with Keras's names: History, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
BackupAndRestore (and TimeLimit).

A callback is told about the run as it goes (``on_train_begin``,
``on_epoch_begin``, ``on_epoch_end``, ``on_train_batch_end``, ``on_train_end``)
and may stop it by setting ``self.model.stop_training = True``. ``logs`` holds
the epoch's values: "loss", the metrics, and ``"val_..."`` when there is validation.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from lstmcast.checks import check_choice, check_float, check_int, invalid
from lstmcast.engine import bundle, distributed
from lstmcast.engine.metrics import LossFn, Metric
from lstmcast.engine.network import Network
from lstmcast.errors import ArtifactError, InvalidTypeError

Schedule = Callable[[int, float], float]  # (epoch from 0, current rate) -> the epoch's rate


class TrainedModel(Protocol):
    """What the training loop and the callbacks use of the model they train
    (``lstmcast.models.Sequential``, a layer above this one)."""

    network_: Network | None
    optimizer_: torch.optim.Optimizer | None
    loss_fn_: LossFn
    metrics_: list[Metric]
    clipnorm_: float | None
    precision: str
    device: torch.device
    stop_training: bool

    def get_weights(self) -> list[np.ndarray]: ...

    def set_weights(self, weights: Sequence[np.ndarray]) -> None: ...

    def save(self, path: str | os.PathLike) -> None: ...

    def save_weights(self, path: str | os.PathLike) -> None: ...


class Callback:
    """Base class; override the hooks you need. ``self.model`` is set before training."""

    def __init__(self) -> None:
        self.model: TrainedModel | None = None  # set before training (``set_model``)

    def set_model(self, model: TrainedModel) -> None:
        self.model = model

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...

    def on_train_end(self, logs: dict[str, float] | None = None) -> None: ...


class History(Callback):
    """Records every epoch's logs; ``fit`` returns it.

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

    def get_state(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """What a backup needs to continue exactly: counters as JSON, best weights as arrays."""
        state = {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                 "stopped_epoch": self.stopped_epoch,
                 "has_best_weights": self.best_weights is not None}
        return state, list(self.best_weights or [])

    def set_state(self, state: dict[str, Any], arrays: list[np.ndarray]) -> None:
        self.wait, self.best = state["wait"], state["best"]
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        self.best_weights = arrays if state["has_best_weights"] else None

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

    def get_state(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The best value so far: a resumed run must not write a worse model over it."""
        return {"best": self.best}, []

    def set_state(self, state: dict[str, Any], arrays: list[np.ndarray]) -> None:
        self.best = state["best"]

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


class ReduceLROnPlateau(_Monitor):
    """Multiplies the learning rate by ``factor`` when ``monitor`` has stopped improving.

    Keras's callback, with its defaults. After ``patience`` epochs without an
    improvement larger than ``min_delta``, every parameter group's learning rate
    becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before
    waiting starts again.

    Args:
        monitor: value to watch, e.g. "val_loss" (default) or "loss".
        factor: multiplier, 0 < factor < 1.
        patience: epochs without improvement before a reduction.
        mode: "min", "max" or "auto" (from the name).
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta)
        self.factor = check_float("factor", factor, low=0.0, high=1.0, low_inclusive=False,
                                  high_inclusive=False)
        self.patience = check_int("patience", patience, minimum=0)
        self.cooldown = check_int("cooldown", cooldown, minimum=0)
        self.min_lr = check_float("min_lr", min_lr, low=0.0)
        self.verbose = verbose

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = self._value(logs)
        if logs is not None:
            logs["learning_rate"] = self._rates()[0]
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = value, 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        self.wait, self.cooldown_counter = 0, self.cooldown
        for group in self.model.optimizer_.param_groups:
            old = float(group["lr"])
            group["lr"] = max(old * self.factor, self.min_lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate reduced to {self._rates()[0]:.3g}.")

    def _rates(self) -> list[float]:
        return [float(group["lr"]) for group in self.model.optimizer_.param_groups]

    def get_state(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """What a backup needs to continue exactly (the rate itself is in the optimizer's)."""
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter,
                "best": self.best}, []

    def set_state(self, state: dict[str, Any], arrays: list[np.ndarray]) -> None:
        self.wait, self.best = state["wait"], state["best"]
        self.cooldown_counter = state["cooldown_counter"]


class TimeLimit(Callback):
    """Stops training at the first batch that ends past ``seconds`` of training: the epoch
    ends there (its logs, its validation and every callback's ``on_epoch_end`` as at any
    epoch's end), so that an epoch of many windows does not run minutes past the budget.
    A run of several processes (torchrun) stops at the end of that epoch, where they agree.

    Args:
        seconds: wall-clock budget for ``fit``, > 0.
        since: the ``time.perf_counter()`` the budget counts from (default: when
            training begins), such as the start of the work before it.
    """

    def __init__(self, seconds: float, verbose: int = 0, since: float | None = None) -> None:
        super().__init__()
        self.seconds = check_float("seconds", seconds, low=0.0, low_inclusive=False)
        self.verbose = verbose
        self.since = since
        self.stopped_epoch: int | None = None
        self.reached = False  # a batch ended past the budget

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.start = time.perf_counter() if self.since is None else self.since
        self.stopped_epoch, self.reached = None, False

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        if time.perf_counter() - self.start > self.seconds:
            self.reached = self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.reached or time.perf_counter() - self.start > self.seconds:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: time limit of {self.seconds:.0f} s reached; stopping.")


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from ``schedule(epoch, lr)``.

    Keras's callback: ``schedule`` takes the epoch (from 0) and the current
    rate and returns the rate for this epoch. The rate of each epoch goes into
    the history as "learning_rate".

    Example:
        >>> decay = LearningRateScheduler(lambda epoch, lr: lr if epoch < 3 else lr * 0.8)
    """

    def __init__(self, schedule: Schedule, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise InvalidTypeError("`schedule` must be a function (epoch, lr) -> lr.")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        groups = self.model.optimizer_.param_groups
        rate = float(self.schedule(epoch, float(groups[0]["lr"])))
        for group in groups:
            group["lr"] = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {rate:.3g}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer_.param_groups[0]["lr"])


def decay_after(epochs: int, factor: float) -> Schedule:
    """A schedule: the starting rate for ``epochs`` epochs, then ``factor`` times less every
    epoch (the schedule SegRNN's reference code calls "type3": 3 epochs, then 0.8)."""
    def schedule(epoch: int, rate: float) -> float:
        return rate if epoch < epochs else rate * factor

    return schedule


BACKUP_KIND = "checkpoint"


class BackupAndRestore(Callback):
    """Backs up the whole training state after every epoch; a new ``fit`` resumes from it.

    Keras's BackupAndRestore: if a run dies (SIGKILL, power cut), calling ``fit``
    again with the same callback continues after the last finished epoch and
    ends with the same weights and history as a run that never stopped (CPU,
    fixed seed). The backup holds the weights, the optimizer state, the random
    generators' states, the epoch, the history and the state of the other
    callbacks (e.g. EarlyStopping's best weights). Each write is atomic. In
    data-parallel training rank 0 writes it and every rank reads it.

    Args:
        path: the backup file.
        tag: any string naming what is trained (data and settings); a backup
            with another tag is refused rather than resumed into the wrong run.
        delete_checkpoint: delete the backup when training ends normally.
    """

    def __init__(self, path: str | os.PathLike, tag: str = "",
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.tag = tag
        self.delete_checkpoint = bool(delete_checkpoint)
        self.callbacks: list[Callback] = []

    def restore(self, callbacks: list[Callback], initial_epoch: int) -> int:
        """Load the backup, if any, into the model and ``callbacks``; return the epoch to run."""
        self.callbacks = list(callbacks)
        if not self.path.exists():
            return initial_epoch
        tensors, config = bundle.load(self.path, BACKUP_KIND)
        if config["tag"] != self.tag:
            raise ArtifactError(
                f"The checkpoint {str(self.path)!r} belongs to another run (other data or "
                "settings); delete it to start afresh.")
        network = self.model.network_
        network.load_state_dict({k[len("network."):]: v for k, v in tensors.items()
                                 if k.startswith("network.")})
        bundle.restore_optimizer(self.model.optimizer_, tensors, config["optimizer"])
        torch.set_rng_state(tensors["rng.cpu"])
        if "rng.cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(tensors["rng.cuda"])
        for i, cb in enumerate(self.callbacks):
            if isinstance(cb, History):
                cb.history = {k: list(v) for k, v in config["history"].items()}
                cb.epoch = list(range(config["epoch"]))
            elif hasattr(cb, "set_state") and str(i) in config["states"]:
                arrays = [tensors[f"callback.{i}.{j}"].numpy()
                          for j in range(config["states"][str(i)]["arrays"])]
                cb.set_state(config["states"][str(i)]["state"], arrays)
        self.model.stop_training = config["stop_training"]
        return config["epoch"]

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if not distributed.is_main():  # in data-parallel training, rank 0 writes
            return
        tensors = {f"network.{k}": v for k, v in self.model.network_.state_dict().items()}
        optimizer_tensors, optimizer_state = bundle.optimizer_tensors(self.model.optimizer_)
        tensors.update(optimizer_tensors)
        tensors["rng.cpu"] = torch.get_rng_state()
        if torch.cuda.is_available():
            tensors["rng.cuda"] = torch.cuda.get_rng_state()
        states: dict[str, Any] = {}
        history: dict[str, list[float]] = {}
        for i, cb in enumerate(self.callbacks):
            if isinstance(cb, History):
                history = cb.history
            elif hasattr(cb, "get_state"):
                state, arrays = cb.get_state()
                states[str(i)] = {"state": state, "arrays": len(arrays)}
                for j, array in enumerate(arrays):
                    tensors[f"callback.{i}.{j}"] = torch.as_tensor(np.ascontiguousarray(array))
        config = {"tag": self.tag, "epoch": epoch + 1, "history": history, "states": states,
                  "optimizer": optimizer_state, "stop_training": bool(self.model.stop_training)}
        bundle.save(self.path, tensors, config, BACKUP_KIND)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.delete_checkpoint and distributed.is_main():
            self.path.unlink(missing_ok=True)
