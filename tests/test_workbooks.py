"""Excel workbooks read as people lay out a sheet (lstmcast.tables.workbooks): each
workbook is written here cell by cell with openpyxl, and the table read back is checked
against the values written."""

import datetime
import hashlib
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from helpers import run_cli

from lstmcast.errors import DataError
from lstmcast.tables.io import read_table


def _book(path, sheets):
    """A workbook of ``sheets``: {name: {(row, column): value}}, 1-based as Excel counts."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, cells in sheets.items():
        sheet = book.create_sheet(name)
        for (row, column), value in cells.items():
            sheet.cell(row, column, value)
    book.save(path)
    return path


def _monthly(first_row, first_column, stores=("01", "02"), months=30, header=True):
    """Cells of a monthly table of units by store, dates typed as dates, ids as text."""
    cells, values, row = {}, [], first_row
    if header:
        for k, name in enumerate(("month", "store", "units")):
            cells[(row, first_column + k)] = name
        row += 1
    for s, store in enumerate(stores):
        for i in range(months):
            month = datetime.datetime(2015 + i // 12, i % 12 + 1, 1)
            units = round(100 + 10 * np.sin(2 * np.pi * i / 12) + i + 5 * s, 3)
            cells[(row, first_column)] = month
            cells[(row, first_column + 1)] = store
            cells[(row, first_column + 2)] = units
            values.append((month, store, units))
            row += 1
    return cells, values


def test_a_sheet_with_a_title_above_a_table_that_starts_at_c5(tmp_path):
    """Title rows above the header are left out with a warning quoting them and naming the
    header's row; the empty rows and columns around the table go; dates typed as dates,
    numbers as numbers, ids written as text ("01") stay text; the other sheet holding
    values is named."""
    cells, values = _monthly(5, 3)
    cells[(2, 2)] = "Monthly sales by store"
    cells[(3, 2)] = "Source: the shop's till"
    path = _book(tmp_path / "sales.xlsx", {"Sales": cells, "Notes": {(1, 1): "by hand"}})
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    said = [str(w.message) for w in caught]
    assert any("holds values on 2 sheets: read the first, 'Sales' (the others: 'Notes')"
               in m for m in said)
    assert any("Skipped 2 rows above the table on sheet 'Sales' of 'sales.xlsx' ('Monthly "
               "sales by store'; \"Source: the shop's till\"): read its header from row 5 "
               "of the sheet." in m for m in said)
    assert list(frame.columns) == ["month", "store", "units"]
    assert len(frame) == len(values)
    assert pd.api.types.is_datetime64_any_dtype(frame["month"])
    assert list(frame["month"]) == [pd.Timestamp(m) for m, _, _ in values]
    assert list(frame["store"]) == [s for _, s, _ in values]
    np.testing.assert_array_equal(frame["units"].to_numpy(), [u for _, _, u in values])


def test_a_sheet_of_values_without_a_header_and_year_columns_as_numbers(tmp_path):
    """A first row of values is data, the column named as a CSV's without a header line;
    a header whose cells are years typed as numbers (a table with a series per row) is
    still a header, its names the years as text."""
    numbers = _book(tmp_path / "counts.xlsx",
                    {"Sheet1": {(r, 1): float(v) for r, v in enumerate([0, 3, 5, 2], 1)}})
    with pytest.warns(UserWarning, match="no header row .* the column named 'value'"):
        frame = read_table(numbers)
    assert list(frame.columns) == ["value"] and list(frame["value"]) == [0, 3, 5, 2]

    wide = {(1, 1): "Country Name", (1, 2): 1960, (1, 3): 1961,
            (2, 1): "Aruba", (2, 2): 1.5, (2, 3): 1.7}
    frame = read_table(_book(tmp_path / "wide.xlsx", {"Data": wide}))
    assert list(frame.columns) == ["Country Name", "1960", "1961"]
    assert frame.iloc[0].tolist() == ["Aruba", 1.5, 1.7]
    twice = {(1, 1): "day", (1, 2): "sales", (1, 3): "sales", (2, 1): 1, (2, 2): 2.0,
             (2, 3): 3.0}  # a name typed twice: told apart as pandas tells a CSV's
    assert list(read_table(_book(tmp_path / "twice.xlsx", {"S": twice})).columns) == [
        "day", "sales", "sales.1"]


def test_marks_of_a_missing_value_among_number_cells_are_read_as_blank(tmp_path):
    """".." typed among number cells (as statistics offices fill a sheet) is read as a
    blank, as in a CSV file, with the same warning; a word among numbers stays text and
    is refused by name later."""
    cells = {(1, 1): "year", (1, 2): "value"}
    for i, v in enumerate([1.5, "..", 2.5, 3.0], 2):
        cells[(i, 1)], cells[(i, 2)] = 2000 + i, v
    with pytest.warns(UserWarning, match=r"Read '\.\.' as a missing value.*'value' \(1 row\)"):
        frame = read_table(_book(tmp_path / "wb.xlsx", {"Data": cells}))
    assert frame["value"].tolist()[0::2] == [1.5, 2.5] and np.isnan(frame["value"][1])
    cells[(3, 2)] = "n/a yet"
    frame = read_table(_book(tmp_path / "word.xlsx", {"Data": cells}))
    assert not pd.api.types.is_numeric_dtype(frame["value"])


@pytest.mark.parametrize("name, head, said", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 workbook, which lstmcast "
     "does not read: save it as .xlsx or the sheet as CSV"),
    ("calc.ods", b"PK\x03\x04", "OpenDocument workbook, which lstmcast does not read"),
    ("text.xlsx", b"month,units\n", "named .xlsx but is not an Excel workbook"),
    ("broken.xlsx", None, "could not be read as an Excel workbook"),
])
def test_workbooks_lstmcast_does_not_read_are_refused_with_what_to_do(tmp_path, name, head,
                                                                     said):
    path = tmp_path / name
    if head is None:  # a zip that is not a workbook
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
    else:
        path.write_bytes(head + bytes(100))
    with pytest.raises(DataError, match=said.replace(".", r"\.").replace("(", r"\(")):
        read_table(path)


def test_a_workbook_with_no_values_is_refused(tmp_path):
    with pytest.raises(DataError, match="no sheet of the workbook holds values"):
        read_table(_book(tmp_path / "empty.xlsx", {"Sheet1": {}}))


def test_train_and_predict_read_a_workbook_and_leave_it_as_it_was(tmp_path):
    """The command line on a workbook as a user has one: a title above the table, ids
    written as text; the forecasts keep the ids as written, and the file is unchanged."""
    cells, _ = _monthly(3, 1, months=40)
    cells[(1, 1)] = "Units sold"
    path = _book(tmp_path / "sales.xlsx", {"Sales": cells})
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run = tmp_path / "run"
    done = run_cli("train", path, "--target", "units", "--time", "month", "--group", "store",
                   "--steps", "3", "--epochs", "2", "--out", run, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Skipped 1 row above the table on sheet 'Sales'" in done.stderr
    out = tmp_path / "f.csv"
    done = run_cli("predict", run, path, "--out", out)
    assert done.returncode == 0, done.stderr
    forecast = pd.read_csv(out, dtype={"store": str})
    assert sorted(set(forecast["store"])) == ["01", "02"] and len(forecast) == 6
    assert forecast["month"].iloc[:3].tolist() == ["2018-05-01", "2018-06-01", "2018-07-01"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_sheet_named_after_the_file_is_read_and_its_workbook_guarded(tmp_path):
    """``book.xlsx#Sales 2022``: the sheet named (in any case) is read, wherever the first
    sheet holds notes; an unknown name lists the sheets; the first sheet's single column of
    notes says where the table may be. ``--out book.xlsx --force`` on a command reading a
    sheet of it is refused: the workbook is what it reads."""
    cells, values = _monthly(1, 1, months=40)
    path = _book(tmp_path / "book.xlsx", {"Notes": {(1, 1): "about", (2, 1): "by hand"},
                                          "Sales 2022": cells})
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = read_table(f"{path}#sales 2022")
    assert list(frame.columns) == ["month", "store", "units"] and len(frame) == len(values)
    np.testing.assert_array_equal(frame["units"].to_numpy(), [u for _, _, u in values])
    with pytest.raises(DataError, match=r"has no sheet 'Sheet9'; its sheets: 'Notes', "
                                        r"'Sales 2022'\."):
        read_table(f"{path}#Sheet9")
    with pytest.warns(UserWarning, match=r"To read another, add its name after the file's: "
                                         r"'.*book.xlsx#Sales 2022'"), \
            pytest.raises(DataError, match=r"single text column 'about': is the table on "
                                           r"another sheet\? Name it after the file's"):
        read_table(path)
    run = tmp_path / "run"
    done = run_cli("train", f"{path}#Sales 2022", "--target", "units", "--time", "month",
                   "--group", "store", "--steps", "3", "--epochs", "1", "--out", run, "--quiet")
    assert done.returncode == 0, done.stderr
    done = run_cli("predict", run, f"{path}#Sales 2022", "--out", path, "--force")
    assert done.returncode == 1 and "it is the data this command reads" in done.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
