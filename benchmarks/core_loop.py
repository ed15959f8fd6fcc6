"""lstmcast's Sequential.fit against a plain hand-written PyTorch loop, side by side.

Both train the tutorial's model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> Dropout
0.2 -> Dense 1; MSE; Adam lr 1e-3) on the same random windows (N, 30, 40) with
batch 200, in one process, alternating A B A B so that machine drift hits both
alike. Prints training samples/s (median, min-max) and the ratio.

    python benchmarks/core_loop.py [--samples 20000] [--epochs 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

from lstmcast.layers import LSTM, Activation, Dense, Dropout
from lstmcast.models import Sequential


class HandWritten(nn.Module):
    """The same model as anyone would write it in PyTorch."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.lstm1 = nn.LSTM(features, 100, batch_first=True)
        self.drop1 = nn.Dropout(0.2)
        self.lstm2 = nn.LSTM(100, 50, batch_first=True)
        self.drop2 = nn.Dropout(0.2)
        self.dense = nn.Linear(50, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, _ = self.lstm1(x)
        x = self.drop1(x)
        x, _ = self.lstm2(x)
        x = self.drop2(x[:, -1])
        return self.dense(x)


def hand_written_epochs(x: np.ndarray, y: np.ndarray, epochs: int, batch: int) -> float:
    model = HandWritten(x.shape[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)[:, None]
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = order[i : i + batch]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    return len(x) * epochs / (time.perf_counter() - start)


def lstmcast_epochs(x: np.ndarray, y: np.ndarray, epochs: int, batch: int) -> float:
    model = Sequential(device="cpu")
    model.add(LSTM(units=100, input_shape=x.shape[1:], return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=50, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.add(Activation("linear"))
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
    return len(x) * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 30, args.features)).astype(np.float32)
    y = rng.normal(size=args.samples).astype(np.float32)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.samples} windows (30, {args.features}), batch {args.batch}, "
          f"{args.epochs} epochs x {args.rounds} rounds, alternating")
    contenders = {"hand-written torch loop": hand_written_epochs,
                  "lstmcast Sequential.fit": lstmcast_epochs}
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            torch.manual_seed(0)
            rates[name].append(run(x, y, args.epochs, args.batch))
    for name, values in rates.items():
        print(f"{name:26s} {statistics.median(values):9,.0f} samples/s "
              f"(min {min(values):,.0f}, max {max(values):,.0f})")
    ratio = statistics.median(rates["lstmcast Sequential.fit"]) / statistics.median(
        rates["hand-written torch loop"])
    print(f"ratio lstmcast / hand-written: {ratio:.3f}")


if __name__ == "__main__":
    main()
