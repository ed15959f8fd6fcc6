"""The Optuna study: its storage (SQLite in the run folder, or a database URL), sampler and
pruner, the first trials queued, the leaderboard and the best settings.
"""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lstmcast.errors import InvalidArgumentError, LstmcastError
from lstmcast.forecast import params
from lstmcast.forecast.tune.space import Space

if TYPE_CHECKING:
    import optuna
    import pandas as pd


STUDY_FILE, SEARCH_FILE, SETTINGS_FILE = "study.sqlite", "tune.json", "tune.toml"


LEADERBOARD = "leaderboard.csv"


KEEP = (STUDY_FILE, SEARCH_FILE, SETTINGS_FILE, ".lock")  # a rewritten run keeps these


SETTING_COLUMNS = ("family", "window", "units", "dropout", "learning_rate", "batch_size",
                   "loss", "normalize", "segment", "blend", "channels", "log")


def optuna_module() -> ModuleType:
    try:
        import optuna
    except ImportError:  # pragma: no cover (a dependency of the package)
        raise LstmcastError("lstmcast tune needs optuna: pip install 'lstmcast[tune]' (or "
                            "optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def _prune(self: Any, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
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
    state = optuna_module().trial.TrialState.COMPLETE
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

    class Pruner(optuna_module().pruners.BasePruner):

        def __init__(self, epochs: int, startup: int = 2, warmup: int = 1) -> None:
            self.epochs, self.startup, self.warmup = max(1, epochs), startup, warmup

        prune = _prune

    return Pruner


def comparable_pruner(epochs: int, startup: int = 2, warmup: int = 1
                      ) -> optuna.pruners.BasePruner:
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


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def storage_url(path: str | os.PathLike) -> str:
    """The SQLite URL of a study file."""
    return "sqlite:///" + str(Path(path).absolute())


def study_storage(url: str | None) -> optuna.storages.BaseStorage:
    optuna = optuna_module()
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
                                   f"{one_line(exc)}") from None


def study_sampler(seed: int) -> optuna.samplers.TPESampler:
    return optuna_module().samplers.TPESampler(seed=seed, n_startup_trials=5)


def open_study(url: str | None, name: str, description: dict, epochs: int, seed: int = 0,
               storage: optuna.storages.BaseStorage | None = None) -> optuna.Study:
    """The study ``name`` in ``url`` (None: in memory), created or continued; a study
    started with other settings (data, fixed settings, space, folds) is refused."""
    optuna = optuna_module()
    storage = storage if storage is not None else study_storage(url)
    study = optuna.create_study(study_name=name, storage=storage, direction="minimize",
                                sampler=study_sampler(seed), pruner=comparable_pruner(epochs),
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


def enqueue_first(study: optuna.Study, space: Space, default_window: int,
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


def finished_trials(study: optuna.Study) -> int:
    """How many trials of ``study`` are finished (complete, pruned or failed)."""
    state = optuna_module().trial.TrialState
    return len(study.get_trials(deepcopy=False,
                                states=(state.COMPLETE, state.PRUNED, state.FAIL)))


def trial_state(trial: optuna.trial.FrozenTrial) -> str:
    return {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed",
            "RUNNING": "running", "WAITING": "waiting"}.get(trial.state.name,
                                                          trial.state.name.lower())


def leaderboard(study: optuna.Study) -> pd.DataFrame:
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
               "model": "lstmcast", "state": trial_state(t),
               "rmse": t.value if trial_state(t) == "complete" else math.nan,
               **{f"rmse_fold_{k + 1}": folds[k] if k < len(folds) else math.nan
                  for k in range(n_folds)},
               "seconds": t.user_attrs.get("seconds", math.nan),
               "family": t.user_attrs.get("family", ""),
               "window": t.user_attrs.get("window", settings.get("window"))}
        for name in SETTING_COLUMNS[2:]:  # a setting the trial left alone: the default
            value = settings[name] if name in settings else params.BY_NAME[name].default
            row[name] = ("auto" if value is None and name in ("batch_size", "log") else
                         ("on" if value else "off") if name == "log" else
                         "none" if value is None and name in ("normalize", "blend") else
                         ",".join(map(str, value)) if isinstance(value, list) else value)
        row["note"] = t.user_attrs.get("note", "")
        rows.append(row)
    complete = [t for t in trials if trial_state(t) == "complete"
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


def no_trial_note(study: optuna.Study) -> str:
    """Why a search has no best trial, in one sentence: how many trials started and how
    the first one ended."""
    notes = [t.user_attrs.get("note") for t in study.trials if t.user_attrs.get("note")]
    hint = f" (the first trial's end: {notes[0]})" if notes else ""
    return (f"No trial finished its folds within the search's time ({len(study.trials)} "
            f"started){hint}")


def best_settings(study: optuna.Study, fixed: dict | None = None
                  ) -> tuple[optuna.trial.FrozenTrial | None, dict]:
    """The best finished trial and its Forecaster settings (with ``fixed``'s settings
    that are Python objects: layers, callbacks).

    When the defaults win, their window is left for the Forecaster to choose again: the
    trial chose it from the folds' rows, fewer than the final fit trains on, and the
    defaults retrained are then what ``lstmcast train`` makes of the same rows.

    When no trial finished (a budget too small for one trial's folds), there is no best
    trial (None) and the settings are ``fixed``'s alone: the defaults with the user's
    settings, what ``lstmcast train`` would fit, rather than no model at all
    (``no_trial_note`` says why).
    """
    fixed = fixed or {}
    try:
        best = study.best_trial
    except ValueError:
        best, settings = None, dict(fixed)
    else:
        settings = {**{k: v for k, v in fixed.items() if k not in params.SECTIONS["model"]},
                    **best.user_attrs["settings"]}
        if best.user_attrs.get("kind") == "defaults" and "window" in best.params:
            settings.pop("window", None)  # searched, not the user's: chosen again on all rows
    if isinstance(settings.get("units"), list):
        settings["units"] = tuple(settings["units"])
    if isinstance(settings.get("quantiles"), list):
        settings["quantiles"] = tuple(settings["quantiles"])
    return best, settings
