"""``lstmcast tune``: the search (``lstmcast.forecast.tune``) as a command, into a run folder.

The run folder holds the study (``study.sqlite``, so that ``--resume RUN``
continues it and ``--jobs N`` processes share it), the best settings retrained
on the training rows and scored on the held-out rows the search never saw, as
``lstmcast train`` scores them, ``leaderboard.csv`` and a report with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.tune import (
    KEEP,
    LEADERBOARD,
    MIN_FOLDS,
    SEARCH_FILE,
    SEARCH_SHARE,
    SETTINGS_FILE,
    SPACES,
    STUDY_FILE,
    Clock,
    Search,
    best_settings,
    check_budget,
    final_seconds,
    finished_trials,
    leaderboard,
    no_trial_note,
    now,
    open_study,
    run_search,
    storage_url,
)

if TYPE_CHECKING:  # imported when the search runs
    import optuna
    import pandas as pd

    from lstmcast.runs.folders import Source
    from lstmcast.runs.outputs import OutputGuard


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``lstmcast tune``: its options (the model's, from ``cli``) and its handler."""
    from lstmcast.cli.common import add_model_options

    p = sub.add_parser(
        "tune", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="search settings with Optuna, then train the best into a run folder",
        description="Search the Forecaster's settings with Optuna (TPE) on rolling-origin "
        "folds of the training rows (the rows `lstmcast train` trains on; the held-out rows "
        "are never seen), pruning weak trials by their validation loss, within a wall-clock "
        "budget. The defaults and the presets are tried first. The best settings are "
        "retrained on all training rows and scored on the held-out rows: an ordinary run "
        "folder, with leaderboard.csv (every trial) and the study (study.sqlite; --resume "
        "continues it). Settings you give stay fixed; the search varies the rest.",
        epilog="examples:\n  lstmcast tune airline --budget 180 --out runs/air-tune\n"
        "  lstmcast tune sales.csv --target sales --group store --time date --budget 600 "
        "--jobs 2\n  lstmcast tune --resume runs/air-tune --budget 120\n"
        "  lstmcast tune sales.csv --target sales --budget 3600 --storage "
        "postgresql://user@host/db --study sales   (on each machine)")
    p.add_argument("data", nargs="?", help="CSV, Parquet or JSON path, or a built-in dataset name")
    add_model_options(p)
    search = p.add_argument_group("the search")
    search.add_argument("--budget", metavar="SECONDS", help="wall-clock seconds for the whole "
                        "command: trials, the final training and the run folder (it holds "
                        "within 10%%)")
    search.add_argument("--space", default="all", metavar="|".join(SPACES),
                        help="model families searched: stacked (the tutorial's stack), "
                        "segment (segment recurrence), or both (all, the default)")
    search.add_argument("--folds", default=str(MIN_FOLDS), metavar="N",
                        help=f"rolling origins inside the training rows, at least {MIN_FOLDS} "
                        f"({MIN_FOLDS})")
    search.add_argument("--fold-size", dest="fold_size", metavar="N",
                        help="rows per fold and series (default: steps, or a tenth of the "
                        "shortest series)")
    search.add_argument("--trials", metavar="N", help="stop after this many trials "
                        "(default: when the budget's search time ends)")
    search.add_argument("--jobs", default="1", metavar="N",
                        help="processes running trials at once, sharing the study (1)")
    search.add_argument("--storage", metavar="URL", help="where the study lives (default: "
                        "RUN/study.sqlite); a PostgreSQL URL (postgresql://user@host/db) "
                        "shares it between machines, each running lstmcast tune with it")
    search.add_argument("--study", metavar="NAME", help="the study's name in --storage "
                        "(default: from the data and the target)")
    p.add_argument("--out", help="run folder to create (default runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN", help="continue RUN's study (with a new "
                   "--budget) and write its run folder again from the best trial")
    p.set_defaults(handler=cmd_tune)


def _int_option(value: Any, name: str, least: int = 1) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = None
    if number is None or number < least:
        raise InvalidArgumentError(f"--{name} expects an integer of at least {least}, got "
                                   f"{value!r}.")
    return number


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in Path(str(text)).stem).strip("-").lower()


class _Staging:
    """Where a run's files are written (``.RUN.partial``) before they replace RUN's."""

    def __init__(self, run: Path) -> None:
        from lstmcast.runs.folders import partial_path

        self.target = run
        self.path = partial_path(run)
        shutil.rmtree(self.path, ignore_errors=True)  # a stale one: this process holds RUN
        self.path.mkdir(parents=True)

    def file(self, name: str) -> Path:
        return self.path / name

    def publish(self) -> None:
        """Each file into RUN (replacing its namesake), then RUN's older results out."""
        new = {p.name for p in self.path.iterdir()}
        for item in self.path.iterdir():
            dest = self.target / item.name
            if dest.is_dir():
                shutil.rmtree(dest)
            os.replace(item, dest)
        for old in self.target.iterdir():
            if old.name not in new and old.name not in KEEP:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        shutil.rmtree(self.path, ignore_errors=True)


class _Lock:
    """This process's hold on a tune run folder (a second tune of it is refused)."""

    def __init__(self, run: Path) -> None:
        from lstmcast.runs.folders import hold_lock

        self.handle = hold_lock(run / ".lock", lambda owner: f"Run {str(run)!r} is being "
                                f"tuned right now (by {owner}); wait for it to finish.")

    def release(self, run: Path) -> None:
        if self.handle is not None:
            (run / ".lock").unlink(missing_ok=True)
            self.handle.close()
            self.handle = None


def _run_folder(args: argparse.Namespace, guard: OutputGuard) -> tuple[Path, dict[str, Any]]:
    """The run folder of the search and what a resumed one says (``--resume``), checked:
    a folder to resume holds a search, a new one does not."""
    from lstmcast.cli.common import default_out
    from lstmcast.runs.folders import read_toml

    if args.resume:
        run = Path(args.resume)
        info = run / SEARCH_FILE
        if not info.is_file():
            raise InvalidArgumentError(f"{str(run)!r} holds no search to resume (no "
                                       f"{SEARCH_FILE}); start one with lstmcast tune DATA "
                                       "--out RUN.")
        args.config = str(run / SETTINGS_FILE)
        args.data = args.data or read_toml(args.config).get("data", {}).get("source")
        return run, json.loads(info.read_text())
    if args.data is None:
        raise InvalidArgumentError("give the DATA to search on, or --resume RUN to continue "
                                   "a search.")
    run = Path(args.out) if args.out else default_out(args.data)
    if (run / SEARCH_FILE).is_file():
        raise InvalidArgumentError(f"{str(run)!r} holds a search already: continue it "
                                   f"with lstmcast tune --resume {run} --budget SECONDS, "
                                   "or choose another --out.")
    guard.check_folder(run, forceable=False)
    return run, {}


def _searching(search, folds: int, clock: Clock, queued: list[str], done: int) -> str:
    """The line that opens a search: what, on what, for how long, and what comes first."""
    return (f"Searching {', '.join(search.space.families)} settings on {folds} folds of "
            f"{search.size} rows per series (the training rows only), "
            f"{clock.budget:g} s: trials until {SEARCH_SHARE:.0%}-"
            f"{(clock.fit_end - clock.start) / clock.budget:.0%} of it"
            + (f"; first {', '.join(queued)}" if queued else "")
            + (f"; continuing a study of {done} finished trials" if done else "") + ".")


def cmd_tune(args: argparse.Namespace) -> int:
    """``lstmcast tune``: check everything, search, retrain the best, write the run."""
    from lstmcast.cli.common import (
        config_sections,
        data_columns,
        output_guard,
        read_settings,
        test_plan,
    )
    from lstmcast.runs.folders import resolve, to_toml

    clock = Clock(now(), 0.0)
    run, search_info = _run_folder(args, output_guard(args))
    folds = _int_option(search_info.get("folds", args.folds), "folds", MIN_FOLDS)
    if args.budget is None:
        raise InvalidArgumentError("--budget SECONDS is required: the wall-clock time for "
                                   "the search, the final training and the run folder.")
    clock.budget = check_budget(args.budget, folds)
    jobs = _int_option(args.jobs, "jobs")
    trials = None if args.trials is None else _int_option(args.trials, "trials")
    space = search_info.get("space", args.space)
    if space not in SPACES:
        raise InvalidArgumentError(f"Unknown search space {space!r}; --space is one of "
                                   f"{', '.join(SPACES)}.")
    size = search_info.get("fold_size") or (None if args.fold_size is None
                                            else _int_option(args.fold_size, "fold-size"))
    source = resolve(args.data)
    data, model = read_settings(args, source)
    fit_frame, test_frame, how = test_plan(source, data, model, shards=False)
    columns = data_columns(data)
    from lstmcast.forecast.forecaster import Forecaster

    search = Search(Forecaster, fit_frame, columns, model, space, folds, size)
    url = search_info.get("storage", args.storage)
    target = columns["target"]
    name = search_info.get("study") or args.study or "-".join(
        [_slug(args.data), *map(_slug, [target] if isinstance(target, str) else target)])
    if not args.resume:
        run.mkdir(parents=True, exist_ok=True)
    lock = _Lock(run)
    try:
        if not args.resume:
            (run / SETTINGS_FILE).write_text(to_toml(config_sections(source, data, model)))
            (run / SEARCH_FILE).write_text(json.dumps(
                {"space": space, "folds": folds, "fold_size": search.size, "study": name,
                 "storage": url}, indent=1) + "\n")
        local = url is None
        url = url or storage_url(run / STUDY_FILE)
        study = open_study(url, name, search.description(), search.epochs, model.get("seed", 0))
        objective = search.objective(clock, study, trials)
        queued = search.start(study)
        quiet = args.quiet
        if not quiet:
            print(_searching(search, folds, clock, queued, finished_trials(study)), flush=True)
        try:
            run_search(study, objective, jobs, url, model.get("seed", 0), quiet)
        except KeyboardInterrupt:
            _write_board(study, run)
            print(f"lstmcast tune: interrupted; the study keeps {finished_trials(study)} finished "
                  "trials "
                  f"in {url if not local else run / STUDY_FILE}: continue with lstmcast tune "
                  f"--resume {run} --budget SECONDS", file=sys.stderr)
            return 130
        board = _write_board(study, run)
        best, settings = best_settings(study, search.fixed)
        if best is None:
            print(f"lstmcast tune: {no_trial_note(study)}: training the defaults with the "
                  f"settings given instead. Give a larger budget (lstmcast tune --resume {run} "
                  "--budget SECONDS continues the study).", file=sys.stderr, flush=True)
        _final_run(args, clock, run, source, data, settings, best, board, fit_frame,
                   test_frame, how)
    finally:
        lock.release(run)
    return 0


def _board_caption(best: optuna.trial.FrozenTrial | None) -> str:
    if best is None:
        return ("No trial finished its folds within the search's time: the run above is the "
                "defaults with the settings given, trained on all training rows and scored "
                "on the held-out rows.")
    return (f"RMSE on {len(best.user_attrs.get('fold_rmse', []))} rolling-origin folds "
            "inside the training rows (the mean and each fold), best first; the baselines "
            "on the defaults' folds. The run above is the best trial's settings retrained "
            "on all training rows, scored on the held-out rows.")


def _write_board(study: optuna.Study, run: Path) -> pd.DataFrame:
    from lstmcast.tables.io import atomic_write

    board = leaderboard(study)
    atomic_write(run / LEADERBOARD, board.to_csv(index=False).encode())
    return board


def _final_run(args: argparse.Namespace, clock: Clock, run: Path, source: Source, data: dict,
               settings: dict, best: optuna.trial.FrozenTrial | None, board: pd.DataFrame,
               fit_frame: pd.DataFrame, test_frame: pd.DataFrame, how: dict) -> None:
    """The best settings retrained on all training rows, scored on the held-out rows and
    written as a run folder (as ``lstmcast train`` writes one) with the leaderboard; with
    no best trial (none finished), the defaults with the settings given."""
    from lstmcast.cli.common import (
        build_forecaster,
        config_sections,
        data_columns,
        show_scores,
        write_run,
    )
    from lstmcast.cli.report import add_section, leaderboard_html
    from lstmcast.runs.folders import to_toml

    seconds = final_seconds(clock, settings)
    if not args.quiet and best is None:
        print(f"\nTraining the defaults on all training rows (at most {seconds:.0f} s)...",
              flush=True)
    elif not args.quiet:
        again = (", its window chosen again on them as train chooses it"
                 if "window" in best.params and "window" not in settings else "")
        print(f"\nBest: trial {best.number} ({best.user_attrs.get('kind', 'search')}), mean "
              f"fold RMSE {best.value:.4g}. Training it on all training rows{again} (at most "
              f"{seconds:.0f} s)...", flush=True)
    forecaster = build_forecaster({**settings, "max_seconds": seconds}, args, verbose=0)
    staging = _Staging(run)
    try:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecaster.fit(fit_frame, **data_columns(data))
        took = time.perf_counter() - started
        forecaster.set_params(max_seconds=settings.get("max_seconds"))
        note = how.pop("note", None)
        scores, predictions = forecaster.evaluate(test_frame, return_predictions=True, **how)
        if note:
            scores.attrs["notes"] = [*scores.attrs.get("notes", []), note]
        explanation = forecaster.explain(test_frame)
        staging.file("config.toml").write_text(to_toml(config_sections(source, data,
                                                                        settings)))
        board.to_csv(staging.file(LEADERBOARD), index=False)
        write_run(staging, forecaster, scores, predictions, took, source.last_only, data,
                   explanation, source.name)
        add_section(staging.file("report.html"), "The search: every trial (leaderboard.csv)",
                    leaderboard_html(board),
                    _board_caption(best))
        staging.publish()
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)
    if not args.quiet:
        print(f"\nTest scores on {scores.attrs['scored']} ({scores.attrs['n_windows']} "
              "windows):")
        print(show_scores(scores))
        print(f"\n{len(board[board['kind'] != 'baseline'])} trials in "
              f"{now() - clock.start:.0f} s (budget {clock.budget:g} s). Run folder: {run} "
              f"(report.html; leaderboard.csv; config.toml for lstmcast train --config)")
