"""A saved artifact's bytes are checked without torch, as bundle.load checks them, and a
command given a broken run folder says so before torch is imported."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from safetensors import SafetensorError
from safetensors.numpy import load as numpy_load

from lstmcast import ArtifactError, Forecaster
from lstmcast.engine import artifact_file, bundle


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run folder holding a small Forecaster, and the table it forecasts."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"t": np.arange(60), "x": rng.normal(size=60),
                          "y": rng.normal(size=60)})
    folder = tmp_path_factory.mktemp("artifact") / "run"
    folder.mkdir()
    Forecaster(units=(3,), window=4, epochs=1, dropout=0.0).fit(frame, "y", time="t").save(
        folder / "forecaster.lstmcast")
    frame.to_csv(folder.parent / "table.csv", index=False)
    return folder


def broken(data: bytes) -> dict[str, bytes]:
    """Damaged copies of an artifact's bytes, by what happened to them."""
    header_end = 8 + int.from_bytes(data[:8], "little")
    cuts = {f"cut at {n}": data[:n] for n in (0, 5, 8, 100, header_end, len(data) - 1)}
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF  # a tensor's byte
    return {**cuts, "one byte more": data + b"\0", "a tensor byte flipped": bytes(flipped),
            "text": b"just some text\n", "newer": data.replace(b'"format_version":"1"',
                                                               b'"format_version":"7"')}


def test_the_checks_without_torch_refuse_what_loading_refuses(run, tmp_path):
    data = (run / "forecaster.lstmcast").read_bytes()
    good = artifact_file.read(run / "forecaster.lstmcast", "forecaster")
    assert good.sealed and good.data == data
    assert good.config == bundle.load(run / "forecaster.lstmcast", "forecaster")[1]
    for what, content in broken(data).items():
        path = tmp_path / "f.lstmcast"
        path.write_bytes(content)
        with pytest.raises(ArtifactError) as without_torch:
            artifact_file.read(path, "forecaster")
        with pytest.raises(ArtifactError) as loading:
            bundle.load(path, "forecaster")
        assert str(without_torch.value) == str(loading.value), what
        assert repr(str(path)) in str(without_torch.value), what
    with pytest.raises(ArtifactError, match="holds a 'forecaster', not a 'sequential'"):
        artifact_file.read(run / "forecaster.lstmcast", "sequential")


def test_the_layout_check_agrees_with_safetensors(run):
    """Where the byte ranges of the header and the file's length disagree, safetensors'
    own reader (numpy, no torch) refuses the file too; where they agree, it reads it."""
    data = (run / "forecaster.lstmcast").read_bytes()
    for what, content in broken(data).items():
        if what in ("a tensor byte flipped", "newer"):
            continue  # whole files whose bytes were changed: a matter of the checksum
        with pytest.raises(ArtifactError, match="not a readable lstmcast artifact"):
            artifact_file.layout(content)
        with pytest.raises((SafetensorError, ValueError)):
            numpy_load(content)
    assert set(numpy_load(data)) == set(bundle.load(run / "forecaster.lstmcast",
                                                    "forecaster")[0])
    assert artifact_file.layout(data)[1]["__metadata__"]["kind"] == "forecaster"


def test_commands_refuse_a_broken_run_before_importing_torch(run, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    data = (run / "forecaster.lstmcast").read_bytes()
    (folder / "forecaster.lstmcast").write_bytes(data[: len(data) // 2])
    table = run.parent / "table.csv"
    commands = [["evaluate", folder, table], ["predict", folder, table, "--out",
                                              tmp_path / "p.csv"],
                ["explain", folder, table, "--out", tmp_path / "why"],
                ["export", folder, "--out", tmp_path / "m.onnx"],
                ["serve", folder, "--state", tmp_path / "state"]]
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from lstmcast.cli.main import main
        answers = []
        for argv in {json.dumps([[str(a) for a in c] for c in commands])}:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(argv)
            answers.append([code, err.getvalue()])
        print(json.dumps({{"answers": answers, "torch": "torch" in sys.modules}}))
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.splitlines()[-1])
    for command, (code, err) in zip(commands, seen["answers"]):
        assert code == 1 and "not a readable lstmcast artifact" in err, (command[0], err)
        assert err.strip().count("\n") == 0, err
    assert seen["torch"] is False
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "why").exists()
