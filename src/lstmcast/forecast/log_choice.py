"""Whether a Forecaster models its targets' log: chosen on time-ordered folds of the
training rows (``Forecaster(log=None)``, the default).

A seasonal swing that grows with the level (monthly drug sales, quarterly gas use,
tourist arrivals) is a constant swing on the log scale, where the window's maps and the
smoothing, all linear, can follow it; on a series whose swings do not grow, the log
only bends what was straight. Which one a table is cannot be read off one plot, and a
single validation split chooses it poorly: on the development panel, usmacro's
validation rows favoured the log at 0.61 of the plain scale's RMSE, and the log lost on
its held-out rows (0.557 -> 0.719 of the best baseline).

So the choice is made on ``FOLDS`` rolling origins inside the training rows, with the
forecasts that cost no training (``lstmcast.forecast.combination.candidates``: the
maps, the smoothing and the naive forecasts). At each origin the rows before it are
split as ``fit`` splits a table (the last ``validation`` part of each series held out),
both scales fit their scalers and candidates on the first part, each keeps the two
candidates that score best on its held-out windows, as ``fit`` would, and their mean is
scored there in the targets' own units. The log is chosen when, over the folds, its
squared error is below ``MARGIN`` times the plain scale's and it wins on most folds:
a clear and repeated gain, not a lucky split.

On the panel (docs/panel.md, both seeds) it takes the log on a10 (0.681 -> 0.575 of
the best baseline) and ukgas (0.857 -> 0.565), and nowhere else: geometric mean 0.831 ->
0.805, AutoETS matched on 12 tables of 18 instead of 10. On 9 tables from outside the
panel it took the log on two, both a little worse (airline passengers 0.529 -> 0.556,
three shops 0.439 -> 0.443): the candidates were better on the log there, the two chosen
on the validation rows were not.

Only where every target value of the table is above 0 (the log needs it), the targets'
past is an input (the candidates read it), without ``difference``, and on tables of at
most ``ROWS`` rows (a Parquet set read in shards is not compared either). No torch here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmcast.forecast import combination
from lstmcast.tables.pipeline import TablePipeline
from lstmcast.tables.splits import training_rows
from lstmcast.tables.windows import target_rows, window_starts

FOLDS = 3
"""Rolling origins inside the training rows."""

ROWS = 100_000
"""Tables of more rows are not compared (the folds fit the candidates six times: 4.6 s
for the panel's 17,000 half-hourly rows, so about half a minute for this many)."""

MARGIN = 0.95
"""The log scale's squared error over the folds must be below this share of the plain
scale's (and lower on most folds)."""


@dataclass
class LogChoice:
    """The choice and why: ``errors`` holds, per fold, the squared error of the plain and
    of the log scale's forecast (an empty list where no fold could be scored);
    ``possible``: the table allows the log (every target value above 0, its past read as
    it is)."""

    log: bool
    why: str
    errors: list[tuple[float, float]]
    possible: bool = True


def choose(pipeline: TablePipeline, frame: pd.DataFrame, ids: np.ndarray,
           segments: list[tuple[int, int]], train_rows: np.ndarray, season: int | None,
           validation: float) -> LogChoice:
    """Whether ``pipeline`` (its window chosen, its scalers not yet fitted) should read
    its targets as their log, on the training rows ``train_rows`` of a prepared ``frame``
    (series ``ids``, rows ``segments``)."""
    values = frame[pipeline.targets].to_numpy(dtype=np.float64)
    if not (values > 0).all():
        return LogChoice(False, "a target value is 0 or below", [], possible=False)
    if pipeline.difference or any(t not in pipeline.inputs for t in pipeline.targets):
        return LogChoice(False, "the targets' past is not read as it is", [], possible=False)
    if len(frame) > ROWS:
        return LogChoice(False, f"a table of over {ROWS:,} rows is not compared on folds "
                         "(log=True to take the log)", [])
    errors = []
    for fit_rows, held in _folds(segments, train_rows, validation, pipeline.steps):
        pair = [_fold_error(_with_log(pipeline, log), frame, ids, fit_rows, held, season)
                for log in (False, True)]
        if None not in pair:
            errors.append((pair[0], pair[1]))
    if len(errors) < 2:
        return LogChoice(False, "too few training rows to compare the scales on", errors)
    plain = sum(e[0] for e in errors)
    logged = sum(e[1] for e in errors)
    wins = sum(e[1] < e[0] for e in errors)
    change = np.sqrt(logged / plain) - 1 if plain > 0 else 0.0
    text = (f"on {len(errors)} time-ordered folds of the training rows, the forecasts "
            f"that need no training scored {abs(change):.0%} "
            f"{'lower' if change < 0 else 'higher'} RMSE on the log scale, better on "
            f"{wins} of {len(errors)}")
    return LogChoice(bool(logged < MARGIN * plain and 2 * wins > len(errors)), text, errors)


def _with_log(pipeline: TablePipeline, log: bool) -> TablePipeline:
    other = copy.copy(pipeline)
    other.log = list(pipeline.targets) if log else []
    return other


def _folds(segments: list[tuple[int, int]], train_rows: np.ndarray, validation: float,
           steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, held-out rows) masks of each fold, oldest origin first: fold k keeps
    each series' training rows but the last (FOLDS - 1 - k) gaps of ``max(steps, a
    tenth of the shortest series' training rows)``, and holds out the last
    ``validation`` part of what it keeps."""
    counts = [int(train_rows[a:b].sum()) for a, b in segments]
    gap = max(steps, min(counts) // 10)
    fraction = validation or 0.2
    out = []
    for k in range(FOLDS):
        fit = np.zeros(len(train_rows), dtype=bool)
        held = np.zeros(len(train_rows), dtype=bool)
        for (a, _), count in zip(segments, counts):
            kept = count - (FOLDS - 1 - k) * gap
            if kept < 2:
                continue
            cut = a + training_rows(kept, fraction)
            fit[a:cut] = True
            held[cut:a + kept] = True
        out.append((fit, held))
    return out


def _fold_error(pipeline: TablePipeline, frame: pd.DataFrame, ids: np.ndarray,
                fit_rows: np.ndarray, held: np.ndarray, season: int | None) -> float | None:
    """The squared error, in the targets' units, over the held-out windows of one fold,
    of the two candidates that score best there, combined as ``combination.choose``
    weighs them (None: no window to fit or to score)."""
    window, horizon, steps = pipeline.window, pipeline.horizon, pipeline.steps
    if not (fit_rows | held).all():  # the fold's rows alone: each series' first rows, and
        rows_in = fit_rows | held     # none of a series too short for the fold, which its
        frame = frame[rows_in].reset_index(drop=True)  # scalers could not scale
        ids, fit_rows, held = ids[rows_in], fit_rows[rows_in], held[rows_in]
    starts = window_starts(len(frame), window, horizon=horizon, steps=steps, groups=ids)
    rows = target_rows(starts, window, horizon, steps)
    kept = (fit_rows | held)[starts]  # a window that starts in the fold's rows
    fit_starts = starts[kept & fit_rows[rows].all(axis=1)]
    held_starts = starts[kept & held[rows].all(axis=1)]
    if not len(fit_starts) or not len(held_starts):
        return None
    pipeline.fit(frame, fit_rows)
    arrays = pipeline.arrays(frame)
    x_fit, y_fit = pipeline.windows(arrays, fit_starts)
    x_held, y_held = pipeline.windows(arrays, held_starts)
    parts = combination.candidates(window, steps, pipeline.target_columns(), season, horizon,
                                   lambda: [(x_fit, y_fit)])
    weights = combination.choose(combination.validation_errors(parts, [(x_held, y_held)]))
    forecast = sum(w * parts[name].predict(x_held) for name, w in weights.items())
    truth = arrays.y_raw[target_rows(held_starts, window, horizon, steps)]
    units = pipeline.to_units(forecast, arrays, held_starts)
    return float(np.square(units - truth).sum())
