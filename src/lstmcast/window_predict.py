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

Shapes: N windows, L rows per window (``input_length``), F inputs.
"""

from __future__ import annotations

import copy
import os
import warnings
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast import forecasting
from lstmcast.errors import InvalidArgumentError
from lstmcast.pipeline import Table, TablePipeline

_SHORT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Forecaster -> ensemble


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
    """

    pipeline: TablePipeline
    view: Table
    starts: np.ndarray
    windows: np.ndarray
    n_ahead: int
    padded: list


class _Network:
    """One member's torch module called directly: float32 windows in, outputs out."""

    def __init__(self, network: Any) -> None:
        self.network = network.eval()

    def predict(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            batch = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))  # (N, L, F)
            return self.network(batch).float().numpy()


def _short_ensemble(forecaster: Any) -> Any:
    """The Forecaster's ensemble with each member called as ``_Network`` (float32 members
    on the CPU; otherwise the ensemble itself), built once per ensemble."""
    ensemble = forecaster.ensemble_
    cached = _SHORT.get(forecaster)
    if cached is not None and cached[0] is ensemble:
        return cached[1]
    short = ensemble
    if all(m.precision == "float32" and next(m.network_.parameters()).device.type == "cpu"
           for m in ensemble.members):
        short = copy.copy(ensemble)  # the same blend, its members called directly
        short.members = [_Network(m.network_) for m in ensemble.members]
    _SHORT[forecaster] = (ensemble, short)
    return short


def predict_window(forecaster: Any, x: np.ndarray) -> np.ndarray:
    """The ensemble's outputs for windows already prepared (scaled), without the checks.

    Args:
        forecaster: a fitted Forecaster.
        x: (N, L, F) float32 windows as the network reads them: ``L`` the
            pipeline's ``input_length``, ``F`` its inputs, scaled
            (``Prepared.windows``, or ``lstmcast.onnx_export.serve_window``'s).

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
    return _short_ensemble(forecaster).predict(np.ascontiguousarray(x, dtype=np.float32))


def prepare_table(forecaster: Any, data: Any, future: Any = None, n_ahead: int | None = None
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
    table = pipeline.table(data, need_target=pipeline.roles.autoregressive)
    future_x = None
    if pipeline.roles.future_inputs:
        last_rows = table.frame.iloc[[b - 1 for _, b in table.segments]]
        future_x = pipeline.future_inputs(last_rows.reset_index(drop=True), future)
    elif future is not None:
        raise InvalidArgumentError("`future` was given, but this model reads no inputs "
                                   "known in advance.")
    view, starts, padded = forecasting.last_windows(pipeline, table, future_x)
    length = pipeline.input_length
    windows = np.stack([view.x[s:s + length] for s in starts]).astype(np.float32, copy=False)
    return Prepared(pipeline, view, starts, windows, n_ahead, padded)


def finish_table(forecaster: Any, prepared: Prepared, outputs: np.ndarray,
                 warn: bool = True) -> pd.DataFrame:
    """The second half of ``Forecaster.predict``: the network's outputs for
    ``prepared.windows`` to the forecast table ``predict`` returns."""
    pipeline, view, starts = prepared.pipeline, prepared.view, prepared.starts
    if warn and prepared.padded:
        warnings.warn(f"{len(prepared.padded)} series are shorter than the window "
                      f"({pipeline.window}) and were padded with their first row: "
                      f"{', '.join(map(str, prepared.padded[:10]))}.", stacklevel=2)
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
    return forecasting.forecast_frame(pipeline, view.frame, forecast)


def predict_table(forecaster: Any, data: Any, future: Any = None,
                  n_ahead: int | None = None) -> pd.DataFrame:
    """``Forecaster.predict`` (``n_ahead`` at most the steps) through the short path:
    ``prepare_table``, ``predict_window``, ``finish_table``."""
    if isinstance(data, (str, os.PathLike)):
        data = str(data)
    prepared = prepare_table(forecaster, data, future, n_ahead)
    return finish_table(forecaster, prepared, predict_window(forecaster, prepared.windows))
