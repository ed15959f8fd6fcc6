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

from lstmcast import distributed
from lstmcast.callbacks import BackupAndRestore, Callback
from lstmcast.errors import TrainingError
from lstmcast.metrics import LossFn, Metric
from lstmcast.progress import ProgressBar, format_logs
from lstmcast.runtime import autocast, tune_allocator
from lstmcast.windows import WindowView


def _window_rows(arr: np.ndarray) -> np.ndarray | None:
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
    rows = _window_rows(arr)
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
    network.eval()
    if across_ranks:
        part = distributed.shard(torch.arange(len(samples), device=targets.device),
                                 distributed.rank(), distributed.world_size())
        samples, targets = samples.subset(part), targets[part]
    meter = EpochMeter(metrics, targets.device, prefix, across_ranks)
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(samples)),
                               device=targets.device)
            y_true = targets[idx]
            with autocast(targets.device, precision):
                y_pred = network(samples.take(idx))
            y_pred = y_pred.float()
            meter.add(loss_fn(y_true, y_pred), y_true, y_pred)
    return meter.logs()


def predict_batches(network: nn.Module, samples: Samples, batch_size: int,
                    precision: str = "float32") -> torch.Tensor:
    """The network's outputs for all samples, in inference mode, on the CPU."""
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
    model: Any,
    samples: Samples,
    targets: torch.Tensor,
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
    precision and a ``stop_training`` flag that callbacks may set.

    Under an initialised process group of several ranks (torchrun), this is
    data-parallel training with DistributedDataParallel (``lstmcast.distributed``
    says how the windows are shared and the results agreed).
    """
    network, device = model.network_, targets.device
    if device.type == "cpu":
        tune_allocator()
    n = len(samples)
    steps = steps or math.ceil(n / batch_size)
    model.stop_training = False
    parallel = distributed.active()
    forward: nn.Module = network
    if parallel:
        distributed.check_windows(n)
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
            _epoch(model, forward, samples, targets, epoch, epochs, batch_size, steps, shuffle,
                   validation, callbacks, verbose, parallel)
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


def _epoch(model: Any, forward: nn.Module, samples: Samples, targets: torch.Tensor, epoch: int,
           epochs: int, batch_size: int, steps: int, shuffle: bool,
           validation: tuple[Samples, torch.Tensor] | None, callbacks: Sequence[Callback],
           verbose: int, parallel: bool) -> None:
    """One epoch of ``train``: the batches, then the validation and the callbacks."""
    network, optimizer = model.network_, model.optimizer_
    loss_fn, metrics, clipnorm = model.loss_fn_, model.metrics_, model.clipnorm_
    precision, device, n = model.precision, targets.device, len(samples)
    for cb in callbacks:
        cb.on_epoch_begin(epoch)
    if verbose == 1:
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
    bar = ProgressBar(steps, stream=sys.stdout) if verbose == 1 else None
    started = time.perf_counter()
    order = torch.randperm(n).to(device) if shuffle else torch.arange(n, device=device)
    if parallel and shuffle:  # rank 0's order on every rank
        distributed.broadcast(order)
    meter = EpochMeter(metrics, device, across_ranks=parallel)
    last_good = {k: v.detach().clone() for k, v in network.state_dict().items()}

    network.train()
    for step in range(steps):
        idx = order[step * batch_size : (step + 1) * batch_size]
        weight = 1.0
        if parallel:  # this rank's part, weighted by its share of the global batch
            part = distributed.shard(idx, distributed.rank(), distributed.world_size())
            weight = len(part) * distributed.world_size() / len(idx)
            idx = part if len(part) else idx[:1]  # an empty part still joins, weight 0
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
                f"{step + 1}; training stopped and the weights from the end of epoch "
                f"{epoch} were kept. Lower the learning rate, scale the inputs and "
                "targets, or set clipnorm.")
        (loss * weight if parallel else loss).backward()
        if clipnorm is not None:
            nn.utils.clip_grad_norm_(network.parameters(), clipnorm)
        optimizer.step()
        if weight:
            meter.add(loss, y_batch, y_pred)
        if bar is not None and bar.due():
            bar.update(step + 1, meter.logs())
        for cb in callbacks:
            cb.on_train_batch_end(step)

    logs = meter.logs()
    if validation is not None:
        logs.update(run_batches(network, *validation, loss_fn, metrics,
                                max(batch_size, 1024), prefix="val_",
                                precision=precision, across_ranks=parallel))
    if bar is not None:
        bar.finish(logs)
    elif verbose == 2:
        took = time.perf_counter() - started
        print(f"Epoch {epoch + 1}/{epochs} - {took:.1f}s{format_logs(logs)}", flush=True)
    for cb in callbacks:
        cb.on_epoch_end(epoch, logs)
    if parallel:  # one decision for every rank: rank 0's
        model.stop_training = bool(distributed.broadcast_object(model.stop_training))
