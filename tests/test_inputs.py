"""lstmcast.models.inputs: what a Sequential checks before it trains, predicts or evaluates;
each refusal one line naming the array and, for NaN and inf, where the first one is."""

import numpy as np
import pytest
import torch

from lstmcast.errors import InvalidArgumentError, InvalidTypeError
from lstmcast.layers import LSTM, Dense
from lstmcast.models import Sequential
from lstmcast.models.inputs import check_finite, check_samples, check_targets
from lstmcast.tables.windows import WindowView, window_view


def message(call, *args, **kwargs):
    with pytest.raises(InvalidArgumentError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_samples_name_their_sample_time_step_and_feature():
    x = np.zeros((4, 5, 2))
    x[1, 2, 0] = np.nan
    x[2, 0, 0] = np.nan
    x[3, 4, 1] = np.inf
    x[3, 0, 1] = -np.inf
    assert message(check_finite, "x", x) == (
        "`x` holds 2 NaN values (first at sample 1, time step 2, feature 0) and 2 infinite "
        "values (first at sample 3, time step 0, feature 1); the network cannot compute with "
        "them: fill or drop them before training.")


def test_targets_name_their_sample_and_output():
    y = np.zeros((6, 3), dtype=np.float32)
    y[4, 2] = np.inf
    assert message(check_finite, "y", y, "evaluating", target=True) == (
        "`y` holds 1 infinite value (first at sample 4, output 2); the network cannot compute "
        "with them: fill or drop them before evaluating.")
    steps = np.zeros((2, 3, 4))  # (samples, time steps, outputs)
    steps[1, 2, 3] = np.nan
    assert "(first at sample 1, time step 2, output 3)" in message(
        check_finite, "y", steps, "predicting", target=True)
    flat = np.zeros(5)
    flat[3] = np.nan
    assert "1 NaN value (first at sample 3);" in message(check_finite, "y", flat, target=True)


def test_windows_name_the_row_they_are_cut_from_once():
    values = np.zeros((20, 2))
    values[7, 1] = np.nan  # in five windows of 5 rows, one value of the table
    windows = window_view(values, 5)
    expected = ("`x` holds 1 NaN value (first at row 7, feature 1 of the rows the windows are "
                "cut from); the network cannot compute with them: fill or drop them before "
                "predicting.")
    assert message(check_finite, "x", windows, "predicting") == expected
    view = WindowView(windows, np.array([0, 2, 9]))  # some windows of the rows
    assert message(check_finite, "x", view, "predicting") == expected


def test_tensors_and_the_position_past_the_first_block():
    x = torch.zeros(2, 3, 1)
    x[1, 1, 0] = float("nan")
    assert "(first at sample 1, time step 1, feature 0)" in message(check_finite, "x", x)
    rows = 3_000_000  # more values than one block: the position counts from the block's start
    big = np.zeros((rows, 2), dtype=np.float32)
    big[2_500_001, 1] = np.nan
    assert "(first at sample 2500001, output 1)" in message(check_finite, "y", big, target=True)


def test_finite_values_and_integers_pass():
    assert check_finite("x", np.ones((3, 4, 2))) is None
    assert check_finite("x", np.arange(24).reshape(2, 3, 4)) is None


def model():
    return Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)], device="cpu")


def test_check_samples_refusals():
    m = model()
    assert message(check_samples, m, np.zeros((3, 5))) == (
        "`x` must be 3-D (batch, time_steps, features), got an array of shape (3, 5). For one "
        "feature, add an axis: x[..., None].")
    assert message(check_samples, m, np.zeros((0, 5, 2))) == "`x` holds no samples (shape (0, " \
                                                            "5, 2))."
    assert message(check_samples, m, np.zeros((3, 6, 2)), "x_val") == (
        "`x_val` has 6 time steps per sample, but the model expects input_shape (5, 2): got an "
        "array of shape (3, 6, 2).")
    assert message(check_samples, m, np.zeros((3, 5, 2), dtype=bool)) == (
        "`x` must be numeric, got dtype bool.")
    with pytest.raises(InvalidTypeError, match=r"^`x` must be a NumPy array of shape \(batch, "
                                               r"time_steps, features\), got str\.$"):
        check_samples(m, "data")


def test_check_targets_refusals():
    m = model()
    assert message(check_targets, m, np.zeros(4), 3) == (
        "`y` must have one target per sample (3), got shape (4,).")
    assert message(check_targets, m, np.zeros((3, 2)), 3) == (
        "`y` has shape (3, 2), but the model outputs (None, 1) per batch.")
    assert message(check_targets, m, np.array(["a", "b"]), 2) == (
        "`y` must be numeric, got dtype <U1.")
    target = check_targets(m, [1.0, 2.0, 3.0], 3)
    assert target.shape == (3, 1) and target.dtype == torch.float32
