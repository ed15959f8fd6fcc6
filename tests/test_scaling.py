import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstmcast import NotFittedError
from lstmcast.tables.scaling import Scaler


@settings(max_examples=60, deadline=None)
@given(values=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
                     elements=st.floats(-1e6, 1e6)),
       kind=st.sampled_from(["minmax", "standard"]))
def test_inverse_of_transform_is_the_identity(values, kind):
    scaler = Scaler(kind).fit(values)
    back = scaler.inverse_transform(scaler.transform(values))
    np.testing.assert_allclose(back, values, rtol=1e-9, atol=1e-6)


def test_minmax_uses_training_rows_only_and_constant_columns_are_safe():
    train = np.array([[0.0, 5.0], [10.0, 5.0]])
    scaler = Scaler("minmax").fit(train)
    np.testing.assert_allclose(scaler.transform(np.array([[20.0, 5.0]])), [[2.0, 0.0]])
    np.testing.assert_allclose(scaler.transform(train), [[0.0, 0.0], [1.0, 0.0]])


def test_round_trip_through_config_and_not_fitted():
    scaler = Scaler("standard").fit(np.arange(10.0))
    again = Scaler.from_config(scaler.get_config())
    np.testing.assert_array_equal(again.transform(np.arange(3.0)), scaler.transform(np.arange(3.0)))
    with pytest.raises(NotFittedError):
        Scaler().transform(np.zeros(3))
