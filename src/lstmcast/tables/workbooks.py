"""Spreadsheet workbooks (.xlsx, .xlsm) read into a DataFrame, as people lay out a sheet.

``read`` takes the first sheet that holds values. A sheet is seldom a bare table, so:

- the header is the first row with two or more cells filled (on a sheet of one column,
  its first filled row); the rows above it (a title, a note, a source line) are left out,
  with a warning that quotes them;
- the empty rows and columns around the table are left out (a table that starts at C5
  reads as one that starts at A1), and so are the empty rows below it;
- a first row of values, not names, is read as data, the columns named as those of a
  CSV file without a header line;
- cells typed as dates are dates and cells typed as numbers are numbers; text cells
  stay text, and the rest of lstmcast reads them as it reads a CSV file's text (dates
  written as text, numbers grouped by thousands, ".." for a missing value);
- the other sheets that hold values are named in a warning; ``book.xlsx#Sales`` (the
  sheet's name after the file's, ``sheet_of`` and ``read(..., sheet=)``) reads the sheet
  named, wherever a table's file is given (``lstmcast train "book.xlsx#Sales"``).

Excel 97-2003 workbooks (.xls) and OpenDocument spreadsheets (.ods) are refused with
what to do: no reader for them ships with lstmcast. ``lstmcast.tables.io`` checks the
table itself, as for any file.
"""

from __future__ import annotations

import datetime
import numbers
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from lstmcast.errors import DataError
from lstmcast.tables import text_files

SUFFIXES = (".xlsx", ".xlsm")
"""The workbooks read here (Office Open XML, by openpyxl)."""

REFUSED = (".xls", ".ods")
"""Workbooks refused with what to do."""


def is_workbook(suffixes: list[str]) -> bool:
    """Whether a file's name (its ``suffixes``, lower case) names a spreadsheet workbook."""
    return bool(suffixes) and suffixes[-1] in SUFFIXES + REFUSED


def sheet_of(source: str) -> tuple[Path, str] | None:
    """``book.xlsx#Sales`` as the workbook and the sheet's name, where no file bears the
    whole name and the workbook is there; else None."""
    book, mark, sheet = str(source).rpartition("#")
    if not mark or not sheet or Path(source).exists() or not Path(book).is_file():
        return None
    return (Path(book), sheet) if is_workbook([s.lower() for s in Path(book).suffixes]) \
        else None


def read(path: Path, suffixes: list[str], sheet: str | None = None) -> pd.DataFrame:
    """The table on the sheet named ``sheet`` of workbook ``path`` (its name in any case),
    or on the first sheet that holds values."""
    if suffixes[-1] in REFUSED:
        kind = "an Excel 97-2003" if suffixes[-1] == ".xls" else "an OpenDocument"
        raise DataError(f"{str(path)!r} is {kind} workbook, which lstmcast does not read: "
                        "save it as .xlsx or the sheet as CSV, and give that file.")
    with open(path, "rb") as handle:
        if handle.read(4) != b"PK\x03\x04":  # an .xlsx file is a zip of XML parts
            raise DataError(f"{str(path)!r} is named {suffixes[-1]} but is not an Excel "
                            "workbook: give the file its own extension (.csv for text).")
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataError(f"Reading {str(path)!r} needs the openpyxl package (pip install "
                        "openpyxl), or save the sheet as CSV.") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise DataError(f"{str(path)!r} could not be read as an Excel workbook ({exc}): "
                        "open it in a spreadsheet and save it again, or save the sheet as "
                        "CSV.") from None
    name, values = (_named_sheet(path, sheets, sheet) if sheet is not None
                    else _first_filled(path, sheets))
    return text_files.numbers_in_text(_table(values, path.name, str(name)), ",")


def _first_filled(path: Path, sheets: dict) -> tuple[object, pd.DataFrame]:
    """The first sheet that holds values, trimmed, and its name; the others holding values
    named in a warning."""
    filled = {name: _trimmed(values) for name, values in sheets.items()}
    filled = {name: values for name, values in filled.items() if values.size}
    if not filled:
        raise DataError(f"{str(path)!r}: no sheet of the workbook holds values.")
    name, values = next(iter(filled.items()))
    if len(filled) > 1:
        others = ", ".join(repr(str(n)) for n in list(filled)[1:])
        warnings.warn(f"{path.name!r} holds values on {len(filled)} sheets: read the first, "
                      f"{str(name)!r} (the others: {others}). To read another, add its name "
                      f"after the file's: '{path}#{list(filled)[1]}'.", stacklevel=4)
    return name, values


def _named_sheet(path: Path, sheets: dict, sheet: str) -> tuple[object, pd.DataFrame]:
    """The sheet named ``sheet`` (any case), trimmed, and its name; a DataError naming the
    workbook's sheets where there is none, or where it holds no values."""
    found = [n for n in sheets if str(n) == sheet] or [
        n for n in sheets if str(n).casefold() == sheet.casefold()]
    if not found:
        raise DataError(f"{str(path)!r} has no sheet {sheet!r}; its sheets: "
                        f"{', '.join(repr(str(n)) for n in sheets)}.")
    values = _trimmed(sheets[found[0]])
    if not values.size:
        raise DataError(f"Sheet {str(found[0])!r} of {str(path)!r} holds no values.")
    return found[0], values


def _trimmed(sheet: pd.DataFrame) -> pd.DataFrame:
    """The sheet without its empty rows and columns around the values."""
    cells = sheet.notna()
    rows, columns = cells.any(axis=1).to_numpy(), cells.any(axis=0).to_numpy()
    if not rows.any():
        return sheet.iloc[0:0, 0:0]
    first, last = rows.argmax(), len(rows) - rows[::-1].argmax()
    left, right = columns.argmax(), len(columns) - columns[::-1].argmax()
    return sheet.iloc[first:last, left:right]  # the index: the sheet's row less 1


def _table(sheet: pd.DataFrame, file: str, name: str) -> pd.DataFrame:
    """The table of a trimmed sheet: its header row found, the rows above it left out."""
    counts = sheet.notna().sum(axis=1).to_numpy()
    start = int((counts >= 2).argmax()) if sheet.shape[1] > 1 and (counts >= 2).any() else 0
    if start:
        above = [" ".join(str(v) for v in row if pd.notna(v))
                 for row in sheet.iloc[:start].itertuples(index=False)]
        shown = "; ".join(repr(text[:60]) for text in above if text)
        count = sum(1 for text in above if text)
        warnings.warn(f"Skipped {count} {'row' if count == 1 else 'rows'} above the table on "
                      f"sheet {name!r} of {file!r} ({shown}): read its header from row "
                      f"{sheet.index[start] + 1} of the sheet.", stacklevel=4)
    body = sheet.iloc[start:].reset_index(drop=True)
    body = body.loc[:, body.notna().any(axis=0)]
    header = list(body.iloc[0])
    if not all(_value(v) for v in header if pd.notna(v)):  # as a CSV's header line is told
        names = _distinct([_name(v) if pd.notna(v) else f"Unnamed: {i}"
                           for i, v in enumerate(header)])
        body = body.iloc[1:]
    else:
        names = text_files.headerless_names(body.shape[1])
        warnings.warn(f"Sheet {name!r} of {file!r} has no header row (its first row holds "
                      f"values, not column names): read as data, the "
                      f"{text_files.named(names)}.", stacklevel=4)
    body = body.reset_index(drop=True)
    body.columns = names
    filled = body.notna().any(axis=1).to_numpy()
    body = body.iloc[:len(filled) - filled[::-1].argmax()] if filled.any() else body.iloc[:0]
    return _typed(body)


def _distinct(names: list[str]) -> list[str]:
    """Names made distinct as pandas makes a CSV header's: a repeat of "sales" is
    "sales.1", the next "sales.2"."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _name(cell: object) -> str:
    """A header cell as a column's name: a year typed as a number is "1960", not the
    "1960.0" of the float a sheet's column of numbers reads as."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _value(cell: object) -> bool:
    """A cell that holds a value (a number, a date, or text written as one) and not a
    column's name."""
    if isinstance(cell, str):
        return text_files.looks_like_value(cell)
    return isinstance(cell, (numbers.Real, datetime.date, datetime.time, np.datetime64))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column in the type its cells share (numbers, dates); a column of numbers
    and text cells as text, for the readers of text values."""
    frame = frame.infer_objects()
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        values = column.dropna()
        kinds = {"number" if isinstance(v, numbers.Real) and not isinstance(v, bool)
                 else "text" if isinstance(v, str) else "other" for v in values}
        if kinds == {"number", "text"}:
            frame[name] = column.map(lambda v: v if pd.isna(v) else str(v))
    return frame
