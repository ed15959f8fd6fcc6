"""The budget: the search ends at a share of it, the best settings are retrained until
another, and the rest is for the run folder.

The search's end moves with what the trials show: it keeps before ``fit_end`` twice
the longest fold a finished trial trained (the final fit trains the best settings on
all the training rows, a little more than a fold's), but never less than a second and
never ends before ``SEARCH_SHARE``. On a small table, whose folds take seconds, the
trials go on to nearly ``FIT_SHARE`` of the budget instead of stopping at 70% of it.
On a budget of less than a minute the training's end keeps a few seconds for what comes
after it (``MIN_TAIL_SECONDS``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from lstmcast.errors import InvalidArgumentError

SEARCH_SHARE = 0.7  # of the budget: the trials run at least until here


REFIT_FOLDS = 2.0  # the final fit's time kept before fit_end: this many of the longest fold


MIN_REFIT_SECONDS = 1.0  # and at least this


FIT_SHARE = 0.9  # the best settings retrained on all training rows until here; then the run


MIN_TAIL_SECONDS = 4.0  # after the final fit's training: at least this is kept for its
# scores, the blend, the explanation and the run folder with its plots (2 s of a 20 s
# budget was too little beside another process on 2 cores), but never more than a quarter
# of the budget, so that the final fit still starts after SEARCH_SHARE


TRIAL_SHARE = 1 / 6  # one trial takes at most this much of the search time


MIN_FOLD_SECONDS = 1.0  # the least a fold may train: a budget below one trial's is refused


@dataclass
class Clock:
    """The budget's deadlines, in ``time.time()`` seconds (shared between processes)."""

    start: float
    budget: float
    longest_fold: float | None = None  # seconds, the longest fold of a finished trial

    @property
    def search_end(self) -> float:
        """``SEARCH_SHARE`` of the budget until a trial has finished; then ``fit_end`` less
        ``REFIT_FOLDS`` of the longest fold (at least a second), never earlier."""
        earliest = self.start + SEARCH_SHARE * self.budget
        if self.longest_fold is None:
            return earliest
        keep = max(MIN_REFIT_SECONDS, REFIT_FOLDS * self.longest_fold)
        return max(earliest, self.fit_end - keep)

    def saw_fold(self, seconds: float) -> None:
        """A finished trial's longest fold (seconds): the search's end follows it."""
        self.longest_fold = max(self.longest_fold or 0.0, float(seconds))

    @property
    def fit_end(self) -> float:
        """``FIT_SHARE`` of the budget, earlier on a small one: the run's last step keeps
        ``MIN_TAIL_SECONDS`` (at most a quarter of the budget)."""
        tail = max((1 - FIT_SHARE) * self.budget, min(MIN_TAIL_SECONDS, self.budget / 4))
        return self.start + self.budget - tail

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


def now() -> float:
    return time.time()


def final_seconds(clock: Clock, settings: dict) -> float:
    """The final fit's training time: until ``fit_end`` (at least a second), and no more
    than the user's ``max_seconds``."""
    seconds = max(1.0, clock.fit_end - now())
    return min(seconds, settings["max_seconds"]) if settings.get("max_seconds") else seconds
