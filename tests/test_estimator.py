"""lstmcast.forecast.estimator: the scikit-learn contract from a constructor's signature,
on a small estimator of its own (no network)."""

import pytest

from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.estimator import Estimator


class Model(Estimator):
    def __init__(self, window: int = 30, units=(100, 50), scaler: str = "minmax",
                 dropout: float = 0.2, callbacks=None, flag: bool = False) -> None:
        self._store(locals())


def test_init_stores_each_argument_and_get_params_reads_them():
    model = Model(window=7, units=[8])
    assert model.get_params() == {"window": 7, "units": [8], "scaler": "minmax",
                                  "dropout": 0.2, "callbacks": None, "flag": False}
    assert model.get_params(deep=False) == model.get_params()
    assert (model.window, model.units) == (7, [8])


def test_set_params_changes_them_and_returns_self():
    model = Model()
    assert model.set_params(window=12, flag=True) is model
    assert model.get_params()["window"] == 12 and model.flag is True


def test_set_params_refuses_an_unknown_name_and_changes_nothing():
    model = Model()
    with pytest.raises(InvalidArgumentError) as info:
        model.set_params(window=5, widow=10)
    assert str(info.value) == ("Unknown Model argument 'widow'. Did you mean 'window'? "
                               "Valid: window, units, scaler, dropout, callbacks, flag.")
    assert model.window == 30  # checked before anything is set


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(Model()) == "Model()"
    assert repr(Model(units=[100, 50])) == "Model()"  # a list equals the default tuple
    assert repr(Model(window=7, scaler="robust")) == "Model(window=7, scaler='robust')"
    assert repr(Model(dropout=0)) == "Model(dropout=0)"  # 0 is not 0.2, an int not a float
    assert repr(Model(flag=1)) == "Model(flag=1)"  # 1 is not False
    marker = object()
    assert repr(Model(callbacks=[marker])).startswith("Model(callbacks=[<object")


def test_scikit_learn_clones_it():
    from sklearn.base import clone, is_regressor

    model = Model(window=9, scaler="standard")
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert is_regressor(model)
