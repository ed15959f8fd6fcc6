"""lstmcast.forecast.scores: the error measures, against values worked out by hand."""

import math

import numpy as np
import pytest

from lstmcast.forecast.scores import (
    all_scores,
    mae,
    mape,
    mase,
    naive_scale,
    phm08,
    rmse,
    smape,
    zero_targets,
)


def test_mae_and_rmse():
    t, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 8.0])  # errors 1, 0, 2, 4
    assert mae(t, p) == pytest.approx(7 / 4)
    assert rmse(t, p) == pytest.approx(math.sqrt(21 / 4))
    assert mae(t.reshape(2, 2), p.reshape(2, 2)) == pytest.approx(7 / 4)  # over every value
    assert isinstance(mae([1, 2], [1, 3]), float)


def test_mape_leaves_out_zero_targets():
    t, p = np.array([0.0, 2.0, -4.0]), np.array([1.0, 1.0, -5.0])
    assert mape(t, p) == pytest.approx(100 * (0.5 + 0.25) / 2)
    assert zero_targets(t) == 1
    assert math.isnan(mape(np.zeros(3), np.ones(3)))
    assert zero_targets(np.zeros((2, 3))) == 6


def test_smape_counts_both_zero_as_no_error():
    t, p = np.array([0.0, 1.0, -2.0]), np.array([0.0, 3.0, 2.0])
    # terms: 0 (both zero), 2 * 2 / 4 = 1, 2 * 4 / 4 = 2
    assert smape(t, p) == pytest.approx(100 * 3 / 3)
    assert smape(np.zeros(4), np.zeros(4)) == 0.0


def test_naive_scale_and_mase():
    series = [np.array([1.0, 2.0, 4.0, 7.0]), np.array([5.0]), np.array([0.0, -3.0])]
    # season 1: |1|, |2|, |3| and |-3| (the one-row series has no pair)
    assert naive_scale(series) == pytest.approx((1 + 2 + 3 + 3) / 4)
    assert naive_scale(series, season=2) == pytest.approx((3 + 5) / 2)  # 4 - 1, 7 - 2
    assert math.isnan(naive_scale(series, season=4))  # no series longer than a season
    t, p = np.array([1.0, 2.0]), np.array([2.0, 4.0])  # MAE 1.5
    assert mase(t, p, 3.0) == pytest.approx(0.5)
    for scale in (0.0, -1.0, float("nan"), float("inf")):
        assert math.isnan(mase(t, p, scale))


def test_phm08_costs_late_predictions_more():
    t = np.array([50.0, 50.0, 50.0])
    p = np.array([37.0, 50.0, 60.0])  # d = -13, 0, 10
    assert phm08(t, p) == pytest.approx(2 * (math.e - 1))
    assert phm08([50.0], [60.0]) > phm08([50.0], [40.0])  # 10 late costs more than 10 early
    assert phm08([50.0], [40.0]) == pytest.approx(math.exp(10 / 13) - 1)


def test_all_scores_and_shapes_that_differ():
    t, p = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    scores = all_scores(t, p, scale=2.0)
    assert scores == pytest.approx({"mae": 1.0, "rmse": math.sqrt(5 / 3),
                                    "mape": 100 * (0.5 + 0.5) / 3,
                                    "smape": 100 * (0 + 2 / 5 + 4 / 6) / 3, "mase": 0.5})
    with pytest.raises(ValueError, match=r"^y_true has shape \(3,\) but y_pred has shape "
                                         r"\(3, 1\)\.$"):
        mae(t, p[:, None])
