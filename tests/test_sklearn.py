"""scikit-learn's estimator contract, checked with scikit-learn itself.

Of ``sklearn.utils.estimator_checks``, the checks of the contract's parameters
apply (below). The others fit and predict on NumPy arrays ``X, y``: a
Forecaster fits a table whose target is a named column, so they do not apply;
``check_estimators_unfitted`` also wants sklearn's own NotFittedError class,
which lstmcast does not depend on (its NotFittedError is, like sklearn's, a
ValueError and an AttributeError).
"""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit  # noqa: E402
from sklearn.utils import estimator_checks as checks  # noqa: E402

from lstmcast import Forecaster  # noqa: E402
from lstmcast.datasets import load_airline  # noqa: E402
from lstmcast.errors import InvalidArgumentError  # noqa: E402
from lstmcast.layers import LSTM, Dense  # noqa: E402

APPLICABLE = ["check_no_attributes_set_in_init", "check_get_params_invariance",
              "check_set_params", "check_estimator_cloneable", "check_estimator_repr",
              "check_do_not_raise_errors_in_init_or_set_params",
              "check_parameters_default_constructible", "check_estimator_tags_renamed",
              "check_mixin_order"]


@pytest.mark.parametrize("check", APPLICABLE)
def test_sklearn_checks_that_apply_pass(check):
    getattr(checks, check)("Forecaster", Forecaster(window=12, units=(8, 4)))


def test_clone_copies_the_parameters_and_nothing_fitted():
    layers = [LSTM(8, input_shape=(6, 1)), Dense(1)]
    original = Forecaster.preset("long-horizon", window=48, steps=24, seed=7)
    copy = clone(original)
    assert copy is not original and copy.get_params() == original.get_params()
    with_layers = Forecaster(layers=layers, window=6)
    assert clone(with_layers).get_params()["window"] == 6


def test_get_and_set_params():
    fc = Forecaster()
    assert fc.get_params(deep=True) == fc.get_params(deep=False)
    assert fc.set_params(window=48, units=(16,)) is fc
    assert (fc.window, fc.units) == (48, (16,))
    with pytest.raises(InvalidArgumentError) as error:
        fc.set_params(windw=3, epochs=2)
    assert "Did you mean 'window'" in str(error.value) and "learning_rate" in str(error.value)
    assert fc.epochs == 100  # nothing was set


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(Forecaster()) == "Forecaster()"
    assert repr(Forecaster(window=96, units=[64], loss="mae")) == \
        "Forecaster(units=[64], window=96, loss='mae')"


@pytest.mark.filterwarnings("ignore")
def test_a_time_series_split_search_over_window_and_units():
    # a search over window and units: 3 candidates x 2 folds, then the refit
    data = load_airline()
    search = GridSearchCV(Forecaster(epochs=2, units=(4,), seed=0),
                          [{"window": [6, 12]}, {"window": [6], "units": [(8,)]}],
                          cv=TimeSeriesSplit(n_splits=2, test_size=30), error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(data, target="passengers", time="month")
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 3 and np.all(np.isfinite(scores)) and np.all(scores < 0)
    best = search.best_estimator_
    assert best.window == search.best_params_["window"] and hasattr(best, "ensemble_")
    # score is minus the RMSE that evaluate reports on the same table
    tail = data.iloc[-40:]
    rmse = best.evaluate(tail).query("model == 'lstmcast'")["rmse"].mean()
    assert best.score(tail) == pytest.approx(-rmse)
