"""lstmcast.forecast.tune.folds: rolling origins in time order inside the training rows."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import DataError
from lstmcast.forecast.tune.folds import fold_size, make_folds, series_lengths


@pytest.fixture
def frame():
    """Two stores: a with 30 days, b with 25, rows shuffled, days as day-first text."""
    rows = [("a", d) for d in range(30)] + [("b", d) for d in range(25)]
    out = pd.DataFrame(rows, columns=["store", "day"])
    out["y"] = np.arange(len(out), dtype=float)
    out["date"] = (pd.Timestamp("2024-01-01") + pd.to_timedelta(out["day"], "D")).dt.strftime(
        "%d/%m/%Y")
    return out.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_series_lengths_and_fold_size(frame):
    assert series_lengths(frame, "store").to_dict() == {"a": 30, "b": 25}
    assert series_lengths(frame, None).tolist() == [55]
    assert fold_size(frame, "store", steps=1) == 2  # a tenth of the shortest, 25 // 10
    assert fold_size(frame, "store", steps=4) == 4  # at least the steps
    assert fold_size(frame, None, steps=1) == 5


def test_each_fold_fits_on_the_rows_before_its_cut_and_scores_the_next(frame):
    folds = make_folds(frame, "store", "date", folds=3, size=4, time_format="%d/%m/%Y")
    assert [f.number for f in folds] == [1, 2, 3] and all(f.size == 4 for f in folds)
    for k, fold in enumerate(folds):
        cut = (3 - k) * 4  # rows cut from each series' end
        for store, n in (("a", 30), ("b", 25)):
            train = fold.train[fold.train["store"] == store]["day"].tolist()
            test = fold.test[fold.test["store"] == store]["day"].tolist()
            assert train == list(range(n - cut))  # in time order
            assert test == list(range(n - cut + 4))  # the training rows and the next 4
    assert folds[-1].test.shape[0] == 55  # the last fold scores the training rows' end


def test_a_series_too_short_for_the_folds_is_refused_with_what_to_change(frame):
    with pytest.raises(DataError) as info:
        make_folds(frame, "store", "day", folds=3, size=8, need=2)
    assert str(info.value) == (
        "The shortest series has 25 training rows: too short for 3 folds of 8 rows (the first "
        "fold would train on 1 rows of it and needs 2); give fewer --folds, a smaller "
        "--fold-size, or longer series.")
    with pytest.raises(DataError, match="would train on 0 rows of it"):
        make_folds(frame, "store", "day", folds=3, size=10)
    assert len(make_folds(frame, "store", "day", folds=3, size=7, need=4)) == 3  # 25 - 21 = 4
