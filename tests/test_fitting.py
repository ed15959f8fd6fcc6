"""lstmcast.forecast.fitting: what needs no training (the run tag, the blend rules)."""

from types import SimpleNamespace

import pytest

from lstmcast import Forecaster
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.fitting import blends, run_tag

PIPELINE = SimpleNamespace(inputs=["y", "x"], targets=["y"], roles=SimpleNamespace(
    future_inputs=[]))


def test_a_resumed_run_may_change_the_budget_and_the_printing_but_not_the_network():
    tag = run_tag(Forecaster(epochs=5), "abc", PIPELINE)
    for same in (dict(epochs=50), dict(max_seconds=9.0), dict(verbose=2), dict(device="cpu"),
                 dict(checkpoint="/tmp/x.ckpt", keep_checkpoint=True)):
        assert run_tag(Forecaster(**same), "abc", PIPELINE) == tag, same
    for other in (dict(units=(32,)), dict(window=12), dict(seed=1), dict(blend=None)):
        assert run_tag(Forecaster(epochs=5, **other), "abc", PIPELINE) != tag, other
    assert run_tag(Forecaster(epochs=5), "other data", PIPELINE) != tag
    assert run_tag(Forecaster(epochs=5), "abc", SimpleNamespace(
        inputs=["y"], targets=["y"])) != tag


def test_the_chosen_forecast_needs_the_targets_past():
    assert blends(Forecaster(), PIPELINE)
    assert not blends(Forecaster(blend=None), PIPELINE)
    future = SimpleNamespace(inputs=["y", "x"], targets=["y"],
                             roles=SimpleNamespace(future_inputs=["x"]))
    assert blends(Forecaster(), future)  # chosen (the networks alone when best)
    assert not blends(Forecaster(blend="auto"), future)  # the map cannot see "x"
    assert not blends(Forecaster(horizon=0), PIPELINE)
    blind = SimpleNamespace(inputs=["x"], targets=["y"], roles=SimpleNamespace(
        future_inputs=[]))
    assert not blends(Forecaster(), blind)
    with pytest.raises(InvalidArgumentError, match="not among the inputs"):
        blends(Forecaster(blend="linear"), blind)
