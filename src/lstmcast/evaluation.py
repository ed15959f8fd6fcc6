"""Scoring a fitted Forecaster: the model beside naive baselines, on the same windows.

``score`` computes MAE, RMSE, MAPE, sMAPE, MASE and skill for the model and
the baselines (see ``lstmcast.baselines``), in the target's original units,
and returns the forecasts behind them; ``warn_lag_copy`` flags a model whose
forecasts follow the last input value rather than the truth.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lstmcast import baselines, forecasting, scores
from lstmcast.checks import check_int
from lstmcast.errors import InvalidArgumentError
from lstmcast.io import DataError, group_ids, missing_column, read_table, sort_series
from lstmcast.windows import segments, target_rows, window_starts


class LagCopyWarning(UserWarning):
    """The model's forecasts are essentially the last input value, shifted."""


def score(fc: Any, table: Any, min_target_row: np.ndarray | None,
          last_only: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of the model and the baselines, and the forecasts behind them.

    ``fc`` is a fitted Forecaster and ``table`` its prepared table; only
    windows whose first target row is at or after ``min_target_row`` (per row)
    are scored, or the last window of each series when ``last_only``.
    """
    notes: list[str] = []
    if last_only:
        if fc.horizon != 0 or fc.steps != 1:
            raise InvalidArgumentError(
                "`last_only=True` scores the last row of each series, which needs "
                "horizon=0 and steps=1 (e.g. remaining useful life).")
        view, starts, padded = forecasting.last_windows(fc, table)
        if padded:
            notes.append(f"{len(padded)} series shorter than the window were padded.")
        last_rows = np.asarray([b - 1 for a, b in table.segments])
        truth_rows = last_rows[:, None]  # (series, 1)
        truth = table.y_raw[last_rows][:, None, :]  # (series, 1, T)
        forecast = forecasting.forecast_windows(fc, view, starts)
        series_start = base_starts = None
    else:
        starts = window_starts(len(table.frame), fc.window, horizon=fc.horizon,
                               steps=fc.steps, groups=table.ids)
        if min_target_row is not None:
            first_target = starts + fc.window - 1 + fc.horizon
            starts = starts[first_target >= min_target_row[starts]]
        if len(starts) == 0:
            raise DataError(f"No window of {fc.window} rows plus its targets fits in the "
                            "data to evaluate.")
        truth_rows = target_rows(starts, fc.window, fc.horizon, fc.steps)
        truth = table.y_raw[truth_rows]  # (W, S, T)
        forecast = forecasting.forecast_windows(fc, table, starts)
        seg_start = np.zeros(len(table.frame), dtype=np.int64)
        for a, b in table.segments:
            seg_start[a:b] = a
        series_start, base_starts = seg_start[starts], starts
    rows, pred_frames = [], []
    for k, name in enumerate(fc.spec_.target):
        t = truth[:, :, k]
        preds = {"lstmcast": forecast[:, :, k],
                 "train_mean": np.full_like(t, fc.train_mean_[k])}
        if fc.autoregressive_ and not last_only:
            y = table.y_raw[:, k]
            args = (y, base_starts, fc.window, fc.horizon, fc.steps)
            preds["naive"] = baselines.naive(*args)
            preds["window_mean"] = baselines.window_mean(*args)
            if fc.season:
                sn = baselines.seasonal_naive(*args, fc.season, series_start)
                if np.isnan(sn).any():
                    scored = int((~np.isnan(sn)).all(axis=1).sum())
                    notes.append(f"seasonal_naive scored on {scored} of {len(sn)} windows "
                                 "(the others lack a season of history).")
                preds["seasonal_naive"] = sn
        ok = ~np.isnan(np.stack(list(preds.values()))).any(axis=(0, 2))  # common windows
        warn_lag_copy(name, t[ok], {m: p[ok] for m, p in preds.items()})
        for model, p in preds.items():
            row = {"target": name, "model": model,
                   **scores.all_scores(t[ok], p[ok], fc.naive_scale_[k])}
            if last_only:  # remaining useful life: the PHM08 challenge's score too
                row["phm08"] = scores.phm08(t[ok], p[ok])
            rows.append(row)
        pred_frames.append(prediction_frame(fc, table, truth_rows, name, t, preds))
        zeros = scores.zero_targets(t)
        if zeros:
            notes.append(f"MAPE leaves out {zeros} true values of {name!r} that are 0.")
    result = pd.DataFrame(rows)
    result["skill"] = np.nan
    for _, part in result.groupby("target"):
        base = part[part["model"] != "lstmcast"]["rmse"].min()
        result.loc[part.index, "skill"] = 1.0 - part["rmse"] / base
    result.attrs["notes"] = notes
    result.attrs["n_windows"] = int(truth.shape[0])
    return result, pd.concat(pred_frames, ignore_index=True)

def prediction_frame(fc: Any, table: Any, truth_rows: np.ndarray, name: str,
                     truth: np.ndarray, preds: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per target row: ids, time, step, actual, and each model's forecast."""
    out: dict[str, Any] = {}
    flat_rows = truth_rows.ravel()
    if fc.spec_.group:
        out[fc.spec_.group] = table.frame[fc.spec_.group].to_numpy()[flat_rows]
    if fc.spec_.time:
        out[fc.spec_.time] = table.frame[fc.spec_.time].to_numpy()[flat_rows]
    out["step"] = np.tile(np.arange(1, truth_rows.shape[1] + 1), truth_rows.shape[0])
    out["target"] = name
    out["actual"] = truth.ravel()
    for model, p in preds.items():
        out[model] = p.ravel()
    return pd.DataFrame(out)

def warn_lag_copy(name: str, truth: np.ndarray, preds: dict[str, np.ndarray]) -> None:
    """Warn when forecasts follow the last input value more closely than the truth."""
    if "naive" not in preds:
        return
    model, naive = preds["lstmcast"], preds["naive"]
    to_naive = float(np.mean(np.abs(model - naive)))
    to_truth = float(np.mean(np.abs(model - truth)))
    no_better = scores.rmse(truth, model) >= scores.rmse(truth, naive)
    if no_better and to_naive < 0.5 * to_truth:
        warnings.warn(
            f"The forecasts of {name!r} are no better than repeating the last value and "
            f"stay close to it (mean distance {to_naive:.3g}, against {to_truth:.3g} from "
            "the truth): the model may have learned a lagged copy of its input, a known "
            "LSTM failure. Try differencing (`difference=True`), a longer window, or more data.",
            LagCopyWarning, stacklevel=5)


def backtest(fc: Any, data: Any, target: Any, features: Any, group: str | None,
             time: str | None, folds: int, test_size: int | None,
             progress: bool) -> pd.DataFrame:
    """Rolling-origin evaluation; see ``Forecaster.backtest``."""
    fc._check_params()
    folds = check_int("folds", folds)
    frame = read_table(data)
    keys = [c for c in (group, time) if c is not None]
    for name in keys:
        if name not in frame.columns:
            raise missing_column(name, frame.columns, "Group" if name == group else "Time")
    frame = sort_series(frame, group, time)
    ids = group_ids(frame, group)
    segs = segments(ids, len(frame))
    shortest = min(b - a for a, b in segs)
    size = check_int("test_size", test_size or max(fc.steps, shortest // 10))
    if shortest - folds * size < fc._span():
        raise DataError(f"The shortest series ({shortest} rows) is too short for {folds} "
                        f"folds of {size} rows after a first window of {fc._span()}.")
    results = []
    for fold in range(folds):
        cut_back = (folds - fold) * size
        train_idx = np.concatenate([np.arange(a, b - cut_back) for a, b in segs])
        test_idx = np.concatenate([np.arange(a, b - cut_back + size) for a, b in segs])
        if progress:
            print(f"Backtest fold {fold + 1}/{folds}: training on {len(train_idx)} rows, "
                  f"testing on the next {size} rows of each series", flush=True)
        model = type(fc)(**{**fc.get_params(), "checkpoint": None}).fit(
            frame.iloc[train_idx], target, features, group, time)
        res = model.evaluate(frame.iloc[test_idx], holdout=size)
        res.insert(0, "fold", fold + 1)
        res.insert(1, "train_rows", len(train_idx))
        results.append(res)
    return pd.concat(results, ignore_index=True)
