"""lstmcast tune and Forecaster.tune: folds inside the training rows, first trials, pruning,
the budget, resuming, parallel jobs, the leaderboard and bad input (tiny data throughout)."""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import one_line_error, run_cli

optuna = pytest.importorskip("optuna")

from lstmcast.errors import InvalidArgumentError, LstmcastError  # noqa: E402
from lstmcast.forecast import params, tune  # noqa: E402
from lstmcast.forecast.forecaster import Forecaster  # noqa: E402

TINY = ["--units", "4", "--epochs", "2", "--batch-size", "32"]
ROWS, HOLDOUT = 150, 30  # per series; lstmcast train holds out 20% of the shortest series


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny networks train fastest on one thread (and steadily on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tune-data")
    rng = np.random.default_rng(0)
    frames = []
    for store, level in (("a", 50.0), ("b", 80.0)):
        t = np.arange(ROWS)
        frames.append(pd.DataFrame({"store": store, "day": t,
                                    "sales": level + 10 * np.sin(t / 4)
                                    + rng.normal(size=ROWS)}))
    path = folder / "sales.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def cli_args(sales, *more):
    return ["tune", sales, "--target", "sales", "--group", "store", "--time", "day", *TINY,
            *more]


def finished(study):
    return [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED", "FAIL")]


def study_of(run):
    spec = json.loads((run / tune.SEARCH_FILE).read_text())
    return optuna.load_study(study_name=spec["study"],
                             storage=tune.storage_url(run / tune.STUDY_FILE))


@pytest.fixture(scope="module")
def tuned(sales, tmp_path_factory):
    """A finished search of three trials, through the command line."""
    out = tmp_path_factory.mktemp("tune-runs") / "sales-tune"
    result = run_cli(*cli_args(sales, "--budget", "60", "--trials", "3", "--out", out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_folds_are_time_ordered_inside_the_training_rows(sales):
    frame = pd.read_csv(sales)
    training = frame[frame["day"] < ROWS - HOLDOUT]
    folds = tune.make_folds(training, "store", "day", 3, 12)
    assert [f.number for f in folds] == [1, 2, 3]
    for k, fold in enumerate(folds):
        for store in ("a", "b"):
            fitted = fold.train[fold.train["store"] == store]["day"]
            scored = fold.test[fold.test["store"] == store]["day"].iloc[-fold.size:]
            cut = ROWS - HOLDOUT - (3 - k) * 12  # the last (3 - k) * 12 training rows cut
            assert list(fitted) == list(range(cut))  # in time order, everything before
            assert list(scored) == list(range(cut, cut + 12))  # the next 12 rows
            assert scored.max() < ROWS - HOLDOUT  # never a held-out row
    with pytest.raises(LstmcastError, match="too short for 3 folds"):
        tune.make_folds(training, "store", "day", 3, 40, need=12)


def test_held_out_rows_never_reach_a_trial(sales, tmp_path, monkeypatch):
    seen = {"fit": [], "evaluate": [], "inspect": []}
    for name in seen:
        original = getattr(Forecaster, name)

        def spy(self, data, *args, _original=original, _name=name, **kwargs):
            if isinstance(data, pd.DataFrame) and "day" in data.columns:
                seen[_name].append(int(data["day"].max()))
            return _original(self, data, *args, **kwargs)

        monkeypatch.setattr(Forecaster, name, spy)
    result = run_cli(*cli_args(sales, "--budget", "60", "--trials", "2", "--quiet",
                               "--out", tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    first_held_out = ROWS - HOLDOUT
    assert len(seen["fit"]) >= 2 * 3 + 1  # two trials of three folds, and the final fit
    assert max(seen["fit"] + seen["inspect"]) < first_held_out
    *trials, final = seen["evaluate"]
    assert max(trials) < first_held_out  # the folds score training rows only
    assert final == ROWS - 1  # the run is scored on the held-out rows


def test_defaults_and_presets_are_the_first_trials(tuned):
    run, result = tuned
    trials = study_of(run).trials
    assert [t.user_attrs["kind"] for t in trials[:2]] == ["defaults", "preset: long-horizon"]
    defaults = trials[0].user_attrs["settings"]
    assert defaults["dropout"] == 0.2 and defaults["learning_rate"] == 0.001
    assert defaults["loss"] == "mse" and defaults["normalize"] == "auto"
    assert defaults["batch_size"] == 32 and defaults["units"] == [4]  # the user's, fixed
    assert defaults.get("segment") is None
    preset = trials[1].user_attrs["settings"]
    for name in ("segment", "dropout", "learning_rate", "loss", "normalize", "scaler",
                 "blend", "channels"):
        assert preset[name] == params.PRESETS["long-horizon"][name], name
    assert "trial 0 (defaults)" in result.stdout and "trial 1 (preset" in result.stdout
    board = pd.read_csv(run / "leaderboard.csv").set_index("kind")
    # the defaults leave the blend to the Forecaster: the board says which one that is
    assert "blend" not in defaults and board.loc["defaults", "blend"] == "select"
    assert board.loc["preset: long-horizon", "blend"] == str(preset["blend"])
    # the scale, as the defaults choose it (on folds), unless a trial draws it
    assert board.loc["defaults", "log"] == "auto" and defaults.get("log") is None


def test_leaderboard_and_run_folder(tuned):
    run, result = tuned
    for name in ("forecaster.lstmcast", "config.toml", "metrics.json", "report.html",
                 "leaderboard.csv", "study.sqlite"):
        assert (run / name).is_file(), name
    board = pd.read_csv(run / "leaderboard.csv")
    assert list(board.columns) == [
        "trial", "kind", "model", "state", "rmse", "rmse_fold_1", "rmse_fold_2",
        "rmse_fold_3", "seconds", "family", "window", "units", "dropout", "learning_rate",
        "batch_size", "loss", "normalize", "segment", "blend", "channels", "log", "note"]
    trials = board[board["kind"] != "baseline"]
    assert sorted(trials["trial"]) == [0, 1, 2]
    assert set(trials["state"]) <= {"complete", "pruned", "failed"}
    done = trials[trials["state"] == "complete"]
    assert np.allclose(done[["rmse_fold_1", "rmse_fold_2", "rmse_fold_3"]].mean(axis=1),
                       done["rmse"])
    baselines = board[board["kind"] == "baseline"]
    assert {"naive", "train_mean"} <= set(baselines["model"])
    assert baselines["rmse_fold_3"].notna().all()
    report = (run / "report.html").read_text()
    assert "leaderboard.csv" in report and "preset: long-horizon" in report
    # the run's config.toml holds the best settings, for lstmcast train --config
    from lstmcast.runs.folders import read_toml

    best = study_of(run).best_trial.user_attrs["settings"]
    _, model = params.read_config(read_toml(run / "config.toml"), "config.toml")
    assert model["dropout"] == best["dropout"]


def test_a_much_worse_trial_is_pruned():
    study = optuna.create_study(pruner=tune.comparable_pruner(epochs=3))
    good = {0: 1.0, 1: 0.5, 2: 0.4}
    for value in (0.4, 0.45):
        study.add_trial(optuna.trial.create_trial(value=value, intermediate_values=good,
                                                  user_attrs={"compare": "stacked/mse"}))

    class Model:
        stop_training = False

    def run(compare, losses):
        trial, model = study.ask(), Model()
        trial.set_user_attr("compare", compare)
        report = tune.objective.report_callback(trial, 0, time.time() + 60)
        report.set_model(model)
        for epoch, loss in enumerate(losses):
            report.on_epoch_end(epoch, {"loss": loss, "val_loss": loss})
            if model.stop_training:
                break
        return report.pruned_at, model.stop_training

    assert run("stacked/mse", [50.0, 40.0, 30.0]) == (1, True)  # worse than the median
    assert run("stacked/mse", [1.0, 0.3, 0.2]) == (None, False)  # better: goes on
    assert run("stacked/mae", [50.0, 40.0, 30.0]) == (None, False)  # another loss: no peers


def test_the_objective_prunes_from_its_own_loop(sales):
    frame = pd.read_csv(sales)
    columns = {"target": "sales", "group": "store", "time": "day", "features": None,
               "future": None, "static": None}
    search = tune.Search(Forecaster, frame, columns, {"units": (4,), "epochs": 3, "window": 8},
                         "stacked")
    study = optuna.create_study(pruner=tune.comparable_pruner(epochs=3))
    search.start(study)  # the defaults first; then peers with a tiny loss at every epoch
    first = study.trials[0]
    compare = tune.comparable("stacked", {"loss": "mse", "normalize": "auto"})
    for _ in range(2):
        study.add_trial(optuna.trial.create_trial(
            value=0.1, intermediate_values={s: 1e-9 for s in range(9)},
            user_attrs={"compare": compare}))
    assert first.state.name == "WAITING"
    clock = tune.Clock(time.time(), 60)
    study.optimize(search.objective(clock, study), n_trials=1)
    trial = study.trials[0]
    assert trial.state.name == "PRUNED", trial.user_attrs
    assert trial.user_attrs["note"].startswith("pruned in fold 1, epoch 2")


def test_the_search_stops_where_the_finished_trials_leave_the_final_fit_its_time():
    from types import SimpleNamespace

    from lstmcast.forecast.tune.objective import _deadline

    def study_with_a_fold_of(seconds):
        study = optuna.create_study()
        study.add_trial(optuna.trial.create_trial(value=1.0,
                                                  user_attrs={"longest_fold": seconds}))
        return study

    # 100 s from now, folds of 3 s: the search ends at 90 - 6 = 84 s, not yet
    ahead = SimpleNamespace(clock=tune.Clock(time.time(), 100.0))
    study = study_with_a_fold_of(3.0)
    study.optimize(lambda trial: 1.0, n_trials=3, callbacks=[_deadline(ahead)])
    assert len(study.trials) == 4 and ahead.clock.longest_fold == 3.0
    # 85 s into a budget of 100: past 84 s, the study stops after the trial under way
    late = SimpleNamespace(clock=tune.Clock(time.time() - 85.0, 100.0))
    study = study_with_a_fold_of(3.0)
    study.optimize(lambda trial: 1.0, n_trials=5, callbacks=[_deadline(late)])
    assert len(study.trials) == 2
    # with a fold of 20 s the end stays at 70 s: 85 s is past it as well
    slow = SimpleNamespace(clock=tune.Clock(time.time() - 75.0, 100.0))
    study = study_with_a_fold_of(20.0)
    study.optimize(lambda trial: 1.0, n_trials=5, callbacks=[_deadline(slow)])
    assert len(study.trials) == 2 and slow.clock.search_end == pytest.approx(
        slow.clock.start + 70)


def test_the_defaults_when_best_choose_their_window_again_on_all_the_rows():
    """The defaults' trial read a window chosen from the folds' rows; when it wins, the
    final fit leaves the window to the Forecaster (as ``lstmcast train`` on the same rows).
    A searched trial keeps the window it drew, and a window the user gave is kept."""
    from lstmcast.forecast.tune.study import best_settings

    window = optuna.distributions.IntDistribution(4, 40)
    units = optuna.distributions.IntDistribution(8, 128)

    def trial(value, kind, params, settings):
        dists = {"window": window, "units": units}
        return optuna.trial.create_trial(
            value=value, params=params, distributions={k: dists[k] for k in params},
            user_attrs={"kind": kind, "settings": settings})

    defaults = trial(1.0, "defaults", {"window": 8, "units": 100},
                     {"window": 8, "units": [100, 50], "dropout": 0.2})
    searched = trial(2.0, "search", {"window": 20, "units": 16},
                     {"window": 20, "units": [16], "dropout": 0.1})
    study = optuna.create_study()
    study.add_trials([defaults, searched])
    best, settings = best_settings(study)
    assert best.user_attrs["kind"] == "defaults"
    assert settings == {"units": (100, 50), "dropout": 0.2}
    study = optuna.create_study()
    study.add_trials([trial(2.0, "defaults", {"window": 8, "units": 100},
                            {"window": 8, "units": [100, 50]}),
                      trial(1.0, "search", {"window": 20, "units": 16},
                            {"window": 20, "units": [16]})])
    assert best_settings(study)[1] == {"window": 20, "units": (16,)}
    study = optuna.create_study()  # --window 12 given: not a parameter of the search
    study.add_trial(trial(1.0, "defaults", {"units": 100}, {"window": 12, "units": [100, 50]}))
    assert best_settings(study)[1] == {"window": 12, "units": (100, 50)}


def test_two_jobs_share_one_study_and_the_budget_holds(sales, tmp_path):
    """A search of 20 s in two processes whose trials run until the time ends (one test:
    the search is the slowest thing here, and run once)."""
    out = tmp_path / "run"
    started = time.perf_counter()  # the interpreter's start and imports, under today's load
    subprocess.run([sys.executable, "-c", "import torch, optuna, pandas, lstmcast.cli.main"],
                   check=True)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    result = run_cli(*cli_args(sales, "--epochs", "1000", "--patience", "1000", "--budget",
                               "20", "--jobs", "2", "--out", out))
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    # within 10%: trials, final fit and run folder, on the command's own clock (from its
    # start) and on this one less the start-up (a loaded machine slows imports, not the
    # budget)
    own = float(re.search(r"trials in (\d+) s \(budget 20 s\)", result.stdout).group(1))
    assert own / 20 < 1.1, result.stdout[-300:]
    assert (seconds - startup) / 20 < 1.1, (seconds, startup)
    assert seconds / 20 > 0.6, seconds  # and the search used it
    assert (out / "forecaster.lstmcast").is_file()
    trials = study_of(out).trials
    assert len({t.user_attrs.get("pid") for t in trials}) == 2  # both processes ran trials
    assert [t.number for t in trials] == list(range(len(trials)))  # one study, one count
    board = pd.read_csv(out / "leaderboard.csv")
    assert len(board[board["kind"] != "baseline"]) == len(trials)


def test_resume_continues_the_same_study(tuned, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(tuned[0], run)
    before = [(t.number, t.params, t.user_attrs.get("kind")) for t in study_of(run).trials]
    result = run_cli("tune", "--resume", run, "--budget", "60", "--trials", "2")
    assert result.returncode == 0, result.stderr
    assert "continuing a study of 3 finished trials" in result.stdout
    after = study_of(run).trials
    assert len(after) == len(before) + 2
    assert [(t.number, t.params, t.user_attrs.get("kind")) for t in after[:3]] == before
    assert after[3].params != after[2].params  # new draws, not the first run's again
    board = pd.read_csv(run / "leaderboard.csv")
    assert len(board[board["kind"] != "baseline"]) == 5
    assert (run / "forecaster.lstmcast").is_file()


def _lines(stream, into):
    for line in stream:
        into.put(line)


def test_ctrl_c_keeps_the_study(sales, tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # a budget the search cannot end within before Ctrl-C, however slow a loaded machine
    # is to read the first trial's line (Ctrl-C stops it after that trial)
    proc = subprocess.Popen([sys.executable, "-m", "lstmcast", *map(str, cli_args(
        sales, "--budget", "600", "--out", run))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    deadline = time.time() + 90
    while time.time() < deadline:  # until the first trial is done
        try:
            if lines.get(timeout=1).startswith("trial "):
                break
        except queue.Empty:
            assert proc.poll() is None, proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"lstmcast tune --resume {run}" in err and "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert not (run / "forecaster.lstmcast").exists()
    kept = len(finished(study_of(run)))  # a queued trial not yet run waits for the resume
    assert kept >= 1 and (run / "leaderboard.csv").is_file()
    result = run_cli("tune", "--resume", run, "--budget", "60", "--trials", "1", "--quiet",
                     "--epochs", "3")  # the settings are the study's: a flag is refused
    one_line_error(result, "was started with other settings", "fixed epochs")
    result = run_cli("tune", "--resume", run, "--budget", "30", "--trials", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert len(finished(study_of(run))) == kept + 1
    assert (run / "forecaster.lstmcast").is_file()


# `lstmcast tune ...` in a process where Ctrl-C lands while SQLAlchemy's pool takes back a
# connection to the study's database, once a trial has finished: the pool's "reset" event
# runs inside that step, and the listener sends SIGINT from there (the case a loaded
# machine meets by chance: the pool printed "Exception during reset or similar" and a
# traceback)
CTRL_C_IN_A_WRITE = """
import os, pathlib, signal, sys, time
from sqlalchemy import event
from sqlalchemy.pool import Pool
from lstmcast.cli import main
from lstmcast.forecast.tune import objective

finished, sent = [], pathlib.Path(sys.argv[1])
progress = objective._progress

def arming(quiet):
    line = progress(quiet)
    def after(study, trial):
        line(study, trial)
        finished.append(trial.number)
    return after

objective._progress = arming

@event.listens_for(Pool, "reset")
def on_reset(*args):
    if finished and not sent.exists():
        sent.write_text("sent")
        os.kill(os.getpid(), signal.SIGINT)
        end = time.time() + 0.2
        while time.time() < end:
            pass

sys.exit(main(sys.argv[2:]))
"""


def test_ctrl_c_during_a_write_to_the_study_ends_with_one_line(sales, tmp_path):
    run, sent = tmp_path / "run", tmp_path / "sent"
    result = subprocess.run([sys.executable, "-c", CTRL_C_IN_A_WRITE, sent, *map(str, cli_args(
        sales, "--budget", "600", "--out", run))], capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert sent.exists()  # the signal was sent from inside the pool
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr and "Exception during reset" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"lstmcast tune --resume {run}" in result.stderr
    assert len(finished(study_of(run))) >= 1


def test_forecaster_tune(sales):
    frame = pd.read_csv(sales)
    found = Forecaster.tune(frame, "sales", group="store", time="day", budget=60, trials=2,
                            space="stacked", units=(4,), epochs=2)
    assert found.settings["units"] == (4,) and found.settings["epochs"] == 2
    assert len(found.study.trials) == 2 and found.study.trials[0].user_attrs["kind"] == \
        "defaults"
    assert list(found.leaderboard["kind"]).count("baseline") >= 2
    assert found.forecaster.predict(frame).shape[0] == 2
    with pytest.raises(InvalidArgumentError, match="Unknown search space"):
        Forecaster.tune(frame, "sales", budget=60, space="wide")


@pytest.mark.parametrize("options, needle", [
    (["--budget", "0"], "must be more than 0 seconds"),
    (["--budget", "-5"], "must be more than 0 seconds"),
    (["--budget", "2"], "less than one trial could use"),
    (["--budget", "lots"], "expects seconds"),
    ([], "--budget SECONDS is required"),
    (["--budget", "60", "--space", "wide"], "Unknown search space 'wide'"),
    (["--budget", "60", "--folds", "2"], "--folds expects an integer of at least 3"),
    (["--budget", "60", "--fold-size", "50"], "too short for 3 folds of 50 rows"),
])
def test_bad_input_is_one_line_before_any_trial(sales, tmp_path, options, needle):
    result = run_cli(*cli_args(sales, *options, "--out", tmp_path / "run"))
    one_line_error(result, needle)
    assert "trial" not in result.stdout
    assert not (tmp_path / "run").exists()


def test_a_short_table_and_a_folder_without_a_search(tmp_path):
    path = tmp_path / "short.csv"
    pd.DataFrame({"day": range(12), "y": np.sin(np.arange(12.0))}).to_csv(path, index=False)
    result = run_cli("tune", path, "--target", "y", "--time", "day", "--budget", "60",
                     "--out", tmp_path / "run")
    one_line_error(result, "too short for 3 folds")
    assert not (tmp_path / "run").exists()
    (tmp_path / "other").mkdir()
    one_line_error(run_cli("tune", "--resume", tmp_path / "other", "--budget", "60"),
                   "holds no search to resume")


def test_when_no_trial_finishes_the_defaults_are_trained(sales, tmp_path, monkeypatch):
    """A budget no trial's folds fit in leaves a model all the same: the defaults with the
    settings given, said on stderr, the same model ``lstmcast train`` makes of the rows."""
    from lstmcast.forecast.tune import objective

    def out_of_time(self, trial):
        trial.set_user_attr("note", "stopped: the search's time ended (0 of 3 folds done)")
        raise optuna.TrialPruned()

    monkeypatch.setattr(objective.Objective, "__call__", out_of_time)
    run = tmp_path / "run"
    result = run_cli(*cli_args(sales, "--budget", "60", "--trials", "2", "--seed", "3",
                               "--out", run))
    assert result.returncode == 0, result.stderr
    assert ("No trial finished its folds within the search's time (2 started) (the first "
            "trial's end: stopped: the search's time ended (0 of 3 folds done)): training "
            "the defaults with the settings given instead") in result.stderr
    assert "Training the defaults on all training rows" in result.stdout
    board = pd.read_csv(run / "leaderboard.csv")
    assert list(board["state"]) == ["pruned", "pruned"]
    trained = run_cli("train", sales, "--target", "sales", "--group", "store", "--time", "day",
                      *TINY, "--seed", "3", "--out", tmp_path / "train", "--quiet")
    assert trained.returncode == 0, trained.stderr
    ours = pd.read_csv(run / "predictions.csv")
    theirs = pd.read_csv(tmp_path / "train" / "predictions.csv")
    pd.testing.assert_frame_equal(ours, theirs)

    frame = pd.read_csv(sales)
    with pytest.warns(UserWarning, match="No trial finished its folds.*fitted the defaults"):
        found = Forecaster.tune(frame, "sales", group="store", time="day", budget=60,
                                trials=1, units=(4,), epochs=2)
    assert found.settings == {"units": (4,), "epochs": 2}
    assert found.forecaster.predict(frame).shape[0] == 2
