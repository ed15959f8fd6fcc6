"""Series ids and times given as several columns (``--group store,item``, ``--time
year,month``): joined into one column wherever a table is read, written back as the
columns in forecasts."""

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.forecast import window_predict
from lstmcast.tables import timeline
from lstmcast.tables.io import DataError
from lstmcast.tables.joined_columns import join, parts, split


def test_join_and_split_give_back_the_columns():
    frame = pd.DataFrame({"store": ["a", "a", "b", None], "item": [1, 2, 1, 1],
                          "day": [0, 0, 0, 0], "y": [1.0, 2.0, 3.0, 4.0]})
    joined = join(frame, "store, item")
    assert list(joined.columns) == ["store, item", "day", "y"]
    assert joined["store, item"].tolist()[:3] == ["a | 1", "a | 2", "b | 1"]
    assert pd.isna(joined["store, item"].iloc[3])  # a blank part: a blank id, refused later
    back = split(joined.iloc[:3], "store, item")
    assert list(back.columns) == ["store", "item", "day", "y"]
    assert back["store"].tolist() == ["a", "a", "b"] and back["item"].tolist() == ["1", "2", "1"]
    assert parts("store") == [] and join(frame, "store") is frame  # one column: as it is
    named = frame.rename(columns={"store": "a,b"})  # a column bearing the whole name
    assert join(named, "a,b") is named
    with pytest.raises(DataError, match="Group column 'itm' is not in the table .* 'item'"):
        join(frame, "store,itm")


@pytest.mark.parametrize(("columns", "time", "texts"), [
    ({"year": [1999, 2000], "quarter": [4, 1]}, "year,quarter", ["1999 Q4", "2000 Q1"]),
    ({"year": [1999, 2000], "qtr": ["Q4", "q1"]}, "year, qtr", ["1999 Q4", "2000 Q1"]),
    ({"Year": [1999, 2000], "Period": ["Q4", "Q1"]}, "Year,Period", ["1999 Q4", "2000 Q1"]),
    ({"year": [1999, 2000], "month": [12, 1]}, "year,month", ["1999-12", "2000-01"]),
    ({"year": ["1999", "2000"], "month": ["Dec", "January"]}, "year,month",
     ["1999-12", "2000-01"]),
    ({"year": [1999, 2000], "month": ["Dec", "Jan"]}, "year,month", ["Dec 1999", "Jan 2000"]),
    ({"year": [1999, 2000], "month": ["December", "January"]}, "year,month",
     ["December 1999", "January 2000"]),
    ({"y": [1999, 2000], "m": [12, 1], "d": [31, 1]}, "y,m,d", ["1999-12-31", "2000-01-01"]),
])
def test_a_time_in_several_columns_is_one_time(columns, time, texts):
    frame = pd.DataFrame({"id": ["a", "a"], **columns, "v": [1.0, 2.0]})
    joined = join(frame, None, time)
    assert list(joined.columns) == ["id", time, "v"] and joined[time].tolist() == texts
    quarters = "Q" in texts[0]
    times = joined.assign(**{time: [pd.Timestamp("1999-10-01" if quarters else "1999-12-31"),
                                    pd.Timestamp("2000-01-01")]})
    back = split(times, None, time, quarters=quarters)
    assert list(back.columns) == list(frame.columns)
    assert back[parts(time)[0]].tolist() == [1999, 2000]
    assert back[parts(time)[1]].tolist() == ([4, 1] if quarters else [12, 1])


@pytest.mark.parametrize("words", [["Nov", "Dec", "Jan"], ["November", "December", "January"]])
def test_months_written_as_names_are_written_back_as_names(words):
    """A year and a month named ("Jan"): the forecasts' months were written as numbers
    (1). They are written as the column wrote them, read back to the same times."""
    frame = pd.DataFrame({"year": [1999, 1999, 2000], "month": words, "v": [1.0, 2.0, 3.0]})
    joined = join(frame, None, "year,month")
    parsed, used = timeline.parse_time(joined["year,month"], "year,month")
    assert used == ("%b %Y" if len(words[0]) == 3 else "%B %Y")
    assert parsed.tolist() == [pd.Timestamp("1999-11-01"), pd.Timestamp("1999-12-01"),
                               pd.Timestamp("2000-01-01")]
    back = split(joined.assign(**{"year,month": parsed}), None, "year,month",
                 writing=timeline.writing(joined["year,month"], parsed, used))
    assert back["year"].tolist() == [1999, 1999, 2000] and back["month"].tolist() == words


def test_the_parts_may_stand_anywhere_in_the_table():
    frame = pd.DataFrame({"a": [1], "month": [12], "b": [2], "year": [1999], "y": [3.0]})
    assert list(join(frame, None, "year,month").columns) == ["a", "b", "year,month", "y"]


def test_a_time_in_several_columns_that_is_not_one_is_named():
    frame = pd.DataFrame({"year": [1999, 2000], "month": [12, 13]})
    with pytest.raises(DataError, match=r"Time 'year,month': column 'month' holds 13 at row 1, "
                                        r"not a whole number from 1 to 12 or a month's name"):
        join(frame, None, "year,month")
    with pytest.raises(DataError, match="Time column 'mon' is not in the table"):
        join(frame, None, "year,mon")
    with pytest.raises(DataError, match="joins 4 columns"):
        join(frame.assign(a=1, b=2), None, "year,month,a,b")



def test_a_month_and_a_day_without_a_year_are_refused_with_what_to_do():
    """R's airquality: Month 5 .. 9 and Day 1 .. 31, a summer's days, no year. The month
    is not a year (a year 5 would misplace every row), and the error says so."""
    frame = pd.DataFrame({"Ozone": [41.0, 36.0], "Month": [5, 9], "Day": [1, 30]})
    with pytest.raises(DataError, match=r"Time 'Month,Day': column 'Month' holds 5 \.\. 9, "
                                        r"which are not years; .*--time Year,Month,Day.*"
                                        r"leave --time out"):
        join(frame, None, "Month,Day")
    beaver = pd.DataFrame({"day": [346, 347], "time": [840, 850], "temp": [36.3, 36.4]})
    with pytest.raises(DataError, match=r"Time 'day,time': column 'day' holds 346 \.\. 347, "
                                        r"which are not years"):
        join(beaver, None, "day,time")  # a day of the year and a clock: R's beaver1
    # years, or a column named for them, are read as before
    years = pd.DataFrame({"Year": [1995, 1996], "Month": [5, 9]})
    assert join(years, None, "Year,Month")["Year,Month"].tolist() == ["1995-05", "1996-09"]
    early = pd.DataFrame({"yr": [5, 9], "Month": [1, 2]})
    assert join(early, None, "yr,Month")["yr,Month"].tolist() == ["0005-01", "0009-02"]


@pytest.fixture
def jobs(tmp_path):
    """Counts by job and sex each decade: two columns name a series."""
    rng = np.random.default_rng(0)
    rows = [(job, sex, year, 100 + 5 * k + 3 * (sex == "women") + rng.normal())
            for job in ("clerk", "farmer") for sex in ("men", "women")
            for k, year in enumerate(range(1800, 2000, 5))]
    path = tmp_path / "jobs.csv"
    pd.DataFrame(rows, columns=["job", "sex", "year", "count"]).to_csv(path, index=False)
    return path


def test_the_command_line_trains_predicts_and_writes_the_columns_back(jobs, tmp_path):
    written = jobs.read_bytes()
    result = run_cli("train", jobs, "--target", "count", "--time", "year", "--group",
                     "job,sex", *FAST, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    predictions = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert list(predictions.columns[:3]) == ["job", "sex", "year"]
    assert set(zip(predictions["job"], predictions["sex"])) == {
        ("clerk", "men"), ("clerk", "women"), ("farmer", "men"), ("farmer", "women")}
    result = run_cli("predict", tmp_path / "run", jobs, "--out", tmp_path / "next.csv")
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "next.csv")
    assert list(forecast.columns[:2]) == ["job", "sex"] and len(forecast) == 4
    assert (forecast["year"] == 1995 + 5).all()
    assert jobs.read_bytes() == written
    table = pd.read_csv(jobs)  # the rows to forecast held as a spreadsheet holds them
    blank = table.groupby(["job", "sex"], as_index=False).last().assign(year=2000,
                                                                         count=np.nan)
    pd.concat([table, blank]).to_csv(tmp_path / "blank.csv", index=False)
    result = run_cli("predict", tmp_path / "run", tmp_path / "blank.csv", "--out",
                     tmp_path / "blank-next.csv")
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "blank-next.csv")
    assert list(forecast.columns[:2]) == ["job", "sex"] and (forecast["year"] == 2000).all()
    one_line_error(run_cli("train", jobs, "--target", "count", "--time", "year", "--group",
                           "job,gender", *FAST, "--out", tmp_path / "bad"),
                   "Group column 'gender' is not in the table")


def test_the_forecaster_takes_the_same_group(jobs):
    frame = pd.read_csv(jobs)
    model = Forecaster(window=6, units=(8,), epochs=1, seed=0).fit(
        frame, target="count", group="job,sex", time="year")
    forecast = model.predict(frame)
    assert sorted(forecast["job,sex"]) == ["clerk | men", "clerk | women", "farmer | men",
                                           "farmer | women"]


def test_the_service_path_answers_with_the_columns(jobs):
    """The path ``lstmcast serve`` answers by (one window per series, as records)."""
    frame = pd.read_csv(jobs)
    model = Forecaster(window=6, units=(8,), epochs=1, seed=0).fit(
        frame, target="count", group="job,sex", time="year")
    prepared = window_predict.prepare_table(model, frame)
    records = window_predict.finish_records(
        model, prepared, window_predict.predict_window(model, prepared.windows))
    assert [(r["job"], r["sex"]) for r in records] == [
        ("clerk", "men"), ("clerk", "women"), ("farmer", "men"), ("farmer", "women")]
    assert all(r["year"] == 2000 and np.isfinite(r["count"]) for r in records)


def test_the_command_line_reads_a_year_and_a_quarter_as_the_time(tmp_path):
    """A quarterly table holding its time as a year and a quarter (as statsmodels'
    macrodata does): the season is the year's four quarters, and forecasts say the year
    and the quarter."""
    rng = np.random.default_rng(7)
    quarters = pd.period_range("1959Q1", periods=80, freq="Q")
    t = np.arange(80)
    path = tmp_path / "macro.csv"
    pd.DataFrame({"year": quarters.year, "quarter": quarters.quarter,
                  "gdp": 2700 + 30 * t + 50 * np.sin(t * np.pi / 2) + rng.normal(0, 20, 80)}
                 ).to_csv(path, index=False)
    result = run_cli("train", path, "--target", "gdp", "--time", "year,quarter", *FAST,
                     "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert "Season: 4 (a year of quarters, from the frequency (quarterly))" in result.stdout
    predictions = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert list(predictions.columns[:2]) == ["year", "quarter"]
    assert predictions[["year", "quarter"]].iloc[-1].tolist() == [1978, 4]
    result = run_cli("predict", tmp_path / "run", path, "--out", tmp_path / "next.csv")
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "next.csv")
    assert forecast[["year", "quarter"]].iloc[0].tolist() == [1979, 1]


def test_inputs_known_in_advance_are_matched_by_the_joined_id_and_time(tmp_path):
    """Both given as several columns, with --future: the future file's rows are matched to
    the series and times by the same joins, and the forecasts carry the columns."""
    rng = np.random.default_rng(3)
    rows = [(store, item, 2000 + k // 12, k % 12 + 1, int(k % 5 == 0),
             100 + 5 * np.sin(2 * np.pi * k / 12) + 10 * (k % 5 == 0) + rng.normal())
            for store in "ab" for item in "xy" for k in range(60)]
    history = tmp_path / "history.csv"
    pd.DataFrame(rows, columns=["store", "item", "year", "month", "promo", "sales"]).to_csv(
        history, index=False)
    future = tmp_path / "future.csv"
    pd.DataFrame([(s, i, 2005, 1, p) for s, i, p in (("a", "x", 1), ("a", "y", 0),
                                                     ("b", "x", 1), ("b", "y", 0))],
                 columns=["store", "item", "year", "month", "promo"]).to_csv(future, index=False)
    result = run_cli("train", history, "--target", "sales", "--time", "year,month", "--group",
                     "store,item", "--future", "promo", *FAST, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    result = run_cli("predict", tmp_path / "run", history, "--future", future, "--out",
                     tmp_path / "next.csv")
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "next.csv")
    assert list(forecast.columns[:2]) == ["store", "item"]
    assert forecast[["year", "month"]].drop_duplicates().values.tolist() == [[2005, 1]]
    assert len(forecast) == 4
    late = tmp_path / "late.csv"  # a future row at another month is not the next one
    pd.read_csv(future).assign(month=2).to_csv(late, index=False)
    result = run_cli("predict", tmp_path / "run", history, "--future", late)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_a_parquet_set_read_shard_by_shard_joins_its_columns_as_each_shard_is_read(tmp_path):
    """A set of Parquet files, one store per file, its series named by store and item and
    its time by year and month: train reads it shard by shard (a file a shard), each
    shard's columns joined as it is read, and predict writes the columns back (it was
    pyarrow's "No match for FieldRef.Name(store,item)")."""
    folder = tmp_path / "set"
    folder.mkdir()
    for k, store in enumerate(("n", "s")):
        rows = [{"store": store, "item": item, "year": 2000 + i // 12, "month": i % 12 + 1,
                 "sales": float(10 + k + (i % 12) / 3 + (item == "y"))}
                for item in ("x", "y") for i in range(60)]
        pd.DataFrame(rows).to_parquet(folder / f"part{k}.parquet")
    run = tmp_path / "run"
    done = run_cli("train", folder, "--target", "sales", "--time", "year,month", "--group",
                   "store,item", "--shard-rows", "120", *FAST, "--out", run)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "f.csv"
    assert run_cli("predict", run, folder, "--out", out).returncode == 0
    forecast = pd.read_csv(out, dtype={"store": str, "item": str})
    assert list(forecast.columns)[:2] == ["store", "item"]
    assert sorted(zip(forecast["store"], forecast["item"])) == [
        ("n", "x"), ("n", "y"), ("s", "x"), ("s", "y")]
    assert set(zip(forecast["year"], forecast["month"])) == {(2005, 1)}
    model = Forecaster(epochs=1, units=(8,), window=6, shard_rows=120).fit(
        folder, target="sales", group="store,item", time="year,month")
    assert sorted(model.predict(folder)["store,item"]) == ["n | x", "n | y", "s | x", "s | y"]


def test_a_date_and_a_time_of_day_in_two_columns_are_one_time():
    """A sensor log's Date and Time columns ("16/12/2006", "17:24:00"): joined as the
    text of one time, the date as written; dates and time cells typed as such (a
    workbook's) joined too; written back as the two columns, the date as the table wrote
    it."""
    import datetime

    frame = pd.DataFrame({"Date": ["16/12/2006", "16/12/2006", "1/1/2007"],
                          "Time": ["17:24:00", "18:24:00", "0:05"], "power": [4.2, 3.1, 1.0]})
    joined = join(frame, None, "Date,Time")
    assert list(joined.columns) == ["Date,Time", "power"]
    assert joined["Date,Time"].tolist() == ["16/12/2006 17:24:00", "16/12/2006 18:24:00",
                                            "1/1/2007 0:05"]
    typed = pd.DataFrame({"day": pd.to_datetime(["2006-12-16", "2006-12-17"]),
                          "at": [datetime.time(17, 24), datetime.time(0, 0)]})
    assert join(typed, None, "day,at")["day,at"].tolist() == ["2006-12-16 17:24:00",
                                                              "2006-12-17 00:00:00"]
    forecast = pd.DataFrame({"step": [1, 2], "Date,Time": pd.to_datetime(
        ["2007-02-14 17:00", "2007-02-15 00:30"]), "power": [1.5, 1.2]})
    back = split(forecast, None, "Date,Time", writing={"written": "%-d/%-m/%Y %H:%M:%S"})
    assert list(back.columns) == ["step", "Date", "Time", "power"]
    assert back["Date"].tolist() == ["14/2/2007", "15/2/2007"]
    assert back["Time"].tolist() == ["17:00:00", "00:30:00"]
    iso = split(forecast, None, "Date,Time", writing={})  # read in pandas' own way
    assert iso["Date"].tolist() == ["2007-02-14", "2007-02-15"]
    months = forecast.rename(columns={"Date,Time": "year,month"}).assign(
        **{"year,month": pd.to_datetime(["2007-02-01", "2007-03-01"])})
    for writing in (None, {"written": "%Y-%m"}):  # a year and a month read as "2007-02"
        assert split(months, None, "year,month", writing=writing)["month"].tolist() == [2, 3]


def test_the_command_line_reads_a_log_with_a_date_and_a_time_column(tmp_path):
    """A household power log as it is published: ';' between values, day-first dates
    without leading zeros in one column and clock times in another, '?' for a missing
    reading. --time Date,Time reads it hourly (season 24), and the forecasts carry Date and
    Time written as the log writes them; the log is unchanged."""
    import hashlib

    times = pd.date_range("2006-12-16 17:00", periods=24 * 20, freq="h")
    rng = np.random.default_rng(0)
    power = 1.2 + 0.8 * np.sin(2 * np.pi * (times.hour - 7) / 24) + 0.1 * rng.normal(
        size=len(times))
    values = [f"{p:.3f}" for p in power]
    values[50] = "?"
    log = tmp_path / "household_power.txt"
    log.write_text("Date;Time;Global_active_power\n" + "".join(
        f"{t.day}/{t.month}/{t.year};{t:%H:%M:%S};{v}\n" for t, v in zip(times, values)))
    before = hashlib.sha256(log.read_bytes()).hexdigest()
    run = tmp_path / "run"
    done = run_cli("train", log, "--target", "Global_active_power", "--time", "Date,Time",
                   "--steps", "6", "--missing", "interpolate", *FAST, "--out", run)
    assert done.returncode == 0, done.stderr
    assert "Read '?' as a missing value" in done.stderr
    out = tmp_path / "f.csv"
    assert run_cli("predict", run, log, "--out", out).returncode == 0
    forecast = pd.read_csv(out, dtype=str)
    assert list(forecast.columns) == ["step", "Date", "Time", "Global_active_power"]
    last = times[-1]
    assert forecast["Date"].iloc[0] == f"{last.day}/{last.month}/{last.year}"
    assert forecast["Time"].tolist()[:2] == [f"{(last + pd.Timedelta(hours=k)):%H:%M:%S}"
                                             for k in (1, 2)]
    assert hashlib.sha256(log.read_bytes()).hexdigest() == before
