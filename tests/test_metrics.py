"""lstmcast.engine.metrics: metrics and losses against formulas written here in NumPy.

tests/test_keras_parity.py compares the metrics with Keras's (when Keras is installed) and
tests/test_intervals.py the pinball loss with scikit-learn's; this file checks every
metric, loss and alias against NumPy, Keras's MAPE epsilon where the truth is zero, the
per-value terms an epoch sums over batches of any size, callables as losses, and the
errors that name an unknown metric or loss.

Tolerances: float64 tensors agree with NumPy to 1e-12 (relative); float32 ones to 1e-6;
the pinball loss to 1e-7 even in float64, as it holds its levels in float32 (0.1 is
0.1 + 1.5e-9 there).
"""

import re

import numpy as np
import pytest
import torch

from lstmcast.engine.metrics import (
    EPSILON,
    LOSSES,
    METRICS,
    get_loss,
    get_metric,
    pinball_loss,
)
from lstmcast.errors import InvalidArgumentError

RTOL64 = 1e-12
RTOL32 = 1e-6
RTOL_LEVELS = 1e-7  # the pinball loss's levels are float32


def data(rng, shape=(40, 3)):
    y = rng.normal(loc=2.0, size=shape)
    p = y + rng.normal(scale=0.7, size=shape)
    return y, p


def mae(y, p):
    return np.mean(np.abs(y - p))


def mse(y, p):
    return np.mean((y - p) ** 2)


def rmse(y, p):
    return np.sqrt(mse(y, p))


def mape(y, p):  # Keras: 100 * mean(|y - p| / max(|y|, 1e-7))
    return 100.0 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), 1e-7))


def huber(y, p, delta=1.0):
    e = np.abs(y - p)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta)))


def re_repr(value):
    return re.escape(repr(value))


def epoch_value(metric, y, p):
    """A metric as an epoch finishes it: the mean of its per-value terms, finished."""
    term = metric.term(torch.from_numpy(y), torch.from_numpy(p))
    return metric.finish(float(term.double().mean()))


REFERENCE = {"mae": mae, "mse": mse, "rmse": rmse, "mape": mape}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_metric_matches_its_formula(name, rng):
    y, p = data(rng)
    metric = get_metric(name)
    assert metric.name == name
    assert epoch_value(metric, y, p) == pytest.approx(REFERENCE[name](y, p), rel=RTOL64)
    y32, p32 = y.astype(np.float32), p.astype(np.float32)
    assert epoch_value(metric, y32, p32) == pytest.approx(REFERENCE[name](y, p), rel=RTOL32)


@pytest.mark.parametrize(("long", "short"), [
    ("mean_absolute_error", "mae"), ("mean_squared_error", "mse"),
    ("root_mean_squared_error", "rmse"), ("mean_absolute_percentage_error", "mape")])
def test_keras_long_names(long, short):
    assert get_metric(long) is METRICS[short]


def test_mape_where_the_truth_is_zero_uses_kerass_epsilon():
    assert EPSILON == 1e-7
    y = np.array([0.0, 0.0, 2.0, -4.0])
    p = np.array([0.5, 0.0, 1.0, -5.0])
    # by hand: 100 * mean(0.5 / 1e-7, 0, 1 / 2, 1 / 4)
    expected = 100.0 * (0.5 / 1e-7 + 0.0 + 0.5 + 0.25) / 4
    assert epoch_value(get_metric("mape"), y, p) == pytest.approx(expected, rel=RTOL64)
    assert expected == pytest.approx(mape(y, p), rel=RTOL64)


def test_an_epochs_value_is_over_all_its_values_whatever_the_batches(rng):
    """Terms are per value, so sums over uneven batches give the epoch's mean; RMSE is the
    root of the epoch's mean square, not the mean of batch roots."""
    y, p = data(rng, shape=(37, 2))
    for name, reference in REFERENCE.items():
        metric = get_metric(name)
        total, count = 0.0, 0
        for a, b in ((0, 5), (5, 32), (32, 37)):
            term = metric.term(torch.from_numpy(y[a:b]), torch.from_numpy(p[a:b]))
            assert term.shape == (b - a, 2)
            total, count = total + float(term.sum()), count + term.numel()
        assert metric.finish(total / count) == pytest.approx(reference(y, p), rel=RTOL64), name
    batch_roots = np.mean([rmse(y[a:b], p[a:b]) for a, b in ((0, 5), (5, 32), (32, 37))])
    assert abs(batch_roots - rmse(y, p)) > 1e-3  # the difference the rule above makes


@pytest.mark.parametrize("bad", ["r2", "MAE", "", None, 3])
def test_an_unknown_metric_is_named(bad):
    with pytest.raises(InvalidArgumentError, match=r"Received an invalid value for argument "
                       r"`metrics`, expected a list of names from \['mae', 'mape', 'mse', "
                       rf"'rmse'\], got {re_repr(bad)}\."):
        get_metric(bad)


def test_an_unhashable_metric_is_named():
    with pytest.raises(InvalidArgumentError, match=r"argument `metrics`"):
        get_metric(["mae"])


# -- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "reference"), [
    ("mse", mse), ("mae", mae), ("huber", huber),
    ("mean_squared_error", mse), ("mean_absolute_error", mae)])
def test_each_loss_matches_its_formula(name, reference, rng):
    y, p = data(rng)
    p[:5] += 3.0  # some errors beyond Huber's delta of 1, some within
    key, fn = get_loss(name)
    assert key == {"mean_squared_error": "mse", "mean_absolute_error": "mae"}.get(name, name)
    assert fn is LOSSES[key]
    got = fn(torch.from_numpy(y), torch.from_numpy(p))
    assert got.ndim == 0
    assert float(got) == pytest.approx(reference(y, p), rel=RTOL64)


def test_huber_by_hand():
    _, fn = get_loss("huber")
    # errors 0.5 (0.5 * 0.25 = 0.125) and 3 (3 - 0.5 = 2.5): mean 1.3125
    got = fn(torch.tensor([0.0, 0.0]), torch.tensor([0.5, -3.0]))
    assert float(got) == pytest.approx(1.3125, rel=RTOL32)


def test_losses_give_gradients():
    p = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 2.0, 1.0], dtype=torch.float64)
    _, fn = get_loss("mse")
    fn(y, p).backward()
    # d/dp mean((p - y)^2) = 2 (p - y) / n
    np.testing.assert_allclose(p.grad.numpy(), 2 * np.array([1.0, 0.0, 3.0]) / 3, rtol=RTOL64)


def test_a_callable_loss_is_averaged_and_named():
    def per_sample(y_true, y_pred):
        return (y_true - y_pred).abs().sum(dim=1)  # one value per sample

    name, fn = get_loss(per_sample)
    assert name == "per_sample"
    y = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    p = torch.tensor([[1.0, 2.0], [1.0, 0.0]])
    assert float(fn(y, p)) == pytest.approx((3.0 + 1.0) / 2, rel=RTOL32)

    class Scaled:  # a callable object without a __name__
        def __call__(self, y_true, y_pred):
            return 2.0 * (y_true - y_pred).square()

    name, fn = get_loss(Scaled())
    assert name == "custom_loss"
    assert float(fn(y, p)) == pytest.approx(2.0 * (1 + 4 + 0 + 1) / 4, rel=RTOL32)


@pytest.mark.parametrize("bad", ["msle", "MSE", None, 1.0, ["mse"]])
def test_an_unknown_loss_is_named(bad):
    with pytest.raises(InvalidArgumentError, match=r"Received an invalid value for argument "
                       r"`loss`, expected one of \['huber', 'mae', 'mse'\] or a "
                       rf"callable\(y_true, y_pred\), got {re_repr(bad)}\."):
        get_loss(bad)


# -- pinball ---------------------------------------------------------------------------------------
def pinball_numpy(y, q, levels, targets):
    """Mean over every value of max(tau (y - q), (tau - 1) (y - q)); outputs ordered
    (step, level, target), targets (step, target)."""
    n = y.shape[0]
    pred = q.reshape(n, -1, len(levels), targets)
    truth = y.reshape(n, -1, 1, targets)
    tau = np.asarray(levels).reshape(1, 1, -1, 1)
    e = truth - pred
    return np.mean(np.maximum(tau * e, (tau - 1) * e))


@pytest.mark.parametrize(("steps", "levels", "targets"), [
    (1, (0.5,), 1), (3, (0.1, 0.5, 0.9), 1), (2, (0.05, 0.95), 3)])
def test_pinball_matches_its_formula(steps, levels, targets, rng):
    y = rng.normal(size=(16, steps * targets))
    q = rng.normal(size=(16, steps * len(levels) * targets))
    fn = pinball_loss(levels, targets)
    assert fn.slots == len(levels)
    got = fn(torch.from_numpy(y), torch.from_numpy(q))
    assert float(got) == pytest.approx(pinball_numpy(y, q, levels, targets), rel=RTOL_LEVELS)


def test_pinball_by_hand_and_at_the_median_half_the_mae():
    fn = pinball_loss((0.1, 0.9), 1)
    # truth 1; quantiles 0 (below: 0.1 * 1) and 3 (above: (1 - 0.9) * 2): mean 0.15
    got = fn(torch.tensor([[1.0]]), torch.tensor([[0.0, 3.0]]))
    assert float(got) == pytest.approx(0.15, rel=RTOL32)
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    median = pinball_loss((0.5,), 2)(torch.from_numpy(y), torch.from_numpy(p))
    assert float(median) == pytest.approx(mae(y, p) / 2, rel=RTOL64)
