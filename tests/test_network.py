"""lstmcast.engine.network: the torch blocks built from layer specs, and the Network chaining them.

References, all independent of the module:

- RecurrentBlock (LSTM) against an LSTM written here in NumPy (gates i, f, g, o in PyTorch's
  row order; one bias, as Keras) and against ``torch.nn.LSTM`` with the weights copied and
  its second bias zero; the GRU against ``torch.nn.GRU`` with the weights copied and a
  NumPy GRU (PyTorch's reset-after form). Tolerance: atol 1e-5 in float32 (NumPy runs in
  float64), atol 1e-6 between two torch kernels.
- DenseBlock and the activations against NumPy formulas (atol 1e-6).
- The long-horizon blocks (instance norm, channel split and merge) against NumPy on the
  same arrays (atol 1e-5); SegmentRecurrentBlock against its documented recipe run with a
  separate ``nn.LSTM`` holding the same weights.

Nothing here trains.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from lstmcast.engine.network import (
    ACTIVATIONS,
    ChannelMergeBlock,
    ChannelSplitBlock,
    CropBlock,
    DenseBlock,
    DropoutBlock,
    FutureInputsBlock,
    InstanceDenormBlock,
    InstanceNormBlock,
    Network,
    RecurrentBlock,
    SegmentRecurrentBlock,
    default_device,
)

ATOL_NUMPY = 1e-5  # float32 torch against float64 NumPy
ATOL_TORCH = 1e-6  # two torch kernels on the same float32 numbers


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_lstm(x, w_ih, w_hh, bias):
    """A one-layer LSTM: x (N, T, F) -> h for every step (N, T, H); rows i, f, g, o."""
    n, steps, _ = x.shape
    units = w_hh.shape[1]
    h = np.zeros((n, units))
    c = np.zeros((n, units))
    out = []
    for t in range(steps):
        z = x[:, t] @ w_ih.T + h @ w_hh.T + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def numpy_gru(x, w_ih, w_hh, b_ih, b_hh):
    """A one-layer GRU as PyTorch defines it (rows r, z, n; reset applied after w_hh)."""
    n, steps, _ = x.shape
    units = w_hh.shape[1]
    h = np.zeros((n, units))
    out = []
    for t in range(steps):
        gi = x[:, t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :units] + gh[:, :units])
        z = sigmoid(gi[:, units:2 * units] + gh[:, units:2 * units])
        cand = np.tanh(gi[:, 2 * units:] + r * gh[:, 2 * units:])
        h = (1 - z) * cand + z * h
        out.append(h)
    return np.stack(out, axis=1)


def torch_lstm_like(rnn, features, units):
    """A plain ``nn.LSTM`` holding ``rnn``'s weights and its one bias (the second zero)."""
    reference = nn.LSTM(features, units, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(rnn.weight_ih_l0)
        reference.weight_hh_l0.copy_(rnn.weight_hh_l0)
        reference.bias_ih_l0.copy_(rnn.bias_ih_l0)
        reference.bias_hh_l0.zero_()
    return reference


def params(block):
    return {k: v.detach().double().numpy() for k, v in block.named_parameters()}


@pytest.fixture
def x():
    torch.manual_seed(0)
    return torch.randn(5, 7, 3)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_lstm_block_matches_a_numpy_lstm_with_one_bias(x, return_sequences):
    torch.manual_seed(1)
    block = RecurrentBlock("LSTM", 3, 4, return_sequences).eval()
    with torch.no_grad():  # a bias that matters, so that a dropped or doubled one shows
        block.rnn.bias_ih_l0.uniform_(-1, 1)
    p = params(block)
    want = numpy_lstm(x.double().numpy(), p["rnn.weight_ih_l0"], p["rnn.weight_hh_l0"],
                      p["rnn.bias_ih_l0"])
    with torch.no_grad():
        got = block(x).numpy()
    if not return_sequences:
        want = want[:, -1]
    assert got.shape == want.shape == ((5, 7, 4) if return_sequences else (5, 4))
    np.testing.assert_allclose(got, want, atol=ATOL_NUMPY)


def test_lstm_block_has_kerass_parameters_and_matches_torch_lstm_with_a_zero_second_bias(x):
    torch.manual_seed(2)
    block = RecurrentBlock("LSTM", 3, 4, True).eval()
    features, units = 3, 4
    assert sum(p.numel() for p in block.parameters()) == 4 * units * (features + units + 1)
    assert "rnn.bias_hh_l0" not in dict(block.named_parameters())
    assert "rnn.bias_hh_l0" not in block.state_dict()  # not saved: it is always zero
    reference = torch_lstm_like(block.rnn, features, units)
    with torch.no_grad():
        want, _ = reference(x)
        got = block(x)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=ATOL_TORCH)


def test_lstm_block_gradients_reach_every_parameter(x):
    block = RecurrentBlock("LSTM", 3, 4, False)
    block(x).sum().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("return_sequences", [True, False])
def test_gru_block_matches_torch_gru_and_a_numpy_gru(x, return_sequences):
    torch.manual_seed(3)
    block = RecurrentBlock("GRU", 3, 4, return_sequences).eval()
    assert sum(p.numel() for p in block.parameters()) == 3 * 4 * (3 + 4 + 2)
    reference = nn.GRU(3, 4, batch_first=True)
    reference.load_state_dict(block.rnn.state_dict())
    p = params(block)
    want_np = numpy_gru(x.double().numpy(), p["rnn.weight_ih_l0"], p["rnn.weight_hh_l0"],
                        p["rnn.bias_ih_l0"], p["rnn.bias_hh_l0"])
    with torch.no_grad():
        want, _ = reference(x)
        got = block(x).numpy()
    if not return_sequences:
        want, want_np = want[:, -1], want_np[:, -1]
    np.testing.assert_allclose(got, want.numpy(), atol=ATOL_TORCH)
    np.testing.assert_allclose(got, want_np, atol=ATOL_NUMPY)


NUMPY_ACTIVATIONS = {
    "linear": lambda v: v,
    "relu": lambda v: np.maximum(v, 0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "softmax": lambda v: np.exp(v) / np.exp(v).sum(axis=-1, keepdims=True),
    "elu": lambda v: np.where(v > 0, v, np.expm1(v)),
    "selu": lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * np.expm1(v)),
    "softplus": lambda v: np.log1p(np.exp(v)),
    "swish": lambda v: v * sigmoid(v),
    # the exact GELU, x * Phi(x), with Phi from the error function
    "gelu": lambda v: v * 0.5 * (1 + np.vectorize(math.erf)(v / np.sqrt(2))),
}


def test_every_activation_has_a_numpy_reference():
    assert set(ACTIVATIONS) == set(NUMPY_ACTIVATIONS)


@pytest.mark.parametrize("activation", sorted(NUMPY_ACTIVATIONS))
def test_dense_block_is_x_w_plus_b_then_the_activation(activation):
    torch.manual_seed(4)
    block = DenseBlock(3, 5, activation)
    w = block.linear.weight.detach().double().numpy()
    b = block.linear.bias.detach().double().numpy()
    for shape in [(6, 3), (2, 4, 3)]:  # (N, F), and every step of (N, T, F)
        x = torch.randn(*shape)
        with torch.no_grad():
            got = block(x).numpy()
        want = NUMPY_ACTIVATIONS[activation](x.double().numpy() @ w.T + b)
        assert got.shape == shape[:-1] + (5,)
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_dropout_is_the_identity_in_inference_and_with_rate_zero():
    x = torch.randn(50, 20)
    assert torch.equal(DropoutBlock(0.5).eval()(x), x)
    assert torch.equal(DropoutBlock(0.0).train()(x), x)
    assert "rate=0.25" in repr(DropoutBlock(0.25))


def test_dropout_in_training_zeroes_about_rate_and_scales_the_rest():
    torch.manual_seed(5)
    x = torch.rand(200, 500) + 1.0  # no zeros of its own
    rate = 0.3
    out = DropoutBlock(rate).train()(x)
    kept = out != 0
    torch.testing.assert_close(out[kept], x[kept] / (1 - rate), rtol=1e-6, atol=0)
    # 100 000 Bernoulli draws: the dropped share's standard error is 0.0014; 5 of them
    assert abs((~kept).float().mean().item() - rate) < 0.007
    # and the expectation is kept: the mean of the output is the mean of the input
    assert abs(out.mean().item() - x.mean().item()) < 0.02


def test_crop_drops_steps_from_both_ends():
    x = torch.arange(2 * 9 * 1, dtype=torch.float32).reshape(2, 9, 1)
    out = CropBlock(2, 3)(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, 2:6])
    assert torch.equal(CropBlock(0, 0)(x), x)


def test_future_inputs_appends_the_known_columns_of_the_forecast_rows():
    model_input = torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)
    h = torch.full((2, 4), -1.0)
    out = FutureInputsBlock(steps=2, columns=[2, 0])(h, model_input)
    mi = model_input.numpy()
    # per sample: its own values, then the last 2 rows' columns 2 and 0, row by row
    want = np.concatenate([h.numpy(), mi[:, -2:][:, :, [2, 0]].reshape(2, -1)], axis=1)
    np.testing.assert_array_equal(out.numpy(), want)


def test_network_chains_the_blocks_and_gives_a_future_block_the_models_input():
    torch.manual_seed(6)
    lstm = RecurrentBlock("LSTM", 3, 4, False)
    future = FutureInputsBlock(steps=1, columns=[1])
    dense = DenseBlock(5, 2, "linear")
    net = Network([lstm, future, dense]).eval()
    x = torch.randn(4, 6, 3)
    with torch.no_grad():
        want = dense(torch.cat([lstm(x), x[:, -1:, 1]], dim=1))
        got = net(x)
    assert got.shape == (4, 2)
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_default_device_is_cuda_only_when_there_is_one():
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("kind", ["mean", "last"])
def test_instance_norm_and_denorm_use_the_windows_own_statistics(kind):
    torch.manual_seed(7)
    x = torch.randn(3, 10, 4) * 5 + 2
    columns, window = [0, 2], 8  # the first 8 rows are the window, 2 forecast rows after
    out = InstanceNormBlock(columns, window, kind)(x).numpy()
    xs = x.double().numpy()
    values = xs[:, :window][:, :, columns]
    if kind == "mean":
        level = values.mean(axis=1, keepdims=True)
        spread = values.std(axis=1, keepdims=True) + 1e-5  # the documented small addition
    else:
        level, spread = values[:, -1:], np.ones_like(values[:, -1:])
    want = xs.copy()
    want[:, :, columns] = (xs[:, :, columns] - level) / spread
    np.testing.assert_allclose(out, want, atol=ATOL_NUMPY)
    # the other columns pass untouched
    np.testing.assert_array_equal(out[:, :, [1, 3]], x.numpy()[:, :, [1, 3]])
    # denorm: forecasts (N, S * K), step-major, mapped back with the same statistics
    forecast = torch.randn(3, 2 * 2)
    back = InstanceDenormBlock(columns, window, kind)(forecast, x).numpy()
    steps = forecast.double().numpy().reshape(3, 2, 2)
    np.testing.assert_allclose(back, (steps * spread + level).reshape(3, -1), atol=ATOL_NUMPY)


def test_channel_split_gives_each_channel_its_row_and_merge_puts_them_back():
    x = torch.randn(2, 5, 4)
    split = ChannelSplitBlock(columns=[0, 3], others=[1])(x).numpy()
    xs = x.numpy()
    assert split.shape == (2 * 2, 5, 1 + 1 + 2)
    for n in range(2):
        for k, column in enumerate([0, 3]):
            row = split[n * 2 + k]
            np.testing.assert_array_equal(row[:, 0], xs[n, :, column])  # its own values
            np.testing.assert_array_equal(row[:, 1], xs[n, :, 1])  # the shared input
            np.testing.assert_array_equal(row[:, 2:], np.tile(np.eye(2)[k], (5, 1)))  # one-hot
    alone = ChannelSplitBlock(columns=[1, 2], others=[])(x).numpy()
    assert alone.shape == (4, 5, 1 + 2)
    # merge: (N * K, S) -> (N, S * K), step-major: sample n's step s of channel k at s*K + k
    per_channel = torch.arange(4 * 3, dtype=torch.float32).reshape(4, 3)  # N=2, K=2, S=3
    merged = ChannelMergeBlock(2)(per_channel).numpy()
    pc = per_channel.numpy()
    want = np.stack([np.stack([pc[n * 2 + k] for k in range(2)], axis=1).ravel()
                     for n in range(2)])
    np.testing.assert_array_equal(merged, want)


@pytest.mark.parametrize("linear_length", [None, 8])
def test_segment_recurrence_follows_its_documented_recipe(linear_length):
    torch.manual_seed(8)
    n, length, features, units, segment, steps, outputs = 3, 8, 2, 5, 4, 6, 2
    block = SegmentRecurrentBlock("LSTM", features, units, segment, steps, outputs, 0.0,
                                  linear_length).eval()
    with torch.no_grad():
        block.position.normal_()
    x = torch.randn(n, length, features)
    with torch.no_grad():
        got = block(x)
    # the recipe, step by step, with a plain nn.LSTM holding the same weights
    rnn = torch_lstm_like(block.rnn, units, units)
    with torch.no_grad():
        segs = x.reshape(n, length // segment, segment * features)
        _, (h, c) = rnn(torch.relu(block.embed(segs)))
        out_segments = -(-steps // segment)
        rows = []
        for i in range(n):
            per = []
            for m in range(out_segments):  # each output segment from the encoder's state
                step, _ = rnn(block.position[m].reshape(1, 1, units),
                              (h[:, i : i + 1], c[:, i : i + 1]))
                per.append(block.head(step[0, 0]).reshape(segment, outputs))
            rows.append(torch.cat(per)[:steps].reshape(-1))
        want = torch.stack(rows)
        if linear_length is not None:
            want = want + block.linear(x.reshape(n, -1))
    assert got.shape == (n, steps * outputs)
    torch.testing.assert_close(got, want, rtol=0, atol=ATOL_TORCH)
    assert sum(p.numel() for p in block.rnn.parameters()) == 4 * units * (2 * units + 1)
