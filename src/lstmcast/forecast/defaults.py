"""Settings chosen from the data when the user leaves them out: one place for each rule.

The Forecaster's defaults are judged on a panel of public tables
(benchmarks/panel.py, docs/panel.md), never on one file. Each rule returns
its choice and a short reason, which ``inspect`` and ``lstmcast train`` print.

- the season: ``choose_season`` below (from the frequency, else found in the rows);
- the window: ``choose_window`` below (and ``check_window``: the longest one read);
- the scaling of several series: ``choose_scaling`` below (one scaler per series where
  the model reads each series' own past).

No torch here: the command line's checks use these before training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lstmcast.errors import InvalidArgumentError, size_text
from lstmcast.tables import frequency, seasonality
from lstmcast.tables.frequency import rows_per_day
from lstmcast.tables.splits import training_rows

if TYPE_CHECKING:
    import pandas as pd

    from lstmcast.tables.pipeline import TablePipeline

BASE_WINDOW = 30  # the tutorial's window, kept where no season asks for more
SEASONS_SEEN = 2  # a window sees this many of the main season where the rows allow
WEEKS_SEEN = 2  # a sub-daily table's window sees two weeks where the rows allow ...
# ... and its networks the last SEASONS_SEEN days of it (``network_rows``)
MAX_WINDOW = 2016
"""The longest window chosen: two weeks of 10-minute rows. A day of minutes is 1440 rows,
two weeks 20,160: the linear maps' normal matrix alone would take 3 GiB (numpy's OpenBLAS
crashed forming it), an LSTM over days of minutes trains for hours on a CPU. Longer: give
``window``."""
LONGEST_WINDOW = 8192
"""The longest window a Forecaster reads, given or chosen: the linear maps' normal matrix
grows with its square (512 MiB here), and numpy's OpenBLAS crashed forming one of 20,161
rows."""
MAX_NETWORK_ROWS = 576
"""The most rows of a chosen window the networks read, its last: two days of 5-minute
rows (every step of the window is a step of the recurrence)."""
DAYS_IN_ROWS = (24, 48, 96, 144, 288)
"""Seasons taken as a day where the rows have no calendar (no time column, or numbers):
a day of hourly, half-hourly, 15-, 10- and 5-minute rows."""


def choose_season(given: int | None, pipeline: TablePipeline) -> tuple[int | None, str]:
    """The season of a table ``pipeline`` read, and why: ``given`` (``season``; 1: none),
    else its time column's frequency's (``frequency.season``: 12 for monthly rows), else
    a cycle ``find_season`` found in its training rows where the table has no time
    column or one whose frequency has no season (numbers, years)."""
    if given == 1:
        return None, "given as 1: none"
    if given:
        return given, "given"
    if pipeline.roles.time is not None:
        step = pipeline.step
        found, what = frequency.season(step)
        if found:
            return found, f"{what}, from the frequency ({frequency.describe(step)})"
        why = what
    else:
        why = "no time column was given"
    seen = seasonality.FoundSeason.from_config(pipeline.time_.get("found_season"))
    if seen is not None:
        return seen.period, f"{seen.describe()}; {why}"
    if "found_season" in pipeline.time_:
        why += ", and the rows show no cycle that repeats"
    return None, why


def searches_season(given: int | None, pipeline: TablePipeline) -> bool:
    """Whether ``fit`` looks for a season in the rows: none given, and no time column or
    a regular one whose frequency has none (an irregular one's rows are no cycle)."""
    if given:
        return False
    time = pipeline.roles.time
    return time is None or (pipeline.step is not None
                            and frequency.season(pipeline.step)[0] is None)


def find_season(given: int | None, pipeline: TablePipeline, frame: pd.DataFrame,
                segs: list[tuple[int, int]], train_rows: np.ndarray) -> None:
    """Where ``choose_season`` would read one (``searches_season``), look for a season
    in the targets' training rows of a prepared ``frame`` (series ``segs``) and keep it
    with the pipeline's facts about its time (``time_["found_season"]``, saved with the
    model; None: none found)."""
    if not searches_season(given, pipeline):
        return
    series = [values[a:b][train_rows[a:b]] for name in pipeline.targets
              for values in [frame[name].to_numpy(dtype=np.float64)] for a, b in segs]
    found = seasonality.find_season(series)
    pipeline.time_["found_season"] = None if found is None else found.get_config()


def choose_window(season: int | None, shortest: int, horizon: int, steps: int,
                  validation: float, segment: int | None = None, daily: bool = False,
                  series: int = 1) -> tuple[int, str]:
    """The window of a Forecaster given none, and why.

    ``SEASONS_SEEN`` seasons (a day of half-hourly rows is 48: the window sees two
    days, 96 rows), or ``BASE_WINDOW`` rows where that is longer and the series are
    long enough (a sixth of the shortest series' rows, so 13 rows on a yearly
    series of 80: measured on the panel, docs/panel.md), at most half of the rows
    the shortest series trains on (what is left after ``validation`` holds out its
    share and the targets take theirs), so that every series keeps windows to
    train on. With ``segment`` (segment recurrence), a multiple of it.

    With several ``series``, a short one does not cut the window below ``SEASONS_SEEN``
    seasons where its training rows still hold one window of them: the other series
    train the model, and a window shorter than two seasons loses the season. Measured on
    the panel's tables of several series with one series cut to 40-50% of its rows
    (docs/panel.md): usemployment 0.681 -> 0.252 of the best baseline, ausaccommodation
    0.695 -> 0.684, arrivals 1.026 -> 1.033.

    Args:
        season: the main season in rows (None: none).
        shortest: rows of the shortest series given to fit.
        horizon, steps: rows from a window's last row to its first target, and
            target rows per window.
        validation: the fraction of each series held out for early stopping.
        segment: the segment length, when the window is cut into segments.
        daily: the season is a day of sub-daily rows. Then the window sees
            ``WEEKS_SEEN`` weeks where the rows allow (336 hourly rows): the linear
            maps and the naive forecasts read them all (the week's cycle of a
            load), the networks the last ``SEASONS_SEEN`` days (``network_rows``),
            so they train as fast as on two days. Measured on the panel's two
            sub-daily tables (docs/panel.md).
    """
    base = min(BASE_WINDOW, max(2, shortest // 6))
    window, why = base, (f"{base} rows, the tutorial's window" if base == BASE_WINDOW else
                         f"{base} rows, a sixth of the shortest series ({shortest} rows)")
    if season and SEASONS_SEEN * season > window:
        window = SEASONS_SEEN * season
        why = f"{window} rows: {SEASONS_SEEN} seasons of {season}"
    elif season:
        why += f", which sees {window // season} seasons of {season}"
    train_rows = training_rows(shortest, validation)
    cap = max(2, (train_rows - horizon - steps + 1) // 2)
    room = train_rows - horizon - steps + 1  # the shortest series' one window
    floor = SEASONS_SEEN * season if season and series > 1 else 0
    if window > cap and cap < floor <= room:
        window = floor
        why = (f"{window} rows: {SEASONS_SEEN} seasons of {season}; the shortest series "
               f"({shortest} rows) trains on {room - window + 1} of its windows, the other "
               "series on more")
    elif window > cap:
        window = cap
        why = (f"{window} rows: half of the {train_rows} rows the shortest series trains on"
               + (f" (a season is {season})" if season else ""))
    weeks = WEEKS_SEEN * 7 * season if _weeks_long(season, daily, segment) else 0
    if window < weeks <= cap:
        why = (f"{weeks} rows: {WEEKS_SEEN} weeks of {7 * season} rows; the networks read "
               f"its last {window} ({SEASONS_SEEN} days)")
        window = weeks
    if window > MAX_WINDOW:
        why = (f"{MAX_WINDOW} rows, the longest window chosen ({window} would take too long "
               "to train on; give --window for another)")
        window = MAX_WINDOW
        rows = network_rows(window, season, daily, segment)
        why += f"; the networks read its last {rows}" if rows else ""
    if segment:
        window = max(segment, window // segment * segment)
        why += f", a multiple of the segment ({segment})"
    return window, why


def check_window(window: int) -> None:
    """Refuse a window given longer than ``LONGEST_WINDOW``, saying why."""
    if window > LONGEST_WINDOW:
        raise InvalidArgumentError(
            f"`window={window}` is longer than lstmcast reads: at most {LONGEST_WINDOW} rows "
            "(the linear maps' normal matrix grows with the window's square, "
            f"{size_text(8 * (window + 1) ** 2)} here, and the networks step through every "
            "row). Give a shorter window, or aggregate the rows (hours instead of minutes).")


def network_rows(window: int, season: int | None, daily: bool,
                 segment: int | None = None) -> int | None:
    """The rows of a chosen window the networks read, its last ones: ``SEASONS_SEEN`` days
    where ``choose_window`` made a sub-daily table's window weeks long, at most
    ``MAX_NETWORK_ROWS`` (without a segment); else None (all)."""
    rows = SEASONS_SEEN * season if _weeks_long(season, daily, segment) else window
    if not segment:
        rows = min(rows, MAX_NETWORK_ROWS)
    return rows if rows < window else None


def _weeks_long(season: int | None, daily: bool, segment: int | None) -> bool:
    """Whether a chosen window may hold weeks, its networks reading its last days: a
    sub-daily table's season is a day, and no segment asks for its own multiple."""
    return bool(daily and season and not segment)


def is_a_day(season: int | None, pipeline: TablePipeline) -> bool:
    """Whether ``season`` is a day of sub-daily rows: a day of the time column's step (24
    on hourly rows), or, where the rows have no calendar, a season of ``DAYS_IN_ROWS``
    (a season of 48 found in a CSV of values only: half-hourly rows' day)."""
    if season is None:
        return False
    return season == rows_per_day(pipeline.step) or day_without_calendar(season, pipeline)


def day_without_calendar(season: int | None, pipeline: TablePipeline) -> bool:
    """Whether ``is_a_day`` takes ``season`` as a day by its length alone: the rows have
    no calendar (no time column, or one of numbers) and it is one of ``DAYS_IN_ROWS``."""
    step = pipeline.step
    calendar = step is not None and step.get("kind") == "datetime"
    return not calendar and season in DAYS_IN_ROWS


UNSAID_SCALING = ("given", "one series")
"""``choose_scaling``'s reasons that ``train`` and ``inspect`` leave unprinted: the user's
own ``scale_by``, or a single series (nothing to scale apart)."""


def choose_scaling(given: str, group: str | None, autoregressive: bool,
                   validation_by: str) -> tuple[str, str]:
    """``scale_by`` and why: as given, or for "auto" one scaler per series where the table
    has series (a group column), the model reads the targets' past and every series
    keeps rows of its own for training; else one scaler for all rows.

    Per series, each series' window is read on its own scale, as its own past: on the
    panel's five tables of several series (docs/panel.md), quarterly arrivals from four
    countries went from 1.24x the best baseline's RMSE to 1.05x and accommodation in
    eight states from 0.82x to 0.67x, and out of the panel Grunfeld's ten firms from
    1.11x to 0.98x. Where whole series are held out for validation (C-MAPSS's engines),
    they have no training rows to be scaled by; where the target's past is no input
    (remaining useful life), the series' levels are what the inputs must tell apart.
    """
    if given != "auto":
        return given, "given"
    if group is None:
        return "global", "one series"
    if not autoregressive:
        return "global", ("all series together: the target's past is not an input, so "
                          "their levels are what the inputs tell apart")
    if validation_by == "series":
        return "global", ("all series together: whole series are held out for validation, "
                          "with no training rows of their own to be scaled by")
    return "series", ("each series by its own training rows, as the model reads each "
                      "series' past on its own")
