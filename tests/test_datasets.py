import gzip
import hashlib

import numpy as np
import pytest

from lstmcast import InvalidArgumentError
from lstmcast.datasets import data_path, load_airline, load_cmapss, load_sunspots

# SHA-256 of the uncompressed files, from shared/data/cmapss/SOURCE.md
CMAPSS_SHA256 = {
    "train_FD001": "963b5e22825b34d8b21c69e1aeb4af3e647050eb672ee8834ba4b5d91d2de0f8",
    "test_FD001": "3cda7109ce17bafb5443f2ac926cfcf88154b941b8c4cf95eb55d1ddd6f52851",
    "train_FD004": "27ef6160b6a1dcb2613a88de9c239f763b223f02cdc41dc5cdedc5dc189b6218",
    "RUL_FD001": "a19c8ec94931949d0485bdc35118206e9c81c4547b422efb9cf86f4ceddbceca",
}


@pytest.mark.parametrize("name", sorted(CMAPSS_SHA256))
def test_shipped_files_are_the_published_ones(name):
    folder = data_path("cmapss")
    path = folder / f"{name}.txt"
    data = path.read_bytes() if path.exists() else gzip.decompress(
        (folder / f"{name}.txt.gz").read_bytes())
    assert hashlib.sha256(data).hexdigest() == CMAPSS_SHA256[name]


@pytest.mark.parametrize(("subset", "rows", "units", "test_units"), [
    ("FD001", 20631, 100, 100), ("FD002", 53759, 260, 259),
    ("FD003", 24720, 100, 100), ("FD004", 61249, 249, 248)])
def test_cmapss_counts_match_source_md(subset, rows, units, test_units):
    data = load_cmapss(subset)
    assert len(data.train) == rows
    assert data.train["unit"].nunique() == units
    assert data.test["unit"].nunique() == test_units == len(data.test_rul)


def test_cmapss_rul_targets():
    data = load_cmapss("FD001", rul_cap=125)
    engine1 = data.train[data.train["unit"] == 1]
    assert len(engine1) == 192  # SOURCE.md: engine 1 of train_FD001 has 192 cycles
    assert engine1["rul"].iloc[-1] == 0 and engine1["rul"].max() == 125
    uncapped = load_cmapss("FD001", rul_cap=None).train
    assert uncapped[uncapped["unit"] == 1]["rul"].iloc[:3].tolist() == [191, 190, 189]  # D2
    last = data.test.groupby("unit").tail(1).set_index("unit")["rul"]
    assert (last == data.test_rul).all()  # true RUL, not clipped
    assert data.test_rul.max() == 145 and data.test_rul.iloc[0] == 112


def test_bad_subset_is_named():
    with pytest.raises(InvalidArgumentError, match="`subset`"):
        load_cmapss("FD009")


def test_airline_and_sunspots():
    air = load_airline()
    assert len(air) == 144 and air["passengers"].iloc[0] == 112
    assert air["passengers"].sum() == 40363 and air["passengers"].max() == 622
    sun = load_sunspots()
    assert len(sun) == 309 and sun["year"].iloc[0] == 1700 and sun["year"].iloc[-1] == 2008
    assert np.isclose(sun["sunspots"].iloc[-1], 2.9)


def test_operating_conditions_are_the_six_known_ones():
    data = load_cmapss("FD002")
    counts = data.train["condition"].value_counts().sort_index().tolist()
    # the same counts as rounding the settings by hand (setting_1 to 0, setting_2 to 2 decimals)
    rounded = data.train.round({"setting_1": 0, "setting_2": 2}).groupby(
        ["setting_1", "setting_2", "setting_3"]).size().sort_index().tolist()
    assert counts == rounded == [8044, 8096, 8122, 8002, 8037, 13458]
    centres = data.train.groupby("condition")["setting_1"].mean().round().tolist()
    assert centres == [0, 10, 20, 25, 35, 42]
    test_means = data.test.groupby("condition")["setting_1"].mean().round().tolist()
    assert test_means == centres  # test rows get their nearest training condition
    assert load_cmapss("FD001").train["condition"].nunique() == 1


@pytest.mark.parametrize("subset", ["FD001", "FD002"])
def test_cmapss_features_are_the_columns_that_vary_within_a_condition(subset):
    data = load_cmapss(subset)
    candidates = [c for c in data.train.columns if c.startswith(("setting_", "s_"))]
    # independent check: the spread of each column inside each condition, by hand
    spread = {c: max(np.ptp(part[c].to_numpy()) for _, part in data.train.groupby("condition"))
              for c in candidates}
    one_condition = data.train["condition"].nunique() == 1
    expected = [c for c in candidates
                if spread[c] > 0 and (c.startswith("s_") or one_condition)]
    assert data.features == expected
    assert data.scale_by == ("condition" if subset in ("FD002", "FD004") else "global")
    if subset == "FD001":  # constant in FD001 (the float std of s_5 and s_16 is ~1e-15)
        assert not {"setting_3", "s_1", "s_5", "s_10", "s_16", "s_18", "s_19"} & set(expected)
        assert len(expected) == 17
    else:  # one value per condition: a constant once scaled per condition
        assert not {"setting_1", "s_1", "s_5", "s_18", "s_19"} & set(expected)
        assert len(expected) == 17


def test_kmeans_recovers_separated_clusters():
    from lstmcast.tables.scaling import kmeans

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 100.0], [5.0, 60.0], [9.0, 100.0]])
    x = np.vstack([c + rng.normal(scale=0.05, size=(50, 2)) for c in centres[[2, 0, 1]]])
    labels, found = kmeans(x, 3, seed=3)
    np.testing.assert_allclose(found, centres, atol=0.05)
    assert labels.tolist() == [2] * 50 + [0] * 50 + [1] * 50
