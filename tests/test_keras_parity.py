"""Keras parity (SPEC K1-K4, M5): Keras itself (torch backend) is the reference."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from lstmcast.engine.metrics import get_metric  # noqa: E402
from lstmcast.layers import LSTM, Activation, Dense, Dropout  # noqa: E402
from lstmcast.models import Sequential  # noqa: E402


def tutorial_model(api, cell="LSTM"):
    k = api.layers if api is keras else None
    mod = k or __import__("lstmcast.layers", fromlist=["x"])
    rnn = getattr(mod, cell)
    layers = [rnn(units=100, return_sequences=True), mod.Dropout(0.2), rnn(units=50),
              mod.Dropout(0.2), mod.Dense(units=1), mod.Activation("linear")]
    if api is keras:
        return keras.Sequential([keras.Input((30, 40)), *layers])
    layers[0] = rnn(units=100, input_shape=(30, 40), return_sequences=True)
    model = Sequential(layers, device="cpu")
    model.build()
    return model


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_parameter_counts_and_weight_shapes_equal_keras(cell):
    ours, theirs = tutorial_model(None, cell), tutorial_model(keras, cell)
    assert ours.count_params() == theirs.count_params()
    if cell == "LSTM":
        assert ours.count_params() == 86_651  # 56,400 + 30,200 + 51 (K2)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_keras_weights_give_keras_outputs(cell, rng):
    ours, theirs = tutorial_model(None, cell), tutorial_model(keras, cell)
    theirs.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                        for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(16, 30, 40)).astype("float32")
    want = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x), want, atol=2e-5, rtol=1e-4)
    # and back: our weights in Keras's layout load into Keras unchanged
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_summary_prints_the_right_shapes_and_counts():
    lines = []
    tutorial_model(None).summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape, count in [("(None, 30, 100)", "56,400"), ("(None, 50)", "30,200"),
                         ("(None, 1)", "51")]:
        assert any(shape in row and count in row for row in text.splitlines())
    assert "Total params: 86,651" in text


def test_batch_input_shape_fixes_the_batch_in_shapes():
    model = Sequential([LSTM(8, batch_input_shape=(200, 30, 4)), Dense(1)], device="cpu")
    lines = []
    model.summary(print_fn=lines.append)
    assert "(200, 8)" in "\n".join(lines)


def test_initializers_follow_keras(rng):
    model = Sequential([LSTM(16, input_shape=(5, 8)), Dense(3)], device="cpu")
    model.build()
    kernel, recurrent, bias = model.layers[0].get_weights()
    limit = np.sqrt(6 / (8 + 64))  # glorot_uniform over (F, 4H)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(16), atol=1e-5)  # orthogonal
    np.testing.assert_array_equal(bias, np.r_[np.zeros(16), np.ones(16), np.zeros(32)])
    dense_kernel, dense_bias = model.layers[1].get_weights()
    assert np.abs(dense_kernel).max() <= np.sqrt(6 / (16 + 3))
    assert not dense_bias.any()


def test_adam_defaults_are_keras_defaults():
    model = tutorial_model(None)
    model.compile(loss="mse", optimizer="adam")
    defaults = model.optimizer_.defaults
    assert defaults["lr"] == 0.001 and defaults["eps"] == 1e-7
    assert defaults["betas"] == (0.9, 0.999)


def test_metrics_equal_keras_metrics(rng):
    import torch

    y = rng.normal(size=(64, 1)).astype("float32")
    y[:3] = 0.0  # Keras's epsilon at work in MAPE
    p = rng.normal(size=(64, 1)).astype("float32")
    pairs = {"mae": keras.metrics.MeanAbsoluteError(), "mse": keras.metrics.MeanSquaredError(),
             "rmse": keras.metrics.RootMeanSquaredError(),
             "mape": keras.metrics.MeanAbsolutePercentageError()}
    for name, metric in pairs.items():
        metric.update_state(y, p)
        want = float(metric.result())
        m = get_metric(name)
        got = m.finish(float(m.term(torch.from_numpy(y), torch.from_numpy(p)).double().mean()))
        assert got == pytest.approx(want, rel=1e-5), name


def test_one_sgd_step_moves_weights_as_keras_does(rng):
    """Same loss definition and gradients: one full-batch SGD step lands on Keras's weights."""
    def build(api):
        if api is keras:
            m = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(5),
                                  keras.layers.Dense(1)])
            m.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1))
            return m
        from lstmcast.engine.optimizers import SGD

        m = Sequential([LSTM(5, input_shape=(6, 3)), Dense(1)], device="cpu")
        m.compile(loss="mse", optimizer=SGD(learning_rate=0.1))
        return m

    theirs, ours = build(keras), build(None)
    start = [rng.normal(scale=0.3, size=w.shape).astype("float32")
             for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    x = rng.normal(size=(20, 6, 3)).astype("float32")
    y = rng.normal(size=(20,)).astype("float32")
    theirs.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def test_dropout_and_activation_are_layers_as_in_keras():
    model = tutorial_model(None)
    assert [type(layer) for layer in model.layers] == [LSTM, Dropout, LSTM, Dropout, Dense,
                                                        Activation]
    keras.backend.clear_session()  # Keras numbers layer names per session
    assert [layer.name for layer in model.layers] == [
        layer.name for layer in tutorial_model(keras).layers]


def test_reduce_lr_on_plateau_follows_keras_schedule():
    """The same val_loss sequence gives Keras's learning rates, epoch by epoch."""
    from types import SimpleNamespace

    import torch

    from lstmcast.engine.callbacks import ReduceLROnPlateau

    losses = [1.0, 0.9, 0.9, 0.95, 0.9, 0.89995, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.6,
              0.61, 0.62, 0.63, 0.64]
    settings = {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 2e-4, "min_delta": 1e-4}
    theirs = keras.callbacks.ReduceLROnPlateau(**settings)
    keras_optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    theirs.set_model(SimpleNamespace(optimizer=keras_optimizer))
    ours = ReduceLROnPlateau(**settings)
    torch_optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)
    ours.set_model(SimpleNamespace(optimizer_=torch_optimizer))
    theirs.on_train_begin()
    ours.on_train_begin()
    rates = []
    for epoch, loss in enumerate(losses):
        theirs.on_epoch_end(epoch, {"val_loss": loss})
        ours.on_epoch_end(epoch, {"val_loss": loss})
        rates.append((float(np.asarray(keras_optimizer.learning_rate)),
                      torch_optimizer.param_groups[0]["lr"]))
    keras_rates, our_rates = zip(*rates)
    assert len(set(keras_rates)) >= 3  # the sequence does reduce, and reaches min_lr
    np.testing.assert_allclose(our_rates, keras_rates, rtol=1e-6)


@pytest.mark.parametrize("first", [{"input_shape": (30, 40)}, {"batch_input_shape": (200, 30, 40)}])
def test_layers_are_built_as_they_are_added_and_take_keras_weights(first, rng):
    # the tutorial's code, then Keras's weights set layer by layer before any fit or predict
    theirs = tutorial_model(keras)
    theirs.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                        for w in theirs.get_weights()])
    ours = Sequential(device="cpu")
    ours.add(LSTM(units=100, return_sequences=True, **first))
    assert [w.shape for w in ours.layers[0].get_weights()] == [(40, 400), (100, 400), (400,)]
    for layer in (Dropout(0.2), LSTM(units=50), Dropout(0.2), Dense(units=1),
                  Activation("linear")):
        ours.add(layer)
    for mine, keras_layer in zip(ours.layers, theirs.layers):
        assert ([w.shape for w in mine.get_weights()]
                == [w.shape for w in keras_layer.get_weights()]), mine.name
        mine.set_weights(keras_layer.get_weights())
    ours.compile(loss="mse", optimizer="adam")  # compiling keeps the weights set
    x = rng.normal(size=(200, 30, 40)).astype("float32")
    np.testing.assert_allclose(ours.predict(x), np.asarray(theirs.predict(x, verbose=0)),
                               atol=2e-5, rtol=1e-4)
