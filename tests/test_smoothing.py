"""Holt-Winters over a window (lstmcast.forecast.smoothing) against statsmodels'
ExponentialSmoothing with the same constants and starting states (1e-9), and as the
linear map it is."""

import warnings

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from lstmcast.forecast import smoothing


def reference(y, season, params, steps, trend=True):
    """statsmodels fed the rows after the window's first season (or first row), started
    from the states lstmcast starts from. Its trend constant is beta / alpha."""
    alpha, beta, gamma, phi = params
    if season:
        m = season
        first = y[:m].mean()
        slope = (y[m:2 * m].mean() - first) / m
        level = first + slope * (m - 1) / 2
        terms = y[:m] - (first + slope * (np.arange(m) - (m - 1) / 2))
        model = ExponentialSmoothing(
            y[m:], trend="add", damped_trend=True, seasonal="add", seasonal_periods=m,
            initialization_method="known", initial_level=level, initial_trend=slope,
            initial_seasonal=terms)
        kwargs = dict(smoothing_seasonal=gamma)
    else:
        model = ExponentialSmoothing(y[1:], trend="add", damped_trend=True,
                                     initialization_method="known", initial_level=y[0],
                                     initial_trend=0.0)
        kwargs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(smoothing_level=alpha, smoothing_trend=beta / alpha,
                        damping_trend=phi, optimized=False, **kwargs)
    return fit


@pytest.mark.parametrize("params", [(0.3, 0.06, 0.2, 0.9), (1.0, 0.2, 0.05, 1.0),
                                    (0.05, 0.01, 0.4, 0.8)])
def test_one_step_forecasts_equal_statsmodels_at_every_row(params):
    rng = np.random.default_rng(1)
    m, rows = 4, 23
    y = 3 * np.sin(np.arange(rows) * 2 * np.pi / m) + 0.2 * np.arange(rows) + rng.normal(size=rows)
    fit = reference(y, m, params, 1)
    # lstmcast on each prefix of two seasons or more: its forecast of the next row is
    # statsmodels' fitted value there (every update of level, trend and season checked)
    mine = [smoothing.smooth(y[None, :k], m, np.array(params), 1, 1)[0, 0, 0]
            for k in range(2 * m, rows)]
    np.testing.assert_allclose(mine, fit.fittedvalues[m:], rtol=0, atol=1e-9)
    # and steps within a season from the end
    ahead = smoothing.smooth(y[None], m, np.array(params), 1, m - 1)[0, 0]
    np.testing.assert_allclose(ahead, fit.forecast(m - 1), rtol=0, atol=1e-9)


def test_damped_trend_without_a_season_equals_statsmodels_at_every_step():
    rng = np.random.default_rng(2)
    y = np.cumsum(rng.normal(0.3, 1.0, size=30))
    params = (0.4, 0.1, 0.0, 0.9)
    fit = reference(y, None, params, 9)
    mine = smoothing.smooth(y[None], None, np.array(params), 1, 9)[0, 0]
    np.testing.assert_allclose(mine, fit.forecast(9), rtol=0, atol=1e-9)
    # a horizon of 3: the forecasts 3 to 11 rows ahead
    later = smoothing.smooth(y[None], None, np.array(params), 3, 9)[0, 0]
    np.testing.assert_allclose(later, fit.forecast(11)[2:], rtol=0, atol=1e-9)


def test_a_season_ahead_reads_the_term_updated_at_the_last_row():
    """The forecast m rows ahead is level + damped trend + the season term of the last
    row's phase, as updated by that row (written out by hand)."""
    y = np.array([1.0, 5.0, 2.0, 0.0, 2.0, 6.0, 3.0, 1.0, 3.0])
    a, b, g, p = 0.5, 0.1, 0.3, 0.9
    first, slope = 2.0, (3.0 - 2.0) / 4
    level, trend = first + slope * 1.5, slope
    terms = list(y[:4] - (first + slope * (np.arange(4) - 1.5)))
    for t in range(4, 9):
        e = y[t] - (level + p * trend + terms[t % 4])
        level, trend = level + p * trend + a * e, p * trend + b * e
        terms[t % 4] += g * e
    expected = level + (p + p ** 2 + p ** 3 + p ** 4) * trend + terms[8 % 4]
    got = smoothing.smooth(y[None], 4, np.array([a, b, g, p]), 1, 4)[0, 0, 3]
    assert got == pytest.approx(expected, abs=1e-12)


def test_the_matrix_gives_the_recursion_and_columns_sum_to_one():
    rng = np.random.default_rng(3)
    windows = rng.normal(size=(50, 20)).cumsum(axis=1)
    params = smoothing.grid(True)[::97]
    direct = smoothing.smooth(windows, 6, params, 2, 5)
    maps = smoothing.matrices(20, 6, params, 2, 5)
    np.testing.assert_allclose(np.einsum("wr,prs->pws", windows, maps), direct, atol=1e-9)
    np.testing.assert_allclose(maps.sum(axis=1), 1.0, atol=1e-12)


def test_the_fit_finds_the_constants_that_made_the_targets():
    """Targets made by one grid point's smoothing (plus a little noise) are fitted best by
    that point, and the error it reports is the mean squared error of its forecasts."""
    rng = np.random.default_rng(4)
    history = rng.normal(size=(400, 24)).cumsum(axis=1)
    truth = np.array([0.3, 0.05, 0.2, 0.9])
    targets = smoothing.smooth(history, 12, truth, 1, 6)[0] + rng.normal(0, 1e-3, (400, 6))
    params, matrix, error = smoothing.fit(history, targets, 12, 1, 6)
    np.testing.assert_allclose(params, truth)
    assert error == pytest.approx(np.mean((history @ matrix - targets) ** 2), rel=1e-6)


def test_the_map_reads_the_last_rows_of_a_long_window():
    rng = np.random.default_rng(5)
    window, steps = 200, 4
    x = rng.normal(size=(300, window, 2)).cumsum(axis=1)
    y = x[:, -1:, 1].repeat(steps, axis=1) + rng.normal(0, 0.1, (300, steps))
    rows = smoothing.rows_read(window, 7)
    assert rows == 60
    sample = smoothing.Sample(rows, steps, [1], window)
    assert len(list(sample.counted([(x, y)]))) == 1
    fitted = smoothing.smoothing_map(sample, 7, 1)
    assert np.all(fitted.weights[:window - rows] == 0)
    expected = smoothing.smooth(x[:, -rows:, 1], 7, np.array(list(fitted.constants.values())),
                                1, steps)[0]
    np.testing.assert_allclose(fitted.predict(x), expected, atol=1e-4)  # float32 out


def test_no_training_windows_is_an_error():
    with pytest.raises(ValueError, match="no training windows"):
        smoothing.fit(np.zeros((0, 10)), np.zeros((0, 2)), None, 1, 2)


def test_a_table_read_in_many_chunks_keeps_a_bounded_sample():
    rng = np.random.default_rng(6)
    sample = smoothing.Sample(8, 2, [0], 8)
    chunks = [(rng.normal(size=(3000, 8, 1)), rng.normal(size=(3000, 2))) for _ in range(6)]
    passed = list(sample.counted(iter(chunks)))
    assert len(passed) == 6 and passed[0][0] is chunks[0][0]  # the chunks go on unchanged
    assert sum(len(h) for h in sample.history) <= 2 * smoothing.SAMPLE
    history, targets = sample.arrays()
    assert history.shape == (smoothing.SAMPLE, 8) and targets.shape == (smoothing.SAMPLE, 2)
    # the windows kept are windows of the chunks, paired with their own targets
    first = history[0]
    assert np.array_equal(first, chunks[0][0][0, :, 0]) and np.array_equal(targets[0],
                                                                             chunks[0][1][0])


def test_a_season_longer_than_a_day_of_5_minute_rows_is_not_kept():
    """A day of minutes (1440 rows): the smoothing runs without a season, over its last 60
    rows, so that its fit costs what a short season's does; a day of 5-minute rows (288)
    is kept, over four of them where the window holds them."""
    assert smoothing.LONGEST_SEASON == 288
    assert not smoothing.seasonal(2016, 1440) and smoothing.rows_read(2016, 1440) == 60
    assert smoothing.seasonal(1152, 288) and smoothing.rows_read(2016, 288) == 1152
    rng = np.random.default_rng(0)
    history = rng.normal(size=(40, 60)).cumsum(axis=1)
    params, _, _ = smoothing.fit(history, history[:, -1:] + 0.1, 1440, 1, 1)
    assert params[2] == 0.0  # gamma: no seasonal terms were fitted
