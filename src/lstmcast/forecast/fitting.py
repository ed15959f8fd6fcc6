"""Fitting a Forecaster: the table read and split, the networks trained, the forecast combined.

``Forecaster.fit`` is the face; this module is the work, on the Forecaster's
settings (read through its attributes) and writing its fitted state (the
attributes ending in "_"):

1. ``prepare``: check the settings, read the table, decide the columns' roles
   (``lstmcast.tables.roles``), choose the window (``lstmcast.forecast.defaults``), split each
   series in time (``lstmcast.tables.splits``), fit the scalers on the training rows
   only, and find the windows (a Parquet set: ``lstmcast.tables.streaming`` does the
   same shard by shard);
2. ``train``: the ensemble's networks on the training windows, watched on the
   validation windows (early stopping, checkpoints, a time limit);
3. ``blended``: the forecast combined with a linear map or the candidates chosen
   on the validation windows (``lstmcast.forecast.combination``);
4. the baselines' statistics, the rows seen, and the validation scores.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.engine import distributed
from lstmcast.engine.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TimeLimit,
    decay_after,
)
from lstmcast.engine.metrics import pinball_loss
from lstmcast.engine.optimizers import get_optimizer
from lstmcast.engine.seeding import set_seed
from lstmcast.errors import InvalidArgumentError, LstmcastError, ShortSeriesError
from lstmcast.forecast import (
    baselines,
    combination,
    defaults,
    evaluation,
    log_choice,
    params,
    scores,
)
from lstmcast.forecast.architecture import network_layers
from lstmcast.forecast.ensemble import NETWORKS, Ensemble
from lstmcast.forecast.intervals import Intervals, check_levels, residual_quantiles
from lstmcast.forecast.linear_map import WindowLinearMap
from lstmcast.layers import Layer, check_memory
from lstmcast.models import Sequential
from lstmcast.tables import joined_columns, parquet, roles, streaming
from lstmcast.tables.io import fingerprint
from lstmcast.tables.parts import Parts
from lstmcast.tables.pipeline import Table, TablePipeline, group_ids
from lstmcast.tables.seen import SeenRows
from lstmcast.tables.splits import split_rows, split_windows
from lstmcast.tables.windows import segments, target_rows

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import TypeAlias

    from lstmcast.forecast.forecaster import Forecaster
    from lstmcast.tables.windows import WindowView

    Columns: TypeAlias = "str | Sequence[str]"  # a target: one column or several
    Windows: TypeAlias = "np.ndarray | WindowView | Parts"  # the training windows' inputs
    Pair: TypeAlias = "tuple[np.ndarray | WindowView, np.ndarray]"  # windows and targets
    Names: TypeAlias = "Sequence[str] | None"  # columns of a role (None: the default)


@dataclass
class Prepared:
    """What ``fit`` and ``inspect`` build before training (nothing is stored on the model)."""

    pipeline: TablePipeline
    table: Table
    train_rows: np.ndarray
    train_starts: np.ndarray
    val_starts: np.ndarray


def fit(fc: Forecaster, data: Any, target: str | Sequence[str],
        features: Sequence[str] | None = None, group: str | None = None,
        time: str | None = None, future: Sequence[str] | None = None,
        static: Sequence[str] | None = None) -> Forecaster:
    """``Forecaster.fit``: in memory, or shard by shard for a Parquet set."""
    if isinstance(data, (str, os.PathLike)) and parquet.is_parquet_set(data):
        data = streaming.ShardedTable(data, fc.shard_rows)
    if isinstance(data, streaming.ShardedTable):
        return fit_shards(fc, data, target, features, group, time, future, static)
    started = perf_counter()  # the time budget counts the preparation too
    prep = prepare(fc, data, target, features, group, time, future, static)
    pipeline, table = prep.pipeline, prep.table
    x_train, y_train = pipeline.windows(table, prep.train_starts)
    validation = (pipeline.windows(table, prep.val_starts) if len(prep.val_starts)
                  else None)
    intervals = new_intervals(fc, pipeline)
    if fc.calibrate:  # before training, not after
        intervals.check_windows(len(prep.val_starts))
    found = fingerprint(table.frame)
    train(fc, pipeline, intervals, x_train, y_train, validation,
                len(prep.train_starts), run_tag(fc, found["sha256"], pipeline), started)
    frame = table.frame
    if fc.calibrate:
        intervals.calibrate(fc.ensemble_.predict(validation[0]), validation[1])
    fc.n_windows_ = {"train": len(prep.train_starts), "validation": len(prep.val_starts)}
    y_rows = frame[pipeline.targets].to_numpy(dtype=np.float64)
    season = fc.season_choice(pipeline)[0]
    fc.stats_ = baselines.TrainingStats(
        train_mean=y_rows[prep.train_rows].mean(axis=0).tolist(),
        naive_scale=[scores.naive_scale(
            [frame[t].to_numpy(dtype=np.float64)[a:b][prep.train_rows[a:b]]
             for a, b in table.segments], season or 1) for t in pipeline.targets],
        season=season,
        series_mean=baselines.series_means(y_rows, table.ids, table.segments, prep.train_rows))
    if intervals is not None:
        fc.stats_.residual_quantiles = baseline_intervals(
            fc, pipeline, table, prep.train_starts, fc.stats_, intervals.levels)
    fc.seen_ = SeenRows(pipeline.roles.columns()).fit(frame, table.ids, table.segments)
    fc.dtypes_ = {c: str(frame[c].dtype) for c in pipeline.roles.columns()}
    fc.fingerprint_ = found
    fc.streamed_ = None
    fc.validation_scores_ = validation_scores(fc, pipeline, table, prep.train_rows)
    return fc


def fit_shards(fc: Forecaster, shards: streaming.ShardedTable, target: Columns,
               features: Names, group: str | None, time: str | None, future: Names,
               static: Names) -> Forecaster:
    """``fit`` on a table read shard by shard (``lstmcast.tables.streaming``)."""
    fc.check_params()
    shards.joined(group, time)
    pipeline = new_pipeline(fc, shards.first(), target, features, group, time, future,
                              static)
    set_seed(fc.seed)
    parts = streaming.ShardWindows(shards, pipeline, validation_fraction(fc),
                                   fc.validation_by, fc.seed)
    parts.learn_time()
    season = fc.season_choice(pipeline)[0]
    choose_window(fc, pipeline, parts.shortest_rows, parts.series_count)
    fc.log_choice_ = log_choice.LogChoice(
        bool(fc.log), "given" if fc.log is not None else "a table read in shards is not "
        "compared on folds: off (log=True to take it)", [])
    stats = parts.fit(fc.calendar, season or 1, pipeline.roles.columns())
    warn_short(stats.short, stats.series, stats.longest, pipeline.span)
    if not parts.count:
        raise ShortSeriesError("No training window is left after holding out the validation "
                               "part: lower `validation` or `window`.")
    intervals = new_intervals(fc, pipeline)
    if fc.calibrate:  # on the sample shard's validation windows
        intervals.check_windows(parts.val_sizes[parts.sample_shard])
    train(fc, pipeline, intervals, parts, None, None, parts.windows["train"],
                run_tag(fc, stats.digest, pipeline))
    sample = parts.load(parts.sample_shard, rows=True)  # the baselines' errors, calibration
    frame = sample.table.frame
    if fc.calibrate:
        x_val, y_val = pipeline.windows(sample.table, sample.val_starts)
        intervals.calibrate(fc.ensemble_.predict(x_val), y_val)
    fc.n_windows_ = parts.windows
    fc.stats_ = baselines.TrainingStats(
        train_mean=stats.train_mean, naive_scale=stats.naive_scale, season=season)
    if intervals is not None:
        fc.stats_.residual_quantiles = baseline_intervals(
            fc, pipeline, sample.table, sample.train_starts, fc.stats_, intervals.levels)
    fc.seen_ = stats.seen
    fc.dtypes_ = {c: str(frame[c].dtype) for c in pipeline.roles.columns()}
    fc.fingerprint_ = stats.fingerprint(list(frame.columns))
    fc.streamed_ = {"shards": len(shards), "files": sum(len(s.files) for s in
                                                          shards.shards),
                      "rows": stats.rows, "most_rows": shards.most_rows}
    return fc


def prepare(fc: Forecaster, data: Any, target: Columns, features: Names, group: str | None,
            time: str | None, future: Names, static: Names) -> Prepared:
    """Check the table, decide the roles, split, fit the scalers, find the windows."""
    fc.check_params()
    frame, time = joined_columns.read_joined(data, group, time)  # time: maybe an index's
    pipeline = new_pipeline(fc, frame, target, features, group, time, future, static)
    set_seed(fc.seed)
    frame = pipeline.prepare(frame, need_target=True, fitting=True)
    if fc.calendar:
        pipeline.add_calendar(frame)
    ids = group_ids(frame, group)
    segs = segments(ids, len(frame))
    train_rows, held_out = split_rows(segs, ids, validation_fraction(fc), fc.validation_by,
                                      fc.seed)
    defaults.find_season(fc.season, pipeline, frame, segs, train_rows)
    choose_window(fc, pipeline, min(b - a for a, b in segs), len(segs))
    warn_short([ids[a] for a, b in segs if b - a < pipeline.span], len(segs),
                     max(b - a for a, b in segs), pipeline.span)
    choose_log(fc, pipeline, frame, ids, segs, train_rows)
    pipeline.fit(frame, train_rows)
    table = pipeline.arrays(frame)
    train_starts, val_starts = split_windows(len(frame), ids, train_rows, held_out,
                                             pipeline.window, fc.horizon, fc.steps)
    if len(train_starts) == 0:
        raise ShortSeriesError("No training window is left after holding out the validation "
                               "part: lower `validation` or `window`.")
    return Prepared(pipeline, table, train_rows, train_starts, val_starts)


def new_pipeline(fc: Forecaster, frame: pd.DataFrame, target: Columns, features: Names,
                 group: str | None, time: str | None, future: Names, static: Names
                 ) -> TablePipeline:
    """The columns' roles decided from ``frame`` and an unfitted pipeline for them."""
    table_roles = roles.resolve(frame, target, features, group, time, future, static,
                                scale_by=fc.scale_by, horizon=fc.horizon,
                                autoregressive=fc.autoregressive,
                                difference=fc.difference, calendar=fc.calendar)
    if table_roles.future and table_roles.key:
        raise InvalidArgumentError(
            "Inputs known in advance (`future`) with scaling by a key column "
            f"(`scale_by={fc.scale_by!r}`) are not supported: the key's value over the "
            "forecast rows is unknown. Use scale_by='global' or 'series'.")
    fc.scaling_choice_ = defaults.choose_scaling(fc.scale_by, group,
                                                 table_roles.autoregressive, fc.validation_by)
    scale_by = fc.scaling_choice_[0]
    return TablePipeline(table_roles, fc.window or defaults.BASE_WINDOW, fc.horizon,
                         fc.steps,
                         fc.scaler, scale_by, fc.difference, fc.missing,
                         fc.time_format, fc.calendar,
                         table_roles.target if fc.log else None)


def choose_window(fc: Forecaster, pipeline: TablePipeline, shortest: int, series: int = 1
                  ) -> None:
    """Set the pipeline's window: ``window``, or one chosen from the data
    (``defaults.choose_window``: the season, the shortest of ``series`` series)."""
    if fc.window is not None:
        defaults.check_window(fc.window)
        pipeline.window, fc.window_choice_ = fc.window, "given"
        return
    season = fc.season_choice(pipeline)[0]
    daily = defaults.is_a_day(season, pipeline)
    pipeline.window, fc.window_choice_ = defaults.choose_window(
        season, shortest, fc.horizon, fc.steps, validation_fraction(fc), fc.segment, daily,
        series)
    if daily and defaults.network_rows(pipeline.window, season, daily, fc.segment) and \
            defaults.day_without_calendar(season, pipeline):
        fc.window_choice_ += f"; the rows have no calendar: a season of {season} is taken as a day"


def choose_log(fc: Forecaster, pipeline: TablePipeline, frame: pd.DataFrame,
               ids: np.ndarray, segs: list[tuple[int, int]], train_rows: np.ndarray) -> None:
    """Whether the pipeline reads the targets as their log: ``log``, or chosen on folds of
    the training rows (``lstmcast.forecast.log_choice``) when it is None."""
    if fc.log is not None:
        fc.log_choice_ = log_choice.LogChoice(bool(fc.log), "given", [])
    else:
        fc.log_choice_ = log_choice.choose(pipeline, frame, ids, segs, train_rows,
                                           fc.season_choice(pipeline)[0], fc.validation)
    pipeline.log = list(pipeline.targets) if fc.log_choice_.log else []


def validation_fraction(fc: Forecaster) -> float:
    """The validation fraction, when something watches it (else 0: train on all)."""
    watched = fc.early_stopping or fc.lr_patience is not None or fc.calibrate
    return fc.validation if watched else 0.0


def warn_short(short: list[Any], series: int, longest: int = 0, span: int = 0) -> None:
    if len(short) == series:
        raise ShortSeriesError(
            f"Every series is shorter than window + horizon + steps - 1 = {span} "
            f"rows; the longest has {longest}.")
    if short:
        warnings.warn(f"{len(short)} series are too short for one window and are left out "
                      f"of training: {', '.join(map(str, short[:10]))}.", stacklevel=5)


def batch_size_for(fc: Forecaster, n_train: int) -> int:
    """``batch_size``, or 200 lowered on small data to give 10 steps per epoch."""
    return fc.batch_size or min(200, max(8, n_train // 10))


def new_intervals(fc: Forecaster, pipeline: TablePipeline) -> Intervals | None:
    if not fc.quantiles:
        return None
    return Intervals(check_levels(fc.quantiles), fc.loss_name == "pinball",
                     fc.steps, len(pipeline.targets))


def layers_for(fc: Forecaster, pipeline: TablePipeline, intervals: Intervals | None = None
            ) -> list[Layer]:
    return network_layers(fc, pipeline, 1 if intervals is None else intervals.slots)


def make_optimizer(fc: Forecaster):
    spec = get_optimizer(fc.optimizer)
    spec.learning_rate = float(fc.learning_rate)
    return spec


def train(fc: Forecaster, pipeline: TablePipeline, intervals: Intervals | None,
          x_train: Windows, y_train: np.ndarray | None, validation: Pair | None, n_train: int,
          tag: str, started: float | None = None) -> None:
    """Train the ensemble's networks on the windows (arrays, or ``Parts`` with
    ``y_train`` None) and keep them with the pipeline. ``started``: the
    ``time.perf_counter()`` the first network's ``max_seconds`` counts from (the start of
    the fit's preparation; each later network has its own)."""
    blend = blends(fc, pipeline)  # checked before training, not after
    batch_size = batch_size_for(fc, n_train)
    loss = (pinball_loss(intervals.network_levels, len(pipeline.targets))
            if intervals is not None and intervals.trained else fc.loss_name)
    watched = validation is not None or getattr(x_train, "validation_count", 0) > 0
    check_memory(layers_for(fc, pipeline, intervals),  # a size that cannot fit: refused
                 (pipeline.input_length, len(pipeline.inputs)), batch_size)
    members, histories = [], []
    for member in range(fc.ensemble):
        set_seed(fc.seed + member)
        model = Sequential(layers_for(fc, pipeline, intervals), device=fc.device,
                           precision=fc.precision)
        model.compile(loss=loss, optimizer=make_optimizer(fc))
        model.clipnorm_ = fc.clipnorm
        if isinstance(x_train, Parts):
            x_train.seed = fc.seed + member
        history = model.fit(x_train, y_train, batch_size=batch_size,
                            epochs=fc.epochs, validation_data=validation,
                            callbacks=training_callbacks(fc, watched, tag, member,
                                                         started if member == 0 else None),
                            verbose=fc.verbose)
        members.append(model)
        histories.append({k: [float(v) for v in vals]
                          for k, vals in history.history.items()})
    drop_checkpoints(fc)
    fc.pipeline_ = pipeline
    fc.ensemble_ = Ensemble(members)
    fc.blend_scores_ = fc.networks_edge_ = None
    if blend:
        fc.ensemble_ = blended(fc, fc.ensemble_, pipeline, x_train, y_train,
                                       validation)
    fc.intervals_ = intervals
    fc.batch_size_ = batch_size
    fc.histories_ = histories
    fc.history_ = histories[0]


def training_callbacks(fc: Forecaster, has_validation: bool, tag: str, member: int,
                       started: float | None = None) -> list[Callback]:
    callbacks: list[Callback] = []
    if has_validation and fc.early_stopping:
        callbacks.append(EarlyStopping(patience=fc.patience, restore_best_weights=True))
    if has_validation and fc.lr_patience is not None:
        callbacks.append(ReduceLROnPlateau(factor=0.5, patience=fc.lr_patience,
                                           min_lr=1e-5))
    if fc.lr_decay is not None:
        callbacks.append(LearningRateScheduler(decay_after(3, fc.lr_decay)))
    if fc.max_seconds is not None:
        callbacks.append(TimeLimit(fc.max_seconds, verbose=fc.verbose, since=started))
    callbacks += list(fc.callbacks or [])
    if fc.checkpoint is not None:  # kept until every member is done (_drop_checkpoints)
        callbacks.append(BackupAndRestore(checkpoint_path(fc, member),
                                          tag=f"{tag}:{member}", delete_checkpoint=False))
    return callbacks


def checkpoint_path(fc: Forecaster, member: int) -> str:
    return fc.checkpoint if member == 0 else f"{fc.checkpoint}.member{member}"


def drop_checkpoints(fc: Forecaster) -> None:
    """Delete every member's checkpoint once the whole ensemble is trained (a run killed
    while training member 2 resumes member 1 from its finished checkpoint)."""
    if fc.checkpoint is None or fc.keep_checkpoint or not distributed.is_main():
        return
    for member in range(fc.ensemble):
        Path(checkpoint_path(fc, member)).unlink(missing_ok=True)


def run_tag(fc: Forecaster, digest: str, pipeline: TablePipeline) -> str:
    """Names the data and the settings that change what is trained (for checkpoints)."""
    kept = {p.name for p in params.MODEL if p.restart}  # callbacks and layers: below
    settings = {k: v for k, v in fc.get_params().items() if k in kept}
    settings["layers"] = [[type(x).__name__, x.get_config()] for x in fc.layers or []]
    settings["inputs"], settings["target"] = pipeline.inputs, pipeline.targets
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256((text + digest).encode()).hexdigest()


def blends(fc: Forecaster, pipeline: TablePipeline) -> bool:
    """Whether the forecast is blended with the linear map: "linear" always (an error
    when it cannot be), "auto" whenever it can be."""
    if fc.blend is None:
        return False
    missing = [t for t in pipeline.targets if t not in pipeline.inputs]
    if fc.blend in ("auto", "select"):
        # "auto" not with inputs known in advance: the map cannot see them ("select" then
        # lets the networks forecast alone when they score best: combination.choose)
        return not (missing or params.blend_conflict(fc.get_params()) or fc.horizon < 1
                    or (fc.blend == "auto" and pipeline.roles.future_inputs))
    if missing:
        raise InvalidArgumentError(
            f"`blend='linear'` maps each target's own past, but {missing} "
            f"{'is' if len(missing) == 1 else 'are'} not among the inputs "
            f"({pipeline.inputs}): let the network read the target's past "
            "(autoregressive=True, horizon of at least 1), or drop `blend`.")
    return True


def blended(fc: Forecaster, ensemble: Ensemble, pipeline: TablePipeline, x_train: Windows,
            y_train: np.ndarray | None, validation: Pair | None) -> Ensemble:
    """``ensemble`` blended with the forecasts ``blend`` names: a linear map of the
    windows fitted on the training windows (``lstmcast.forecast.linear_map``), or the two
    best of the candidates on the validation windows (``lstmcast.forecast.combination``)."""
    def train() -> Iterable[Pair]:
        if isinstance(x_train, Parts):
            return (x_train.arrays(k) for k in range(x_train.count))
        return [(x_train, y_train)]

    def held_out() -> Iterable[Pair]:
        if isinstance(x_train, Parts):
            return (x_train.validation_arrays(j) for j in range(x_train.validation_count))
        return [] if validation is None else [validation]

    season = fc.season_choice(pipeline)[0]
    if fc.blend == "select" and (validation is not None
                                   or getattr(x_train, "validation_count", 0) > 0):
        parts = combination.candidates(pipeline.window, fc.steps,
                                       pipeline.target_columns(), season, fc.horizon,
                                       train)
        errors, width = combination.window_errors({NETWORKS: ensemble, **parts},
                                                  held_out())
        scores = combination.rmse(errors, width)
        fc.networks_edge_ = combination.networks_edge(errors, fc.steps)
        weights = combination.choose(scores, alone=bool(pipeline.roles.future_inputs),
                                     edge=fc.networks_edge_)
        fc.blend_scores_ = scores
        return Ensemble(ensemble.members,
                        {n: parts[n] for n in weights if n != NETWORKS}, weights)
    linear = WindowLinearMap(pipeline.window, fc.steps, pipeline.target_columns())
    linear.fit(train())
    return Ensemble.blend(ensemble.members, linear, 0.5)


def validation_scores(fc: Forecaster, pipeline: TablePipeline, table: Table,
                       train_rows: np.ndarray) -> pd.DataFrame | None:
    """The model and the baselines scored on the validation rows, at once after
    training; a warning when the model does not beat the best baseline there (the
    seasonal naive, often), with what to try. None without validation rows."""
    if bool(train_rows.all()):
        return None
    first = np.zeros(len(table.frame), dtype=np.int64)
    for a, b in table.segments:
        first[a:b] = a + int(train_rows[a:b].sum())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result, _ = evaluation.score(pipeline, fc.ensemble_, fc.stats_, table, first,
                                         intervals=fc.intervals_)
    except LstmcastError:  # too few validation rows for a window: nothing to say
        return None
    for name, part in result.groupby("target", sort=False):
        scored = part.set_index("model")["rmse"]
        ours = scored.get("lstmcast")
        others = scored.drop(["lstmcast", *evaluation.HALVES], errors="ignore")
        if ours is None or others.empty:
            continue
        base = float(others.min())  # NaN where no baseline scored: nothing to say
        if not evaluation.loses(ours, base):
            continue
        best = others.idxmin()
        warnings.warn(
            f"On the validation rows the model forecasts {name!r} worse than the {best} "
            f"baseline (RMSE {ours:.4g} against {base:.4g}). " + evaluation.what_to_try(
                best, float(ours) / base if base > 0 else float("inf"), fc.ensemble_),
            stacklevel=4)
    return result


def baseline_intervals(fc: Forecaster, pipeline: TablePipeline, table: Table, starts: np.ndarray,
                       stats: baselines.TrainingStats, levels: tuple[float, ...]
                       ) -> dict[str, list]:
    """Per baseline, the quantiles (S, Q, T) of its errors on the training windows:
    its interval is its forecast plus these."""
    seg_start = baselines.series_starts(table)
    truth = table.y_raw[target_rows(starts, pipeline.window, fc.horizon, fc.steps)]
    out: dict[str, list] = {}
    for k in range(len(pipeline.targets)):
        preds = baselines.baseline_forecasts(table.y_raw[:, k], starts, seg_start[starts],
                                             pipeline, stats.means(table.ids[starts], k),
                                             stats.season)
        for name, pred in preds.items():
            rq = residual_quantiles(truth[:, :, k], pred, levels)  # (S, Q)
            out.setdefault(name, []).append(rq)
    return {name: np.stack(parts, axis=-1).tolist() for name, parts in out.items()}

