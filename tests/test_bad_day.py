"""A user's bad day, through the command line: every mistake gets one line, nothing is lost.

Each case writes a small bad file (or gives a bad argument), runs ``lstmcast``
as a subprocess, and checks the exit code, that the error is one line naming
the problem with no traceback, that nothing was trained when the mistake was
visible before training, and that every file is byte-identical afterwards.
"""

import json

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, one_line_error, run_cli


def write(path, frame):
    frame.to_csv(path, index=False)
    return path


def frame(n=40, ids=("a", "b")):
    rng = np.random.default_rng(1)
    parts = [pd.DataFrame({"id": i, "t": np.arange(n), "x": rng.normal(size=n),
                           "y": 10 + np.sin(np.arange(n) / 3) + rng.normal(0, 0.1, n)})
             for i in ids]
    return pd.concat(parts, ignore_index=True)


def units_row(df, units):
    """The first row made a row of units, as a spreadsheet export writes one."""
    for name, unit in units.items():
        df[name] = df[name].astype(object)
        df.loc[0, name] = unit


def unchanged(paths, before):
    assert {p: p.read_bytes() for p in paths} == before


@pytest.fixture
def csv(tmp_path):
    return write(tmp_path / "data.csv", frame())


def bad_file(tmp_path, name, edit):
    df = frame()
    edit(df)
    return write(tmp_path / name, df)


@pytest.mark.parametrize(("edit", "args", "needles"), [
    # the target named among the features with horizon 0 would train on the answer
    (None, ["--features", "x,y", "--horizon", "0"], ["'y' is among the features",
                                                      "horizon 0"]),
    (None, ["--group", "y"], ["'y' is the target and cannot also be the group"]),
    (None, ["--time", "y"], ["'y' is the target and cannot also be the time"]),
    (None, ["--epochs", "0"], ["--epochs expects a positive integer, got '0'"]),
    (None, ["--holdout", "-5"], ["--holdout expects a positive integer, got '-5'"]),
    (None, ["--holdout", "40"], ["--holdout 40 is not less than the 40 rows"]),
    (None, ["--window", "ten"], ["--window expects a positive integer, got 'ten'"]),
    (None, ["--scaler", "robust"], ["--scaler expects one of minmax, standard"]),
    (None, ["--future", "y"], ["target 'y' cannot be a future input"]),
    # missing keys: never sorted to the end or dropped in silence
    (lambda df: df.__setitem__("t", df["t"].astype(float).where(df.index != 5)), [],
     ["Time column 't' has 1 missing values (first at row 5)"]),
    # a row of units under the header: the time blank there, the numbers text
    (lambda df: units_row(df, {"t": None, "x": "kWh"}), [],
     ["Time column 't' is blank in the first row (a row of units or notes under the "
      "header?): leave that row out"]),
    (lambda df: df.__setitem__("id", df["id"].where(df.index != 7)), [],
     ["Series-id column 'id' has 1 missing values (first at row 7)"]),
    # a NaN value: the hint names the command line's option, not Python's
    (lambda df: df.__setitem__("x", df["x"].where(df.index != 3)), [],
     ["'x' holds 1 NaN", "--missing drop"]),
    # a gap in the time column
    (lambda df: df.drop(index=[10, 11], inplace=True), [],
     ["2 missing time steps (every 1) in 1 series; the first in series 'a', between 9 and 12",
      "--missing ffill"]),
])
def test_mistakes_before_training_are_one_line_and_train_nothing(edit, args, needles,
                                                                  tmp_path):
    data = bad_file(tmp_path, "bad.csv", edit) if edit else write(tmp_path / "d.csv", frame())
    before = {data: data.read_bytes()}
    result = run_cli("train", data, "--target", "y", "--group", "id", "--time", "t", *FAST,
                     *args, "--out", tmp_path / "run")
    one_line_error(result, *needles)
    assert "Epoch" not in result.stdout  # refused before any training
    assert not (tmp_path / "run").exists()
    assert not list(tmp_path.glob(".run.partial"))
    unchanged([data], before)


def test_inspect_names_a_one_row_file_and_missing_ids(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("t,y\n1,2.0\n")
    for command in ("inspect", "train"):
        result = run_cli(command, one, "--target", "y", "--time", "t")
        one_line_error(result, "1 row")
    data = bad_file(tmp_path, "ids.csv", lambda df: df.__setitem__(
        "id", df["id"].where(df.index != 7)))
    result = run_cli("inspect", data, "--target", "y", "--group", "id", "--time", "t")
    one_line_error(result, "Series-id column 'id' has 1 missing values")


def test_config_files_are_checked_key_by_key(tmp_path, csv):
    cases = [('[data]\ntarget = "y"\ntim = "t"\n', "Unknown [data] setting", "'time'"),
             ('[data]\ntarget = "y"\n[modle]\nwindow = 5\n', "Unknown section [modle]",
              "'model'"),
             ('[data]\ntarget = "y"\nholdout = "ten"\n', "[data] holdout",
              "--holdout expects a positive integer, got 'ten'"),
             ('[model]\nwindw = 5\n', "Unknown [model] setting", "'window'"),
             ('[model]\ndifference = "maybe"\n', "--difference expects true or false")]
    for k, (text, *needles) in enumerate(cases):
        config = tmp_path / f"c{k}.toml"
        config.write_text(text)
        result = run_cli("train", csv, "--config", config, "--out", tmp_path / "r")
        one_line_error(result, str(config), *needles)
        assert "Epoch" not in result.stdout and not (tmp_path / "r").exists()


def test_header_spaces_and_trailing_commas_read_as_meant(tmp_path):
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("t, y\n" + "".join(f"{i}, {np.sin(i / 3):.4f}\n" for i in range(40)))
    result = run_cli("inspect", spaced, "--target", "y", "--time", "t", "--window", "5")
    assert result.returncode == 0, result.stderr
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("t,x,y,\n" + "".join(f"{i},{i % 3},{'' if i == 4 else i % 5},\n"
                                             for i in range(40)))
    result = run_cli("inspect", trailing, "--target", "y", "--time", "t", "--window", "5",
                     "--missing", "drop")
    assert result.returncode == 0, result.stderr
    assert "inputs (2):\n  past feature: x\n  target's past: y\n" in result.stdout
    assert "1 missing values: drop, 1 rows dropped" in result.stdout


def test_evaluate_says_which_rows_it_scored(trained, table, tmp_path):
    run, _ = trained  # trained on all but the last 12 rows of each of the 2 stores (60 rows)
    result = run_cli("evaluate", run, table)
    assert result.returncode == 0, result.stderr
    # the CLI's train held out 20% of the shortest series: 12 rows; window 6, horizon 1
    assert ("Scored 24 windows: the rows after the training data (2 series)."
            in result.stdout), result.stdout
    out = tmp_path / "scores.json"
    result = run_cli("evaluate", run, table, "--holdout", "5", "--out", out)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["scored"] == "the last 5 rows of each series" and report["n_windows"] == 10
    result = run_cli("evaluate", run, table, "--holdout", "60")
    one_line_error(result, "--holdout 60 is not less than the 60 rows of series 'a'")
    # the training rows alone: scored, but said so
    train_only = write(tmp_path / "train_only.csv", pd.read_csv(table).groupby("store").head(48))
    result = run_cli("evaluate", run, train_only)
    assert result.returncode == 0, result.stderr
    assert "all of them were in the training data" in result.stdout
    assert "warning: Every row of this table was in the model's training data" in result.stderr


def test_unknown_series_with_per_series_scaling_is_an_error(tmp_path):
    data = write(tmp_path / "d.csv", frame())
    run = tmp_path / "run"
    result = run_cli("train", data, "--target", "y", "--group", "id", "--time", "t", *FAST,
                     "--scale-by", "series", "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    other = write(tmp_path / "other.csv", frame(ids=("a", "c", "d")))
    before = {p: p.read_bytes() for p in (other, run / "forecaster.lstmcast")}
    result = run_cli("predict", run, other)
    one_line_error(result, "2 series had no rows in the training data ('c', 'd')",
                   "--scale-by global")
    result = run_cli("evaluate", run, other)
    one_line_error(result, "'c', 'd'")
    unchanged(list(before), before)
