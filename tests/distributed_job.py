"""A data-parallel job for the tests: run under torchrun (``python -m torch.distributed.run``).

    python -m torch.distributed.run --nproc-per-node 2 tests/distributed_job.py OUT.json MODE

MODE "fit": a Sequential (no dropout) for 3 epochs; rank 0 writes its history,
the windows each rank took each epoch and the final weights' checksum.
MODE "die": rank 1 exits in the middle of epoch 2; rank 0 reports what it raised.
MODE "few": more ranks than training windows; rank 0 reports what it raised.
"""

import json
import os
import sys

import numpy as np
import torch

from lstmcast import distributed
from lstmcast.callbacks import Callback
from lstmcast.layers import LSTM, Dense
from lstmcast.models import Sequential


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 12, 3)).astype("float32")
    y = (x[:, -1, :1] * 0.5 + x[:, :, 1:2].mean(axis=1)).astype("float32")
    return x[:900], y[:900], x[900:], y[900:]


def model(seed=0):
    torch.manual_seed(seed)
    m = Sequential([LSTM(16, input_shape=(12, 3)), Dense(1)], device="cpu")
    m.compile(loss="mse", optimizer="adam", metrics=["mae"])
    return m


class Die(Callback):
    def on_train_batch_end(self, step, logs=None):
        if distributed.rank() == 1 and len(self.model.history_epochs) == 1 and step == 2:
            os._exit(3)


class Epochs(Callback):
    def on_train_begin(self, logs=None):
        self.model.history_epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.model.history_epochs.append(epoch)


def main():
    out, mode = sys.argv[1], sys.argv[2]
    distributed.init()
    x, y, xv, yv = data()
    m = model()
    taken = []
    if mode == "fit":  # record the windows each rank's batches held
        original = distributed.shard

        def recording(batch, part, parts):
            got = original(batch, part, parts)
            taken.append(got.tolist())
            return got

        distributed.shard = recording
        history = m.fit(x, y, epochs=3, batch_size=64, validation_data=(xv, yv), verbose=0)
        distributed.shard = original
        every = [None] * distributed.world_size()
        torch.distributed.all_gather_object(every, taken)
        if distributed.is_main():
            weights = [w.tolist() for w in m.get_weights()]
            json.dump({"history": history.history, "taken": every, "weights": weights},
                      open(out, "w"))
    else:
        try:
            if mode == "few":
                m.fit(x[:1], y[:1], epochs=1, verbose=0)
            else:
                m.fit(x, y, epochs=5, batch_size=64, callbacks=[Epochs(), Die()], verbose=0)
            result = "finished"
        except Exception as exc:  # noqa: BLE001 - the test reads what was raised
            result = f"{type(exc).__name__}: {exc}"
        json.dump({"rank0": result}, open(out, "w"))
    distributed.close()


if __name__ == "__main__":
    main()
