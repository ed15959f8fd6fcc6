"""What a demanding user tried, through the command line: options honoured or refused,
tables checked against the model, values shown as written, sizes refused before allocating.

Each case runs ``lstmcast`` as a user would and checks the exit code, that an error is one
line without a traceback, and what was written.
"""

import numpy as np
import pandas as pd
import pytest
from helpers import FAST, one_line_error, run_cli


def daily(path, days=60, start="2024-01-01", fmt="%Y-%m-%d", ids=("a", "b"), freq="D"):
    """Two shops' daily sales with a promotion known in advance, dates as text."""
    rng = np.random.default_rng(1)
    rows = []
    for shop in ids:
        t = pd.date_range(start, periods=days, freq=freq)
        rows.append(pd.DataFrame({"shop": shop, "date": t.strftime(fmt),
                                  "promo": (np.arange(days) % 5 == 0).astype(int),
                                  "sales": 20 + 5 * np.sin(np.arange(days) / 3)
                                  + rng.normal(size=days)}))
    table = pd.concat(rows, ignore_index=True)
    table.to_csv(path, index=False)
    return path


COLUMNS = ["--target", "sales", "--group", "shop", "--time", "date"]


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shops")
    data = daily(folder / "shops.csv")
    run = folder / "run"
    result = run_cli("train", data, *COLUMNS, "--future", "promo", "--steps", "4", *FAST,
                     "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    return folder, data, run


def plan(path, fmt="%Y-%m-%d", start="2024-03-01"):
    times = pd.date_range(start, periods=4, freq="D").strftime(fmt)
    pd.DataFrame({"shop": np.repeat(["a", "b"], 4), "date": np.tile(times, 2),
                  "promo": 1}).to_csv(path, index=False)
    return path


def test_n_ahead_below_the_steps_gives_that_many_rows(shops, tmp_path):
    folder, data, run = shops
    out = tmp_path / "f.csv"
    result = run_cli("predict", run, data, "--future", plan(tmp_path / "p.csv"),
                     "--n-ahead", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(out)
    assert forecast.groupby("shop").size().tolist() == [2, 2]
    full = tmp_path / "full.csv"
    assert run_cli("predict", run, data, "--future", tmp_path / "p.csv", "--out",
                   full).returncode == 0
    whole = pd.read_csv(full)
    pd.testing.assert_frame_equal(forecast, whole[whole["step"] <= 2].reset_index(drop=True))


def test_predict_reads_a_day_first_future_file_with_time_format(shops, tmp_path):
    folder, data, run = shops
    future = plan(tmp_path / "plan.csv", fmt="%d/%m/%Y")
    result = run_cli("predict", run, data, "--future", future)  # read on its own, said
    assert result.returncode == 0, result.stderr
    assert "The future table's times are written otherwise" in result.stderr
    assert "2024-03-01" in result.stdout and "2024-03-04" in result.stdout
    result = run_cli("predict", run, data, "--future", future, "--time-format", "dayfirst")
    assert result.returncode == 0, result.stderr
    assert "2024-03-01" in result.stdout and "2024-03-04" in result.stdout


def test_predict_fills_a_gap_with_its_own_missing_option(shops, tmp_path):
    folder, data, run = shops
    table = pd.read_csv(data)
    gap = tmp_path / "gap.csv"
    table.drop(index=[30]).to_csv(gap, index=False)
    future = plan(tmp_path / "plan.csv")
    result = run_cli("predict", run, gap, "--future", future)
    one_line_error(result, "missing time steps", "--missing ffill", "--missing interpolate")
    assert "'interpolate'" not in result.stderr  # the hint is not garbled
    result = run_cli("predict", run, gap, "--future", future, "--missing", "ffill")
    assert result.returncode == 0, result.stderr


def test_predict_refuses_a_table_at_another_frequency(shops, tmp_path):
    folder, data, run = shops
    hourly = daily(tmp_path / "hourly.csv", days=60, fmt="%Y-%m-%d %H:%M", freq="h")
    result = run_cli("predict", run, hourly, "--future", plan(tmp_path / "p.csv"))
    one_line_error(result, "hourly here", "trained on daily data")


def test_ids_are_kept_as_written_and_shown_as_written(tmp_path):
    data = daily(tmp_path / "ids.csv", days=30, ids=("01", "1"))
    out = tmp_path / "run"
    result = run_cli("train", data, *COLUMNS, *FAST, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    forecast = tmp_path / "f.csv"
    assert run_cli("predict", out, data, "--out", forecast).returncode == 0
    assert sorted(pd.read_csv(forecast, dtype={"shop": str})["shop"]) == ["01", "1"]
    # the same ids from Parquet (written as text) forecast the same
    pq = tmp_path / "ids.parquet"
    pd.read_csv(data, dtype={"shop": str}).to_parquet(pq)
    assert run_cli("predict", out, pq, "--out", tmp_path / "g.csv").returncode == 0
    pd.testing.assert_frame_equal(pd.read_csv(forecast, dtype={"shop": str}),
                                  pd.read_csv(tmp_path / "g.csv", dtype={"shop": str}))
    # numeric ids and dates in messages: as written, not np.int64(7) nor Timestamp(...)
    numbers = tmp_path / "numbers.csv"
    table = pd.read_csv(data, dtype={"shop": str}).assign(
        shop=lambda f: np.where(f["shop"] == "01", 7, 8))
    pd.concat([table, table.iloc[[3]]]).to_csv(numbers, index=False)
    result = run_cli("train", numbers, *COLUMNS, *FAST)
    one_line_error(result, "Time 2024-01-04 appears more than once in series 7")
    assert "np.int64" not in result.stderr and "Timestamp" not in result.stderr


def test_a_network_too_big_for_memory_is_refused_before_allocating(tmp_path):
    data = daily(tmp_path / "shops.csv", days=60)
    result = run_cli("inspect", data, *COLUMNS, "--units", "100000")
    assert result.returncode == 0, result.stderr
    assert "warning: that is more than this machine's" in result.stdout
    result = run_cli("train", data, *COLUMNS, *FAST, "--units", "100000", "--out",
                     tmp_path / "big")
    one_line_error(result, "weights", "more than this machine's", "lower --units")
    assert not (tmp_path / "big").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_calendar_only_model_trains_and_forecasts(tmp_path):
    data = tmp_path / "cal.csv"
    pd.read_csv(daily(tmp_path / "d.csv")).drop(columns="promo").to_csv(data, index=False)
    out = tmp_path / "run"
    result = run_cli("train", data, *COLUMNS, "--calendar", "--no-autoregressive", *FAST,
                     "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    forecast = run_cli("predict", out, data)
    assert forecast.returncode == 0 and "2024-03-01" in forecast.stdout, forecast.stderr
    result = run_cli("train", data, *COLUMNS, "--no-autoregressive", *FAST)
    one_line_error(result, "No input columns", "--calendar", "--future")


def test_resume_of_a_finished_run_says_it_is_finished(shops):
    folder, data, run = shops
    result = run_cli("train", "--resume", run)
    one_line_error(result, "is finished", "nothing to resume")


def test_a_negative_value_reaches_the_option_s_own_check(tmp_path):
    data = daily(tmp_path / "d.csv")
    result = run_cli("train", data, *COLUMNS, "--quantiles", "-0.1,0.5")
    one_line_error(result, "Quantile level -0.1", "outside (0, 1)")
    assert "expected one argument" not in result.stderr


def test_dates_out_of_order_without_time_are_the_time_or_refused(tmp_path):
    """Shuffled rows and no --time: the table's one column of dates is read as the time
    (the rows sorted by it, said); with a second column of dates, which one is meant is
    not guessed, and the rows are not taken in their shuffled order either."""
    data = tmp_path / "shuffled.csv"
    shuffled = pd.read_csv(daily(tmp_path / "d.csv")).sample(frac=1, random_state=0)
    shuffled.to_csv(data, index=False)
    result = run_cli("inspect", data, "--target", "sales", "--group", "shop")
    assert result.returncode == 0, result.stderr
    assert "Column 'date' holds the table's dates: read as the time column" in result.stderr
    shuffled.assign(booked=shuffled["date"]).to_csv(data, index=False)
    result = run_cli("train", data, "--target", "sales", "--group", "shop", *FAST)
    one_line_error(result, "'date' holds dates that are not in order", "--time date")


def test_a_long_table_without_its_group_names_the_column_that_tells_series_apart(tmp_path):
    """Two shops' rows one under the other (a long table, as a download of several stocks
    gives them), trained without --group: the dates repeat, so they are neither in order
    nor one per row. Both errors named no column to group by; they name 'shop'."""
    data = daily(tmp_path / "long.csv")
    before = data.read_bytes()
    result = run_cli("train", data, "--target", "sales", *FAST)
    one_line_error(result, "'date' holds dates that are not in order", "--time date",
                   "Column 'shop' tells the series apart (each has one row per date): give "
                   "--group shop too.")
    result = run_cli("train", data, "--target", "sales", "--time", "date", *FAST)
    one_line_error(result, "Time 2024-01-01 appears more than once",
                   "Column 'shop' tells the series apart: name it as the group (--group shop).")
    assert data.read_bytes() == before


def test_years_without_time_that_repeat_or_skip_are_named(tmp_path):
    """A census table (`year,age,sex,people`, every age and sex in every tenth year) trained
    without --time or --group read its 32 series as one, in file order, the years an input.
    It is refused, naming the columns that tell the series apart. Years in order that skip
    (a disaster's years) stay an input, with a warning naming --time."""
    rows = [(y, a, s, 1000 * (1 + a) + y) for y in range(1850, 2010, 10) for a in range(16)
            for s in (1, 2)]
    census = tmp_path / "census.csv"
    pd.DataFrame(rows, columns=["year", "age", "sex", "people"]).to_csv(census, index=False)
    result = run_cli("train", census, "--target", "people", *FAST)
    one_line_error(result, "Column 'year' holds years, each on several rows of the table, but "
                   "no time column was given", "Columns 'age' and 'sex' tell the series apart: "
                   "give --group age,sex and --time year.")
    result = run_cli("train", census, "--target", "people", "--group", "age", *FAST)
    one_line_error(result, "each on several rows of a series", "Column 'sex' tells the series "
                   "apart: give --group age,sex and --time year.")
    years = np.sort(np.random.default_rng(0).choice(np.arange(1900, 2020), 60, replace=False))
    skipping = tmp_path / "disasters.csv"
    pd.DataFrame({"Year": years, "Deaths": np.arange(60.0) % 7}).to_csv(skipping, index=False)
    result = run_cli("inspect", skipping, "--target", "Deaths")
    assert result.returncode == 0, result.stderr
    assert ("Column 'Year' holds years in order, and no time column was given: it is an input "
            "counting the rows, which are taken in file order. Give --time Year to read it as "
            "the time (its missing years are then named).") in result.stderr


def test_an_input_with_blanks_is_named_with_the_inputs_to_keep_without_it(tmp_path):
    """A covariate blank in a few rows (wages not yet published): the error gave the
    missing-value policies only. It also gives the inputs to keep without the column,
    as flags to paste."""
    data = tmp_path / "weather.csv"
    days = pd.date_range("2020-01-01", periods=80, freq="D")
    wind = np.arange(80.0) % 5
    wind[[70, 75]] = np.nan
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "temp": np.sin(np.arange(80.0)),
                  "wind": wind, "rain": np.arange(80.0) % 3}).to_csv(data, index=False)
    result = run_cli("train", data, "--target", "temp", "--time", "date", *FAST)
    one_line_error(result, "Column 'wind' holds 2 NaN or infinite values",
                   "--missing interpolate", "Or leave it out of the inputs: --features rain.")
    result = run_cli("train", data, "--target", "temp", "--time", "date", "--features", "wind",
                     *FAST)
    one_line_error(result, "Or leave it out of the inputs: --features ''.")


def test_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess
    import sys

    one = tmp_path / "one.csv"
    pd.read_csv(daily(tmp_path / "d.csv", days=200, ids=("a",))).drop(
        columns=["promo", "shop"]).to_csv(one, index=False)
    out = tmp_path / "run"
    result = run_cli("train", one, "--target", "sales", "--time", "date", *FAST, "--steps", "20",
                     "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    shell = (f"{sys.executable} -m lstmcast predict {out} {one} --n-ahead 2000 | head -1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          text=True, timeout=300)
    assert done.stdout.startswith(" step") or done.stdout.split()[0] == "step", done.stdout
    assert done.stderr == "", done.stderr


def test_a_run_of_two_processes_is_resumed_by_two(tmp_path):
    data = daily(tmp_path / "d.csv")
    partial = tmp_path / ".job.partial"
    partial.mkdir()
    (partial / "config.toml").write_text(f'[data]\nsource = "{data}"\ntarget = ["sales"]\n')
    (partial / "launch.json").write_text('{"processes": 2}\n')
    result = run_cli("train", "--resume", tmp_path / "job")
    one_line_error(result, "trained by 2 processes and is resumed by 1",
                   "torchrun --nproc-per-node 2 -m lstmcast train --resume")
    assert (partial / "config.toml").exists()


def test_the_season_comes_from_the_frequency_and_its_baseline_is_shown(tmp_path):
    from lstmcast import Forecaster

    t = pd.date_range("2024-01-01", periods=24 * 20, freq="h")
    frame = pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M"),
                          "load": 10 + np.sin(2 * np.pi * np.arange(len(t)) / 24)})
    model = Forecaster(window=30, units=(8,), epochs=1, batch_size=64)
    model.fit(frame.iloc[:-48], target="load", time="time")
    assert model.season_ == 24
    scores = model.evaluate(frame)
    seasonal = scores.set_index("model").loc["seasonal_naive", "rmse"]
    assert seasonal < 1e-9  # a pure daily cycle: the seasonal naive is exact
    given = Forecaster(window=30, units=(8,), epochs=1, batch_size=64, season=12)
    assert given.fit(frame.iloc[:-48], target="load", time="time").season_ == 12
    numbers = frame.assign(time=np.arange(len(frame)))  # no calendar: found in the rows
    assert model.fit(numbers, target="load", time="time").season_ == 24
    assert model.season_choice(model.pipeline_)[1].startswith(
        "found in the rows: their changes repeat every 24 rows")
    assert model.set_params(season=1).fit(numbers, target="load", time="time").season_ is None


def test_a_quarterly_table_written_1960_q1_trains_and_forecasts_quarters(tmp_path):
    quarters = [f"{1960 + k // 4} Q{k % 4 + 1}" for k in range(100)]
    data = tmp_path / "gas.csv"
    pd.DataFrame({"quarter": quarters, "gas": 100 + 10 * np.tile([1, -1, 2, -2], 25)
                  + np.arange(100)}).to_csv(data, index=False)
    out = tmp_path / "run"
    result = run_cli("train", data, "--target", "gas", "--time", "quarter", *FAST,
                     "--steps", "4", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Season: 4 (a year of quarters" in result.stdout
    forecast = run_cli("predict", out, data, "--out", tmp_path / "f.csv")
    assert forecast.returncode == 0, forecast.stderr
    assert pd.read_csv(tmp_path / "f.csv")["quarter"].tolist() == [
        "1985 Q1", "1985 Q2", "1985 Q3", "1985 Q4"]  # as the table wrote them


def test_the_worst_cases_as_a_real_process(shops, tmp_path):
    """A handful of the cases above through `python -m lstmcast`, as a shell runs it: exit 1,
    one line, no traceback, and every file byte-identical afterwards."""
    folder, data, run = shops
    future = plan(tmp_path / "plan.csv")
    keras = tmp_path / "m.keras"
    keras.write_bytes(b"not a model")
    files = [data, future, keras, *sorted(p for p in run.rglob("*") if p.is_file())]
    before = {p: p.read_bytes() for p in files}
    cases = [
        (["predict", run, data, "--future", future, "--out", future, "--force"],
         "the future table this command reads"),
        (["import-keras", keras, "--out", run / "forecaster.lstmcast", "--force"],
         "part of the run folder"),
        (["train", data, *COLUMNS, "--units", "100000", "--out", tmp_path / "big"],
         "more than this machine's"),
        (["train", data, *COLUMNS, "--quantiles", "-0.1,0.5"], "outside (0, 1)"),
        (["train", "--resume", run], "nothing to resume"),
        (["predict", run, data, "--future", future, "--out", tmp_path / "f.xlsx"],
         "give a file name ending in .csv, .parquet or .json"),
    ]
    for argv, says in cases:
        one_line_error(run_cli(*argv, process=True), says)
        assert {p: p.read_bytes() for p in files} == before, argv
