"""lstmcast.engine.callbacks, driven by a small fake model through the training loop's
order of calls (``lstmcast.engine.training.train``: set_model and on_train_begin for every
callback, BackupAndRestore's restore, then per epoch on_epoch_begin and on_epoch_end until
``stop_training``, then on_train_end).

tests/test_models.py and tests/test_reliability.py run some of these callbacks in real
training; here each documented rule is checked exactly, on monitored values written out
by hand: the epoch EarlyStopping stops at and the weights it restores, min_delta, mode,
start_from_epoch, ModelCheckpoint's files and names, ReduceLROnPlateau's rate epoch by
epoch (patience, cooldown, min_lr), TimeLimit on a fake clock, LearningRateScheduler and
decay_after, History, BackupAndRestore's resumption, and the errors for bad settings.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lstmcast.engine.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TimeLimit,
    decay_after,
)
from lstmcast.errors import ArtifactError, InvalidArgumentError, InvalidTypeError


class FakeModel:
    """What the callbacks use of a model: weights (one array, the epoch's number after each
    epoch), a torch network and optimizer, saving, and the stop flag."""

    def __init__(self, lr=1.0, groups=1):
        self.weights = [np.array([-1.0, -1.0])]
        self.network_ = torch.nn.Linear(2, 1)
        params = list(self.network_.parameters())
        if groups == 1:
            self.optimizer_ = torch.optim.SGD(params, lr=lr, momentum=0.9)
        else:
            self.optimizer_ = torch.optim.SGD([{"params": [p]} for p in params], lr=lr)
        self.stop_training = False
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]

    def save(self, path):
        Path(path).write_text(f"model {self.weights[0][0]}")
        self.saved.append(("model", Path(path).name))

    def save_weights(self, path):
        Path(path).write_text(f"weights {self.weights[0][0]}")
        self.saved.append(("weights", Path(path).name))

    @property
    def lr(self):
        return self.optimizer_.param_groups[0]["lr"]


def fit(model, callbacks, values, monitor="val_loss", train=None):
    """Run the epochs of ``values`` (the monitored value of each) as the training loop does;
    return the epochs run and each epoch's logs."""
    model.stop_training = False
    # the backup is written after every other callback has seen the epoch's end
    callbacks = sorted(callbacks, key=lambda cb: isinstance(cb, BackupAndRestore))
    for cb in callbacks:
        cb.set_model(model)
        cb.on_train_begin()
    epoch = 0
    for cb in callbacks:
        if isinstance(cb, BackupAndRestore):
            epoch = cb.restore(callbacks, 0)
    run, seen = [], []
    while epoch < len(values) and not model.stop_training:
        for cb in callbacks:
            cb.on_epoch_begin(epoch)
        logs = train(model, epoch) if train else {}
        model.weights = [np.array([float(epoch), float(epoch)])]
        logs = {"loss": 1.0, **logs, monitor: values[epoch]}
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        run.append(epoch)
        seen.append(dict(logs))
        epoch += 1
    for cb in callbacks:
        cb.on_train_end()
    return run, seen


# -- EarlyStopping ------------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = FakeModel()
    stop = EarlyStopping(patience=2)
    # best at epoch 1 (0.8); epochs 2 and 3 do not improve: it stops at the end of epoch 3
    run, _ = fit(model, [stop], [1.0, 0.8, 0.85, 0.9, 0.5, 0.4])
    assert run == [0, 1, 2, 3]
    assert (stop.stopped_epoch, stop.best_epoch, stop.best) == (3, 1, 0.8)
    assert model.weights[0].tolist() == [3.0, 3.0]  # no restoring asked: the last weights


def test_early_stopping_restores_the_best_epochs_weights():
    model = FakeModel()
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    fit(model, [stop], [1.0, 0.8, 0.85, 0.9, 0.5])
    assert model.weights[0].tolist() == [1.0, 1.0]  # epoch 1's


def test_early_stopping_restores_the_best_weights_even_when_training_runs_out():
    model = FakeModel()
    stop = EarlyStopping(patience=10, restore_best_weights=True)
    run, _ = fit(model, [stop], [1.0, 0.5, 0.7, 0.6])
    assert run == [0, 1, 2, 3] and stop.stopped_epoch == 0  # never stopped
    assert model.weights[0].tolist() == [1.0, 1.0]


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    run, _ = fit(FakeModel(), [EarlyStopping(patience=0)], [3.0, 2.0, 2.0, 1.0])
    assert run == [0, 1, 2]


def test_min_delta_an_improvement_must_exceed_it():
    stop = EarlyStopping(patience=1, min_delta=0.1)
    # 0.95 and 0.91 are within 0.1 of 1.0: no improvement; stops at epoch 1
    run, _ = fit(FakeModel(), [stop], [1.0, 0.95, 0.91, 0.5])
    assert run == [0, 1] and stop.best == 1.0
    stop = EarlyStopping(patience=1, min_delta=-0.1)  # its size counts, not its sign
    run, _ = fit(FakeModel(), [stop], [1.0, 0.95, 0.5])
    assert run == [0, 1]


@pytest.mark.parametrize(("monitor", "mode", "values", "run"), [
    ("val_accuracy", "auto", [0.5, 0.6, 0.55, 0.7], [0, 1, 2]),  # "accuracy": higher is better
    ("val_auc", "auto", [0.5, 0.6, 0.55], [0, 1, 2]),
    ("val_loss", "max", [0.5, 0.6, 0.55, 0.9], [0, 1, 2]),
    ("val_acc", "min", [0.5, 0.4, 0.45, 0.1], [0, 1, 2]),
])
def test_mode_decides_which_way_is_better(monitor, mode, values, run):
    stop = EarlyStopping(monitor=monitor, mode=mode, patience=1)
    assert fit(FakeModel(), [stop], values, monitor=monitor)[0] == run


def test_start_from_epoch_ignores_the_first_epochs():
    model = FakeModel()
    stop = EarlyStopping(patience=1, start_from_epoch=2, restore_best_weights=True)
    # epochs 0 and 1 are not watched (the 0.1 there does not count): best 0.9 at epoch 2,
    # epoch 3 does not improve: stop
    run, _ = fit(model, [stop], [0.1, 0.2, 0.9, 0.95, 0.05])
    assert run == [0, 1, 2, 3] and stop.best_epoch == 2
    assert model.weights[0].tolist() == [2.0, 2.0]


def test_each_fit_starts_afresh():
    stop = EarlyStopping(patience=1)
    fit(FakeModel(), [stop], [0.1, 0.2, 0.3])
    run, _ = fit(FakeModel(), [stop], [5.0, 4.0, 3.0, 2.0])
    assert run == [0, 1, 2, 3] and stop.best == 2.0


def test_early_stopping_state_round_trips():
    model = FakeModel()
    stop = EarlyStopping(patience=3, restore_best_weights=True)
    fit(model, [stop], [1.0, 0.5, 0.7])
    state, arrays = stop.get_state()
    assert state == {"wait": 1, "best": 0.5, "best_epoch": 1, "stopped_epoch": 0,
                     "has_best_weights": True}
    assert [a.tolist() for a in arrays] == [[1.0, 1.0]]
    other = EarlyStopping(patience=3, restore_best_weights=True)
    other.set_model(model)
    other.on_train_begin()
    other.set_state(state, arrays)
    assert other.get_state()[0] == state


def test_a_missing_monitored_value_is_named():
    stop = EarlyStopping(monitor="val_mae")
    with pytest.raises(InvalidArgumentError, match=r"argument `monitor`, expected a logged "
                       r"value \(available: loss, val_loss\), got 'val_mae'"):
        fit(FakeModel(), [stop], [1.0])


@pytest.mark.parametrize(("make", "name"), [
    (lambda: EarlyStopping(patience=-1), "patience"),
    (lambda: EarlyStopping(patience=1.5), "patience"),
    (lambda: EarlyStopping(mode="best"), "mode"),
    (lambda: EarlyStopping(monitor=""), "monitor"),
    (lambda: EarlyStopping(monitor=None), "monitor"),
    (lambda: EarlyStopping(min_delta="0.1"), "min_delta"),
    (lambda: EarlyStopping(start_from_epoch=-1), "start_from_epoch"),
])
def test_bad_early_stopping_settings_are_named(make, name):
    with pytest.raises(InvalidArgumentError, match=rf"argument `{name}`"):
        make()


def test_verbose_early_stopping_says_when_and_the_best(capsys):
    fit(FakeModel(), [EarlyStopping(patience=1, verbose=1)], [1.0, 0.25, 0.3, 0.1])
    assert capsys.readouterr().out == ("Epoch 3: early stopping; best val_loss 0.25 at "
                                       "epoch 2.\n")


# -- ModelCheckpoint ----------------------------------------------------------------------------
def test_checkpoint_every_epoch_named_by_its_fields(tmp_path):
    model = FakeModel()
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.lstmcast")
    fit(model, [ckpt], [0.5, 0.25, 0.75])
    assert model.saved == [("model", "m-01-0.50.lstmcast"), ("model", "m-02-0.25.lstmcast"),
                           ("model", "m-03-0.75.lstmcast")]
    assert (tmp_path / "m-02-0.25.lstmcast").read_text() == "model 1.0"  # epoch 1's model


def test_checkpoint_best_only_and_weights_only(tmp_path):
    model = FakeModel()
    ckpt = ModelCheckpoint(str(tmp_path / "best.weights"), save_best_only=True,
                           save_weights_only=True)
    fit(model, [ckpt], [0.5, 0.6, 0.4, 0.4, 0.45])
    assert model.saved == [("weights", "best.weights")] * 2  # epochs 0 and 2
    assert (tmp_path / "best.weights").read_text() == "weights 2.0"
    assert ckpt.best == 0.4


def test_checkpoint_best_only_in_max_mode(tmp_path):
    model = FakeModel()
    ckpt = ModelCheckpoint(tmp_path / "e{epoch}.lstmcast", monitor="val_accuracy",
                           save_best_only=True)
    fit(model, [ckpt], [0.5, 0.4, 0.7, 0.6], monitor="val_accuracy")
    assert [name for _, name in model.saved] == ["e1.lstmcast", "e3.lstmcast"]


def test_checkpoint_unknown_field_is_named(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "m-{val_mae}.lstmcast")
    with pytest.raises(InvalidArgumentError, match=r"argument `filepath`, expected format "
                       r"fields among epoch, loss, val_loss"):
        fit(FakeModel(), [ckpt], [0.5])


def test_checkpoint_best_only_needs_the_monitored_value(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "m.lstmcast", monitor="val_mape", save_best_only=True)
    with pytest.raises(InvalidArgumentError, match=r"got 'val_mape'"):
        fit(FakeModel(), [ckpt], [0.5])


def test_verbose_checkpoint_says_where(tmp_path, capsys):
    fit(FakeModel(), [ModelCheckpoint(tmp_path / "m.lstmcast", verbose=1)], [0.5])
    assert capsys.readouterr().out == f"Epoch 1: saved model to {tmp_path / 'm.lstmcast'}\n"


# -- ReduceLROnPlateau --------------------------------------------------------------------------
def test_reduce_lr_on_plateau_epoch_by_epoch():
    model = FakeModel(lr=1.0)
    plateau = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2, min_delta=0.0)
    values = [10, 11, 11, 12, 12, 9, 9.5, 9.5, 9.5, 9.5]
    rates = []

    class Rate(Callback):
        def on_epoch_end(self, epoch, logs=None):
            rates.append(self.model.lr)

    _, logs = fit(model, [plateau, Rate()], values)
    # by hand: 2 epochs without improvement (1, 2): 0.5, then a cooldown epoch (3) that
    # resets the count, epochs 3 and 4 without improvement: 0.25; epoch 5 improves (9);
    # epochs 6, 7: 0.125, raised to min_lr 0.2; cooldown (8), epochs 8, 9: stays at 0.2
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2]
    # the history's rate is the epoch's, before a reduction at its end (as Keras)
    assert [log["learning_rate"] for log in logs] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25,
                                                      0.25, 0.2, 0.2]


def test_reduce_lr_defaults_and_min_delta():
    model = FakeModel(lr=0.1)
    plateau = ReduceLROnPlateau(patience=1)  # factor 0.1, min_delta 1e-4
    # 0.99995 is not better than 1.0 by more than 1e-4: a plateau
    fit(model, [plateau], [1.0, 0.99995])
    assert model.lr == pytest.approx(0.01, rel=1e-12)
    assert ReduceLROnPlateau().patience == 10


def test_reduce_lr_in_max_mode_and_every_parameter_group():
    model = FakeModel(lr=0.4, groups=2)
    plateau = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    fit(model, [plateau], [0.5, 0.6, 0.59], monitor="val_accuracy")
    assert [g["lr"] for g in model.optimizer_.param_groups] == [0.2, 0.2]


def test_reduce_lr_state_round_trips():
    model = FakeModel()
    plateau = ReduceLROnPlateau(patience=3, cooldown=2)
    fit(model, [plateau], [1.0, 2.0])
    state, arrays = plateau.get_state()
    assert state == {"wait": 1, "cooldown_counter": 0, "best": 1.0} and arrays == []
    other = ReduceLROnPlateau(patience=3, cooldown=2)
    other.set_state(state, arrays)
    assert other.get_state() == (state, [])


@pytest.mark.parametrize(("make", "name"), [
    (lambda: ReduceLROnPlateau(factor=1.0), "factor"),
    (lambda: ReduceLROnPlateau(factor=0.0), "factor"),
    (lambda: ReduceLROnPlateau(patience=-1), "patience"),
    (lambda: ReduceLROnPlateau(cooldown=-1), "cooldown"),
    (lambda: ReduceLROnPlateau(min_lr=-1e-3), "min_lr"),
    (lambda: ReduceLROnPlateau(mode="down"), "mode"),
])
def test_bad_plateau_settings_are_named(make, name):
    with pytest.raises(InvalidArgumentError, match=rf"argument `{name}`"):
        make()


# -- TimeLimit, LearningRateScheduler, History --------------------------------------------------
def test_time_limit_stops_at_the_end_of_the_first_epoch_past_it(monkeypatch):
    import lstmcast.engine.callbacks as callbacks

    clock = iter([100.0, 104.0, 109.0, 111.0, 130.0])  # start, then each epoch's end
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    limit = TimeLimit(10.0)
    run, _ = fit(FakeModel(), [limit], [1.0] * 10)
    # epochs end 4, 9 and 11 s in: the third ends past 10 s
    assert run == [0, 1, 2] and limit.stopped_epoch == 2


def test_time_limit_counts_from_the_start_it_is_given(monkeypatch):
    import lstmcast.engine.callbacks as callbacks

    clock = iter([104.0, 109.0, 111.0])  # each epoch's end: training began at 100 s...
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    limit = TimeLimit(10.0, since=97.0)  # ...after 3 s of preparation, in the budget
    run, _ = fit(FakeModel(), [limit], [1.0] * 10)
    assert run == [0, 1] and limit.stopped_epoch == 1  # 109 s is 12 s after 97 s


def test_time_limit_not_reached_and_bad_budget(monkeypatch):
    import lstmcast.engine.callbacks as callbacks

    clock = iter([0.0, 1.0, 2.0])
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    limit = TimeLimit(60)
    assert fit(FakeModel(), [limit], [1.0, 1.0])[0] == [0, 1]
    assert limit.stopped_epoch is None
    for bad in (0, -1.0, "10"):
        with pytest.raises(InvalidArgumentError, match=r"argument `seconds`"):
            TimeLimit(bad)


def test_learning_rate_scheduler_sets_each_epochs_rate():
    model = FakeModel(lr=1.0, groups=2)
    asked = []

    def schedule(epoch, lr):
        asked.append((epoch, lr))
        return 0.1 * (epoch + 1)

    _, logs = fit(model, [LearningRateScheduler(schedule)], [1.0] * 3)
    assert asked == [(0, 1.0), (1, 0.1), (2, 0.2)]  # the epoch, and the rate before it
    assert [log["learning_rate"] for log in logs] == [0.1, 0.2, pytest.approx(0.3)]
    assert [g["lr"] for g in model.optimizer_.param_groups] == [pytest.approx(0.3)] * 2


def test_decay_after_keeps_the_rate_then_multiplies_it():
    model = FakeModel(lr=1.0)
    _, logs = fit(model, [LearningRateScheduler(decay_after(3, 0.8))], [1.0] * 6)
    expected = [1.0, 1.0, 1.0, 0.8, 0.64, 0.512]
    np.testing.assert_allclose([log["learning_rate"] for log in logs], expected, rtol=1e-12)


def test_a_schedule_must_be_a_function():
    with pytest.raises(InvalidTypeError, match=r"`schedule` must be a function "
                       r"\(epoch, lr\) -> lr"):
        LearningRateScheduler(0.1)


def test_history_records_every_epochs_logs():
    history = History()
    fit(FakeModel(), [history], [0.5, 0.4, 0.3])
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 1.0, 1.0], "val_loss": [0.5, 0.4, 0.3]}


def test_the_base_callback_does_nothing_but_know_its_model():
    model = FakeModel()
    cb = Callback()
    assert cb.model is None
    run, _ = fit(model, [cb], [1.0, 2.0])
    assert run == [0, 1] and cb.model is model and not model.stop_training


# -- BackupAndRestore ---------------------------------------------------------------------------
def train_step(model, epoch):
    """One SGD step of the linear network on random inputs (the global generator)."""
    x = torch.randn(8, 2)
    loss = model.network_(x).square().mean()
    model.optimizer_.zero_grad()
    loss.backward()
    model.optimizer_.step()
    return {"loss": float(loss.detach())}


class Crash(Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


VALUES = [1.0, 0.6, 0.8, 0.7, 0.9, 0.95]


def backed_up(path, extra=(), tag="run"):
    return [History(), EarlyStopping(patience=3, restore_best_weights=True), *extra,
            BackupAndRestore(path, tag=tag)]


def fresh_model(seed):
    torch.manual_seed(seed)
    return FakeModel(lr=0.1)


def test_a_run_resumed_from_its_backup_ends_as_one_never_stopped(tmp_path):
    path = tmp_path / "backup.lstmcast"
    reference = fresh_model(0)
    ref_callbacks = backed_up(path)
    torch.manual_seed(1)
    ref_run, _ = fit(reference, ref_callbacks, VALUES, train=train_step)
    assert ref_run == [0, 1, 2, 3, 4] and not path.exists()  # stopped at 4; backup deleted

    crashed = fresh_model(0)
    torch.manual_seed(1)
    with pytest.raises(KeyboardInterrupt):
        fit(crashed, backed_up(path, [Crash(3)]), VALUES, train=train_step)
    assert path.exists()

    resumed = fresh_model(7)  # other starting weights: the backup's replace them
    torch.manual_seed(99)  # another generator state: the backup's replaces it
    callbacks = backed_up(path)
    run, _ = fit(resumed, callbacks, VALUES, train=train_step)
    assert run == [3, 4]  # epochs 0-2 were backed up
    assert callbacks[0].history == ref_callbacks[0].history
    assert callbacks[0].epoch == [0, 1, 2, 3, 4]
    stop, ref_stop = callbacks[1], ref_callbacks[1]
    assert (stop.best, stop.best_epoch, stop.stopped_epoch) == (0.6, 1, 4)
    assert (stop.best, stop.best_epoch, stop.stopped_epoch) == (
        ref_stop.best, ref_stop.best_epoch, ref_stop.stopped_epoch)
    assert resumed.weights[0].tolist() == [1.0, 1.0]  # the best epoch's, from the backup
    for name, value in reference.network_.state_dict().items():
        assert torch.equal(resumed.network_.state_dict()[name], value), name
    ref_state = reference.optimizer_.state_dict()["state"]
    for pid, entry in resumed.optimizer_.state_dict()["state"].items():
        assert torch.equal(entry["momentum_buffer"], ref_state[pid]["momentum_buffer"])
    assert not path.exists()


def test_a_backup_of_another_run_is_refused(tmp_path):
    path = tmp_path / "backup.lstmcast"
    with pytest.raises(KeyboardInterrupt):
        fit(fresh_model(0), backed_up(path, [Crash(2)], tag="daily"), VALUES, train=train_step)
    with pytest.raises(ArtifactError, match=r"belongs to another run \(other data or "
                       r"settings\); delete it to start afresh"):
        fit(fresh_model(0), backed_up(path, tag="hourly"), VALUES, train=train_step)


def test_without_a_backup_training_starts_at_the_first_epoch_and_can_keep_it(tmp_path):
    path = tmp_path / "backup.lstmcast"
    backup = BackupAndRestore(path, delete_checkpoint=False)
    assert backup.restore([], 2) == 2  # nothing to restore: the epoch asked
    run, _ = fit(fresh_model(0), [backup], [1.0, 0.9], train=train_step)
    assert run == [0, 1] and path.exists()  # kept when asked to


def test_a_run_that_had_stopped_stays_stopped(tmp_path):
    path = tmp_path / "backup.lstmcast"
    first = [EarlyStopping(patience=0), BackupAndRestore(path, delete_checkpoint=False)]
    run, _ = fit(fresh_model(0), first, [1.0, 2.0, 0.5, 0.4], train=train_step)
    assert run == [0, 1]
    again = [EarlyStopping(patience=0), BackupAndRestore(path)]
    run, _ = fit(fresh_model(0), again, [1.0, 2.0, 0.5, 0.4], train=train_step)
    assert run == [] and again[0].stopped_epoch == 1 and not path.exists()


def test_infinite_best_values_survive_the_backup(tmp_path):
    """A backup holds JSON; an EarlyStopping that has seen nothing yet (best inf) too."""
    path = tmp_path / "backup.lstmcast"
    stop = EarlyStopping(patience=5, start_from_epoch=5)
    with pytest.raises(KeyboardInterrupt):
        fit(fresh_model(0), [stop, BackupAndRestore(path), Crash(2)], VALUES,
            train=train_step)
    again = EarlyStopping(patience=5, start_from_epoch=5)
    fit(fresh_model(0), [again, BackupAndRestore(path)], VALUES[:2] + [0.1], train=train_step)
    assert again.best == math.inf


def test_a_resumed_run_keeps_the_best_checkpoint(tmp_path):
    path, best = tmp_path / "backup.lstmcast", tmp_path / "best.lstmcast"
    values = [0.5, 0.9, 0.8, 0.95]  # the best is epoch 0's
    with pytest.raises(KeyboardInterrupt):
        fit(fresh_model(0), [ModelCheckpoint(best, save_best_only=True),
                             BackupAndRestore(path), Crash(2)], values, train=train_step)
    assert best.read_text() == "model 0.0"
    model = fresh_model(0)
    run, _ = fit(model, [ModelCheckpoint(best, save_best_only=True), BackupAndRestore(path)],
                 values, train=train_step)
    assert run == [2, 3]
    assert model.saved == [] and best.read_text() == "model 0.0"  # 0.8 and 0.95: no better
