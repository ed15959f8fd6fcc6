"""The engine (fused torch kernels) against the tutorial's equations in NumPy (float64)."""

import numpy as np
import pytest
import torch

from lstmcast import reference
from lstmcast.layers import GRU, LSTM, Dense
from lstmcast.models import Sequential

TOL = 1e-5  # float64, as the issue states


def engine_output(model, x):
    network = model.network_.double()
    with torch.no_grad():
        return network.eval()(torch.from_numpy(x)).numpy()


def stack_of(model):
    return [(type(layer).__name__, layer.get_config(), layer.get_weights())
            for layer in model.layers]


def randomize(model, rng):
    """Replace the initial weights (orthogonal, zero biases) with generic values."""
    model.set_weights([rng.normal(scale=0.4, size=w.shape) for w in model.get_weights()])


@pytest.mark.parametrize("cell", [LSTM, GRU])
@pytest.mark.parametrize("n_layers", [1, 2])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_engine_matches_the_equations(cell, n_layers, return_sequences, rng):
    layers = [cell(6, input_shape=(7, 3), return_sequences=True)] if n_layers == 2 else []
    first = {"input_shape": (7, 3)} if n_layers == 1 else {}
    layers.append(cell(4, return_sequences=return_sequences, **first))
    model = Sequential(layers, device="cpu")
    model.build()
    randomize(model, rng)
    x = rng.normal(size=(5, 7, 3))
    want, traces = reference.forward_stack(stack_of(model), x)
    got = engine_output(model, x)
    assert got.shape == want.shape == ((5, 7, 4) if return_sequences else (5, 4))
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    assert all(t is not None for t in traces)


def test_lstm_trace_holds_the_tutorial_quantities(rng):
    model = Sequential([LSTM(3, input_shape=(4, 2), return_sequences=True)], device="cpu")
    model.build()
    randomize(model, rng)
    trace = reference.lstm_forward(rng.normal(size=(2, 4, 2)), *model.layers[0].get_weights())
    for gate in ("forget", "input", "output"):
        assert trace[gate].min() >= 0 and trace[gate].max() <= 1  # sigmoid gates (T1)
    assert np.abs(trace["candidate"]).max() <= 1  # tanh
    # T3 holds step by step
    c_prev = np.concatenate([np.zeros((2, 1, 3)), trace["cell"][:, :-1]], axis=1)
    np.testing.assert_allclose(
        trace["cell"], trace["forget"] * c_prev + trace["input"] * trace["candidate"])
    np.testing.assert_allclose(trace["hidden"], trace["output"] * np.tanh(trace["cell"]))


def test_lstm_by_hand_for_one_step():
    """One unit, one input, one step, computed on paper."""
    kernel = np.array([[0.5, -1.0, 2.0, 0.25]])  # i, f, c, o
    recurrent = np.zeros((1, 4))
    bias = np.array([0.0, 1.0, 0.0, 0.0])
    trace = reference.lstm_forward(np.array([[[1.0]]]), kernel, recurrent, bias)
    i = 1 / (1 + np.exp(-0.5))
    c = i * np.tanh(2.0)
    h = 1 / (1 + np.exp(-0.25)) * np.tanh(c)
    assert trace["cell"][0, 0, 0] == pytest.approx(c, abs=1e-12)
    assert trace["hidden"][0, 0, 0] == pytest.approx(h, abs=1e-12)


def test_dense_on_sequences_in_the_reference_and_engine(rng):
    model = Sequential([LSTM(4, input_shape=(5, 2), return_sequences=True),
                        Dense(3, activation="tanh")], device="cpu")
    model.build()
    randomize(model, rng)
    x = rng.normal(size=(3, 5, 2))
    want, _ = reference.forward_stack(stack_of(model), x)
    np.testing.assert_allclose(engine_output(model, x), want, atol=TOL, rtol=0)
