"""Data-parallel training under ``torchrun``: PyTorch's own DistributedDataParallel.

``torchrun --nproc-per-node N -m lstmcast train ...`` starts N processes
(ranks); each reads the table, builds the same windows and the same network,
and ``lstmcast.engine.training.train`` then, every epoch:

- takes rank 0's shuffled order of the training windows (broadcast) and cuts
  each global batch of ``batch_size`` windows into N disjoint parts, one per
  rank (``shard``): the ranks' parts cover every window once per epoch;
- computes each part's loss, weighted by its share of the global batch, so
  that DistributedDataParallel's average of the ranks' gradients is exactly
  the gradient of the global batch's mean loss (what one process computes);
- sums the epoch's losses and the validation losses over the ranks (each
  scores its own part of the validation windows), so every rank sees the same
  numbers, and takes rank 0's decision to stop (early stopping, time limit).

Only rank 0 writes: checkpoints, the run folder, plots. Every rank reads the
checkpoint to resume. The backend is gloo on the CPU and NCCL on CUDA; each
CUDA rank uses the GPU of its ``LOCAL_RANK``. Collective operations time out
after ``LSTMCAST_DIST_TIMEOUT`` seconds (600 by default): a rank that hangs
stops the job then; a rank that dies stops it at once (its peers' connections
close, and torchrun ends the others).

From Python: call ``init()`` (or ``torch.distributed.init_process_group``)
in each process, then ``Forecaster.fit`` or ``Sequential.fit`` as usual, and
end each process with ``finish()``.
"""

from __future__ import annotations

import datetime
import gc
import os
from typing import NoReturn, TypeVar

import torch
import torch.distributed as dist

from lstmcast.engine.launcher import end, launched  # noqa: F401  (part of this API)
from lstmcast.errors import TrainingError

DEFAULT_TIMEOUT = 600.0


def active() -> bool:
    """Whether a process group of more than one rank is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """Rank 0, or a single process: the one that writes files and prints."""
    return rank() == 0


def timeout() -> datetime.timedelta:
    seconds = float(os.environ.get("LSTMCAST_DIST_TIMEOUT", DEFAULT_TIMEOUT))
    return datetime.timedelta(seconds=seconds)


def init(device: str | None = None) -> str | None:
    """Join the process group torchrun describes (RANK, WORLD_SIZE, MASTER_ADDR...).

    gloo on the CPU, NCCL when the device is CUDA (default: CUDA when available);
    each CUDA rank takes the GPU of its LOCAL_RANK.

    Returns:
        The device this rank should train on ("cuda:K" or "cpu"), or ``device``
        unchanged outside torchrun.
    """
    if not launched() or active():
        return device
    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    dist.init_process_group("nccl" if use_cuda else "gloo", timeout=timeout())
    return device if use_cuda else (device or "cpu")


def close() -> None:
    """Leave the process group (at the end of a command).

    Objects that still hold the group's work (a DistributedDataParallel wrapper in a
    reference cycle) are collected first, while Python is fully alive: gloo's threads
    releasing them during interpreter shutdown can abort the process (seen once in
    about 20 runs of the tests' 2-process job: SIGABRT, "terminate called without an
    active exception")."""
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def finish(code: int = 0) -> NoReturn:
    """Leave the process group and end this process with ``code``: what ``lstmcast train``
    does under torchrun, and what a script's ranks should do last. Under a launcher the
    process ends at once, its output flushed, skipping the interpreter's teardown
    (``launcher.end`` says why); alone, it raises SystemExit as ``sys.exit`` does."""
    close()
    end(code)
    raise SystemExit(code)


T = TypeVar("T")


def broadcast_object(value: T) -> T:
    """Rank 0's ``value`` on every rank (any picklable object)."""
    if not active():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def broadcast(tensor: torch.Tensor) -> torch.Tensor:
    """Rank 0's ``tensor`` on every rank (in place; returned)."""
    if active():
        dist.broadcast(tensor, src=0)
    return tensor


def shard(batch: torch.Tensor, part: int, parts: int) -> torch.Tensor:
    """Rank ``part``'s share of a global batch of window indices: a contiguous block,
    the blocks of all ranks disjoint and together the whole batch (sizes differ by at
    most one)."""
    n = len(batch)
    start, stop = part * n // parts, (part + 1) * n // parts
    return batch[start:stop]


def all_sum(values: torch.Tensor) -> torch.Tensor:
    """``values`` summed over the ranks (in place; returned)."""
    if active():
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def check_windows(n: int) -> None:
    """Every rank needs training windows: refuse more ranks than windows."""
    if active() and n < world_size():
        raise TrainingError(f"The job has {world_size()} processes but only {n} training "
                            "windows: launch at most that many (torchrun --nproc-per-node).")


def check_parts(n: int) -> None:
    """Every rank needs a part of its own (a table read in shards): refuse more ranks
    than parts."""
    if active() and n < world_size():
        raise TrainingError(f"The job has {world_size()} processes but the table has only {n} "
                            "shards with training windows, and each process reads shards of "
                            "its own: launch at most that many (torchrun --nproc-per-node), "
                            "or lower `shard_rows` to cut more shards.")


def failed(exc: BaseException) -> TrainingError:
    """The error a rank raises when a collective operation fails (a peer stopped)."""
    return TrainingError(
        f"Rank {rank()} of {world_size()}: a collective operation failed, so another process "
        f"of the job stopped or hung (timeout {timeout().total_seconds():.0f} s, "
        f"LSTMCAST_DIST_TIMEOUT). The checkpoint of the last finished epoch is kept; resume "
        f"with `lstmcast train --resume RUN` under the same torchrun command. ({exc})")
