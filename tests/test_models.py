import numpy as np
import pytest
import torch

import lstmcast
from lstmcast import ArtifactError, InvalidArgumentError, NotFittedError, make_windows
from lstmcast.engine.callbacks import Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from lstmcast.engine.optimizers import Adam
from lstmcast.layers import GRU, LSTM, Activation, Dense, Dropout
from lstmcast.models import Sequential, load_model


def tutorial(time_steps=30, features=40):
    """The tutorial's code, with only its imports changed (SPEC M1, M2)."""
    model = Sequential(device="cpu")
    model.add(LSTM(units=100, input_shape=(time_steps, features), return_sequences=True))
    model.add(Dropout(0.2))
    model.add(LSTM(units=50, return_sequences=False))
    model.add(Dropout(0.2))
    model.add(Dense(units=1))
    model.add(Activation("linear"))
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mape"])
    return model


def toy(n=300, steps=8, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype("float32")
    y = (x[:, -1, 0] + 0.5 * x[:, -2, 1] + 3.0).astype("float32")
    return x, y


def small(steps=8, features=3, **compile_kwargs):
    model = Sequential([LSTM(16, input_shape=(steps, features), return_sequences=True),
                        Dropout(0.1), LSTM(8), Dense(1)], device="cpu")
    model.compile(**({"loss": "mse", "optimizer": "adam", "metrics": ["mae"]} | compile_kwargs))
    return model


def test_the_tutorial_runs_as_written_and_learns():
    lstmcast.set_seed(1)
    x, y = toy(n=400, steps=30, features=40)
    model = tutorial()
    fit_result = model.fit(x[:300], y[:300], epochs=8, batch_size=200, verbose=0)
    predicted = model.predict(x[300:])
    assert predicted.shape == (100, 1)  # same length as testY (F2)
    assert isinstance(predicted, np.ndarray)
    assert set(fit_result.history) == {"loss", "mae", "mape"}
    assert len(fit_result.history["loss"]) == 8
    assert fit_result.history["loss"][-1] < fit_result.history["loss"][0] / 2


def test_validation_logs_equal_evaluate_on_the_last_samples():
    x, y = toy()
    model = small()
    history = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.25, verbose=0)
    loss, mae = model.evaluate(x[225:], y[225:])
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_mae"][-1] == pytest.approx(mae, rel=1e-6)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = toy(n=100)
    seen = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            seen.append(self.model)

    model = small()
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0, callbacks=[Spy()])
    assert history.params["steps"] == 3  # 80 training samples at batch 32
    assert seen == [model]


def test_predict_shapes_for_many_to_many_and_dense_on_every_step():
    x, _ = toy(n=10)
    seq = Sequential([LSTM(5, input_shape=(8, 3), return_sequences=True)], device="cpu")
    assert seq.predict(x).shape == (10, 8, 5)  # (N, T, H), M3
    per_step = Sequential([LSTM(5, input_shape=(8, 3), return_sequences=True), Dense(2)],
                          device="cpu")
    assert per_step.predict(x).shape == (10, 8, 2)
    assert per_step.output_shape == (8, 2)


def test_two_d_input_names_the_shape_and_the_expected_one():
    model = tutorial()
    with pytest.raises(InvalidArgumentError, match=r"3-D \(batch, time_steps, features\).*"
                                                   r"shape \(10, 30\)"):
        model.predict(np.zeros((10, 30)))
    with pytest.raises(InvalidArgumentError, match="has 39 features per sample"):
        model.predict(np.zeros((10, 30, 39)))


def test_bad_targets_and_values_are_named():
    x, y = toy(n=50)
    model = small()
    with pytest.raises(InvalidArgumentError, match=r"one target per sample \(50\)"):
        model.fit(x, y[:40], verbose=0)
    bad = x.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(InvalidArgumentError, match=r"`x` holds 1 NaN value \(first at sample 3, "
                                                   r"time step 2, feature 1\).*before training"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(InvalidArgumentError, match="`epochs`"):
        model.fit(x, y, epochs=-1, verbose=0)
    with pytest.raises(InvalidArgumentError, match="`batch_size`, expected a positive integer"):
        model.fit(x, y, batch_size=0, verbose=0)



def test_nan_and_inf_in_predict_and_evaluate_are_named_with_their_count_and_position():
    x, y = toy(n=50)
    model = small()
    model.fit(x, y, epochs=1, verbose=0)
    bad = x.copy()
    bad[[4, 9], [1, 0], 0] = np.nan
    bad[12, 3, 0] = np.inf
    with pytest.raises(InvalidArgumentError) as info:
        model.predict(bad)
    message = str(info.value)
    assert message.startswith("`x` holds 2 NaN values (first at sample 4, time step 1, "
                              "feature 0) and 1 infinite value (first at sample 12, time step "
                              "3, feature 0)"), message
    assert message.endswith("before predicting.") and "training" not in message
    assert "\n" not in message
    with pytest.raises(InvalidArgumentError, match=r"2 NaN values.*before evaluating\.$"):
        model.evaluate(bad, y)
    wrong = y.copy().astype("float64")
    wrong[7] = np.nan
    with pytest.raises(InvalidArgumentError,
                       match=r"`y` holds 1 NaN value \(first at sample 7.*before evaluating"):
        model.evaluate(x, wrong)
    with pytest.raises(InvalidArgumentError,
                       match=r"`y` holds 1 NaN value \(first at sample 7.*before training"):
        model.fit(x, wrong, verbose=0)

def test_layer_arguments_are_checked_in_keras_idiom():
    with pytest.raises(InvalidArgumentError,
                       match="Received an invalid value for argument `units`, expected a "
                             "positive integer, got 0"):
        LSTM(units=0)
    with pytest.raises(InvalidArgumentError, match="`rate`"):
        Dropout(1.5)
    with pytest.raises(InvalidArgumentError, match="`activation`"):
        Activation("sparkle")
    with pytest.raises(InvalidArgumentError, match="`loss`"):
        small(loss="hinge")
    with pytest.raises(InvalidArgumentError, match="`optimizer`"):
        small(optimizer="adagradx")


def test_predict_before_build_is_not_fitted_error():
    model = Sequential([LSTM(4), Dense(1)], device="cpu")
    with pytest.raises(NotFittedError, match="input_shape"):
        model.count_params()
    with pytest.raises(NotFittedError, match="compile"):
        model.fit(np.zeros((4, 3, 2)), np.zeros(4), verbose=0)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", lambda t, p: (t - p).abs() ** 3])
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", Adam(learning_rate=0.01)])
def test_compile_options_train(loss, optimizer):
    x, y = toy(n=64)
    model = small(loss=loss, optimizer=optimizer, metrics=["mae", "mape", "mse", "rmse"])
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "mae", "mape", "mse", "rmse"}
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert history.history["rmse"][0] == pytest.approx(history.history["mse"][0] ** 0.5)


def test_optimizer_instance_learning_rate_is_used():
    model = small(optimizer=Adam(learning_rate=0.05))
    model.build()
    assert model.optimizer_.param_groups[0]["lr"] == 0.05


def test_same_seed_gives_identical_weights():
    x, y = toy()

    def run():
        lstmcast.set_seed(7)
        model = small()
        model.fit(x, y, epochs=2, batch_size=50, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_the_best_weights():
    x, y = toy()
    lstmcast.set_seed(0)
    model = small(optimizer=Adam(learning_rate=0.5))  # too large: val_loss will bounce
    best = {}

    class Keep(Callback):
        def on_epoch_end(self, epoch, logs=None):
            best.setdefault("all", []).append((logs["val_loss"], self.model.get_weights()))

    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=200, validation_split=0.2, callbacks=[Keep(), stop],
                        verbose=0)
    losses = history.history["val_loss"]
    k = int(np.argmin(losses))
    assert len(losses) < 200  # it stopped early: exactly 2 epochs after the best one
    assert len(losses) == k + 3
    for a, b in zip(model.get_weights(), best["all"][k][1]):
        np.testing.assert_array_equal(a, b)


def test_reduce_lr_on_plateau_lowers_the_optimizers_rate_in_fit():
    x, y = toy(n=64)
    model = small(optimizer=Adam(learning_rate=1e-3))
    seen = []

    class Rate(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(self.model.optimizer_.param_groups[0]["lr"])

    # min_delta so large that only the first epoch counts as an improvement
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[plateau, Rate()])
    np.testing.assert_allclose(seen, [1e-3, 1e-3, 5e-4, 2.5e-4])
    np.testing.assert_allclose(history.history["learning_rate"], seen)  # as Keras: the epoch's rate
    with pytest.raises(InvalidArgumentError, match="factor"):
        ReduceLROnPlateau(factor=1.5)


def test_model_checkpoint_writes_loadable_files(tmp_path):
    x, y = toy(n=64)
    model = small()
    ckpt = ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.lstmcast"), monitor="loss")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep01.lstmcast", "ep02.lstmcast"]
    np.testing.assert_array_equal(load_model(tmp_path / "ep02.lstmcast").predict(x),
                                  model.predict(x))


def test_save_then_load_predicts_exactly_the_same(tmp_path):
    x, y = toy()
    model = small(optimizer="rmsprop", metrics=["mape"])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.lstmcast"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.evaluate(x, y) == pytest.approx(model.evaluate(x, y))
    # the optimizer state came along: one more epoch gives the same weights either way
    lstmcast.set_seed(3)
    model.fit(x, y, epochs=1, verbose=0)
    lstmcast.set_seed(3)
    loaded.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_gru_model_saves_and_loads(tmp_path):
    x, y = toy(n=40)
    model = Sequential([GRU(6, input_shape=(8, 3)), Dense(1)], device="cpu")
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "gru.lstmcast")
    np.testing.assert_array_equal(load_model(tmp_path / "gru.lstmcast").predict(x),
                                  model.predict(x))


def test_loading_bad_files_gives_artifact_errors(tmp_path):
    x, y = toy(n=40)
    model = small()
    model.fit(x, y, epochs=1, verbose=0)
    good = tmp_path / "good.lstmcast"
    model.save(good)
    data = good.read_bytes()
    with pytest.raises(ArtifactError, match="does not exist"):
        load_model(tmp_path / "missing.lstmcast")
    (tmp_path / "trunc").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="not a readable lstmcast artifact"):
        load_model(tmp_path / "trunc")
    (tmp_path / "text").write_text("hello, I am a CSV\n1,2,3\n")
    with pytest.raises(ArtifactError, match="not a readable lstmcast artifact"):
        load_model(tmp_path / "text")
    flipped = bytearray(data)
    flipped[-5] ^= 0xFF
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(ArtifactError, match="corrupted"):
        load_model(tmp_path / "flipped")
    newer = data.replace(b'"format_version":"1"', b'"format_version":"9"')
    assert newer != data
    (tmp_path / "newer").write_bytes(newer)
    with pytest.raises(ArtifactError, match="newer than this lstmcast reads"):
        load_model(tmp_path / "newer")


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    x, y = toy(n=40)
    model = small()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.lstmcast"
    model.save(path)
    before = path.read_bytes()
    model.fit(x, y, epochs=1, verbose=0)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lstmcast.engine.bundle.os.replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.lstmcast"]  # no temp file left


def test_fit_takes_zero_copy_windows_directly():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(500, 2)).astype("float32")
    groups = np.repeat([0, 1], 250)
    X, y = make_windows(series, 10, target=series[:, 0], groups=groups)
    model = Sequential([LSTM(4, input_shape=(10, 2)), Dense(1)], device="cpu")
    model.compile(loss="mse", optimizer="adam")
    model.fit(X, y, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(X), model.predict(np.asarray(X)), atol=1e-6)


def test_progress_bar_prints_epochs_and_metrics(capsys):
    x, y = toy(n=64)
    model = small()
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2 [" in out and "ms/step - loss:" in out and "mae:" in out


def test_nan_loss_stops_with_a_clear_message():
    x, y = toy(n=64)
    model = small(loss=lambda t, p: torch.log(p - 1e9))
    with pytest.raises(RuntimeError, match="loss became nan"):
        model.fit(x, y, epochs=1, verbose=0)


def test_time_limit_stops_training():
    from lstmcast.engine.callbacks import TimeLimit

    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)], device="cpu")
    model.compile(loss="mse", optimizer="adam")
    limit = TimeLimit(1e-9)
    history = model.fit(np.zeros((20, 5, 2), "float32"), np.zeros(20), epochs=5, verbose=0,
                        callbacks=[limit])
    assert len(history.epoch) == 1 and limit.stopped_epoch == 0
    with pytest.raises(ValueError, match="`seconds`"):
        TimeLimit(0)
