"""See inside: the gates of a trained model on one input window, and what drove its output.

For one window, ``explain_window``:

1. runs ``lstmcast.reference`` (the tutorial's equations in NumPy, float64) on
   the model's own weights and keeps every gate of every recurrent layer; the
   engine's float64 output for the same window must match it within 1e-5, so
   the pictures are of the real model (``reference_gap`` records the gap);
2. attributes the output to time steps and features with integrated
   gradients against a baseline window (all zeros in the scaled space, the
   window's own mean per feature, or an array); by completeness the
   attributions add up to output - baseline output (``completeness_gap``);
3. measures how far back the model looks: for an LSTM layer, the product of
   its forget gates from step t to the end tells how much of the cell state
   written at step t survives; the look-back is the number of steps back to
   where that product (averaged over units) falls below 0.1.

Shapes: T time steps, F features, H units.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from lstmcast import reference
from lstmcast.checks import invalid
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast import combination
from lstmcast.tables import timeline
from lstmcast.tables.frequency import period_labels

if TYPE_CHECKING:
    from lstmcast.forecast.ensemble import Ensemble
    from lstmcast.models import Sequential
    from lstmcast.tables.pipeline import TablePipeline

REFERENCE_TOLERANCE = 1e-5  # engine (float64) against the NumPy equations
IG_STEPS = 128


@dataclass
class LayerGates:
    """The gates of one recurrent layer over the window, each (T, H)."""

    name: str
    kind: str  # "LSTM" or "GRU"
    gates: dict[str, np.ndarray]
    lookback: int | None = None  # LSTM only: steps back until forget products < 0.1
    labels: list[Any] | None = None  # one per step, when a step is not one row (segments)
    rows_per_step: int = 1


@dataclass
class Explanation:
    """Everything ``explain_window`` found; see the module docstring."""

    window: np.ndarray  # (T, F) the model's input (scaled)
    feature_names: list[str]
    time_labels: list[Any]
    output: float  # engine output (model units, e.g. scaled)
    baseline_output: float
    attributions: np.ndarray  # (T, F)
    layers: list[LayerGates]
    reference_gap: float
    completeness_gap: float
    output_index: int = 0
    prediction: float | None = None  # in the target's units, when known
    baseline_prediction: float | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def feature_importance(self) -> np.ndarray:
        """Total attribution per feature (F,), summed over time."""
        return self.attributions.sum(axis=0)

    def step_importance(self) -> np.ndarray:
        """Total absolute attribution per time step (T,)."""
        return np.abs(self.attributions).sum(axis=1)

    def summary(self, top: int = 5) -> str:
        """A few lines for the terminal: what mattered most, and how far back it looks."""
        lines = []
        what = ", ".join(f"{k} {v}" for k, v in self.context.items())
        if what:
            lines.append(f"Explanation for {what}")
        if self.prediction is not None:
            lines.append(f"prediction {self.prediction:.4g} (baseline window: "
                         f"{self.baseline_prediction:.4g})")
        lines.append(f"model output {self.output:.5f}, baseline {self.baseline_output:.5f}; "
                     f"attributions sum to the difference within {self.completeness_gap:.1e}")
        importance = self.feature_importance()
        order = np.argsort(-np.abs(importance))[:top]
        lines.append("features that mattered most (signed attribution): " + ", ".join(
            f"{self.feature_names[i]} {importance[i]:+.4f}" for i in order))
        steps = self.step_importance()
        order = np.argsort(-steps)[:top]
        lines.append("time steps that mattered most: " + ", ".join(
            f"{self.time_labels[i]} ({steps[i]:.4f})" for i in order))
        for layer in self.layers:
            if layer.lookback is not None:
                steps = len(layer.gates["hidden"])
                unit = ("steps" if layer.rows_per_step == 1
                        else f"segments of {layer.rows_per_step} rows")
                lines.append(f"{layer.name}: the cell state keeps more than 10% of what it "
                             f"wrote for about {layer.lookback} {unit} (of {steps})")
        lines.append(f"gate values reproduce the engine's output within {self.reference_gap:.1e}")
        return "\n".join(lines)


def forget_lookback(forget: np.ndarray, threshold: float = 0.1) -> int:
    """Steps back from the end until the mean product of forget gates drops below ``threshold``.

    ``forget`` is (T, H). What the cell wrote at step t is scaled by
    f_{t+1} * ... * f_T by the end of the window.
    """
    steps = forget.shape[0]
    survive = np.ones(forget.shape[1])
    for back in range(1, steps):
        survive = survive * forget[steps - back]  # f_T, then f_T * f_{T-1}, ...
        if survive.mean() < threshold:
            return back
    return steps


def _cpu64(network: torch.nn.Module) -> torch.nn.Module:
    clone = copy.deepcopy(network).to("cpu").double()
    return clone.eval()


def integrated_gradients(network: torch.nn.Module, window: np.ndarray, baseline: np.ndarray,
                         output_index: int = 0, steps: int = IG_STEPS) -> np.ndarray:
    """Integrated gradients of output ``output_index`` for ``window`` (T, F), float64.

    The path integral is taken with the trapezoid rule over ``steps`` segments.
    """
    net = _cpu64(network)
    alphas = torch.linspace(0.0, 1.0, steps + 1, dtype=torch.float64)[:, None, None]
    x = torch.from_numpy(np.asarray(window, dtype=np.float64))
    b = torch.from_numpy(np.asarray(baseline, dtype=np.float64))
    path = (b + alphas * (x - b)).requires_grad_(True)  # (steps + 1, T, F)
    out = net(path).reshape(steps + 1, -1)[:, output_index]
    (grads,) = torch.autograd.grad(out.sum(), path)
    avg = (grads[:-1] + grads[1:]).mean(dim=0) / 2.0  # trapezoid: mean of segment ends
    return ((x - b) * avg).numpy()


def explain_window(model: Sequential, window: np.ndarray, feature_names: list[str] | None = None,
                   time_labels: list[Any] | None = None, baseline: str | np.ndarray = "mean",
                   output_index: int = 0) -> Explanation:
    """Explain a Sequential model's output for one input window (T, F).

    Args:
        model: a built ``lstmcast.models.Sequential``.
        window: one input window, in the units the model sees (scaled).
        feature_names, time_labels: for the pictures and the summary.
        baseline: "mean" (each feature's mean over this window, held for every
            step: the window without its time pattern), "zeros", or an array (T, F).
        output_index: which output to explain (0 = the first step of the first target).

    Returns:
        An Explanation.
    """
    window = np.asarray(window, dtype=np.float64)
    if window.ndim != 2:
        raise invalid("window", "one window of shape (time_steps, features)", window.shape)
    if isinstance(baseline, str):
        if baseline == "mean":
            base = np.repeat(window.mean(axis=0, keepdims=True), len(window), axis=0)
        elif baseline == "zeros":
            base = np.zeros_like(window)
        else:
            raise invalid("baseline", "'mean', 'zeros' or an array (time_steps, features)",
                          baseline)
    else:
        base = np.asarray(baseline, dtype=np.float64)
        if base.shape != window.shape:
            raise invalid("baseline", f"an array of shape {window.shape}", base.shape)
    stack = [(type(layer).__name__, layer.get_config(), layer.get_weights())
             for layer in model.layers]
    ref_out, traces = reference.forward_stack(stack, window[None])
    net = _cpu64(model.network_)
    with torch.no_grad():
        engine = net(torch.from_numpy(np.stack([window, base]))).reshape(2, -1).numpy()
    n_out = engine.shape[1]
    if not 0 <= output_index < n_out:
        raise invalid("output_index", f"an integer in [0, {n_out - 1}]", output_index)
    gap = float(np.max(np.abs(engine[0] - ref_out.reshape(-1))))
    if gap > REFERENCE_TOLERANCE:
        raise InvalidArgumentError(
            f"The reference equations do not reproduce this model (gap {gap:.2e}); the "
            "gate pictures would not be of the real model.")
    attributions = integrated_gradients(model.network_, window, base, output_index)
    diff = engine[0, output_index] - engine[1, output_index]
    layers = []
    steps = len(window)
    labels_all = list(time_labels if time_labels is not None else range(steps))
    for layer, trace in zip(model.layers, traces):
        if trace is None:
            continue
        gates = {k: v[0] for k, v in trace.items() if k != "hidden"}
        gates["hidden"] = trace["hidden"][0]
        kind, labels, rows = type(layer).__name__, None, 1
        if kind == "SegmentLSTM":  # a step is a segment: label it by its last row
            kind, rows = layer.cell.upper(), layer.segment
            labels = labels_all[rows - 1 :: rows][: len(gates["hidden"])]
        lookback = forget_lookback(gates["forget"]) if kind == "LSTM" else None
        layers.append(LayerGates(layer.name, kind, gates, lookback, labels, rows))
    return Explanation(
        window=window,
        feature_names=list(feature_names or [f"x{i}" for i in range(window.shape[1])]),
        time_labels=list(time_labels if time_labels is not None else range(steps)),
        output=float(engine[0, output_index]), baseline_output=float(engine[1, output_index]),
        attributions=attributions, layers=layers, reference_gap=gap,
        completeness_gap=float(abs(attributions.sum() - diff)), output_index=output_index)


def time_labels(times: pd.Series, pipeline: TablePipeline) -> list[list[str]]:
    """A series' times as text, then as an explanation names them, then any other form
    ``at`` may give: quarters, months and years read as such ("2009 Q4", "2009-10",
    "2009"), times as the table wrote them ("Q4-2009", "31/12/2009": as predict writes them)."""
    is_date = pd.api.types.is_datetime64_any_dtype(times)
    text = (times.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "")
            if is_date else times.astype(str)).tolist()
    periods = period_labels(times, pipeline.step)
    written = timeline.write_back(times, pipeline.time_) if is_date else None
    written = None if written is None else written.tolist()
    return [text, written or periods or text, *([periods] if periods else [])]


def explain_series(pipeline: TablePipeline, ensemble: Ensemble, data: Any, series: Any = None,
                   at: Any = None, window: int | None = None, baseline: str | np.ndarray = "mean",
                   output_index: int = 0) -> Explanation:
    """Pick one window of a series and explain it (``Forecaster.explain``).

    ``pipeline`` is a fitted ``lstmcast.tables.pipeline.TablePipeline`` and
    ``ensemble`` its ``lstmcast.forecast.ensemble.Ensemble``; the first network is shown.
    """
    table = pipeline.table(data, need_target=pipeline.roles.autoregressive)
    roles, length = pipeline.roles, pipeline.window
    ids = [table.ids[a] for a, _ in table.segments]
    if series is None:
        k = 0
    else:
        matches = [i for i, sid in enumerate(ids) if sid == series or str(sid) == str(series)]
        if not matches:
            shown = ", ".join(map(str, ids[:10])) + (" ..." if len(ids) > 10 else "")
            raise InvalidArgumentError(f"Series {str(series)!r} is not in the data "
                                       f"(series: {shown}).")
        k = matches[0]
    a, b = table.segments[k]
    times = (table.frame[roles.time].iloc[a:b] if roles.time
             else pd.Series(np.arange(b - a)))
    is_date = pd.api.types.is_datetime64_any_dtype(times)
    forms = time_labels(times, pipeline)
    text, shown = forms[0], forms[1]
    extra = pipeline.input_length - length  # rows to forecast, read for known-ahead inputs
    last_end = b - 1 - extra  # the last window whose forecast rows are in the data
    if last_end < a:
        raise InvalidArgumentError(
            f"Series {str(ids[k])!r} has {b - a} rows: too few for a window and the "
            f"{extra} rows to forecast after it.")
    end = last_end
    if at is not None:
        hits = [i for i, t in enumerate(text)
                if any(str(at) == form[i] for form in forms)
                or (is_date and t.startswith(str(at)))]
        if not hits:
            raise InvalidArgumentError(
                f"Time {str(at)!r} is not in series {str(ids[k])!r} (it runs from "
                f"{shown[0]} to {shown[-1]}).")
        end = a + hits[0]
        if end > last_end:
            raise InvalidArgumentError(
                f"Time {str(at)!r} is too late in series {str(ids[k])!r}: the {extra} rows to "
                "forecast after it are not in the data.")
    elif window is not None:
        count = max(last_end - a - length + 2, 1)
        if not -count <= window < count:
            raise invalid("window", f"a window number in [-{count}, {count - 1}]", window)
        end = a + (window % count) + length - 1
    rows = np.arange(end - length + 1, end + 1 + extra)
    rows = np.maximum(rows, a)  # a short history is padded with its first row
    x = table.x[rows]
    labels = [shown[i] for i in rows - a]
    expl = explain_window(ensemble.first, x, pipeline.inputs, labels, baseline, output_index)
    n_targets = len(pipeline.targets)
    k_target = output_index % n_targets
    keys = pipeline.target_keys(table.ids[[end]])
    for attr, value in (("prediction", expl.output), ("baseline_prediction",
                                                      expl.baseline_output)):
        row = np.zeros((1, n_targets))
        row[0, k_target] = value
        value = float(pipeline.unscale_targets(row, keys)[0, k_target])
        if pipeline.difference:  # the network forecasts the change from here
            value += float(table.y_raw[end, k_target])
        setattr(expl, attr, value)
    sid = ids[k].item() if hasattr(ids[k], "item") else ids[k]
    expl.context = {**({roles.group: sid} if roles.group else {}),
                    (roles.time or "row"): labels[length - 1],
                    "target": pipeline.targets[k_target]}
    if len(ensemble) > 1:
        expl.context["network"] = f"1 of the ensemble's {len(ensemble)}"
    if ensemble.combined:  # the forecast is not the network's alone
        expl.context["forecast"] = combination.describe(ensemble.weights)
    return expl
