"""The short way through a small table (lstmcast.tables.fast_path) gives what the full
table path gives: the forecast table exactly, the prepared window to 1e-12, and the
full path (with its errors and repairs) wherever the short way declines."""

import re

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.forecast import forecasting
from lstmcast.forecast.window_predict import prepare_table
from lstmcast.tables import calendar_inputs, fast_path, frequency

pytestmark = pytest.mark.filterwarnings("ignore:On the validation rows")


def series_table(series: int = 2, rows: int = 80, text: bool = False, freq: str = "h",
                 start: str = "2024-01-30") -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    times = pd.date_range(start, periods=rows, freq=freq)
    return pd.concat([pd.DataFrame({
        "unit": f"u{k}",
        "time": times.strftime("%Y-%m-%d %H:%M:%S") if text else times,
        "load": np.sin(2 * np.pi * (t + 3 * k) / 24) + 0.1 * rng.normal(size=rows),
        "temp": rng.normal(size=rows).round(3), "size": float(k + 1)})
        for k in range(series)], ignore_index=True)


def fitted(table: pd.DataFrame, **settings) -> Forecaster:
    fit = {k: settings.pop(k) for k in ("features", "group", "time", "static")
           if k in settings}
    fc = Forecaster(window=12, units=(8,), epochs=1, seed=0, device="cpu", blend=None,
                    **settings)
    return fc.fit(table, target="load", **fit)


def full_path(monkeypatch, call):
    """``call()`` with the short way switched off."""
    with monkeypatch.context() as m:
        m.setattr(fast_path, "last_window", lambda *a, **k: None)
        return call()


def took_short_way(fc: Forecaster, history: pd.DataFrame) -> bool:
    pipeline = fc.table_reader()
    return fast_path.last_window(pipeline, history, pipeline.roles.autoregressive) is not None


KINDS = {
    "group, text times": (dict(series=2, text=True), dict(group="unit", time="time")),
    "one series, datetimes": (dict(series=1), dict(time="time")),
    "calendar and a feature": (dict(series=1), dict(time="time", features=["temp"],
                                                    calendar=True)),
    "no time column": (dict(series=1), dict()),
    "quantiles, scaled by series": (dict(series=2, text=True),
                                    dict(group="unit", time="time", scale_by="series",
                                         quantiles=[0.1, 0.9], steps=3)),
    "differences, a static, daily": (dict(series=2, freq="D"),
                                     dict(group="unit", time="time", difference=True,
                                          features=["temp"], static=["size"])),
    "calendar, group, scaled by series, 2 steps ahead": (
        dict(series=2, freq="15min"), dict(group="unit", time="time", calendar=True,
                                           scale_by="series", horizon=2, steps=2)),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("rows", [25, 12, 5])
def test_predict_equals_the_full_path(monkeypatch, kind, rows):
    shape, settings = KINDS[kind]
    table = series_table(**shape)
    if "time" not in settings:
        table = table.drop(columns="time")
    fc = fitted(table.drop(columns="unit") if "group" not in settings else table, **settings)
    history = table[table["unit"] == "u1" if "group" in settings else slice(None)]
    history = history.iloc[-rows:]
    if "group" not in settings:
        history = history.drop(columns="unit")
    assert took_short_way(fc, history)
    with pytest.warns(UserWarning) if rows < fc.window else _nothing():
        short = fc.predict(history)
    with pytest.warns(UserWarning) if rows < fc.window else _nothing():
        full = full_path(monkeypatch, lambda: fc.predict(history))
    pd.testing.assert_frame_equal(short, full, check_exact=True)
    quick = prepare_table(fc, history)
    slow = full_path(monkeypatch, lambda: prepare_table(fc, history))
    np.testing.assert_allclose(quick.windows, slow.windows, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(quick.starts, slow.starts)
    assert quick.padded == slow.padded
    if slow.view.y_raw is None:
        assert quick.view.y_raw is None
    else:
        np.testing.assert_allclose(quick.view.y_raw, slow.view.y_raw, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(quick.view.frame, slow.view.frame, check_dtype=False)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_recursive_forecast_from_the_short_way(monkeypatch):
    table = series_table(series=1).drop(columns="unit")
    fc = fitted(table, time="time", features=[])
    history = table.iloc[-20:]
    short = fc.predict(history, n_ahead=4)
    full = full_path(monkeypatch, lambda: fc.predict(history, n_ahead=4))
    pd.testing.assert_frame_equal(short, full, check_exact=True)


@pytest.fixture(scope="module")
def hourly():
    table = series_table(series=2, text=True)
    return table, fitted(table, group="unit", time="time", features=["temp"])


def _changed(history: pd.DataFrame, what: str) -> pd.DataFrame:
    out = history.copy()
    if what == "nan":
        out.loc[out.index[3], "temp"] = np.nan
    elif what == "gap":
        out = out.drop(index=out.index[5])
    elif what == "unsorted":
        out = out.iloc[::-1]
    elif what == "duplicate":
        out = pd.concat([out, out.iloc[[-1]]])
    elif what == "two series":
        out.loc[out.index[:3], "unit"] = "u0"
    elif what == "zone":
        out["time"] = out["time"] + "+01:00"
    elif what == "day-first text":
        out["time"] = pd.to_datetime(out["time"]).dt.strftime("%d/%m/%Y %H:%M")
    elif what == "text numbers":
        out["temp"] = out["temp"].astype(str)
    elif what == "off the step":
        out["time"] = (pd.to_datetime(out["time"]) + pd.to_timedelta(
            np.arange(len(out)) * 30, unit="min")).dt.strftime("%Y-%m-%d %H:%M:%S")
    elif what == "missing column":
        out = out.drop(columns="temp")
    return out


@pytest.mark.parametrize("what", ["nan", "gap", "unsorted", "duplicate", "two series",
                                  "zone", "day-first text", "text numbers", "off the step",
                                  "missing column"])
def test_the_short_way_declines_what_the_full_path_acts_on(monkeypatch, hourly, what):
    table, fc = hourly
    history = _changed(table[table["unit"] == "u1"].iloc[-25:], what)
    assert not took_short_way(fc, history)
    try:
        expected = full_path(monkeypatch, lambda: fc.predict(history))
    except Exception as error:  # the same error, from the same code
        with pytest.raises(type(error), match=re.escape(str(error)[:60])):
            fc.predict(history)
        return
    pd.testing.assert_frame_equal(fc.predict(history), expected, check_exact=True)


def test_unsorted_table_with_the_full_path_is_unchanged(monkeypatch, hourly):
    table, fc = hourly
    history = table[table["unit"] == "u1"].iloc[-25:]
    pd.testing.assert_frame_equal(fc.predict(history.iloc[::-1]), fc.predict(history),
                                  check_exact=True)


def test_iso_text_parses_as_pandas_does():
    rng = np.random.default_rng(1)
    stamps = pd.Timestamp("1900-01-01") + pd.to_timedelta(
        rng.integers(0, 200 * 365 * 86400, 400), unit="s")
    forms = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%Y-%m-%d %H"]
    for form in forms:
        text = pd.Series(stamps.strftime(form))
        expected = pd.to_datetime(text, format="ISO8601")
        values = np.array(text.tolist(), dtype=f"datetime64[{fast_path.pandas_iso_unit()}]")
        np.testing.assert_array_equal(values, expected.to_numpy())
    for bad in ["2024-02-30", "2024-13-01", "2024-01-01 24:00:00", "2024-01-01 10:61"]:
        assert pd.to_datetime(pd.Series([bad]), format="ISO8601", errors="coerce").isna().all()
        with pytest.raises(ValueError):
            np.array([bad], dtype="datetime64[us]")


def test_calendar_in_numpy_equals_calendar_columns():
    rng = np.random.default_rng(2)
    times = (np.datetime64("1950-01-01T00:00", "us")
             + rng.integers(0, 120 * 365 * 86400, 2000).astype("timedelta64[s]"))
    parts = ["hour", "weekday", "yearday", "month"]
    expected = calendar_inputs.calendar_columns(times, parts)
    got = fast_path.calendar(times, parts)
    for name in expected.columns:
        np.testing.assert_array_equal(got[name], expected[name].to_numpy())


@pytest.mark.parametrize("step", [{"kind": "datetime", "freq": "h"},
                                  {"kind": "datetime", "freq": "15min"},
                                  {"kind": "datetime", "freq": "D"},
                                  {"kind": "datetime", "freq": "W-MON"},
                                  {"kind": "datetime", "freq": "MS"},
                                  {"kind": "datetime", "freq": "B"},
                                  {"kind": "number", "step": 0.5}])
@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_advance_equals_timeline(step, unit):
    last = np.array(["2024-01-31T10:00", "2023-12-29T00:00"], dtype=f"datetime64[{unit}]")
    if step["kind"] == "number":
        last = np.array([3, 10])
    offsets = np.array([1, 5])
    got = fast_path.advance(last, offsets, step)
    expected = frequency.advance(last, offsets, step)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert np.asarray(got).dtype == np.asarray(expected).dtype


def test_series_windows_refuses_future_for_a_model_without(hourly):
    table, fc = hourly
    with pytest.raises(Exception, match="reads no inputs known in advance"):
        forecasting.series_windows(fc.table_reader(), table.iloc[-25:], False, future=table)
