"""lstmcast.runs.folders: run folders written whole or resumed, TOML configs, data by name."""

import json
import sys

import pandas as pd
import pytest

from lstmcast.errors import DataError, InvalidArgumentError
from lstmcast.runs.folders import (
    CHECKPOINT,
    LAUNCH,
    RunFolder,
    partial_path,
    read_toml,
    resolve,
    resume_command,
    run_file,
    to_toml,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_to_toml_reads_back_as_written(tmp_path):
    sections = {"model": {"units": (64, 32), "dropout": 0.25, "epochs": 3, "shuffle": False,
                          "loss": 'a "quoted" name', "window": None},
                "data": {"target": ["OT", "HUFL"], "time": "date"}}
    text = to_toml(sections)
    assert text.startswith("# lstmcast run settings")
    assert "window" not in text  # None is left out
    assert tomllib.loads(text) == {
        "model": {"units": [64, 32], "dropout": 0.25, "epochs": 3, "shuffle": False,
                  "loss": 'a "quoted" name'},
        "data": {"target": ["OT", "HUFL"], "time": "date"}}
    (tmp_path / "config.toml").write_text(text)
    assert read_toml(tmp_path / "config.toml") == tomllib.loads(text)
    with pytest.raises(TypeError, match="cannot write dict to TOML"):
        to_toml({"model": {"bad": {"a": 1}}})


def test_read_toml_refusals(tmp_path):
    with pytest.raises(DataError) as info:
        read_toml(tmp_path / "none.toml")
    assert str(info.value) == f"Config file {str(tmp_path / 'none.toml')!r} does not exist."
    (tmp_path / "bad.toml").write_text("[model\nunits = ")
    with pytest.raises(DataError, match=r"^Config file '.*bad.toml' is not valid TOML: "):
        read_toml(tmp_path / "bad.toml")


def test_resolve_names_and_files(tmp_path):
    airline = resolve("airline")
    assert airline.holdout == 24 and airline.test is None
    assert (airline.defaults["target"], airline.defaults["season"]) == ("passengers", 12)
    assert "passengers" in airline.frame.columns
    # months as the shipped file writes them (its first line: 1949-01,112), so that the
    # forecasts of `lstmcast predict airline` read 1961-01, not 1961-01-01
    assert airline.frame["month"].iloc[0] == "1949-01"
    assert airline.frame["passengers"].iloc[0] == 112
    path = tmp_path / "t.csv"
    pd.DataFrame({"y": [1.0, 2.0]}).to_csv(path, index=False)
    source = resolve(str(path))
    assert source.frame["y"].tolist() == [1.0, 2.0] and source.defaults == {}
    with pytest.raises(InvalidArgumentError, match=r"^Unknown C-MAPSS subset 'FD009'; use one "
                                                   r"of cmapss:FD001, cmapss:FD002"):
        resolve("cmapss:fd009")
    with pytest.raises(DataError) as info:
        resolve("airlines")
    assert str(info.value) == ("'airlines' is neither a file nor a built-in dataset "
                               "(cmapss:FD001, cmapss:FD002, cmapss:FD003, cmapss:FD004, "
                               "airline, sunspots, etth2).")


def test_resume_command_and_partial_path(tmp_path):
    assert resume_command("runs/a", 1) == "lstmcast train --resume runs/a"
    assert resume_command("runs/a", 4) == ("torchrun --nproc-per-node 4 -m lstmcast train "
                                           "--resume runs/a")
    assert partial_path(tmp_path / "run") == tmp_path / ".run.partial"


def test_a_run_folder_appears_whole_at_the_end(tmp_path):
    target = tmp_path / "run"
    with RunFolder(target) as run:
        run.file("config.toml").write_text("[model]\n")
        assert not target.exists() and run.path == tmp_path / ".run.partial"
        assert json.loads((run.path / LAUNCH).read_text()) == {"processes": 1}
    assert sorted(p.name for p in target.iterdir()) == ["config.toml"]  # no lock, no launch
    assert not partial_path(target).exists()
    with pytest.raises(InvalidArgumentError) as info:
        RunFolder(target)
    assert str(info.value) == (f"Run folder {str(target)!r} already exists and is not empty; "
                               "choose another --out (nothing was overwritten).")


def test_an_empty_target_folder_is_used(tmp_path):
    (tmp_path / "run").mkdir()
    with RunFolder(tmp_path / "run") as run:
        run.file("a.txt").write_text("x")
    assert (tmp_path / "run" / "a.txt").read_text() == "x"


def test_a_failed_run_leaves_nothing_without_a_checkpoint(tmp_path):
    with pytest.raises(RuntimeError, match="^boom$"):
        with RunFolder(tmp_path / "run") as run:
            run.file("config.toml").write_text("")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_with_a_checkpoint_says_how_to_resume_and_resumes(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError) as info:
        with RunFolder(target) as run:
            run.file("config.toml").write_text("[model]\n")
            run.file(CHECKPOINT).write_bytes(b"weights")
            raise RuntimeError("the loss became NaN")
    partial = partial_path(target)
    assert str(info.value) == (f"the loss became NaN (the last finished epoch is kept in "
                               f"{str(partial)!r}: resume with `lstmcast train --resume "
                               f"{target}`)")
    assert (partial / CHECKPOINT).read_bytes() == b"weights"
    with pytest.raises(InvalidArgumentError, match=r"^An interrupted run of this name exists "
                                                   r".*resume it with `lstmcast train --resume"):
        RunFolder(target)
    with pytest.raises(InvalidArgumentError, match=r"was trained by 1 process and is resumed by "
                                                   r"2: .*`lstmcast train --resume .*run`\.$"):
        RunFolder(target, resume=True, processes=2)
    with RunFolder(target, resume=True) as run:
        assert (run.path / CHECKPOINT).read_bytes() == b"weights"
        run.file("forecaster.lstmcast").write_bytes(b"model")
    assert (target / "forecaster.lstmcast").read_bytes() == b"model"
    with pytest.raises(InvalidArgumentError, match=r"is finished \(its model is saved\): there "
                                                   r"is nothing to resume"):
        RunFolder(target, resume=True)


def test_refusals_before_anything_is_written(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"^There is no interrupted run to resume at "
                                                   r".*\(no .run.partial/config.toml\)\.$"):
        RunFolder(tmp_path / "run", resume=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidArgumentError, match="is an existing file, not a run folder"):
        RunFolder(tmp_path / "file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_name_cannot_escape_the_run_folder(tmp_path):
    with RunFolder(tmp_path / "run") as run:
        for name in ("../outside.txt", "/etc/passwd"):
            with pytest.raises(InvalidArgumentError, match="is not a file name inside the run "
                                                           "folder"):
                run.file(name)
        assert run.file("sub/x.csv") == (run.path / "sub" / "x.csv").resolve()


def test_run_file(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"^Run folder '.*nowhere' does not exist\.$"):
        run_file(tmp_path / "nowhere", "forecaster.lstmcast")
    with pytest.raises(InvalidArgumentError, match=r"is not an lstmcast run folder \(no "
                                                   r"forecaster.lstmcast\)\.$"):
        run_file(tmp_path, "forecaster.lstmcast")
    (tmp_path / "forecaster.lstmcast").write_bytes(b"")
    assert run_file(tmp_path, "forecaster.lstmcast") == tmp_path / "forecaster.lstmcast"


def test_a_run_being_written_is_locked(tmp_path):
    import os

    target = tmp_path / "run"
    with RunFolder(target) as run:
        run.file("config.toml").write_text("")
        with pytest.raises(InvalidArgumentError) as info:
            RunFolder(target, resume=True)  # another open of the lock file: refused
        assert str(info.value) == (f"Run {str(target)!r} is being trained right now (by process "
                                   f"{os.getpid()}); wait for it to finish, or choose another "
                                   "--out (nothing was touched).")
    assert (target / "config.toml").is_file()
