"""lstmcast.forecast.artifacts: a fitted Forecaster on disk (``Forecaster.save`` / ``load``).

One safetensors file: the networks' weights (the first member's names bare, the others'
prefixed ``member1.``...), the linear maps' weights, and a JSON config whose version says
what it holds: 2 the networks alone, 3 blended with one linear map, 4 any chosen
combination, 5 one holding a forecast 4 does not know (the training mean or the drift).

References: the file read with ``safetensors.safe_open`` (not lstmcast's reader) against
the fitted networks' ``state_dict`` (exactly); the loaded model's forecasts and scores
against the saved one's (exactly: the same float32 weights); the file's bytes for files
damaged on purpose, which must be refused by name and never changed. Three tiny
Forecasters are fitted once (units 4, window 6, one epoch, 80 rows).
"""

import json
import os

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open

import lstmcast
from lstmcast import ArtifactError, Forecaster, NotFittedError
from lstmcast.engine import bundle

pytestmark = [pytest.mark.filterwarnings("ignore:On the validation rows"),
              pytest.mark.filterwarnings("ignore::lstmcast.forecast.evaluation.LagCopyWarning")]

FAST = {"units": (4,), "window": 6, "epochs": 1, "dropout": 0.0, "seed": 0}


def series():
    rng = np.random.default_rng(0)
    t = np.arange(80)
    return pd.DataFrame({"t": t, "y": np.sin(t / 4) + 0.1 * rng.normal(size=80)})


@pytest.fixture(scope="module")
def models():
    """Fitted Forecasters by kind: the networks alone, two networks blended with a linear
    map, and the default chosen combination."""
    table = series()
    kinds = {"networks": dict(blend=None), "linear": dict(blend="linear", ensemble=2),
             "select": dict(blend="select")}
    return {name: Forecaster(**FAST, **kw).fit(table, "y", time="t")
            for name, kw in kinds.items()}, table


def read(path):
    with safe_open(str(path), "pt") as handle:
        metadata = handle.metadata()
        return json.loads(metadata["config"]), metadata["kind"], {
            k: handle.get_tensor(k) for k in handle.keys()}


@pytest.mark.parametrize("kind, version", [("networks", 2), ("linear", 3), ("select", 7)])
def test_the_file_holds_every_networks_weights_under_a_config_of_the_right_version(
        models, tmp_path, kind, version):
    fc = models[0][kind]
    path = tmp_path / "f.lstmcast"
    fc.save(path)
    config, file_kind, tensors = read(path)
    assert file_kind == "forecaster" and config["config_version"] == version
    want = {}
    for i, member in enumerate(fc.ensemble_.members):
        prefix = "" if i == 0 else f"member{i}."
        want.update({prefix + k: v for k, v in member.network_.state_dict().items()})
    map_keys = ("linear_map.weights", "shrunk_map.weights", "holt_winters.weights")
    networks = {k: v for k, v in tensors.items() if k not in map_keys}
    assert set(networks) == set(want)
    for k, v in want.items():
        assert torch.equal(networks[k], v.cpu()), k
    maps = sorted(k for k in tensors if k in map_keys)
    # the chosen combination here: the linear map and the Holt-Winters smoothing (a map)
    assert maps == {"networks": [], "linear": ["linear_map.weights"],
                    "select": ["holt_winters.weights", "linear_map.weights"]}[kind]
    assert config["params"]["units"] == [4] and "layers" not in config["params"]
    assert config["versions"]["lstmcast"] == lstmcast.__version__
    assert config["history"] == fc.history_ and config["n_windows"] == fc.n_windows_


@pytest.mark.parametrize("kind", ["networks", "linear", "select"])
def test_a_loaded_forecaster_forecasts_and_scores_exactly_as_the_saved_one(models, tmp_path,
                                                                           kind):
    fitted, table = models
    fc = fitted[kind]
    path = tmp_path / "f.lstmcast"
    fc.save(path)
    loaded = Forecaster.load(path, device="cpu")
    pd.testing.assert_frame_equal(loaded.predict(table), fc.predict(table))
    pd.testing.assert_frame_equal(loaded.evaluate(table, holdout=10),
                                  fc.evaluate(table, holdout=10))
    # the settings went through JSON: the tuple of units comes back as a list
    assert loaded.get_params() == {**fc.get_params(), "units": [4], "device": "cpu"}
    assert loaded.blend_weights_ == fc.blend_weights_
    assert loaded.histories_ == fc.histories_ and loaded.n_windows_ == fc.n_windows_
    assert loaded.stats_ == fc.stats_ and loaded.fingerprint_ == fc.fingerprint_
    assert loaded.saved_versions_["torch"] == torch.__version__
    assert loaded.model_.device == torch.device("cpu")


def test_a_config_from_a_newer_lstmcast_is_refused_by_name(models, tmp_path):
    fc = models[0]["networks"]
    path = tmp_path / "f.lstmcast"
    fc.save(path)
    config, _, tensors = read(path)
    config.update(config_version=8, versions={**config["versions"], "lstmcast": "9.0.0"})
    newer = tmp_path / "newer.lstmcast"
    bundle.save(newer, tensors, config, "forecaster")  # well formed, sealed: only newer
    with pytest.raises(ArtifactError, match=r"newer\.lstmcast' was saved by lstmcast 9\.0\.0 "
                                            r"\(Forecaster config version 8\); this lstmcast "
                                            r"reads up to 7: upgrade it"):
        Forecaster.load(newer)


def test_other_kinds_truncated_and_edited_files_are_refused_and_left_alone(models, tmp_path):
    fc = models[0]["networks"]
    good = tmp_path / "f.lstmcast"
    fc.save(good)
    data = good.read_bytes()
    fc.model_.save(tmp_path / "model.lstmcast")
    with pytest.raises(ArtifactError, match=r"model\.lstmcast' holds a 'sequential', not a "
                                            r"'forecaster'"):
        Forecaster.load(tmp_path / "model.lstmcast")
    damaged = {"cut.lstmcast": data[: len(data) - 10],
               "edited.lstmcast": data[:-6] + bytes([data[-6] ^ 0x01]) + data[-5:]}
    messages = {"cut.lstmcast": "is not a readable lstmcast artifact",
                "edited.lstmcast": "is corrupted or was edited"}
    for name, content in damaged.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ArtifactError, match=rf"{name.replace('.', '[.]')}' "
                                                rf"{messages[name]}"):
            Forecaster.load(path)
        assert path.read_bytes() == content


def test_a_failed_save_leaves_the_previous_file_as_it_was(models, tmp_path, monkeypatch):
    fc = models[0]["networks"]
    path = tmp_path / "f.lstmcast"
    models[0]["select"].save(path)
    before = path.read_bytes()
    with pytest.raises(NotFittedError):
        Forecaster(**FAST).save(path)
    assert path.read_bytes() == before

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lstmcast.tables.io.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        fc.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["f.lstmcast"]  # no temporary file left behind
    monkeypatch.undo()
    fc.save(path)  # and a save that works replaces it
    assert path.read_bytes() != before
