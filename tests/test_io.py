"""The table reader and column checks: every bad file ends in one clear DataError."""

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


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_common_delimiters_are_recognised(tmp_path, sep):
    path = tmp_path / "data.csv"
    path.write_text(sep.join(["t", "y", "x"]) + "\n" + "\n".join(
        sep.join(map(str, (i, i * 2.5, -i))) for i in range(5)) + "\n")
    frame = read_table(path)
    assert list(frame.columns) == ["t", "y", "x"] and frame["y"].iloc[2] == 5.0


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


def test_numbers_with_a_decimal_comma_are_read_where_the_delimiter_is_not_a_comma(tmp_path):
    """A spreadsheet's European CSV: semicolons, "100,13" and "1.234,5"; the columns read
    are named in a warning; a column with a word among its numbers stays text."""
    path = tmp_path / "euro.csv"
    path.write_text("datum;wert;menge;notiz\n01.01.2020;100,13;1.234,5;a\n"
                    "02.01.2020;-99,9;12;b\n03.01.2020;7;2.000;c\n")
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    assert frame["wert"].tolist() == [100.13, -99.9, 7.0]
    assert frame["menge"].tolist() == [1234.5, 12.0, 2000.0]
    assert frame["notiz"].tolist() == ["a", "b", "c"]
    assert not pd.api.types.is_numeric_dtype(frame["datum"])  # dates, read later
    assert [str(w.message) for w in caught] == [
        "Read with a decimal comma: 'wert' ('100,13' as 100.13), 'menge' ('1.234,5' as "
        "1234.5)."]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("t;y\n1;100,13\n2;n/a1\n")
    assert read_table(mixed)["y"].tolist() == ["100,13", "n/a1"]


def test_a_comma_delimited_file_keeps_its_quoted_commas_as_text(tmp_path):
    """With commas between columns, "100,126" (quoted) is a thousands separator or text,
    never a decimal comma: it is left as text, for the numeric check to name."""
    path = tmp_path / "thousands.csv"
    path.write_text('t,y\n1,"100,126"\n2,"99,994"\n')
    assert read_table(path)["y"].tolist() == ["100,126", "99,994"]


RECORDS = [{"id": "01", "date": f"Jan {d} 2020", "sales": 1.5 * d, "promo": d % 2}
           for d in range(1, 6)]


def _as_given(frame):
    """The frame's rows back as plain Python records, to compare with what was written."""
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def test_json_records_are_read_as_written(tmp_path):
    """A list of records (as vega-style datasets ship), one record per line (.jsonl, or
    .json holding lines), and any name whose text opens with '[': text stays text (the ids
    '01', the dates as written: read later as a CSV's are), numbers are numbers."""
    import json

    (tmp_path / "a.json").write_text(json.dumps(RECORDS))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    (tmp_path / "c.json").write_text("\n".join(json.dumps(r) for r in RECORDS))
    (tmp_path / "d.txt").write_text(json.dumps(RECORDS, indent=2))
    for name in ("a.json", "b.jsonl", "c.json", "d.txt"):
        frame = read_table(tmp_path / name)
        assert list(frame.columns) == ["id", "date", "sales", "promo"], name
        assert _as_given(frame) == RECORDS, name
        assert pd.api.types.is_float_dtype(frame["sales"]), name


def test_nested_json_is_refused_by_column(tmp_path):
    import json

    (tmp_path / "n.json").write_text(json.dumps({"data": RECORDS}))
    with pytest.raises(DataError, match=r"column 'data' holds nested values .*flat records"):
        read_table(tmp_path / "n.json")
    (tmp_path / "e.json").write_text("[]")
    with pytest.raises(DataError, match="no columns|no data rows"):
        read_table(tmp_path / "e.json")
    (tmp_path / "bad.json").write_text('[{"a": 1},')
    with pytest.raises(DataError, match="could not be read as a table"):
        read_table(tmp_path / "bad.json")


def test_a_spreadsheet_workbook_is_named_with_what_to_do(tmp_path):
    import zipfile

    book = tmp_path / "sales.xlsx"
    with zipfile.ZipFile(book, "w") as z:  # a workbook is a zip of XML parts
        z.writestr("[Content_Types].xml", "<Types/>")
    old = tmp_path / "sales.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # the OLE2 header
    for path in (book, old):
        with pytest.raises(DataError, match="spreadsheet workbook.*save the sheet as CSV"):
            read_table(path)
    renamed = tmp_path / "sales.csv"  # the same bytes under a CSV name: binary, as before
    renamed.write_bytes(book.read_bytes())
    with pytest.raises(DataError, match="binary data"):
        read_table(renamed)


def test_a_csv_saved_in_a_windows_code_page_is_read_with_a_warning(tmp_path):
    """Excel on Windows saves CSV as Windows-1252: the text is read as written there, and
    the warning quotes the first line that is not UTF-8."""
    text = "datum;umsatz;filiale\n2020-01-01;3,5;Köln\n2020-01-02;4,5;Düsseldorf €\n"
    path = tmp_path / "umsatz.csv"
    path.write_bytes(text.encode("cp1252"))
    with pytest.warns(UserWarning) as record:
        frame = read_table(path)
    said = [str(w.message) for w in record]
    assert any("not UTF-8: read as Windows-1252" in m and "'2020-01-01;3,5;Köln'" in m
               for m in said), said
    assert any("Read with a decimal comma: 'umsatz'" in m for m in said), said
    assert frame["filiale"].tolist() == ["Köln", "Düsseldorf €"]
    assert frame["umsatz"].tolist() == [3.5, 4.5]  # and the decimal commas, as in UTF-8
    # a byte Windows-1252 leaves undefined: Latin-1, which reads every byte
    path.write_bytes("t,y,name\n1,2,a\x81b\n".encode("latin-1"))
    with pytest.warns(UserWarning, match="read as Latin-1"):
        assert read_table(path)["name"].tolist() == ["a\x81b"]


def test_comment_lines_at_the_top_are_skipped_with_a_warning(tmp_path):
    body = "store;day;sales\n01;2020-01-01;3,5\n02;2020-01-01;4,5\n"
    plain, noted = tmp_path / "plain.csv", tmp_path / "noted.csv"
    plain.write_text(body)
    noted.write_text("# Daily sales per store\n#   source: the shop's till\n" + body)
    with pytest.warns(UserWarning) as record:
        frame = read_table(noted)
    said = [str(w.message) for w in record]
    assert "Skipped 2 comment lines at the top of 'noted.csv' ('# Daily sales per store')." \
        in said, said
    with pytest.warns(UserWarning, match="decimal comma"):
        pd.testing.assert_frame_equal(frame, read_table(plain))
    assert frame["store"].tolist() == ["01", "02"]  # ids as written, past the comments too
