"""Searching settings with Optuna: ``lstmcast tune`` and ``Forecaster.tune``.

The search, in the order it runs:

- folds (``make_folds``): rolling origins in time order inside the training rows
  only. Fold k of F cuts the last (F - k) * size rows of every series, fits on the
  rows before, and scores the next ``size`` rows (``Forecaster.evaluate`` with
  ``holdout=size``, as ``Forecaster.backtest`` does). Rows held out for the test
  never reach a trial: the command line gives the search the rows ``lstmcast
  train`` trains on (``_test_plan``), and scores the best settings on the rest.
- spaces (``SPACES``): per model family, the settings a trial draws. "stacked",
  the tutorial's stack: window, layers and units, dropout, learning rate, batch,
  loss, normalization. "segment", segment recurrence (the long-horizon preset's
  family): the segment, the window as a multiple of it, units, dropout, learning
  rate, blend, and channels with several targets. "all" draws the family too.
  Settings the user gives stay fixed and leave the space.
- first trials: the defaults (``Forecaster()`` with the user's settings only, its
  window the one it chooses on the first fold) and each preset of
  ``params.PRESETS`` in the space, enqueued before Optuna's TPE sampler proposes.
- pruning: every epoch's validation loss is reported from a callback; a trial whose
  best loss in a fold is worse than the median of the finished trials at the same
  epoch, among those trained on the same loss and scale (``comparable_pruner``: a
  loss is only comparable with the same loss), stops, and the trial raises
  ``optuna.TrialPruned`` from its own loop.
- the budget: the search ends at ``SEARCH_SHARE`` of it, or later once trials have
  finished: ``FIT_SHARE`` less twice their longest fold (``Clock.search_end``; a study
  callback stops each process there, and
  each fold's ``max_seconds`` so that a trial started late cannot overrun; a batch
  past that point ends the trial), the best settings are retrained on all training
  rows until ``FIT_SHARE`` (``Clock.fit_end``: earlier on a budget under 40 s, which keeps
  ``MIN_TAIL_SECONDS``), and the rest is for scoring and writing the run.
- the study is kept in a storage (the command line: ``RUN/study.sqlite``), so that
  ``--resume RUN`` continues it and ``--jobs N`` processes share it (a PostgreSQL
  URL shares it between machines).
- the leaderboard (``leaderboard``): every trial's settings, fold RMSEs and mean,
  seconds and state, with the baselines' scores on the defaults' folds.

Nothing here imports torch or optuna until a search runs: the command line's checks
come first.

The package: ``folds`` (the rolling origins), ``space`` (what a trial draws),
``clock`` (the budget), ``study`` (Optuna's study, its storage and leaderboard),
``objective`` (one trial; trials in one process or several) and ``search`` (one
search from a table, and ``tune``). ``lstmcast.cli.tune`` is the command.
"""

from lstmcast.forecast.tune.clock import (
    FIT_SHARE,
    MIN_FOLD_SECONDS,
    SEARCH_SHARE,
    TRIAL_SHARE,
    Clock,
    check_budget,
    final_seconds,
    minimum_budget,
    now,
)
from lstmcast.forecast.tune.folds import MIN_FOLDS, Fold, fold_size, make_folds
from lstmcast.forecast.tune.objective import Objective, run_search, warm_up
from lstmcast.forecast.tune.search import Search, TuneResult, tune
from lstmcast.forecast.tune.space import SPACES, Space, comparable
from lstmcast.forecast.tune.study import (
    KEEP,
    LEADERBOARD,
    SEARCH_FILE,
    SETTINGS_FILE,
    STUDY_FILE,
    best_settings,
    comparable_pruner,
    enqueue_first,
    finished_trials,
    leaderboard,
    no_trial_note,
    open_study,
    storage_url,
)

__all__ = [
    "FIT_SHARE", "KEEP", "LEADERBOARD", "MIN_FOLDS", "MIN_FOLD_SECONDS", "SEARCH_FILE",
    "SEARCH_SHARE", "SETTINGS_FILE", "SPACES", "STUDY_FILE", "TRIAL_SHARE", "Clock", "Fold",
    "Objective", "Search", "Space", "TuneResult", "best_settings", "check_budget",
    "comparable", "comparable_pruner", "enqueue_first", "final_seconds", "finished_trials",
    "fold_size", "leaderboard", "make_folds", "minimum_budget", "no_trial_note", "now",
    "open_study", "run_search", "storage_url", "tune", "warm_up",
]
