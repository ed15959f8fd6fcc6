"""lstmcast.tables.parts: the interface of windows that come in parts (no torch)."""

import subprocess
import sys

import numpy as np
import pytest

from lstmcast.tables.parts import Parts


class ThreeParts(Parts):
    count = 3
    validation_count = 1
    seed = 11

    def part_sizes(self):
        return [5, 64, 1]

    def arrays(self, k):
        return np.full((self.part_sizes()[k], 2, 1), k), np.zeros(self.part_sizes()[k])

    def validation_arrays(self, j):
        return np.ones((2, 2, 1)), np.ones(2)


def test_steps_count_the_batches_of_every_part():
    parts = ThreeParts()
    assert parts.steps(64) == 1 + 1 + 1
    assert parts.steps(4) == 2 + 16 + 1
    assert parts.steps(1) == 70


def test_order_is_a_permutation_fixed_by_seed_and_epoch():
    parts = ThreeParts()
    first = parts.order(0)
    assert sorted(first.tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(first, ThreeParts().order(0))  # the same on every rank
    np.testing.assert_array_equal(first, np.random.default_rng([11, 0]).permutation(3))
    orders = {tuple(parts.order(epoch)) for epoch in range(20)}
    assert len(orders) > 1  # shuffled again each epoch


def test_bind_and_the_defaults():
    parts = ThreeParts()
    calls = []
    parts.bind(lambda x, y: calls.append((x.shape, y.shape)))
    parts.convert(*parts.arrays(1))
    assert calls == [((64, 2, 1), (64,))]
    assert parts.validation_order([2, 0, 1]) == [2, 0, 1]


def test_the_base_class_asks_for_its_parts():
    base = Parts()
    for call in (base.part_sizes, lambda: base.arrays(0), lambda: base.validation_arrays(0)):
        with pytest.raises(NotImplementedError):
            call()


def test_parts_load_no_torch():
    code = "import sys, lstmcast.tables.parts; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
