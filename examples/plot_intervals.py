"""
Intervals: quantiles, calibration and the fan chart
===================================================

A forecast is more useful with how far off it may be. ``quantiles`` trains
one output per level on the pinball loss; ``calibrate`` moves each level by a
quantile of the validation windows' errors (split conformal), so that an 80%
interval covers about 80% of the truths when the errors to come look like the
validation errors. The scores give each interval's coverage and width beside
the baselines' intervals, and the fan chart draws the last forecast with its
bands.

Small here (4,000 hours, 3 epochs); see :doc:`/guides/intervals` and
:doc:`/intervals` for the measured coverage on the whole table.
"""

# %%
import tempfile
from pathlib import Path

from lstmcast import Forecaster, plots
from lstmcast.datasets import load_etth2

table = load_etth2()[["date", "OT", "HUFL", "MUFL"]]
model = Forecaster(window=48, steps=24, units=(64, 32), quantiles=(0.1, 0.5, 0.9), calibrate=True,
                   epochs=3, seed=0, verbose=0)
model.fit(table[:4000], target="OT", time="date")

# %%
# Coverage and width of the central 80% interval (0.1 to 0.9) on the 1,000
# hours after the training data, beside the baselines' intervals.
scores, predictions = model.evaluate(table[:5000], return_predictions=True)
columns = [c for c in ("model", "rmse", "crps", "coverage_80", "width_80") if c in scores]
print(scores[columns].round(3).to_string(index=False))

# %%
# The fan chart: the last 24-hour forecast with its interval, after three days
# of history (``fan.png`` in a run folder).
folder = Path(tempfile.mkdtemp())
plots.show(plots.fan_chart(predictions, folder / "fan.png", None, "date"))
