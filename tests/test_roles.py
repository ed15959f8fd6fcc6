"""lstmcast.tables.roles: each column's part, decided once, every conflict refused with a
message that names the column."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from lstmcast.errors import DataError, InvalidArgumentError
from lstmcast.tables.roles import Roles, resolve


@pytest.fixture
def frame():
    return pd.DataFrame({"store": ["a", "a", "a"], "day": [1, 2, 3], "sales": [1.0, 2, 3],
                         "temp": [20.0, 21, 22], "promo": [0, 1, 0], "size": [5, 5, 5],
                         "price": [1.5, 1.5, 1.6]})


def test_defaults_every_other_numeric_column_is_a_feature_and_the_past_an_input(frame):
    roles = resolve(frame, "sales", group="store", time="day")
    assert roles == Roles(target=["sales"], features=["temp", "promo", "size", "price"],
                          group="store", time="day", autoregressive=True)
    assert roles.inputs == ["temp", "promo", "size", "price", "sales"]
    assert roles.columns() == ["store", "day", "sales", "temp", "promo", "size", "price"]


def test_text_columns_are_left_out_with_a_warning(frame):
    frame["name"] = ["x", "y", "z"]
    with pytest.warns(UserWarning, match="Non-numeric columns are not used as features: name"):
        roles = resolve(frame, "sales", group="store", time="day")
    assert "name" not in roles.features


def test_an_index_pandas_wrote_with_the_table_is_no_feature(tmp_path):
    from lstmcast.tables.io import read_table

    data = tmp_path / "sales.csv"
    pd.DataFrame({"sales": [1.0, 2, 3, 4], "temp": [20.0, 21, 19, 22]},
                 index=range(10, 14)).to_csv(data)  # the index as a column without a name
    table = read_table(data)
    assert list(table.columns) == ["Unnamed: 0", "sales", "temp"]
    with pytest.warns(UserWarning, match=r"Column 'Unnamed: 0' holds the row numbers 10, 11, "
                      r"12 \.\.\. \(an index written with the table, as pandas' to_csv and R's "
                      r"write.csv write one\): not used as a feature"):
        roles = resolve(table, "sales")
    assert roles.features == ["temp"]
    # an unnamed column of other numbers is data, and a named counter is the user's
    for values, name in (([3, 1, 4, 1], "Unnamed: 0"), ([0, 1, 2, 3], "t")):
        other = table.rename(columns={"Unnamed: 0": name}).assign(**{name: values})
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert name in resolve(other, "sales").features


def test_future_static_and_the_order_of_inputs(frame):
    roles = resolve(frame, ["sales"], features=["temp"], group="store", time="day",
                    future=["promo", "price"], static="size", scale_by="store")
    assert (roles.features, roles.future, roles.static) == (["temp"], ["promo", "price"],
                                                            ["size"])
    assert roles.key == "store"
    assert roles.inputs == ["temp", "sales", "promo", "price", "size"]  # past, own, future, static
    roles.calendar = ["weekday"]
    assert roles.future_inputs == ["promo", "price", "weekday_sin", "weekday_cos"]
    assert roles.inputs == ["temp", "sales", "promo", "price", "weekday_sin", "weekday_cos",
                            "size"]
    assert roles.columns() == ["store", "day", "sales", "temp", "promo", "price", "size"]


def test_horizon_zero_leaves_the_target_out_of_the_inputs(frame):
    roles = resolve(frame, "sales", features=["temp"], horizon=0, time="day")
    assert roles.autoregressive is False and roles.inputs == ["temp"]
    roles = resolve(frame, "sales", features=["temp", "sales"], time="day")  # named: on
    assert roles.autoregressive is True and roles.features == ["temp"]


def test_roles_survive_json(frame):
    roles = resolve(frame, "sales", features=["temp"], group="store", time="day",
                    future="promo", static="size")
    roles.calendar = ["month"]
    assert Roles.from_config(json.loads(json.dumps(roles.get_config()))) == roles


def test_a_missing_column_names_the_nearest(frame):
    with pytest.raises(DataError) as info:
        resolve(frame, "slaes")
    assert str(info.value) == ("Target column 'slaes' is not in the table (columns: store, "
                               "day, sales, temp, promo, size, price). Did you mean 'sales'?")
    with pytest.raises(DataError, match="^Scaling key \\(`scale_by`\\) column 'region' is not"):
        resolve(frame, "sales", scale_by="region")
    with pytest.raises(DataError, match="^Feature column 'tmp' is not in the table.*'temp'"):
        resolve(frame, "sales", features=["tmp"])
    for name in ("auto", "global", "series"):  # the scalings that name no column
        assert resolve(frame, "sales", group="store", scale_by=name).key is None


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(target=[]), "Received an invalid value for argument `target`, expected a column "
                      "name, got []."),
    (dict(target="sales", features=[1]), "Received an invalid value for argument `features`, "
     "expected a column name or a list of column names, got [1]."),
    (dict(target="sales", time="sales"),
     "Column 'sales' is the target and cannot also be the time column."),
    (dict(target="sales", group="day", time="day"),
     "Column 'day' cannot be both the group and the time."),
    (dict(target="sales", future="sales"), "The target 'sales' cannot be a future input: its "
     "values over the forecast are what is forecast."),
    (dict(target="sales", static="sales"), "The target 'sales' cannot be a static input."),
    (dict(target="sales", group="store", static="store"),
     "Column 'store' is the group or time column and cannot be a static input."),
    (dict(target="sales", future="promo", static="promo"),
     "Column 'promo' is given as both future and static; choose one."),
    (dict(target="sales", features=["store"], group="store"),
     "Column 'store' is the group (series id) and cannot also be a feature."),
    (dict(target="sales", features=["promo"], future="promo"),
     "Column 'promo' is both a feature and a future or static input; give it one role."),
    (dict(target="sales", features=["sales"], horizon=0),
     "The target 'sales' is among the features, and with horizon 0"),
    (dict(target="sales", features=["sales"], autoregressive=False),
     "The target 'sales' is among the features but autoregressive is off"),
    (dict(target="sales", features=["temp"], horizon=0, autoregressive=True),
     "`horizon=0` labels a window with its own last row"),
    (dict(target="sales", features=["temp"], autoregressive=False, difference=True),
     "`difference` forecasts the change from the target's last value"),
    (dict(target="sales", features=["temp"], future="promo", horizon=0),
     "With horizon 0 the target row is the window's last row"),
    (dict(target="sales", features=[], autoregressive=False),
     "No input columns: give `features`"),
])
def test_conflicts_are_refused_by_name(frame, kwargs, message):
    with pytest.raises(InvalidArgumentError) as info:
        resolve(frame, **kwargs)
    assert str(info.value).startswith(message), str(info.value)


def test_calendar_inputs_alone_are_enough(frame):
    roles = resolve(frame, "sales", features=[], autoregressive=False, calendar=True,
                    time="day")
    assert roles.inputs == []  # the calendar's columns come once the step is known


def test_an_unnamed_date_column_is_a_forgotten_time(frame):
    frame["date"] = ["2024-01-03", "2024-01-01", "2024-01-02"]
    with pytest.raises(InvalidArgumentError, match="Column 'date' holds dates that are not in "
                                                   "order, but no time column was given"):
        resolve(frame, "sales", group="store", features=["temp"])
    frame["date"] = ["2024-01-01", "2024-01-02", "2024-01-03"]
    with pytest.warns(UserWarning, match="give time='date'"):
        resolve(frame, "sales", group="store", features=["temp"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named: no warning
        resolve(frame, "sales", group="store", time="date", features=["temp"])


@pytest.mark.parametrize(("dates", "said"), [
    (["2024-01-01", "2024-01-02", "03/01/2024"], "it mixes date formats: most values are "
                                                 "written like '2024-01-01'"),
    (["01/02/2024", "02/02/2024", "03/02/2024"], "it reads both day-first and month-first"),
])
def test_dates_that_do_not_read_as_written_are_said_when_no_time_is_given(frame, dates, said):
    """A column of dates written in two formats, or day-first and month-first alike, was
    left out without a word (no time given): rows in file order, no dates."""
    frame["date"] = dates
    with pytest.warns(UserWarning, match=r"Column 'date' is not read as the time column, and "
                      r"rows are taken in file order: no time column was given, and " + said):
        resolve(frame, "sales", group="store", features=["temp"])


def test_roles_load_no_torch():
    code = "import sys, lstmcast.tables.roles; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_row_numbers_are_no_feature_in_the_training_rows_of_each_series(tmp_path):
    """R's write.csv writes row names 1 .. n in a column without a name. Training reads
    only the first rows of each series, so the numbers it sees skip the held-out rows
    where each series ends; they are still row numbers, not a feature."""
    from lstmcast.tables.io import read_table

    data = tmp_path / "shops.csv"
    rows = pd.DataFrame({"": range(1, 41), "shop": ["a"] * 20 + ["b"] * 20,
                         "month": list(range(20)) * 2, "sales": np.arange(40.0),
                         "price": np.linspace(1, 2, 40)})
    rows.to_csv(data, index=False)
    table = read_table(data)
    training = table[table["month"] < 16]  # each series' last 4 rows held out
    with pytest.warns(UserWarning, match=r"Column 'Unnamed: 0' holds the row numbers 1, 2, 3 "
                      r"\.\.\. \(an index written with the table"):
        roles = resolve(training, "sales", group="shop", time="month")
    assert roles.features == ["price"]
    # numbers that skip more than a tenth of the time are data
    sparse = training.assign(**{"Unnamed: 0": np.arange(len(training)) * 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "Unnamed: 0" in resolve(sparse, "sales", group="shop", time="month").features


def test_true_false_flags_are_inputs_by_default_never_the_target(tmp_path):
    """A promotion flag written TRUE/FALSE (R) reads as true/false: it is an input like
    any other numeric column (it was left out without a word), and where --target is not
    given it is not taken for the column to forecast."""
    from lstmcast.tables.io import read_table
    from lstmcast.tables.roles import numeric_columns

    data = tmp_path / "promo.csv"
    data.write_text("date,promo,sales\n2021-01-01,FALSE,10\n2021-01-02,TRUE,14\n"
                    "2021-01-03,FALSE,11\n")
    table = read_table(data)
    assert pd.api.types.is_bool_dtype(table["promo"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve(table, "sales", time="date").features == ["promo"]
    assert numeric_columns(table, {"date"}) == ["sales"]
