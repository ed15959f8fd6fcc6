"""The command line, run as a user would: subprocesses, run folders, exit codes."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, one_line_error, run_cli

from lstmcast.cli.main import command_parsers


def test_train_writes_a_complete_run_folder(trained):
    out, result = trained
    names = {p.name for p in out.iterdir()}
    assert names == {"forecaster.lstmcast", "config.toml", "metrics.json", "history.csv",
                     "predictions.csv", "loss.png", "forecast.png", "explain", "report.html"}
    metrics = json.loads((out / "metrics.json").read_text())
    models = {row["model"] for row in metrics["scores"]}
    assert {"lstmcast", "train_mean"} <= models
    assert metrics["window"] == 6 and metrics["season"] is None  # given; numbered days
    assert "Test scores" in result.stdout and "skill" in result.stdout
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp folder


def test_config_toml_reproduces_the_run(trained, table, tmp_path):
    out, _ = trained
    again = tmp_path / "again"
    result = run_cli("train", table, "--config", out / "config.toml", "--out", again)
    assert result.returncode == 0, result.stderr
    first = json.loads((out / "metrics.json").read_text())["scores"]
    second = json.loads((again / "metrics.json").read_text())["scores"]
    assert first == second  # same data, config and seed: the same numbers


def test_evaluate_predict_on_a_run(trained, table, tmp_path):
    out, _ = trained
    result = run_cli("evaluate", out, table, "--holdout", "6")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("last 6 rows of each series" in line for line in lines), result.stdout
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["model", "mae",
                                                                             "rmse"])
    table_lines = itertools.takewhile(lambda line: line.strip() and not line.startswith(
        "note:"), lines[header + 1:])  # the table ends at a blank line or the notes
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in table_lines}
    assert list(rows)[0] == "lstmcast"  # the model first, then the baselines beside it
    assert {"naive", "train_mean", "window_mean"} <= set(rows)
    assert all(np.isfinite(v[:2]).all() for v in rows.values())  # mae, rmse
    forecast = tmp_path / "forecast.csv"
    result = run_cli("predict", out, table, "--out", forecast)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(forecast)
    assert list(frame.columns) == ["store", "step", "day", "sales"]
    assert frame["day"].tolist() == [60, 60]


def test_backtest_and_inspect(table):
    result = run_cli("backtest", table, "--target", "sales", "--group", "store", "--time", "day",
                     *FAST, "--folds", "2", "--test-size", "5")
    assert result.returncode == 0, result.stderr
    assert "Backtest fold 2/2" in result.stdout and "over 2 folds" in result.stdout
    result = run_cli("inspect", table, "--target", "sales", "--group", "store", "--time", "day",
                     "--window", "10")
    assert result.returncode == 0, result.stderr
    assert "(samples, time_steps, features)" in result.stdout
    assert ("sales.csv, 120 rows; 96 rows in 2 series to fit on, the last 12 of each "
            "series held out to test") in result.stdout  # the file's rows first, not the 96
    assert "first training window: series 'a', day 0 .. 9; target at ['10']" in result.stdout
    assert "zero-copy" in result.stdout


def test_builtin_dataset_inspect():
    result = run_cli("inspect", "cmapss:FD001")
    assert result.returncode == 0, result.stderr
    assert "train      (13980, 30, 17)" in result.stdout
    assert "test       (100, 30, 17)" in result.stdout


@pytest.mark.parametrize("command", list(command_parsers()))
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "example" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["train", "missing.csv", "--target", "y"], "no such file"),
    (["train", "cmapss:FD009"], "Unknown C-MAPSS subset"),
    (["train", "{table}", "--target", "sale"], "Did you mean 'sales'"),
    (["train", "{table}", "--target", "sales", "--window", "0"],
     "--window expects a positive integer, got '0'"),
    (["train", "{table}"], "--target is required for this data (the column to forecast): "
                           "one of 'day', 'promo', 'temp', 'sales' (or several, joined by "
                           "commas, forecast together)."),
    (["train", "{table}", "--target", "sales", "--group", "store", "--difference",
      "--no-autoregressive"],
     "target's past must be an input"),
    (["evaluate", "no-such-run", "{table}"], "does not exist"),
])
def test_bad_input_is_one_clear_line(args, message, table, tmp_path):
    args = [str(a).replace("{table}", str(table)) for a in args]
    result = run_cli(*args, "--out" if args[0] == "train" else "--quiet", *(
        [tmp_path / "r"] if args[0] == "train" else []))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


def test_a_bare_column_of_values_trains_without_naming_it(tmp_path):
    """A file of values alone (no header, one column): its every row is read and its one
    numeric column forecast, each said on stderr; the file is left as it was."""
    values = 50 + 10 * np.sin(np.arange(80) / 3)
    path = tmp_path / "bare.csv"
    path.write_text("\n".join(f"{v:.3f}" for v in values) + "\n")
    written = path.read_bytes()
    result = run_cli("train", path, *FAST, "--out", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    assert "has no header line" in result.stderr
    assert "Forecasting 'value', the table's only numeric column" in result.stderr
    assert 'target = ["value"]' in (tmp_path / "r" / "config.toml").read_text()
    assert "Test scores on the last 16 rows" in result.stdout  # 20% of the 80 written
    named = tmp_path / "named.csv"  # the same values under a header: the same run
    named.write_text("value\n" + path.read_text())
    assert run_cli("train", named, *FAST, "--out", tmp_path / "n").returncode == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r" / "predictions.csv"),
                                  pd.read_csv(tmp_path / "n" / "predictions.csv"))
    assert path.read_bytes() == written


def test_help_and_errors_about_arguments_or_files_come_before_torch(trained, table,
                                                                    tmp_path):
    """Each command line runs in one fresh process, in turn: after each, torch must still
    be unloaded (the first that loads it is named)."""
    run, _ = trained
    blob = tmp_path / "blob.csv"
    blob.write_bytes(bytes(range(256)) * 4)
    t, r, b, no = str(table), str(run), str(blob), str(tmp_path / "missing.csv")
    lines = [["--help"], *([c, "--help"] for c in command_parsers()),
             ["train", no, "--target", "y"], ["train", b, "--target", "y"],
             ["train", t, "--target", "sale"], ["train", t, "--target", "sales", "--window", "0"],
             ["train", t, "--target", "sales", "--out", t],
             ["evaluate", str(tmp_path / "no-run"), t], ["evaluate", r, no],
             ["evaluate", r, t, "--holdout", "-3"], ["predict", r, b],
             ["predict", r, t, "--future", no], ["predict", r, t, "--n-ahead", "-1"],
             ["predict", r, t, "--out", t], ["explain", r, b], ["backtest", b, "--target", "y"],
             ["inspect", b, "--target", "y"], ["tune", t, "--target", "sales"],
             ["serve", r, "--port", "99999"], ["export", str(tmp_path / "no-run"), "--out",
                                                str(tmp_path / "m.onnx")],
             ["import-keras", no, "--out", str(tmp_path / "m.lstmcast")]]
    script = f"""
import contextlib, io, json, sys
from lstmcast.cli.main import main
for argv in {json.dumps(lines)}:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exc:
        code = exc.code
    print(json.dumps([argv, code, err.getvalue(), "torch" in sys.modules]), flush=True)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]
    assert len(answers) == len(lines)
    for argv, code, err, torch_loaded in answers:
        assert not torch_loaded, argv
        if "--help" in argv:
            assert code == 0, argv
        else:
            assert code in (1, 2) and err.strip() and "Traceback" not in err, (argv, err)


def test_an_existing_run_folder_is_never_overwritten(trained, table):
    out, _ = trained
    before = (out / "forecaster.lstmcast").read_bytes()
    result = run_cli("train", table, "--target", "sales", *FAST, "--out", out)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert (out / "forecaster.lstmcast").read_bytes() == before


def test_a_run_folder_and_a_table_given_in_the_wrong_order_are_named(trained, table):
    """``lstmcast predict sales.csv RUN`` said the CSV was a saved model wanting a .npy
    array; ``lstmcast train RUN`` found no Parquet file in it. Each now says what is
    what, and the order; nothing is written."""
    out, _ = trained
    before = sorted(p.name for p in out.iterdir())
    for command in ("predict", "evaluate", "explain"):
        result = run_cli(command, table, out)
        assert result.returncode != 0
        assert (f"{str(table)!r} is not a run folder, and {str(out)!r} is one: the run folder "
                f"comes first (lstmcast {command} {out} {table})") in result.stderr, \
            result.stderr
    for command in ("train", "inspect"):
        result = run_cli(command, out, "--target", "sales")
        assert result.returncode == 1
        assert f"{str(out)!r} is a run folder (it holds a saved model), not a table" in \
            result.stderr, result.stderr
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize(("argv", "said"), [
    (["predict", "RUN", "t.csv", "--window", "10"],
     "unrecognized arguments: --window 10; --window is an option of lstmcast train, "),
    (["predict", "RUN", "t.csv", "--quantile", "0.5"],
     "; --quantiles is an option of lstmcast train, "),
    (["predict", "RUN", "t.csv", "--n-ahed", "3"], "; did you mean --n-ahead?"),
    (["evaluate", "RUN", "t.csv", "--zzz"], "unrecognized arguments: --zzz (see lstmcast"),
])
def test_an_option_another_command_takes_is_named_with_it(argv, said, capsys):
    """``predict --window``: argparse said "unrecognized arguments" and no more; the option
    is a training setting, which the run keeps, and a near name is the one meant."""
    from lstmcast.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and said in err, err
    if "is an option of" in said:
        assert "not of " + argv[0] + " (a run folder keeps the settings it was trained with)" \
            in err


def test_bad_files_are_named(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("a,b,c\n")
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    for path, message in [(empty, "is empty"), (header, "header but no data rows"),
                          (binary, "binary data")]:
        result = run_cli("inspect", path, "--target", "a")
        assert result.returncode == 1 and message in result.stderr, result.stderr


def test_demo_runs_the_full_workflow(tmp_path):
    result = run_cli("demo", "--epochs", "1", "--out", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    assert "(None, 30, 100)" in result.stdout and "Total params: 77,451" in result.stdout
    assert "train_mean" in result.stdout and "rmse" in result.stdout
    assert (tmp_path / "demo" / "rul.png").exists()


def test_python_dash_m_and_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("lstmcast ")


@pytest.mark.benchmark
def test_speed_benchmark_runs_on_tiny_sizes(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"
    out = subprocess.run([sys.executable, str(script), "--quick", "--out",
                          str(tmp_path / "benchmarks.md")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    doc = (tmp_path / "benchmarks.md").read_text()
    for row in ("| lstmcast Sequential |", "| lstmcast Sequential, bfloat16 |",
                "| lstmcast Forecaster |", "| PyTorch, hand-written loop |",
                "training, lstmcast Sequential / PyTorch, hand-written loop | >= 1.2x",
                "float32, batched", "| 10,000 | 9,970 |"):
        assert row in doc, row
    assert (tmp_path / "images" / "benchmarks.png").stat().st_size > 10_000
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    for row in results["head_to_head"].values():  # every contender really trained
        assert row["train"]["median"] > 0 and row["peak_mb"]["median"] > 50
    # a peer without its environment is skipped with a message, never faked
    for backend in ("tensorflow", "jax", "torch"):
        assert (f"Keras 3 + {backend}" in results["head_to_head"]) != (
            f"skipped Keras 3 + {backend}" in out.stdout)


def test_fd001_arrays_for_the_keras_recipe_match_the_protocol(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import speed

    n = speed.fd001_arrays(tmp_path / "fd001.npz")
    arrays = np.load(tmp_path / "fd001.npz")
    # 100 training engines, 20,631 rows: one window per row from cycle 30 on
    assert n == 20631 - 100 * 29 == arrays["x"].shape[0]
    # constant columns dropped: setting_3, s_1, s_5, s_10, s_16, s_18, s_19 (s_5 and s_16
    # have a float standard deviation of ~1e-15, so `std() > 0` would have kept them)
    assert arrays["x"].shape[1:] == (30, 17) == arrays["x_test"].shape[1:]
    assert arrays["y"].max() == 125 and arrays["y"].min() == 0
    assert arrays["x_test"].shape[0] == 100 and arrays["truth"].shape == (100,)
    assert 0 <= arrays["x"].min() and arrays["x"].max() <= 1  # min-max on training rows


def test_age_only_forecast_is_the_mean_capped_rul_of_engines_that_old():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import cmapss

    # training engines living 5 and 10 cycles; engines seen for 3, 7 and 12 cycles
    train = pd.DataFrame({"unit": [1] * 5 + [2] * 10, "cycle": [*range(1, 6), *range(1, 11)]})
    forecast = cmapss.age_only(train, np.array([3, 7, 12]), cap=6)
    # at cycle 3 both are alive, with RUL 2 and 7 (capped 6); at 7 only the second (RUL 3);
    # at 12 none is
    assert forecast.tolist() == [(2 + 6) / 2, 3.0, 0.0]


@pytest.mark.benchmark
def test_accuracy_benchmark_runs_on_tiny_sizes(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "cmapss.py"
    out = subprocess.run([sys.executable, str(script), "--quick", "--configs", "a,b",
                          "--no-classical", "--out", str(tmp_path / "accuracy.md")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = (tmp_path / "accuracy.md").read_text()
    assert "| FD001 | (a) |" in doc and "| FD001 | (b) |" in doc and "Zheng" in doc
    assert "| airline | lstmcast |" in doc and "- airline: lstmcast" in doc
    assert "| (b) reaches Li's deep CNN | " in doc
    # --keep redoes (b) only and keeps (a) from the json on file
    results = json.loads((tmp_path / "accuracy.json").read_text())
    kept_a = [r for r in results["cmapss"] if r["config"] == "a"]
    again = subprocess.run([sys.executable, str(script), "--quick", "--configs", "b", "--keep",
                            "--no-univariate", "--out", str(tmp_path / "accuracy.md")],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    merged = json.loads((tmp_path / "accuracy.json").read_text())
    assert [r for r in merged["cmapss"] if r["config"] == "a"] == kept_a
    assert merged["univariate"] == results["univariate"]
    # 11 of FD001's test engines have a true RUL above 125 (126..145): their cost at the cap
    assert "FD001 3.74" in doc and "truth clipped at 125" in doc
    # the table of engines past the cap counts those 11 for every row
    assert "| FD001 | (a) | 11 |" in doc and "| FD001 | (b) | 11 |" in doc
    assert all(0 < r["beyond_cap_error_share"] < 1 for r in merged["cmapss"])
    # the young engines' table: FD001 has 30 test engines seen for fewer than 100 cycles
    assert "| FD001 | (b) | 30 |" in doc and "age alone, no sensor" in doc
    assert all(len(r["forecasts"]) == 100 for r in merged["cmapss"])


def test_one_version_number_that_of_the_installed_package():
    from importlib.metadata import version

    import lstmcast

    assert lstmcast.__version__ == version("lstmcast")
    result = run_cli("--version")
    assert result.stdout.strip() == f"lstmcast {version('lstmcast')}"


def test_a_short_series_among_long_ones_holds_out_the_rows_one_forecast_spans(tmp_path):
    """20% of the shortest series (12 weeks: 2 rows) cannot hold a forecast of 4 steps: the
    test holds out 4 rows of each series, and every series is scored (it failed after
    training: 'No window of 2 rows plus its targets fits in the rows to score')."""
    rng = np.random.default_rng(3)
    frames = []
    for store, n in [(1, 120), (2, 90), (3, 12)]:
        weeks = pd.date_range(end="2024-06-30", periods=n, freq="W-SUN").strftime("%Y-%m-%d")
        frames.append(pd.DataFrame({"store": store, "week": weeks,
                                    "units": rng.poisson(5.0, n).astype(float)}))
    path = tmp_path / "stores.csv"
    pd.concat(frames).to_csv(path, index=False)
    done = run_cli("train", path, "--target", "units", "--time", "week", "--group", "store",
                   "--steps", 4, "--epochs", 1, "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr[-2000:]
    # one window per series; the short one has no year of history for the seasonal naive
    assert "Test scores on the last 4 rows of each series (2 windows)" in done.stdout
    assert "scored on the 2 of 3 windows with a season of history" in done.stdout
    scores = json.loads((tmp_path / "run" / "metrics.json").read_text())["scores"]
    assert {row["model"] for row in scores} >= {"lstmcast", "naive", "seasonal_naive"}
    done = run_cli("train", path, "--target", "units", "--time", "week", "--group", "store",
                   "--steps", 12, "--epochs", 1, "--out", tmp_path / "run12")
    assert done.returncode != 0 and not (tmp_path / "run12").exists()
    assert done.stderr.strip().splitlines()[-1] == (
        "lstmcast train: error: The shortest series has 12 rows: the test holds out the last "
        "12 of each series, the rows one forecast of 12 steps spans, which leaves none to "
        "train on. Leave out the shortest series, or forecast fewer steps (--steps).")


@pytest.mark.parametrize("rows, said", [
    (2, "The table has 1 row; training needs a history"),
    (3, "Every series is shorter than window + horizon + steps - 1 = 3 rows; the longest has 2"),
])
def test_a_table_too_short_to_train_on_says_the_rows_held_out_were_left_out(tmp_path, rows,
                                                                              said):
    """Train holds out each series' last rows for the test; too short a table's error says
    the rows it counts are those before them, not the file's (2 rows: 1 to train on)."""
    path = tmp_path / "short.csv"
    quarters = ["1960 Q1", "1960 Q2", "1960 Q3"][:rows]
    pd.DataFrame({"quarter": quarters, "gas": [160.0, 170.0, 150.0][:rows]}).to_csv(
        path, index=False)
    done = run_cli("train", path, "--target", "gas", "--time", "quarter", "--steps", 1,
                   "--out", tmp_path / "run")
    assert done.returncode != 0
    error = done.stderr.strip().splitlines()[-1]
    assert said in error
    assert error.endswith("Those are the rows trained on: each series' rows before its last 1, "
                          "which are held out for the test (--holdout sets how many).")
    assert not (tmp_path / "run").exists()


def test_a_warning_is_shown_once_per_command(tmp_path):
    """The table is read for training, for the test and for the scores: a warning about
    it (here: the UTC offsets daylight saving time writes) was printed once per reading."""
    times = pd.date_range("2021-03-20", periods=24 * 20, freq="h", tz="Europe/Berlin")
    text = times.strftime("%Y-%m-%d %H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2",
                                                             regex=True)
    hours = np.arange(len(times))
    pd.DataFrame({"zeit": text, "last": 50 + 10 * np.sin(hours * 2 * np.pi / 24)
                  + np.random.default_rng(0).normal(size=len(hours))}).to_csv(
        tmp_path / "dst.csv", index=False)
    result = run_cli("train", tmp_path / "dst.csv", "--target", "last", "--time", "zeit",
                     "--steps", "2", *FAST, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("several UTC offsets (+01:00, +02:00)") == 1, result.stderr


def test_blank_targets_are_refused_before_training_and_rows_to_forecast_named(tmp_path):
    """Blank targets in the rows the test holds out failed after training, with a hint to
    resume; a spreadsheet's rows to forecast (blank at the end of each series) are named."""
    months = pd.period_range("2010-01", periods=60, freq="M").astype(str)
    sales = 100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12)
    table = pd.concat([pd.DataFrame({"store": s, "month": months, "sales": sales + i})
                       for i, s in enumerate("ab")], ignore_index=True)
    tail = table.copy()
    tail.loc[tail.groupby("store").tail(6).index, "sales"] = np.nan
    tail.to_csv(tmp_path / "tail.csv", index=False)
    middle = table.copy()
    middle.loc[[20, 115], "sales"] = np.nan  # one early, one in the rows to test on
    middle.to_csv(tmp_path / "middle.csv", index=False)
    for name, needles in (("tail", ("blank in the last rows of its series (12 rows, the "
                                    "first at row 54)", "rows to forecast")),
                          ("middle", ("holds 2 NaN or infinite values (first at rows 20, "
                                      "115)", "--missing interpolate"))):
        out = tmp_path / f"run-{name}"
        result = run_cli("train", tmp_path / f"{name}.csv", "--target", "sales", "--time",
                         "month", "--group", "store", *FAST, "--out", out)
        one_line_error(result, *needles)
        assert "Epoch" not in result.stdout and "resume" not in result.stderr
        assert not out.exists() and not any(tmp_path.glob(".run-*"))


def test_scores_of_tiny_values_are_shown_in_significant_digits():
    from lstmcast.cli.common import show_scores

    scores = pd.DataFrame({"target": "y", "model": ["lstmcast", "naive"],
                           "rmse": [2.4771e-9, 6.8503e-9], "mase": [0.3182, 0.9481]})
    text = show_scores(scores)
    assert "2.48e-09" in text and "6.85e-09" in text  # three decimals showed 0.000 for both
    assert "0.318" in text and "0.948" in text  # the rest as before


def test_predict_reads_rows_to_forecast_left_blank_at_the_end_of_each_series(tmp_path):
    """A spreadsheet holds the rows to forecast below the history, their target blank and
    their inputs known in advance filled in: predict forecasts after the rows before them,
    reading those inputs there, as from a history and a --future table."""
    rng = np.random.default_rng(0)
    days = 80
    parts = [pd.DataFrame({"store": s, "day": np.arange(days), "promo": rng.integers(0, 2, days),
                           "sales": 20 + 5 * rng.integers(0, 2, days) + rng.normal(size=days)})
             for s in ("a", "b")]
    table = pd.concat(parts, ignore_index=True)
    ahead = table.groupby("store").tail(2).index
    history, future = table.drop(index=ahead), table.loc[ahead, ["store", "day", "promo"]]
    history.to_csv(tmp_path / "history.csv", index=False)
    future.to_csv(tmp_path / "future.csv", index=False)
    table.loc[ahead, "sales"] = np.nan
    table.to_csv(tmp_path / "sheet.csv", index=False)
    run = tmp_path / "run"
    assert run_cli("train", tmp_path / "history.csv", "--target", "sales", "--group", "store",
                   "--time", "day", "--future", "promo", "--steps", 2, *FAST,
                   "--out", run).returncode == 0
    apart = run_cli("predict", run, tmp_path / "history.csv", "--future",
                    tmp_path / "future.csv", "--out", tmp_path / "a.csv")
    sheet = run_cli("predict", run, tmp_path / "sheet.csv", "--out", tmp_path / "b.csv")
    assert apart.returncode == 0 and sheet.returncode == 0, sheet.stderr
    assert ("the last rows of each series (4 in all) hold no sales: forecasting after the "
            "rows before them, with promo read from those rows") in sheet.stderr
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"),
                                  pd.read_csv(tmp_path / "b.csv"))
    table.loc[table.groupby("store").nth(-3).index, "sales"] = np.nan  # 3 rows, 2 steps
    table.to_csv(tmp_path / "sheet3.csv", index=False)
    more = run_cli("predict", run, tmp_path / "sheet3.csv", "--out", tmp_path / "c.csv")
    assert more.returncode == 0, more.stderr
    assert "note: 3 rows left blank, but" in more.stderr and "forecasting its 2." in more.stderr
    assert len(pd.read_csv(tmp_path / "c.csv")) == 4  # the model's 2 steps, per series
    trained = run_cli("train", tmp_path / "sheet.csv", "--target", "sales", "--group",
                      "store", "--time", "day", *FAST, "--out", tmp_path / "run2")
    one_line_error(trained, "blank in the last rows of its series (4 rows",
                   "predict reads the file as it is and forecasts them")


def test_predict_forecasts_as_many_rows_as_were_left_blank(tmp_path):
    """Five rows left blank for a model of 2 steps: five forecast, recursively, as
    --n-ahead 5 on the history does."""
    months = pd.period_range("2010-01", periods=72, freq="M").astype(str)
    sales = 100 + 10 * np.sin(np.arange(72) * 2 * np.pi / 12)
    table = pd.DataFrame({"month": months, "sales": sales})
    table.iloc[:67].to_csv(tmp_path / "history.csv", index=False)
    table.loc[67:, "sales"] = np.nan
    table.to_csv(tmp_path / "sheet.csv", index=False)
    run = tmp_path / "run"
    assert run_cli("train", tmp_path / "history.csv", "--target", "sales", "--time", "month",
                   "--steps", 2, *FAST, "--out", run).returncode == 0
    assert run_cli("predict", run, tmp_path / "history.csv", "--n-ahead", 5, "--out",
                   tmp_path / "a.csv").returncode == 0
    sheet = run_cli("predict", run, tmp_path / "sheet.csv", "--out", tmp_path / "b.csv")
    assert sheet.returncode == 0, sheet.stderr
    got = pd.read_csv(tmp_path / "b.csv", dtype={"month": str})
    assert got["month"].tolist() == months[67:].tolist()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv", dtype={"month": str}), got)


@pytest.mark.parametrize("missing", ["interpolate", "drop"])
def test_series_the_missing_policy_leaves_nothing_to_train_on_are_left_out(tmp_path, missing):
    """Yearly rates by country as the World Bank writes them: a country whose values begin
    in the years held out for the test (nothing to train it on), and under drop one with
    too few values for the test's rows. Both are left out before training, each named in a
    warning; the others train and are scored."""
    years = np.arange(1960, 2016)
    rows = [pd.DataFrame({"year": years, "country": name,
                          "rate": 6 - 0.04 * (years - 1960) + 0.3 * np.sin(years + k)})
            for k, name in enumerate(["Aruba", "Chad", "Peru"])]
    late = pd.DataFrame({"year": years, "country": "Curacao", "rate": np.nan})
    late.loc[late["year"] >= 2008, "rate"] = 2.1  # in the test's last 12 rows only
    few = pd.DataFrame({"year": years, "country": "Palau", "rate": np.nan})
    few.loc[few["year"].isin([1990, 2000, 2010, 2012, 2014]), "rate"] = 2.5
    path = tmp_path / "rates.csv"
    pd.concat([*rows, late, few]).to_csv(path, index=False)
    done = run_cli("train", path, "--target", "rate", "--time", "year", "--group", "country",
                   "--missing", missing, *FAST, "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    assert "1 series has no 'rate' value in the rows trained on" in done.stderr
    assert "'Curacao'" in done.stderr and ("'Palau'" in done.stderr) == (missing == "drop")
    scored = pd.read_csv(tmp_path / "r" / "predictions.csv")["country"].unique()
    assert set(scored) == {"Aruba", "Chad", "Peru"} | ({"Palau"} if missing != "drop" else set())


def forecast_without_time(tmp_path, path, said, *args):
    """``lstmcast train PATH ARGS`` without --time, ``said`` on its stderr (the column read
    as the time), then ``lstmcast predict`` on the same file: the forecast."""
    done = run_cli("train", path, *FAST, *args, "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    assert said in done.stderr
    out = tmp_path / "forecast.csv"
    done = run_cli("predict", tmp_path / "r", path, "--out", out)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out)


def test_a_date_index_written_by_to_csv_is_the_time_column(tmp_path):
    """`Series.to_csv()` of a monthly series indexed by its dates: the dates stand in a
    column without a name (pandas reads it as 'Unnamed: 0'). Given neither --time nor
    --target, train reads that column as the time (its season from the months) and the
    one numeric column as the target, each said on stderr; predict dates its forecasts."""
    months = pd.date_range("2010-01-01", periods=96, freq="MS")
    sales = pd.Series(100 + 10 * np.sin(2 * np.pi * np.arange(96) / 12), index=months,
                      name="sales")
    path = tmp_path / "sales.csv"
    sales.to_csv(path)
    assert path.read_text().startswith(",sales\n2010-01-01,")
    forecast = forecast_without_time(
        tmp_path, path, "Column 'Unnamed: 0' (no name in the file: an index written with the "
        "table) holds dates in order: read as the time column", "--steps", 3)
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["season"] == 12  # from the months, not found in the rows
    assert forecast["Unnamed: 0"].tolist()[:3] == ["2018-01-01", "2018-02-01", "2018-03-01"]


def test_the_tables_one_column_of_dates_is_the_time_column(tmp_path):
    """A stock download, newest first, trained without --time: its one column of dates was
    left out (rows in file order, newest first; no season, forecasts undated). It is read
    as the time column, said on stderr: the rows sorted by it, forecasts dated after the
    newest day. The file is not changed."""
    days = pd.bdate_range("2020-01-01", periods=300)
    close = 50 + np.cumsum(np.random.default_rng(3).normal(0, 1, 300))
    path = tmp_path / "prices.csv"
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": close.round(2)}).iloc[::-1].to_csv(
        path, index=False)
    before = path.read_bytes()
    forecast = forecast_without_time(
        tmp_path, path, "Column 'Date' holds the table's dates: read as the time column, as "
        "--time Date reads it", "--target", "Close")
    assert forecast["Date"].tolist() == [f"{days[-1] + pd.offsets.BDay():%Y-%m-%d}"]
    assert path.read_bytes() == before


def test_a_year_and_a_month_named_so_are_the_time_without_time(tmp_path):
    """A government table's months as `Year,Month,value` (month numbers or names) and a
    year and quarter, trained without --time: both columns were inputs, the rows undated
    and the season guessed from the rows. They are read together as the time (as --time
    Year,Month reads them), the season from the calendar, the forecasts written as the
    two columns (month names as names). A year and a month that repeat (several series, no
    group) stay inputs."""
    months = pd.date_range("2001-01-01", periods=96, freq="MS")
    value = 100 + 10 * np.sin(2 * np.pi * np.arange(96) / 12)
    path = tmp_path / "ym.csv"
    for month, first in ((months.month, 1), (months.strftime("%b"), "Jan")):
        pd.DataFrame({"Year": months.year, "Month": month, "value": value}).to_csv(
            path, index=False)
        folder = tmp_path / str(month[0])
        folder.mkdir()
        forecast = forecast_without_time(
            folder, path, "Columns 'Year' and 'Month' hold the time: read together as the "
            "time column, as --time Year,Month reads them", "--target", "value", "--steps", 2)
        assert forecast[["Year", "Month"]].values.tolist()[0] == [2009, first]
        assert json.loads((folder / "r" / "metrics.json").read_text())["season"] == 12
    quarters = months[::3]
    pd.DataFrame({"year": quarters.year, "quarter": quarters.quarter,
                  "value": value[:32]}).to_csv(path, index=False)
    shown = run_cli("inspect", path, "--target", "value")
    assert "time: 'year,quarter' holds dates, read as quarters" in shown.stdout, shown.stderr
    pd.concat([pd.DataFrame({"Year": months.year, "Month": months.month, "value": value})] * 2
              ).to_csv(path, index=False)
    shown = run_cli("inspect", path, "--target", "value")
    assert shown.returncode == 0 and "past feature: Year, Month" in shown.stdout


def test_a_column_of_years_named_so_is_the_time_column(tmp_path):
    """R's Nile written with its years (`year,flow`) and no --time: the years were an input
    (a counter the networks extrapolate past the training rows). They are the time: the
    forecast is for the year after the last; a census every 5 years forecasts 5 years on.
    Years that skip unevenly, or a column of years not named so, stay numbers."""
    path = tmp_path / "nile.csv"
    flow = 900 + np.random.default_rng(0).normal(0, 150, 100).round()
    pd.DataFrame({"Year": np.arange(1871, 1971), "flow": flow}).to_csv(path, index=False)
    forecast = forecast_without_time(
        tmp_path, path, "Column 'Year' holds years one apart: read as the time column, as "
        "--time Year reads it, not as an input", "--target", "flow")
    assert forecast["Year"].tolist() == [1971]
    pd.DataFrame({"year": np.arange(1500, 2000, 5), "flow": flow}).to_csv(path, index=False)
    (tmp_path / "5").mkdir()
    forecast = forecast_without_time(
        tmp_path / "5", path, "Column 'year' holds years 5 apart: read as the time column",
        "--target", "flow")
    assert forecast["year"].tolist() == [2000]
    uneven = np.r_[1871:1921, 1922:1972]  # a year left out
    for other in ({"year": uneven},
                  {"opened": np.arange(1871, 1971)}):  # years, but named otherwise
        pd.DataFrame({**other, "flow": flow}).to_csv(path, index=False)
        shown = run_cli("inspect", path, "--target", "flow")
        assert shown.returncode == 0 and "read as the time column" not in shown.stderr
        assert "past feature: " + next(iter(other)) in shown.stdout


@pytest.mark.parametrize("dates", [
    {"ordered": "2020-01-01", "shipped": "2020-01-03"},  # two columns of dates: which?
    {"promo_start": "2020-01-01"}])  # one date repeated on every row: no time column
def test_dates_that_are_not_one_time_column_are_not_taken_for_one(tmp_path, dates):
    frame = pd.DataFrame({"y": np.sin(np.arange(60) / 3)})
    for name, first in dates.items():
        frame[name] = (pd.date_range(first, periods=60).strftime("%Y-%m-%d")
                       if len(dates) > 1 else first)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    shown = run_cli("inspect", path, "--target", "y")
    assert shown.returncode == 0, shown.stderr
    assert "read as the time column" not in shown.stderr and "time:" not in shown.stdout


def test_an_input_blank_until_the_test_rows_leaves_its_series_out(tmp_path):
    """A series whose input (a sensor fitted late) is blank in every training row: ffill
    and interpolate cannot fill it, so it is left out before training, named; the others
    train and are scored."""
    rows = [pd.DataFrame({"g": g, "t": np.arange(40), "x": np.arange(40) % 7 * 1.0,
                          "y": 10 + np.sin(np.arange(40) / 3) + k})
            for k, g in enumerate("abc")]
    rows[2].loc[rows[2]["t"] < 32, "x"] = np.nan
    path = tmp_path / "late.csv"
    pd.concat(rows).to_csv(path, index=False)
    done = run_cli("train", path, "--target", "y", "--group", "g", "--time", "t",
                   "--missing", "interpolate", *FAST, "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    assert ("1 series has no 'x' value in the rows trained on (every one blank before their "
            "last 8 rows): left out of training and of the test ('c')") in done.stderr
    scored = pd.read_csv(tmp_path / "r" / "predictions.csv")["g"].unique()
    assert set(scored) == {"a", "b"}


def test_a_mistyped_group_beside_a_date_index_is_one_clear_line(tmp_path):
    months = pd.date_range("2020-01-01", periods=30, freq="MS").strftime("%Y-%m-%d")
    path = tmp_path / "stores.csv"
    pd.DataFrame({"": list(months) * 2, "store": ["a"] * 30 + ["b"] * 30,
                  "sales": np.arange(60.0)}).to_csv(path, index=False)
    result = run_cli("inspect", path, "--target", "sales", "--group", "stor")
    one_line_error(result, "Group column 'stor' is not in the table")
    assert "Did you mean 'store'?" in result.stderr


def test_a_file_without_a_header_line_reads_its_dates_as_the_time(tmp_path):
    """Dates and values and no header line: the dates are the time column (the season
    from the months), the values the target, each said on stderr."""
    months = pd.date_range("2015-01-01", periods=60, freq="MS")
    path = tmp_path / "bare.csv"
    path.write_text("".join(f"{t:%Y-%m-%d},{100 + 10 * np.sin(i / 2):.2f}\n"
                            for i, t in enumerate(months)))
    done = run_cli("train", path, *FAST, "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    assert ("Column 'column_1' (no name in the file: the file has no header line) holds "
            "dates in order: read as the time column") in done.stderr
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["season"] == 12
    assert pd.read_csv(tmp_path / "r" / "predictions.csv")["column_1"].iloc[-1] == "2019-12-01"
