"""A table's time step: each series' own, the most common one (the model's frequency), a
table at another frequency refused, and the missing steps refused, kept or filled by the
``missing`` policy.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast.errors import shown
from lstmcast.tables import frequency
from lstmcast.tables.io import DataError
from lstmcast.tables.timeline import clock_change_hour

if TYPE_CHECKING:
    from lstmcast.tables.pipeline import TablePipeline

# each series' own step (``frequency.infer_step``; None where it has none), by series id
SeriesSteps = dict[Hashable, dict[str, Any] | None]


def learn_step(pipeline: TablePipeline, frame: pd.DataFrame) -> None:
    """The most common step among the series; series off it are irregular."""
    choose_step(pipeline, series_steps(pipeline, frame))


def series_steps(pipeline: TablePipeline, frame: pd.DataFrame) -> SeriesSteps:
    """Each series' own step (None where it has none), of a frame sorted by series and
    time (time parsed)."""
    roles = pipeline.roles
    parts = (frame.groupby(roles.group, sort=False, observed=True)[roles.time] if roles.group
             else [(None, frame[roles.time])])
    return {sid: frequency.infer_step(times.reset_index(drop=True)) for sid, times in parts}


def choose_step(pipeline: TablePipeline, steps: SeriesSteps) -> None:
    """The time step: the most common of the series' ``steps``; others are irregular."""
    common = _most_common(steps)
    pipeline.time_["step"] = common
    if common is None:
        pipeline.time_["irregular"] = [str(s) for s in steps][:20]
        return
    pipeline.time_["irregular"] = [str(sid) for sid, s in steps.items()
                               if s is not None and s != common
                               and not _multiple(s, common)][:20]


def check_step(pipeline: TablePipeline, frame: pd.DataFrame) -> None:
    """Refuse a table whose time step is not the model's (an hourly table for a daily
    model): the forecast's rows would be the wrong times. Coarser steps that are whole
    multiples of the model's are gaps, which the ``missing`` policy handles."""
    common = _most_common(series_steps(pipeline, frame))
    if common is not None and common != pipeline.step and not _multiple(common, pipeline.step):
        raise DataError(
            f"The time column {pipeline.roles.time!r} is {frequency.describe(common)} here, but "
            f"the model was trained on {frequency.describe(pipeline.step)} data: its forecasts "
            "would be for the wrong times. Give a table at the model's frequency, or train "
            "a model on this one.")


def time_steps(pipeline: TablePipeline, frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Find the missing time steps; refuse, keep or fill them by the ``missing`` policy."""
    roles = pipeline.roles
    gaps = frequency.find_gaps(frame, roles.time, roles.group, pipeline.step)
    if not gaps:
        return frame
    total = sum(g.missing for g in gaps)
    # the first series whose gaps are not all explained (summer time, market holidays)
    first = next((g for g in gaps if not (_trading_days(pipeline.step, [g])
                                          or _clock_changes(pipeline.step, [g]))), gaps[0])
    where = f"series {shown(first.series)}" if roles.group else "the series"
    after, following = _first_real_run(first, pipeline.step)
    what = (f"{total} missing time steps ({frequency.describe(pipeline.step)}) in {len(gaps)} "
            f"series; the first in {where}, between {shown(after)} and {shown(following)}")
    if first is not gaps[0]:
        kind = ("market holidays" if str(pipeline.step.get("freq")) == "B"
                else "the hour summer time skips")
        what += f" (the series before it that miss steps miss only {kind})"
    if pipeline.missing == "error" and _trading_days(pipeline.step, gaps):
        notes.append(f"{total} business days absent in {len(gaps)} series, each at most "
                     f"{frequency.HOLIDAY_RUN} in a row (market holidays): rows are taken as "
                     "consecutive trading days (missing='ffill' adds the days)")
        return frame
    if pipeline.missing == "error" and _clock_changes(pipeline.step, gaps):
        first_run = pd.Timestamp(gaps[0].runs[0])
        notes.append(f"{total} time steps absent in {len(gaps)} series, each the hour a "
                     f"local clock skips for summer time (the first {first_run}): rows are "
                     "taken as consecutive, as the hours passed (missing='interpolate' adds "
                     "them)")
        return frame
    if pipeline.missing == "error":
        raise DataError(f"{what[0].upper()}{what[1:]}. Fill them with missing='ffill' or "
                        "missing='interpolate', which adds the rows and fills "
                        "their values, or missing='zero' where a row is absent because "
                        "nothing happened (counts, sales: the targets 0, the inputs carried "
                        "forward).")
    if pipeline.missing == "drop":
        warnings.warn(f"{what[0].upper()}{what[1:]}: left as they are (missing='drop'), so "
                      "windows span them.", stacklevel=4)
        notes.append(f"{total} missing time steps left as they are")
        return frame
    constant = [c for c in (roles.group, *roles.static, roles.key) if c]
    frame, added = frequency.fill_gaps(frame, roles.time, roles.group, pipeline.step, constant)
    notes.append(f"{added} missing time steps added and filled ({pipeline.missing})")
    return frame


def _first_real_run(gap: frequency.Gap, step: dict[str, Any]) -> tuple[Any, Any]:
    """The times around a series' first run of missing steps that is not an hour a local
    clock skips for summer time: an hour long, where a clock changes (its first run where
    every run is such an hour)."""
    per_day = frequency.rows_per_day(step)
    if gap.bounds and per_day:
        hour_skipped = pd.Timedelta(hours=1) + pd.Timedelta(days=1) / per_day
        at_change = clock_change_hour(gap.runs)
        for (before, after), changes in zip(gap.bounds, at_change):
            if not (changes and pd.Timestamp(after) - pd.Timestamp(before) == hour_skipped):
                return before, after
    return gap.after, gap.next


def _trading_days(step: dict[str, Any] | None, gaps: list[frequency.Gap]) -> bool:
    """Business-day series whose gaps all read as market holidays (``Gap.holidays``): a
    stock's trading days, which the rows count as they are, as exchanges and most
    forecasting libraries do."""
    return (step is not None and step.get("kind") == "datetime"
            and str(step.get("freq")) == "B" and all(g.holidays() for g in gaps))


def _clock_changes(step: dict[str, Any] | None, gaps: list[frequency.Gap]) -> bool:
    """Sub-daily series on a local clock without its zone, whose gaps are all the hour
    skipped when summer time starts (``Gap.summer_time``): no value is missing, the
    clock jumped."""
    return (step is not None and step.get("kind") == "datetime"
            and all(g.summer_time(step) for g in gaps))


def _most_common(steps: SeriesSteps) -> dict[str, Any] | None:
    """The most common of the series' steps (None where no series has one)."""
    keys = [tuple(sorted(s.items())) for s in steps.values() if s is not None]
    return dict(max(set(keys), key=keys.count)) if keys else None


def _multiple(step: dict[str, Any], common: dict[str, Any]) -> bool:
    """A series whose own smallest step is a whole multiple of the common one (it has gaps)."""
    return frequency.is_multiple(step, common)
