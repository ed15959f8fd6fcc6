"""PNG pictures for a run folder: loss curves, forecasts against actuals, RUL per engine.

matplotlib draws off-screen (the Agg backend): no display is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

BASELINE_STYLE = {"naive": (":", "tab:orange"), "seasonal_naive": ("-.", "tab:purple"),
                  "window_mean": ("--", "tab:green"), "train_mean": ("--", "tab:gray")}


def _save(fig: plt.Figure, path: str | os.PathLike) -> Path:
    target = Path(path)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def loss_curve(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """Training and validation loss per epoch."""
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss", color="tab:blue")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], label="validation loss", color="tab:orange")
        best = int(np.argmin(history["val_loss"]))
        ax.axvline(best + 1, color="gray", lw=0.8, ls="--", label=f"best epoch ({best + 1})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    ax.set_yscale("log")
    ax.set_title("Loss per epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def forecasts(predictions: pd.DataFrame, path: str | os.PathLike, group: str | None,
              time: str | None, max_series: int = 4) -> Path:
    """Actual against one-step forecasts (step 1) for a few series, baselines drawn thin."""
    data = predictions[predictions["step"] == 1]
    data = data[data["target"] == data["target"].iloc[0]]
    series = list(pd.unique(data[group]))[:max_series] if group else [None]
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.6 * len(series)), squeeze=False)
    models = [c for c in data.columns if c in BASELINE_STYLE]
    for ax, sid in zip(axes[:, 0], series):
        part = data if sid is None else data[data[group] == sid]
        x = part[time] if time else np.arange(len(part))
        ax.plot(x, part["actual"], color="black", lw=1.6, label="actual")
        ax.plot(x, part["lstmcast"], color="tab:red", lw=1.4, label="lstmcast")
        for model in models:
            style, color = BASELINE_STYLE[model]
            ax.plot(x, part[model], lw=0.9, ls=style, color=color, alpha=0.8, label=model)
        title = f"{data['target'].iloc[0]}" + (f", {group} {sid}" if sid is not None else "")
        ax.set_title(title)
        ax.set_xlabel(time or "row")
        ax.set_ylabel(str(data["target"].iloc[0]))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return _save(fig, path)


def rul_per_engine(predictions: pd.DataFrame, path: str | os.PathLike, group: str) -> Path:
    """Predicted against true remaining useful life, one point per test engine."""
    data = predictions.sort_values("actual").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(data))
    ax.plot(x, data["actual"], "o-", color="black", ms=3, lw=1, label="true RUL")
    ax.plot(x, data["lstmcast"], "o", color="tab:red", ms=4, label="lstmcast")
    if "train_mean" in data:
        ax.plot(x, data["train_mean"], "--", color="gray", lw=1, label="train_mean")
    ax.set_xlabel(f"test {group}s, sorted by true RUL")
    ax.set_ylabel("remaining useful life (cycles)")
    rmse = float(np.sqrt(np.mean((data["lstmcast"] - data["actual"]) ** 2)))
    ax.set_title(f"Predicted vs true RUL per test {group} (RMSE {rmse:.2f})")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)
