"""lstmcast.engine.optimizers: Keras's names and defaults, and the updates they build.

Each optimizer runs a few steps on a tiny quadratic, f(w) = 0.5 * sum(a * w^2) - b . w
(gradient a * w - b), and lands where the update rule written here in NumPy lands.
Tolerances: float64 weights agree to 1e-12 (relative, 1e-14 absolute); float32 weights
(torch's fused Adam kernel) to 1e-6. Names, defaults, configs and the errors for bad
settings are checked as the module documents them. Gradient clipping (``clipnorm``) is
applied by the training loop and tested there (tests/test_reliability.py).
"""

import math
import re

import numpy as np
import pytest
import torch

from lstmcast.engine.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    get_optimizer,
    optimizer_from_config,
)
from lstmcast.errors import InvalidArgumentError

A = np.array([1.0, 4.0, 0.5])
B = np.array([2.0, -1.0, 0.3])
W0 = np.array([0.5, -0.2, 3.0])
STEPS = 6


def grad(w):
    return A * w - B


def run(optimizer, dtype=torch.float64, steps=STEPS):
    """``steps`` updates of the quadratic from W0 by the torch optimizer ``optimizer`` builds."""
    w = torch.tensor(W0, dtype=dtype, requires_grad=True)
    a, b = torch.tensor(A, dtype=dtype), torch.tensor(B, dtype=dtype)
    opt = optimizer.build([w])
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (a * w * w).sum() - (b * w).sum()).backward()
        opt.step()
    return w.detach().numpy().astype(np.float64)


def adam_numpy(lr, b1, b2, eps, decay=0.0, steps=STEPS):
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, steps + 1):
        g = grad(w)
        w = w * (1 - lr * decay)  # AdamW: decoupled weight decay, before the Adam step
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def sgd_numpy(lr, momentum, nesterov, steps=STEPS):
    """Keras's form: velocity = momentum * velocity - lr * g; w += velocity (Nesterov:
    w += momentum * velocity - lr * g)."""
    w, velocity = W0.copy(), np.zeros(3)
    for _ in range(steps):
        g = grad(w)
        velocity = momentum * velocity - lr * g
        w = w + (momentum * velocity - lr * g if nesterov else velocity)
    return w


def rmsprop_numpy(lr, rho, momentum, eps, steps=STEPS):
    w, square, buf = W0.copy(), np.zeros(3), np.zeros(3)
    for _ in range(steps):
        g = grad(w)
        square = rho * square + (1 - rho) * g * g
        step = g / (np.sqrt(square) + eps)
        buf = momentum * buf + step
        w = w - lr * buf
    return w


def close(got, want, rtol=1e-12):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14 if rtol < 1e-9 else 1e-7)


# -- updates -----------------------------------------------------------------------------------
def test_adam_with_kerass_defaults():
    close(run(Adam()), adam_numpy(0.001, 0.9, 0.999, 1e-7))


def test_adam_with_its_own_settings_in_float32_and_float64():
    opt = Adam(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3)
    want = adam_numpy(0.05, 0.8, 0.99, 1e-3)
    close(run(opt), want)
    close(run(opt, dtype=torch.float32), want, rtol=1e-6)
    assert np.abs(want - W0).max() > 0.1  # it did move


def test_adamw_decays_the_weights_apart_from_the_gradient():
    close(run(AdamW()), adam_numpy(0.001, 0.9, 0.999, 1e-7, decay=0.004))
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    want = adam_numpy(0.1, 0.9, 0.999, 1e-7, decay=0.5)
    close(run(opt), want)
    assert np.abs(want - adam_numpy(0.1, 0.9, 0.999, 1e-7)).max() > 1e-3  # decay matters


@pytest.mark.parametrize(("momentum", "nesterov"), [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_as_keras_writes_it(momentum, nesterov):
    close(run(SGD(learning_rate=0.1, momentum=momentum, nesterov=nesterov)),
          sgd_numpy(0.1, momentum, nesterov))


def test_sgd_defaults_one_step_by_hand():
    # w - 0.01 * (a * w - b), once
    close(run(SGD(), steps=1), W0 - 0.01 * (A * W0 - B))


@pytest.mark.parametrize(("rho", "momentum"), [(0.9, 0.0), (0.5, 0.8)])
def test_rmsprop(rho, momentum):
    close(run(RMSprop(learning_rate=0.01, rho=rho, momentum=momentum)),
          rmsprop_numpy(0.01, rho, momentum, 1e-7))


def test_a_few_hundred_steps_reach_the_minimum():
    minimum = B / A
    for opt in (Adam(learning_rate=0.05), SGD(learning_rate=0.2, momentum=0.5),
                RMSprop(learning_rate=0.01)):
        np.testing.assert_allclose(run(opt, steps=600), minimum, atol=0.02, err_msg=repr(opt))


# -- names, defaults, configs --------------------------------------------------------------------
def test_defaults_are_kerass():
    assert Adam().get_config() == {"learning_rate": 0.001, "clipnorm": None, "beta_1": 0.9,
                                   "beta_2": 0.999, "epsilon": 1e-7}
    assert AdamW().get_config() == {"learning_rate": 0.001, "clipnorm": None, "beta_1": 0.9,
                                    "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.004}
    assert SGD().get_config() == {"learning_rate": 0.01, "clipnorm": None, "momentum": 0.0,
                                  "nesterov": False}
    assert RMSprop().get_config() == {"learning_rate": 0.001, "clipnorm": None, "rho": 0.9,
                                      "momentum": 0.0, "epsilon": 1e-7}
    assert repr(SGD(learning_rate=0.5, clipnorm=1.0)) == (
        "SGD(learning_rate=0.5, clipnorm=1.0, momentum=0.0, nesterov=False)")


def test_the_built_torch_optimizers_hold_the_settings():
    w = [torch.zeros(2, requires_grad=True)]
    adam = Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.6, epsilon=1e-4).build(w)
    assert isinstance(adam, torch.optim.Adam)
    assert (adam.defaults["lr"], adam.defaults["betas"], adam.defaults["eps"]) == (
        0.02, (0.5, 0.6), 1e-4)
    adamw = AdamW(weight_decay=0.3).build(w)
    assert isinstance(adamw, torch.optim.AdamW) and adamw.defaults["weight_decay"] == 0.3
    sgd = SGD(learning_rate=0.3, momentum=0.7, nesterov=True).build(w)
    assert isinstance(sgd, torch.optim.SGD)
    assert (sgd.defaults["lr"], sgd.defaults["momentum"], sgd.defaults["nesterov"]) == (
        0.3, 0.7, True)
    rms = RMSprop(rho=0.8, momentum=0.1).build(w)
    assert isinstance(rms, torch.optim.RMSprop)
    assert (rms.defaults["alpha"], rms.defaults["momentum"]) == (0.8, 0.1)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop", "Adam", "RMSPROP"])
def test_names_give_the_defaults(name):
    opt = get_optimizer(name)
    assert type(opt) is OPTIMIZERS[name.lower()]
    assert opt.get_config() == OPTIMIZERS[name.lower()]().get_config()


def test_an_instance_is_used_as_it_is():
    mine = Adam(learning_rate=3e-4)
    assert get_optimizer(mine) is mine


@pytest.mark.parametrize("opt", [Adam(learning_rate=0.02, clipnorm=2.0),
                                 AdamW(weight_decay=0.1, beta_2=0.9),
                                 SGD(momentum=0.5, nesterov=True), RMSprop(rho=0.7)],
                         ids=lambda o: type(o).__name__)
def test_configs_round_trip(opt):
    again = optimizer_from_config(type(opt).__name__, opt.get_config())
    assert type(again) is type(opt) and again.get_config() == opt.get_config()
    close(run(again, steps=2), run(opt, steps=2), rtol=0)


# -- bad settings ---------------------------------------------------------------------------------
def message(name, expected, value):
    return re.escape(f"Received an invalid value for argument `{name}`, expected {expected}, "
                     f"got {value!r}.")


@pytest.mark.parametrize(("make", "name", "expected", "value"), [
    (lambda: Adam(learning_rate=0.0), "learning_rate", "a number in (0.0, inf]", 0.0),
    (lambda: SGD(learning_rate=-1), "learning_rate", "a number in (0.0, inf]", -1),
    (lambda: RMSprop(learning_rate="0.1"), "learning_rate", "a number in (0.0, inf]", "0.1"),
    (lambda: Adam(learning_rate=math.nan), "learning_rate", "a number in (0.0, inf]",
     math.nan),
    (lambda: Adam(beta_1=1.0), "beta_1", "a number in [0.0, 1.0)", 1.0),
    (lambda: Adam(beta_2=-0.1), "beta_2", "a number in [0.0, 1.0)", -0.1),
    (lambda: Adam(epsilon=0.0), "epsilon", "a number in (0.0, inf]", 0.0),
    (lambda: Adam(clipnorm=0.0), "clipnorm", "a number in (0.0, inf]", 0.0),
    (lambda: AdamW(weight_decay=-0.1), "weight_decay", "a number in [0.0, inf]", -0.1),
    (lambda: SGD(momentum=1.0), "momentum", "a number in [0.0, 1.0)", 1.0),
    (lambda: SGD(nesterov="yes"), "nesterov", "True or False", "yes"),
    (lambda: RMSprop(rho=1.0), "rho", "a number in [0.0, 1.0)", 1.0),
    (lambda: RMSprop(momentum=-0.5), "momentum", "a number in [0.0, 1.0)", -0.5),
    (lambda: RMSprop(epsilon=-1e-7), "epsilon", "a number in (0.0, inf]", -1e-7),
])
def test_bad_settings_are_named(make, name, expected, value):
    with pytest.raises(InvalidArgumentError, match=message(name, expected, value)):
        make()


@pytest.mark.parametrize("bad", ["adagrad", "", None, 0.001, torch.optim.Adam])
def test_an_unknown_optimizer_is_named(bad):
    with pytest.raises(InvalidArgumentError, match=message(
            "optimizer", "one of ['adam', 'adamw', 'rmsprop', 'sgd'] or an "
            "lstmcast.engine.optimizers instance such as Adam(learning_rate=1e-3)", bad)):
        get_optimizer(bad)


def test_an_unknown_class_in_a_config_is_named():
    with pytest.raises(InvalidArgumentError, match=message(
            "optimizer", "one of ['Adam', 'AdamW', 'RMSprop', 'SGD']", "Adagrad")):
        optimizer_from_config("Adagrad", {"learning_rate": 0.01})


def test_the_base_class_builds_nothing():
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).build([torch.zeros(1, requires_grad=True)])
