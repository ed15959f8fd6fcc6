"""The fitted table pipeline: one object between a table and the network, saved as JSON."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from lstmcast import ArtifactError, Forecaster
from lstmcast.tables.pipeline import TablePipeline

DATA = Path(__file__).parent / "data"


def test_a_model_saved_before_the_pipeline_loads_and_predicts_as_it_did():
    old = Forecaster.load(DATA / "forecaster_v1.lstmcast")
    table = pd.read_csv(DATA / "forecaster_v1_data.csv")
    then = pd.read_csv(DATA / "forecaster_v1_predict.csv")
    now = old.predict(table)
    assert now[["store", "step", "day"]].equals(then[["store", "step", "day"]])
    np.testing.assert_allclose(now["sales"], then["sales"], rtol=1e-6)
    assert old.pipeline_.scale_by == "series" and old.inputs_ == ["temp", "sales"]


def test_a_model_from_a_newer_lstmcast_names_the_version(tmp_path):
    from safetensors import safe_open

    path = DATA / "forecaster_v1.lstmcast"
    with safe_open(path, "pt") as handle:
        metadata = handle.metadata()
    config = json.loads(metadata["config"])
    config["config_version"] = 9
    config["versions"]["lstmcast"] = "9.0.0"
    tensors = load_file(path)
    from lstmcast.engine.bundle import tensor_checksum

    newer = tmp_path / "newer.lstmcast"
    save_file(tensors, newer, metadata={**metadata, "config": json.dumps(config),
                                        "checksum": tensor_checksum(tensors)})
    with pytest.raises(ArtifactError, match="saved by lstmcast 9.0.0 \\(Forecaster config "
                                            "version 9\\)"):
        Forecaster.load(newer)


def test_the_pipeline_round_trips_through_json():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.repeat(["a", "b"], 50), "t": np.tile(np.arange(50), 2),
                          "x": rng.normal(size=100), "y": rng.normal(size=100)})
    f = Forecaster(units=(4,), window=5, epochs=1, scale_by="series", difference=True).fit(
        frame, "y", group="id", time="t")
    again = TablePipeline.from_config(json.loads(json.dumps(f.pipeline_.get_config())))
    a, b = f.pipeline_.table(frame), again.table(frame)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    starts = np.array([0, 10, 60])
    out = np.ones((3, 1))
    np.testing.assert_array_equal(f.pipeline_.to_units(out, a, starts),
                                  again.to_units(out, b, starts))


def test_ids_read_as_numbers_or_text_are_the_same_series():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.repeat([1, 2], 40), "t": np.tile(np.arange(40), 2),
                          "y": 100 * np.repeat([1, 10], 40) + rng.normal(size=80)})
    f = Forecaster(units=(4,), window=5, epochs=1, scale_by="series").fit(frame, "y",
                                                                         group="id", time="t")
    as_text = frame.astype({"id": str})
    as_float = frame.astype({"id": float})
    expected = f.predict(frame)["y"].to_numpy()
    np.testing.assert_allclose(f.predict(as_text)["y"], expected)
    np.testing.assert_allclose(f.predict(as_float)["y"], expected)
    with pytest.raises(ValueError, match="1 series had no rows in the training data \\('3'\\)"):
        f.predict(frame.replace({"id": {2: 3}}))


def test_networks_see_only_the_past_of_columns_not_known_in_advance():
    """With inputs known in advance the network's window runs over the rows to forecast;
    what it reads there must be those inputs only, never the future of the others."""
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame({"t": np.arange(n), "promo": rng.integers(0, 2, n).astype(float),
                          "x": rng.normal(size=n), "y": rng.normal(size=n)})
    f = Forecaster(units=(4,), window=6, steps=2, epochs=1).fit(frame, "y", features=["x"],
                                                                time="t", future=["promo"])
    table = f.pipeline_.table(frame)
    x = table.x[None, :10].copy()  # window of 6 rows, horizon 1, 2 rows to forecast: 9 rows
    x = x[:, : f.pipeline_.input_length]
    net = f.model_.network_.eval()
    with torch.no_grad():
        base = net(torch.from_numpy(x)).numpy()
        changed = x.copy()
        cols = [f.inputs_.index("x"), f.inputs_.index("y")]
        changed[:, 6:, cols] += 5.0  # the future of past-only columns
        same = net(torch.from_numpy(changed)).numpy()
        changed[:, 7:, f.inputs_.index("promo")] += 1.0  # the future promotions
        moved = net(torch.from_numpy(changed)).numpy()
    np.testing.assert_array_equal(base, same)
    assert not np.allclose(base, moved)


def _growing_season(n: int = 96, seed: int = 0) -> pd.DataFrame:
    """Monthly sales whose seasonal swing grows with their level (multiplicative)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 100 * np.exp(0.02 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    sales = level * np.exp(rng.normal(0, 0.03, n))
    months = pd.date_range("2015-01-01", periods=n, freq="MS").strftime("%Y-%m")
    return pd.DataFrame({"month": months, "sales": sales})


def test_a_log_model_is_the_plain_model_on_the_logged_column(tmp_path):
    # independent reference: the same settings on a copy of the table whose target the
    # user logged, its forecasts exp'd (networks and every candidate see the same arrays)
    table = _growing_season()
    settings = dict(steps=3, epochs=4, seed=0)
    logged = Forecaster(log=True, **settings).fit(table, target="sales", time="month")
    by_hand = Forecaster(log=False, **settings).fit(table.assign(sales=np.log(table["sales"])),
                                         target="sales", time="month")
    assert logged.pipeline_.log == ["sales"]
    assert logged.blend_weights_ == by_hand.blend_weights_
    ours = logged.predict(table)["sales"].to_numpy()
    reference = np.exp(by_hand.predict(table.assign(sales=np.log(table["sales"])))["sales"])
    np.testing.assert_allclose(ours, reference.to_numpy(), rtol=1e-5)
    path = tmp_path / "log.lstmcast"
    logged.save(path)
    again = Forecaster.load(path)
    assert again.pipeline_.log == ["sales"]
    np.testing.assert_array_equal(again.predict(table)["sales"].to_numpy(), ours)


@pytest.mark.parametrize("known", ["future", "calendar"])
def test_a_log_model_with_inputs_known_in_advance_forecasts_as_by_hand(known):
    # the same reference as above, with a promotion known ahead (the rows to forecast
    # read from a future table) or the calendar (a small table: the short way)
    table = _growing_season().assign(promo=lambda d: (np.arange(len(d)) % 3 == 0) * 1.0)
    later = pd.DataFrame({"month": ["2023-01", "2023-02"], "promo": [1.0, 0.0]})
    inputs = ({"future": ["promo"]} if known == "future" else {"features": []})
    extra = {"future": later} if known == "future" else {}
    settings = dict(steps=2, epochs=3, seed=0, calendar=known == "calendar")
    logged = Forecaster(log=True, **settings).fit(table, target="sales", time="month",
                                                  **inputs)
    logs = table.assign(sales=np.log(table["sales"]))
    by_hand = Forecaster(log=False, **settings).fit(logs, target="sales", time="month",
                                                    **inputs)
    ours = logged.predict(table, **extra)["sales"].to_numpy()
    reference = np.exp(by_hand.predict(logs, **extra)["sales"].to_numpy())
    np.testing.assert_allclose(ours, reference, rtol=1e-5)


def test_a_log_model_names_a_value_its_log_cannot_take():
    from lstmcast.errors import DataError, InvalidArgumentError

    table = _growing_season()
    zero = table.copy()
    zero.loc[40, "sales"] = 0.0
    with pytest.raises(DataError, match=r"'sales' holds 1 value at or below 0 \(0 at row "
                                        r"40\), but the model reads it as its log.*Leave "
                                        r"out `log=True`"):
        Forecaster(log=True, epochs=1).fit(zero, target="sales", time="month")
    model = Forecaster(log=True, epochs=1).fit(table, target="sales", time="month")
    later = table.copy()
    later.loc[95, "sales"] = -5.0
    with pytest.raises(DataError, match=r"at or below 0 \(-5 at row 95\).*trained on "
                                        r"values above 0.*\(log=False\)"):
        model.predict(later)
    with pytest.raises(InvalidArgumentError, match="`log=True` .* `difference=True`"):
        Forecaster(log=True, difference=True).fit(table, target="sales", time="month")
