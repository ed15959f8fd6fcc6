"""lstmcast.layers.registry: layers rebuilt by name, and a network's memory from its shapes,
against a count of the weights by hand and torch's own modules."""

import pytest
import torch

from lstmcast.errors import InvalidArgumentError
from lstmcast.layers import GRU, LSTM, Dense, Dropout
from lstmcast.layers.registry import check_memory, layer_from_config, memory_estimate
from lstmcast.models import Sequential


def test_an_lstm_s_weights_counted_by_hand_and_by_torch():
    # an LSTM of 4 units over 3 features: 4 gates, each with input weights (3 x 4), recurrent
    # weights (4 x 4) and one bias (4), as Keras: torch's second bias (4 more per gate) is
    # kept as a zero buffer, not trained
    by_hand = 4 * (3 * 4 + 4 * 4 + 4)
    assert by_hand == 128
    assert by_hand + 4 * 4 == sum(p.numel() for p in torch.nn.LSTM(3, 4).parameters())
    model = Sequential([LSTM(4, input_shape=(10, 3)), Dense(1)], device="cpu")
    model.build((10, 3))
    assert model.count_params() == by_hand + (4 * 1 + 1)
    estimate = memory_estimate([LSTM(4), Dense(1)], (10, 3), batch_size=32)
    assert estimate["params"] == by_hand + (4 * 1 + 1)
    # activations: 10 steps x 4 units x (4 gates + cell + hidden) per sample
    assert estimate["bytes"] == 4 * (4 * 133 + 32 * (10 * 4 * 6))


def test_a_gru_has_three_gates():
    assert memory_estimate([GRU(4)], (10, 3), 1)["params"] == sum(
        p.numel() for p in torch.nn.GRU(3, 4).parameters())


def test_a_stack_passes_each_layer_s_output_shape_on():
    layers = [LSTM(8, return_sequences=True), Dropout(0.2), LSTM(4), Dense(2)]
    estimate = memory_estimate(layers, (10, 3), batch_size=16)
    lstm1, lstm2 = 4 * (3 * 8 + 8 * 8 + 8), 4 * (8 * 4 + 4 * 4 + 4)  # 8 inputs to the second
    assert estimate["params"] == lstm1 + lstm2 + (4 * 2 + 2)
    assert estimate["bytes"] == 4 * (4 * estimate["params"] + 16 * (10 * 8 * 6 + 10 * 4 * 6))


def test_check_memory_refuses_a_network_larger_than_the_machine():
    estimate = check_memory([LSTM(8), Dense(1)], (10, 3), batch_size=4)
    assert estimate == memory_estimate([LSTM(8), Dense(1)], (10, 3), batch_size=4)
    units = 400_000  # about 6.4e11 weights: terabytes, nothing allocated
    with pytest.raises(InvalidArgumentError) as info:
        check_memory([LSTM(units)], (10, 3), batch_size=1, what="`units` (400000)")
    weights = 4 * (3 * units + units * units + units)
    assert str(info.value).startswith(f"This network has about {weights:,} weights and "
                                      "training it needs about ")
    assert str(info.value).endswith("of memory (nothing was allocated); lower `units` (400000).")


def test_layers_are_rebuilt_from_their_name_and_config():
    layer = LSTM(5, return_sequences=True)
    again = layer_from_config("LSTM", layer.get_config())
    assert type(again) is LSTM and again.get_config() == layer.get_config()
    with pytest.raises(InvalidArgumentError, match=r"^Unknown layer type 'Conv1D'; known: "
                                                   r"Input, LSTM, GRU, Dense, "):
        layer_from_config("Conv1D", {})
