"""One contender of benchmarks/speed.py, in a process of its own; prints one JSON line.

Runs under lstmcast's environment or a peer's (benchmarks/peers/.venv-*), so it
imports only what its contender needs. Every contender trains the tutorial's
model (LSTM 100 -> Dropout 0.2 -> LSTM 50 -> Dropout 0.2 -> Dense 1; MSE;
Adam 1e-3) on the same random windows with the same batch, after one warm-up
epoch (graph tracing and compilation happen there), then predicts.

    python benchmarks/speed_worker.py CONTENDER --samples N --window T --features F
        --units U --epochs E [--steps S] [--precision bfloat16]

CONTENDER: sequential, forecaster, torch-loop, keras (backend from KERAS_BACKEND),
rows (peak memory of windows over 10^k rows: lstmcast views), copies (the
tutorial's list-of-windows arrays), fd001 (lstmcast's defaults on C-MAPSS FD001),
keras-recipe (the tutorial's recipe in Keras on FD001 arrays).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB. (getrusage's ru_maxrss
    is not used: it carries the parent's peak across fork and exec.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6  # kB are KiB
    raise RuntimeError("no VmHWM in /proc/self/status")


def data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, args.window, args.features)).astype(np.float32)
    y = rng.normal(size=(args.samples, 1)).astype(np.float32)
    return x, y


def timed(fn, *a, **k) -> float:
    start = time.perf_counter()
    fn(*a, **k)
    return time.perf_counter() - start


# -- lstmcast -------------------------------------------------------------------------
def lstmcast_model(args: argparse.Namespace, shape: tuple[int, int]):
    from lstmcast.layers import LSTM, Activation, Dense, Dropout
    from lstmcast.models import Sequential

    model = Sequential(device=args.device, precision=args.precision)
    model.add(LSTM(units=args.units, input_shape=shape, return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=args.units // 2, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.add(Activation("linear"))
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    return model


def run_sequential(args: argparse.Namespace) -> dict:
    import torch

    torch.manual_seed(0)
    x, y = data(args)
    model = lstmcast_model(args, x.shape[1:])
    steps = {"steps_per_epoch": args.steps} if args.steps else {}
    model.fit(x, y, epochs=1, batch_size=args.batch, verbose=0, **steps)  # warm-up
    seconds = timed(model.fit, x, y, epochs=args.epochs, batch_size=args.batch, verbose=0,
                    **steps)
    trained = (args.steps * args.batch if args.steps else len(x)) * args.epochs
    return {"train": trained / seconds, **predict_rates(model.predict, x, args),
            "versions": {"torch": torch.__version__}}


def run_forecaster(args: argparse.Namespace) -> dict:
    """Forecaster.fit on one table whose windows are the same shapes as above;
    its rate counts training windows only, though it also scales the table,
    builds the windows and runs a validation pass every epoch."""
    import pandas as pd
    import torch

    from lstmcast import Forecaster

    rows = args.samples + args.window  # one series: samples + window - 1 windows, +1 target
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(rows, args.features)).astype(np.float32),
                         columns=[f"x{i}" for i in range(args.features)])
    table["y"] = rng.normal(size=rows).astype(np.float32)
    kwargs = dict(window=args.window, units=(args.units, args.units // 2), batch_size=args.batch,
                  early_stopping=False, validation=0.1, device="cpu", precision=args.precision)
    features = list(table.columns[:-1])
    Forecaster(epochs=1, **kwargs).fit(table.iloc[: rows // 10], "y", features)  # warm-up
    model = Forecaster(epochs=args.epochs, **kwargs)
    seconds = timed(model.fit, table, "y", features)
    return {"train": model.n_windows_["train"] * args.epochs / seconds,
            "versions": {"torch": torch.__version__}}


# -- a hand-written PyTorch loop ------------------------------------------------------------
def run_torch_loop(args: argparse.Namespace) -> dict:
    import torch
    from torch import nn

    class Model(nn.Module):  # the same model as anyone would write it in PyTorch
        def __init__(self) -> None:
            super().__init__()
            self.lstm1 = nn.LSTM(args.features, args.units, batch_first=True)
            self.drop1 = nn.Dropout(0.2)
            self.lstm2 = nn.LSTM(args.units, args.units // 2, batch_first=True)
            self.drop2 = nn.Dropout(0.2)
            self.dense = nn.Linear(args.units // 2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x, _ = self.lstm1(x)
            x, _ = self.lstm2(self.drop1(x))
            return self.dense(self.drop2(x[:, -1]))

    torch.manual_seed(0)
    x, y = data(args)
    device = torch.device(args.device)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)  # data resident
    model = Model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def epochs(n: int) -> None:
        model.train()
        for _ in range(n):
            order = torch.randperm(len(xt), device=device)
            for i in range(0, len(xt), args.batch):
                idx = order[i: i + args.batch]
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()
        loss.item()  # wait for the device

    def predict(x_in: np.ndarray, batch_size: int) -> torch.Tensor:
        model.eval()
        with torch.no_grad():
            outputs = [model(torch.from_numpy(x_in[i: i + batch_size]).to(device)).cpu()
                       for i in range(0, len(x_in), batch_size)]
        return torch.cat(outputs)

    epochs(1)
    seconds = timed(epochs, args.epochs)
    return {"train": len(x) * args.epochs / seconds, **predict_rates(predict, x, args),
            "versions": {"torch": torch.__version__}}


# -- Keras 3 on any backend ------------------------------------------------------------
def run_keras(args: argparse.Namespace) -> dict:
    import keras

    keras.utils.set_random_seed(0)
    x, y = data(args)
    model = keras.Sequential([
        keras.Input(shape=x.shape[1:]),
        keras.layers.LSTM(args.units, return_sequences=True),
        keras.layers.Dropout(0.2),
        keras.layers.LSTM(args.units // 2, return_sequences=False),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(1),
        keras.layers.Activation("linear"),
    ])
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    model.fit(x, y, epochs=1, batch_size=args.batch, verbose=0)  # warm-up: tracing, compiling
    seconds = timed(model.fit, x, y, epochs=args.epochs, batch_size=args.batch, verbose=0)
    versions = {"keras": keras.__version__, "backend": keras.backend.backend()}
    backend = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[versions["backend"]]
    versions[backend] = sys.modules[backend].__version__
    return {"train": len(x) * args.epochs / seconds,
            **predict_rates(lambda a, batch_size: model.predict(a, batch_size=batch_size,
                                                                verbose=0), x, args),
            "versions": versions}


def predict_rates(predict, x: np.ndarray, args: argparse.Namespace) -> dict:
    """Inference samples/s at the training batch (200): best of three passes."""
    predict(x[: args.batch * 4], batch_size=args.batch)  # warm-up
    best = min(timed(predict, x, batch_size=args.batch) for _ in range(3))
    return {"predict": len(x) / best}


# -- memory of windows over many rows -------------------------------------------------------
def run_rows(args: argparse.Namespace) -> dict:
    """Train on zero-copy windows of 30 over (rows, features) float32: the
    process's peak memory (speed.py subtracts the same run's peak on 1,000 rows)."""
    import torch

    from lstmcast.tables.windows import make_windows

    torch.manual_seed(0)
    model = lstmcast_model(args, (args.window, args.features))
    rng = np.random.default_rng(0)
    table = rng.standard_normal((args.samples, args.features), dtype=np.float32)
    target = table[:, 0].copy()
    x, y = make_windows(table, args.window, target=target)
    seconds = timed(model.fit, x, y, epochs=1, batch_size=args.batch, verbose=0,
                    steps_per_epoch=args.steps)
    return {"rows": args.samples, "windows": len(x),
            "raw_mb": (table.nbytes + target.nbytes) / 1e6,
            "state_mb": model.count_params() * 4 * 4 / 1e6,  # weights, grads, Adam's 2 moments
            "train": min(args.steps * args.batch, len(x)) / seconds}


def run_copies(args: argparse.Namespace) -> dict:
    """The tutorial's windows: a list of slices stacked into one (N, T, F) array."""
    rng = np.random.default_rng(0)
    table = rng.standard_normal((args.samples, args.features), dtype=np.float32)
    result = [table[i: i + args.window] for i in range(len(table) - args.window)]
    windows = np.array(result)
    del result
    return {"rows": args.samples, "windows": len(windows), "raw_mb": table.nbytes / 1e6}


# -- accuracy and time to accuracy on C-MAPSS FD001 -------------------------------------
def run_fd001(args: argparse.Namespace) -> dict:
    """lstmcast's defaults on FD001 (benchmarks/cmapss.py, config a): wall time and
    test RMSE. ``--torch-dropout`` swaps lstmcast's dropout masks for nn.Dropout."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cmapss import cmapss_run

    if args.torch_dropout:
        import torch

        import lstmcast.layers

        lstmcast.layers.DropoutBlock = torch.nn.Dropout
    config = {"precision": args.precision} if args.precision != "float32" else {}
    return cmapss_run("FD001", config, args.seed, 100)


def run_keras_recipe(args: argparse.Namespace) -> dict:
    """The tutorial's recipe in Keras (100 epochs, batch 200) on arrays prepared by
    speed.py; test RMSE after every epoch, the checks' time left off the clock.
    Stops at the first epoch with RMSE <= --goal (or after 100)."""
    import keras

    arrays = np.load(args.arrays)
    x, y, x_test, truth = (arrays[k] for k in ("x", "y", "x_test", "truth"))
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([
        keras.Input(shape=x.shape[1:]),
        keras.layers.LSTM(100, return_sequences=True), keras.layers.Dropout(0.2),
        keras.layers.LSTM(50, return_sequences=False), keras.layers.Dropout(0.2),
        keras.layers.Dense(1), keras.layers.Activation("linear"),
    ])
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    curve: list[tuple[float, float]] = []
    clock = {"start": time.perf_counter(), "excluded": 0.0}

    class TestRMSE(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            started = time.perf_counter()
            predicted = self.model.predict(x_test, batch_size=1024, verbose=0)[:, 0]
            rmse = float(np.sqrt(np.mean((predicted - truth) ** 2)))
            ended = time.perf_counter()
            clock["excluded"] += ended - started
            curve.append((ended - clock["start"] - clock["excluded"], rmse))
            if rmse <= args.goal:
                self.model.stop_training = True

    model.fit(x, y, epochs=100, batch_size=200, verbose=0, callbacks=[TestRMSE()])
    reached = next((t for t, r in curve if r <= args.goal), None)
    return {"epochs": len(curve), "seconds_to_goal": reached,
            "seconds": curve[-1][0], "rmse": curve[-1][1], "curve": curve,
            "versions": {"keras": keras.__version__, "backend": keras.backend.backend()}}


CONTENDERS = {"sequential": run_sequential, "forecaster": run_forecaster,
              "torch-loop": run_torch_loop, "keras": run_keras, "rows": run_rows,
              "copies": run_copies, "fd001": run_fd001, "keras-recipe": run_keras_recipe}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=0, help="batches per epoch (0: all)")
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--device", default="cpu", help="sequential, torch-loop: cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-dropout", action="store_true")
    parser.add_argument("--arrays", help="keras-recipe: the .npz written by speed.py")
    parser.add_argument("--goal", type=float, default=16.0, help="keras-recipe: RMSE goal")
    args = parser.parse_args()
    result = CONTENDERS[args.contender](args)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
