"""
The tutorial's script, imports swapped
======================================

The classic Keras LSTM tutorial trains a ``Sequential`` stack (LSTM 100,
Dropout, LSTM 50, Dropout, Dense 1, linear) on windows of 30 cycles of NASA's
C-MAPSS engines, to forecast each engine's remaining useful life (RUL). Here
is its script with only the import lines changed: ``keras.models`` becomes
``lstmcast.models`` and ``keras.layers`` becomes ``lstmcast.layers``.

To build this page in seconds it trains on 20 of the 100 training engines for
3 epochs; the tutorial's own call is ``fit(trainX, trainY, epochs=100,
batch_size=200)`` on every engine (``make demo`` runs that).
"""

# %%
# The data: windows of 30 cycles, the target at each window's last cycle
# ----------------------------------------------------------------------
# ``make_windows`` cuts the table into windows without copying it, and never
# lets a window run from one engine into the next (``groups``).
import matplotlib.pyplot as plt
import numpy as np

from lstmcast import make_windows, set_seed
from lstmcast.datasets import load_cmapss
from lstmcast.layers import LSTM, Activation, Dense, Dropout  # was: from keras.layers import ...
from lstmcast.models import Sequential  # was: from keras.models import Sequential

set_seed(0)
data = load_cmapss("FD001")  # shipped with the package: RUL capped at 125 cycles
features = data.features
train = data.train[data.train["unit"] <= 20]
low, high = train[features].min(), train[features].max()


def scaled(frame):
    """Min-max scaling fitted on the training engines only."""
    return ((frame[features] - low) / (high - low).replace(0, 1)).to_numpy(np.float32)


sequence_length = 30
trainX, trainY = make_windows(scaled(train), sequence_length, horizon=0,
                              target=train["rul"].to_numpy(np.float32) / 125,
                              groups=train["unit"].to_numpy())
print("trainX:", trainX.shape, "(samples, time steps, features)")

# %%
# The tutorial's model, as written
# --------------------------------
model = Sequential()
model.add(LSTM(units=100, input_shape=(sequence_length, len(features)),
               return_sequences=True))
model.add(Dropout(0.2))
model.add(LSTM(units=50, return_sequences=False))
model.add(Dropout(0.2))
model.add(Dense(units=1))
model.add(Activation("linear"))
model.compile(loss="mse", optimizer="adam", metrics=["mae"])
model.summary()  # the shapes the tutorial gets wrong: (None, 30, 100), then (None, 50)

fit_result = model.fit(trainX, trainY, epochs=3, batch_size=200, verbose=2)

# %%
# Predict the last window of each test engine
# -------------------------------------------
# A test engine stops before it fails; its true RUL after the last cycle ships
# with the data (``data.test_rul``).
engines = [g for _, g in data.test.groupby("unit") if len(g) >= sequence_length]
testX = np.stack([scaled(g)[-sequence_length:] for g in engines])
testY = np.array([g["rul"].iloc[-1] for g in engines], dtype=np.float32)
predicted = model.predict(testX)[:, 0] * 125
rmse = float(np.sqrt(np.mean((predicted - testY) ** 2)))
print(f"{len(testY)} test engines, RMSE {rmse:.1f} cycles after 3 epochs")

order = np.argsort(testY)
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(testY[order], "o-", color="black", ms=3, lw=1, label="true RUL")
ax.plot(predicted[order], "o", color="tab:red", ms=4, label="the tutorial's model")
ax.set_xlabel("test engines, sorted by true RUL")
ax.set_ylabel("remaining useful life (cycles)")
ax.set_title(f"The tutorial's stack after 3 epochs on 20 engines (RMSE {rmse:.1f})")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
