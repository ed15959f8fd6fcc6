"""PNG pictures for a run folder: loss curves, forecasts against actuals, RUL per engine.

matplotlib draws off-screen (the Agg backend): no display is needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lstmcast.forecast.intervals import band_columns, central_pairs, column_levels, label  # noqa: E402

if TYPE_CHECKING:  # explain imports torch; drawing needs none of it
    from lstmcast.forecast.explain import Explanation, LayerGates

BASELINE_STYLE = {"naive": (":", "tab:orange"), "seasonal_naive": ("-.", "tab:purple"),
                  "window_mean": ("--", "tab:green"), "train_mean": ("--", "tab:gray")}


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` (laid out, 110 dpi) and close it; every picture of
    lstmcast is written here."""
    target = Path(path)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def date_axis(ax: plt.Axes, values: Any) -> bool:
    """Concise date ticks on ``ax``'s x axis when ``values`` are dates: matplotlib's
    ``AutoDateLocator`` picks a few ticks and ``ConciseDateFormatter`` writes each as
    little as tells it apart ("Jul", "08", "12:00"), the year or month once at the
    side, so a month of hourly rows reads without overlapping labels. Returns whether
    the axis holds dates."""
    if not (pd.api.types.is_datetime64_any_dtype(values)
            or isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype)):
        return False
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return True


def show(path: str | os.PathLike) -> plt.Figure:
    """A PNG written by these functions as a matplotlib figure at its own size (one
    pixel per pixel), to show it in a notebook or a gallery."""
    image = plt.imread(Path(path))
    height, width = image.shape[:2]
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(image, interpolation="nearest")
    ax.set_axis_off()
    return fig


def loss_curve(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """Training and validation loss per epoch, on a log scale when every loss is positive;
    else (a zero loss, as a constant target gives, or a negative one) on a linear scale,
    which shows them, where a log scale would drop them with a warning."""
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss", color="tab:blue")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], label="validation loss", color="tab:orange")
        best = int(np.argmin(history["val_loss"]))
        ax.axvline(best + 1, color="gray", lw=0.8, ls="--", label=f"best epoch ({best + 1})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    drawn = np.asarray([*history["loss"], *history.get("val_loss", [])], dtype=np.float64)
    drawn = drawn[np.isfinite(drawn)]
    if drawn.size and (drawn > 0).all():
        ax.set_yscale("log")
    ax.set_title("Loss per epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def forecasts(predictions: pd.DataFrame, path: str | os.PathLike, group: str | None,
              time: str | None, max_series: int = 4) -> Path:
    """Actual against one-step forecasts (step 1) for a few series, baselines drawn thin,
    and the model's widest central interval as a band (a fan chart) when it has quantiles."""
    band = band_columns(predictions.columns)
    data = predictions[predictions["step"] == 1]
    data = data[data["target"] == data["target"].iloc[0]]
    series = list(pd.unique(data[group]))[:max_series] if group else [None]
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.6 * len(series)), squeeze=False)
    models = [c for c in data.columns if c in BASELINE_STYLE]
    for ax, sid in zip(axes[:, 0], series):
        part = data if sid is None else data[data[group] == sid]
        x = part[time] if time else np.arange(len(part))
        if band is not None:
            low, high, pct = band
            ax.fill_between(x, part[low], part[high], color="tab:red", alpha=0.18, lw=0,
                            label=f"lstmcast {pct}% interval")
        ax.plot(x, part["actual"], color="black", lw=1.6, label="actual")
        ax.plot(x, part["lstmcast"], color="tab:red", lw=1.4, label="lstmcast")
        for model in models:
            style, color = BASELINE_STYLE[model]
            ax.plot(x, part[model], lw=0.9, ls=style, color=color, alpha=0.8, label=model)
        date_axis(ax, x)
        title = f"{data['target'].iloc[0]}" + (f", {group} {sid}" if sid is not None else "")
        ax.set_title(title)
        ax.set_xlabel(time or "row")
        ax.set_ylabel(str(data["target"].iloc[0]))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return save_figure(fig, path)


def fan_chart(predictions: pd.DataFrame, path: str | os.PathLike, group: str | None,
              time: str | None, history: int = 72) -> Path:
    """The last forecast of the first series, every step, with its central intervals shaded
    from the widest (lightest) in, after the ``history`` rows before it (a fan chart)."""
    data = predictions[predictions["target"] == predictions["target"].iloc[0]]
    if group:
        data = data[data[group] == data[group].iloc[0]]
    steps = int(data["step"].max())
    last = data.iloc[-steps:]
    before = data[data["step"] == 1].iloc[:-1]
    before = before[before.index < last.index[0]].iloc[-history:]
    x_of = (lambda part: part[time]) if time else (lambda part: part.index.to_numpy())
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(x_of(before), before["actual"], color="black", lw=1.4, label="actual")
    ax.plot(x_of(last), last["actual"], color="black", lw=1.0, ls="--",
            label="actual (forecast rows)")
    for i, (low, high, pct) in enumerate(central_pairs(column_levels(data.columns))):
        ax.fill_between(x_of(last), last[f"lstmcast_q{label(low)}"],
                        last[f"lstmcast_q{label(high)}"], color="tab:red",
                        alpha=0.15 + 0.12 * i, lw=0, label=f"{pct}% interval")
    ax.plot(x_of(last), last["lstmcast"], color="tab:red", lw=1.6, label="lstmcast")
    date_axis(ax, x_of(last))
    name = str(data["target"].iloc[0])
    ax.set_title(f"{name}: the last {steps}-step forecast" +
                 (f", {group} {data[group].iloc[0]}" if group else ""))
    ax.set_xlabel(time or "row")
    ax.set_ylabel(name)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return save_figure(fig, path)


def rul_per_engine(predictions: pd.DataFrame, path: str | os.PathLike, group: str) -> Path:
    """Predicted against true remaining useful life, one point per test engine, with each
    engine's widest central interval when the model has quantiles."""
    data = predictions.sort_values("actual").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(data))
    ax.plot(x, data["actual"], "o-", color="black", ms=3, lw=1, label="true RUL")
    band = band_columns(data.columns)
    if band is not None:
        low, high, pct = band
        ax.vlines(x, data[low], data[high], color="tab:red", alpha=0.35, lw=2,
                  label=f"lstmcast {pct}% interval")
    ax.plot(x, data["lstmcast"], "o", color="tab:red", ms=4, label="lstmcast")
    if "train_mean" in data:
        ax.plot(x, data["train_mean"], "--", color="gray", lw=1, label="train_mean")
    ax.set_xlabel(f"test {group}s, sorted by true RUL")
    ax.set_ylabel("remaining useful life (cycles)")
    rmse = float(np.sqrt(np.mean((data["lstmcast"] - data["actual"]) ** 2)))
    ax.set_title(f"Predicted vs true RUL per test {group} (RMSE {rmse:.2f})")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


GATE_TITLES = {
    "forget": "forget gate z_f (0 = forget, 1 = keep)",
    "input": "input gate z_i (how much new to write)",
    "output": "output gate z_o (how much of the cell to show)",
    "candidate": "candidate z (what would be written, tanh)",
    "cell": "cell state c_t",
    "update": "update gate z (1 = keep the old state)",
    "reset": "reset gate r (0 = ignore the old state)",
}


def time_ticks(ax: plt.Axes, labels: list, axis: str = "x", most: int = 10) -> None:
    """At most ``most`` evenly spaced labels of the window's rows; dates without a time
    of day lose the midnight, and x labels lean so that long ones never overlap."""
    positions = np.linspace(0, len(labels) - 1, min(most, len(labels))).round().astype(int)
    texts = [str(labels[i]) for i in positions]
    if texts and all(text.endswith(" 00:00:00") for text in texts):
        texts = [text[: -len(" 00:00:00")] for text in texts]
    if axis == "x":
        ax.set_xticks(positions)
        ax.set_xticklabels(texts, fontsize=7, rotation=30, ha="right",
                           rotation_mode="anchor")
    else:
        ax.set_yticks(positions)
        ax.set_yticklabels(texts, fontsize=7)


def gate_heatmaps(layer: LayerGates, time_labels: list, time_name: str,
                  path: str | os.PathLike) -> Path:
    """Heatmaps units x time of each gate of one layer; units sorted by mean forget (update)."""
    names = (["forget", "input", "output", "candidate", "cell"] if layer.kind == "LSTM"
             else ["update", "reset", "candidate"])
    key = "forget" if layer.kind == "LSTM" else "update"
    order = np.argsort(layer.gates[key].mean(axis=0))[::-1]  # most remembering unit on top
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.1 * len(names)), sharex=True)
    for ax, name in zip(np.atleast_1d(axes), names):
        values = layer.gates[name][:, order].T  # (H, T)
        diverging = name in ("candidate", "cell")
        limit = max(float(np.abs(values).max()), 1e-9)
        image = ax.imshow(values, aspect="auto", interpolation="nearest",
                          cmap="RdBu_r" if diverging else "viridis",
                          vmin=-limit if diverging else 0.0, vmax=limit if diverging else 1.0)
        ax.set_title(GATE_TITLES.get(name, name), fontsize=9)
        ax.set_ylabel(f"unit ({len(order)})", fontsize=8)
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    last = np.atleast_1d(axes)[-1]
    labels = layer.labels or time_labels[: values.shape[1]]  # the window, not the rows forecast
    time_ticks(last, labels)
    last.set_xlabel(time_name)
    fig.suptitle(f"{layer.kind} layer '{layer.name}': gates over the window "
                 f"(units sorted by mean {key} gate)", fontsize=10)
    return save_figure(fig, path)


def gate_means(layers: list[LayerGates], time_labels: list, time_name: str,
               path: str | os.PathLike) -> Path:
    """Mean of each gate over units, per time step, for every recurrent layer."""
    fig, axes = plt.subplots(len(layers), 1, figsize=(9, 2.6 * len(layers)), squeeze=False)
    for ax, layer in zip(axes[:, 0], layers):
        names = (["forget", "input", "output"] if layer.kind == "LSTM"
                 else ["update", "reset"])
        labels = layer.labels or time_labels[: len(layer.gates[names[0]])]  # the window read
        for name in names:
            ax.plot(np.arange(len(labels)), layer.gates[name].mean(axis=1), label=name)
        ax.set_ylim(0, 1)
        ax.set_ylabel("mean gate value")
        title = f"{layer.kind} layer '{layer.name}'"
        if layer.lookback is not None:
            start = len(labels) - layer.lookback
            ax.axvspan(start - 0.5, len(labels) - 0.5, color="gray", alpha=0.12,
                       label=f"look-back ({layer.lookback} steps)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
        time_ticks(ax, labels)
    axes[-1, 0].set_xlabel(time_name)
    return save_figure(fig, path)


def attribution_maps(explanation: Explanation, time_name: str, path: str | os.PathLike) -> Path:
    """Integrated-gradients attribution: a time x feature heatmap and a bar per feature."""
    attr = explanation.attributions  # (T, F)
    names = explanation.feature_names
    fig, (ax_map, ax_bar) = plt.subplots(
        1, 2, figsize=(12, max(3.5, 0.28 * len(names) + 1.5)),
        gridspec_kw={"width_ratios": [3, 1.2]})
    limit = max(float(np.abs(attr).max()), 1e-12)
    image = ax_map.imshow(attr.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")
    ax_map.set_yticks(np.arange(len(names)))
    ax_map.set_yticklabels(names, fontsize=7)
    time_ticks(ax_map, explanation.time_labels)
    ax_map.set_xlabel(time_name)
    ax_map.set_title("attribution per time step and feature (red raises the output)",
                     fontsize=9)
    fig.colorbar(image, ax=ax_map, fraction=0.03, pad=0.01)
    total = explanation.feature_importance()
    colors = ["tab:red" if v > 0 else "tab:blue" for v in total]
    ax_bar.barh(np.arange(len(names)), total, color=colors)
    ax_bar.set_yticks(np.arange(len(names)))
    ax_bar.set_yticklabels(names, fontsize=7)
    ax_bar.invert_yaxis()
    ax_bar.axvline(0, color="black", lw=0.8)
    ax_bar.set_xlabel("sum over the window")
    ax_bar.set_title("per feature", fontsize=9)
    fig.suptitle(f"What drove the output: {explanation.output:.4g} against "
                 f"{explanation.baseline_output:.4g} for the baseline window (model units)",
                 fontsize=10)
    return save_figure(fig, path)


def explanation_figures(explanation: Explanation, folder: str | os.PathLike,
                        time_name: str = "time step") -> list[Path]:
    """Write every picture of an explanation into ``folder``; return their paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = [attribution_maps(explanation, time_name, out / "attribution.png"),
             gate_means(explanation.layers, explanation.time_labels, time_name,
                        out / "gate_means.png")]
    for layer in explanation.layers:
        paths.append(gate_heatmaps(layer, explanation.time_labels, time_name,
                                   out / f"gates_{layer.name}.png"))
    (out / "summary.txt").write_text(explanation.summary() + "\n")
    return paths
