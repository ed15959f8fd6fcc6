"""A data-parallel job for the tests: run under torchrun (``python -m torch.distributed.run``).

    python -m torch.distributed.run --nproc-per-node 2 tests/distributed_job.py OUT.json MODE

MODE "fit": a Sequential (no dropout) for 3 epochs; rank 0 writes its history,
the windows each rank took each epoch and the final weights' checksum.
MODE "die": rank 1 exits in the middle of epoch 2; rank 0 reports what it raised.
MODE "few": more ranks than training windows; rank 0 reports what it raised.
MODE "shards" FOLDER: a Forecaster on a Parquet folder read in shards of 2 files;
every rank writes OUT.rankN.json: the shards it trained on and scored per epoch,
its history and its weights' sum.
MODE "fewshards" FOLDER: the same folder as one shard, refused on 2 ranks.
"""

import json
import os
import sys

import numpy as np
import torch

from lstmcast.engine import distributed
from lstmcast.engine.callbacks import Callback
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


def shards(out, folder):
    """The shards each rank reads while training, per epoch (see MODE "shards")."""
    from lstmcast import Forecaster
    from lstmcast.tables import streaming

    read = []
    trained, scored = streaming.ShardWindows.arrays, streaming.ShardWindows.validation_arrays

    def arrays(self, part):
        read.append(["train", self._train_parts[part]])
        return trained(self, part)

    def validation_arrays(self, part):
        read.append(["validation", self._val_parts[part]])
        return scored(self, part)

    class Marker(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            read.append(["epoch", epoch])

    streaming.ShardWindows.arrays = arrays
    streaming.ShardWindows.validation_arrays = validation_arrays
    f = Forecaster(window=12, steps=2, units=(8,), epochs=3, batch_size=32, dropout=0.0,
                   shard_rows=250, callbacks=[Marker()], seed=3, blend=None)
    f.fit(folder, target="y", group="id", time="t")
    weights = float(sum(w.sum() for w in f.model_.get_weights()))
    with open(f"{out}.rank{distributed.rank()}.json", "w") as file:
        json.dump({"read": read, "history": f.history_, "weights": weights,
                   "streamed": f.streamed_, "windows": f.n_windows_}, file)


def main():
    out, mode = sys.argv[1], sys.argv[2]
    distributed.init()
    if mode == "shards":
        shards(out, sys.argv[3])
        distributed.finish(0)
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
            with open(out, "w") as file:
                json.dump({"history": history.history, "taken": every, "weights": weights},
                          file)
    else:
        try:
            if mode == "few":
                m.fit(x[:1], y[:1], epochs=1, verbose=0)
            elif mode == "fewshards":
                from lstmcast import Forecaster

                Forecaster(window=12, epochs=1).fit(sys.argv[3], target="y", group="id",
                                                    time="t")
            else:
                m.fit(x, y, epochs=5, batch_size=64, callbacks=[Epochs(), Die()], verbose=0)
            result = "finished"
        except Exception as exc:  # noqa: BLE001 - the test reads what was raised
            result = f"{type(exc).__name__}: {exc}"
        with open(out, "w") as file:
            json.dump({"rank0": result}, file)
    distributed.finish(0)


if __name__ == "__main__":
    main()
