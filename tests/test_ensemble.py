"""lstmcast.forecast.ensemble: the networks' mean and its weighted sum with other forecasts,
on stub forecasters (anything with ``predict(x)``; nothing trained)."""

import numpy as np
import pytest

from lstmcast.forecast.ensemble import NETWORKS, Ensemble


class Stub:
    """A forecaster whose forecast of each window is ``value`` plus the window's first value."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def predict(self, x):
        self.calls += 1
        return (self.value + np.asarray(x)[:, 0, :1]).astype(np.float32)


class Refuses:
    def predict(self, x):
        raise AssertionError("a forecast with weight 0 is not computed")


X = np.arange(6.0).reshape(3, 2, 1)  # three windows, first values 0, 2, 4


def test_the_networks_mean():
    one = Ensemble([Stub(1.0)])
    np.testing.assert_array_equal(one.predict(X), [[1.0], [3.0], [5.0]])
    members = [Stub(1.0), Stub(3.0), Stub(8.0)]
    ensemble = Ensemble(members)
    np.testing.assert_allclose(ensemble.predict(X), [[4.0], [6.0], [8.0]])  # (1 + 3 + 8) / 3
    assert all(m.calls == 1 for m in members)
    assert len(ensemble) == 3 and ensemble.first is members[0]
    assert not ensemble.combined and ensemble.weight == 1.0 and ensemble.linear is None


def test_a_weighted_sum_with_other_forecasts():
    linear, other = Stub(10.0), Refuses()
    ensemble = Ensemble([Stub(1.0), Stub(3.0)], {"linear_map": linear, "other": other},
                        {NETWORKS: 0.25, "linear_map": 0.75, "other": 0.0})
    out = ensemble.predict(X)
    expected = 0.25 * (2.0 + X[:, 0, :1]) + 0.75 * (10.0 + X[:, 0, :1])
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32 and out.shape == (3, 1)
    assert ensemble.combined and ensemble.weight == 0.25 and ensemble.linear is linear
    np.testing.assert_allclose(ensemble.networks_predict(X), 2.0 + X[:, 0, :1])


def test_without_the_networks_they_are_not_run():
    member = Stub(1.0)
    ensemble = Ensemble([member], {"linear_map": Stub(5.0)}, {"linear_map": 1.0})
    np.testing.assert_allclose(ensemble.predict(X), 5.0 + X[:, 0, :1])
    assert member.calls == 0 and ensemble.weight == 0.0


def test_blend_shares_the_forecast_between_the_networks_and_a_linear_map():
    linear = Stub(0.0)
    ensemble = Ensemble.blend([Stub(4.0)], linear, 0.6)
    assert ensemble.weights == pytest.approx({NETWORKS: 0.6, "linear_map": 0.4})
    np.testing.assert_allclose(ensemble.predict(X), 0.6 * 4.0 + X[:, 0, :1], rtol=1e-6)
    assert Ensemble.blend([Stub(4.0)], linear, 1.0).combined is False  # the map's share is 0


def test_weights_for_a_forecast_it_does_not_hold_are_refused():
    with pytest.raises(ValueError, match=r"^weights for forecasts the ensemble does not hold: "
                                         r"\{'linear_map'\}$"):
        Ensemble([Stub(1.0)], weights={NETWORKS: 0.5, "linear_map": 0.5})



def test_direct_calls_give_sequential_predicts_outputs_exactly():
    """``Ensemble.direct`` (what a forecast of a few series and the service use) calls each
    network straight: the same outputs as ``Sequential.predict``, bit for bit, with dropout
    off even after the network was set to train again; a member whose network was replaced
    is called anew."""
    import torch

    from lstmcast.layers import LSTM, Dense, Dropout
    from lstmcast.models import Sequential

    def model(seed):
        torch.manual_seed(seed)
        net = Sequential([LSTM(8, input_shape=(5, 2), return_sequences=True), Dropout(0.5),
                          LSTM(4), Dropout(0.5), Dense(1)])
        net.compile(loss="mse", optimizer="adam")
        return net

    members = [model(0), model(1)]
    ensemble = Ensemble(members, {"linear_map": Stub(2.0)}, {NETWORKS: 0.5, "linear_map": 0.5})
    x = np.random.default_rng(0).normal(size=(7, 5, 2)).astype(np.float32)
    direct = ensemble.direct()
    assert direct is not ensemble and direct.weights == ensemble.weights
    before = direct.predict(x)
    np.testing.assert_array_equal(before, ensemble.predict(x))
    members[0].network_.train()  # as fit leaves it: dropout would change every call
    np.testing.assert_array_equal(ensemble.direct().predict(x), before)
    members[1].network_ = model(5).network_
    after = ensemble.direct().predict(x)
    np.testing.assert_array_equal(after, ensemble.predict(x))
    assert np.abs(after - before).max() > 1e-4
