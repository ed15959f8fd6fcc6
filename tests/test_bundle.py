"""Saved artifacts refuse any changed byte, header included; older files load as they did."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes

from lstmcast import ArtifactError, Forecaster
from lstmcast.engine import artifact_file, bundle

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small Forecaster, its file's bytes, and the table it forecasts."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"t": np.arange(60), "x": rng.normal(size=60),
                          "y": rng.normal(size=60)})
    fc = Forecaster(units=(3,), window=4, epochs=1, dropout=0.0).fit(frame, "y", time="t")
    path = tmp_path_factory.mktemp("bundle") / "f.lstmcast"
    fc.save(path)
    return fc, path.read_bytes(), frame


def header_length(data):
    return 8 + int.from_bytes(data[:8], "little")


def changed(byte):
    """Another byte that keeps JSON valid where this one stands, where there is one: a
    digit for a digit, the other case of a letter, a tab for a space; else one bit flipped."""
    char = chr(byte)
    if char.isdigit():
        return ord(str((int(char) + 1) % 10))
    if char.isascii() and char.isalpha():
        return ord(char.swapcase())
    if char == " ":
        return ord("\t")
    return byte ^ 0x01


def refused(path):
    with pytest.raises(ArtifactError) as info:
        bundle.load(path, "forecaster")
    message = str(info.value)
    assert repr(str(path)) in message and "\n" not in message, message
    return message


def test_an_untouched_file_loads_and_forecasts_as_saved(saved, tmp_path):
    fc, data, frame = saved
    (tmp_path / "f.lstmcast").write_bytes(data)
    metadata = json.loads(data[8:header_length(data)])["__metadata__"]
    assert set(metadata) == {*artifact_file.OLD_ENTRIES, "file_checksum"}
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "f.lstmcast").predict(frame),
                                  fc.predict(frame))
    # lstmcast before file_checksum checks the tensors alone, and ignores the new entry
    assert metadata["checksum"] == bundle.tensor_checksum(load_bytes(data))
    # safetensors writes the metadata's entries in any order: each save finds its checksum
    for k in range(3):
        fc.save(tmp_path / f"again{k}.lstmcast")
        assert bundle.load(tmp_path / f"again{k}.lstmcast", "forecaster")[1] == bundle.load(
            tmp_path / "f.lstmcast", "forecaster")[1]


def test_every_changed_byte_of_the_header_is_refused(saved, tmp_path):
    _, data, _ = saved
    path = tmp_path / "edited.lstmcast"
    end = header_length(data)
    valid_json = 0
    for at in range(end):  # every byte: the length, the JSON, its padding
        edited = bytearray(data)
        edited[at] = changed(data[at])
        path.write_bytes(bytes(edited))
        message = refused(path)
        try:
            json.loads(bytes(edited[8:end]))
            load_bytes(bytes(edited))
        except (ValueError, SafetensorError):
            continue  # not a readable file any more, and said so
        valid_json += 1
        assert "is corrupted or was edited" in message, (at, chr(data[at]), message)
    assert valid_json > (end - 8) / 2  # most edits leave a file safetensors reads


def test_every_sampled_byte_of_the_tensors_is_refused(saved, tmp_path):
    _, data, _ = saved
    path = tmp_path / "edited.lstmcast"
    for at in range(header_length(data), len(data), 3):
        for byte in (data[at] ^ 0x01, data[at] ^ 0x80):
            edited = bytearray(data)
            edited[at] = byte
            path.write_bytes(bytes(edited))
            assert "is corrupted or was edited: its bytes" in refused(path), at


def test_an_edited_scaler_offset_is_refused_by_the_forecaster(saved, tmp_path):
    """The user's report: one digit of a scaler's offset changed, the file loaded and
    forecast wrongly without a word."""
    fc, data, _ = saved
    offset = repr(float(fc.pipeline_.x_scaler_.global_.offset_[0])).encode()
    assert data.count(offset) >= 1
    at = data.index(offset) + 3
    digit = data[at]
    assert chr(digit).isdigit()
    path = tmp_path / "run" / "forecaster.lstmcast"
    path.parent.mkdir()
    path.write_bytes(data[:at] + bytes([changed(digit)]) + data[at + 1:])
    with pytest.raises(ArtifactError, match="forecaster.lstmcast' is corrupted or was edited: "
                                            "its bytes do not match its checksum"):
        Forecaster.load(path)


def test_the_file_checksum_entry_cannot_be_renamed_or_dropped_to_pass_as_an_old_file(
        saved, tmp_path):
    _, data, _ = saved
    path = tmp_path / "renamed.lstmcast"
    path.write_bytes(data.replace(b'"file_checksum"', b'"file_checksuM"'))
    assert "holds an entry 'file_checksuM' that lstmcast never writes" in refused(path)


def test_an_edited_format_version_is_refused_with_both_possibilities(saved, tmp_path):
    _, data, _ = saved
    path = tmp_path / "newer.lstmcast"
    path.write_bytes(data.replace(b'"format_version":"1"', b'"format_version":"3"'))
    message = refused(path)
    assert "is corrupted or was edited" in message and "format version 3, newer" in message


def test_files_written_before_the_file_checksum_still_load_with_the_old_check(tmp_path):
    path = DATA / "forecaster_v1.lstmcast"
    data = path.read_bytes()
    metadata = json.loads(data[8:header_length(data)])["__metadata__"]
    assert set(metadata) == artifact_file.OLD_ENTRIES  # no file_checksum
    old = Forecaster.load(path)  # and it forecasts as then (tests/test_pipeline.py)
    assert old.inputs_ == ["temp", "sales"]
    # its tensors are still checked
    copy = tmp_path / "v1.lstmcast"
    copy.write_bytes(data[:-2] + bytes([data[-2] ^ 0x01]) + data[-1:])
    with pytest.raises(ArtifactError, match="corrupted or was edited: its tensors do not match"):
        Forecaster.load(copy)


def test_predict_on_an_edited_artifact_through_the_cli(trained, table, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained[0], run)
    artifact = run / "forecaster.lstmcast"
    data = artifact.read_bytes()
    assert run_cli("predict", run, table).returncode == 0
    at = data.index(b'\\"offset\\": [') + len(b'\\"offset\\": [') + 2  # a scaler's offset
    assert chr(data[at]).isdigit()
    artifact.write_bytes(data[:at] + bytes([changed(data[at])]) + data[at + 1:])
    one_line_error(run_cli("predict", run, table), "forecaster.lstmcast",
                   "is corrupted or was edited")
