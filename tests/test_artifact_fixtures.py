"""Every saved artifact of earlier versions loads and forecasts the same.

The files in tests/data were written by OLD commits (tests/data/make_fixtures.py, run against
an old checkout; each ``NAME.json`` names the commit and settings, tests/data/README.md lists
them), beside what that old code predicted with them. Today's lstmcast must load each one,
predict what it predicted, keep its settings, and write it again so that it still does.
Nothing here trains: ``Sequential.fit`` is made to fail for every test of this module.

Tolerance: rtol 1e-5, atol 1e-6 against the old forecasts (float32 networks; the old and the
new code may sum in a different order, nothing more).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors import safe_open

from lstmcast import Forecaster
from lstmcast.models import Sequential, load_model

DATA = Path(__file__).parent / "data"
RTOL, ATOL = 1e-5, 1e-6
CUTS = (0, 15, 30)  # as make_fixtures.CUTS: forecasts from the end, and 15 and 30 rows before

# name: (config version in the file, the group column of its table or None)
FORECASTERS = {
    "forecaster_v2": (2, "store"),  # d677304 (c8fecd1^): no blend; static, calendar, 3 steps
    "forecaster_v2_quantiles": (2, None),  # d677304: quantiles, pinball, conformal intervals
    "forecaster_v3": (3, "store"),  # 9078bd8 (b7ab4df^): blend="auto", the linear map, 2 nets
    "forecaster_v4": (4, None),  # b7ab4df: blend="select" -> linear_map + shrunk_map
}
SEQUENTIALS = ["sequential_803b88b", "sequential_b7ab4df"]  # the tutorial stack, model.save


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a fixture test trained a model")

    monkeypatch.setattr(Sequential, "fit", refuse)


def record(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def header(path: Path) -> dict:
    with safe_open(str(path), "pt") as handle:
        return json.loads(handle.metadata()["config"])


def history(table: pd.DataFrame, cut: int, group: str | None) -> pd.DataFrame:
    """``table`` less the last ``cut`` rows of each series (as make_fixtures.history)."""
    if group is None:
        return table.iloc[:len(table) - cut]
    rows = table.groupby(group, sort=False)
    return table[(rows.cumcount() < rows[group].transform("size") - cut).to_numpy()]


def forecasts(model: Forecaster, table: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """What make_fixtures wrote: the forecasts from each origin, read back as from CSV."""
    frames = [model.predict(history(table, cut, group)) for cut in CUTS]
    both = pd.concat([f.assign(cut=cut)[["cut", *f.columns]] for cut, f in zip(CUTS, frames)],
                     ignore_index=True)
    return pd.read_csv(io.StringIO(both.to_csv(index=False)))


def assert_same_forecasts(now: pd.DataFrame, then: pd.DataFrame) -> None:
    assert list(now.columns) == list(then.columns)
    numbers = [c for c in then.columns if pd.api.types.is_float_dtype(then[c])]
    labels = [c for c in then.columns if c not in numbers]
    pd.testing.assert_frame_equal(now[labels], then[labels])
    for column in numbers:
        np.testing.assert_allclose(now[column], then[column], rtol=RTOL, atol=ATOL,
                                   err_msg=column)


def expected(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    rec = record(name)
    return (pd.read_csv(DATA / rec["data"]), pd.read_csv(DATA / f"{name}_predict.csv"))


@pytest.mark.parametrize("name", FORECASTERS)
def test_an_old_forecaster_loads_and_forecasts_as_it_did(name):
    version, group = FORECASTERS[name]
    path = DATA / f"{name}.lstmcast"
    assert header(path)["config_version"] == version == record(name)["config_version"]
    table, then = expected(name)
    model = Forecaster.load(path)
    assert_same_forecasts(forecasts(model, table, group), then)


@pytest.mark.parametrize("name", FORECASTERS)
def test_an_old_forecasters_settings_round_trip(name):
    model = Forecaster.load(DATA / f"{name}.lstmcast")
    params = model.get_params()
    assert Forecaster(**params).get_params() == params
    again = Forecaster().set_params(**params)
    assert again.get_params() == params
    saved = {k: v for k, v in record(name)["settings"].items() if k not in ("fit", "device")}
    for key, value in saved.items():
        got = params[key]
        assert (list(got) if isinstance(got, tuple) else got) == value, key


@pytest.mark.parametrize("name", FORECASTERS)
def test_an_old_forecaster_saved_again_forecasts_the_same(name, tmp_path):
    version, group = FORECASTERS[name]
    table, then = expected(name)
    path = tmp_path / f"{name}.lstmcast"
    Forecaster.load(DATA / f"{name}.lstmcast").save(path)
    # a model without a blend is written as 2, with the linear map alone as 3, else 4
    assert header(path)["config_version"] == version
    again = Forecaster.load(path)
    assert_same_forecasts(forecasts(again, table, group), then)
    assert again.get_params() == Forecaster.load(DATA / f"{name}.lstmcast").get_params()


def test_the_selected_combination_is_kept():
    model = Forecaster.load(DATA / "forecaster_v4.lstmcast")
    chosen = record("forecaster_v4")["chosen"]
    assert model.ensemble_.weights == chosen["weights"]
    assert model.blend_scores_ == pytest.approx(chosen["scores"])


@pytest.mark.parametrize("name", SEQUENTIALS)
@pytest.mark.parametrize("compile", [True, False])
def test_an_old_sequential_loads_and_predicts_as_it_did(name, compile):
    inputs = np.load(DATA / f"{name}_inputs.npy")
    then = np.load(DATA / f"{name}_predict.npy")
    model = load_model(DATA / f"{name}.lstmcast", compile=compile)
    np.testing.assert_allclose(model.predict(inputs), then, rtol=RTOL, atol=ATOL)
    assert [type(layer).__name__ for layer in model.layers] == [
        "LSTM", "Dropout", "LSTM", "Dropout", "Dense"]


@pytest.mark.parametrize("name", SEQUENTIALS)
def test_an_old_sequential_keeps_its_compile_settings_and_saves_again(name, tmp_path):
    inputs = np.load(DATA / f"{name}_inputs.npy")
    then = np.load(DATA / f"{name}_predict.npy")
    model = load_model(DATA / f"{name}.lstmcast")
    compiled = model.get_compile_config()
    assert compiled["loss"] == "mse" and compiled["metrics"] == ["mae"]
    assert compiled["optimizer"]["class_name"] == "Adam"
    assert model.optimizer_ is not None and model.optimizer_.state  # Adam's moments restored
    path = tmp_path / f"{name}.lstmcast"
    model.save(path)
    again = load_model(path)
    np.testing.assert_allclose(again.predict(inputs), then, rtol=RTOL, atol=ATOL)
    assert again.get_compile_config() == compiled
