"""One trial (a fit and a score per fold, pruned by its validation loss), and the trials
run in one process or several sharing the study.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import params
from lstmcast.forecast.tune.clock import MIN_FOLD_SECONDS, Clock
from lstmcast.forecast.tune.folds import Fold
from lstmcast.forecast.tune.interrupt import outside_storage
from lstmcast.forecast.tune.space import Space, comparable, plain
from lstmcast.forecast.tune.study import (
    comparable_pruner,
    one_line,
    optuna_module,
    study_sampler,
    study_storage,
    trial_state,
)

if TYPE_CHECKING:
    import optuna
    import pandas as pd

    from lstmcast.engine.callbacks import Callback
    from lstmcast.forecast.forecaster import Forecaster


# called after each trial (Optuna's ``optimize(callbacks=...)``)
StudyCallback = Callable[["optuna.Study", "optuna.trial.FrozenTrial"], None]


class _OutOfTime(Exception):
    """The search's time ended inside a trial's training."""


def warm_up(make: type[Forecaster], device: str | None = None) -> None:
    """One tiny fit of a ``make`` (the Forecaster class): torch's first backward pass and
    imports take seconds once in each process; paid here, before the first trial's clock
    starts."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"y": np.sin(np.arange(60) / 3.0)})
    with warnings.catch_warnings():  # with validation: its first pass is slow too
        warnings.simplefilter("ignore")
        make(units=(2,), window=4, epochs=1, device=device).fit(frame, "y")


def report_callback(trial: optuna.Trial, step0: int, deadline: float, warmup: int = 1
                    ) -> Callback:
    """A training callback: reports each epoch's validation loss to ``trial`` (step
    ``step0 + epoch``) and stops training when Optuna would prune it (``pruned_at``);
    past ``deadline`` (time.time()) it ends training within the batch."""
    from lstmcast.engine.callbacks import Callback

    class Report(Callback):
        def __init__(self) -> None:
            super().__init__()
            self.pruned_at: int | None = None

        def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None
                               ) -> None:
            if time.time() > deadline:
                raise _OutOfTime()

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            value = (logs or {}).get("val_loss")
            if value is None or not math.isfinite(value):
                return
            trial.report(float(value), step0 + epoch)
            if epoch >= warmup and trial.should_prune():
                self.pruned_at = epoch
                self.model.stop_training = True

    return Report()


def _fold_scores(scores: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """The model's RMSE (mean over targets) and each baseline's, from ``evaluate``."""
    from lstmcast.forecast.evaluation import HALVES

    by_model = scores.groupby("model", sort=False)["rmse"].mean()
    baselines = {str(k): float(v) for k, v in by_model.items()
                 if k != "lstmcast" and k not in HALVES}
    return float(by_model["lstmcast"]), baselines


@dataclass
class Objective:
    """One trial: the settings drawn, a fit and a score per fold; the mean RMSE.

    Picklable: ``--jobs`` sends it to each process.
    """

    make: type[Forecaster]  # the search builds one per fold
    folds: list[Fold]
    columns: dict
    space: Space
    clock: Clock
    epochs: int
    device: str | None = None
    trials: int | None = None  # at most this many trials in this run (all processes)
    first: int = 0  # trials the study had finished before this run

    def __call__(self, trial: optuna.Trial) -> float:
        optuna = optuna_module()
        Forecaster = self.make  # noqa: N806  (the class)
        started = time.time()
        trial.set_user_attr("pid", os.getpid())
        family, settings = self.space.settings(trial)
        trial.set_user_attr("family", family)
        trial.set_user_attr("settings", {k: plain(v) for k, v in settings.items()
                                         if k in params.SECTIONS["model"]})
        trial.set_user_attr("compare", comparable(family, settings))
        # each fold trains for its share of the trial's time (at least one epoch); only
        # the search's end stops a trial before its folds are done
        cap = max(self.clock.trial_seconds, len(self.folds) * MIN_FOLD_SECONDS)
        trial_end = min(started + cap, self.clock.search_end)
        rmses: list[float] = []
        baselines: dict[str, list[float]] = {}
        longest = 0.0
        try:
            for k, fold in enumerate(self.folds):
                if time.time() > self.clock.search_end - 0.05:
                    raise _OutOfTime()
                fold_started = time.time()
                seconds = max(0.01, (trial_end - time.time()) / (len(self.folds) - k))
                if settings.get("max_seconds"):
                    seconds = min(seconds, settings["max_seconds"])
                report = report_callback(trial, k * self.epochs, self.clock.search_end)
                model = Forecaster(**{**settings, "max_seconds": seconds, "verbose": 0,
                                      "checkpoint": None,
                                      "callbacks": [*(settings.get("callbacks") or []),
                                                    report]})
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(fold.train, **self.columns)
                    if report.pruned_at is not None:
                        trial.set_user_attr("note", f"pruned in fold {fold.number}, epoch "
                                            f"{report.pruned_at + 1}")
                        raise optuna.TrialPruned()
                    rmse, base = _fold_scores(model.evaluate(fold.test, holdout=fold.size))
                rmses.append(rmse)
                for name, value in base.items():
                    baselines.setdefault(name, []).append(value)
                trial.set_user_attr("fold_rmse", rmses)
                trial.set_user_attr("baselines", baselines)
                trial.set_user_attr("window", int(model.window_))
                trial.set_user_attr("seconds", round(time.time() - started, 2))
                longest = max(longest, time.time() - fold_started)
            # read by _deadline from finished trials only: written once, when all folds are
            trial.set_user_attr("longest_fold", round(longest, 3))
        except _OutOfTime:
            trial.set_user_attr("note", f"stopped: the search's time ended ({len(rmses)} "
                                f"of {len(self.folds)} folds done)")
            trial.set_user_attr("seconds", round(time.time() - started, 2))
            raise optuna.TrialPruned() from None
        except optuna.TrialPruned:
            trial.set_user_attr("seconds", round(time.time() - started, 2))
            raise
        except KeyboardInterrupt:
            trial.set_user_attr("note", "interrupted")
            raise
        except Exception as exc:
            trial.set_user_attr("note", one_line(exc))
            trial.set_user_attr("seconds", round(time.time() - started, 2))
            raise
        return float(sum(rmses) / len(rmses))


def _progress(quiet: bool) -> StudyCallback:
    def line(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if quiet:
            return
        state = trial_state(trial)
        kind = trial.user_attrs.get("kind", "search")
        seconds = trial.user_attrs.get("seconds")
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        if state == "complete":
            folds = ", ".join(f"{v:.4g}" for v in trial.user_attrs.get("fold_rmse", []))
            what = f"RMSE {trial.value:.4g} (folds {folds}){took}"
        else:
            what = f"{state}{took}: {trial.user_attrs.get('note', '')}".rstrip(": ")
        try:
            best = study.best_trial
            best_text = (f"best {best.value:.4g} (trial {best.number}, "
                         f"{best.user_attrs.get('kind', 'search')})")
        except ValueError:
            best_text = "no trial finished yet"
        print(f"trial {trial.number} ({kind}) {what}; {best_text}", flush=True)
    return line


def _deadline(objective: Objective) -> StudyCallback:
    """A study callback: the search's end follows the longest fold of the study's
    finished trials (every process's: ``Clock.search_end``), and this process stops
    once it has passed."""
    def check(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done = optuna_module().trial.TrialState
        for finished in study.get_trials(deepcopy=False, states=(done.COMPLETE,)):
            seconds = finished.user_attrs.get("longest_fold")
            if seconds is not None:
                objective.clock.saw_fold(seconds)
        if time.time() >= objective.clock.search_end:
            study.stop()
    return check


def _enough(objective: Objective) -> StudyCallback:
    """A study callback: stop every process once the run has ``objective.trials``."""
    def check(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done = optuna_module().trial.TrialState
        finished = study.get_trials(deepcopy=False,
                                    states=(done.COMPLETE, done.PRUNED, done.FAIL))
        if len(finished) - objective.first >= objective.trials:
            study.stop()
    return check


def _optimize(study: optuna.Study, objective: Objective, quiet: bool) -> None:
    warm_up(objective.make, objective.device)
    left = objective.clock.fit_end - time.time()  # at most; _deadline stops it before
    callbacks = ([_progress(quiet), _deadline(objective)]
                 + ([_enough(objective)] if objective.trials else []))
    if objective.clock.search_end > time.time():
        with outside_storage():  # Ctrl-C waits for a write to the study to end
            study.optimize(objective, n_trials=objective.trials, timeout=left,
                           callbacks=callbacks, catch=(Exception,), gc_after_trial=False)


def _worker(url: str, name: str, objective: Objective, seed: int, threads: int,
            quiet: bool) -> None:
    """One process of ``--jobs``: trials of the shared study until the search ends."""
    try:
        import torch

        torch.set_num_threads(threads)
        optuna = optuna_module()
        study = optuna.load_study(study_name=name, storage=study_storage(url),
                                  sampler=study_sampler(seed),
                                  pruner=comparable_pruner(objective.epochs))
        _optimize(study, objective, quiet)
    except KeyboardInterrupt:
        pass


def run_search(study: optuna.Study, objective: Objective, jobs: int = 1, url: str | None = None,
               seed: int = 0, quiet: bool = False) -> None:
    """Trials until the search's time ends, in ``jobs`` processes sharing ``url``'s study
    (this one and ``jobs - 1`` started here). Ctrl-C stops them all (KeyboardInterrupt
    is raised once they have stopped); the study keeps every finished trial."""
    import multiprocessing
    import signal

    if jobs > 1 and url is None:
        raise InvalidArgumentError(f"jobs={jobs} runs trials in {jobs} processes that share "
                                   "the study: give a storage (a SQLite or PostgreSQL URL).")
    threads = max(1, (os.cpu_count() or 1) // jobs)
    seed += objective.first  # a continued study draws new settings, not the first run's
    study.sampler = study_sampler(seed)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(url, study.study_name, objective,
                                                     seed + k, threads, quiet), daemon=True)
               for k in range(1, jobs)]
    from lstmcast.engine.runtime import cpu_threads

    with cpu_threads(threads if jobs > 1 else None):  # this process shares the cores too
        try:
            for w in workers:
                w.start()
            _optimize(study, objective, quiet)
            for w in workers:  # they end with the search's time; past the final fit's, stopped
                w.join(max(0.0, objective.clock.fit_end - time.time()))
        except KeyboardInterrupt:
            for w in workers:
                if w.is_alive() and w.pid is not None:
                    os.kill(w.pid, signal.SIGINT)
            for w in workers:
                w.join(10)
            raise
        finally:
            for w in workers:
                if w.is_alive():
                    w.terminate()
                    w.join(5)
