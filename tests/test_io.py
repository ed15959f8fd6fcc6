"""The table reader and column checks: every bad file ends in one clear DataError."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstmcast.tables.io import DataError, read_table
from lstmcast.tables.pipeline import TablePipeline
from lstmcast.tables.roles import Roles


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"a,b,c\n", "header but no data rows"),
    (bytes(range(256)) * 4, "binary data"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    (b"name\nalpha\nbeta\n", "single text column"),
    (b"a b c\n1 2 3\n4 5 6\n", "single text column"),  # a delimiter other than , ; tab |
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_missing_file_folder_and_bad_parquet(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="No Parquet file .* in the folder"):
        read_table(tmp_path)
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="could not be read as a table"):
        read_table(bad)


def test_single_numeric_column_and_parquet(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("y\n1\n2\n3\n")
    assert read_table(path)["y"].tolist() == [1, 2, 3]
    frame = pd.DataFrame({"t": np.arange(4), "y": np.arange(4.0)})
    frame.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "d.parquet"), frame)


def test_missing_columns_by_role_with_suggestions():
    frame = pd.DataFrame({"store": ["a"], "date": [1], "sales": [1.0], "temp": [2.0]})
    for roles, message in [
        (Roles(target=["sale"], features=["temp"]), "Target column 'sale'.*'sales'"),
        (Roles(target=["sales"], features=["tmp"]), "Feature column 'tmp'.*'temp'"),
        (Roles(target=["sales"], group="stor"), "Group column 'stor'"),
        (Roles(target=["sales"], time="dat"), "Time column 'dat'.*'date'"),
    ]:
        with pytest.raises(DataError, match=message):
            pipeline(roles).prepare(frame)


def test_a_table_with_a_series_per_row_is_named_in_the_missing_column_error():
    """World Bank files hold a year per column: whichever column is missing, the error says
    the table must be turned; a table with fewer than three time-named columns does not."""
    wide = pd.DataFrame({"Country Name": ["Peru"], "1960": [1.0], "1961": [2.0],
                         "1962": [3.0], "2020-Q1": [4.0]})
    with pytest.raises(DataError, match=r"Target column 'gdp' is not in the table .*Its "
                       r"columns '1960' .. '2020-Q1' are times: the table holds a series per "
                       r"row.*frame.melt\(id_vars="):
        pipeline(Roles(target=["gdp"])).prepare(wide)
    narrow = pd.DataFrame({"store": ["a"], "2019": [1.0], "2020": [2.0], "sales": [1.0]})
    with pytest.raises(DataError) as caught:
        pipeline(Roles(target=["sale"])).prepare(narrow)
    assert "are times" not in str(caught.value)


def pipeline(roles):
    return TablePipeline(roles, window=2, horizon=1, steps=1)


def test_numbers_stored_as_text_and_flags_are_converted():
    frame = pd.DataFrame({"t": [1, 2, 3], "y": ["1", "2", "3.5"], "flag": [True, False, True]})
    out = pipeline(Roles(target=["y"], features=["flag"], time="t")).prepare(frame, fitting=True)
    assert out["y"].tolist() == [1.0, 2.0, 3.5] and out["flag"].tolist() == [1.0, 0.0, 1.0]
    frame.loc[1, "y"] = "two"
    with pytest.raises(DataError, match=r"Column 'y' must be numeric; non-numeric values at "
                                        r"row 1 \('two'\)"):
        pipeline(Roles(target=["y"], time="t")).prepare(frame, fitting=True)


def _partitioned(folder, stores=3, rows=100):
    """One Parquet file per store, partitioned by the store id (store_id=K/part-0.parquet)."""
    rng = np.random.default_rng(0)
    for sid in range(stores):
        part = folder / f"store_id={sid}"
        part.mkdir(parents=True)
        pd.DataFrame({"date": pd.date_range("2020-01-01", periods=rows, freq="D"),
                      "sales": rng.normal(size=rows)}).to_parquet(part / "part-0.parquet")
    return folder


def test_a_folder_or_glob_of_parquet_files_reads_as_one_table(tmp_path):
    from lstmcast.tables import parquet

    folder = _partitioned(tmp_path / "sales")
    frame = read_table(folder)
    assert len(frame) == 300 and sorted(frame["store_id"].unique()) == [0, 1, 2]
    assert frame["store_id"].dtype.kind == "i"  # the partition key as a plain column
    assert len(read_table(str(folder / "*" / "*.parquet"))) == 300
    info = parquet.describe(folder)  # metadata only
    assert (info["files"], info["rows"]) == (3, 300)
    assert info["columns"]["date"].startswith("timestamp")  # [us] from pandas 3, [ns] from 2
    assert (info["columns"]["sales"], info["columns"]["store_id"]) == ("double", "int32")
    # a file whose columns or types differ is named
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=5), "sales": np.zeros(5, "float32")}
                 ).to_parquet(folder / "store_id=2" / "part-1.parquet")
    with pytest.raises(DataError, match="store_id=2/part-1.parquet' differs from .*store_id=0/"
                                        "part-0.parquet': sales is float there but double"):
        read_table(folder)
    (folder / "store_id=2" / "part-1.parquet").unlink()
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=5)}).to_parquet(
        folder / "store_id=1" / "part-1.parquet")
    with pytest.raises(DataError, match="it lacks sales"):
        read_table(folder)
    with pytest.raises(DataError, match="No Parquet file"):
        read_table(str(tmp_path / "nothing-*.parquet"))


def test_inspect_reads_a_parquet_folder_s_metadata_and_its_first_file(tmp_path):
    from helpers import run_cli

    folder = _partitioned(tmp_path / "sales")
    result = run_cli("inspect", folder, "--target", "sales", "--time", "date", "--group",
                     "store_id", "--window", "10")
    assert result.returncode == 0, result.stderr
    assert "Parquet files: 3 files, 300 rows" in result.stdout
    assert "the rows were not read" in result.stdout
    assert "below: the first file only" in result.stdout and "in 1 series" in result.stdout
    result = run_cli("inspect", folder, "--target", "sales", "--time", "date", "--group",
                     "store_id", "--window", "10", "--shard-rows", "250")
    assert ("training reads them in 2 shards of at most 250 rows (--shard-rows; the largest "
            "has 200)") in result.stdout


def test_a_time_twice_in_a_series_says_how_to_tell_series_apart():
    """Two series per job (men and women) given the job alone as the group: the error
    names the time and the series, and says to join the columns that tell them apart."""
    from lstmcast.tables.io import sort_series

    frame = pd.DataFrame({"job": ["farmer"] * 4, "year": [1850, 1860, 1850, 1860],
                          "count": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"^Time 1850 appears more than once in series "
                       r"'farmer' \(4 rows share a time with another\); each series needs one "
                       r"row per time\. If another column tells the series apart besides "
                       r"'job' .*name both as the group, joined by a comma \('job,OTHER'\)"):
        sort_series(frame, "job", "year")
    with pytest.raises(DataError, match=r"\(a store, a product\), give it as the group"):
        sort_series(frame.drop(columns="job"), None, "year")
    frame["sex"] = ["m", "m", "f", "f"]  # the column that tells them apart, named
    with pytest.raises(DataError, match=r"row per time\. Column 'sex' tells the series apart: "
                       r"name it as the group beside 'job', joined by a comma \('job,sex'\)\.$"):
        sort_series(frame, "job", "year")
    with pytest.raises(DataError, match=r"Column 'job' tells the series apart: name it as the "
                       r"group \(group='job'\)\.$"):  # --group job on the command line
        sort_series(frame.assign(job=["a", "a", "b", "b"]).drop(columns="sex"), None, "year")
    frame = frame.drop(columns="sex")
    twice = pd.concat([frame.iloc[:2], frame.iloc[:2]])  # a file appended to itself
    with pytest.raises(DataError, match=r"\(4 rows share a time with another\); each series "
                       r"needs one row per time\. 2 rows repeat another row exactly .*"
                       r"drop_duplicates\(\)\)\.$"):
        sort_series(twice, "job", "year")


def test_a_total_under_the_data_is_left_out_but_a_series_named_total_is_kept(tmp_path):
    """A spreadsheet's sum and average under a monthly column: the 'Total' row was a row of
    data (its date unreadable, its value 30x the others, last in the series). It is left
    out with a warning quoting it; a long table's series named "Total" stays."""
    months = pd.date_range("2020-01-01", periods=12, freq="MS").strftime("%b-%Y")
    path = tmp_path / "sheet.csv"
    path.write_text("month,sales\n" + "".join(f"{m},{k}\n" for k, m in enumerate(months))
                    + "Total,66\nAverage,5.5\n")
    with pytest.warns(UserWarning, match=r"Left out the last 2 rows of 'sheet.csv': a total "
                      r"or an average under the data, not a row of it \(Total,66; Average,5.5\)"):
        frame = read_table(path)
    assert frame["month"].tolist() == list(months) and frame["sales"].sum() == 66
    long = tmp_path / "long.csv"
    long.write_text("series,month,jobs\n" + "".join(
        f"{s},{m},{k}\n" for s in ("Mining", "Total") for k, m in enumerate(months)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_table(long)) == 24
