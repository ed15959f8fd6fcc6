"""Series told apart by several columns (``--group store,item``): joined into one id column
wherever a table is read, written back as the columns in forecasts."""

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, one_line_error, run_cli

from lstmcast import Forecaster
from lstmcast.forecast import window_predict
from lstmcast.tables.compound_ids import join, parts, split
from lstmcast.tables.io import DataError


def test_join_and_split_give_back_the_columns():
    frame = pd.DataFrame({"store": ["a", "a", "b", None], "item": [1, 2, 1, 1],
                          "day": [0, 0, 0, 0], "y": [1.0, 2.0, 3.0, 4.0]})
    joined = join(frame, "store, item")
    assert list(joined.columns) == ["store, item", "day", "y"]
    assert joined["store, item"].tolist() == ["a | 1", "a | 2", "b | 1", None]  # blank stays
    back = split(joined.iloc[:3], "store, item")
    assert list(back.columns) == ["store", "item", "day", "y"]
    assert back["store"].tolist() == ["a", "a", "b"] and back["item"].tolist() == ["1", "2", "1"]
    assert parts("store") == [] and join(frame, "store") is frame  # one column: as it is
    named = frame.rename(columns={"store": "a,b"})  # a column bearing the whole name
    assert join(named, "a,b") is named
    with pytest.raises(DataError, match="Group column 'itm' is not in the table .* 'item'"):
        join(frame, "store,itm")


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
