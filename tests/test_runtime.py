"""Speed switches: dropout masks, bfloat16, fused Adam, the allocator, steps_per_epoch."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from lstmcast import Forecaster
from lstmcast.engine.callbacks import Callback
from lstmcast.engine.network import DropoutBlock
from lstmcast.engine.optimizers import Adam
from lstmcast.errors import InvalidArgumentError
from lstmcast.layers import LSTM, Dense, Dropout
from lstmcast.models import Sequential, load_model


def test_dropout_masks_have_the_right_rate_scale_and_gradient():
    torch.manual_seed(0)
    block = DropoutBlock(0.2).train()
    x = torch.full((1000, 1000), 2.0, requires_grad=True)
    y = block(x)
    dropped = (y == 0).double().mean().item()
    # Bernoulli(0.2) over 10^6 values: standard error 4e-4; allow 5 of them
    assert abs(dropped - 0.2) < 5 * (0.2 * 0.8 / 1e6) ** 0.5
    assert torch.allclose(y[y != 0], torch.tensor(2.0 / 0.8))
    y.sum().backward()
    assert torch.equal(x.grad, (y != 0).float() / 0.8)  # gradient = mask x scale
    block.eval()
    assert block(x) is x


def test_dropout_keeps_bfloat16_inputs_in_bfloat16():
    block = DropoutBlock(0.5).train()
    x = torch.ones(64, 64, dtype=torch.bfloat16)
    y = block(x)
    assert y.dtype == torch.bfloat16 and set(y.unique().tolist()) <= {0.0, 2.0}


def _model(precision="float32"):
    model = Sequential([LSTM(16, input_shape=(10, 3), return_sequences=True), Dropout(0.2),
                        LSTM(8), Dense(1)], device="cpu", precision=precision)
    model.compile(loss="mse", optimizer="adam")
    return model


def _data(n=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 10, 3)).astype(np.float32)
    return x, x[:, -3:, 0].mean(axis=1)


def test_bfloat16_training_learns_and_predicts_close_to_float32(tmp_path):
    x, y = _data()
    torch.manual_seed(0)
    model = _model("bfloat16")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert all(p.dtype == torch.float32 for p in model.network_.parameters())
    fast = model.predict(x)
    assert fast.dtype == np.float32
    exact = _model("float32")
    exact.build((10, 3))
    exact.set_weights(model.get_weights())
    # bfloat16 keeps 8 bits of mantissa: forecasts agree to about 1e-2 of their scale
    assert np.max(np.abs(fast - exact.predict(x))) < 3e-2 * np.abs(exact.predict(x)).max()
    model.save(tmp_path / "m.lstmcast")
    assert load_model(tmp_path / "m.lstmcast", device="cpu").precision == "bfloat16"


def test_a_bad_precision_is_named():
    with pytest.raises(InvalidArgumentError, match="precision"):
        Sequential(precision="fp8")
    with pytest.raises(InvalidArgumentError, match="precision"):
        Forecaster(precision="half").fit(pd.DataFrame({"y": np.arange(64.0)}), "y")


def test_forecaster_passes_its_precision_to_its_networks():
    frame = pd.DataFrame({"y": np.sin(np.arange(120) / 5.0)})
    model = Forecaster(window=8, units=(8,), epochs=2, precision="bfloat16", device="cpu")
    model.fit(frame, "y")
    assert model.model_.precision == "bfloat16"
    assert np.isfinite(model.predict(frame)["y"].to_numpy()).all()


def test_fused_adam_takes_the_adam_step():
    param = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    optimizer = Adam(learning_rate=0.1).build([param])
    assert optimizer.param_groups[0]["fused"] is True
    grad = np.array([0.3, -4.0, 1e-3])
    param.grad = torch.tensor(grad, dtype=torch.float32)
    optimizer.step()
    # first step from zero moments: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps)
    expected = np.array([1.0, -2.0, 0.5]) - 0.1 * grad / (np.abs(grad) + 1e-7)
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-6, atol=1e-7)


def test_steps_per_epoch_limits_the_batches():
    class Count(Callback):
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            Count.batches += 1

    x, y = _data(256)
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=32, steps_per_epoch=3, verbose=0,
                        callbacks=[Count()])
    assert Count.batches == 6 and history.params["steps"] == 3
    with pytest.raises(InvalidArgumentError, match="steps_per_epoch"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize("env, expected", [
    ({}, True),
    ({"LSTMCAST_TUNE_MALLOC": "0"}, False),
    ({"MALLOC_TRIM_THRESHOLD_": "1000000"}, False),  # the user's own setting wins
])
def test_the_allocator_is_tuned_unless_told_not_to(env, expected):
    code = ("import lstmcast.engine.runtime as r; a = r.tune_allocator(); "
            "b = r.tune_allocator(); print(a, b)")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MALLOC_", "LSTMCAST_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**clean, **env}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(expected)] * 2


def test_a_forecaster_trains_and_forecasts_on_the_threads_it_is_given():
    import numpy as np
    import pandas as pd
    import torch

    from lstmcast import Forecaster
    from lstmcast.engine.callbacks import Callback
    from lstmcast.engine.runtime import cpu_threads

    seen = []

    class Threads(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(torch.get_num_threads())

    start = torch.get_num_threads()
    torch.set_num_threads(2)  # a count the face must change and then put back
    before = torch.get_num_threads()
    with cpu_threads(3):
        assert torch.get_num_threads() == 3
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before
    frame = pd.DataFrame({"y": np.sin(np.arange(120) / 5)})
    fc = Forecaster(window=8, units=(4,), epochs=2, threads=1, callbacks=[Threads()])
    fc.fit(frame, target="y")
    assert seen == [1, 1] and torch.get_num_threads() == before
    fc.predict(frame)
    assert torch.get_num_threads() == before
    inside = []
    with pytest.MonkeyPatch.context() as patch:  # evaluate and explain run on them too
        from lstmcast.forecast import evaluation, forecaster

        real_evaluate, real_explain = evaluation.evaluate, forecaster.explain_series
        patch.setattr(evaluation, "evaluate", lambda *a, **k: inside.append(
            torch.get_num_threads()) or real_evaluate(*a, **k))
        patch.setattr(forecaster, "explain_series", lambda *a, **k: inside.append(
            torch.get_num_threads()) or real_explain(*a, **k))
        fc.evaluate(frame, holdout=20)
        fc.explain(frame)
    assert inside == [1, 1] and torch.get_num_threads() == before
    with pytest.raises(InvalidArgumentError, match="threads"):
        Forecaster(threads=0).fit(frame, target="y")
    torch.set_num_threads(start)
