"""lstmcast.tables.splits: training and validation rows and windows, and the held-out tail,
checked against index arithmetic done by hand."""

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import InvalidArgumentError
from lstmcast.tables.splits import drop_tail, holdout_rows, split_rows, split_windows


def test_split_rows_by_time_holds_out_the_end_of_every_series():
    ids = np.array(["a"] * 10 + ["b"] * 5)
    train, held_out = split_rows([(0, 10), (10, 15)], ids, 0.2, "time", seed=0)
    # a: floor(10 * 0.8) = 8 training rows, b: floor(5 * 0.8) = 4
    assert np.flatnonzero(~train).tolist() == [8, 9, 14]
    assert held_out == set()


def test_split_rows_with_no_fraction_keeps_every_row():
    ids = np.zeros(7)
    for by in ("time", "series"):
        train, held_out = split_rows([(0, 7)], ids, 0.0, by, seed=0)
        assert train.all() and len(train) == 7 and held_out == set()
    train, _ = split_rows([], np.zeros(0), 0.2, "time", seed=0)
    assert train.shape == (0,)


def test_split_rows_by_time_holds_out_exactly_the_fraction_when_it_is_whole():
    for n, fraction, validation in [(90, 0.3, 27), (170, 0.3, 51), (10, 0.3, 3)]:
        train, _ = split_rows([(0, n)], np.zeros(n), fraction, "time", seed=0)
        assert int((~train).sum()) == validation, (n, fraction)


def test_split_rows_by_series_holds_out_whole_series():
    bounds = [(0, 4), (4, 9), (9, 12), (12, 20)]
    ids = np.concatenate([np.full(b - a, name) for (a, b), name in zip(bounds, "pqrs")])
    train, held_out = split_rows(bounds, ids, 0.5, "series", seed=3)
    assert len(held_out) == 2  # round(4 * 0.5)
    for (a, b), name in zip(bounds, "pqrs"):
        assert train[a:b].all() != (name in held_out)  # wholly in or wholly out
        assert train[a:b].all() or not train[a:b].any()
    again, same = split_rows(bounds, ids, 0.5, "series", seed=3)
    assert same == held_out and (again == train).all()  # the seed decides
    chosen = {frozenset(split_rows(bounds, ids, 0.5, "series", seed=s)[1]) for s in range(20)}
    assert len(chosen) > 1
    _, one = split_rows(bounds, ids, 0.01, "series", seed=0)
    assert len(one) == 1  # at least one series


def test_split_rows_by_series_needs_two_series():
    with pytest.raises(InvalidArgumentError) as info:
        split_rows([(0, 10)], np.zeros(10), 0.2, "series", seed=0)
    assert str(info.value) == "`validation_by='series'` needs at least two series; use 'time'."


def test_split_windows_drops_the_window_that_straddles_the_cut():
    ids = np.zeros(10)
    train_rows = np.arange(10) < 8
    train, val = split_windows(10, ids, train_rows, set(), window=3, horizon=1, steps=2)
    # starts 0..5 fit (span 3 + 1 + 2 - 1 = 5); start s targets rows s + 3 and s + 4
    assert train.tolist() == [0, 1, 2, 3]  # targets up to row 7
    assert val.tolist() == [5]  # targets 8, 9; start 4 (targets 7, 8) belongs to neither


def test_split_windows_by_series_and_never_across_series():
    ids = np.array(["a"] * 6 + ["b"] * 6)
    train, val = split_windows(12, ids, np.ones(12, dtype=bool), {"b"}, window=2, horizon=1,
                               steps=1)
    assert train.tolist() == [0, 1, 2, 3]  # span 3: starts 0..3 in a
    assert val.tolist() == [6, 7, 8, 9]  # and 6..9 in b; none from 4, 5 (across series)


@pytest.mark.parametrize(("group", "fraction", "rows"), [
    ("store", 0.3, 2),  # floor(7 * 0.3), the shortest series
    ("store", 0.01, 1),  # at least one
    (None, 0.25, 4),  # floor(17 * 0.25), the whole table one series
])
def test_holdout_rows(group, fraction, rows):
    frame = pd.DataFrame({"store": ["a"] * 10 + ["b"] * 7, "y": np.arange(17.0)})
    assert holdout_rows(frame, group, fraction) == rows
    # at least the rows one forecast spans, so that a window can be scored
    assert holdout_rows(frame, group, fraction, least=3) == max(rows, 3)


def test_drop_tail_cuts_the_latest_rows_of_each_series_in_time_order():
    frame = pd.DataFrame({
        "store": ["a", "b", "a", "b", "a", "a", "b"],
        "date": ["10/01/2024", "02/01/2024", "02/01/2024", "10/01/2024", "03/01/2024",
                 "01/01/2024", "03/01/2024"],  # day first: not in order, not by text
        "y": [5.0, 6, 7, 8, 9, 10, 11],
    })
    out = drop_tail(frame, "store", "date", 2, time_format="%d/%m/%Y")
    # a's days 1, 2, 3, 10 keep 1, 2; b's days 2, 3, 10 keep 2
    assert out["y"].tolist() == [10.0, 7.0, 6.0]
    assert out["date"].tolist() == ["01/01/2024", "02/01/2024", "02/01/2024"]  # as written
    assert list(out.columns) == ["store", "date", "y"]
    assert drop_tail(frame, "store", "date", 0, time_format="%d/%m/%Y").shape == (7, 3)
    assert drop_tail(frame, "store", "date", 4, time_format="%d/%m/%Y").empty


def test_drop_tail_without_a_time_or_a_group():
    frame = pd.DataFrame({"y": [3.0, 1.0, 2.0, 5.0]}, index=[10, 11, 12, 13])
    assert drop_tail(frame, None, None, 1)["y"].tolist() == [3.0, 1.0, 2.0]  # file order
    grouped = pd.DataFrame({"g": [1, 1, 2, 2, 2], "y": np.arange(5.0)})
    assert drop_tail(grouped, "g", None, 1)["y"].tolist() == [0.0, 2.0, 3.0]
    numbers = pd.DataFrame({"t": [3, 1, 2], "y": [30.0, 10.0, 20.0]})
    assert drop_tail(numbers, None, "t", 1)["y"].tolist() == [10.0, 20.0]
