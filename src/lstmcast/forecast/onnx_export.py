"""Taking a model out: the network as ONNX, and a JSON sidecar for a Forecaster's table.

ONNX runs where Python and torch do not (onnxruntime in a service, a database
job, an edge box). The network is exported with a dynamic batch axis: input
``windows`` (batch, input_length, inputs) float32, output ``forecast``
(batch, outputs). A Forecaster's ensemble is exported as one graph that
averages its members (and combines them with the other forecasts of ``blend``);
instance normalization and channel independence are layers of the graph too.

A network sees scaled windows, not a table. For a Forecaster the sidecar
(``model.json`` beside ``model.onnx``) holds the rest, as data, enough to
serve the model from it alone: each input column in order and where its
values come from over the past rows and over the rows to forecast (the table,
the future table, the calendar of the row's time, or 0), how many rows of each,
the calendar's exact formulas, the time step that continues the time column,
each scaler's offset and scale (one over all rows, and one per series or
condition when the model scales that way) and which entry each row takes,
differencing, the targets read as their log, what the graph already does, and how
outputs map back to forecasts and quantiles. ``recipe`` in the sidecar says it in words;
``serve_window`` below is the same in NumPy, for reference.

Sidecar versions: 1 gave the past rows, the scalers and the outputs; 2 (this
one) keeps every key of 1 with its meaning and adds ``rows``, ``columns``,
``future_table``, ``time_column``, ``calendar_parts``, ``scaling``, ``missing``
and ``network``, which models reading inputs known in advance or the calendar
need.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from torch import nn

from lstmcast.engine.artifact_file import sidecar_path
from lstmcast.engine.onnx import Mean, export_module
from lstmcast.forecast.ensemble import NETWORKS
from lstmcast.forecast.onnx_graph import Combination

if TYPE_CHECKING:
    from lstmcast.forecast.forecaster import Forecaster
    from lstmcast.tables.pipeline import TablePipeline

SIDECAR_FORMAT = "lstmcast-onnx-sidecar"
SIDECAR_VERSION = 2


RECIPE = [
    "1. Rows: one series' rows (`group` names the series, if any), sorted by time, on the "
    "regular step `time_column.step` (gaps filled as `missing` says). Take its last "
    "`rows.past` rows (`rows.history_needed`: one more with `difference`); a series with "
    "fewer rows is padded at the front with its first row.",
    "2. Columns: build an array (rows.past + rows.future, len(inputs)), columns `inputs` in "
    "that order; `columns` says where each one's values come from. Past rows: 'value' is "
    "the table's value, 'change' the value minus the row before's (`difference`, the "
    "targets), 'log' the natural log of the table's value (the targets `log` names), "
    "'calendar' the calendar of the row's time (`calendar_parts`).",
    "3. Rows to forecast (only when rows.future > 0: models reading inputs known in "
    "advance, `future_table` columns or the calendar): the rows.future times after the "
    "series' last time, each one `time_column.step` after the one before. Over them, a "
    "column whose `future` is 'future table' takes the value of the future table's row with "
    "the series' id and that time (without a time column: the future table's rows of the "
    "series in order, the first rows.future of them); 'calendar' the calendar of that time; "
    "'zero' is 0 after scaling (step 4).",
    "4. Scale each column: (value - offset) / scale with `x_scaler`, the entry `scaling` "
    "names for past and for future rows: `global`, or the `by_key` entry [key, {offset, "
    "scale}] of the series id or of the row's value of the key column (compared as text; "
    "7.0 reads '7').",
    "5. Run the ONNX model on the arrays stacked as float32 (batch, input_length, inputs). "
    "The graph does what `network` lists (the mean of the ensemble's networks, instance "
    "normalization, channels, the blend with the linear map): nothing more to do for those.",
    "6. Outputs: (batch, steps * slots * targets), step-major: per window reshape to "
    "(steps, slots, targets); slots is 1 for a point forecast, else one per level of "
    "`quantiles.network_levels` (the point forecast is the 0.5 level). Step s (1..steps) is "
    "the row horizon - 1 + s after the series' last row: its time is the last time advanced "
    "horizon - 1 + s steps.",
    "7. Unscale: value * scale + offset with `y_scaler` (the entry `scaling.targets` names); "
    "with `difference`, add each target's value in the last past row (in its own units); "
    "for each target `log` names, take exp of it. Quantiles: `quantiles.recipe`.",
]

CALENDAR_VALUES = {
    "hour": ("hour + minute / 60",
             "the hour of the day with its minutes as a fraction, seconds not read: 0 at "
             "midnight, 13.5 at 13:30"),
    "weekday": ("day_of_week", "the day of the week: Monday 0, Tuesday 1, ..., Sunday 6"),
    "yearday": ("day_of_year - 1",
                "the day of the year counted from 0: 1 January 0, 31 December 364 (365 in a "
                "leap year)"),
    "month": ("month - 1", "the month counted from 0: January 0, ..., December 11"),
}
"""Each calendar part's time value (``lstmcast.tables.calendar_inputs.calendar_columns``),
as the sidecar states it: an expression of the time's fields, and words."""

CALENDAR_CLOCK = (
    "the row's time on the clock it was written on: as written for times without a zone; "
    "for times with one, their local time in the model's zone (`time_column.tz`), or, "
    "written as UTC offsets, with each row's own offset (the rows after a series' end "
    "taking its last row's)")


def export_networks(networks: list[nn.Module], input_shape: tuple[int, ...],
                    parts: Mapping[str, Any] | None = None,
                    weights: Mapping[str, float] | None = None) -> bytes:
    """The ONNX bytes of ``networks`` (averaged when several; combined with ``parts``,
    the other forecasts of ``lstmcast.forecast.ensemble.Ensemble``, by ``weights`` when
    given) for samples of ``input_shape`` (``lstmcast.engine.onnx.export_module``)."""
    copies = [copy.deepcopy(network).cpu().float().eval() for network in networks]
    module = copies[0] if len(copies) == 1 else Mean(copies).eval()
    if weights is not None and any(w > 0 for n, w in weights.items() if n != NETWORKS):
        module = Combination(module, parts or {}, weights).eval()
    return export_module(module, input_shape)


def sidecar(forecaster: Forecaster) -> dict[str, Any]:
    """What turns a table into the ONNX model's input, and its output into forecasts."""
    pipeline = forecaster.pipeline_
    intervals = forecaster.intervals_
    slots = 1 if intervals is None else intervals.slots
    config = pipeline.get_config()
    roles = pipeline.roles
    future_rows = pipeline.input_length - pipeline.window
    return {
        "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION,
        "input": {"name": "windows", "shape": [None, pipeline.input_length,
                                               len(pipeline.inputs)], "dtype": "float32"},
        "output": {"name": "forecast",
                   "shape": [None, pipeline.steps * slots * len(pipeline.targets)],
                   "layout": "step-major" if slots == 1 else "step, quantile level, target",
                   "steps": pipeline.steps, "slots": slots,
                   "targets": len(pipeline.targets)},
        "quantiles": None if intervals is None else {
            **intervals.get_config(), "network_levels": list(intervals.network_levels),
            "around_point": True,
            "recipe": "the output holds, per step and target, one value per network level "
                      "(network_levels; the point forecast is the 0.5 one) or one point value; "
                      "a level's value is that (sorted) value, or the point value, plus "
                      "shifts[step][level][target] when calibrated, sorted again; then a "
                      "level below 0.5 is at most the point forecast and one above 0.5 at "
                      "least it (around_point: min / max with the point); then unscaled "
                      "like the forecast"},
        "inputs": list(pipeline.inputs), "targets": list(pipeline.targets),
        "window": pipeline.window, "input_length": pipeline.input_length,
        "horizon": pipeline.horizon, "steps": pipeline.steps,
        "difference": pipeline.difference, "log": list(pipeline.log),
        "scale_by": pipeline.scale_by, "group": roles.group, "time": roles.time,
        "future": list(roles.future_inputs or []), "calendar": config["calendar"],
        "x_scaler": config["x_scaler"], "y_scaler": config["y_scaler"],
        # version 2
        "rows": {"past": pipeline.window, "future": future_rows,
                 "history_needed": pipeline.window + int(pipeline.difference),
                 "forecast_row_of_step": "horizon - 1 + step (1 = the row after the last)"},
        "columns": _columns(pipeline, future_rows),
        "future_table": list(roles.future),
        "time_column": {"name": roles.time, **config["time"],
                        "forecast_times": "the last time advanced k steps, k = 1, 2, ...: "
                                          "step.freq is a pandas frequency (h hourly, D "
                                          "daily, B business days, W-MON weeks, MS month "
                                          "starts...; step.day, when given, the day of the "
                                          "month monthly steps land on); numbers add "
                                          "step.step"},
        "calendar_parts": [_calendar_part(part) for part in roles.calendar],
        "scaling": _scaling(pipeline),
        "missing": pipeline.missing,
        "network": _network(forecaster),
        "recipe": RECIPE,
    }


def _columns(pipeline: TablePipeline, future_rows: int) -> list[dict[str, Any]]:
    """Each input column: its role, and where its values come from over the past rows and
    over the rows to forecast."""
    roles = pipeline.roles
    calendar = roles.calendar_columns
    out = []
    for position, name in enumerate(pipeline.inputs):
        role = ("calendar" if name in calendar else "future" if name in roles.future
                else "target" if name in roles.target else "static" if name in roles.static
                else "feature")
        past = ("calendar" if role == "calendar" else
                "change" if role == "target" and pipeline.difference else
                "log" if name in pipeline.log else "value")
        ahead = (None if not future_rows else "calendar" if role == "calendar"
                 else "future table" if role == "future" else "zero")
        out.append({"position": position, "name": name, "role": role, "past": past,
                    "future": ahead})
    return out


def _calendar_part(part: str) -> dict[str, Any]:
    from lstmcast.tables.calendar_inputs import CALENDAR_PERIODS

    value, words = CALENDAR_VALUES[part]
    return {"part": part, "columns": [f"{part}_sin", f"{part}_cos"],
            "period": CALENDAR_PERIODS[part], "value": value, "words": words,
            "formula": f"{part}_sin = sin(2 * pi * value / period), "
                       f"{part}_cos = cos(2 * pi * value / period)",
            "clock": CALENDAR_CLOCK}


def _scaling(pipeline: TablePipeline) -> dict[str, Any]:
    """Which scaler entry each row takes: "global", "series" (the row's series id) or a
    column's name (the row's value of that column)."""
    by = "global" if pipeline.scaler is None else pipeline.scale_by
    keyed = by not in ("global", "series")
    return {"scaler": pipeline.scaler, "inputs": {"past": by,
                                                  "future": "global" if keyed else by},
            "targets": "global" if keyed else by,
            "formula": "scaled = (value - offset) / scale; value = scaled * scale + offset",
            "keys": "an entry of by_key is [key, {offset, scale}] with the key as text "
                    "(7.0 and 7 read '7'); a single series without a group column is '0'; "
                    "offset and scale hold one number per column (x_scaler: inputs, "
                    "y_scaler: targets)"}


def _network(forecaster: Forecaster) -> dict[str, Any]:
    """What the graph does beyond a plain network (nothing to do for it outside)."""
    ensemble = forecaster.ensemble_
    layers = list(ensemble.first.layers)
    norm = next((layer.kind for layer in layers if type(layer).__name__ == "InstanceNorm"),
                None)
    linear = ensemble.linear if set(ensemble.parts) == {"linear_map"} else None
    return {
        "members": len(ensemble.members),
        "layers": [type(layer).__name__ for layer in layers],
        "normalize": norm,
        "channels": "independent" if any(type(layer).__name__ == "ChannelSplit"
                                          for layer in layers) else "joint",
        "blend": None if linear is None else {"weight": ensemble.weight,
                                              **linear.get_config()},
        "combination": ({"weights": {n: w for n, w in ensemble.weights.items() if w > 0},
                         "parts": {n: part.get_config() for n, part in ensemble.parts.items()
                                   if ensemble.weights.get(n, 0) > 0}}
                        if ensemble.combined else None),
        "in_graph": "all of the above is inside the ONNX graph: the members' mean, the "
                    "instance normalization (each window's targets relative to its last "
                    "value, or its mean and deviation, mapped back on the output), the "
                    "channel split, and the combination (the weighted sum of the networks' "
                    "mean and the other forecasts of the window: linear maps, naive "
                    "forecasts); feed scaled windows, read scaled outputs",
    }


def serve_window(side: dict[str, Any], history: Any, run: Any, key: Any = None,
                 future: Any = None) -> np.ndarray:
    """The sidecar's recipe in NumPy, for reference (serving code in another language does
    the same): one series' recent rows to its point forecast (steps, targets).

    Args:
        side: the sidecar (``json.load`` of model.json).
        history: a table (pandas) of one series' last rows, oldest first: at least
            ``rows.history_needed`` rows, holding the table's columns the model reads
            (``columns`` whose ``past`` is "value" or "change", the time column for the
            calendar and the rows to forecast, and the ``scale_by`` column when the model
            scales by a condition).
        run: float32 windows (batch, input_length, inputs) -> outputs, e.g.
            ``lambda x: session.run(None, {"windows": x})[0]`` with onnxruntime.
        key: the series id, when the model scales each series on its own.
        future: with ``future_table`` columns, a table of their values for the rows to
            forecast (the time column and those columns; other series' rows are not
            told apart: give this series' rows).

    The calendar here reads times without a zone, or in a named zone; a time column
    written with several UTC offsets (``time_column.calendar_clock``) needs each row's
    offset, which this reference does not keep.
    """
    side = _upgraded(side)
    past, ahead = side["rows"]["past"], side["rows"]["future"]
    columns = side["columns"]
    targets = side["targets"]
    need = past + int(side["difference"])
    if len(history) < need:
        raise ValueError(f"need {need} rows of history, got {len(history)}")
    recent = history.iloc[-need:]
    times = _times(side, recent) if side.get("time") else None
    later = None
    if ahead and times is not None:
        later = _later_times(side, times[-1], ahead)
    calendar = {}
    for part in side.get("calendar_parts", []):
        calendar.update(_calendar(part, times[-past:]))
        if ahead:
            calendar.update({f"{name}@future": values for name, values
                             in _calendar(part, later).items()})
    table = _future_rows(side, future, later, ahead)
    raw = np.zeros((past + ahead, len(columns)))
    for j, column in enumerate(columns):
        name = column["name"]
        if column["past"] == "calendar":
            raw[:past, j] = calendar[name]
        elif column["past"] == "change":
            raw[:past, j] = np.diff(recent[name].to_numpy(dtype=np.float64))[-past:]
        elif column["past"] == "log":
            raw[:past, j] = np.log(recent[name].to_numpy(dtype=np.float64)[-past:])
        else:
            raw[:past, j] = recent[name].to_numpy(dtype=np.float64)[-past:]
        if column["future"] == "calendar":
            raw[past:, j] = calendar[f"{name}@future"]
        elif column["future"] == "future table":
            raw[past:, j] = table[name].to_numpy(dtype=np.float64)
    scaling = side["scaling"]
    x = np.empty_like(raw)
    for rows, choice in ((slice(0, past), scaling["inputs"]["past"]),
                         (slice(past, past + ahead), scaling["inputs"]["future"])):
        if rows.start == rows.stop:
            continue
        if choice not in ("global", "series"):  # a condition column: each row its own entry
            entries = [_entry(side["x_scaler"], k) for k in recent[choice].to_numpy()[-past:]]
            offset, scale = (np.stack(part) for part in zip(*entries))
        else:
            offset, scale = _entry(side["x_scaler"], key if choice == "series" else None)
        x[rows] = (raw[rows] - offset) / scale
    zero = [j for j, column in enumerate(columns) if column["future"] == "zero"]
    x[past:, zero] = 0.0
    out = np.asarray(run(x.astype(np.float32)[None]), dtype=np.float64)[0]
    out = out.reshape(side["steps"], -1, len(targets))
    levels = (side.get("quantiles") or {}).get("network_levels") or []
    out = out[:, levels.index(0.5) if levels else 0]  # the point forecast (steps, targets)
    return _unscaled(side, out, recent, key)


def _unscaled(side: dict[str, Any], out: np.ndarray, recent: Any, key: Any) -> np.ndarray:
    """Step 7 of the recipe: scaled outputs (steps, targets) in the targets' units."""
    targets = side["targets"]
    offset, scale = _entry(side["y_scaler"],
                           key if side["scaling"]["targets"] == "series" else None)
    forecast = out * scale + offset
    if side["difference"]:
        forecast = forecast + recent[targets].to_numpy(dtype=np.float64)[-1]
    logged = [targets.index(t) for t in side.get("log", [])]
    forecast[:, logged] = np.exp(forecast[:, logged])
    return forecast


def _upgraded(side: dict[str, Any]) -> dict[str, Any]:
    """A version 1 sidecar in version 2's terms (its models read no future rows)."""
    if "columns" in side:
        return side
    if side["future"] or side.get("calendar"):
        raise ValueError("This sidecar (version 1) does not say how to build inputs "
                         "known in advance: export the model again.")
    return {**side, "rows": {"past": side["window"], "future": 0},
            "columns": [{"name": n, "past": "change" if side["difference"] and n in
                         side["targets"] else "value", "future": None}
                        for n in side["inputs"]],
            "scaling": {"inputs": {"past": side["scale_by"], "future": side["scale_by"]},
                        "targets": side["scale_by"]}}


def _future_rows(side: dict[str, Any], future: Any, later: Any, ahead: int) -> Any:
    """The future table's rows for the ``ahead`` rows to forecast (None: none read)."""
    if not (ahead and side.get("future_table")):
        return None
    if future is None:
        raise ValueError(f"this model reads future values of {side['future_table']}")
    if later is None:  # no time column: the rows in order
        table = future.iloc[:ahead]
    else:
        table = future.assign(_t=_times(side, future)).set_index("_t")
        table = table[~table.index.duplicated()].reindex(later)
    if len(table) < ahead or table[side["future_table"]].isna().to_numpy().any():
        raise ValueError(f"the future table lacks some of the {ahead} rows to forecast")
    return table


def _times(side: dict[str, Any], table: Any) -> Any:
    """A table's time column as the model reads it: numbers, or datetimes (in the model's
    zone when it has one)."""
    import pandas as pd

    values = table[side["time"]]
    clock = side["time_column"]
    if clock["kind"] == "number":
        return values.to_numpy(dtype=np.float64)
    written = clock.get("format")
    fmt = None if written in (None, "iso8601") else written
    index = pd.DatetimeIndex(pd.to_datetime(values, format=fmt))
    return index if clock.get("tz") is None else index.tz_convert(clock["tz"])


def _later_times(side: dict[str, Any], last: Any, count: int) -> Any:
    """The ``count`` times after ``last`` at the sidecar's step (calendar months on their
    day of the month, month ends, business days...: ``frequency.advance``)."""
    import pandas as pd

    from lstmcast.tables import frequency

    step = side["time_column"]["step"]
    if step is None:
        raise ValueError("the time column has no regular step: the times to forecast are "
                         "unknown")
    if step["kind"] == "number":
        return last + np.arange(1, count + 1) * step["step"]
    return pd.DatetimeIndex(frequency.advance(np.repeat(np.asarray([last]), count),
                                             np.arange(1, count + 1), step))


def _calendar(part: dict[str, Any], times: Any) -> dict[str, np.ndarray]:
    """One ``calendar_parts`` entry at ``times`` (datetimes), as its ``value`` and
    ``formula`` say."""
    import pandas as pd

    index = pd.DatetimeIndex(times)
    if index.tz is not None:  # the local time of the model's zone
        index = index.tz_localize(None)
    fields = {"hour + minute / 60": index.hour + index.minute / 60.0,
              "day_of_week": index.day_of_week, "day_of_year - 1": index.day_of_year - 1,
              "month - 1": index.month - 1}
    angle = 2 * np.pi * np.asarray(fields[part["value"]], dtype=np.float64) / part["period"]
    sin, cos = part["columns"]
    return {sin: np.sin(angle), cos: np.cos(angle)}


def _entry(scaler: dict[str, Any], key: Any) -> tuple[np.ndarray, np.ndarray]:
    """A scaler's offset and scale: the entry of ``key`` (a series or condition), or the
    global one when ``key`` is None or the scaler has no entries."""
    chosen = scaler["global"]
    if key is not None and scaler["by_key"]:
        by_key = {str(k): c for k, c in scaler["by_key"]}
        if str(key) not in by_key:
            raise KeyError(f"{key!r} was not in the training data")
        chosen = by_key[str(key)]
    return np.asarray(chosen["offset"]), np.asarray(chosen["scale"])


def export_forecaster(fc: Forecaster, path: str | os.PathLike) -> Path:
    """``Forecaster.export_onnx``: the graph of a fitted Forecaster ``fc`` at ``path`` and its
    sidecar beside it (both written atomically); returns the sidecar's path."""
    from lstmcast.tables.io import atomic_write

    data = export_networks([m.network_ for m in fc.members_], fc.model_.built_input_shape_,
                           fc.ensemble_.parts, fc.ensemble_.weights)
    side = sidecar_path(path)
    atomic_write(path, data)
    atomic_write(side, (json.dumps(sidecar(fc), indent=1) + "\n").encode())
    return side
