"""lstmcast.forecast.prediction: ``Forecaster.predict``, forecasts from the end of each series.

References, independent of the module:

- the rows and times of the forecast table against pandas: the next timestamps after each
  series' last one are ``pd.date_range(last, periods=steps + 1, freq=...)[1:]`` (hourly,
  and month starts, whose gaps differ in days), shifted by ``horizon - 1``;
- a recursive forecast (``n_ahead`` > steps) against feeding the forecast back by hand: the
  history with the forecast rows appended, forecast again (rtol 1e-5: float32 networks);
- fewer steps than the model forecasts against the first rows of the full forecast;
- a series shorter than the window against the same series padded by hand with its first
  row; a set of Parquet files against the same rows as one table (exactly).

Models: tiny Forecasters (units 4, window 6, one epoch) fitted once per module.
"""

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.errors import InvalidArgumentError

pytestmark = pytest.mark.filterwarnings("ignore:On the validation rows")

FAST = {"units": (4,), "window": 6, "epochs": 1, "dropout": 0.0, "blend": None, "seed": 0}
RTOL = 1e-5


def hourly(rows=80, freq="h", start="2024-01-30 05:00"):
    """Two series; u1 starts one period later than u0, so their last times differ."""
    rng = np.random.default_rng(0)
    frames = []
    for k in range(2):
        times = pd.date_range(start, periods=rows + k, freq=freq)[k:]
        t = np.arange(rows) + k
        frames.append(pd.DataFrame({"unit": f"u{k}", "time": times,
                                    "load": np.sin(2 * np.pi * t / 24)
                                    + 0.1 * rng.normal(size=rows)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def direct():
    """Two hourly series, three steps at once, the target's own past as the only input."""
    table = hourly()
    return Forecaster(**FAST, steps=3).fit(table, "load", group="unit", time="time"), table


@pytest.fixture(scope="module")
def one_step():
    """One series, one step: for recursive forecasts."""
    table = hourly().query("unit == 'u0'").drop(columns="unit")
    return Forecaster(**FAST).fit(table, "load", time="time"), table


def test_each_series_gets_its_next_timestamps_as_pandas_counts_them(direct):
    fc, table = direct
    out = fc.predict(table)
    assert list(out.columns) == ["unit", "step", "time", "load"]
    assert len(out) == 2 * 3 and np.isfinite(out["load"]).all()
    for unit, part in out.groupby("unit"):
        last = table.loc[table["unit"] == unit, "time"].max()
        want = pd.date_range(last, periods=4, freq="h")[1:]
        assert part["step"].tolist() == [1, 2, 3]
        assert part["time"].tolist() == list(want)


def test_month_start_times_continue_by_calendar_months():
    table = hourly(rows=40, freq="MS", start="2020-01-01")
    fc = Forecaster(**FAST, steps=2, horizon=2).fit(table, "load", group="unit", time="time")
    out = fc.predict(table)
    for unit, part in out.groupby("unit"):
        last = table.loc[table["unit"] == unit, "time"].max()
        # horizon 2: the first forecast row is the second month after the last
        want = pd.date_range(last, periods=4, freq="MS")[2:]
        assert part["time"].tolist() == list(want), unit
    with pytest.raises(InvalidArgumentError, match=r"`n_ahead=3` > steps needs horizon=1"):
        fc.predict(table, n_ahead=3)


def test_fewer_steps_are_the_first_of_the_full_forecast(direct):
    fc, table = direct
    full = fc.predict(table)
    two = fc.predict(table, n_ahead=2)
    want = full[full["step"] <= 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(two, want)
    with pytest.raises(ValueError, match="`n_ahead`"):
        fc.predict(table, n_ahead=0)


def test_a_recursive_forecast_is_the_forecast_fed_back_as_history(one_step):
    fc, table = one_step
    out = fc.predict(table, n_ahead=4)
    assert out["step"].tolist() == [1, 2, 3, 4]
    want = pd.date_range(table["time"].max(), periods=5, freq="h")[1:]
    assert out["time"].tolist() == list(want)
    history = table.copy()
    by_hand = []
    for _ in range(4):
        step = fc.predict(history)
        by_hand.append(step["load"].iloc[0])
        history = pd.concat([history, step[["time", "load"]]], ignore_index=True)
    np.testing.assert_allclose(out["load"], by_hand, rtol=RTOL)


def test_a_quantile_model_refuses_to_recurse_and_gives_its_quantile_columns(direct):
    _, table = direct
    quantiles = Forecaster(**FAST, quantiles=(0.1, 0.5, 0.9)).fit(
        table, "load", group="unit", time="time")
    with pytest.raises(InvalidArgumentError, match=r"would lose its quantiles.*train with "
                                                   r"steps=2 instead"):
        quantiles.predict(table, n_ahead=2)
    out = quantiles.predict(table)
    assert list(out.columns) == ["unit", "step", "time", "load", "load_q0.1", "load_q0.5",
                                 "load_q0.9"]


def test_a_short_series_is_padded_with_its_first_row():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"load": np.sin(np.arange(60) / 3) + 0.1 * rng.normal(size=60)})
    fc = Forecaster(**FAST).fit(table, "load")
    short = table.iloc[-4:].reset_index(drop=True)
    padded = pd.concat([short.iloc[[0, 0]], short], ignore_index=True)  # 6 rows: the window
    with pytest.warns(UserWarning, match=r"1 series are shorter than the window \(6\) and "
                                         r"were padded with their first row"):
        out = fc.predict(short)
    pd.testing.assert_frame_equal(out, fc.predict(padded))


def test_a_set_of_parquet_files_is_forecast_as_the_table_they_hold(direct, tmp_path):
    fc, table = direct
    folder = tmp_path / "shards"
    folder.mkdir()
    for unit, part in table.groupby("unit"):
        part.to_parquet(folder / f"{unit}.parquet", index=False)
    want = fc.predict(table)
    pd.testing.assert_frame_equal(fc.predict(folder), want)
    pd.testing.assert_frame_equal(fc.predict(str(folder / "*.parquet")), want)


def test_a_number_of_steps_given_for_the_data_says_what_predict_needs(direct):
    """``predict(12)`` as other libraries forecast from the end of the training data
    (before: "Expected a DataFrame or a path to a CSV or Parquet file, got int.")."""
    fc, _ = direct
    with pytest.raises(InvalidArgumentError, match=r"predict forecasts from the rows it is "
                       r"given, got 12: give each series' recent rows \(the last 6 at least; "
                       r"the training table will do\), .*\(predict\(data, n_ahead=12\)\)\."):
        fc.predict(12)
    with pytest.raises(InvalidArgumentError, match="got None"):
        fc.predict(None)
