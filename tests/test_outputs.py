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
        one_line_error(result, str(data), "the data this command reads")
        assert snapshot(data, run) == before


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_out_onto_the_saved_model_is_refused_even_with_force(command, run, data):
    before = snapshot(data, run)
    for name, says in (("forecaster.lstmcast", "the model this command reads"),
                       ("config.toml", "part of the run folder"),
                       ("metrics.json", "part of the run folder")):
        result = run_cli(command, run, data, "--out", run / name, "--force")
        one_line_error(result, name, says)
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
    one_line_error(result, "the data this command reads")


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
    for out, says in ((mine, "existing file"), (data, "the data this command reads")):
        result = run_cli("train", data, "--target", "sales", "--group", "store", *FAST,
                         "--out", out)
        one_line_error(result, str(out), says)
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

    from lstmcast.tables.io import atomic_write

    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "forecast.csv", b"a,b\n")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.fixture
def inputs(run, data, tmp_path, trained):
    """Every kind of file a command reads, and a second run folder it does not read."""
    import pandas as pd

    future = tmp_path / "plan.csv"
    future.write_text("store,day,promo\na,60,1\n")
    config = tmp_path / "settings.toml"
    shutil.copy(run / "config.toml", config)
    keras = tmp_path / "model.keras"
    keras.write_bytes(b"not really keras, the guard runs first")
    other = tmp_path / "other-run"
    shutil.copytree(trained[0], other)
    shards = tmp_path / "shards"
    shards.mkdir()
    pd.read_csv(data).to_parquet(shards / "part-0.parquet")
    return {"run": run, "data": data, "future": future, "config": config, "keras": keras,
            "other": other, "shards": shards}


def _commands(p):
    """Each command that writes, with every input it reads; ``out`` is filled in later."""
    cols = ["--target", "sales", "--group", "store", "--time", "day", *FAST]
    return {
        "predict": (["predict", p["run"], p["data"], "--future", p["future"]],
                    ["data", "future", "run/forecaster.lstmcast"]),
        "predict-folder": (["predict", p["run"], p["shards"]], ["shards/part-0.parquet",
                                                              "shards/new.csv"]),
        "predict-glob": (["predict", p["run"], f"{p['shards']}/*.parquet"],
                         ["shards/part-0.parquet", "shards/new.parquet"]),
        "evaluate": (["evaluate", p["run"], p["data"]], ["data", "run/forecaster.lstmcast"]),
        "explain": (["explain", p["run"], p["data"]], ["data", "run", "."]),
        "backtest": (["backtest", p["data"], *cols, "--config", p["config"]],
                     ["data", "config"]),
        "export": (["export", p["run"]], ["run/forecaster.lstmcast",  # and a sidecar over
                                          "run/metrics.onnx", "other/metrics.onnx"]),
        "import-keras": (["import-keras", p["keras"]], ["keras"]),
        "train": (["train", p["data"], *cols, "--config", p["config"]],
                  ["data", "config", "."]),
    }


@pytest.mark.parametrize("command", ["predict", "predict-folder", "predict-glob", "evaluate",
                                     "explain", "backtest", "export", "import-keras", "train"])
def test_no_command_writes_what_it_reads_or_a_run_folder_force_or_not(command, inputs):
    argv, targets = _commands(inputs)[command]
    # every file of every run folder, read by this command or not
    targets = [*targets, *(f"other/{f.name}" for f in sorted(inputs["other"].iterdir())),
               "other"]
    before = snapshot(*(v for v in inputs.values()))
    for name in targets:
        head, _, rest = name.partition("/")
        path = inputs["data"].parent if head == "." else inputs[head]
        out = path / rest if rest else path
        for force in ([], ["--force"]) if command != "train" else ([],):
            result = run_cli(*argv, "--out", out, *force)
            assert result.returncode == 1, (name, result.stdout, result.stderr)
            assert result.stderr.strip().count("\n") == 0, result.stderr
            assert "Traceback" not in result.stderr
            assert snapshot(*(v for v in inputs.values())) == before, (name, force)


def test_out_formats_follow_the_extension(run, data, tmp_path):
    import json

    import pandas as pd

    csv, parquet, records = (tmp_path / f"f.{ext}" for ext in ("csv", "parquet", "json"))
    for path in (csv, parquet, records):
        result = run_cli("predict", run, data, "--out", path, "--quiet")
        assert result.returncode == 0, result.stderr
    table = pd.read_csv(csv)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), table, check_dtype=False)
    assert json.loads(records.read_text()) == json.loads(table.to_json(orient="records"))
    result = run_cli("predict", run, data, "--out", tmp_path / "f.xlsx")
    one_line_error(result, "'.xlsx'", ".csv, .parquet or .json")
    assert not (tmp_path / "f.xlsx").exists()
    result = run_cli("evaluate", run, data, "--out", tmp_path / "s.csv")
    assert result.returncode == 0, result.stderr
    assert {"model", "rmse"} <= set(pd.read_csv(tmp_path / "s.csv").columns)
