"""One call to make runs repeatable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from lstmcast.checks import check_int


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python's, NumPy's and torch's random generators (all devices).

    Weight initialization, shuffling and dropout masks all draw from them, so
    two runs on the CPU with the same seed, data and config give bit-identical
    weights (tested). On a GPU, cuDNN and cuBLAS may pick kernels whose sums
    run in a varying order, so results can differ in the last bits from run to
    run; ``deterministic=True`` forbids such kernels (an operation without a
    deterministic one then raises) at some cost in speed.

    Args:
        seed: a non-negative integer.
        deterministic: also make torch use deterministic algorithms only.
    """
    seed = check_int("seed", seed, minimum=0)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
