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
- the budget: the search ends at ``SEARCH_SHARE`` of it (Optuna's timeout, and
  each fold's ``max_seconds`` so that a trial started late cannot overrun; a batch
  past that point ends the trial), the best settings are retrained on all training
  rows until ``FIT_SHARE``, and the rest is for scoring and writing the run.
- the study is kept in a storage (the command line: ``RUN/study.sqlite``), so that
  ``--resume RUN`` continues it and ``--jobs N`` processes share it (a PostgreSQL
  URL shares it between machines).
- the leaderboard (``leaderboard``): every trial's settings, fold RMSEs and mean,
  seconds and state, with the baselines' scores on the defaults' folds.

Nothing here imports torch or optuna until a search runs: the command line's checks
come first.
"""

from __future__ import annotations

import functools
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmcast.errors import InvalidArgumentError, LstmcastError
from lstmcast.forecast import params

SPACES = ("all", "stacked", "segment")
"""The search spaces: one model family each, or both ("all")."""

SEARCH_SHARE = 0.7  # of the budget: no trial runs past it
FIT_SHARE = 0.9  # the best settings retrained on all training rows until here; then the run
TRIAL_SHARE = 1 / 6  # one trial takes at most this much of the search time
MIN_FOLD_SECONDS = 1.0  # the least a fold may train: a budget below one trial's is refused
MIN_FOLDS = 3
STUDY_FILE, SEARCH_FILE, SETTINGS_FILE = "study.sqlite", "tune.json", "tune.toml"
LEADERBOARD = "leaderboard.csv"
KEEP = (STUDY_FILE, SEARCH_FILE, SETTINGS_FILE, ".lock")  # a rewritten run keeps these

STACKED_BATCHES = ("auto", "16", "32", "64", "128", "256")
SEGMENT_SIZES = (6, 12, 24, 48)  # segment lengths tried, with the season, where they fit
SETTING_COLUMNS = ("family", "window", "units", "dropout", "learning_rate", "batch_size",
                   "loss", "normalize", "segment", "blend", "channels")


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:  # pragma: no cover (a dependency of the package)
        raise LstmcastError("lstmcast tune needs optuna: pip install 'lstmcast[tune]' (or "
                            "optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


# -- folds -------------------------------------------------------------------------------
@dataclass
class Fold:
    """One rolling origin: fit on ``train``; score the last ``size`` rows of each series
    of ``test`` (``train`` and the ``size`` rows after it)."""

    number: int
    train: Any
    test: Any
    size: int


def _lengths(frame: Any, group: str | None) -> Any:
    import pandas as pd

    return (frame.groupby(group, dropna=False, observed=True).size() if group
            else pd.Series([len(frame)]))


def fold_size(frame: Any, group: str | None, steps: int) -> int:
    """The default rows per fold and series: ``steps``, or a tenth of the shortest series
    (as ``Forecaster.backtest``)."""
    return max(steps, int(_lengths(frame, group).min()) // 10)


def make_folds(frame: Any, group: str | None, time_col: str | None, folds: int, size: int,
               time_format: str | None = None, need: int = 2) -> list[Fold]:
    """``folds`` rolling origins over ``frame`` (the training rows), oldest first.

    Fold k (from 0) fits on each series without its last (folds - k) * size rows and
    scores the ``size`` rows after them. ``need``: the fewest rows the first fold must
    keep of every series, else a ``DataError`` saying what to change.
    """
    from lstmcast.tables.io import DataError
    from lstmcast.tables.splits import drop_tail

    shortest = int(_lengths(frame, group).min())
    first = shortest - folds * size
    if first < need:
        raise DataError(
            f"The shortest series has {shortest} training rows: too short for {folds} folds "
            f"of {size} rows (the first fold would train on {max(first, 0)} rows of it and "
            f"needs {need}); give fewer --folds, a smaller --fold-size, or longer series.")
    out = []
    for k in range(folds):
        cut = (folds - k) * size
        out.append(Fold(k + 1, drop_tail(frame, group, time_col, cut, time_format),
                        drop_tail(frame, group, time_col, cut - size, time_format), size))
    return out


# -- search spaces -----------------------------------------------------------------------
def _loss_name(settings: dict) -> str:
    return settings.get("loss") or ("pinball" if settings.get("quantiles") else "mse")


def _plain(value: Any) -> Any:
    """A setting as JSON holds it (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


@dataclass
class Space:
    """The settings a trial draws, per model family; ``fixed`` settings leave it.

    Attributes:
        name: "all", "stacked" or "segment".
        fixed: the user's settings (they win over the space and the presets).
        windows: (low, high) of the stacked family's window.
        segments: the segment lengths the segment family draws.
        cap: the longest window the first fold's shortest series allows.
        targets: how many target columns (channels are drawn with several).
        autoregressive: the targets' past is an input (instance normalization needs it).
    """

    name: str
    fixed: dict
    windows: tuple[int, int]
    segments: tuple[int, ...]
    cap: int
    targets: int = 1
    autoregressive: bool = True
    families: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        families = ("stacked", "segment") if self.name == "all" else (self.name,)
        if "segment" in self.fixed or "layers" in self.fixed:  # the user chose the family
            families = tuple(f for f in families
                             if f == ("segment" if "segment" in self.fixed else "stacked"))
        if not self.segments:
            families = tuple(f for f in families if f != "segment")
        if not families:
            raise InvalidArgumentError(
                f"The {self.name!r} search space has no family left to search: the segment "
                f"family needs windows of at least {min(SEGMENT_SIZES)} rows (the first fold "
                f"allows {self.cap}), and --segment fixes the segment family; try --space "
                + ("stacked." if self.name == "segment" else "segment."))
        self.families = families

    def _free(self, name: str) -> bool:
        return name not in self.fixed

    def _normalizes(self) -> bool:
        """Whether normalization is drawn: not given, and the targets' past is an input
        whose last value the forecast is not already made from (``difference``)."""
        return (self._free("normalize") and self.autoregressive
                and not self.fixed.get("difference"))

    def settings(self, trial: Any) -> tuple[str, dict]:
        """The family and the Forecaster settings of ``trial`` (drawn from it)."""
        family = (self.families[0] if len(self.families) == 1
                  else trial.suggest_categorical("family", list(self.families)))
        drawn = self._stacked(trial) if family == "stacked" else self._segment(trial)
        base = {} if family == "stacked" else _preset("long-horizon", self.fixed,
                                                       self.autoregressive)
        return family, {**base, **drawn, **self.fixed}

    def _stacked(self, trial: Any) -> dict:
        s: dict[str, Any] = {}
        if self._free("window"):
            s["window"] = trial.suggest_int("window", *self.windows, log=True)
        if self._free("units"):
            layers = trial.suggest_int("layers", 1, 3)
            units = trial.suggest_int("units", 8, 256, log=True)
            s["units"] = tuple(max(1, units >> k) for k in range(layers))
        if self._free("dropout"):
            s["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        if self._free("learning_rate"):
            s["learning_rate"] = trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
        if self._free("batch_size"):
            batch = trial.suggest_categorical("batch_size", list(STACKED_BATCHES))
            s["batch_size"] = None if batch == "auto" else int(batch)
        if self._free("loss") and not self.fixed.get("quantiles"):
            s["loss"] = trial.suggest_categorical("loss", ["mse", "mae", "huber"])
        if self._normalizes():
            normalize = trial.suggest_categorical("normalize", ["auto", "mean", "none"])
            s["normalize"] = None if normalize == "none" else normalize
        return s

    def _segment(self, trial: Any) -> dict:
        s: dict[str, Any] = {}
        segment = self.fixed.get("segment") or trial.suggest_categorical(
            "segment", list(self.segments))
        s["segment"] = segment
        if self._free("window"):
            most = max(1, self.cap // segment)
            count = trial.suggest_int("segments", 1, max(1, min(8, self.cap // min(
                self.segments or (segment,)))))
            s["window"] = segment * min(count, most)
        if self._free("units"):
            s["units"] = (trial.suggest_int("segment_units", 16, 256, log=True),)
        if self._free("dropout"):
            s["dropout"] = trial.suggest_float("segment_dropout", 0.0, 0.6)
        if self._free("learning_rate"):
            s["learning_rate"] = trial.suggest_float("segment_learning_rate", 1e-4, 1e-2,
                                                     log=True)
        if self._free("blend"):
            blend = trial.suggest_categorical("blend", ["none", "auto", "select"])
            s["blend"] = None if blend == "none" else blend
        if self._free("channels") and self.targets > 1 and self.autoregressive:
            s["channels"] = trial.suggest_categorical("channels", ["joint", "independent"])
        return s

    def defaults_params(self, window: int) -> dict | None:
        """The trial parameters of the defaults (the stacked family as Forecaster() has
        it, with ``window`` as it chooses), or None when the space has no stacked family."""
        if "stacked" not in self.families:
            return None
        p: dict[str, Any] = {"family": "stacked"} if len(self.families) > 1 else {}
        if self._free("window"):
            p["window"] = min(max(window, self.windows[0]), self.windows[1])
        if self._free("units"):
            p.update(layers=2, units=100)
        if self._free("dropout"):
            p["dropout"] = 0.2
        if self._free("learning_rate"):
            p["learning_rate"] = 0.001
        if self._free("batch_size"):
            p["batch_size"] = "auto"
        if self._free("loss") and not self.fixed.get("quantiles"):
            p["loss"] = "mse"
        if self._normalizes():
            p["normalize"] = "auto"
        return p

    def preset_params(self, name: str, window: int | None) -> dict | None:
        """The trial parameters of preset ``name`` (its window as it chooses, ``window``),
        or None when the space cannot hold it."""
        preset = _preset(name, self.fixed, self.autoregressive)
        segment = preset.get("segment")
        if "segment" not in self.families or segment is None or window is None:
            return None
        if self._free("segment") and segment not in self.segments:
            return None
        p: dict[str, Any] = {"family": "segment"} if len(self.families) > 1 else {}
        if self._free("segment"):
            p["segment"] = segment
        if self._free("window"):
            p["segments"] = max(1, window // segment)
        if self._free("units"):
            p["segment_units"] = int(preset["units"][0])
        if self._free("dropout"):
            p["segment_dropout"] = float(preset["dropout"])
        if self._free("learning_rate"):
            p["segment_learning_rate"] = float(preset["learning_rate"])
        if self._free("blend"):
            p["blend"] = preset.get("blend") or "none"
        if self._free("channels") and self.targets > 1 and self.autoregressive:
            p["channels"] = preset["channels"]
        return p

    def describe(self) -> dict:
        """What must match for a study to be continued with this space."""
        return {"space": self.name, "families": list(self.families),
                "windows": list(self.windows), "segments": list(self.segments)}


def _preset(name: str, fixed: dict, autoregressive: bool = True) -> dict:
    """The settings of preset ``name`` under the user's ``fixed`` ones, as ``--preset``
    gives them (a fixed window gets a segment that divides it), without the instance
    normalization when ``difference`` forecasts from the last value already, or the
    targets' past is no input (then without independent channels too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = params.with_preset(name, dict(fixed))
    if (fixed.get("difference") or not autoregressive) and "normalize" not in fixed:
        settings.pop("normalize", None)
    if not autoregressive and "channels" not in fixed:  # each target's past its own series
        settings.pop("channels", None)
    return settings


def _window_cap(shortest: int, settings: dict) -> int:
    """The longest window the first fold's shortest series leaves windows to train on
    (``defaults.choose_window``'s cap: half the rows it trains on after validation)."""
    watched = settings.get("early_stopping", True) or settings.get("lr_patience") is not None
    validation = settings.get("validation", 0.2) if watched else 0.0
    train_rows = int(shortest * (1.0 - validation))
    return max(2, (train_rows - settings.get("horizon", 1) - settings.get("steps", 1) + 1) // 2)


# -- pruning and the clock -----------------------------------------------------------------
def _comparable(family: str, settings: dict) -> str:
    """Trials whose validation losses can be compared: the same family, loss and scale."""
    return (f"{family}/{_loss_name(settings)}/{settings.get('scaler', 'minmax')}/"
            f"{'mean' if settings.get('normalize') == 'mean' else 'level'}")


def _prune(self: Any, study: Any, trial: Any) -> bool:
    """``comparable_pruner``'s rule."""
    step = trial.last_step
    if step is None or step % self.epochs < self.warmup:
        return False
    start = step - step % self.epochs

    def best(values: dict) -> float | None:
        seen = [v for s, v in values.items() if start <= s <= step and math.isfinite(v)]
        return min(seen) if seen else None

    mine = best(trial.intermediate_values)
    if mine is None:
        return False
    key = trial.user_attrs.get("compare")
    state = _optuna().trial.TrialState.COMPLETE
    others = [best(t.intermediate_values) for t in study.get_trials(deepcopy=False,
                                                                     states=(state,))
              if t.user_attrs.get("compare") == key]
    others = sorted(v for v in others if v is not None)
    if len(others) < self.startup:
        return False
    middle = len(others) // 2
    median = (others[middle] if len(others) % 2
              else (others[middle - 1] + others[middle]) / 2)
    return mine > median


@functools.cache
def _pruner_class() -> type:
    """``comparable_pruner``'s class, an Optuna pruner (made when optuna is first needed)."""

    class Pruner(_optuna().pruners.BasePruner):

        def __init__(self, epochs: int, startup: int = 2, warmup: int = 1) -> None:
            self.epochs, self.startup, self.warmup = max(1, epochs), startup, warmup

        prune = _prune

    return Pruner


def comparable_pruner(epochs: int, startup: int = 2, warmup: int = 1) -> Any:
    """Optuna's median rule among comparable trials: stop a trial whose best validation
    loss in the current fold is worse than the median of the finished trials' best
    losses up to the same epoch of that fold, among trials of the same family, loss and
    scale (a loss is only comparable with the same loss on the same scale).

    Args:
        epochs: the epochs of a fold (the steps reported are fold * epochs + epoch).
        startup: comparable finished trials needed before any trial is pruned.
        warmup: epochs of each fold never pruned.
    """
    return _pruner_class()(epochs, startup, warmup)


class _OutOfTime(Exception):
    """The search's time ended inside a trial's training."""


def warm_up(make: Any, device: str | None = None) -> None:
    """One tiny fit of a ``make`` (the Forecaster class): torch's first backward pass and
    imports take seconds once in each process; paid here, before the first trial's clock
    starts."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"y": np.sin(np.arange(60) / 3.0)})
    with warnings.catch_warnings():  # with validation: its first pass is slow too
        warnings.simplefilter("ignore")
        make(units=(2,), window=4, epochs=1, device=device).fit(frame, "y")


def _report_callback(trial: Any, step0: int, deadline: float, warmup: int = 1) -> Any:
    """A training callback: reports each epoch's validation loss to ``trial`` (step
    ``step0 + epoch``) and stops training when Optuna would prune it (``pruned_at``);
    past ``deadline`` (time.time()) it ends training within the batch."""
    from lstmcast.engine.callbacks import Callback

    class Report(Callback):
        def __init__(self) -> None:
            super().__init__()
            self.pruned_at: int | None = None

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if time.time() > deadline:
                raise _OutOfTime()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            value = (logs or {}).get("val_loss")
            if value is None or not math.isfinite(value):
                return
            trial.report(float(value), step0 + epoch)
            if epoch >= warmup and trial.should_prune():
                self.pruned_at = epoch
                self.model.stop_training = True

    return Report()


@dataclass
class Clock:
    """The budget's deadlines, in ``time.time()`` seconds (shared between processes)."""

    start: float
    budget: float

    @property
    def search_end(self) -> float:
        return self.start + SEARCH_SHARE * self.budget

    @property
    def fit_end(self) -> float:
        return self.start + FIT_SHARE * self.budget

    @property
    def trial_seconds(self) -> float:
        return TRIAL_SHARE * SEARCH_SHARE * self.budget


def minimum_budget(folds: int) -> float:
    """The least budget that leaves one trial its folds' minimum time (in whole seconds)."""
    return float(math.ceil(folds * MIN_FOLD_SECONDS / (SEARCH_SHARE * TRIAL_SHARE * 6)))


def check_budget(budget: Any, folds: int, option: str = "--budget") -> float:
    """``budget`` as seconds, or a one-line error when no trial could run in it."""
    try:
        seconds = float(budget)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{option} expects seconds (a number > 0), got "
                                   f"{budget!r}.") from None
    if not seconds > 0 or not math.isfinite(seconds):
        raise InvalidArgumentError(f"{option} must be more than 0 seconds, got {budget!r}.")
    least = minimum_budget(folds)
    if seconds < least:
        raise InvalidArgumentError(
            f"{option} {budget} s is less than one trial could use: {folds} folds of at "
            f"least {MIN_FOLD_SECONDS:g} s within the search's {SEARCH_SHARE:.0%} of the "
            f"budget; give at least {least:g} s.")
    return seconds


# -- the objective ---------------------------------------------------------------------------
def _fold_scores(scores: Any) -> tuple[float, dict[str, float]]:
    """The model's RMSE (mean over targets) and each baseline's, from ``evaluate``."""
    from lstmcast.forecast.evaluation import HALVES

    by_model = scores.groupby("model", sort=False)["rmse"].mean()
    baselines = {str(k): float(v) for k, v in by_model.items()
                 if k != "lstmcast" and k not in HALVES}
    return float(by_model["lstmcast"]), baselines


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass
class Objective:
    """One trial: the settings drawn, a fit and a score per fold; the mean RMSE.

    Picklable: ``--jobs`` sends it to each process.
    """

    make: Any  # the Forecaster class (the search builds one per fold)
    folds: list[Fold]
    columns: dict
    space: Space
    clock: Clock
    epochs: int
    device: str | None = None
    trials: int | None = None  # at most this many trials in this run (all processes)
    first: int = 0  # trials the study had finished before this run

    def __call__(self, trial: Any) -> float:
        optuna = _optuna()
        Forecaster = self.make  # noqa: N806  (the class)
        started = time.time()
        trial.set_user_attr("pid", os.getpid())
        family, settings = self.space.settings(trial)
        trial.set_user_attr("family", family)
        trial.set_user_attr("settings", {k: _plain(v) for k, v in settings.items()
                                         if k in params.SECTIONS["model"]})
        trial.set_user_attr("compare", _comparable(family, settings))
        # each fold trains for its share of the trial's time (at least one epoch); only
        # the search's end stops a trial before its folds are done
        cap = max(self.clock.trial_seconds, len(self.folds) * MIN_FOLD_SECONDS)
        trial_end = min(started + cap, self.clock.search_end)
        rmses: list[float] = []
        baselines: dict[str, list[float]] = {}
        try:
            for k, fold in enumerate(self.folds):
                if time.time() > self.clock.search_end - 0.05:
                    raise _OutOfTime()
                seconds = max(0.01, (trial_end - time.time()) / (len(self.folds) - k))
                if settings.get("max_seconds"):
                    seconds = min(seconds, settings["max_seconds"])
                report = _report_callback(trial, k * self.epochs, self.clock.search_end)
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
            trial.set_user_attr("note", _one_line(exc))
            trial.set_user_attr("seconds", round(time.time() - started, 2))
            raise
        return float(sum(rmses) / len(rmses))


# -- the study -------------------------------------------------------------------------------
def storage_url(path: str | os.PathLike) -> str:
    """The SQLite URL of a study file."""
    return "sqlite:///" + str(Path(path).absolute())


def _storage(url: str | None) -> Any:
    optuna = _optuna()
    if url is None:
        return optuna.storages.InMemoryStorage()
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:  # a trial whose process died is failed after the grace period (heartbeats)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs,
                                              heartbeat_interval=5, grace_period=20)
    except Exception as exc:  # a bad URL, a missing driver, no server
        raise InvalidArgumentError(f"Cannot open the study storage {url!r}: "
                                   f"{_one_line(exc)}") from None


def _sampler(seed: int) -> Any:
    return _optuna().samplers.TPESampler(seed=seed, n_startup_trials=5)


def open_study(url: str | None, name: str, description: dict, epochs: int, seed: int = 0,
               storage: Any = None) -> Any:
    """The study ``name`` in ``url`` (None: in memory), created or continued; a study
    started with other settings (data, fixed settings, space, folds) is refused."""
    optuna = _optuna()
    storage = storage if storage is not None else _storage(url)
    study = optuna.create_study(study_name=name, storage=storage, direction="minimize",
                                sampler=_sampler(seed), pruner=comparable_pruner(epochs),
                                load_if_exists=True)
    before, now = study.user_attrs.get("lstmcast"), json.loads(json.dumps(description))
    if before is None:
        study.set_user_attr("lstmcast", now)
    elif before != now:
        changed = []
        for key in sorted(set(before) | set(now)):
            old, new = before.get(key), now.get(key)
            if isinstance(old, dict) and isinstance(new, dict):
                changed += [f"{key} {k}" for k in sorted(set(old) | set(new))
                            if old.get(k) != new.get(k)]
            elif old != new:
                changed.append(key)
        raise InvalidArgumentError(
            f"Study {name!r} was started with other settings (they differ in: "
            f"{', '.join(changed)}): continue it with the same data and settings, or start "
            "another study.")
    return study


def enqueue_first(study: Any, space: Space, default_window: int,
                  preset_windows: dict[str, int | None]) -> list[str]:
    """Put the defaults and the presets first in a new study; returns what was queued."""
    if study.trials:
        return []
    queued = []
    first = space.defaults_params(default_window)
    if first is not None:
        study.enqueue_trial(first, user_attrs={"kind": "defaults"})
        queued.append("defaults")
    for name, window in preset_windows.items():
        p = space.preset_params(name, window)
        if p is not None:
            study.enqueue_trial(p, user_attrs={"kind": f"preset: {name}"})
            queued.append(f"preset {name}")
    return queued


def _progress(quiet: bool) -> Any:
    def line(study: Any, trial: Any) -> None:
        if quiet:
            return
        state = _state(trial)
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


def finished_trials(study: Any) -> int:
    """How many trials of ``study`` are finished (complete, pruned or failed)."""
    state = _optuna().trial.TrialState
    return len(study.get_trials(deepcopy=False,
                                states=(state.COMPLETE, state.PRUNED, state.FAIL)))


def _state(trial: Any) -> str:
    return {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed",
            "RUNNING": "running", "WAITING": "waiting"}.get(trial.state.name,
                                                          trial.state.name.lower())


def _enough(objective: Objective) -> Any:
    """A study callback: stop every process once the run has ``objective.trials``."""
    def check(study: Any, trial: Any) -> None:
        done = _optuna().trial.TrialState
        finished = study.get_trials(deepcopy=False,
                                    states=(done.COMPLETE, done.PRUNED, done.FAIL))
        if len(finished) - objective.first >= objective.trials:
            study.stop()
    return check


def _optimize(study: Any, objective: Objective, quiet: bool) -> None:
    warm_up(objective.make, objective.device)
    left = objective.clock.search_end - time.time()
    callbacks = [_progress(quiet)] + ([_enough(objective)] if objective.trials else [])
    if left > 0:
        study.optimize(objective, n_trials=objective.trials, timeout=left,
                       callbacks=callbacks, catch=(Exception,), gc_after_trial=False)


def _worker(url: str, name: str, objective: Objective, seed: int, threads: int,
            quiet: bool) -> None:
    """One process of ``--jobs``: trials of the shared study until the search ends."""
    try:
        import torch

        torch.set_num_threads(threads)
        optuna = _optuna()
        study = optuna.load_study(study_name=name, storage=_storage(url),
                                  sampler=_sampler(seed),
                                  pruner=comparable_pruner(objective.epochs))
        _optimize(study, objective, quiet)
    except KeyboardInterrupt:
        pass


def run_search(study: Any, objective: Objective, jobs: int = 1, url: str | None = None,
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
    study.sampler = _sampler(seed)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(url, study.study_name, objective,
                                                     seed + k, threads, quiet), daemon=True)
               for k in range(1, jobs)]
    if jobs > 1:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
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
        if jobs > 1:
            torch.set_num_threads(before)


# -- the leaderboard -----------------------------------------------------------------------
def leaderboard(study: Any) -> Any:
    """Every trial, best first: ``trial``, ``kind`` (defaults, preset: NAME, search or
    baseline), ``model``, ``state`` (complete, pruned, failed), ``rmse`` (the mean over
    folds), ``rmse_fold_1``..., ``seconds``, the settings (``family``, ``window``,
    ``units``...), ``note`` (why a trial stopped); and the baselines' RMSEs on the
    defaults' folds (or the first finished trial's: the windows' targets are the same)."""
    import pandas as pd

    trials = study.get_trials(deepcopy=False)
    n_folds = max([len(t.user_attrs.get("fold_rmse", [])) for t in trials] + [0])
    rows = []
    for t in trials:
        settings = t.user_attrs.get("settings", {})
        folds = t.user_attrs.get("fold_rmse", [])
        row = {"trial": t.number, "kind": t.user_attrs.get("kind", "search"),
               "model": "lstmcast", "state": _state(t),
               "rmse": t.value if _state(t) == "complete" else math.nan,
               **{f"rmse_fold_{k + 1}": folds[k] if k < len(folds) else math.nan
                  for k in range(n_folds)},
               "seconds": t.user_attrs.get("seconds", math.nan),
               "family": t.user_attrs.get("family", ""),
               "window": t.user_attrs.get("window", settings.get("window"))}
        for name in SETTING_COLUMNS[2:]:
            value = settings.get(name)
            row[name] = ("auto" if value is None and name == "batch_size" else
                         "none" if value is None and name in ("normalize", "blend") else
                         ",".join(map(str, value)) if isinstance(value, list) else value)
        row["note"] = t.user_attrs.get("note", "")
        rows.append(row)
    complete = [t for t in trials if _state(t) == "complete"
                and len(t.user_attrs.get("fold_rmse", [])) == n_folds]
    source = ([t for t in complete if t.user_attrs.get("kind") == "defaults"] or complete)[:1]
    for t in source:
        for name, values in t.user_attrs.get("baselines", {}).items():
            rows.append({"trial": math.nan, "kind": "baseline", "model": name,
                         "state": "complete", "rmse": sum(values) / len(values),
                         **{f"rmse_fold_{k + 1}": v for k, v in enumerate(values)},
                         "note": f"on the folds of trial {t.number} "
                                 f"({t.user_attrs.get('kind', 'search')})"})
    columns = ["trial", "kind", "model", "state", "rmse",
               *(f"rmse_fold_{k + 1}" for k in range(n_folds)), "seconds",
               *SETTING_COLUMNS, "note"]
    board = pd.DataFrame(rows, columns=columns)
    for name in ("trial", "window", "segment"):
        board[name] = board[name].astype("Int64")
    board["_order"] = board["state"].map({"complete": 0, "pruned": 1}).fillna(2)
    board = board.sort_values(["_order", "rmse", "trial"], kind="stable", na_position="last")
    return board.drop(columns="_order").reset_index(drop=True)


def best_settings(study: Any, fixed: dict | None = None) -> tuple[Any, dict]:
    """The best finished trial and its Forecaster settings (with ``fixed``'s settings
    that are Python objects: layers, callbacks), or a one-line error."""
    try:
        best = study.best_trial
    except ValueError:
        notes = [t.user_attrs.get("note") for t in study.trials if t.user_attrs.get("note")]
        hint = f" The first trial's end: {notes[0]}" if notes else ""
        raise LstmcastError(
            f"No trial finished within the search's time ({len(study.trials)} started): give "
            f"a larger budget.{hint}") from None
    settings = {**{k: v for k, v in (fixed or {}).items()
                   if k not in params.SECTIONS["model"]}, **best.user_attrs["settings"]}
    if isinstance(settings.get("units"), list):
        settings["units"] = tuple(settings["units"])
    if isinstance(settings.get("quantiles"), list):
        settings["quantiles"] = tuple(settings["quantiles"])
    return best, settings


# -- one search, from a table ----------------------------------------------------------------
@dataclass
class Search:
    """A search over ``frame`` (the training rows): its folds, space and first trials.

    Everything is checked here, before any trial: the space's name, the folds (the
    table must hold them), the settings.
    """

    make: Any  # the Forecaster class
    frame: Any
    columns: dict
    fixed: dict
    space_name: str = "all"
    folds: int = MIN_FOLDS
    size: int | None = None

    def __post_init__(self) -> None:
        Forecaster = self.make  # noqa: N806  (the class)
        if self.space_name not in SPACES:
            raise InvalidArgumentError(f"Unknown search space {self.space_name!r}; spaces: "
                                       f"{', '.join(SPACES)}.")
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or \
                self.folds < MIN_FOLDS:
            raise InvalidArgumentError(f"folds must be an integer of at least {MIN_FOLDS} "
                                       f"(rolling origins), got {self.folds!r}.")
        self.fixed = {k: v for k, v in self.fixed.items() if v is not None}
        Forecaster(**self.fixed).check_params()
        group, time_col = self.columns.get("group"), self.columns.get("time")
        steps, horizon = self.fixed.get("steps", 1), self.fixed.get("horizon", 1)
        self.size = self.size or fold_size(self.frame, group, steps)
        if self.size < steps:
            raise InvalidArgumentError(f"A fold of {self.size} rows cannot score a forecast of "
                                       f"{steps} steps: give --fold-size {steps} or more.")
        least = self.fixed.get("window") or 4
        need = 2 * (least + horizon + steps - 1) + 2
        self.fold_list = make_folds(self.frame, group, time_col, self.folds, self.size,
                                    self.fixed.get("time_format"), need)
        first = self.fold_list[0].train
        shortest = int(_lengths(first, group).min())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            facts = Forecaster(**self.fixed).inspect(first, **self.columns)
        self.default_window = int(facts["window"][0])
        season = facts["season"][0]
        cap = _window_cap(shortest, self.fixed)
        high = min(cap, max(96, 4 * (season or 0), self.default_window))
        low = min(8, self.default_window, high)
        window = self.fixed.get("window")
        sizes = (sorted(d for d in range(2, window + 1) if window % d == 0) if window
                 else sorted({s for s in (*SEGMENT_SIZES, season or 0) if 2 <= s <= cap}))
        ar = any(role == "target's past" for role in facts["roles"].values())
        self.space = Space(self.space_name, self.fixed, (low, high), tuple(sizes), cap,
                           len(facts["target"]), ar)
        self.preset_windows: dict[str, int | None] = {}
        for name in params.PRESETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    window = Forecaster(**_preset(name, self.fixed, ar)).inspect(
                        first, **self.columns)["window"][0]
                except LstmcastError:
                    window = None
            self.preset_windows[name] = window if window is None or window <= cap else None
        self.epochs = int(self.fixed.get("epochs", 100))

    def description(self) -> dict:
        """What a continued study must share with this search."""
        return json.loads(json.dumps({
            "columns": self.columns, "fixed": {k: _plain(v) for k, v in self.fixed.items()
                                               if k not in ("device", "max_seconds")},
            "folds": self.folds, "fold_size": self.size, "rows": len(self.frame),
            **self.space.describe()}, default=str))

    def objective(self, clock: Clock, study: Any, trials: int | None = None) -> Objective:
        """The trials of this run of ``study`` (at most ``trials``), within ``clock``."""
        return Objective(self.make, self.fold_list, self.columns, self.space, clock, self.epochs,
                         self.fixed.get("device"), trials, finished_trials(study))

    def start(self, study: Any) -> list[str]:
        """Queue the defaults and the presets in a new study."""
        return enqueue_first(study, self.space, self.default_window, self.preset_windows)


@dataclass
class TuneResult:
    """What ``Forecaster.tune`` found.

    Attributes:
        forecaster: the best settings, fitted on all the rows given.
        settings: those settings (``Forecaster(**settings)``).
        leaderboard: every trial (``lstmcast.forecast.tune.leaderboard``).
        study: the Optuna study.
        seconds: the whole search's wall-clock time.
    """

    forecaster: Any
    settings: dict
    leaderboard: Any
    study: Any
    seconds: float


def tune(make: Any, data: Any, target: Any, features: Any = None, group: str | None = None,
         time: str | None = None, future: Any = None, static: Any = None, *,
         budget: float, space: str = "all", folds: int = MIN_FOLDS,
         fold_size: int | None = None, jobs: int = 1, storage: str | None = None,
         study_name: str = "lstmcast", seed: int = 0, trials: int | None = None,
         progress: bool = False, **settings: Any) -> TuneResult:
    """Search the settings of a ``make`` (the Forecaster class) on rolling-origin folds of
    ``data``; see ``Forecaster.tune``."""
    from lstmcast.tables.io import read_table

    clock = Clock(now(), 0.0)
    folds = int(folds)
    clock.budget = check_budget(budget, folds, "budget")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgumentError(f"jobs must be a positive integer, got {jobs!r}.")
    frame = read_table(data)
    columns = {"target": target, "features": features, "group": group, "time": time,
               "future": future, "static": static}
    search = Search(make, frame, columns, settings, space, folds, fold_size)
    study = open_study(storage, study_name, search.description(), search.epochs, seed)
    objective = search.objective(clock, study, trials)
    search.start(study)
    run_search(study, objective, jobs, storage, seed, quiet=not progress)
    best, chosen = best_settings(study, search.fixed)
    final = final_seconds(clock, chosen)
    forecaster = make(**{**chosen, "max_seconds": final})
    forecaster.fit(frame, **columns)
    forecaster.set_params(max_seconds=settings.get("max_seconds"))
    return TuneResult(forecaster, chosen, leaderboard(study), study, now() - clock.start)


def now() -> float:
    return time.time()


def final_seconds(clock: Clock, settings: dict) -> float:
    """The final fit's training time: until ``fit_end`` (at least a second), and no more
    than the user's ``max_seconds``."""
    seconds = max(1.0, clock.fit_end - now())
    return min(seconds, settings["max_seconds"]) if settings.get("max_seconds") else seconds


# -- the command line ------------------------------------------------------------------------
