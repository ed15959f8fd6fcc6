"""lstmcast.engine.training: the training loop, and batched evaluation and prediction.

``train`` runs epochs of mini-batches (zero_grad, forward, loss, backward, clip, step), then
scores the validation windows and calls the callbacks; ``run_batches`` / ``predict_batches``
score and predict in inference mode; ``to_tensor`` / ``Samples`` carry sliding windows to
torch without copying each window.

References, all independent of the module: a training loop written here in plain torch
(the same batches in order, the gradient step done by hand: p -= lr * grad, with
``clip_grad_norm_`` where clipnorm is set) on a copy of the same network, weights compared
to atol 1e-6; losses and metrics against NumPy on the network's outputs (rtol 1e-6,
float32 outputs summed in float64); windows against ``np.asarray`` of the same view.

The model trained is a fake with the attributes ``train`` documents (``TrainedModel``):
a tiny LSTM (2 inputs, 4 units) on 30-40 windows of 5 steps, one or two epochs.
"""

import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lstmcast.engine.callbacks import Callback
from lstmcast.engine.metrics import get_loss, get_metric
from lstmcast.engine.network import DenseBlock, DropoutBlock, Network, RecurrentBlock
from lstmcast.engine.training import (
    EpochMeter,
    Samples,
    match_target,
    predict_batches,
    run_batches,
    to_tensor,
    train,
    window_rows,
)
from lstmcast.errors import TrainingError
from lstmcast.tables.parts import Parts
from lstmcast.tables.windows import WindowView, window_view

CPU = torch.device("cpu")
ATOL_WEIGHTS = 1e-6
RTOL_SCORES = 1e-6
LR = 0.05


def network(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    blocks = [RecurrentBlock("LSTM", 2, 4, False)]
    if dropout:
        blocks.append(DropoutBlock(dropout))
    blocks.append(DenseBlock(4, 1, "linear"))
    return Network(blocks)


def fake_model(net, metrics=("mae",), clipnorm=None, loss="mse"):
    """What ``train`` reads of a model, and nothing else."""
    return SimpleNamespace(network_=net, optimizer_=torch.optim.SGD(net.parameters(), lr=LR),
                           loss_fn_=get_loss(loss)[1],
                           metrics_=[get_metric(m) for m in metrics], clipnorm_=clipnorm,
                           precision="float32", device=CPU, stop_training=False)


def data(n=30, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, 2)).astype(np.float32)
    y = (x[:, -1, :1] + 0.5 * x[:, -2, 1:]).astype(np.float32)  # (N, 1)
    return x, y


def hand_loop(net, batches, clipnorm=None):
    """The reference: per batch, the mean squared error, backward, clip, p -= lr * grad.
    Returns each batch's loss and size."""
    seen = []
    for xb, yb in batches:
        for p in net.parameters():
            p.grad = None
        net.train()
        loss = ((net(torch.from_numpy(xb)) - torch.from_numpy(yb)) ** 2).mean()
        loss.backward()
        if clipnorm is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clipnorm)
        with torch.no_grad():
            for p in net.parameters():
                p -= LR * p.grad
        seen.append((loss.item(), len(xb)))
    return seen


def assert_same_weights(a, b):
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), atol=ATOL_WEIGHTS, err_msg=name)


class Record(Callback):
    """Keeps what the loop tells the callbacks."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.logs, self.batches, self.stop_after = [], 0, stop_after

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))
        if self.stop_after is not None and epoch + 1 >= self.stop_after:
            self.model.stop_training = True


# -- windows and samples ---------------------------------------------------------------------
def test_window_rows_gives_the_rows_behind_a_sliding_window_view_and_none_otherwise():
    rows = np.arange(30, dtype=np.float32).reshape(10, 3)
    view = window_view(rows, 4)  # (7, 4, 3)
    back = window_rows(view)
    np.testing.assert_array_equal(back, rows)
    assert window_rows(np.ascontiguousarray(view)) is None  # copied windows: no rows behind
    assert window_rows(rows) is None  # not 3-D
    assert window_rows(np.broadcast_to(rows[:4], (7, 4, 3))) is None  # a zero stride


def test_to_tensor_keeps_the_windows_values_and_the_memory_of_the_rows():
    rows = np.random.default_rng(0).normal(size=(200, 3))
    view = window_view(rows, 50)  # 151 windows of 50 rows: 7550 values, from 600
    t = to_tensor(view, CPU)
    assert t.dtype == torch.float32 and t.shape == (151, 50, 3)
    np.testing.assert_array_equal(t.numpy(), np.asarray(view, dtype=np.float32))
    assert t.untyped_storage().nbytes() == rows.size * 4  # the rows, not rows x window
    already = torch.ones(2, 3, dtype=torch.float64)
    assert to_tensor(already, CPU).dtype == torch.float32


def test_samples_of_a_window_view_take_the_windows_asked_for():
    rows = np.arange(40, dtype=np.float32).reshape(20, 2)
    starts = np.array([0, 3, 4, 12], dtype=np.int64)  # e.g. windows inside their series
    view = WindowView(window_view(rows, 5), starts)
    samples = Samples(view, CPU)
    assert len(samples) == 4
    want = np.asarray(view)
    np.testing.assert_array_equal(samples.take(torch.tensor([2, 0])).numpy(), want[[2, 0]])
    sub = samples.subset(torch.tensor([1, 3]))
    assert len(sub) == 2
    np.testing.assert_array_equal(sub.take(torch.tensor([1])).numpy(), want[[3]])
    plain = Samples(want, CPU)
    np.testing.assert_array_equal(plain.subset(torch.tensor([3])).take(torch.tensor([0])),
                                  want[[3]])


def test_match_target_gives_n_targets_the_models_n_by_1_shape():
    y = torch.arange(4.0)
    assert match_target(y, (1,)).shape == (4, 1)
    assert match_target(y, (3,)).shape == (4,)  # not a single output: left as it is
    assert match_target(y[:, None], (1,)).shape == (4, 1)


# -- scoring -----------------------------------------------------------------------------------
def test_epoch_meter_weights_each_batch_by_its_size_and_averages_metrics_over_every_value():
    rng = np.random.default_rng(1)
    meter = EpochMeter([get_metric("mae"), get_metric("rmse")], CPU, prefix="val_")
    truth, preds, losses = [], [], []
    for n in (5, 2):  # batches of unequal size
        t = rng.normal(size=(n, 3)).astype(np.float32)
        p = rng.normal(size=(n, 3)).astype(np.float32)
        loss = float(np.mean((t - p) ** 2))
        meter.add(torch.tensor(loss), torch.from_numpy(t), torch.from_numpy(p))
        truth.append(t)
        preds.append(p)
        losses.append((loss, n))
    t, p = np.concatenate(truth).astype(np.float64), np.concatenate(preds).astype(np.float64)
    logs = meter.logs()
    assert set(logs) == {"val_loss", "val_mae", "val_rmse"}
    assert logs["val_loss"] == pytest.approx(sum(v * n for v, n in losses) / 7, rel=RTOL_SCORES)
    assert logs["val_mae"] == pytest.approx(np.mean(np.abs(t - p)), rel=RTOL_SCORES)
    assert logs["val_rmse"] == pytest.approx(np.sqrt(np.mean((t - p) ** 2)), rel=RTOL_SCORES)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_run_batches_scores_every_sample_whatever_the_batch_size(batch_size):
    x, y = data(n=23)
    net = network(dropout=0.5)  # inference mode: the dropout must be off
    with torch.no_grad():
        out = net.eval()(torch.from_numpy(x)).double().numpy()
    logs = run_batches(net.train(), Samples(x, CPU), torch.from_numpy(y), get_loss("mse")[1],
                       [get_metric("mae"), get_metric("mape")], batch_size)
    assert logs["loss"] == pytest.approx(np.mean((out - y) ** 2), rel=RTOL_SCORES)
    assert logs["mae"] == pytest.approx(np.mean(np.abs(out - y)), rel=RTOL_SCORES)
    assert logs["mape"] == pytest.approx(
        100 * np.mean(np.abs(out - y) / np.maximum(np.abs(y), 1e-7)), rel=1e-5)


def test_predict_batches_is_the_networks_output_in_inference_mode_in_any_batches():
    rows = np.random.default_rng(2).normal(size=(40, 2)).astype(np.float32)
    starts = np.arange(0, 35, 3)[:12]  # 12 of the 36 windows of 5 rows
    view = WindowView(window_view(rows, 5), starts)
    x = np.asarray(view).copy()
    net = network(dropout=0.5)
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(x)).numpy()
    for samples in (Samples(x, CPU), Samples(view, CPU)):
        for batch_size in (4, 100):
            out = predict_batches(net.train(), samples, batch_size)
            assert out.device.type == "cpu" and out.shape == (12, 1)
            np.testing.assert_allclose(out.numpy(), want, atol=1e-6)


# -- the loop ----------------------------------------------------------------------------------
@pytest.mark.parametrize("clipnorm", [None, 0.01])
def test_train_takes_the_same_steps_as_a_loop_written_by_hand(clipnorm):
    x, y = data(n=30)
    net = network()
    reference = copy.deepcopy(net)
    model = fake_model(net, clipnorm=clipnorm)
    record = Record()
    train(model, Samples(x, CPU), torch.from_numpy(y), epochs=2, batch_size=8, shuffle=False,
          validation=None, callbacks=[record], verbose=0)
    for epoch in range(2):
        batches = [(x[s : s + 8], y[s : s + 8]) for s in range(0, 30, 8)]
        seen = hand_loop(reference, batches, clipnorm)
        # the epoch's loss: the batches' losses weighted by their sizes (as Keras)
        want = sum(v * n for v, n in seen) / 30
        assert record.logs[epoch]["loss"] == pytest.approx(want, rel=1e-5)
    assert_same_weights(net, reference)
    assert record.batches == 2 * math.ceil(30 / 8)
    assert set(record.logs[0]) == {"loss", "mae"}


def test_clipnorm_changes_the_steps():
    """The clipped run above must differ from an unclipped one (else it proves nothing)."""
    x, y = data(n=30)
    a, b = network(), network()
    for net, clip in ((a, None), (b, 0.01)):
        train(fake_model(net, clipnorm=clip), Samples(x, CPU), torch.from_numpy(y), epochs=1,
              batch_size=8, shuffle=False, validation=None, callbacks=[], verbose=0)
    diff = max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))
    assert diff > 1e-4


def test_validation_is_scored_after_the_epoch_with_the_final_weights():
    x, y = data(n=40)
    net = network()
    record = Record()
    train(fake_model(net), Samples(x[:30], CPU), torch.from_numpy(y[:30]), epochs=1,
          batch_size=8, shuffle=False,
          validation=(Samples(x[30:], CPU), torch.from_numpy(y[30:])), callbacks=[record],
          verbose=0)
    with torch.no_grad():
        out = net.eval()(torch.from_numpy(x[30:])).double().numpy()
    logs = record.logs[0]
    assert logs["val_loss"] == pytest.approx(np.mean((out - y[30:]) ** 2), rel=RTOL_SCORES)
    assert logs["val_mae"] == pytest.approx(np.mean(np.abs(out - y[30:])), rel=RTOL_SCORES)


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    n = 30
    x, _ = data(n=n)
    y = torch.arange(n, dtype=torch.float32)[:, None]  # each target names its sample
    visits = []

    def spy_loss(y_true, y_pred):
        visits.extend(int(v) for v in y_true[:, 0])
        return ((y_true - y_pred) ** 2).mean()

    model = fake_model(network())
    model.loss_fn_ = spy_loss
    torch.manual_seed(0)
    train(model, Samples(x, CPU), y, epochs=2, batch_size=8, shuffle=True, validation=None,
          callbacks=[], verbose=0)
    first, second = visits[:n], visits[n:]
    assert sorted(first) == sorted(second) == list(range(n))
    assert first != list(range(n)) and first != second
    visits.clear()
    train(model, Samples(x, CPU), y, epochs=1, batch_size=8, shuffle=False, validation=None,
          callbacks=[], verbose=0)
    assert visits == list(range(n))


def test_a_callback_stops_training_after_the_epoch_and_initial_epoch_counts():
    x, y = data()
    record = Record(stop_after=2)
    train(fake_model(network()), Samples(x, CPU), torch.from_numpy(y), epochs=10,
          batch_size=16, shuffle=False, validation=None, callbacks=[record], verbose=0)
    assert len(record.logs) == 2
    resumed = Record()
    train(fake_model(network()), Samples(x, CPU), torch.from_numpy(y), epochs=3,
          batch_size=16, shuffle=False, validation=None, callbacks=[resumed], verbose=0,
          initial_epoch=2)
    assert len(resumed.logs) == 1  # epochs 2..2 of 0..2


def test_a_time_limit_ends_the_epoch_at_the_batch_past_it(monkeypatch):
    """An epoch of many windows ran whole past the budget (633 s of one epoch on a table
    of minutes with --max-seconds 60). Now the batch that ends past it ends the epoch: the
    epoch's logs and validation come from the batches run, and training stops there. The
    clock is the callback's, a second per reading."""
    import lstmcast.engine.callbacks as callbacks

    clock = iter(range(1000))  # the callbacks' module's clock only, not the loop's
    monkeypatch.setattr(callbacks, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    x, y = data(n=80)
    record, limit = Record(), callbacks.TimeLimit(3.5)  # read at the start, then per batch
    net = network()
    train(fake_model(net), Samples(x[:64], CPU), torch.from_numpy(y[:64]), epochs=5,
          batch_size=4, shuffle=False,
          validation=(Samples(x[64:], CPU), torch.from_numpy(y[64:])),
          callbacks=[limit, record], verbose=0)
    assert record.batches == 4 and len(record.logs) == 1  # 4 of 16 batches, one epoch
    assert limit.stopped_epoch == 0
    with torch.no_grad():  # validated with the weights the 4 batches left
        out = net.eval()(torch.from_numpy(x[64:])).double().numpy()
    assert record.logs[0]["val_loss"] == pytest.approx(np.mean((out - y[64:]) ** 2),
                                                       rel=RTOL_SCORES)


def test_a_non_finite_loss_stops_with_a_training_error_and_keeps_the_last_good_weights():
    x, y = data(n=30)
    net = network()
    calls = []

    def bad_in_epoch_two(y_true, y_pred):
        calls.append(1)
        loss = ((y_true - y_pred) ** 2).mean()
        return loss * float("nan") if len(calls) == 6 else loss  # epoch 2, batch 2

    model = fake_model(net)
    model.loss_fn_ = bad_in_epoch_two
    after_epoch_one = {}

    class Keep(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                after_epoch_one.update({k: v.clone() for k, v in net.state_dict().items()})

    with pytest.raises(TrainingError, match=r"loss became nan in epoch 2, batch 2.*end of "
                                            r"epoch 1 were kept.*clipnorm"):
        train(model, Samples(x, CPU), torch.from_numpy(y), epochs=3, batch_size=8,
              shuffle=False, validation=None, callbacks=[Keep()], verbose=0)
    for k, v in net.state_dict().items():
        assert torch.equal(v, after_epoch_one[k]), k


def test_verbose_2_prints_one_line_per_epoch_with_the_logs(capsys):
    x, y = data()
    record = Record()
    train(fake_model(network()), Samples(x, CPU), torch.from_numpy(y), epochs=2,
          batch_size=16, shuffle=False, validation=None, callbacks=[record], verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("Epoch 2/2 - ") and "s - loss: " in lines[1]
    assert f"loss: {record.logs[1]['loss']:.4g}" in lines[1]
    train(fake_model(network()), Samples(x, CPU), torch.from_numpy(y), epochs=1,
          batch_size=16, shuffle=False, validation=None, callbacks=[], verbose=0)
    assert capsys.readouterr().out == ""


class ListParts(Parts):
    """Training windows in parts held in lists (as a sharded table gives them)."""

    def __init__(self, parts, validation, seed=3):
        self.parts, self.validation, self.seed = parts, validation, seed
        self.count, self.validation_count = len(parts), len(validation)
        self.bind(lambda x, y: (Samples(x, CPU), torch.from_numpy(y)))

    def part_sizes(self):
        return [len(x) for x, _ in self.parts]

    def arrays(self, k):
        return self.parts[k]

    def validation_arrays(self, j):
        return self.validation[j]


def test_parts_train_one_part_after_another_in_each_epochs_order():
    x, y = data(n=40)
    parts = [(x[:10], y[:10]), (x[10:17], y[10:17]), (x[17:30], y[17:30])]
    held = ListParts(parts, [(x[30:], y[30:])])
    net = network()
    reference = copy.deepcopy(net)
    record = Record()
    train(fake_model(net), held, None, epochs=2, batch_size=4, shuffle=False,
          validation=None, callbacks=[record], verbose=0)
    assert record.batches == 2 * (3 + 2 + 4)  # batches never span two parts
    for epoch in range(2):
        for k in held.order(epoch):  # the documented order: shuffled per epoch from the seed
            xs, ys = parts[k]
            hand_loop(reference, [(xs[s : s + 4], ys[s : s + 4]) for s in range(0, len(xs), 4)])
    assert_same_weights(net, reference)
    with torch.no_grad():
        out = net.eval()(torch.from_numpy(x[30:])).double().numpy()
    assert record.logs[-1]["val_loss"] == pytest.approx(np.mean((out - y[30:]) ** 2),
                                                        rel=RTOL_SCORES)
