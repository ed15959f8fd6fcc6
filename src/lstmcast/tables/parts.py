"""Training windows that come in parts, one part in memory at a time.

A table read in shards (``lstmcast.tables.streaming``) gives its windows part by part;
the training loop (``lstmcast.engine.training``) reads them through this interface.
No torch here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lstmcast.tables.windows import WindowView

# windows as ``Sequential.fit`` takes them: the inputs (a view or an array) and targets
Arrays = tuple[WindowView | np.ndarray, np.ndarray]


class Parts:
    """Training windows that come in parts, one part in memory at a time (a table read
    in shards, ``lstmcast.tables.streaming``).

    A subclass sets ``count`` (training parts), ``validation_count`` and ``seed``, and
    gives ``part_sizes()`` (training windows per part, each at least one),
    ``arrays(k)`` (training part k's ``(x, y)`` as ``Sequential.fit`` takes them) and
    ``validation_arrays(j)``. ``bind`` gives the conversion to the model's tensors.

    Every epoch the training parts are shuffled (from ``seed`` and the epoch, the
    same on every rank); under torchrun rank r trains on parts r, r + N, ... of that
    order and scores validation parts r, r + N, ..., so the ranks read disjoint parts.
    """

    count = 0
    validation_count = 0
    seed = 0

    def part_sizes(self) -> list[int]:
        raise NotImplementedError

    def arrays(self, k: int) -> Arrays:
        raise NotImplementedError

    def validation_arrays(self, j: int) -> Arrays:
        raise NotImplementedError

    def validation_order(self, parts: list[int]) -> list[int]:
        """The order to score validation ``parts`` in (e.g. the one in memory first)."""
        return parts

    def bind(self, convert: Callable[[WindowView | np.ndarray, np.ndarray], tuple[Any, Any]]
             ) -> None:
        """``convert(x, y)`` -> (Samples, targets tensor) on the model's device (torch's
        types, which this package does not import)."""
        self.convert = convert

    def order(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(self.count)

    def steps(self, batch_size: int) -> int:
        """Batches per epoch in one process."""
        return sum(math.ceil(n / batch_size) for n in self.part_sizes())
