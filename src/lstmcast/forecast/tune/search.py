"""One search from a table: its folds, space and first trials checked before any trial, and
``tune``, the whole of ``Forecaster.tune``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstmcast.errors import InvalidArgumentError, LstmcastError
from lstmcast.forecast import params
from lstmcast.forecast.tune.clock import Clock, check_budget, final_seconds, now
from lstmcast.forecast.tune.folds import MIN_FOLDS, fold_size, make_folds, series_lengths
from lstmcast.forecast.tune.objective import Objective, run_search
from lstmcast.forecast.tune.space import (
    SEGMENT_SIZES,
    SPACES,
    Space,
    plain,
    preset_settings,
    window_cap,
)
from lstmcast.forecast.tune.study import (
    best_settings,
    enqueue_first,
    finished_trials,
    leaderboard,
    no_trial_note,
    open_study,
)

if TYPE_CHECKING:
    import optuna
    import pandas as pd

    from lstmcast.forecast.forecaster import Forecaster


@dataclass
class Search:
    """A search over ``frame`` (the training rows): its folds, space and first trials.

    Everything is checked here, before any trial: the space's name, the folds (the
    table must hold them), the settings.
    """

    make: type[Forecaster]
    frame: pd.DataFrame
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
        shortest = int(series_lengths(first, group).min())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            facts = Forecaster(**self.fixed).inspect(first, **self.columns)
        self.default_window = int(facts["window"][0])
        season = facts["season"][0]
        cap = window_cap(shortest, self.fixed)
        high = min(cap, max(96, 4 * (season or 0), self.default_window))
        low = min(8, self.default_window, high)
        window = self.fixed.get("window")
        sizes = (sorted(d for d in range(2, window + 1) if window % d == 0) if window
                 else sorted({s for s in (*SEGMENT_SIZES, season or 0) if 2 <= s <= cap}))
        ar = any(role == "target's past" for role in facts["roles"].values())
        self.space = Space(self.space_name, self.fixed, (low, high), tuple(sizes), cap,
                           len(facts["target"]), ar, facts["log_possible"])
        self.preset_windows: dict[str, int | None] = {}
        for name in params.PRESETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:  # the window alone: the scale left as given, not chosen on folds again
                    window = Forecaster(**{"log": False, **preset_settings(
                        name, self.fixed, ar)}).inspect(first, **self.columns)["window"][0]
                except LstmcastError:
                    window = None
            self.preset_windows[name] = window if window is None or window <= cap else None
        self.epochs = int(self.fixed.get("epochs", 100))

    def description(self) -> dict:
        """What a continued study must share with this search."""
        return json.loads(json.dumps({
            "columns": self.columns, "fixed": {k: plain(v) for k, v in self.fixed.items()
                                               if k not in ("device", "max_seconds")},
            "folds": self.folds, "fold_size": self.size, "rows": len(self.frame),
            **self.space.describe()}, default=str))

    def objective(self, clock: Clock, study: optuna.Study, trials: int | None = None) -> Objective:
        """The trials of this run of ``study`` (at most ``trials``), within ``clock``."""
        return Objective(self.make, self.fold_list, self.columns, self.space, clock, self.epochs,
                         self.fixed.get("device"), trials, finished_trials(study))

    def start(self, study: optuna.Study) -> list[str]:
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

    forecaster: Forecaster
    settings: dict
    leaderboard: pd.DataFrame
    study: optuna.Study
    seconds: float


def tune(make: type[Forecaster], data: Any, target: str | Sequence[str],
         features: Sequence[str] | None = None, group: str | None = None,
         time: str | None = None, future: Sequence[str] | None = None,
         static: Sequence[str] | None = None, *,
         budget: float, space: str = "all", folds: int = MIN_FOLDS,
         fold_size: int | None = None, jobs: int = 1, storage: str | None = None,
         study_name: str = "lstmcast", seed: int = 0, trials: int | None = None,
         progress: bool = False, **settings: Any) -> TuneResult:
    """Search the settings of a ``make`` (the Forecaster class) on rolling-origin folds of
    ``data``; see ``Forecaster.tune``."""
    from lstmcast.tables import in_memory, joined_columns
    from lstmcast.tables.io import read_table

    clock = Clock(now(), 0.0)
    folds = int(folds)
    clock.budget = check_budget(budget, folds, "budget")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgumentError(f"jobs must be a positive integer, got {jobs!r}.")
    time = in_memory.time_of(data, time)  # a DataFrame's index of dates, where none given
    frame = in_memory.with_levels(read_table(data), [*joined_columns.columns(group),
                                                     *joined_columns.columns(time)])
    columns = {"target": target, "features": features, "group": group, "time": time,
               "future": future, "static": static}
    search = Search(make, frame, columns, settings, space, folds, fold_size)
    study = open_study(storage, study_name, search.description(), search.epochs, seed)
    objective = search.objective(clock, study, trials)
    search.start(study)
    run_search(study, objective, jobs, storage, seed, quiet=not progress)
    best, chosen = best_settings(study, search.fixed)
    if best is None:
        warnings.warn(f"{no_trial_note(study)}: fitted the defaults with the settings given "
                      "instead. Give a larger budget to search.", stacklevel=3)
    final = final_seconds(clock, chosen)
    forecaster = make(**{**chosen, "max_seconds": final})
    forecaster.fit(frame, **columns)
    forecaster.set_params(max_seconds=settings.get("max_seconds"))
    return TuneResult(forecaster, chosen, leaderboard(study), study, now() - clock.start)
