"""lstmcast.tables.future_rows: the inputs of the rows after each series' end.

tests/test_covariates.py checks, through trained Forecasters, that a future table is read
and its missing values named; this file drives ``future_inputs`` with a bare
``TablePipeline`` (scalers fitted, no network, no torch) and checks each value: the future
columns scaled by the min-max formula written here from the training rows, one scaler per
series with ``scale_by="series"``, the calendar of the continued times from Python's
``datetime``, rows matched by series and time whatever the future table's order, ids or
extra columns, rows taken in order without a time column, every other input zero, and each
documented error.
"""

import datetime

import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.future_rows import future_inputs
from lstmcast.tables.io import DataError
from lstmcast.tables.pipeline import TablePipeline
from lstmcast.tables.roles import Roles

TOL = 1e-12  # the same float64 arithmetic, in another order


def history(days=10):
    """Two stores' days 0..days-1: promotions 0..4 at store a, 10..20 at store b."""
    t = np.arange(days)
    a = pd.DataFrame({"store": "a", "day": t, "temp": 20.0 + t, "promo": (t % 5).astype(float),
                      "sales": 100.0 + t})
    b = pd.DataFrame({"store": "b", "day": t, "temp": 30.0 - t,
                      "promo": 10.0 + 10.0 * (t % 2), "sales": 50.0 + t})
    return pd.concat([a, b], ignore_index=True)


def fitted(frame, *, group="store", time="day", future=("promo",), calendar=(),
           scaler="minmax", scale_by="global", horizon=1, steps=2):
    roles = Roles(target=["sales"], features=["temp"], future=list(future), group=group,
                  time=time, autoregressive=True, calendar=list(calendar))
    pipe = TablePipeline(roles, window=3, horizon=horizon, steps=steps, scaler=scaler,
                         scale_by=scale_by)
    prepared = pipe.prepare(frame, fitting=True)
    pipe.fit(prepared, np.ones(len(prepared), dtype=bool))
    if scaler is None:
        pipe.finish_fit()
    last = (prepared.groupby(group, sort=False).tail(1) if group else prepared.tail(1))
    return pipe, last.reset_index(drop=True)


def future_table(values):
    """{(store, day): promo} as a future table, with an extra column."""
    return pd.DataFrame([{"store": s, "day": d, "promo": v, "other": "x"}
                         for (s, d), v in values.items()])


FUTURE = {("a", 10): 2.0, ("a", 11): 6.0, ("b", 10): 15.0, ("b", 11): 25.0}


def test_future_columns_scaled_as_in_training_and_the_rest_zero():
    pipe, last = fitted(history())
    assert pipe.inputs == ["temp", "sales", "promo"]
    out = future_inputs(pipe, last, future_table(FUTURE))
    assert out.shape == (2, 2, 3)  # series, horizon - 1 + steps, inputs
    lo, hi = 0.0, 20.0  # the promotions' range over every training row
    expected = (np.array([[2.0, 6.0], [15.0, 25.0]]) - lo) / (hi - lo)
    np.testing.assert_allclose(out[:, :, 2], expected, rtol=0, atol=TOL)
    assert (out[:, :, :2] == 0).all()  # what is not known in advance is not given


def test_a_target_read_as_its_log_leaves_the_known_inputs_as_they_were():
    # the target is not known over those rows: nothing of it is scaled there, not even a
    # placeholder its log could not take
    plain, last = fitted(history())
    roles = plain.roles
    logged = TablePipeline(roles, window=3, horizon=1, steps=2, log=["sales"])
    logged.fit(logged.prepare(history(), fitting=True), np.ones(20, dtype=bool))
    out = future_inputs(logged, last, future_table(FUTURE))
    np.testing.assert_array_equal(out, future_inputs(plain, last, future_table(FUTURE)))


def test_one_scaler_per_series():
    pipe, last = fitted(history(), scale_by="series")
    out = future_inputs(pipe, last, future_table(FUTURE))
    a = (np.array([2.0, 6.0]) - 0.0) / 4.0  # store a's promotions: 0..4
    b = (np.array([15.0, 25.0]) - 10.0) / 10.0  # store b's: 10..20
    np.testing.assert_allclose(out[:, :, 2], [a, b], rtol=0, atol=TOL)


def test_rows_are_matched_by_series_and_time_whatever_the_order_ids_and_extras():
    pipe, last = fitted(history(), scaler=None)
    extra = {("b", 12): -1.0, ("a", 9): -2.0, ("c", 10): -3.0}  # other rows: ignored
    shuffled = future_table({**dict(reversed(list(FUTURE.items()))), **extra})
    out = future_inputs(pipe, last, shuffled)
    np.testing.assert_array_equal(out[:, :, 2], [[2.0, 6.0], [15.0, 25.0]])
    # ids written as numbers in the history and the future table read the same
    numbered = history().replace({"store": {"a": 1, "b": 2}})
    pipe, last = fitted(numbered, scaler=None)
    as_float = future_table(FUTURE).replace({"store": {"a": 1.0, "b": 2.0}})
    out = future_inputs(pipe, last, as_float)
    np.testing.assert_array_equal(out[:, :, 2], [[2.0, 6.0], [15.0, 25.0]])


def test_ids_written_without_the_historys_leading_zeros_are_matched_by_number():
    """History ids "001", "017"; the future table, saved from a spreadsheet, writes 1 and
    17: matched by their number, with a warning. An id of no series stays unmatched."""
    zeros = history().replace({"store": {"a": "001", "b": "017"}})
    pipe, last = fitted(zeros, scaler=None)
    plan = future_table(FUTURE).replace({"store": {"a": 1, "b": 17}})
    with pytest.warns(UserWarning, match=r"The future table writes 2 of its 'store' values "
                      r"without the history's leading zeros \('1' for '001'\), as a "
                      r"spreadsheet drops them: matched by their number"):
        out = future_inputs(pipe, last, plan)
    np.testing.assert_array_equal(out[:, :, 2], [[2.0, 6.0], [15.0, 25.0]])
    other = future_table(FUTURE).replace({"store": {"a": 1, "b": 18}})
    with pytest.warns(UserWarning, match="1 of its 'store' values"), \
            pytest.raises(DataError, match=r"lacks 2 of the 4 rows to forecast \(first: "
                                           r"store '017'"):
        future_inputs(pipe, last, other)


def test_a_horizon_adds_the_rows_before_the_first_target():
    pipe, last = fitted(history(), scaler=None, horizon=3, steps=2)
    rows = {(s, d): float(d) + (100.0 if s == "b" else 0.0)
            for s in ("a", "b") for d in range(10, 14)}
    out = future_inputs(pipe, last, future_table(rows))
    assert out.shape == (2, 4, 3)  # horizon - 1 + steps = 4 rows each
    np.testing.assert_array_equal(out[:, :, 2], [[10, 11, 12, 13], [110, 111, 112, 113]])


def test_the_calendar_of_the_continued_times():
    t = pd.date_range("2024-02-20", periods=10, freq="D")  # to Thursday 2024-02-29
    frame = pd.DataFrame({"store": "a", "day": t, "temp": 1.0 + np.arange(10.0),
                          "sales": np.arange(10.0)})
    pipe, last = fitted(frame, future=(), calendar=("weekday", "yearday"), scaler=None,
                        steps=3)
    out = future_inputs(pipe, last, None)  # nothing to read: no future table needed
    after = [datetime.date(2024, 3, 1), datetime.date(2024, 3, 2), datetime.date(2024, 3, 3)]
    weekday = 2 * np.pi * np.array([d.weekday() for d in after]) / 7
    yearday = 2 * np.pi * np.array([d.timetuple().tm_yday - 1 for d in after]) / 365.25
    columns = [pipe.inputs.index(c) for c in ("weekday_sin", "weekday_cos", "yearday_sin",
                                              "yearday_cos")]
    np.testing.assert_allclose(out[0][:, columns],
                               np.stack([np.sin(weekday), np.cos(weekday), np.sin(yearday),
                                         np.cos(yearday)], axis=1), rtol=0, atol=TOL)
    others = [i for i in range(len(pipe.inputs)) if i not in columns]
    assert (out[0][:, others] == 0).all()


def test_without_a_time_column_rows_are_taken_in_order_per_series():
    frame = history().drop(columns="day")
    pipe, last = fitted(frame, time=None, scaler=None)
    table = pd.DataFrame({"store": ["b", "a", "b", "a", "a"],
                          "promo": [15.0, 2.0, 25.0, 6.0, 99.0]})  # a's third: not needed
    out = future_inputs(pipe, last, table)
    np.testing.assert_array_equal(out[:, :, 2], [[2.0, 6.0], [15.0, 25.0]])
    # one series: the table's rows in order
    single = frame[frame["store"] == "a"].drop(columns="store")
    pipe, last = fitted(single, group=None, time=None, scaler=None)
    out = future_inputs(pipe, last, pd.DataFrame({"promo": [7.0, 8.0, 9.0]}))
    np.testing.assert_array_equal(out[0, :, 2], [7.0, 8.0])


# -- errors -----------------------------------------------------------------------------------
def test_no_future_table_while_the_model_needs_one():
    pipe, last = fitted(history())
    with pytest.raises(DataError, match=r"This model reads future values of promo: give them "
                       r"for the rows to forecast \(predict\(\.\.\., future=TABLE\), "
                       r"--future FILE\)"):
        future_inputs(pipe, last, None)


@pytest.mark.parametrize(("drop", "role", "name"), [
    ("promo", "Future table's", "promo"), ("day", "Future table's", "day"),
    ("store", "Future table's", "store")])
def test_a_missing_column_is_named(drop, role, name):
    pipe, last = fitted(history())
    with pytest.raises(DataError, match=rf"{role} column '{name}' is not in the table"):
        future_inputs(pipe, last, future_table(FUTURE).drop(columns=drop))


def test_missing_rows_are_named_by_series_and_time():
    pipe, last = fitted(history())
    short = {k: v for k, v in FUTURE.items() if k != ("b", 11)}
    with pytest.raises(DataError, match=r"The future table lacks 1 of the 4 rows to forecast "
                       r"\(first: store 'b', day 11\); it needs promo for the 2 rows after "
                       r"each series' end"):
        future_inputs(pipe, last, future_table(short))
    nan = {**FUTURE, ("a", 10): np.nan}  # a value missing: refused, not read as no row
    with pytest.raises(DataError, match=r"Column 'promo' holds 1 NaN or infinite values"):
        future_inputs(pipe, last, future_table(nan))


def test_missing_rows_without_a_time_column_are_named_by_their_place():
    pipe, last = fitted(history().drop(columns="day"), time=None)
    table = pd.DataFrame({"store": ["a", "a", "b"], "promo": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"lacks 1 of the 4 rows to forecast \(first: store "
                       r"'b', forecast row 2\)"):
        future_inputs(pipe, last, table)


def test_non_numeric_future_values_are_refused():
    pipe, last = fitted(history())
    table = future_table(FUTURE)
    table["promo"] = ["yes", "no", "yes", "no"]
    with pytest.raises(DataError, match=r"Column 'promo' must be numeric; non-numeric values "
                       r"at row 0 \('yes'\)"):
        future_inputs(pipe, last, table)


def test_times_without_a_regular_step_have_no_rows_to_forecast():
    frame = history()
    frame["day"] = np.tile([0, 2, 5, 9, 14, 20, 27, 35, 44, 54], 2)  # no step
    pipe, last = fitted(frame)
    assert pipe.step is None
    with pytest.raises(DataError, match=r"The time column 'day' has no regular step, so the "
                       r"times to forecast, and their future inputs, are unknown"):
        future_inputs(pipe, last, future_table(FUTURE))


def test_a_future_table_with_its_dates_written_otherwise_is_read_on_its_own():
    """A history with ISO dates and a future table exported by another tool: day-first
    ("19/07/2020"), or month-first, or dates that read either way ("01/08/2020" .. seven
    days): read on their own, the reading taken that holds the times to forecast, with a
    warning; the values land on their rows. A table whose times hold none of them is the
    first error, as before."""
    t = pd.date_range("2020-07-22", periods=10, freq="D")  # to 2020-07-31
    frame = pd.DataFrame({"store": "a", "day": t.strftime("%Y-%m-%d"),
                          "temp": 1.0 + np.arange(10.0), "promo": np.arange(10.0) % 3,
                          "sales": np.arange(10.0)})
    pipe, last = fitted(frame, steps=7)
    after = pd.date_range("2020-08-01", periods=7, freq="D")
    promo = [0.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0]
    lo, hi = 0.0, 2.0
    for written in ("%d/%m/%Y", "%m/%d/%Y", "%-d/%-m/%Y"):
        table = pd.DataFrame({"store": "a", "day": after.strftime(written), "promo": promo})
        with pytest.warns(UserWarning, match="The future table's times are written otherwise "
                                             "than the training table's .*read on their own"):
            out = future_inputs(pipe, last, table)
        np.testing.assert_allclose(out[0, :, pipe.inputs.index("promo")],
                                   (np.array(promo) - lo) / (hi - lo), rtol=0, atol=TOL)
    elsewhere = pd.DataFrame({"store": "a", "day": pd.date_range("2019-03-13", periods=7)
                              .strftime("%d/%m/%Y"), "promo": promo})
    with pytest.raises(Exception, match="does not read as dates: '13/03/2019'"):
        future_inputs(pipe, last, elsewhere)
