"""Keras models brought over, and `Input`: Keras itself (torch backend) is the reference."""

import numpy as np
import pytest
from helpers import one_line_error, run_cli

keras = pytest.importorskip("keras")

from lstmcast.errors import InvalidArgumentError  # noqa: E402
from lstmcast.layers import LSTM, Activation, Dense, Dropout, Input  # noqa: E402
from lstmcast.models import Sequential, load_keras, load_model  # noqa: E402

K = keras.layers


def keras_stack(cell="LSTM", steps=30, features=4):
    rnn = getattr(K, cell)
    model = keras.Sequential([keras.Input((steps, features)), rnn(16, return_sequences=True),
                              K.Dropout(0.2), rnn(8), K.Dropout(0.2), K.Dense(3, activation="relu"),
                              K.Dense(2), K.Activation("linear")])
    model.compile(loss="mae", optimizer=keras.optimizers.RMSprop(learning_rate=0.003),
                  metrics=["mae", "mape"])
    return model


def randomized(model, rng):
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


@pytest.fixture
def windows(rng):
    return rng.normal(size=(64, 30, 4)).astype("float32")


def test_input_first_builds_the_model_as_layers_are_added(rng, windows):
    theirs = randomized(keras_stack(), rng)
    ours = Sequential(device="cpu")
    ours.add(Input(shape=(30, 4)))
    ours.add(LSTM(16, return_sequences=True))
    assert [w.shape for w in ours.layers[0].get_weights()] == [(4, 64), (16, 64), (64,)]
    for layer in (Dropout(0.2), LSTM(8), Dropout(0.2), Dense(3, activation="relu"), Dense(2),
                  Activation("linear")):
        ours.add(layer)
    assert len(ours.layers) == len(theirs.layers) == 7  # the Input is not one of them
    for mine, keras_layer in zip(ours.layers, theirs.layers):
        mine.set_weights(keras_layer.get_weights())
    np.testing.assert_allclose(ours.predict(windows), theirs.predict(windows, verbose=0),
                               atol=1e-5)


def test_input_is_kept_by_save_and_fixes_the_batch(tmp_path):
    model = Sequential([Input(batch_shape=(8, 10, 2)), LSTM(4), Dense(1)], device="cpu")
    lines = []
    model.summary(print_fn=lines.append)
    assert "(8, 4)" in "\n".join(lines)
    model.save(tmp_path / "m.lstmcast")
    again = load_model(tmp_path / "m.lstmcast")
    assert again.get_config()["layers"][0] == {"class_name": "Input",
                                               "config": {"name": None,
                                                          "batch_shape": [8, 10, 2]}}
    assert again.fixed_batch_size == 8


def test_input_in_the_wrong_place_is_an_error():
    with pytest.raises(InvalidArgumentError, match="first"):
        Sequential([LSTM(4, input_shape=(5, 2)), Input((5, 2))])
    with pytest.raises(InvalidArgumentError, match="leave `input_shape` out"):
        Sequential([Input((5, 2)), LSTM(4, input_shape=(5, 2))])
    with pytest.raises(InvalidArgumentError, match="shape of one sample"):
        Input()


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_keras_file_loads_and_predicts_as_keras(cell, suffix, tmp_path, rng, windows):
    theirs = randomized(keras_stack(cell), rng)
    path = tmp_path / f"model{suffix}"
    theirs.save(path)
    ours = load_keras(path, device="cpu")
    assert [type(layer).__name__ for layer in ours.layers] == [
        cell, "Dropout", cell, "Dropout", "Dense", "Dense", "Activation"]
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    np.testing.assert_allclose(ours.predict(windows), theirs.predict(windows, verbose=0),
                               atol=1e-5)
    # compiled as Keras was: the loss, the optimizer's class and settings, the metrics
    assert ours.loss_name_ == "mae"
    assert type(ours.optimizer_spec_).__name__ == "RMSprop"
    assert ours.optimizer_spec_.learning_rate == 0.003
    assert [m.name for m in ours.metrics_] == ["mae", "mape"]


def test_the_tutorial_stack_from_keras_matches_within_1e5(tmp_path, rng):
    layers = [K.LSTM(100, return_sequences=True), K.Dropout(0.2), K.LSTM(50), K.Dropout(0.2),
              K.Dense(1), K.Activation("linear")]
    theirs = randomized(keras.Sequential([keras.Input((30, 40)), *layers]), rng)
    theirs.save(tmp_path / "tutorial.keras")
    ours = load_keras(tmp_path / "tutorial.keras", device="cpu")
    assert ours.count_params() == 86_651
    x = rng.normal(size=(200, 30, 40)).astype("float32")
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), atol=1e-5)


def test_weights_only_file_goes_into_a_model_with_the_same_layers(tmp_path, rng, windows):
    theirs = randomized(keras_stack(), rng)
    theirs.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(InvalidArgumentError, match="weights only"):
        load_keras(tmp_path / "w.weights.h5")
    keras.backend.clear_session()
    ours = Sequential([Input((30, 4)), LSTM(16, return_sequences=True), Dropout(0.2), LSTM(8),
                       Dropout(0.2), Dense(3, activation="relu"), Dense(2),
                       Activation("linear")], device="cpu")
    load_keras(tmp_path / "w.weights.h5", model=ours)
    np.testing.assert_allclose(ours.predict(windows), theirs.predict(windows, verbose=0),
                               atol=1e-5)


@pytest.mark.parametrize("layer, named", [
    (lambda: K.Conv1D(4, 3), "Conv1D"),
    (lambda: K.LSTM(4, go_backwards=True), "go_backwards=True"),
    (lambda: K.LSTM(4, recurrent_dropout=0.1), "recurrent_dropout=0.1"),
    (lambda: K.GRU(4, reset_after=False), "reset_after=False"),
    (lambda: K.Dense(4, use_bias=False), "use_bias=False"),
    (lambda: K.Dense(4, kernel_regularizer="l2"), "kernel_regularizer"),
])
def test_a_layer_or_option_lstmcast_lacks_is_named(layer, named, tmp_path):
    model = keras.Sequential([keras.Input((10, 3)), layer(), K.Flatten(), K.Dense(1)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(InvalidArgumentError) as error:
        load_keras(tmp_path / "m.keras")
    assert named in str(error.value)



@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("layer, kind, activation, supported", [
    (lambda: K.Dense(4, activation="hard_sigmoid", name="gate"), "Dense",
     "activation='hard_sigmoid'", "'linear', 'relu', 'tanh', 'sigmoid'"),
    (lambda: K.Activation("leaky_relu", name="gate"), "Activation",
     "activation='leaky_relu'", "'softplus', 'swish'"),
    (lambda: K.LSTM(4, activation="relu", return_sequences=True, name="gate"), "LSTM",
     "activation='relu'", "activation='tanh' only"),
    (lambda: K.GRU(4, recurrent_activation="hard_sigmoid", return_sequences=True,
                   name="gate"), "GRU",
     "recurrent_activation='hard_sigmoid'", "recurrent_activation='sigmoid' only"),
])
def test_an_unsupported_activation_names_the_file_the_layer_and_what_is_supported(
        layer, kind, activation, supported, suffix, tmp_path):
    model = keras.Sequential([keras.Input((10, 3)), layer(), K.LSTM(2), K.Dense(1)])
    path = tmp_path / f"odd{suffix}"
    model.save(path)
    with pytest.raises(InvalidArgumentError) as error:
        load_keras(path)
    message = str(error.value)
    for part in (f"odd{suffix}", f"layer 'gate' ({kind})", activation, supported):
        assert part in message, (part, message)
    one_line_error(run_cli("import-keras", path, "--out", tmp_path / "m.lstmcast"),
                   f"odd{suffix}", f"layer 'gate' ({kind})", activation, supported)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_silu_is_lstmcast_swish(suffix, tmp_path, rng, windows):
    # Keras 3 saves activation="swish" as "silu"
    theirs = randomized(keras.Sequential([keras.Input((30, 4)), K.LSTM(4),
                                          K.Dense(3, activation="swish"), K.Dense(1)]), rng)
    theirs.save(tmp_path / f"m{suffix}")
    ours = load_keras(tmp_path / f"m{suffix}", device="cpu")
    assert ours.layers[1].activation == "swish"
    np.testing.assert_allclose(ours.predict(windows), theirs.predict(windows, verbose=0),
                               atol=1e-5)

def test_not_a_keras_file_is_a_clear_error(tmp_path):
    (tmp_path / "m.txt").write_text("hello")
    with pytest.raises(InvalidArgumentError, match=r"\.keras, \.h5"):
        load_keras(tmp_path / "m.txt")
    with pytest.raises(InvalidArgumentError, match="No Keras file"):
        load_keras(tmp_path / "missing.keras")
    for name in ("broken.keras", "broken.h5"):  # right name, wrong contents
        (tmp_path / name).write_bytes(b"PK\x03\x04 not really")
        with pytest.raises(InvalidArgumentError, match="not a readable Keras file"):
            load_keras(tmp_path / name)
    one_line_error(run_cli("import-keras", tmp_path / "broken.keras", "--out",
                           tmp_path / "m.lstmcast"), "not a readable Keras file")


def test_import_keras_then_predict_on_arrays_through_the_cli(tmp_path, rng, windows):
    theirs = randomized(keras_stack(), rng)
    theirs.save(tmp_path / "model.keras")
    np.save(tmp_path / "windows.npy", windows)
    done = run_cli("import-keras", "model.keras", "--out", "model.lstmcast", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run_cli("predict", "model.lstmcast", "windows.npy", "--out", "forecast.npy",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "forecast.npy"),
                               theirs.predict(windows, verbose=0), atol=1e-5)
    before = (tmp_path / "model.lstmcast").read_bytes()
    again = run_cli("import-keras", "model.keras", "--out", "model.lstmcast", cwd=tmp_path)
    one_line_error(again, "already exists")
    table = run_cli("predict", "model.lstmcast", "sales.csv", cwd=tmp_path)
    one_line_error(table, ".npy array")
    onto = run_cli("predict", "model.lstmcast", "windows.npy", "--out", "model.lstmcast",
                   "--force", cwd=tmp_path)
    one_line_error(onto, "it is the model this command reads")
    assert (tmp_path / "model.lstmcast").read_bytes() == before
