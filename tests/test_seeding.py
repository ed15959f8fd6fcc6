"""lstmcast.engine.seeding: one call seeds Python's, NumPy's and torch's generators."""

import os
import random

import numpy as np
import pytest
import torch

from lstmcast.engine.seeding import set_seed
from lstmcast.errors import InvalidArgumentError


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)),
            torch.randn(3).tolist())


def test_the_same_seed_gives_the_same_draws_from_every_generator(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # restored after the test
    set_seed(42)
    first = draws()
    set_seed(42)
    assert draws() == first
    assert os.environ["PYTHONHASHSEED"] == "42"
    set_seed(43)
    other = draws()
    assert all(a != b for a, b in zip(first, other))  # each generator was reseeded


def test_the_draws_are_those_of_each_library_s_own_seed(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    set_seed(7)
    got = draws()
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    assert got == draws()


def test_a_seed_past_numpy_s_range_still_seeds(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    set_seed(2**32 + 5)
    value = float(np.random.rand())
    np.random.seed(5)
    assert float(np.random.rand()) == value


@pytest.mark.parametrize(("seed", "message"), [
    (-1, "Received an invalid value for argument `seed`, expected an integer >= 0, got -1."),
    (1.5, "Received an invalid value for argument `seed`, expected an integer >= 0, got 1.5."),
])
def test_a_bad_seed_is_refused(seed, message):
    with pytest.raises(InvalidArgumentError) as info:
        set_seed(seed)
    assert str(info.value) == message
