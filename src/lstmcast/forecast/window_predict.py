"""The short path to a forecast: prepared windows in, outputs out, and a table's predict in
two halves so that several tables share one network call.

``predict_window`` is ``Forecaster.ensemble_.predict`` without the checks and the
batching that arbitrary arrays need: windows already scaled, (N, L, F) float32,
straight through each network under ``torch.inference_mode`` and blended as the
ensemble blends. It returns the same outputs (to float rounding).

``prepare_table`` and ``finish_table`` are ``Forecaster.predict`` for ``n_ahead``
at most ``steps``, cut where the network runs: the first reads and scales a
table and takes each series' last window (``Prepared.windows``), the second
turns the network's outputs for those windows into the forecast table. In
between, the windows of many tables can go through one ``predict_window`` call
(the service's micro-batching, ``lstmcast.serve.batching``). The two halves
together give exactly what ``Forecaster.predict`` gives (tests/test_serve.py).

``finish_records`` is ``finish_table`` as JSON-ready records (what ``lstmcast
predict --out x.json`` writes) without a DataFrame per call: the columns that do
not depend on the outputs (series id, step, time) are made once per ``Prepared``
by ``finish_table``'s own code and kept in it, so a window kept in memory (the
service's stored series) costs only its unscaling and a list of dicts per call.

Shapes: N windows, L rows per window (``input_length``), F inputs.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import forecasting
from lstmcast.tables.pipeline import Table, TablePipeline

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster


@dataclass
class Prepared:
    """A table read for forecasting, up to the network.

    Attributes:
        pipeline: the pipeline that read it (the Forecaster's, with its reading options).
        view: the last window of each series (``forecasting.last_windows``).
        starts: (N,) where each window starts in ``view.x``.
        windows: (N, L, F) float32, the network's input.
        n_ahead: rows to forecast (at most the model's steps).
        padded: the ids of series shorter than the window (padded at the front).
        labels: the forecast's columns and, per row, the values of those that do not
            depend on the outputs (made by the first ``finish_records``).
    """

    pipeline: TablePipeline
    view: Table
    starts: np.ndarray
    windows: np.ndarray
    n_ahead: int
    padded: list
    labels: tuple[list[str], list[tuple]] | None = None


def predict_window(forecaster: Forecaster, x: np.ndarray) -> np.ndarray:
    """The ensemble's outputs for windows already prepared (scaled), without the checks.

    Args:
        forecaster: a fitted Forecaster.
        x: (N, L, F) float32 windows as the network reads them: ``L`` the
            pipeline's ``input_length``, ``F`` its inputs, scaled
            (``Prepared.windows``, or ``lstmcast.forecast.onnx_export.serve_window``'s).

    Returns:
        (N, steps * slots * targets) float32: what ``forecaster.ensemble_.predict(x)``
        returns (the networks' mean, combined as the ensemble combines it), without
        ``Sequential.predict``'s checks, batching and index gathering.

    Example:
        >>> prepared = prepare_table(forecaster, history)
        >>> outputs = predict_window(forecaster, prepared.windows)
        >>> forecast = finish_table(forecaster, prepared, outputs)
    """
    forecaster.model_  # noqa: B018  (NotFittedError before fit)
    return forecaster.ensemble_.direct().predict(np.ascontiguousarray(x, dtype=np.float32))


def prepare_table(forecaster: Forecaster, data: Any, future: Any = None, n_ahead: int | None = None
                  ) -> Prepared:
    """The first half of ``Forecaster.predict``: a table to each series' last window.

    Args:
        forecaster: a fitted Forecaster.
        data: the history (a DataFrame or a CSV/Parquet path), as for ``predict``.
        future: the inputs known in advance for the rows to forecast, as for ``predict``.
        n_ahead: rows to forecast, at most ``steps`` (more is ``predict``'s recursion).

    Raises:
        InvalidArgumentError: ``n_ahead`` above the steps, ``future`` for a model
            that reads none; and whatever ``predict`` raises on the table.
    """
    forecaster.model_  # noqa: B018  (NotFittedError before fit)
    pipeline = forecaster.pipeline_.reading(forecaster.missing, forecaster.time_format)
    steps = forecaster.steps
    n_ahead = steps if n_ahead is None else int(n_ahead)
    if not 1 <= n_ahead <= steps:
        raise InvalidArgumentError(f"`n_ahead` must be between 1 and the {steps} steps this "
                                   f"model forecasts at once here, got {n_ahead}.")
    view, starts, padded = forecasting.series_windows(pipeline, data,
                                                      pipeline.roles.autoregressive, future)
    length = pipeline.input_length
    windows = np.stack([view.x[s:s + length] for s in starts]).astype(np.float32, copy=False)
    return Prepared(pipeline, view, starts, windows, n_ahead, padded)


def finish_table(forecaster: Forecaster, prepared: Prepared, outputs: np.ndarray,
                 warn: bool = True) -> pd.DataFrame:
    """The second half of ``Forecaster.predict``: the network's outputs for
    ``prepared.windows`` to the forecast table ``predict`` returns."""
    pipeline = prepared.pipeline
    if warn and prepared.padded:
        warnings.warn(f"{len(prepared.padded)} series are shorter than the window "
                      f"({pipeline.window}) and were padded with their first row: "
                      f"{', '.join(map(str, prepared.padded[:10]))}.", stacklevel=2)
    return forecasting.forecast_frame(pipeline, forecasting.last_row_values(prepared.view),
                                      _forecast(forecaster, prepared, outputs))


def finish_records(forecaster: Forecaster, prepared: Prepared, outputs: np.ndarray
                   ) -> list[dict[str, Any]]:
    """``finish_table``'s rows as JSON-ready records (times in ISO 8601, quarters as the
    training table wrote them), as ``lstmcast
    predict --out x.json`` writes them, without a DataFrame per call.

    The first call on a ``Prepared`` builds the forecast table once (``finish_table``'s
    code) and keeps, per row, the values of the columns that do not depend on the
    outputs (series id, step, time) in ``prepared.labels``; every call unscales
    the outputs (``TablePipeline.to_units``, as ``finish_table``) and puts the
    numbers beside those labels, in the table's column order.

    Args:
        forecaster: the fitted Forecaster that prepared ``prepared``.
        prepared: ``prepare_table``'s result.
        outputs: (N, steps * slots * targets) ``predict_window``'s outputs for
            ``prepared.windows``.

    Returns:
        One dict per series and step: series id, ``step``, time, the targets and
        their quantile columns (a NaN stays a float NaN: the caller's JSON writer
        makes it null, as ``to_json`` does).

    Example:
        >>> prepared = prepare_table(forecaster, history)
        >>> rows = finish_records(forecaster, prepared,
        ...                       predict_window(forecaster, prepared.windows))
        >>> rows[0].keys()  # as predict's table: series id, step, time, targets
    """
    forecast = _forecast(forecaster, prepared, outputs)
    values = [forecast.point[:, :, k] for k in range(forecast.point.shape[2])]
    if forecast.quantiles is not None:  # each target, then its quantiles (forecast_frame)
        values = [column for k, point in enumerate(values) for column in
                  (point, *(forecast.quantiles[:, :, q, k]
                            for q in range(forecast.quantiles.shape[2])))]
    if prepared.labels is None:
        frame = forecasting.forecast_frame(prepared.pipeline,
                                           forecasting.last_row_values(prepared.view), forecast)
        labels = forecasting.as_written(prepared.pipeline,  # a joined id as its columns
                                        frame.iloc[:, :frame.shape[1] - len(values)])
        rows = json.loads(labels.to_json(orient="values", date_format="iso",
                                         double_precision=15))
        names = [*labels.columns, *frame.columns[frame.shape[1] - len(values):]]
        prepared.labels = (names, [tuple(row) for row in rows])
    names, labels = prepared.labels
    numbers = zip(*(column.ravel().tolist() for column in values))
    return [dict(zip(names, (*label, *row))) for label, row in zip(labels, numbers)]


def _forecast(forecaster: Forecaster, prepared: Prepared, outputs: np.ndarray
              ) -> forecasting.Forecast:
    """The outputs in the target's units, the first ``n_ahead`` steps (W, n_ahead, ...)."""
    pipeline, view, starts = prepared.pipeline, prepared.view, prepared.starts
    intervals = forecaster.intervals_
    if intervals is None:
        forecast = forecasting.Forecast(pipeline.to_units(outputs, view, starts))
    else:
        point, quantiles = intervals.split(outputs)
        forecast = forecasting.Forecast(
            pipeline.to_units(point, view, starts),
            None if quantiles is None else pipeline.to_units(quantiles, view, starts),
            intervals.levels)
    n = prepared.n_ahead
    if n < forecaster.steps:
        forecast = forecasting.Forecast(
            forecast.point[:, :n], None if forecast.quantiles is None
            else forecast.quantiles[:, :n], forecast.levels)
    return forecast


def predict_table(forecaster: Forecaster, data: Any, future: Any = None,
                  n_ahead: int | None = None) -> pd.DataFrame:
    """``Forecaster.predict`` (``n_ahead`` at most the steps) through the short path:
    ``prepare_table``, ``predict_window``, ``finish_table``."""
    if isinstance(data, (str, os.PathLike)):
        data = str(data)
    prepared = prepare_table(forecaster, data, future, n_ahead)
    return finish_table(forecaster, prepared, predict_window(forecaster, prepared.windows))
