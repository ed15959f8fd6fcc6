"""``lstmcast demo``: the tutorial's model (SPEC M1, M2) on NASA C-MAPSS FD001.

The protocol, in the order it runs:

1. Load FD001 as shipped in the package; the training target is the remaining
   useful life (RUL) clipped at 125 cycles.
2. Hold out 20% of the training engines (whole engines) for early stopping.
3. Drop the columns that never vary in training; min-max scale features and
   target on the remaining training engines only.
4. Windows of 30 cycles per engine, never across engines; each window is
   labelled with the RUL at its last cycle (horizon 0).
5. Train LSTM(100) -> Dropout(0.2) -> LSTM(50) -> Dropout(0.2) -> Dense(1) ->
   linear with MSE and Adam, batch 200, up to 100 epochs, stopping early when
   the held-out engines' loss has not improved for 10 epochs (or after 240 s
   of training, so that the demo always ends within 5 minutes on 2 cores).
6. Predict from the last 30 cycles of each test engine (engines with fewer
   cycles are padded with their first row) and compare with RUL_FD001.txt,
   whose true RUL is not clipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmcast.callbacks import EarlyStopping, TimeLimit
from lstmcast.datasets import load_cmapss
from lstmcast.layers import LSTM, Activation, Dense, Dropout
from lstmcast.models import Sequential
from lstmcast.scaling import Scaler
from lstmcast.seeding import set_seed
from lstmcast.windows import make_windows

WINDOW = 30
TRAINING_BUDGET_SECONDS = 240  # keeps the whole demo under 5 minutes on 2 cores


@dataclass
class DemoResult:
    rmse: float
    mae: float
    mape: float
    baseline_rmse: float
    epochs: int
    seconds: float
    model: Sequential


def last_windows(frame: pd.DataFrame, columns: list[str], window: int) -> np.ndarray:
    """The last ``window`` rows of each unit, (units, window, features); short units padded
    at the front with their first row."""
    out = []
    for _, rows in frame.groupby("unit", sort=True):
        values = rows[columns].to_numpy(dtype=np.float32)[-window:]
        if len(values) < window:
            values = np.concatenate([np.repeat(values[:1], window - len(values), 0), values])
        out.append(values)
    return np.stack(out)


def run_demo(epochs: int = 100, seed: int = 0, verbose: int = 2, subset: str = "FD001",
             budget_seconds: float = TRAINING_BUDGET_SECONDS) -> DemoResult:
    """Train and evaluate the tutorial's model on a C-MAPSS subset; see the module doc."""
    started = time.perf_counter()
    set_seed(seed)
    data = load_cmapss(subset, rul_cap=125)
    train = data.train
    units = np.sort(train["unit"].unique())
    rng = np.random.default_rng(seed)
    held_out = rng.choice(units, size=max(1, len(units) // 5), replace=False)
    fit_part = train[~train["unit"].isin(held_out)]
    val_part = train[train["unit"].isin(held_out)]

    candidates = [c for c in train.columns if c not in ("unit", "cycle", "rul")]
    features = [c for c in candidates if fit_part[c].std() > 0]
    x_scaler = Scaler("minmax").fit(fit_part[features].to_numpy())
    y_scaler = Scaler("minmax").fit(fit_part["rul"].to_numpy())

    def windows(part: pd.DataFrame):
        x = x_scaler.transform(part[features].to_numpy()).astype(np.float32)
        y = y_scaler.transform(part["rul"].to_numpy()).astype(np.float32)
        return make_windows(x, WINDOW, target=y, horizon=0, groups=part["unit"].to_numpy())

    train_x, train_y = windows(fit_part)
    val_x, val_y = windows(val_part)
    test_raw = last_windows(data.test, features, WINDOW)
    test_x = x_scaler.transform(test_raw.reshape(-1, len(features))).reshape(test_raw.shape)
    test_y = data.test_rul.to_numpy(dtype=np.float64)
    if verbose:
        print(f"C-MAPSS {subset}: {len(units)} training engines ({len(held_out)} held out for "
              f"early stopping), {len(features)} features, windows of {WINDOW} cycles.")
        print(f"Network input (samples, time_steps, features): train {train_x.shape}, "
              f"validation {val_x.shape}, test {test_x.shape}")
        print("Training MAPE is huge by design: the RUL reaches 0 at failure, and Keras's MAPE "
              "divides by max(|y|, 1e-7). Test MAPE uses the test engines' true RUL (>= 7).")

    model = Sequential()
    model.add(LSTM(units=100, input_shape=(WINDOW, len(features)), return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=50, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.add(Activation("linear"))
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    if verbose:
        model.summary()
    history = model.fit(train_x, train_y, epochs=epochs, batch_size=200,
                        validation_data=(val_x, val_y), verbose=verbose,
                        callbacks=[EarlyStopping(patience=10, restore_best_weights=True),
                                   TimeLimit(budget_seconds, verbose=verbose)])

    scaled = model.predict(test_x.astype(np.float32))[:, 0]
    predicted = y_scaler.inverse_transform(scaled)
    error = predicted - test_y
    baseline = np.full_like(test_y, fit_part["rul"].mean())
    result = DemoResult(
        rmse=float(np.sqrt(np.mean(error**2))),
        mae=float(np.mean(np.abs(error))),
        mape=float(100 * np.mean(np.abs(error) / np.maximum(np.abs(test_y), 1e-7))),
        baseline_rmse=float(np.sqrt(np.mean((baseline - test_y) ** 2))),
        epochs=len(history.epoch),
        seconds=time.perf_counter() - started,
        model=model,
    )
    if verbose:
        print(f"\nTest on the last window of each of {len(test_y)} test engines "
              f"(true RUL from RUL_{subset}.txt, not clipped):")
        print(f"  lstmcast LSTM              RMSE {result.rmse:6.2f}   MAE {result.mae:6.2f}"
              f"   MAPE {result.mape:6.1f}%")
        print(f"  baseline: mean train RUL   RMSE {result.baseline_rmse:6.2f}")
        print("  published LSTM (Zheng et al. 2017): RMSE 16.14")
        print(f"Trained {result.epochs} epochs in {result.seconds:.0f} s.")
    return result
