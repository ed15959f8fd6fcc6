"""
Your own CSV: text dates, a calendar, an input known in advance
===============================================================

Most tables look like this one: a first column of dates written as text and
numeric columns. ETTh2 (hourly transformer loads and oil temperature, shipped
with the package) plays the part of yours. The oil temperature ``OT`` is the
target; suppose the high and middle useful loads (``HUFL``, ``MUFL``) are
planned a day ahead: they are inputs known in advance (``future``), and the
network reads them over the rows it forecasts too. ``calendar=True`` adds the
hour, weekday and day of year as inputs known in advance.

Small here (3,000 hours, 10 epochs) to build quickly; see the guide
:doc:`/guides/own-csv` for the whole file and the command line.
"""

# %%
# Two files to play the part of yours: the history, and the planned loads of
# the next 24 hours.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from lstmcast import Forecaster, plots
from lstmcast.datasets import load_etth2

folder = Path(tempfile.mkdtemp())
table = load_etth2()
print(table.head(3).to_string(index=False))  # the date is text: "2016-07-01 00:00:00"
table[:3000].to_csv(folder / "history.csv", index=False)
table[3000:3024][["date", "HUFL", "MUFL"]].to_csv(folder / "planned.csv", index=False)

# %%
# Train: the dates are parsed and their frequency found (hourly), the calendar
# is derived from them.
history = pd.read_csv(folder / "history.csv")
planned = pd.read_csv(folder / "planned.csv")
model = Forecaster(window=48, steps=24, units=(64, 32), calendar=True, epochs=10, seed=0,
                   verbose=0)
model.fit(history, target="OT", time="date", future=["HUFL", "MUFL"])
print("inputs:", model.inputs_)

# %%
# Forecast the next 24 hours, with the planned loads for those hours; the
# dates continue the table's. Trained this briefly, the forecast follows the
# planned loads' hour-to-hour swings more than the oil temperature does: the
# network reads them straight into its output layer, and 10 epochs on 3,000
# hours do not teach it how little they move the temperature.
forecast = model.predict(history, future=planned)
print(forecast.head(3).to_string(index=False))

recent = history.tail(24 * 5).assign(date=lambda f: pd.to_datetime(f["date"]))
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(recent["date"], recent["OT"], color="black", lw=1.2, label="history")
ax.plot(forecast["date"], forecast["OT"], color="tab:red", lw=1.6, label="forecast, 24 h")
actual = table[3000:3024].assign(date=lambda f: pd.to_datetime(f["date"]))
ax.plot(actual["date"], actual["OT"], color="black", lw=1, ls="--", label="what happened")
plots.date_axis(ax, recent["date"])
ax.set_ylabel("oil temperature OT (°C)")
ax.set_title("The next day from the last five, with planned loads and the calendar")
ax.grid(alpha=0.3)
ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()
