"""lstmcast.tables.changes: row-to-row changes within each series, never across a boundary."""

import numpy as np

from lstmcast.tables.changes import first_rows, row_changes, window_changes


def test_row_changes_within_each_series_and_zero_on_first_rows():
    values = np.array([[1.0, 10.0], [3.0, 10.0], [6.0, 7.0],  # series 0: rows 0-2
                       [100.0, 0.0], [90.0, 5.0]])  # series 1: rows 3-4
    out = row_changes(values, [(0, 3), (3, 5)])
    expected = np.array([[0.0, 0.0], [2.0, 0.0], [3.0, -3.0],
                         [0.0, 0.0], [-10.0, 5.0]])  # 100 - 6 is never taken
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float64
    # against pandas' groupby diff, on a longer random panel
    rng = np.random.default_rng(0)
    ids = np.repeat([0, 1, 2], [5, 1, 7])
    vals = rng.normal(size=(13, 3)).astype(np.float32)
    import pandas as pd

    ref = pd.DataFrame(vals).groupby(ids).diff().fillna(0.0).to_numpy()  # float32 steps
    np.testing.assert_allclose(row_changes(vals, [(0, 5), (5, 6), (6, 13)]), ref, rtol=1e-6)


def test_row_changes_leaves_the_input_alone():
    values = np.arange(6.0).reshape(3, 2)
    before = values.copy()
    row_changes(values, [(0, 3)])
    np.testing.assert_array_equal(values, before)


def test_first_rows_marks_each_series_start_and_skips_empty_series():
    mask = first_rows([(0, 3), (3, 3), (3, 5), (5, 9)], 9)
    assert mask.dtype == bool and mask.shape == (9,)
    assert np.flatnonzero(mask).tolist() == [0, 3, 5]
    assert not first_rows([], 4).any()


def test_window_changes_subtracts_each_window_s_last_level():
    levels = np.arange(20.0).reshape(10, 2) ** 2  # (rows, targets)
    last_rows = np.array([2, 5])
    target_rows = np.array([[3, 4], [6, 7]])  # (W, steps)
    out = window_changes(levels, last_rows, target_rows)
    assert out.shape == (2, 2, 2)
    for w in range(2):
        for s in range(2):
            np.testing.assert_array_equal(out[w, s], levels[target_rows[w, s]]
                                          - levels[last_rows[w]])
