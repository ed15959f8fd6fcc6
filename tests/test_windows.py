import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcast import InvalidArgumentError, make_windows
from lstmcast.tables.windows import WindowView


def naive_windows(data, window, target, horizon, steps, groups):
    """The obvious loop: every start whose window and targets stay in one series."""
    data = np.asarray(data, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    target = data[:, 0] if target is None else np.asarray(target, dtype=float)
    groups = np.zeros(len(data)) if groups is None else np.asarray(groups)
    xs, ys = [], []
    for s in range(len(data)):
        rows = range(s, s + window + horizon + steps - 1)
        if rows[-1] >= len(data) or len({groups[r] for r in rows}) != 1:
            continue
        xs.append(data[s : s + window])
        first = s + window - 1 + horizon
        ys.append(target[first : first + steps])
    return np.array(xs), np.array(ys)


def test_d1_univariate_example_from_the_tutorial():
    values = np.arange(100.0)
    X, y = make_windows(values, window=19)
    assert X.shape == (81, 19, 1)  # the tutorial's loop stops at 80
    for k in (0, 40, 80):
        np.testing.assert_array_equal(X[k, :, 0], values[k : k + 19])
        assert y[k] == values[k + 19]


def test_d2_multivariate_predicts_the_row_after_the_window():
    x = np.arange(40.0).reshape(10, 4)
    rul = np.arange(191.0, 181.0, -1)  # engine 1 of FD001: 191, 190, 189, ...
    X, y = make_windows(x, window=3, target=rul)
    assert X.shape == (7, 3, 4)
    np.testing.assert_array_equal(X[0], x[0:3])
    assert y[0] == rul[3] == 188.0


def test_horizon_zero_labels_the_windows_last_row_and_steps_gives_a_block():
    v = np.arange(10.0)
    X, y = make_windows(v, window=3, horizon=0)
    assert len(X) == 8 and y[0] == 2.0
    X, y = make_windows(v, window=3, horizon=2, steps=3)
    assert y.shape == (4, 3)
    np.testing.assert_array_equal(y[0], [4.0, 5.0, 6.0])


def test_windows_are_a_read_only_view_not_a_copy():
    data = np.random.default_rng(0).normal(size=(1000, 5)).astype(np.float32)
    X, _ = make_windows(data, window=50, target=data[:, 0])
    assert np.shares_memory(X, data)
    assert not X.flags.writeable
    assert X.shape == (950, 50, 5) and X.strides[0] == data.strides[0]
    with pytest.raises(ValueError):
        X[0, 0, 0] = 1.0


def test_groups_never_cross_a_series_boundary():
    data = np.arange(20.0)
    groups = np.repeat([7, 3], 10)
    X, y = make_windows(data, window=4, groups=groups)
    assert isinstance(X, WindowView)
    assert X.shape == (12, 4, 1)  # 6 per series of 10 rows
    for k in range(len(X)):
        rows = X[k][:, 0].astype(int)
        assert len(set(groups[rows])) == 1
        assert groups[int(y[k])] == groups[rows[0]]
    assert np.shares_memory(X.base, data)
    np.testing.assert_array_equal(np.asarray(X)[6, :, 0], [10, 11, 12, 13])


def test_non_contiguous_groups_are_an_error_naming_the_series():
    with pytest.raises(InvalidArgumentError, match="series 1 are not contiguous"):
        make_windows(np.arange(6.0), window=2, groups=[1, 1, 2, 2, 1, 1])


def test_too_short_data_is_a_clear_error():
    with pytest.raises(InvalidArgumentError, match="need at least 20 rows"):
        make_windows(np.arange(10.0), window=19)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 0}, "`window`, expected a positive integer, got 0"),
        ({"window": 3, "horizon": -1}, "`horizon`"),
        ({"window": 3, "steps": 0}, "`steps`"),
        ({"window": 3, "target": np.arange(5.0)}, "`target`"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_multivariate_without_target_asks_for_one():
    with pytest.raises(InvalidArgumentError, match="pass an array"):
        make_windows(np.zeros((10, 3)), window=2)


def test_dataframe_input_and_non_numeric_columns():
    df = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) * 2})
    X, y = make_windows(df, window=3, target=df["a"])
    np.testing.assert_array_equal(X[1], df.to_numpy()[1:4])
    with pytest.raises(InvalidArgumentError, match="non-numeric: name"):
        make_windows(df.assign(name="x"), window=3, target=df["a"])


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    features=st.integers(1, 3),
    window=st.integers(1, 5),
    horizon=st.integers(0, 3),
    steps=st.integers(1, 3),
    with_target=st.booleans(),
)
def test_matches_the_naive_loop(lengths, features, window, horizon, steps, with_target):
    n = sum(lengths)
    groups = np.repeat(np.arange(len(lengths)), lengths)
    data = np.arange(n * features, dtype=float).reshape(n, features)
    if features == 1 and not with_target:
        target = None
    else:
        target = -np.arange(n, dtype=float)
    want_x, want_y = naive_windows(data, window, target, horizon, steps, groups)
    if len(want_x) == 0:
        with pytest.raises(InvalidArgumentError):
            make_windows(data, window, target=target, horizon=horizon, steps=steps, groups=groups)
        return
    X, y = make_windows(data, window, target=target, horizon=horizon, steps=steps, groups=groups)
    np.testing.assert_array_equal(np.asarray(X), want_x)
    np.testing.assert_array_equal(y.reshape(len(y), -1), want_y)
