"""How lstmcast runs fast: the memory allocator and reduced precision.

Two switches, both measured by ``benchmarks/speed.py`` (docs/benchmarks.md):

- ``tune_allocator()``: glibc's malloc hands large freed blocks straight back
  to the operating system, so every training step maps and faults in fresh
  pages for the recurrent kernels' buffers. The cost shows up as system time
  and made the same PyTorch loop run at two speeds from one process to the
  next. Raising glibc's mmap and trim thresholds keeps those blocks for reuse.
  Numerics are unchanged, so training on the CPU does it by default; set the
  environment variable ``LSTMCAST_TUNE_MALLOC=0`` to leave malloc alone, or
  set ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` yourself (then
  lstmcast leaves your values in place). The price: up to 1 GiB of freed
  memory may stay with the process instead of going back to the system.
- ``precision="bfloat16"``: the network's matrix products run in bfloat16
  under ``torch.autocast`` while the weights, the optimizer state and the loss
  stay float32 (mixed precision). Faster on CPUs with AVX512-BF16 or AMX and
  on recent GPUs, at a small cost in accuracy; float32 is the default.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import warnings
from collections.abc import Iterator

import torch

from lstmcast.checks import check_choice, check_int
from lstmcast.engine.network import cpu_has_bf16

PRECISIONS = ("float32", "bfloat16")

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_KEEP_BYTES = 1 << 30
_allocator_tuned: bool | None = None


def tune_allocator() -> bool:
    """Keep freed blocks below 1 GiB inside the process (glibc only); once per process.

    Returns whether malloc now runs with lstmcast's thresholds. Does nothing
    (and returns False) off Linux/glibc, when ``LSTMCAST_TUNE_MALLOC=0``, or
    when the user set glibc's own ``MALLOC_*_THRESHOLD_`` variables.
    """
    global _allocator_tuned
    if _allocator_tuned is not None:
        return _allocator_tuned
    _allocator_tuned = False
    user_set = any(name in os.environ
                   for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))
    if (not sys.platform.startswith("linux") or user_set
            or os.environ.get("LSTMCAST_TUNE_MALLOC", "1") == "0"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    _allocator_tuned = bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)
                            and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))
    return _allocator_tuned


def check_precision(precision: str) -> str:
    """Validate a ``precision`` argument ("float32" or "bfloat16")."""
    return check_choice("precision", precision, PRECISIONS)


def bf16_is_native(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 in hardware (AVX512-BF16/AMX, or a recent GPU)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return cpu_has_bf16()


def warn_if_emulated(precision: str, device: torch.device) -> None:
    """bfloat16 on hardware without it is emulated: slower than float32, so say so."""
    if precision == "bfloat16" and not bf16_is_native(device):
        warnings.warn(
            f"precision='bfloat16' on a {device.type} without native bfloat16 support is "
            "emulated and usually slower than float32 (on such a CPU the recurrent layers run "
            "in float32).", RuntimeWarning, stacklevel=3)


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Run the enclosed forward pass in ``precision`` (a no-op for float32)."""
    if precision == "float32":
        yield
        return
    with torch.autocast(device.type, dtype=torch.bfloat16):
        yield


def describe_device(device: str | torch.device | None = None) -> str:
    """Where training runs, in words: "cpu (2 threads)", "cuda:0 (NVIDIA H200)", and with
    several processes (torchrun) how many and over which backend."""
    from lstmcast.engine import distributed
    from lstmcast.engine.network import default_device

    where = torch.device(device) if device is not None else default_device()
    text = (f"{where} ({torch.cuda.get_device_name(where)})" if where.type == "cuda"
            else f"cpu ({torch.get_num_threads()} thread"
                 + ("s)" if torch.get_num_threads() > 1 else ")"))
    if distributed.active():
        import torch.distributed as dist

        text += (f", {distributed.world_size()} processes with DistributedDataParallel "
                 f"({dist.get_backend()})")
    return text


@contextlib.contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """torch's CPU threads set to ``count`` inside the block, as they were after it
    (None: left alone)."""
    if count is None:
        yield
        return
    count = check_int("threads", count)
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
