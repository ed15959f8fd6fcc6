"""Inputs known in advance, per-series constants and the calendar, from Python and the CLI."""

import numpy as np
import pandas as pd
import pytest
from helpers import one_line_error, run_cli

from lstmcast import Forecaster

PROMO = {"units": (16,), "window": 7, "steps": 2, "epochs": 30, "batch_size": 32, "seed": 0,
         "learning_rate": 0.01, "dropout": 0.0}


def promotions(n=240, stores=2, seed=0):
    """Daily sales: a weekly cycle, plus 6 on promotion days, drawn at random (p = 0.3)."""
    rng = np.random.default_rng(seed)
    parts = []
    for s in range(stores):
        promo = (rng.random(n) < 0.3).astype(float)
        sales = (20 + 3 * np.sin(np.arange(n) * 2 * np.pi / 7) + 6 * promo
                 + rng.normal(0, 0.3, n))
        parts.append(pd.DataFrame({"store": f"s{s}", "day": np.arange(n), "promo": promo,
                                   "size": 10.0 + s, "sales": sales}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def promo_models():
    df = promotions()
    train = df.groupby("store").head(200)
    known = Forecaster(**PROMO).fit(train, "sales", features=[], group="store", time="day",
                                    future=["promo"])
    past = Forecaster(**PROMO).fit(train, "sales", features=["promo"], group="store",
                                   time="day")
    return df, known, past


def test_a_promotion_known_in_advance_is_forecast(promo_models):
    """Measured: test RMSE 0.32 with the promotion as a future input, 2.70 with it as a past
    feature only (the noise is 0.3; repeating the last value scores 4.4): a ratio of 8."""
    df, known, past = promo_models
    with_future = known.evaluate(df, holdout=40).set_index("model")["rmse"]
    without = past.evaluate(df, holdout=40).set_index("model")["rmse"]
    assert with_future["lstmcast"] < 0.6  # near the noise (0.3)
    assert without["lstmcast"] / with_future["lstmcast"] > 4
    assert with_future["lstmcast"] < with_future["naive"] / 5


def test_networks_that_read_a_promotion_and_win_forecast_alone(promo_models):
    """Every candidate is scored, but none besides the networks sees the promotion: a mean
    with one would halve its effect, so the networks, best on the validation rows, are the
    whole forecast."""
    _, known, _ = promo_models
    scores = known.blend_scores_
    assert {"networks", "linear_map", "shrunk_map", "holt_winters", "naive"} <= set(scores)
    assert min(scores, key=scores.get) == "networks"
    assert known.blend_weights_ == {"networks": 1.0}


def test_where_the_networks_lose_a_future_table_gets_the_best_other_forecasts(tmp_path):
    """A price known ahead that the sales do not follow, and a network too small to learn
    the season: the forecast is chosen among the others, which do not read the price."""
    rng = np.random.default_rng(3)
    n, rows = 160, []
    for s in range(2):
        t = np.arange(n)
        rows.append(pd.DataFrame({
            "id": f"0{s}", "t": t, "price": rng.uniform(3, 6, n),
            "sales": 100 + 0.3 * t + 20 * np.sin(2 * np.pi * t / 4 + s) + rng.normal(0, 1, n)}))
    df = pd.concat(rows, ignore_index=True)
    fc = Forecaster(window=12, steps=4, units=(4,), epochs=2, seed=0, verbose=0,
                    season=4).fit(df, "sales", group="id", time="t", future=["price"])
    assert "networks" in fc.blend_scores_ and "networks" not in fc.blend_weights_
    assert sum(fc.blend_weights_.values()) == pytest.approx(1.0)
    history = df.groupby("id").head(150)
    future = df.groupby("id").nth(list(range(150, 154)))[["id", "t", "price"]]
    forecast = fc.predict(history, future=future)
    moved = fc.predict(history, future=future.assign(price=future["price"] * 10))
    np.testing.assert_allclose(forecast["sales"], moved["sales"])  # the price is not read
    _, predictions = fc.evaluate(df.groupby("id").head(154), holdout=4,
                                 return_predictions=True)
    np.testing.assert_allclose(forecast["sales"].to_numpy(),
                               predictions["lstmcast"].to_numpy(), rtol=1e-5)


def test_predict_reads_the_future_table_aligned_with_the_rows_to_forecast(promo_models):
    df, known, _ = promo_models
    history = df.groupby("store").head(220)
    future = df.groupby("store").nth([220, 221])[["store", "day", "promo"]]
    forecast = known.predict(history, future=future)
    assert forecast["day"].tolist() == [220, 221, 220, 221]
    # the same windows scored from the whole table, where the promotions are in the rows
    _, predictions = known.evaluate(df.groupby("store").head(222), holdout=2,
                                    return_predictions=True)
    np.testing.assert_allclose(forecast["sales"].to_numpy(),
                               predictions["lstmcast"].to_numpy(), rtol=1e-5)
    # a future table in another order, with extra rows and columns, gives the same
    shuffled = df[df["day"] >= 220].sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(known.predict(history, future=shuffled), forecast)


def test_missing_future_values_are_named(promo_models):
    df, known, past = promo_models
    history = df.groupby("store").head(220)
    with pytest.raises(ValueError, match="reads future values of promo: give them"):
        known.predict(history)
    short = df[(df["day"] == 220)]
    with pytest.raises(ValueError, match="lacks 2 of the 4 rows to forecast \\(first: store "
                                         "'s0', day 221\\)"):
        known.predict(history, future=short)
    with pytest.raises(ValueError, match="Future table's column 'promo' is not in the table"):
        known.predict(history, future=short[["store", "day"]])
    with pytest.raises(ValueError, match="reads no inputs known in advance"):
        past.predict(history, future=short)


def test_future_inputs_survive_save_and_load(promo_models, tmp_path):
    df, known, _ = promo_models
    known.save(tmp_path / "k.lstmcast")
    again = Forecaster.load(tmp_path / "k.lstmcast")
    history = df.groupby("store").head(220)
    future = df[df["day"].isin([220, 221])]
    pd.testing.assert_frame_equal(again.predict(history, future=future),
                                  known.predict(history, future=future))
    # two steps from the target's past: instance normalization by default ("auto")
    assert [type(x).__name__ for x in again.model_.layers] == [
        "InstanceNorm", "Cropping1D", "LSTM", "FutureInputs", "Dense", "InstanceDenorm"]
    assert again.model_.layers[3].output_shape == (16 + 2,)  # units + steps x 1 future column


def test_static_columns_are_one_value_per_series():
    df = promotions(n=60)
    f = Forecaster(units=(4,), window=5, epochs=1).fit(df, "sales", features=[], group="store",
                                                       time="day", static=["size"])
    assert f.inputs_ == ["sales", "size"]
    df.loc[10, "size"] = 99.0
    with pytest.raises(ValueError, match="Static column 'size' must hold one value per "
                                         "series, but series 's0' has 2 different values"):
        Forecaster(units=(4,), window=5, epochs=1).fit(df, "sales", group="store", time="day",
                                                       static=["size"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"future": ["sales"]}, "target 'sales' cannot be a future input"),
    ({"future": ["promo"], "static": ["promo"]}, "both future and static"),
    ({"features": ["promo"], "future": ["promo"]}, "both a feature and a future"),
    ({"future": ["price"]}, "Future column 'price' is not in the table"),
    ({"future": ["day"]}, "group or time column and cannot be a future input"),
])
def test_roles_that_exclude_each_other_are_refused(kwargs, message):
    df = promotions(n=40)
    with pytest.raises(ValueError, match=message):
        Forecaster(units=(4,), window=5, epochs=1).fit(df, "sales", group="store", time="day",
                                                       **kwargs)
    with pytest.raises(ValueError, match="horizon 0"):
        Forecaster(units=(4,), window=5, epochs=1, horizon=0).fit(
            df, "sales", features=["size"], group="store", time="day", future=["promo"])


def test_calendar_inputs_from_dates():
    times = pd.date_range("2024-01-01", periods=24 * 12, freq="h")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"when": times.strftime("%Y-%m-%d %H:%M"),
                       "load": 10 + 3 * np.sin(2 * np.pi * times.hour / 24)
                       + rng.normal(0, 0.1, len(times))})
    f = Forecaster(units=(8,), window=6, steps=3, epochs=1, calendar=True)
    facts = f.inspect(df, "load", time="when")
    assert facts["roles"] == {"load": "target's past",
                              **{f"{p}_{t}": "calendar (known in advance)"
                                 for p in ("hour", "weekday", "yearday") for t in ("sin", "cos")}}
    f.fit(df, "load", time="when")
    out = f.predict(df)  # the calendar of the rows to forecast needs no future table
    assert out["when"].tolist() == list(pd.date_range("2024-01-13", periods=3, freq="h"))
    with pytest.raises(ValueError, match="calendar=True. derives inputs from dates"):
        Forecaster(units=(4,), window=5, epochs=1, calendar=True).fit(
            promotions(n=40), "sales", group="store", time="day")


def test_the_command_line_takes_future_static_and_calendar(tmp_path):
    df = promotions(n=120)
    df["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["day"], unit="D")
    df["date"] = df["date"].dt.strftime("%d/%m/%Y")  # day-first text dates
    history = df[df["day"] < 100].drop(columns="day")
    history.to_csv(tmp_path / "sales.csv", index=False)
    future = df[df["day"].isin([100, 101])][["store", "date", "promo"]]
    future.to_csv(tmp_path / "future.csv", index=False)
    run = tmp_path / "run"
    result = run_cli("inspect", tmp_path / "sales.csv", "--target", "sales", "--group", "store",
                     "--time", "date", "--future", "promo", "--static", "size", "--calendar",
                     "--window", "7", "--steps", "2", "--features", "")
    assert result.returncode == 0, result.stderr
    assert ("inputs (7):\n  target's past: sales\n  known in advance: promo\n"
            "  calendar (known in advance): weekday_sin, weekday_cos, yearday_sin, yearday_cos\n"
            "  static: size\n") in result.stdout
    assert "time: 'date' holds dates, read as %d/%m/%Y; frequency daily" in result.stdout
    result = run_cli("train", tmp_path / "sales.csv", "--target", "sales", "--group", "store",
                     "--time", "date", "--future", "promo", "--static", "size", "--calendar",
                     "--window", "7", "--steps", "2", "--features", "", "--epochs", "1",
                     "--units", "4", "--out", run, "--quiet")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "forecast.csv"
    result = run_cli("predict", run, tmp_path / "sales.csv", "--future", tmp_path / "future.csv",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(out)
    assert forecast["date"].tolist() == ["10/04/2024", "11/04/2024"] * 2  # as the table wrote them
    result = run_cli("predict", run, tmp_path / "sales.csv")
    one_line_error(result, "reads future values of promo", "--future FILE")
