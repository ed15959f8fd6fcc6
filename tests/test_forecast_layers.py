"""The long-horizon layers: against the NumPy reference, by hand, and inside a Forecaster."""

import numpy as np
import pandas as pd
import pytest
import torch

from lstmcast import Forecaster, reference
from lstmcast.layers import (
    ChannelMerge,
    ChannelSplit,
    Dense,
    InstanceDenorm,
    InstanceNorm,
    SegmentLSTM,
    layer_from_config,
)
from lstmcast.models import Sequential


def long_horizon_net(cell="lstm", kind="last", length=48, steps=12, channels=3, extra=1,
                     linear=False):
    """The preset's network on `channels` targets and `extra` shared inputs."""
    cols = list(range(extra, extra + channels))
    return Sequential([InstanceNorm(cols, length, kind, input_shape=(length, extra + channels)),
                       ChannelSplit(cols),
                       SegmentLSTM(16, 12, steps, cell=cell, dropout=0.3, linear=linear),
                       ChannelMerge(channels),
                       InstanceDenorm(cols, length, kind)], device="cpu")


@pytest.mark.parametrize("cell, kind, linear", [("lstm", "last", False), ("gru", "last", False),
                                                ("lstm", "mean", False), ("gru", "mean", False),
                                                ("lstm", "last", True), ("gru", "mean", True)])
def test_the_network_matches_the_numpy_reference_in_float64(cell, kind, linear, rng):
    model = long_horizon_net(cell, kind, linear=linear)
    model.build()
    if linear:  # it starts at zero: give it values that show
        model.set_weights([rng.normal(scale=0.3, size=w.shape) for w in model.get_weights()])
    x = rng.normal(size=(5, 48, 4))
    stack = [(type(layer).__name__, layer.get_config(), layer.get_weights())
             for layer in model.layers]
    want, traces = reference.forward_stack(stack, x)
    net = model.network_.double().eval()
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)
    segment_trace = traces[2]
    assert segment_trace["hidden"].shape == (5 * 3, 48 // 12, 16)  # channels x samples, segments


def test_segment_lstm_counts_and_layout_by_hand():
    d, w, features, steps, outputs = 16, 12, 5, 30, 2
    layer = SegmentLSTM(d, w, steps, outputs=outputs)
    model = Sequential([layer], device="cpu")
    model.build((48, features))
    m = -(-steps // w)  # 3 output segments for 30 steps
    expected = [(w * features, d), (d,), (d, 4 * d), (d, 4 * d), (4 * d,), (m, d),
                (d, w * outputs), (w * outputs,)]
    assert [a.shape for a in layer.get_weights()] == expected
    assert model.count_params() == sum(int(np.prod(s)) for s in expected)
    # estimated from the shapes before building (inspect's and the memory check's count)
    fresh = SegmentLSTM(d, w, steps, outputs=outputs)
    assert fresh.estimate_params((48, features)) == sum(int(np.prod(s)) for s in expected)
    assert fresh.estimate_activations((48, features)) > 0 and not fresh.built
    linear = SegmentLSTM(d, w, steps, outputs=outputs, linear=True)
    built = Sequential([linear], device="cpu")
    built.build((48, features))
    assert SegmentLSTM(d, w, steps, outputs=outputs, linear=True).estimate_params(
        (48, features)) == built.count_params()
    assert layer.output_shape == (steps * outputs,)
    weights = [np.full(s, 0.25 * k, dtype=np.float32) for k, s in enumerate(expected)]
    layer.set_weights(weights)
    for got, want in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    again = layer_from_config("SegmentLSTM", layer.get_config())
    assert again.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="must be a multiple of the segment"):
        Sequential([SegmentLSTM(8, 7, 4)], device="cpu").build((48, 1))


def test_the_linear_map_adds_two_arrays_starting_at_zero():
    plain, linear = SegmentLSTM(8, 12, 6), SegmentLSTM(8, 12, 6, outputs=2, linear=True)
    for layer in (plain, linear):
        Sequential([layer], device="cpu").build((24, 3))
    assert len(linear.get_weights()) == len(plain.get_weights()) + 2
    kernel, bias = linear.get_weights()[-2:]
    assert kernel.shape == (24 * 3, 6 * 2) and bias.shape == (12,)
    assert not kernel.any() and not bias.any()
    with pytest.raises(ValueError, match="set `segment` too"):
        Forecaster(linear=True).check_params()


def test_last_value_normalization_makes_forecasts_move_with_the_level(rng):
    model = long_horizon_net(channels=2, extra=0)
    model.build()
    x = rng.normal(size=(4, 48, 2)).astype(np.float32)
    base = model.predict(x)
    shifted = model.predict(x + np.array([3.0, -7.0], dtype=np.float32))
    shift = np.tile([3.0, -7.0], 12)  # step-major: (step, channel)
    np.testing.assert_allclose(shifted - base, np.broadcast_to(shift, base.shape), atol=1e-4)


def test_channels_are_forecast_independently(rng):
    model = long_horizon_net(channels=3, extra=0)
    model.build()
    x = rng.normal(size=(2, 48, 3)).astype(np.float32)
    base = model.predict(x).reshape(2, 12, 3)
    x2 = x.copy()
    x2[:, :, 2] += rng.normal(size=(2, 48)).astype(np.float32)  # another channel's past
    moved = model.predict(x2).reshape(2, 12, 3)
    np.testing.assert_array_equal(moved[:, :, :2], base[:, :, :2])
    assert not np.allclose(moved[:, :, 2], base[:, :, 2])


def test_summary_shows_the_shapes_and_a_dense_stack_still_builds():
    model = long_horizon_net()
    model.build()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 48, 4)" in text and "(None, 48, 5)" in text  # 1 own + 1 shared + 3 codes
    assert "(None, 12)" in text and "(None, 36)" in text  # per channel, then 3 channels
    plain = Sequential([InstanceNorm([0], 10, input_shape=(10, 1)), ChannelSplit([0])],
                       device="cpu")
    plain.add(Dense(2))
    plain.build()
    assert plain.layers[-1].output_shape == (10, 2)


def channels(n=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame({f"c{j}": 5 * j + np.sin(2 * np.pi * t / 24 + j) + 0.1 * rng.normal(
        size=n) for j in range(k)})


def test_the_preset_trains_saves_and_explains(tmp_path):
    df = channels()
    f = Forecaster.preset("long-horizon", window=48, steps=24, epochs=2, segment=12,
                          units=(16,))
    f.fit(df, target=["c0", "c1", "c2"], features=[])
    assert [type(x).__name__ for x in f.model_.layers] == [
        "InstanceNorm", "ChannelSplit", "SegmentLSTM", "ChannelMerge", "InstanceDenorm"]
    out = f.predict(df)
    assert out.shape == (24, 4) and np.isfinite(out[["c0", "c1", "c2"]]).all().all()
    f.save(tmp_path / "p.lstmcast")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "p.lstmcast").predict(df), out)
    expl = f.explain(df)
    assert expl.reference_gap < 1e-5
    gates = expl.layers[0]
    assert gates.rows_per_step == 12 and len(gates.labels) == 4  # 48 rows in 4 segments
    assert "segments of 12 rows" in expl.summary()


def test_auto_normalization_is_on_whenever_the_targets_past_is_an_input():
    df = channels(k=2)

    def first_layer(**settings):
        f = Forecaster(units=(4,), window=24, epochs=1, **settings)
        return type(f.fit(df, "c0", features=["c1"]).model_.layers[0]).__name__

    assert first_layer(steps=6) == "InstanceNorm"
    assert first_layer() == "InstanceNorm"  # one step ahead too
    assert first_layer(difference=True) == "LSTM"  # changes are relative already
    assert first_layer(autoregressive=False) == "LSTM"  # no past of the target to use
    assert first_layer(horizon=0) == "LSTM"
    assert first_layer(normalize=None) == "LSTM"
    with pytest.raises(ValueError, match="both forecast from the last value"):
        Forecaster(normalize="last", difference=True).fit(df, "c0", features=[])
    with pytest.raises(ValueError, match="segment=5. must divide the window"):
        Forecaster(segment=5, window=24).fit(df, "c0", features=[])
