"""Scoring a fitted model: the model beside naive baselines, on the same windows.

``score`` computes MAE, RMSE, MAPE, sMAPE, MASE and skill for the model and
the baselines (see ``lstmcast.forecast.baselines``), in the target's original units,
and returns the forecasts behind them; ``warn_lag_copy`` flags a model whose
forecasts follow the last input value rather than the truth. ``backtest``
refits a Forecaster fold by fold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.checks import check_int
from lstmcast.errors import InvalidArgumentError, shown
from lstmcast.forecast import baselines, combination, forecasting, scores
from lstmcast.forecast.baselines import TrainingStats
from lstmcast.forecast.ensemble import Ensemble
from lstmcast.forecast.intervals import Intervals, central_pairs, interval_scores, quantile_columns
from lstmcast.tables import joined_columns
from lstmcast.tables.io import DataError, missing_column, sort_series
from lstmcast.tables.pipeline import Table, TablePipeline, group_ids
from lstmcast.tables.windows import segments, target_rows, window_starts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lstmcast.forecast.forecaster import Forecaster

HALVES = ("networks", "linear_map", "shrunk_map", "holt_winters")
"""The rows of a combined model's own forecasts, each alone (``Forecaster(blend=...)``);
the naive forecasts it may combine are rows of their own already, as baselines."""


SAME_RMSE = 1e-3
"""RMSEs within this share of each other are the same score: a model whose forecast is a
baseline's (the smoothing at alpha 1 is the naive forecast) is not said to lose to it by
rounding (``loses``)."""


def loses(ours: float, base: float) -> bool:
    """Whether the model's RMSE is worse than the best baseline's by more than
    ``SAME_RMSE`` of it."""
    return bool(ours > base * (1 + SAME_RMSE))


NEAR = 1.02
"""A model within this factor of the naive forecast's RMSE ties with it, as on a random
walk, where a longer window or more epochs cannot help."""


def what_to_try(best: str, ratio: float, ensemble: Ensemble | None = None) -> str:
    """The advice when the model loses to the ``best`` baseline by ``ratio`` of its RMSE on
    the validation rows; ``ensemble``: the model, whose forecast may be a pair of cheap
    forecasts chosen there without the networks (then training longer cannot help)."""
    if best == "naive" and ratio <= NEAR:
        return ("That is within 2% of the naive forecast (the last value): on a series that "
                "moves like a random walk (a price, an index) little beats it. Use the "
                "baseline, or give inputs that lead the series.")
    if ensemble is not None and ensemble.combined and ensemble.weight == 0:
        return (f"The forecast ({combination.describe(ensemble.weights)}) is the two that "
                "scored best there, weighted by their errors, and the pair is worse than "
                f"the {best} forecast alone: their errors are alike, so mixing them gains "
                "nothing. Try a search that chooses on several folds (tune), or use the "
                "baseline.")
    return ("Try a longer window (`window`: two seasons or more), more epochs, the "
            "long-horizon preset for many steps ahead, or use the baseline.")


def _no_window(pipeline: TablePipeline, table: Table, min_target_row: np.ndarray | None
               ) -> str:
    """Why no window is scored: the series are shorter than a window and its targets, or
    fewer rows than the targets lie past those to leave out."""
    window, steps = pipeline.window, pipeline.steps
    need = window + pipeline.horizon + steps - 1
    longest = max(b - a for a, b in table.segments)
    said = (f"No window of {window} rows plus its {steps} target "
            f"{'row' if steps == 1 else 'rows'} fits in the rows to score")
    if longest < need:
        return (f"{said}: the longest series has {longest} rows, and scoring needs {need}. "
                f"Give the {window} rows before those to score too: the whole series, whose "
                "rows after the training data are scored (or the last rows a holdout "
                "names).")
    past = max(int(b - max(a, min_target_row[a])) for a, b in table.segments)
    rows = "1 row of a series is" if past == 1 else f"{past} rows of a series are"
    return (f"{said}: at most {rows} left to score, and each forecast "
            f"scores {steps}. Give a holdout of {steps} rows or more, or a table that runs "
            f"{steps} rows or more past the training data.")


class LagCopyWarning(UserWarning):
    """The model's forecasts are essentially the last input value, shifted."""


class TrainingRowsWarning(UserWarning):
    """The windows scored were in the model's training data."""


@dataclass
class _Scored:
    """The windows ``score`` scores: their true targets and the model's forecasts."""

    truth: np.ndarray  # (W, S, T)
    truth_rows: np.ndarray  # (W, S)
    forecast: forecasting.Forecast
    source: Table  # the table the windows start in (the last windows' view with last_only)
    starts: np.ndarray
    series_start: np.ndarray | None  # with the baselines' windows; None with last_only
    base_starts: np.ndarray | None


def score(pipeline: TablePipeline, ensemble: Ensemble, stats: TrainingStats, table: Table,
          min_target_row: np.ndarray | None = None, last_only: bool = False,
          intervals: Intervals | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of the model and the baselines, and the forecasts behind them.

    Only windows whose first target row is at or after ``min_target_row``
    (per row) are scored, or the last window of each series when ``last_only``.
    The naive, window-mean and seasonal-naive baselines are scored whenever
    the table holds the target's past (horizon >= 1), whether or not the
    model reads it. With quantiles (``intervals``), every model also gets the
    interval scores of ``lstmcast.forecast.intervals.interval_scores``: the model's own
    quantiles, each baseline's forecast plus the quantiles of its training errors.
    """
    notes: list[str] = list(table.notes)
    windows = (_last_windows(pipeline, ensemble, table, intervals, notes) if last_only else
               _windows_after(pipeline, ensemble, table, min_target_row, intervals))
    halves = _halves(pipeline, ensemble, windows, notes)
    rows, pred_frames = [], []
    scored = windows.truth.shape[0]
    for k in range(len(pipeline.targets)):
        target_scores, frame, scored = _score_target(pipeline, stats, table, windows, halves,
                                                     k, last_only, notes, ensemble.weight > 0)
        rows += target_scores
        pred_frames.append(frame)
    result = pd.DataFrame(rows)
    _add_skill(result, notes, ensemble)
    result.attrs["notes"] = list(dict.fromkeys(notes))
    result.attrs["n_windows"] = scored
    return result, pd.concat(pred_frames, ignore_index=True)


def _last_windows(pipeline: TablePipeline, ensemble: Ensemble, table: Table,
                  intervals: Intervals | None, notes: list[str]) -> _Scored:
    """The last window of each series (the C-MAPSS protocol)."""
    if pipeline.horizon != 0 or pipeline.steps != 1:
        raise InvalidArgumentError(
            "`last_only=True` scores the last row of each series, which needs "
            "horizon=0 and steps=1 (e.g. remaining useful life).")
    view, starts, padded = forecasting.last_windows(pipeline, table)
    if padded:
        notes.append(f"{len(padded)} series shorter than the window were padded.")
    last_rows = np.asarray([b - 1 for a, b in table.segments])
    forecast = forecasting.forecast_windows(pipeline, ensemble, view, starts, intervals)
    return _Scored(table.y_raw[last_rows][:, None, :], last_rows[:, None], forecast, view,
                   starts, None, None)


def _windows_after(pipeline: TablePipeline, ensemble: Ensemble, table: Table,
                   min_target_row: np.ndarray | None, intervals: Intervals | None) -> _Scored:
    """Every window whose first target row is at or after ``min_target_row``."""
    window, horizon, steps = pipeline.window, pipeline.horizon, pipeline.steps
    starts = window_starts(len(table.frame), window, horizon=horizon, steps=steps,
                           groups=table.ids)
    if min_target_row is not None:
        first_target = starts + window - 1 + horizon
        starts = starts[first_target >= min_target_row[starts]]
    if len(starts) == 0:
        raise DataError(_no_window(pipeline, table, min_target_row))
    truth_rows = target_rows(starts, window, horizon, steps)
    forecast = forecasting.forecast_windows(pipeline, ensemble, table, starts, intervals)
    return _Scored(table.y_raw[truth_rows], truth_rows, forecast, table, starts,
                   baselines.series_starts(table)[starts], starts)


def _halves(pipeline: TablePipeline, ensemble: Ensemble, windows: _Scored,
            notes: list[str]) -> dict[str, np.ndarray]:
    """A combined model's own forecasts, each alone: what combining is worth."""
    if not ensemble.combined:
        return {}
    used = [name for name in HALVES if name == "networks" or ensemble.weights.get(name, 0) > 0]
    notes.append(f"{', '.join(used)}: the model's own forecasts, each alone, not "
                 f"baselines (it forecasts {combination.describe(ensemble.weights)}).")
    return {name: forecasting.forecast_windows(
                pipeline, Ensemble(ensemble.members) if name == "networks"
                else ensemble.parts[name], windows.source, windows.starts).point
            for name in used}


def _score_target(pipeline: TablePipeline, stats: TrainingStats, table: Table,
                  windows: _Scored, halves: dict[str, np.ndarray], k: int, last_only: bool,
                  notes: list[str], networks_used: bool = True
                  ) -> tuple[list[dict], pd.DataFrame, int]:
    """Target ``k``: a row of scores per model, the forecasts' frame, and how many windows
    every model was scored on. ``networks_used``: the networks take part in the forecast."""
    name, forecast = pipeline.targets[k], windows.forecast
    t = windows.truth[:, :, k]
    preds = {"lstmcast": forecast.point[:, :, k],
             **{model: half[:, :, k] for model, half in halves.items()}}
    if last_only:
        means = stats.means(windows.source.ids[windows.starts], k)
        preds["train_mean"] = np.repeat(means[:, None], t.shape[1], axis=1)
    else:
        preds.update(baselines.baseline_forecasts(
            table.y_raw[:, k], windows.base_starts, windows.series_start, pipeline,
            stats.means(table.ids[windows.base_starts], k), stats.season))
        sn = preds.get("seasonal_naive")
        if sn is not None and np.isnan(sn).any():
            kept = int((~np.isnan(sn)).all(axis=1).sum())
            notes.append(f"every model is scored on the {kept} of {len(sn)} windows "
                         "with a season of history before them (for seasonal_naive).")
    bands = {}  # (W, S, Q) per model
    if forecast.quantiles is not None:
        bands["lstmcast"] = forecast.quantiles[:, :, :, k]
        for model, offsets in (stats.residual_quantiles or {}).items():
            if model in preds:
                bands[model] = preds[model][:, :, None] + np.asarray(offsets)[None, :, :, k]
    ok = ~np.isnan(np.stack(list(preds.values()))).any(axis=(0, 2))  # common windows
    if networks_used:  # a diagnosis of the networks: not of a forecast they are no part of
        warn_lag_copy(name, t[ok], {m: p[ok] for m, p in preds.items()})
    rows = []
    for model, p in preds.items():
        row = {"target": name, "model": model,
               **scores.all_scores(t[ok], p[ok], stats.naive_scale[k])}
        if last_only:  # remaining useful life: the PHM08 challenge's score too
            row["phm08"] = scores.phm08(t[ok], p[ok])
        if model in bands:
            band = bands[model][ok]
            row.update(interval_scores(t[ok], band, forecast.levels))
            if last_only:  # how often even the interval's lower bound is late
                row.update(late_lower(t[ok], band, forecast.levels))
        rows.append(row)
    frame = prediction_frame(pipeline, table, windows.truth_rows, name, t, preds,
                             bands.get("lstmcast"), forecast.levels)
    zeros = scores.zero_targets(t)
    if zeros:
        notes.append(f"MAPE leaves out {zeros} true values of {name!r} that are 0.")
    if not np.isfinite(stats.naive_scale[k]):
        notes.append(f"MASE of {name!r} is left empty: each series trained on a season "
                     f"({stats.season or 1} rows) or fewer, so the seasonal naive made no "
                     "error on the training rows to scale by.")
    return rows, frame, int(ok.sum())


def _add_skill(result: pd.DataFrame, notes: list[str], ensemble: Ensemble) -> None:
    """``skill`` = 1 - RMSE / the best baseline's, per target; a note when the model loses,
    with what to try: for the networks, training; for a forecast chosen on the validation
    rows without them, a search on several folds, or the baseline."""
    result["skill"] = np.nan
    for name, part in result.groupby("target", sort=False):
        baselines = part[~part["model"].isin(["lstmcast", *HALVES])]
        base = baselines["rmse"].min()
        ours = part.loc[part["model"] == "lstmcast", "rmse"].iloc[0]
        if not base > 0:  # a baseline is exact (a constant target): skill has no scale
            notes.append(f"a baseline forecasts {name!r} exactly (its RMSE is 0: is the target "
                         "constant over these rows?), so skill and MASE are left empty.")
            continue
        result.loc[part.index, "skill"] = 1.0 - part["rmse"] / base
        if loses(ours, base):  # say it: a user may read only the model's row
            best = baselines.loc[baselines["rmse"].idxmin(), "model"]
            notes.append(f"the model forecasts {name!r} worse than the {best} baseline "
                         f"(RMSE {ours:.4g} against {base:.4g}, skill "
                         f"{1 - ours / base:+.3f}): {_what_to_try(ensemble, best)}")


def _what_to_try(ensemble: Ensemble, best: str) -> str:
    """The advice of ``_add_skill``'s note for this model's forecast."""
    if ensemble.weight > 0:
        return ("train longer (epochs), on more data, or try another configuration (the "
                "long-horizon preset for forecasts of many steps).")
    return (f"its forecast ({combination.describe(ensemble.weights)}) scored best on the "
            "validation rows, but not here; on a short or noisy series one stretch of rows "
            "can favour another forecast than the next. Try a search that chooses on "
            f"several folds (tune), more rows, or the {best} forecast itself.")


def late_lower(truth: np.ndarray, band: np.ndarray, levels: tuple[float, ...]
               ) -> dict[str, float]:
    """For remaining useful life: per central interval, the fraction of engines whose
    lower bound is still late (above the true RUL), and the PHM08 score of the lower
    bound taken as the forecast."""
    out = {}
    for low, _, pct in central_pairs(levels):
        lower = band[:, :, levels.index(low)]
        out[f"late_lower_{pct}"] = float(np.mean(lower > truth))
        out[f"phm08_lower_{pct}"] = scores.phm08(truth, lower)
    return out


def prediction_frame(pipeline: TablePipeline, table: Table, truth_rows: np.ndarray, name: str,
                     truth: np.ndarray, preds: dict[str, np.ndarray],
                     band: np.ndarray | None = None, levels: tuple[float, ...] = ()
                     ) -> pd.DataFrame:
    """One row per target row: ids, time, step, actual, each model's forecast, and the
    model's quantiles (``lstmcast_q0.1``...) when it has them."""
    out: dict[str, Any] = {}
    flat_rows = truth_rows.ravel()
    roles = pipeline.roles
    if roles.group:
        out[roles.group] = table.frame[roles.group].to_numpy()[flat_rows]
    if roles.time:
        out[roles.time] = table.frame[roles.time].to_numpy()[flat_rows]
    out["step"] = np.tile(np.arange(1, truth_rows.shape[1] + 1), truth_rows.shape[0])
    out["target"] = name
    out["actual"] = truth.ravel()
    for model, p in preds.items():
        out[model] = p.ravel()
    if band is not None:
        for q, column in enumerate(quantile_columns("lstmcast", levels)):
            out[column] = band[:, :, q].ravel()
    return pd.DataFrame(out)


def warn_lag_copy(name: str, truth: np.ndarray, preds: dict[str, np.ndarray]) -> None:
    """Warn when the networks' forecasts follow the last input value more closely than the
    truth: the model's forecast, or the networks' own where it combines them with others
    (a combination may hold the naive forecast on purpose)."""
    if "naive" not in preds:
        return
    own = "networks" in preds
    model, naive = preds["networks" if own else "lstmcast"], preds["naive"]
    to_naive = float(np.mean(np.abs(model - naive)))
    to_truth = float(np.mean(np.abs(model - truth)))
    no_better = scores.rmse(truth, model) >= scores.rmse(truth, naive)
    if no_better and to_naive < 0.5 * to_truth:
        whose = "The networks'" if own else "The model's"
        warnings.warn(
            f"{whose} forecasts of {name!r} are no better than repeating the last value and "
            f"stay close to it (mean distance {to_naive:.3g}, against {to_truth:.3g} from "
            "the truth): the model may have learned a lagged copy of its input, a known "
            "LSTM failure. Try differencing (`difference=True`), a longer window, or more data.",
            LagCopyWarning, stacklevel=5)


def holdout_rows(table: Table, holdout: int) -> np.ndarray:
    """Per row, the first row of the last ``holdout`` rows of its series.

    Raises:
        DataError: a series with no more rows than ``holdout`` (no history to
            forecast them from), named.
    """
    first = np.zeros(len(table.frame), dtype=np.int64)
    for a, b in table.segments:
        if b - a <= holdout:
            sid = table.ids[a]
            raise DataError(f"`holdout={holdout}` is not less than the {b - a} rows of series "
                            f"{shown(sid)}: no rows would be left to forecast them from.")
        first[a:b] = b - holdout
    return first


def describe_scored(counts: dict[str, int]) -> str:
    """Which rows a default ``evaluate`` scored, from ``SeenRows.first_new_rows``'s counts."""
    parts = []
    if counts["extended"]:
        parts.append(f"the rows after the training data ({counts['extended']} series)")
    if counts["new"]:
        parts.append(f"every window of {counts['new']} series not in the training data")
    if parts and counts["seen"]:
        parts.append(f"nothing of {counts['seen']} series that hold training rows only")
    return "; ".join(parts)


def backtest(forecaster: Forecaster, data: Any, target: str | Sequence[str],
             features: Sequence[str] | None, group: str | None, time: str | None,
             future: Sequence[str] | None, static: Sequence[str] | None, folds: int,
             test_size: int | None, progress: bool) -> pd.DataFrame:
    """Rolling-origin evaluation; see ``Forecaster.backtest``."""
    forecaster.check_params()
    folds = check_int("folds", folds)
    frame, time = joined_columns.read_joined(data, group, time)  # time: maybe an index's
    keys = [c for c in (group, time) if c is not None]
    for name in keys:
        if name not in frame.columns:
            raise missing_column(name, frame.columns, "Group" if name == group else "Time")
    if time is not None:  # sort by the parsed time, not its text
        from lstmcast.tables.timeline import parse_time

        order = frame.assign(_t=parse_time(frame[time], time, forecaster.time_format)[0])
        frame = sort_series(order, group, "_t").drop(columns="_t")
    else:
        frame = sort_series(frame, group, None)
    ids = group_ids(frame, group)
    segs = segments(ids, len(frame))
    shortest = min(b - a for a, b in segs)
    # a window chosen from the data (window None) fits each fold's rows: the smallest here
    span = (forecaster.window or 2) + forecaster.horizon + forecaster.steps - 1
    size = check_int("test_size", test_size or max(forecaster.steps, shortest // 10))
    if shortest - folds * size < span:
        raise DataError(f"The shortest series ({shortest} rows) is too short for {folds} "
                        f"folds of {size} rows after a first window of {span}.")
    results = []
    for fold in range(folds):
        cut_back = (folds - fold) * size
        train_idx = np.concatenate([np.arange(a, b - cut_back) for a, b in segs])
        test_idx = np.concatenate([np.arange(a, b - cut_back + size) for a, b in segs])
        fit_rows, test_rows = _usable(forecaster, frame.iloc[train_idx], frame.iloc[test_idx],
                                      size, target, features, group, time, future, static)
        if progress:
            print(f"Backtest fold {fold + 1}/{folds}: training on {len(fit_rows)} rows, "
                  f"testing on the next {size} rows of each series", flush=True)
        model = type(forecaster)(**{**forecaster.get_params(), "checkpoint": None}).fit(
            fit_rows, target, features, group, time, future=future, static=static)
        res = model.evaluate(test_rows, holdout=size)
        res.insert(0, "fold", fold + 1)
        res.insert(1, "train_rows", len(fit_rows))
        results.append(res)
    return pd.concat(results, ignore_index=True)


def _usable(forecaster: Forecaster, fit: pd.DataFrame, test: pd.DataFrame, size: int,
            target: Any, features: Any, group: str | None, time: str | None, future: Any,
            static: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fold's rows less the series its missing-value policy would leave nothing to train
    on, named in a warning, as ``lstmcast train`` leaves them out (``tables.unusable``)."""
    if group is None or forecaster.missing not in ("drop", "ffill", "interpolate"):
        return fit, test
    from lstmcast.tables import roles
    from lstmcast.tables.unusable import leave_out_unusable

    scale_by = forecaster.scale_by if forecaster.scale_by != "auto" else "global"
    with warnings.catch_warnings():  # the roles are checked again, and said, by fit
        warnings.simplefilter("ignore")
        table_roles = roles.resolve(fit, target, features, group, time, future, static,
                                    scale_by=scale_by, horizon=forecaster.horizon,
                                    autoregressive=forecaster.autoregressive,
                                    difference=forecaster.difference,
                                    calendar=forecaster.calendar)
    return leave_out_unusable(fit, test, table_roles, forecaster.missing, size)


def evaluate(fc: Forecaster, data: Any, last_only: bool = False, holdout: int | None = None,
             return_predictions: bool = False
             ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """``Forecaster.evaluate``."""
    fc.check_fitted()
    if holdout is not None:
        holdout = check_int("holdout", holdout)
    pipeline = fc.table_reader()
    table = pipeline.table(data, need_target=True)
    first = None
    if last_only:
        scored = "the last window of each series"
    elif holdout is not None:
        first = holdout_rows(table, holdout)
        scored = f"the last {holdout} rows of each series"
    else:
        first, counts = fc.seen_.first_new_rows(table.frame, table.ids, table.segments)
        scored = describe_scored(counts)
        if not scored:
            first = None
            scored = "every window (all of them were in the training data)"
            warnings.warn("Every row of this table was in the model's training data, so "
                          "the scores are on windows it was fitted to; give a table that "
                          "runs past the training data, or `holdout`.",
                          TrainingRowsWarning, stacklevel=3)
    result, predictions = score(pipeline, fc.ensemble_, fc.stats_, table, first, last_only,
                                fc.intervals_)
    result.attrs["scored"] = scored
    return (result, predictions) if return_predictions else result

