"""The training loop, and batched evaluation and prediction.

Read it top to bottom: epochs, batches gathered by index from tensors already
in memory, zero_grad, forward, loss, backward, step; then evaluation under
``torch.no_grad()``. There is no DataLoader: for in-memory arrays its worker
machinery only adds cost.

Shapes: N samples, T time steps, F features.
"""

from __future__ import annotations

import inspect
import math
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.engine import distributed
from lstmcast.engine.callbacks import BackupAndRestore, Callback, TrainedModel
from lstmcast.engine.metrics import LossFn, Metric
from lstmcast.engine.progress import ProgressBar, format_logs
from lstmcast.engine.runtime import autocast, tune_allocator
from lstmcast.errors import TrainingError
from lstmcast.tables.parts import Parts
from lstmcast.tables.windows import WindowView


def window_rows(arr: np.ndarray) -> np.ndarray | None:
    """If ``arr`` (W, L, F) is a sliding-window view, return its rows (W + L - 1, F)."""
    if arr.ndim != 3 or arr.strides[0] != arr.strides[1] or arr.strides[0] == 0:
        return None
    n_rows = arr.shape[0] + arr.shape[1] - 1
    return np.lib.stride_tricks.as_strided(
        arr, shape=(n_rows, arr.shape[2]), strides=(arr.strides[0], arr.strides[2]),
        writeable=False)


def to_tensor(arr: Any, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Move an array to ``device`` as ``dtype`` without ever copying windows.

    A sliding-window view (W, L, F) is converted through its rows (W + L - 1, F)
    and re-strided on the device, so memory stays rows x features, never
    rows x window x features.
    """
    if isinstance(arr, torch.Tensor):
        return arr.to(device=device, dtype=dtype)
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype
    arr = np.asarray(arr)
    rows = window_rows(arr)
    with warnings.catch_warnings():  # read-only views are fine: they are never written to
        warnings.simplefilter("ignore", UserWarning)
        if rows is None:
            return torch.from_numpy(np.asarray(arr, dtype=np_dtype)).to(device)
        tensor = torch.from_numpy(np.ascontiguousarray(rows, dtype=np_dtype)).to(device)
    width = arr.shape[2]
    return tensor.as_strided(arr.shape, (width, width, 1))


class Samples:
    """Input samples gathered by index: a tensor, or a window view plus start rows."""

    def __init__(self, x: Any, device: torch.device) -> None:
        if isinstance(x, WindowView):
            self.tensor = to_tensor(x.base, device)
            self.index = torch.as_tensor(x.starts, device=device)
        else:
            self.tensor = to_tensor(x, device)
            self.index = None

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else self.tensor.shape[0]

    def take(self, idx: torch.Tensor) -> torch.Tensor:
        """The samples at positions ``idx``, as one (B, T, F) batch."""
        if self.index is not None:
            idx = self.index[idx]
        return self.tensor[idx]

    def subset(self, idx: torch.Tensor) -> Samples:
        """A view on the samples at ``idx`` (no copy of the data)."""
        out = Samples.__new__(Samples)
        out.tensor = self.tensor
        out.index = idx if self.index is None else self.index[idx]
        return out


class EpochMeter:
    """Sums of the loss and metric terms over an epoch, kept on the device.

    With ``across_ranks`` (data-parallel training), ``logs`` sums them over the
    ranks first, so every rank reports the whole epoch.
    """

    def __init__(self, metrics: Sequence[Metric], device: torch.device, prefix: str = "",
                 across_ranks: bool = False) -> None:
        self.metrics = metrics
        self.prefix = prefix
        self.across_ranks = across_ranks
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.sums = torch.zeros(len(metrics), dtype=torch.float64, device=device)
        self.samples = 0
        self.values = 0

    @torch.no_grad()
    def add(self, loss: torch.Tensor, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
        n = y_true.shape[0]
        self.loss_sum += loss.detach().double() * n  # Keras weights a batch's loss by its size
        for i, metric in enumerate(self.metrics):
            self.sums[i] += metric.term(y_true, y_pred.detach()).double().sum()
        self.samples += n
        self.values += y_true.numel()

    def logs(self, local: bool = False) -> dict[str, float]:
        """The epoch's loss and metrics so far; ``local``: this rank's only (no collective)."""
        loss_sum, sums, samples, values = (self.loss_sum.item(), self.sums.tolist(),
                                           self.samples, self.values)
        if self.across_ranks and not local:
            totals = distributed.all_sum(torch.cat([
                self.loss_sum.reshape(1), self.sums,
                torch.tensor([self.samples, self.values], dtype=torch.float64,
                             device=self.sums.device)]))
            loss_sum, sums = totals[0].item(), totals[1:-2].tolist()
            samples, values = int(totals[-2].item()), int(totals[-1].item())
        out = {self.prefix + "loss": loss_sum / max(samples, 1)}
        for metric, total in zip(self.metrics, sums):
            out[self.prefix + metric.name] = metric.finish(total / max(values, 1))
        return out


def match_target(y: torch.Tensor, output_shape: tuple[int, ...]) -> torch.Tensor:
    """Give targets (N,) the model's output shape (N, 1), as Keras does."""
    if y.dim() == len(output_shape) and output_shape[-1] == 1:
        return y.unsqueeze(-1)
    return y


def run_batches(
    network: nn.Module,
    samples: Samples,
    targets: torch.Tensor,
    loss_fn: LossFn,
    metrics: Sequence[Metric],
    batch_size: int,
    prefix: str = "",
    precision: str = "float32",
    across_ranks: bool = False,
) -> dict[str, float]:
    """Loss and metrics of ``network`` over all samples, in inference mode.

    ``across_ranks``: each rank scores its own part of the samples and the
    results are summed over the ranks (every rank gets the whole result).
    """
    if across_ranks:
        part = distributed.shard(torch.arange(len(samples), device=targets.device),
                                 distributed.rank(), distributed.world_size())
        samples, targets = samples.subset(part), targets[part]
    meter = EpochMeter(metrics, targets.device, prefix, across_ranks)
    score_batches(network, samples, targets, loss_fn, batch_size, meter, precision)
    return meter.logs()


def score_batches(network: nn.Module, samples: Samples, targets: torch.Tensor,
                  loss_fn: LossFn, batch_size: int, meter: EpochMeter,
                  precision: str = "float32") -> None:
    """Add the loss and metrics of ``network`` over all samples to ``meter`` (inference)."""
    network.eval()
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(samples)),
                               device=targets.device)
            y_true = targets[idx]
            with autocast(targets.device, precision):
                y_pred = network(samples.take(idx))
            y_pred = y_pred.float()
            meter.add(loss_fn(y_true, y_pred), y_true, y_pred)


def predict_batches(network: nn.Module, samples: Samples, batch_size: int,
                    precision: str = "float32") -> torch.Tensor:
    """The network's outputs for all samples, in inference mode, on the CPU."""
    if network.training:  # eval() walks every module: not on every call
        network.eval()
    device = samples.tensor.device
    if device.type == "cpu":
        tune_allocator()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(samples), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(samples)), device=device)
            with autocast(device, precision):
                out = network(samples.take(idx))
            outputs.append(out.float().cpu())
    return torch.cat(outputs)


def train(
    model: TrainedModel,
    samples: Samples | Parts,
    targets: torch.Tensor | None,
    *,
    epochs: int,
    batch_size: int,
    shuffle: bool,
    steps: int | None = None,
    validation: tuple[Samples, torch.Tensor] | None,
    callbacks: Sequence[Callback],
    verbose: int,
    initial_epoch: int = 0,
) -> None:
    """Train ``model.network_`` with ``model.optimizer_``: the tutorial's fit loop.

    ``model`` supplies network_, optimizer_, loss_fn_, metrics_, clipnorm_,
    precision, device and a ``stop_training`` flag that callbacks may set.
    ``samples`` may be ``Parts`` (``targets`` None): each epoch then trains on
    one part after another, and validates on the parts' validation windows.

    Under an initialised process group of several ranks (torchrun), this is
    data-parallel training with DistributedDataParallel (``lstmcast.engine.distributed``
    says how the windows are shared and the results agreed).
    """
    network = model.network_
    device = targets.device if targets is not None else torch.device(model.device)
    if device.type == "cpu":
        tune_allocator()
    parts = isinstance(samples, Parts)
    if steps is None:
        steps = samples.steps(batch_size) if parts else math.ceil(len(samples) / batch_size)
    model.stop_training = False
    parallel = distributed.active()
    forward: nn.Module = network
    if parallel:
        if parts:
            distributed.check_parts(samples.count)
        else:
            distributed.check_windows(len(samples))
        forward = nn.parallel.DistributedDataParallel(
            network, device_ids=[device.index] if device.type == "cuda" else None,
            **_no_buffer_sync())
        verbose = verbose if distributed.is_main() else 0
    # a backup is written after every other callback has seen the epoch's end
    callbacks = sorted(callbacks, key=lambda cb: isinstance(cb, BackupAndRestore))
    for cb in callbacks:
        cb.set_model(model)
        cb.on_train_begin()
    for cb in callbacks:
        if isinstance(cb, BackupAndRestore):
            initial_epoch = cb.restore(callbacks, initial_epoch)

    if parallel and not distributed.is_main():  # dropout masks of its own on each rank
        torch.manual_seed(int(torch.randint(2**31 - 1, ())) + distributed.rank())
    epoch = initial_epoch
    while epoch < epochs and not model.stop_training:
        try:
            run_epoch(model, forward, samples, targets, device, epoch, epochs, batch_size,
                      steps, shuffle, validation, callbacks, verbose, parallel)
        except RuntimeError as exc:
            if parallel and not isinstance(exc, TrainingError):
                raise distributed.failed(exc) from exc
            raise
        epoch += 1

    for cb in callbacks:
        cb.on_train_end()


def _no_buffer_sync() -> dict[str, bool]:
    """DistributedDataParallel's option not to send the buffers (constant here) every step."""
    names = inspect.signature(nn.parallel.DistributedDataParallel).parameters
    return ({"forward_sync_buffers": False} if "forward_sync_buffers" in names
            else {"broadcast_buffers": False})


Plan = list[tuple[torch.Tensor, float]]  # per batch: this rank's sample positions, weight


def _shared_plan(order: torch.Tensor, batch_size: int, steps: int, parallel: bool) -> Plan:
    """Batches of one array held by every rank: each global batch of ``order`` is cut into
    one contiguous part per rank, weighted by its share of the global batch (so that
    DDP's average of the gradients is one process's step; an empty part joins with weight 0)."""
    plan = []
    for step in range(steps):
        idx = order[step * batch_size : (step + 1) * batch_size]
        weight = 1.0
        if parallel:
            part = distributed.shard(idx, distributed.rank(), distributed.world_size())
            weight = len(part) * distributed.world_size() / len(idx)
            idx = part if len(part) else idx[:1]
        plan.append((idx, weight))
    return plan


def _own_plan(n: int, batch_size: int, shuffle: bool, device: torch.device,
              parallel: bool) -> Plan:
    """Batches of a part held by this rank only: each rank takes ``batch_size / ranks``
    of its own windows per step, weighted by its share of the step's windows over all
    ranks; a rank whose part is used up joins with weight 0 until the longest is done."""
    world = distributed.world_size() if parallel else 1
    local = math.ceil(batch_size / world)
    counts = [n]
    if parallel:  # every rank's count, to agree on the steps and the weights
        mine = torch.zeros(world, dtype=torch.float64, device=device)
        mine[distributed.rank()] = n
        counts = [int(c) for c in distributed.all_sum(mine).tolist()]
    order = torch.randperm(n).to(device) if shuffle else torch.arange(n, device=device)
    plan = []
    for step in range(max(math.ceil(c / local) for c in counts)):
        idx = order[step * local : (step + 1) * local]
        total = sum(min(max(c - step * local, 0), local) for c in counts)
        weight = len(idx) * world / total
        plan.append((idx if len(idx) else torch.zeros(1, dtype=torch.long, device=device),
                     weight))
    return plan


def run_epoch(model: TrainedModel, forward: nn.Module, samples: Samples | Parts,
              targets: torch.Tensor | None, device: torch.device, epoch: int, epochs: int,
              batch_size: int, steps: int, shuffle: bool,
              validation: tuple[Samples, torch.Tensor] | None, callbacks: Sequence[Callback],
              verbose: int, parallel: bool) -> None:
    """One epoch of ``train``: the batches, then the validation and the callbacks."""
    network = model.network_
    for cb in callbacks:
        cb.on_epoch_begin(epoch)
    if verbose == 1:
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
    bar = ProgressBar(steps, stream=sys.stdout) if verbose == 1 else None
    started = time.perf_counter()
    meter = EpochMeter(model.metrics_, device, across_ranks=parallel)
    last_good = {k: v.detach().clone() for k, v in network.state_dict().items()}
    network.train()
    val_batch = max(batch_size, 1024)
    if isinstance(samples, Parts):
        mine = _mine(samples.order(epoch), parallel)
        done, held = 0, None
        for k in mine:  # one part in memory at a time; a rank out of parts joins empty
            if k is not None:
                held = None  # the previous part goes before the next is read
                held = samples.convert(*samples.arrays(int(k)))
            n = len(held[0]) if k is not None else 0
            plan = _own_plan(n, batch_size, shuffle, device, parallel)
            done = run_plan(model, forward, *held, plan, epoch, done, meter, bar,
                            callbacks, last_good, parallel)
            if model.stop_training and not parallel:
                break
        logs = meter.logs()
        if samples.validation_count:
            val_meter = EpochMeter(model.metrics_, device, "val_", across_ranks=parallel)
            for j in samples.validation_order(_mine(np.arange(samples.validation_count),
                                                    parallel, fill=False)):
                score_batches(network, *samples.convert(*samples.validation_arrays(j)),
                              model.loss_fn_, val_batch, val_meter, model.precision)
            logs.update(val_meter.logs())
    else:
        order = (torch.randperm(len(samples)).to(device) if shuffle
                 else torch.arange(len(samples), device=device))
        if parallel and shuffle:  # rank 0's order on every rank
            distributed.broadcast(order)
        run_plan(model, forward, samples, targets,
                 _shared_plan(order, batch_size, steps, parallel), epoch, 0, meter, bar,
                 callbacks, last_good, parallel)
        logs = meter.logs()
        if validation is not None:
            logs.update(run_batches(network, *validation, model.loss_fn_, model.metrics_,
                                    val_batch, prefix="val_", precision=model.precision,
                                    across_ranks=parallel))
    if bar is not None:
        bar.finish(logs)
    elif verbose == 2:
        took = time.perf_counter() - started
        print(f"Epoch {epoch + 1}/{epochs} - {took:.1f}s{format_logs(logs)}", flush=True)
    for cb in callbacks:
        cb.on_epoch_end(epoch, logs)
    if parallel:  # one decision for every rank: rank 0's
        model.stop_training = bool(distributed.broadcast_object(model.stop_training))


def _mine(order: np.ndarray, parallel: bool, fill: bool = True) -> list[int | None]:
    """This rank's parts of ``order``: parts r, r + N, ... (N ranks); ``fill``: None where
    the last round has no part for this rank (it still joins that round's steps)."""
    if not parallel:
        return [int(k) for k in order]
    rank, world = distributed.rank(), distributed.world_size()
    rounds = math.ceil(len(order) / world)
    out = [int(order[j * world + rank]) if j * world + rank < len(order) else None
           for j in range(rounds)]
    return out if fill else [k for k in out if k is not None]


def run_plan(model: TrainedModel, forward: nn.Module, samples: Samples, targets: torch.Tensor,
             plan: Plan, epoch: int, done: int, meter: EpochMeter, bar: ProgressBar | None,
             callbacks: Sequence[Callback], last_good: dict[str, torch.Tensor],
             parallel: bool) -> int:
    """The gradient steps of ``plan``; returns the steps done in the epoch so far."""
    network, optimizer = model.network_, model.optimizer_
    loss_fn, clipnorm, precision = model.loss_fn_, model.clipnorm_, model.precision
    device = targets.device
    for idx, weight in plan:
        x_batch = samples.take(idx)  # (B, T, F)
        y_batch = targets[idx]
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, precision):
            y_pred = forward(x_batch)
        y_pred = y_pred.float()  # the loss and metrics in float32 whatever the precision
        loss = loss_fn(y_batch, y_pred)
        if not torch.isfinite(loss):
            network.load_state_dict(last_good)
            raise TrainingError(
                f"The training loss became {loss.item()} in epoch {epoch + 1}, batch "
                f"{done + 1}; training stopped and the weights from the end of epoch "
                f"{epoch} were kept. Lower the learning rate, scale the inputs and "
                "targets, or set clipnorm.")
        (loss * weight if parallel else loss).backward()
        if clipnorm is not None:
            nn.utils.clip_grad_norm_(network.parameters(), clipnorm)
        optimizer.step()
        if weight:
            meter.add(loss, y_batch, y_pred)
        done += 1
        if bar is not None and bar.due():
            bar.update(min(done, bar.total), meter.logs(local=True))
        for cb in callbacks:
            cb.on_train_batch_end(done - 1)
        if model.stop_training and not parallel:  # as Keras: the epoch ends here (ranks
            break  # of a parallel run agree at its end)
    return done
