"""The time column: text dates parsed, frequencies found, gaps counted, times continued.

Expected values are written out by hand (the calendar, the next business day),
not computed by the code under test.
"""

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.timeline import (
    TimeError,
    advance,
    calendar_columns,
    calendar_parts,
    describe,
    fill_gaps,
    find_gaps,
    infer_step,
    parse_time,
)

TEXT_DTYPES = [object, "str", "string"]
try:  # Arrow strings, when pyarrow's pandas types are there (pandas >= 2)
    import pyarrow as pa

    TEXT_DTYPES.append(pd.ArrowDtype(pa.string()))
except (ImportError, AttributeError):  # pragma: no cover
    pass


@pytest.mark.parametrize("dtype", TEXT_DTYPES, ids=str)
@pytest.mark.parametrize(("values", "first", "second"), [
    (["2016-07-01 00:00:00", "2016-07-01 01:00:00"], "2016-07-01 00:00", "2016-07-01 01:00"),
    (["2016-07-01", "2016-07-02"], "2016-07-01", "2016-07-02"),
    (["2016-07-01T00:00:00Z", "2016-07-01T01:00:00Z"], "2016-07-01 00:00+00:00",
     "2016-07-01 01:00+00:00"),
    (["13/07/2016", "14/07/2016"], "2016-07-13", "2016-07-14"),  # day-first: 13 > 12
    (["07/13/2016", "07/14/2016"], "2016-07-13", "2016-07-14"),  # month-first: 13 > 12
    (["13.07.2016 08:30", "13.07.2016 09:30"], "2016-07-13 08:30", "2016-07-13 09:30"),
    (["1949-01", "1949-02"], "1949-01-01", "1949-02-01"),
])
def test_text_times_parse_whatever_pandas_stores_them_as(values, first, second, dtype):
    parsed, _ = parse_time(pd.Series(values, dtype=dtype), "date")
    assert parsed.iloc[0] == pd.Timestamp(first) and parsed.iloc[1] == pd.Timestamp(second)


def test_time_zones_are_kept():
    parsed, _ = parse_time(pd.Series(["2016-07-01T00:00:00+02:00", "2016-07-01T01:00:00+02:00"]),
                           "date")
    assert str(parsed.dt.tz) in ("UTC+02:00", "pytz.FixedOffset(120)")
    assert parsed.iloc[0] == pd.Timestamp("2016-06-30 22:00", tz="UTC")


def test_numeric_time_stays_numeric():
    for col in (pd.Series([1, 2, 3]), pd.Series(["1", "2", "3"]),
                pd.Series([1, 2, 3], dtype="Int64"), pd.Series([0.5, 1.0, 1.5])):
        parsed, fmt = parse_time(col, "t")
        assert parsed.dtype.kind in "if" and fmt is None


@pytest.mark.parametrize(("values", "time_format", "message"), [
    (["2016-07-01", "July 2nd", "2016-07-03"], None, r"'July 2nd' at row 1"),
    (["01/02/2016", "02/02/2016"], None, "both day-first and month-first"),
    (["2016-07-01T00:00:00+02:00", "2016-07-01 01:00:00"], None, "mixes times with a zone"),
    (["2016-07-01", None], None, "1 missing values \\(first at row 1\\)"),
    (["2016-07-01", "2016-07-02"], "%d/%m/%Y", "'2016-07-01' at row 0"),
])
def test_bad_times_are_named(values, time_format, message):
    with pytest.raises(TimeError, match=message):
        parse_time(pd.Series(values), "date", time_format)


def test_time_format_settles_an_ambiguous_column():
    col = pd.Series(["01/02/2016", "02/02/2016"])
    assert parse_time(col, "d", "dayfirst")[0].iloc[0] == pd.Timestamp("2016-02-01")
    assert parse_time(col, "d", "monthfirst")[0].iloc[0] == pd.Timestamp("2016-01-02")
    assert parse_time(col, "d", "%m/%d/%Y")[0].iloc[1] == pd.Timestamp("2016-02-02")


@pytest.mark.parametrize(("times", "freq", "words"), [
    (pd.date_range("2024-01-01", periods=30, freq="h"), "h", "hourly"),
    (pd.date_range("2024-01-01", periods=30, freq="D"), "D", "daily"),
    (pd.date_range("2024-01-01", periods=30, freq="B"), "B", "business days"),
    (pd.date_range("2024-01-07", periods=30, freq="W-SUN"), "W-SUN", "weekly"),
    (pd.date_range("2024-01-01", periods=30, freq="MS"), "MS", "monthly"),
    (pd.date_range("2024-01-01", periods=30, freq="15min"), "15min", "every 15 minutes"),
])
def test_frequencies_are_inferred_even_with_gaps(times, freq, words):
    series = pd.Series(times).drop(index=[5, 6])  # a gap of two steps
    step = infer_step(series.reset_index(drop=True))
    assert step == {"kind": "datetime", "freq": freq}
    assert describe(step) == words


def test_numeric_steps_and_irregular_series():
    assert infer_step(pd.Series([0, 5, 10, 20])) == {"kind": "number", "step": 5.0}
    assert infer_step(pd.Series([0.0, 1.0, 2.5])) is None
    # 29 h then 68 h apart: no step divides both, so no frequency (irregular)
    assert infer_step(pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-02 05:00",
                                                 "2024-01-05 01:00"]))) is None


def test_advance_continues_times_by_the_calendar():
    friday = np.array([pd.Timestamp("2024-03-01")])  # a Friday
    assert list(advance(friday, np.array([1]), {"kind": "datetime", "freq": "B"})) == [
        pd.Timestamp("2024-03-04")]  # Monday
    jan31 = np.array([pd.Timestamp("2024-01-01")])
    assert list(advance(jan31, np.array([2]), {"kind": "datetime", "freq": "MS"})) == [
        pd.Timestamp("2024-03-01")]
    assert advance(np.array([10]), np.array([3]), {"kind": "number", "step": 5.0}).tolist() == [25]


def test_gaps_are_counted_and_filled_per_series():
    frame = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 3, "t": [0, 1, 4, 5, 6, 0, 1, 2],
                          "y": [1.0, 2, 5, 6, 7, 1, 2, 3], "size": [3] * 5 + [4] * 3})
    step = {"kind": "number", "step": 1.0}
    gaps = find_gaps(frame, "t", "id", step)
    assert [(g.series, g.after, g.next, g.missing) for g in gaps] == [("a", 1, 4, 2)]
    filled, added = fill_gaps(frame, "t", "id", step, ["id", "size"])
    assert added == 2 and filled["t"].tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2]
    assert filled["size"].tolist()[:5] == [3] * 5 and filled["y"].isna().sum() == 2


def test_calendar_values_by_hand():
    parts = calendar_parts({"kind": "datetime", "freq": "h"})
    assert parts == ["hour", "weekday", "yearday"]
    assert calendar_parts({"kind": "datetime", "freq": "MS"}) == ["month"]
    assert calendar_parts({"kind": "datetime", "freq": "D"}) == ["weekday", "yearday"]
    assert calendar_parts({"kind": "number", "step": 1.0}) == []
    cal = calendar_columns(pd.to_datetime(["2024-01-01 06:00", "2024-01-03 18:00"]), parts)
    np.testing.assert_allclose(cal["hour_sin"], [1.0, -1.0], atol=1e-12)  # 6h and 18h
    np.testing.assert_allclose(cal["hour_cos"], [0.0, 0.0], atol=1e-12)
    # Monday (0) and Wednesday (2) of a 7-day cycle
    np.testing.assert_allclose(cal["weekday_sin"], np.sin([0.0, 2 * np.pi * 2 / 7]))


def hourly_csv(path, dtype=None, n=300, gap=None):
    times = pd.date_range("2016-07-01", periods=n, freq="h")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": times.strftime("%Y-%m-%d %H:%M:%S"),
                          "load": rng.normal(size=n),
                          "OT": 30 + 5 * np.sin(np.arange(n) * 2 * np.pi / 24)
                          + rng.normal(0, 0.2, n)})
    if gap is not None:
        frame = frame.drop(index=gap)
    frame.to_csv(path, index=False)
    return path


FAST = {"units": (8,), "window": 24, "epochs": 2, "batch_size": 64}


@pytest.mark.parametrize("dtype", TEXT_DTYPES, ids=str)
def test_a_table_with_text_dates_trains_and_forecasts_with_dates(dtype, tmp_path):
    frame = pd.read_csv(hourly_csv(tmp_path / "d.csv"))
    frame["date"] = frame["date"].astype(dtype)
    f = Forecaster(**FAST, steps=3).fit(frame, target="OT", time="date")
    out = f.predict(frame)
    assert out["date"].tolist() == [pd.Timestamp("2016-07-13 12:00"),
                                    pd.Timestamp("2016-07-13 13:00"),
                                    pd.Timestamp("2016-07-13 14:00")]  # 300 h after 07-01 00:00


def test_nullable_numbers_and_categorical_ids(tmp_path):
    rng = np.random.default_rng(0)
    parts = [pd.DataFrame({"id": k, "t": np.arange(60), "x": rng.integers(0, 5, 60),
                           "y": rng.normal(size=60)}) for k in ("a", "b")]
    frame = pd.concat(parts, ignore_index=True).astype(
        {"id": "category", "t": "Int64", "x": "Int64", "y": "Float64"})
    f = Forecaster(**{**FAST, "window": 5}).fit(frame, target="y", group="id", time="t")
    out = f.predict(frame)
    assert out["t"].tolist() == [60, 60] and np.isfinite(out["y"].astype(float)).all()


def test_missing_time_steps_error_or_fill(tmp_path):
    path = hourly_csv(tmp_path / "gap.csv", gap=[100, 101, 102])
    with pytest.raises(ValueError, match="3 missing time steps \\(hourly\\) in 1 series.*"
                       "between 2016-07-05 03:00:00 and 2016-07-05 07:00:00"):
        Forecaster(**FAST).fit(path, target="OT", time="date")
    f = Forecaster(**FAST, missing="interpolate")
    facts = f.inspect(path, target="OT", time="date")
    assert facts["rows"] == 300 and facts["notes"] == [
        "3 missing time steps added and filled (interpolate)",
        "6 missing values: interpolate"]  # OT and load on the 3 new rows
    f.fit(path, target="OT", time="date")
    assert f.predict(path)["date"].iloc[0] == pd.Timestamp("2016-07-13 12:00")


def test_zones_survive_to_the_forecast(tmp_path):
    frame = pd.read_csv(hourly_csv(tmp_path / "d.csv"))
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("Europe/Paris").astype(str)
    f = Forecaster(**FAST).fit(frame, target="OT", time="date")
    when = f.predict(frame)["date"].iloc[0]
    assert when == pd.Timestamp("2016-07-13 12:00", tz="Europe/Paris")
    naive = pd.read_csv(tmp_path / "d.csv")
    with pytest.raises(ValueError, match="no time zone here"):
        f.predict(naive)


def test_inspect_does_not_change_a_fitted_model(tmp_path):
    path = hourly_csv(tmp_path / "d.csv")
    f = Forecaster(**FAST).fit(path, target="OT", time="date")
    before = f.predict(path)
    other = pd.read_csv(path)
    other["OT"] = other["OT"] * 100  # another scale: an inspect that refits would show it
    f.inspect(other, target="OT", features=["load"], time="date")
    pd.testing.assert_frame_equal(f.predict(path), before)
    assert f.inputs_ == ["load", "OT"]
