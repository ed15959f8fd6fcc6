"""lstmcast.models.loading: ``load_model``, a Sequential saved by ``Sequential.save`` back,
with its compile settings and optimizer state.

References: the saved model itself (predictions equal exactly, bit for bit: the same float32
weights on the same CPU kernels) and its optimizer's ``state_dict`` (tensors equal exactly);
the file's bytes as written (``Path.read_bytes``) for files damaged on purpose. One model
is fitted once for the module (2 epochs, 32 windows, 4 units), so that its optimizer has
a state to restore; round trips of the predictions of compiled models are
tests/test_models.py's and not repeated here.
"""

import json
import os

import numpy as np
import pytest
import torch

from lstmcast import ArtifactError, InvalidArgumentError
from lstmcast.engine import bundle
from lstmcast.layers import GRU, LSTM, Dense
from lstmcast.models import Sequential, load_model

X = np.random.default_rng(0).normal(size=(32, 6, 2)).astype(np.float32)
Y = X[:, -1, 0] * 2.0 + 1.0


def absolute_cube(y_true, y_pred):
    return (y_true - y_pred).abs() ** 3


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted model (Adam, 2 epochs) and its file's bytes."""
    torch.manual_seed(0)
    model = Sequential([LSTM(4, input_shape=(6, 2)), Dense(1)], device="cpu")
    model.compile(loss="huber", optimizer="adam", metrics=["mae", "rmse"])
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path_factory.mktemp("saved") / "m.lstmcast"
    model.save(path)
    return model, path.read_bytes()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_loaded_model_predicts_exactly_and_keeps_its_compile_settings(saved, tmp_path):
    model, data = saved
    loaded = load_model(write(tmp_path, "m.lstmcast", data), device="cpu")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.device == torch.device("cpu")
    assert loaded.get_config() == model.get_config()
    assert loaded.get_compile_config() == model.get_compile_config()
    assert loaded.evaluate(X, Y) == pytest.approx(model.evaluate(X, Y), rel=1e-6)


def test_the_optimizer_state_is_restored_tensor_for_tensor(saved, tmp_path):
    model, data = saved
    loaded = load_model(write(tmp_path, "m.lstmcast", data))
    want, got = model.optimizer_.state_dict(), loaded.optimizer_.state_dict()
    # the settings went through JSON: a tuple (Adam's betas) comes back as a list
    assert json.loads(json.dumps(want["param_groups"])) == got["param_groups"]
    assert set(want["state"]) == set(got["state"]) and want["state"]
    for pid, entry in want["state"].items():
        for key, value in entry.items():
            other = got["state"][pid][key]
            if isinstance(value, torch.Tensor):
                assert torch.equal(value, other), (pid, key)
            else:
                assert value == other, (pid, key)


def test_compile_false_gives_the_weights_without_the_compile_settings(saved, tmp_path):
    model, data = saved
    loaded = load_model(write(tmp_path, "m.lstmcast", data), compile=False)
    assert loaded.get_compile_config() is None and loaded.optimizer_ is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_custom_loss_must_be_given_back_by_name(tmp_path):
    model = Sequential([GRU(3, input_shape=(6, 2)), Dense(1)], device="cpu")
    model.compile(loss=absolute_cube, optimizer="sgd")
    path = tmp_path / "custom.lstmcast"
    model.save(path)
    with pytest.raises(InvalidArgumentError,
                       match=r"custom\.lstmcast' was compiled with the custom loss "
                             r"'absolute_cube': pass custom_objects=\{'absolute_cube': fn\}, "
                             r"or compile=False"):
        load_model(path)
    with pytest.raises(InvalidArgumentError, match="absolute_cube"):
        load_model(path, custom_objects={"other": absolute_cube})
    loaded = load_model(path, custom_objects={"absolute_cube": absolute_cube})
    assert loaded.get_compile_config()["custom_loss"] == "absolute_cube"
    assert loaded.evaluate(X, Y) == pytest.approx(model.evaluate(X, Y), rel=1e-6)
    uncompiled = load_model(path, compile=False)
    np.testing.assert_array_equal(uncompiled.predict(X), model.predict(X))


def test_a_weights_file_is_not_a_model(saved, tmp_path):
    model, _ = saved
    path = tmp_path / "only.weights"
    model.save_weights(path)
    with pytest.raises(ArtifactError, match=r"only\.weights' holds a 'weights', not a "
                                            r"'sequential'"):
        load_model(path)


def test_a_file_whose_weights_do_not_fit_its_architecture_is_refused(saved, tmp_path):
    model, _ = saved
    other = Sequential([LSTM(5, input_shape=(6, 2)), Dense(1)], device="cpu")
    config = {"model": other.get_config(), "input_shape": [6, 2], "compile": None,
              "optimizer_state": None}
    tensors = {f"network.{k}": v for k, v in model.network_.state_dict().items()}
    path = tmp_path / "mixed.lstmcast"
    bundle.save(path, tensors, config, "sequential")  # a well-formed file, wrong weights
    with pytest.raises(ArtifactError, match=r"mixed\.lstmcast' does not hold weights for "
                                            r"this architecture"):
        load_model(path)


@pytest.mark.parametrize("keep", ["nothing", "length only", "half the header", "all but one"])
def test_a_truncated_file_is_refused_by_name_and_left_as_it_was(saved, tmp_path, keep):
    _, data = saved
    header_end = 8 + int.from_bytes(data[:8], "little")
    size = {"nothing": 0, "length only": 8, "half the header": header_end // 2,
            "all but one": len(data) - 1}[keep]
    path = write(tmp_path, "cut.lstmcast", data[:size])
    with pytest.raises(ArtifactError, match=r"cut\.lstmcast' is not a readable lstmcast "
                                            r"artifact \(truncated, corrupted"):
        load_model(path)
    assert path.read_bytes() == data[:size]


def test_one_altered_byte_anywhere_is_refused_by_name(saved, tmp_path):
    _, data = saved
    header_end = 8 + int.from_bytes(data[:8], "little")
    config_at = data.index(b'\\"units\\": 4')  # a layer's size in the JSON config
    places = {"a weight": len(data) - 7, "the first weight": header_end,
              "the config": config_at + len(b'\\"units\\": ')}
    for what, at in places.items():
        edited = bytearray(data)
        edited[at] = ord("5") if what == "the config" else data[at] ^ 0x01
        path = write(tmp_path, "edited.lstmcast", bytes(edited))
        with pytest.raises(ArtifactError, match=r"edited\.lstmcast' is corrupted or was "
                                                r"edited"):
            load_model(path)


def test_another_kind_of_file_and_a_missing_file_are_refused_by_name(tmp_path):
    csv = write(tmp_path, "table.csv", b"t,y\n0,1.5\n1,2.5\n")
    with pytest.raises(ArtifactError, match=r"table\.csv' is not a readable lstmcast artifact"):
        load_model(csv)
    js = write(tmp_path, "model.json", json.dumps({"layers": []}).encode())
    with pytest.raises(ArtifactError, match=r"model\.json' is not a readable lstmcast"):
        load_model(js)
    with pytest.raises(ArtifactError, match=r"No saved model at '.*gone\.lstmcast': the file "
                                            r"does not exist"):
        load_model(tmp_path / "gone.lstmcast")
    with pytest.raises(ArtifactError, match="it is not a file"):
        load_model(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["model.json", "table.csv"]
