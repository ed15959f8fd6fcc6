"""
The gates of your own model
===========================

The tutorial explains what the forget, input and output gates do. ``explain``
shows them for a trained model and one of its windows: the tutorial's
equations (``lstmcast.reference``) run on the model's own weights reproduce
its forecast within 1e-5, so the pictures are of the real model. Here, a
model of the airline passengers (shipped with the package), and the window
before its last forecast.
"""

# %%
import tempfile
from pathlib import Path

from lstmcast import Forecaster, plots
from lstmcast.datasets import load_airline

data = load_airline()
model = Forecaster(window=24, units=(32, 16), epochs=40, blend=None, seed=0, verbose=0)
model.fit(data, target="passengers", time="month")

explanation = model.explain(data)
print(explanation.summary())

# %%
# Every gate of the first LSTM layer over the window (units sorted by how much
# their forget gate keeps), then the cell state.
folder = Path(tempfile.mkdtemp())
pictures = plots.explanation_figures(explanation, folder, time_name="month")
first_layer = next(p for p in pictures if p.name.startswith("gates_"))
plots.show(first_layer)

# %%
# What drove the forecast: integrated gradients over time steps and inputs.
plots.show(folder / "attribution.png")
