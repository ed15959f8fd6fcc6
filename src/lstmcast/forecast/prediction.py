"""Forecasting from the end of each series (``Forecaster.predict``).

The table is read as the model was fitted (``TablePipeline.reading``), each
series' last window taken (``lstmcast.forecast.forecasting.last_windows``), the ensemble
run, and its outputs turned back into the target's units and a table of
forecasts. More steps than the model forecasts at once are forecast
recursively, fewer are the first of them; a Parquet set is forecast shard by
shard.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast.checks import check_int
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import forecasting
from lstmcast.tables import joined_columns, parquet, streaming
from lstmcast.tables.io import read_table

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster


def predict(fc: Forecaster, data: Any, n_ahead: int | None = None, future: Any = None
            ) -> pd.DataFrame:
    """``Forecaster.predict``."""
    fc.check_fitted()
    if data is None or isinstance(data, (int, float)) and not isinstance(data, bool):
        raise InvalidArgumentError(
            f"predict forecasts from the rows it is given, got {data!r}: give each series' "
            f"recent rows (the last {fc.pipeline_.window} at least; the training table will "
            "do), and `n_ahead` for how many rows to forecast"
            + (f" (predict(data, n_ahead={data!r}))." if isinstance(data, int) else "."))
    if isinstance(data, (str, os.PathLike)) and parquet.is_parquet_set(data):
        return predict_shards(fc, streaming.ShardedTable(data, fc.shard_rows), n_ahead,
                              future)
    pipeline = fc.table_reader()
    n_ahead = fc.steps if n_ahead is None else check_int("n_ahead", n_ahead)
    recursive = n_ahead > fc.steps
    if recursive and fc.intervals_ is not None:
        raise InvalidArgumentError(
            f"`n_ahead={n_ahead}` is more than the {fc.steps} steps this model forecasts "
            "at once, and a recursive forecast would lose its quantiles (they cannot be "
            f"fed back as inputs); train with steps={n_ahead} instead.")
    if recursive:
        others = [c for c in pipeline.inputs if c not in pipeline.targets]
        if others or fc.horizon != 1:
            raise InvalidArgumentError(
                f"`n_ahead={n_ahead}` is more than the {fc.steps} steps this model "
                "forecasts at once, and a recursive forecast would need future values of "
                f"the inputs {others}; train with steps={n_ahead} instead." if others else
                f"`n_ahead={n_ahead}` > steps needs horizon=1 to recurse.")
    view, starts, padded = forecasting.series_windows(pipeline, data,
                                                      pipeline.roles.autoregressive, future)
    if padded:
        warnings.warn(f"{len(padded)} series are shorter than the window ({pipeline.window}) "
                      f"and were padded with their first row: "
                      f"{', '.join(map(str, padded[:10]))}.", stacklevel=3)
    forecast = forecasting.forecast_windows(pipeline, fc.ensemble_, view, starts,
                                            fc.intervals_)
    if recursive:
        forecast.point = forecasting.recurse(pipeline, fc.ensemble_, view, starts,
                                             forecast.point, n_ahead)
    elif n_ahead < fc.steps:  # the first n_ahead of the steps forecast at once
        forecast = forecasting.Forecast(
            forecast.point[:, :n_ahead], None if forecast.quantiles is None
            else forecast.quantiles[:, :n_ahead], forecast.levels)
    return forecasting.forecast_frame(pipeline, forecasting.last_row_values(view), forecast)


def predict_shards(fc: Forecaster, shards: streaming.ShardedTable, n_ahead: int | None,
                    future: Any) -> pd.DataFrame:
    """``Forecaster._predict_shards``."""
    group = fc.pipeline_.roles.group
    shards.joined(group, fc.pipeline_.roles.time)
    shards.check_one_series(group)
    columns = fc.pipeline_.roles.columns()
    if future is not None:  # read once, matched to each shard's series
        future = joined_columns.join(read_table(future), group, fc.pipeline_.roles.time)
    home: dict[str, int] = {}
    parts = []
    for k in range(len(shards)):
        frame = shards.read(k, columns)
        if group:
            shards.check_home(home, k, group, frame[group])
        parts.append(predict(fc, frame, n_ahead, future))
        del frame
    return pd.concat(parts, ignore_index=True)

