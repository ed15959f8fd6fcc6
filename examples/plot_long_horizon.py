"""
Long horizons: four days ahead on ETTh2, against the linear map
===============================================================

Far ahead, a least-squares linear map of the window is hard to beat, and the
tutorial's point-by-point stack loses to it. The ``long-horizon`` preset cuts
the window into segments, normalizes each window by its last value, and
forecasts the mean of the network and that linear map (``blend``). Its scores
show the two halves alone (``networks``, ``linear_map``) beside the baselines.

Small here: the oil temperature alone, 4,000 hours to train, 2 epochs. The
standard protocol on the whole table is ``make bench-longhorizon``
(:doc:`/longhorizon`).
"""

# %%
import matplotlib.pyplot as plt

from lstmcast import Forecaster
from lstmcast.datasets import load_etth2

table = load_etth2()[["date", "OT"]]
train, scored = table[:4000], table[:5500]  # scored: the 1,500 hours after training
model = Forecaster.preset("long-horizon", window=96, steps=96, epochs=2, seed=0, verbose=0)
model.fit(train, target="OT", time="date")
print(model)

# %%
# Every 96-hour forecast from the hours after the training data, scored: the
# model, its two halves, and the baselines.
scores = model.evaluate(scored)
print(scores[["model", "mae", "rmse", "mase"]].round(3).to_string(index=False))

order = scores.sort_values("rmse")
colors = ["tab:red" if m == "lstmcast" else "tab:orange" if m in ("networks", "linear_map")
          else "tab:gray" for m in order["model"]]
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.barh(order["model"], order["rmse"], color=colors)
ax.invert_yaxis()
ax.set_xlabel("RMSE over the 96 steps (°C)")
ax.set_title("96 hours ahead: the blend, its halves and the baselines")
ax.grid(alpha=0.3, axis="x")
fig.tight_layout()
