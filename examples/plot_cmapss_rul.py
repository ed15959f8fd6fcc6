"""
Remaining useful life per engine (C-MAPSS)
==========================================

The table's face on the tutorial's data: a ``Forecaster`` reads the C-MAPSS
table by its column names (engine ``unit``, ``cycle``, the sensors, the
``rul`` target), makes the windows per engine, scales on the training engines
only, holds out whole engines for early stopping, and scores the last window
of each test engine beside a baseline.

To build the page quickly it trains on 25 of the 100 training engines for 3
epochs; the defaults train on all of them for up to 100 epochs
(``lstmcast train cmapss:FD001`` or ``make demo``).
"""

# %%
import tempfile
from pathlib import Path

from lstmcast import Forecaster, plots
from lstmcast.datasets import load_cmapss

data = load_cmapss("FD001")
model = Forecaster(window=30, horizon=0, validation_by="series", epochs=3, seed=0, verbose=0)
train = data.train[data.train["unit"] <= 25]
model.fit(train, target="rul", group="unit", time="cycle", features=data.features)

# %%
# Scores on the last window of each of the 100 test engines: the model beside
# the training mean, with RMSE and the PHM08 score.
scores, predictions = model.evaluate(data.test, last_only=True, return_predictions=True)
print(scores.round(2).to_string(index=False))

# %%
# Predicted against true RUL, one point per test engine (the picture a run
# folder holds as ``rul.png``).
folder = Path(tempfile.mkdtemp())
plots.show(plots.rul_per_engine(predictions, folder / "rul.png", "unit"))
