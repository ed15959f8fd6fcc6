"""lstmcast.forecast.inspection: ``Forecaster.inspect``, what ``fit`` would train on, without
training.

References, independent of the module: the window counts worked out by hand from the
table (each series' last 20% of rows held out for validation: a training window's targets
lie before them, a validation window's first target in them); the first window's times
and target values read from the table with pandas; the memory of the windows as copies
(windows x time steps x inputs x 4 bytes) and of the rows (rows x inputs x 4 bytes). One
model is fitted (one epoch, units 4) to check that inspect describes what fit then does:
the same window counts and the same parameter count. Every other test here fails if
anything trains.
"""

import numpy as np
import pandas as pd
import pytest

from lstmcast import Forecaster
from lstmcast.models import Sequential
from lstmcast.tables.io import DataError

pytestmark = [pytest.mark.filterwarnings("ignore:Non-numeric columns are not used"),
              pytest.mark.filterwarnings("ignore:On the validation rows")]

SETTINGS = {"units": (4,), "window": 6, "steps": 2, "blend": None, "dropout": 0.0}
LENGTHS = {"a": 50, "b": 60}


def stores():
    rng = np.random.default_rng(0)
    frames = []
    for k, (store, n) in enumerate(LENGTHS.items()):
        frames.append(pd.DataFrame({
            "store": store, "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "promo": (np.arange(n) % 7 == 0).astype(int), "temp": rng.normal(size=n),
            "sales": rng.normal(size=n) + k}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("inspect trained a model")

    monkeypatch.setattr(Sequential, "fit", refuse)


def by_hand(window, steps):
    """(train, validation) window counts: 20% of each series' rows held out at its end;
    a window of ``window`` rows, then its targets (horizon 1: the next ``steps`` rows)."""
    train = validation = 0
    for n in LENGTHS.values():
        cut = n - round(0.2 * n)  # the first validation row
        starts = np.arange(n - (window + steps) + 1)
        first_target, last_target = starts + window, starts + window + steps - 1
        train += int(np.sum(last_target < cut))
        validation += int(np.sum(first_target >= cut))
    return train, validation


def test_inspect_describes_roles_windows_and_memory_without_training(no_training):
    table = stores()
    facts = Forecaster(**SETTINGS).inspect(table, "sales", group="store", time="day",
                                           future=["promo"])
    assert facts["inputs"] == ["temp", "sales", "promo"] and facts["target"] == ["sales"]
    assert facts["roles"] == {"temp": "past feature", "sales": "target's past",
                              "promo": "known in advance"}
    assert facts["series"] == 2 and facts["rows"] == len(table)
    length = 6 + 2  # the window, then the forecast rows' known-in-advance inputs
    train, validation = by_hand(6, 2)
    assert facts["shapes"] == {"train": (train, length, 3), "validation": (validation, length, 3)}
    assert facts["memory_bytes"] == {"windows_zero_copy": len(table) * 3 * 4,
                                     "windows_as_copies": (train + validation) * length * 3 * 4}
    assert facts["window"] == (6, "given")
    assert facts["season"][0] == 7  # daily rows: a week
    assert facts["time"]["step"] == {"freq": "D", "kind": "datetime"}
    assert facts["blend"] is False


def test_the_first_window_is_read_from_the_table(no_training):
    table = stores()
    facts = Forecaster(**SETTINGS).inspect(table, "sales", group="store", time="day")
    first = facts["first_window"]
    a = table[table["store"] == "a"]
    assert first["series"] == "a"
    assert first["times"] == [str(a["day"].iloc[0].date()), str(a["day"].iloc[5].date())]
    assert first["target_times"] == [str(d.date()) for d in a["day"].iloc[6:8]]
    assert first["target_values"] == a["sales"].iloc[6:8].tolist()


def test_without_a_time_column_rows_are_numbered(no_training):
    table = stores()[["temp", "sales"]]
    facts = Forecaster(**{**SETTINGS, "steps": 1}).inspect(table, "sales")
    assert facts["series"] == 1 and facts["inputs"] == ["temp", "sales"]
    assert facts["first_window"] == {"series": 0, "times": [0, 5], "target_times": [6],
                                     "target_values": [table["sales"].iloc[6]]}
    n = len(table)
    cut = n - round(0.2 * n)
    assert facts["shapes"]["train"] == (cut - 6, 6, 2)
    assert facts["shapes"]["validation"] == (n - cut, 6, 2)


def test_a_fitted_model_is_left_as_it_is(no_training, fitted_pair):
    fc, table, _ = fitted_pair
    before = fc.predict(table)
    fc.inspect(table.iloc[:40], "sales", features=["temp"], group="store", time="day")
    pd.testing.assert_frame_equal(fc.predict(table), before)
    assert fc.n_windows_ == {"train": by_hand(6, 2)[0], "validation": by_hand(6, 2)[1]}


def test_bad_tables_are_refused_as_fit_refuses_them(no_training):
    table = stores()
    with pytest.raises(DataError, match="Target column 'sale' is not in the table"):
        Forecaster(**SETTINGS).inspect(table, "sale", group="store", time="day")
    with pytest.raises(DataError, match="Every series is shorter"):
        Forecaster(**{**SETTINGS, "window": 80}).inspect(table, "sales", group="store",
                                                        time="day")


@pytest.fixture(scope="module")
def fitted_pair():
    """inspect's facts, then the model fit trains from the same table and settings."""
    table = stores()
    fc = Forecaster(**SETTINGS, epochs=1)
    facts = fc.inspect(table, "sales", features=["temp"], group="store", time="day")
    fc.fit(table, "sales", features=["temp"], group="store", time="day")
    return fc, table, facts


def test_inspect_counts_the_windows_and_parameters_that_fit_then_uses(fitted_pair):
    fc, _, facts = fitted_pair
    assert facts["shapes"]["train"][0] == fc.n_windows_["train"]
    assert facts["shapes"]["validation"][0] == fc.n_windows_["validation"]
    assert facts["shapes"]["train"][1:] == fc.model_.built_input_shape_
    assert facts["network"]["bytes"] > 4 * 4 * facts["network"]["params"]  # plus activations


def test_inspect_counts_the_parameters_that_fit_then_trains(fitted_pair):
    fc, _, facts = fitted_pair
    assert facts["network"]["params"] == fc.model_.count_params()
