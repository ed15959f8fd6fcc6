"""One call to make runs repeatable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from lstmcast.checks import check_int


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random generators (all devices).

    Weight initialization, shuffling and dropout masks all draw from them, so
    two runs on the CPU with the same seed, data and config give identical
    weights. On a GPU, cuDNN may still choose non-deterministic kernels; call
    ``torch.use_deterministic_algorithms(True)`` to forbid them.

    Args:
        seed: a non-negative integer.
    """
    seed = check_int("seed", seed, minimum=0)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
