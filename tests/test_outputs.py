"""Nothing a user has is overwritten: every command that writes, tried on what is there.

Each test runs the command line as a user would (a subprocess), checks that it
fails with one line naming the path, and that every file is byte-identical
afterwards; ``--force`` replaces an ordinary file but never the data being
read nor a run's own files.
"""

import fcntl
import shutil

import pytest
from helpers import FAST, one_line_error, run_cli


def snapshot(*paths):
    """Bytes of every file under ``paths`` (files or folders), to compare after a command."""
    files = {}
    for path in paths:
        for f in ([path] if path.is_file() else sorted(path.rglob("*"))):
            if f.is_file():
                files[f] = f.read_bytes()
    return files


@pytest.fixture
def run(trained, tmp_path):
    """A private copy of the trained run folder (a bug here must not break other tests)."""
    out = tmp_path / "run"
    shutil.copytree(trained[0], out)
    return out


@pytest.fixture
def data(table, tmp_path):
    copy = tmp_path / "sales.csv"
    shutil.copy(table, copy)
    return copy


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_out_onto_the_input_data_is_refused_even_with_force(command, run, data):
    before = snapshot(data, run)
    for force in ([], ["--force"]):
        result = run_cli(command, run, data, "--out", data, *force)
        one_line_error(result, str(data), "data file this command reads")
        assert snapshot(data, run) == before


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_out_onto_the_saved_model_is_refused_even_with_force(command, run, data):
    before = snapshot(data, run)
    for name in ("forecaster.lstmcast", "config.toml", "metrics.json"):
        result = run_cli(command, run, data, "--out", run / name, "--force")
        one_line_error(result, name, "part of the run folder")
    assert snapshot(data, run) == before
    assert run_cli("predict", run, data).returncode == 0  # the model still loads


@pytest.mark.parametrize(("command", "suffix"), [("predict", ".csv"), ("evaluate", ".json")])
def test_an_existing_file_needs_force(command, suffix, run, data, tmp_path):
    mine = tmp_path / f"mine{suffix}"
    mine.write_text("my own notes\n")
    result = run_cli(command, run, data, "--out", mine)
    one_line_error(result, str(mine), "already exists", "--force")
    assert mine.read_text() == "my own notes\n"
    result = run_cli(command, run, data, "--out", mine, "--force")
    assert result.returncode == 0, result.stderr
    assert mine.read_text() != "my own notes\n"


def test_backtest_refuses_an_existing_out_before_training(data, tmp_path):
    mine = tmp_path / "scores.csv"
    mine.write_text("keep me\n")
    result = run_cli("backtest", data, "--target", "sales", "--group", "store", "--time", "day",
                     *FAST, "--folds", "2", "--test-size", "5", "--out", mine)
    one_line_error(result, str(mine), "already exists")
    assert "Backtest fold" not in result.stdout  # refused before any training
    assert mine.read_text() == "keep me\n"
    result = run_cli("backtest", data, "--target", "sales", "--group", "store", "--time", "day",
                     *FAST, "--folds", "2", "--test-size", "5", "--out", data, "--force")
    one_line_error(result, "data file this command reads")


def test_explain_never_rewrites_a_folder_and_picks_new_default_names(run, data, tmp_path):
    folder = tmp_path / "why"
    folder.mkdir()
    (folder / "summary.txt").write_text("my summary\n")
    result = run_cli("explain", run, data, "--out", folder)
    one_line_error(result, str(folder), "not empty", "--force")
    assert snapshot(folder) == {folder / "summary.txt": b"my summary\n"}
    result = run_cli("explain", run, data, "--out", run, "--force")
    one_line_error(result, "run folder")
    # the default folder inside the run: a second explanation gets a new name
    first = run_cli("explain", run, data, "--quiet")
    second = run_cli("explain", run, data, "--quiet")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    made = sorted(p.name for p in run.iterdir() if p.name.startswith("explain-"))
    assert len(made) == 2 and made[1] == made[0] + "-2", made
    result = run_cli("explain", run, data, "--out", folder, "--force")
    assert result.returncode == 0, result.stderr
    assert (folder / "summary.txt").read_text() != "my summary\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_train_never_writes_over_a_file_or_the_data(data, tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("notes\n")
    before = snapshot(data, mine)
    for out in (mine, data):
        result = run_cli("train", data, "--target", "sales", "--group", "store", *FAST,
                         "--out", out)
        one_line_error(result, str(out), "existing file")
    assert snapshot(data, mine) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_second_train_on_a_run_in_progress_says_so(data, tmp_path):
    out = tmp_path / "busy"
    partial = tmp_path / ".busy.partial"
    partial.mkdir()
    (partial / "config.toml").write_text("[data]\n")
    with open(partial / ".lock", "a+") as lock:  # what a running `train` holds
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("process 4242")
        lock.flush()
        result = run_cli("train", data, "--target", "sales", "--group", "store", *FAST,
                         "--out", out)
        one_line_error(result, "being trained right now", "process 4242")
        result = run_cli("train", "--resume", out)
        one_line_error(result, "being trained right now")
    assert (partial / "config.toml").read_text() == "[data]\n"
    # once that process is gone, the folder is an interrupted run to resume or delete
    result = run_cli("train", data, "--target", "sales", "--group", "store", *FAST, "--out", out)
    one_line_error(result, "interrupted run", "--resume")


def test_written_files_get_the_usual_permissions(tmp_path):
    # atomic writes go through a private temporary file (mode 0600); the result must not
    # stay private: an exported model or a forecast is read by other users and services
    import os

    from lstmcast.bundle import atomic_write

    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "forecast.csv", b"a,b\n")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
