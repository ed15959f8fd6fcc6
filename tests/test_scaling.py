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


def test_log_columns_are_scaled_as_their_log_and_come_back_by_exp():
    # reference by hand: column 0 as log, min-max over the training rows; column 1 as is
    from lstmcast.tables.scaling import KeyedScaler

    train = np.array([[1.0, -3.0], [np.e, 0.0], [np.e ** 3, 3.0]])
    scaler = KeyedScaler("minmax", log=[0]).fit(train)
    new = np.array([[np.e ** 2, 1.5], [np.e ** 4, -3.0]])
    np.testing.assert_allclose(scaler.transform(new), [[2 / 3, 0.75], [4 / 3, 0.0]],
                               rtol=1e-12)
    back = scaler.inverse_transform(scaler.transform(new))
    np.testing.assert_allclose(back, new, rtol=1e-12)
    again = KeyedScaler.from_config(scaler.get_config())
    assert again.get_config()["log"] == [0]
    np.testing.assert_allclose(again.transform(new), scaler.transform(new), rtol=1e-15)
    # a huge scaled value comes back as float64's largest, not inf
    assert np.isfinite(scaler.inverse_transform(np.array([[1e6, 0.0]]))).all()


def test_log_columns_per_series_and_in_parts_match_one_fit():
    from lstmcast.tables.scaling import KeyedScaler

    rng = np.random.default_rng(0)
    values = np.exp(rng.normal(size=(40, 2)))
    keys = np.repeat(["a", "b"], 20)
    whole = KeyedScaler("standard", log=[1]).fit(values, keys)
    parts = KeyedScaler("standard", log=[1])
    parts.partial_fit(values[:13], keys[:13]).partial_fit(values[13:], keys[13:])
    np.testing.assert_allclose(parts.transform(values, keys), whole.transform(values, keys),
                               rtol=1e-9)
    b = values[20:, 1]
    expected = (np.log(b) - np.log(b).mean()) / np.log(b).std()
    np.testing.assert_allclose(whole.transform(values, keys)[20:, 1], expected, rtol=1e-9)


def test_a_log_column_refuses_values_at_or_below_zero():
    from lstmcast import InvalidArgumentError
    from lstmcast.tables.scaling import KeyedScaler

    with pytest.raises(InvalidArgumentError, match="value of 0 .* log"):
        KeyedScaler("minmax", log=[0]).fit(np.array([[1.0], [0.0]]))
    scaler = KeyedScaler("minmax", log=[0]).fit(np.array([[1.0], [2.0]]))
    with pytest.raises(InvalidArgumentError, match="value of -1"):
        scaler.transform(np.array([[-1.0]]))


def test_ids_that_lost_their_leading_zeros_are_named_so():
    """Series "001" and "017" trained; a table saved again from a spreadsheet writes 1 and
    17: the error says they are the trained ids less their zeros."""
    from lstmcast.tables.scaling import KeyedScaler, UnknownKeyError

    scaler = KeyedScaler("minmax").fit(np.arange(4.0)[:, None],
                                       np.array(["001", "001", "017", "017"], dtype=object))
    with pytest.raises(UnknownKeyError, match=r"2 of them are trained ids without their "
                       r"leading zeros \('1' for '001'\), as a spreadsheet saves them"):
        scaler.transform(np.arange(2.0)[:, None], np.array([1, 17]))
    with pytest.raises(UnknownKeyError) as other:
        scaler.transform(np.arange(1.0)[:, None], np.array([5]))
    assert "leading zeros" not in str(other.value)
