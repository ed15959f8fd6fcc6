"""lstmcast.models.saving: a Sequential on disk (``Sequential.save``, ``save_weights``,
``load_weights``).

The file is safetensors (an 8-byte little-endian header length, a JSON header, the raw
tensors) with the model's JSON config in the header's metadata; no pickle. Writes are
atomic: a failed save leaves the previous file as it was.

References: the file is read back with ``safetensors.safe_open`` (not lstmcast's reader)
and compared with the model's own ``state_dict`` (exactly) and ``get_config``; the library
versions against ``torch.__version__`` and ``numpy.__version__``. Nothing here trains:
the models are built, their weights set from a seeded generator.
"""

import json
import os

import numpy as np
import pytest
import torch
from safetensors import safe_open

import lstmcast
from lstmcast import ArtifactError, NotFittedError
from lstmcast.layers import LSTM, Dense, Dropout
from lstmcast.models import Sequential
from lstmcast.models.saving import library_versions


def model(units=4, seed=0, compiled=True):
    m = Sequential([LSTM(units, input_shape=(6, 2)), Dropout(0.1), Dense(1)], device="cpu")
    rng = np.random.default_rng(seed)
    m.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in m.get_weights()])
    if compiled:
        m.compile(loss="mae", optimizer="rmsprop", metrics=["mse"])
    return m


def read(path):
    """The file through safetensors itself: (metadata, tensors)."""
    with safe_open(str(path), "pt") as handle:
        return handle.metadata(), {k: handle.get_tensor(k) for k in handle.keys()}


X = np.random.default_rng(9).normal(size=(5, 6, 2)).astype(np.float32)


def test_save_writes_safetensors_with_the_weights_and_a_json_config(tmp_path):
    m = model()
    path = tmp_path / "m.lstmcast"
    m.save(path)
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    assert data[8:9] == b"{" and json.loads(data[8 : 8 + header_length])  # JSON, no pickle
    assert b"\x80\x04" not in data[: 8 + header_length]  # no pickle protocol marker
    metadata, tensors = read(path)
    assert metadata["kind"] == "sequential" and metadata["format"] == "lstmcast"
    config = json.loads(metadata["config"])
    assert config["model"] == json.loads(json.dumps(m.get_config()))
    assert config["input_shape"] == [6, 2]
    assert config["compile"]["loss"] == "mae" and config["compile"]["metrics"] == ["mse"]
    assert config["compile"]["optimizer"]["class_name"] == "RMSprop"
    assert config["versions"] == {"lstmcast": lstmcast.__version__,
                                  "torch": torch.__version__, "numpy": np.__version__}
    network = {k: v for k, v in tensors.items() if k.startswith("network.")}
    state = m.network_.state_dict()
    assert set(network) == {f"network.{k}" for k in state}
    for k, v in state.items():
        assert torch.equal(network[f"network.{k}"], v), k


def test_an_uncompiled_model_saves_without_compile_settings(tmp_path):
    path = tmp_path / "m.lstmcast"
    model(compiled=False).save(path)
    metadata, tensors = read(path)
    config = json.loads(metadata["config"])
    assert config["compile"] is None and config["optimizer_state"] is None
    assert all(k.startswith("network.") for k in tensors)


def test_library_versions_name_the_running_libraries():
    assert library_versions() == {"lstmcast": lstmcast.__version__,
                                  "torch": torch.__version__, "numpy": np.__version__}


def test_save_weights_holds_the_weights_only_and_load_weights_restores_them(tmp_path):
    a, b = model(seed=0), model(seed=1)
    assert not np.array_equal(a.predict(X), b.predict(X))
    path = tmp_path / "w.weights"
    a.save_weights(path)
    metadata, tensors = read(path)
    assert metadata["kind"] == "weights"
    assert set(tensors) == set(a.network_.state_dict())
    b.load_weights(path)
    np.testing.assert_array_equal(b.predict(X), a.predict(X))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_load_weights_of_another_architecture_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "w8.weights"
    model(units=8).save_weights(path)
    small = model(units=4)
    before = small.get_weights()
    with pytest.raises(ArtifactError, match=r"w8\.weights' does not hold weights for this "
                                            r"architecture"):
        small.load_weights(path)
    for w0, w1 in zip(before, small.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_load_weights_refuses_a_whole_model_file_and_a_damaged_one(tmp_path):
    m = model()
    whole = tmp_path / "m.lstmcast"
    m.save(whole)
    with pytest.raises(ArtifactError, match=r"m\.lstmcast' holds a 'sequential', not a "
                                            r"'weights'"):
        model().load_weights(whole)
    good = tmp_path / "w.weights"
    m.save_weights(good)
    data = good.read_bytes()
    cut = tmp_path / "cut.weights"
    cut.write_bytes(data[:-3])
    with pytest.raises(ArtifactError, match=r"cut\.weights' is not a readable lstmcast "
                                            r"artifact"):
        model().load_weights(cut)
    edited = tmp_path / "edited.weights"
    edited.write_bytes(data[:-4] + bytes([data[-4] ^ 0x10]) + data[-3:])  # one weight's bits
    with pytest.raises(ArtifactError, match=r"edited\.weights' is corrupted or was edited"):
        model().load_weights(edited)


def test_saving_a_model_that_cannot_be_built_leaves_the_previous_file(tmp_path):
    path = tmp_path / "m.lstmcast"
    model().save(path)
    before = path.read_bytes()
    unbuilt = Sequential([LSTM(4), Dense(1)], device="cpu")  # no input shape: nothing to save
    with pytest.raises(NotFittedError, match="not built yet"):
        unbuilt.save(path)
    with pytest.raises(NotFittedError, match="not built yet"):
        unbuilt.save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.lstmcast"]


def test_a_write_that_fails_midway_leaves_the_previous_file_and_no_temporary(tmp_path,
                                                                            monkeypatch):
    path = tmp_path / "m.lstmcast"
    model(seed=0).save(path)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lstmcast.tables.io.os.fsync", disk_full)
    for save in (model(seed=1).save, model(seed=1).save_weights):
        with pytest.raises(OSError, match="No space left"):
            save(path)
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["m.lstmcast"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into a read-only folder anyway")
def test_a_read_only_folder_refuses_the_save_and_keeps_the_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "m.lstmcast"
    model(seed=0).save(path)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            model(seed=1).save(path)
        assert path.read_bytes() == before
        assert os.listdir(folder) == ["m.lstmcast"]
    finally:
        folder.chmod(0o755)


def test_saving_to_a_folder_or_into_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot save to .*: it is a directory"):
        model().save(tmp_path)
    with pytest.raises(ValueError, match=r"folder '.*nowhere' does not exist"):
        model().save(tmp_path / "nowhere" / "m.lstmcast")
    assert os.listdir(tmp_path) == []
