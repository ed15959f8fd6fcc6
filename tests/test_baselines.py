"""lstmcast.forecast.baselines: the naive forecasts, from the rows the model could have seen,
checked against loops written out by hand."""

import numpy as np

from lstmcast.forecast.baselines import known_rows, naive, seasonal_naive, window_mean

Y = np.arange(12.0) ** 2  # 0, 1, 4, 9, 16, ...


def test_known_rows_end_before_the_window_s_last_row_with_horizon_zero():
    first, last = known_rows(np.array([0, 2]), window=3, horizon=1)
    assert first.tolist() == [0, 2] and last.tolist() == [2, 4]
    _, last = known_rows(np.array([0, 2]), window=3, horizon=0)
    assert last.tolist() == [1, 3]  # the last row holds the answer


def test_naive_repeats_the_last_known_value():
    out = naive(Y, np.array([0, 2]), window=3, horizon=1, steps=2)
    np.testing.assert_array_equal(out, [[4.0, 4.0], [16.0, 16.0]])
    out = naive(Y, np.array([0, 2]), window=3, horizon=0, steps=1)
    np.testing.assert_array_equal(out, [[1.0], [9.0]])


def test_window_mean_averages_the_known_values():
    out = window_mean(Y, np.array([0, 2, 5]), window=3, horizon=2, steps=3)
    expected = [Y[s:s + 3].mean() for s in (0, 2, 5)]
    np.testing.assert_allclose(out, np.repeat(np.array(expected)[:, None], 3, axis=1))
    out = window_mean(Y, np.array([4]), window=4, horizon=0, steps=1)
    np.testing.assert_allclose(out, [[Y[4:7].mean()]])  # rows 4, 5, 6: not row 7


def reference_seasonal(y, starts, window, horizon, steps, season, series_start):
    out = np.full((len(starts), steps), np.nan)
    for w, s in enumerate(starts):
        last = s + window - 1 - (horizon == 0)
        for j in range(steps):
            t = s + window - 1 + horizon + j
            k = 1
            while t - k * season > last:  # the smallest k that reaches a known row
                k += 1
            if t - k * season >= series_start[w]:
                out[w, j] = y[t - k * season]
    return out


def test_seasonal_naive_reaches_back_whole_seasons():
    starts = np.array([0, 2])
    out = seasonal_naive(Y, starts, window=3, horizon=1, steps=3, season=2,
                         series_start=np.array([0, 0]))
    # window 0 knows rows 0-2: targets 3, 4, 5 take rows 1, 2, 1 (5 - 2 = 3 is not known)
    np.testing.assert_array_equal(out, [[1.0, 4.0, 1.0], [9.0, 16.0, 9.0]])
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    for horizon in (0, 1, 3):
        for season in (1, 3, 7):
            starts = np.array([0, 5, 9, 20])
            series_start = np.array([0, 0, 9, 9])
            got = seasonal_naive(y, starts, 6, horizon, 4, season, series_start)
            want = reference_seasonal(y, starts, 6, horizon, 4, season, series_start)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)])


def test_seasonal_naive_is_unknown_before_the_series_starts():
    out = seasonal_naive(Y, np.array([2]), window=2, horizon=1, steps=2, season=4,
                         series_start=np.array([2]))
    # targets 4 and 5 reach back to rows 0 and 1, before the series' first row 2
    assert np.isnan(out).all()
    out = seasonal_naive(Y, np.array([2]), window=2, horizon=1, steps=2, season=4,
                         series_start=np.array([0]))
    np.testing.assert_array_equal(out, [[0.0, 1.0]])
