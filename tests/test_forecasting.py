"""lstmcast.forecast.forecasting: windows of a table to forecasts in the target's units, and
the forecast table.

``last_windows`` takes each series' last window (short series padded at the front with
their first row, future-known rows appended); ``forecast_frame`` lays forecasts out one row
per series and step with the time continued; ``forecast_windows`` runs the networks on
windows and maps their outputs back to the target's units; ``series_windows`` does it from
a user's table.

References, independent of the module: NumPy slices of the same rows (the last windows,
the padding), ``pd.date_range`` for the next times, a hand-made (W, S, T) array for the
frame's layout; ``forecast_windows`` against the network run by hand (``model_.predict``
on the scaled window, unscaled with the fitted scaler's offset and scale as documented:
value = scaled * scale + offset; rtol 1e-5). One tiny Forecaster is fitted (units 4,
window 6, one epoch); the other tests do not train.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.errors import InvalidArgumentError
from lstmcast.forecast.forecasting import (
    Forecast,
    forecast_frame,
    forecast_windows,
    last_windows,
    pad_front,
    series_windows,
)
from lstmcast.tables.pipeline import Table

pytestmark = pytest.mark.filterwarnings("ignore:On the validation rows")


def test_pad_front_repeats_the_first_row():
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(pad_front(values, 2),
                                  [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])
    assert pad_front(values, 0) is values


def three_series():
    """Series of 10, 3 and 7 rows; x holds row numbers so that windows show where they came
    from, y_raw ten times that."""
    lengths = [10, 3, 7]
    ids = np.repeat(["p", "q", "r"], lengths)
    rows = np.arange(len(ids), dtype=np.float32)
    frame = pd.DataFrame({"sid": ids, "row": rows})
    bounds = np.cumsum([0, *lengths])
    segments = list(zip(bounds[:-1], bounds[1:]))
    return Table(frame=frame, ids=ids, segments=segments, x=np.stack([rows, -rows], axis=1),
                 y=None, y_raw=10.0 * rows[:, None])


def test_last_windows_take_each_series_end_and_pad_the_short_ones():
    table = three_series()
    view, starts, padded = last_windows(SimpleNamespace(window=5), table)
    assert padded == ["q"]
    assert starts.tolist() == [0, 5, 10]
    want = {"p": [5, 6, 7, 8, 9], "q": [10, 10, 10, 11, 12], "r": [15, 16, 17, 18, 19]}
    for s, sid in zip(starts, "pqr"):
        rows = np.array(want[sid], dtype=np.float32)
        np.testing.assert_array_equal(view.x[s : s + 5], np.stack([rows, -rows], axis=1))
        np.testing.assert_array_equal(view.y_raw[s : s + 5, 0], 10 * rows)
    assert view.frame["row"].tolist() == [9.0, 12.0, 19.0]  # each series' last row
    assert view.x.dtype == np.float32


def test_last_windows_append_the_future_rows_after_each_window():
    table = three_series()
    future = np.arange(3 * 2 * 2, dtype=np.float64).reshape(3, 2, 2) + 100  # 2 rows each
    view, starts, _ = last_windows(SimpleNamespace(window=4), table, future)
    assert starts.tolist() == [0, 6, 12]
    for k, s in enumerate(starts):
        np.testing.assert_array_equal(view.x[s + 4 : s + 6], future[k].astype(np.float32))
        assert np.isnan(view.y_raw[s + 4 : s + 6]).all()  # no truth for the future rows


def fake_pipeline(group="sid", time="when", step=None, horizon=1, targets=("y",)):
    return SimpleNamespace(roles=SimpleNamespace(group=group, time=time, target=list(targets)),
                           step=step, horizon=horizon)


def test_forecast_frame_lays_out_one_row_per_series_and_step_with_the_next_times():
    last = pd.DataFrame({"sid": ["p", "q"],
                         "when": pd.to_datetime(["2024-01-31", "2024-02-29"])})
    point = np.arange(2 * 3 * 2, dtype=np.float64).reshape(2, 3, 2)  # (W, S, T)
    out = forecast_frame(fake_pipeline(step={"freq": "MS", "kind": "datetime"}, horizon=2,
                                       targets=("y", "z")), last, Forecast(point))
    assert list(out.columns) == ["sid", "step", "when", "y", "z"]
    assert out["sid"].tolist() == ["p"] * 3 + ["q"] * 3
    assert out["step"].tolist() == [1, 2, 3] * 2
    for sid, end in (("p", "2024-01-31"), ("q", "2024-02-29")):
        # horizon 2: the first forecast row is two periods on
        want = pd.date_range(end, periods=5, freq="MS")
        want = [t for t in want if t > pd.Timestamp(end)][1:4]
        assert out.loc[out["sid"] == sid, "when"].tolist() == want
    np.testing.assert_array_equal(out["y"], point[:, :, 0].ravel())
    np.testing.assert_array_equal(out["z"], point[:, :, 1].ravel())


def test_forecast_frame_quantile_columns_and_a_table_without_time_or_group():
    point = np.array([[[1.0], [2.0]]])  # one series, two steps
    quantiles = np.array([[[[0.5], [1.0], [1.5]], [[1.5], [2.0], [2.5]]]])  # (W, S, Q, T)
    out = forecast_frame(fake_pipeline(group=None, time=None), pd.DataFrame(index=[0]),
                         Forecast(point, quantiles, (0.1, 0.5, 0.9)))
    assert list(out.columns) == ["step", "y", "y_q0.1", "y_q0.5", "y_q0.9"]
    assert out["y_q0.9"].tolist() == [1.5, 2.5] and out["y_q0.1"].tolist() == [0.5, 1.5]
    hourly = forecast_frame(fake_pipeline(group=None, step={"freq": "h", "kind": "datetime"}),
                            pd.DataFrame({"when": pd.to_datetime(["2024-03-30 23:00"])}),
                            Forecast(point))
    assert hourly["when"].tolist() == list(pd.date_range("2024-03-31", periods=2, freq="h"))
    irregular = forecast_frame(fake_pipeline(group=None, step=None),
                               pd.DataFrame({"when": [3.5]}), Forecast(point))
    assert "when" not in irregular.columns  # no regular step: no times to continue


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    t = np.arange(60)
    table = pd.DataFrame({"t": t, "temp": rng.normal(size=60),
                          "y": 50 + 10 * np.sin(t / 4) + rng.normal(size=60)})
    fc = Forecaster(units=(4,), window=6, epochs=1, dropout=0.0, blend=None, normalize=None,
                    scaler="minmax", seed=0).fit(table, "y", features=["temp"], time="t")
    return fc, table


def test_forecast_windows_are_the_networks_output_in_the_targets_units(fitted):
    fc, table = fitted
    pipeline = fc.table_reader()
    view, starts, padded = series_windows(pipeline, table, True)
    assert padded == []
    forecast = forecast_windows(pipeline, fc.ensemble_, view, starts)
    assert forecast.point.shape == (1, 1, 1) and forecast.quantiles is None
    # by hand: the last 6 rows, min-max scaled with the fitted scaler, through the network
    xs, ys = fc.x_scaler_.global_, fc.y_scaler_.global_
    window = table[["temp", "y"]].to_numpy()[-6:]
    scaled = ((window - xs.offset_) / xs.scale_).astype(np.float32)
    out = fc.model_.predict(scaled[None])[0, 0]
    np.testing.assert_allclose(forecast.point[0, 0, 0], out * ys.scale_[0] + ys.offset_[0],
                               rtol=1e-5)
    np.testing.assert_allclose(forecast.point[0, 0, 0], fc.predict(table)["y"].iloc[0],
                               rtol=1e-6)


def test_series_windows_refuse_future_values_for_a_model_without_future_inputs(fitted):
    fc, table = fitted
    future = pd.DataFrame({"t": [60], "temp": [0.0]})
    with pytest.raises(InvalidArgumentError, match="`future` was given, but this model reads "
                                                   "no inputs known in advance"):
        series_windows(fc.table_reader(), table, True, future)
    with pytest.raises(InvalidArgumentError, match="reads no inputs known in advance"):
        fc.predict(table, future=future)
