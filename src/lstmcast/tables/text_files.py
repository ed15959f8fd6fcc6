"""Text tables as people write them: CSV and JSON files read into a DataFrame.

``read`` takes a file that is not Parquet and reads what spreadsheets, data sites and
programs write: any of the delimiters , ; tab |, comment lines at the top, Windows code
pages, decimal commas where the delimiter is not a comma, identifiers with leading
zeros kept as text, blank rows at the end left out, a file without a header line (its
first line holds numbers or dates, not names), JSON records (a list of flat records, or one
per line). Each
departure from a plain UTF-8 CSV is read with a warning that names it; a binary file is
refused with what to do (workbooks: ``lstmcast.tables.workbooks``; ``lstmcast.tables.io``
checks the table itself).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.errors import DataError


def read(path: Path, suffixes: list[str]) -> pd.DataFrame:
    """The table in text file ``path`` (``suffixes``: its name's, lower case)."""
    head = _first_bytes(path, 4096)
    if _json(head, suffixes):
        return _read_json(path, suffixes)
    encoding = _utf16(head)
    if b"\x00" in head and not head.startswith(b"\x1f\x8b") and not encoding:
        if head.startswith(b"PK\x03\x04"):
            raise DataError(f"{str(path)!r} holds binary data, as a spreadsheet workbook "
                            "does: name an Excel workbook .xlsx, or save the sheet as CSV.")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DataError(f"{str(path)!r} holds binary data, as an Excel 97-2003 workbook "
                            "does: save it as .xlsx or the sheet as CSV.")
        raise DataError(f"{str(path)!r} is not a text table (it holds binary data).")
    lines = _head(path, head.startswith(b"\x1f\x8b"), encoding).lstrip("\ufeff").splitlines()
    skip = _comment_lines(path, lines)
    sep = _delimiter(lines[skip:])
    frame = _read_csv(path, sep, skip, encoding=encoding)
    names = None
    if _no_header(list(frame.columns)):
        names = headerless_names(len(frame.columns))
        frame = _read_csv(path, sep, skip, names, quiet=True, encoding=encoding)
        first = lines[skip].strip() if len(lines) > skip else ""
        warnings.warn(f"{path.name!r} has no header line (its first line holds values, not "
                      f"column names: {first[:60]!r}): read as data, the "
                      f"{named(names)}.", stacklevel=3)
    elif [str(c) for c in frame.columns] == ["0"]:  # pandas' label, or a count of 0?
        warnings.warn(f"{path.name!r}: its first line '0' is read as the column's name, as "
                      "pandas writes a column without one; if it is a value, the first of "
                      "the column, give the file a header line (e.g. 'value') above it.",
                      stacklevel=3)
    keep = _rows_above_blank_tail(frame)
    if keep < len(frame):  # read again without them: blanks make integer columns floats
        count = len(frame) - keep
        warnings.warn(f"Skipped {count} empty {'row' if count == 1 else 'rows'} (every value "
                      f"blank) at the end of {path.name!r}.", stacklevel=3)
        frame = _read_csv(path, sep, skip, names, quiet=True, rows=keep, encoding=encoding)
    notes = _notes_below(path, head.startswith(b"\x1f\x8b"), encoding)
    if notes and len(frame) > len(notes):
        warnings.warn(f"Skipped {len(notes)} {'line' if len(notes) == 1 else 'lines'} below "
                      f"the data of {path.name!r}, after a blank line: notes, not rows "
                      f"({notes[0].strip()[:60]!r}).", stacklevel=3)
        frame = _read_csv(path, sep, skip, names, quiet=True, rows=len(frame) - len(notes),
                          encoding=encoding)
    if names is None and len(lines) > skip:
        _repeated_names(path, lines[skip], sep, list(frame.columns))
    return numbers_in_text(frame, sep)


def numbers_in_text(frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    """Text columns that hold numbers as people write them read as numbers, each with a
    warning: ".." and other marks of a missing value among numbers as blank, decimal
    commas (where the delimiter ``sep`` is not a comma), numbers grouped by thousands,
    amounts of money ("$3,056.50", "-1.234,50 €", "($12.00)")."""
    return _thousands(_decimal_commas(_missing_marks(_money(frame, sep), sep), sep))


HEADERLESS = "column_{}"
"""The names of the columns of a file without a header line (one column: "value")."""


def headerless_names(count: int) -> list[str]:
    """The names given to ``count`` columns read without a header: "value" for one,
    else "column_1" .. "column_N"."""
    return ["value"] if count == 1 else [HEADERLESS.format(i) for i in range(1, count + 1)]


def named(names: list[str]) -> str:
    """``headerless_names`` as a warning says them: "column named 'value'", or "columns
    named 'column_1' .. 'column_3'"."""
    return (f"column named {names[0]!r}" if len(names) == 1 else
            f"columns named {names[0]!r} .. {names[-1]!r}")

NO_NAME = re.compile(r"Unnamed: \d+|" + HEADERLESS.format(r"\d+"))
"""A column with no name in the file: pandas' name for a blank header field, or one of a
file without a header line."""


def _rows_above_blank_tail(frame: pd.DataFrame) -> int:
    """How many rows stand above the table's last rows where every value is blank (",,,"
    lines a spreadsheet leaves below its data)."""
    filled = frame.notna().any(axis=1).to_numpy()
    return int(filled.nonzero()[0][-1]) + 1 if filled.any() else 0


_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"  # a number as Python writes it
_VALUE = re.compile(r"\s*(?:" + _NUMBER + "|"
                    r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?"  # 2020-01-31, with a time
                    r"(?:[ T][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|"  # and its zone
                    r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"  # 31/01/2020
                    r"(?:\.\d+)?\s*")  # pandas' suffix on a repeated name: 5.1 for a second 5


def _no_header(names: list) -> bool:
    """Whether a CSV's first line, read as ``names``, is values rather than a header: every
    name a number or a date, but not pandas' own labels 0, 1, ... of columns without names
    (``DataFrame(array).to_csv()`` writes them as the header)."""
    pandas_labels = [str(i) for i in range(len(names))]
    return bool(names) and names != pandas_labels and all(looks_like_value(n) for n in names)


def looks_like_value(name: object) -> bool:
    """A column name that is a value (a number or a date written in digits) rather than
    a name."""
    return isinstance(name, str) and bool(_VALUE.fullmatch(name))


def _first_bytes(path: Path, count: int) -> bytes:
    """The file's first ``count`` bytes (not the whole file read to slice them)."""
    with open(path, "rb") as handle:
        return handle.read(count)


JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def _json(head: bytes, suffixes: list[str]) -> bool:
    """A JSON file: by its name, or (any name) text that opens with ``[`` or ``{``
    (``head``: its first bytes)."""
    return (any(s in JSON_SUFFIXES for s in suffixes)
            or head.lstrip()[:1] in (b"[", b"{"))


def _read_json(path: Path, suffixes: list[str]) -> pd.DataFrame:
    """Records as rows, their keys as columns, values as written: text stays text (dates
    and ids such as "01" are read later as a CSV's are), numbers numbers. Nested values
    (a table under a key, lists) are refused by column."""
    lines = ".jsonl" in suffixes or ".ndjson" in suffixes
    if not lines:  # one record per line without the name: more than one value at the top
        with open(path, "rb") as handle:
            first, second = handle.readline().strip(), handle.readline().strip()
        lines = first.startswith(b"{") and first.endswith(b"}") and second.startswith(b"{")
    # pandas 2 makes dates of columns named like dates unless told not to; pandas 3 does
    # not, and warns that the keyword goes
    dates = {"convert_dates": False} if int(pd.__version__.split(".")[0]) < 3 else {}
    frame = pd.read_json(path, lines=lines, dtype=False, **dates)
    for name in frame.columns:
        nested = frame[name].map(lambda v: isinstance(v, (dict, list)))
        if nested.any():
            value = json.dumps(frame[name][nested].iloc[0], default=str)
            raise DataError(
                f"{str(path)!r}: column {str(name)!r} holds nested values ({value[:60]}"
                f"{'...' if len(value) > 60 else ''}): lstmcast reads JSON as a list of flat "
                'records, [{"date": "2020-01-01", "sales": 3.5}, ...], or one record per '
                "line.")
    return frame


DELIMITERS = ",;\t|"


def _head(path: Path, gzipped: bool, encoding: str | None = None) -> str:
    """The file's first 64 KiB as text (undecodable bytes replaced)."""
    with (gzip.open if gzipped else open)(path, "rt", encoding=encoding or "utf-8",
                                          errors="replace") as handle:
        return handle.read(65536)


NOTE_LINES = 3
"""At most this many lines after a blank line at the end of a file are notes below the
data (a spreadsheet's "Source: ..." footer), not rows."""


def _notes_below(path: Path, gzipped: bool, encoding: str | None) -> list[str]:
    """The lines after the last blank line of the file, where there are 1 to ``NOTE_LINES``
    of them and the blank line is not the file's first (a text file's last 64 KiB read)."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if gzipped or (encoding and size > 65536):  # UTF-16 is read from its byte-order mark
            return []
        handle.seek(max(0, size - 65536))
        tail = handle.read().decode(encoding or "utf-8", errors="replace")
    lines = tail.rstrip().splitlines()
    blank = next((i for i in range(len(lines) - 1, -1, -1) if not lines[i].strip()), None)
    if blank is None or blank == 0 or not 1 <= len(lines) - blank - 1 <= NOTE_LINES:
        return []
    return lines[blank + 1:]


def _utf16(head: bytes) -> str | None:
    """"utf-16" for a file that starts with UTF-16's byte-order mark, as spreadsheets save
    "Unicode text" (tab-delimited UTF-16); None for any other."""
    return "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else None


def _repeated_names(path: Path, line: str, sep: str, columns: list[Any]) -> None:
    """A warning where the header line names a column twice: pandas reads the second as
    "name.1", so the first is the one a name means."""
    written = next(csv.reader([line], delimiter=sep), [])
    counts: dict[str, int] = {}
    for name in (w.strip() for w in written):
        counts[name] = counts.get(name, 0) + 1
    twice = [name for name, count in counts.items() if count > 1 and name]
    if not twice or len(written) != len(columns):
        return
    renamed = [str(c) for w, c in zip(written, columns) if w.strip() in twice
               and str(c) != w.strip()]
    others = ", ".join(map(repr, renamed))
    warnings.warn(f"{path.name!r} names {' and '.join(repr(n) for n in twice)} more than once: "
                  f"the first is read under that name, the others as {others}. Rename them in "
                  "the file if another one is meant.", stacklevel=4)


def _comment_lines(path: Path, lines: list[str]) -> int:
    """How many of the file's first ``lines`` start with '#' (a note on the source, as
    some data exports write one): skipped, with a warning quoting the first."""
    count = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("#")),
                 len(lines))
    if count:
        warnings.warn(f"Skipped {count} comment {'line' if count == 1 else 'lines'} at the "
                      f"top of {path.name!r} ({lines[0].strip()[:60]!r}).", stacklevel=4)
    return count


def _delimiter(lines: list[str]) -> str:
    """The file's delimiter among , ; tab |, by its first ``lines`` (after any comment
    lines; a comma if none fits)."""
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or no consistent delimiter
        return ","


_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _read_csv(path: Path, sep: str, skip: int = 0, names: list[str] | None = None,
              quiet: bool = False, rows: int | None = None,
              encoding: str | None = None) -> pd.DataFrame:
    """The CSV as UTF-8; a file that is not (Excel on Windows saves CSV in Windows-1252) read
    as Windows-1252, or Latin-1 where that cannot read it, with a warning quoting the first
    line that needed it (not when ``quiet``: the file read a second time). ``names``: the
    columns' names of a file without a header line; ``rows``: how many data rows to read
    (None: all); ``encoding``: UTF-16's, told by its byte-order mark (read with a warning)."""
    header = {"skiprows": skip, "nrows": rows, **(
        {} if names is None else {"header": None, "names": names})}
    if encoding:
        frame = pd.read_csv(path, sep=sep, encoding=encoding, **header)
        if not quiet:
            warnings.warn(f"{str(path)!r} is UTF-16 text, as spreadsheets save \"Unicode "
                          "text\": read so.", stacklevel=4)
        return _as_written(path, sep, frame, encoding, header)
    try:
        return _as_written(path, sep, pd.read_csv(path, sep=sep, **header), header=header)
    except UnicodeDecodeError:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        encoding = "latin-1" if any(b in raw for b in _CP1252_UNDEFINED) else "cp1252"
        line = next((b.decode(encoding).strip() for b in raw.split(b"\n")
                     if not _utf8(b)), "")
    frame = _as_written(path, sep, pd.read_csv(path, sep=sep, encoding=encoding, **header),
                        encoding, header)
    if quiet:
        return frame
    name = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}[encoding]
    warnings.warn(f"{str(path)!r} is not UTF-8: read as {name}, as spreadsheets on Windows "
                  f"save CSV files (the first such line: {line[:60]!r}). Save it as UTF-8 to be "
                  "sure of its text.", stacklevel=4)
    return frame


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_written(path: Path, sep: str, frame: pd.DataFrame,
                encoding: str | None = None, header: dict | None = None) -> pd.DataFrame:
    """Columns read as integers whose text has leading zeros ("01", "007": identifiers, not
    numbers) kept as the text written, so that "01" and "1" stay two series."""
    ints = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    if not ints or frame.columns.duplicated().any():
        return frame
    text = pd.read_csv(path, sep=sep, usecols=ints, dtype=str, encoding=encoding,
                       **(header or {}))
    for name in ints:
        if text[name].str.match(r"\s*[+-]?0\d").any():
            frame[name] = text[name].str.strip()
    return frame


_DECIMAL_COMMA = re.compile(r"\s*[+-]?(?:\d{1,3}(?:[. \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?\s*")
"""A number with a decimal comma, its thousands grouped by points or spaces ("1.234,5",
"1 234,5": a French spreadsheet writes a no-break space)."""
_THOUSANDS = re.compile(r"\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*")
_MARK = re.compile(r"[^\w\s]+")  # punctuation alone: "..", ":", "-", "?"
_PLAIN = re.compile(r"\s*" + _NUMBER + r"\s*")


def _text_columns(frame: pd.DataFrame) -> Iterator[tuple[Any, pd.Series, pd.Series]]:
    """Each column of text values: its name, the column and its values given (not blank)."""
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or not column.notna().any():
            continue
        text = column.dropna()
        if pd.api.types.infer_dtype(text, skipna=True) == "string":
            yield name, column, text


def _numbers_as_written(frame: pd.DataFrame, pattern: re.Pattern, plain: Callable,
                        marks: dict[str, str]) -> pd.DataFrame:
    """Text columns whose every value matches ``pattern``, one at least with a mark of
    ``marks`` (a pattern: how the numbers are written, in words), read as numbers
    (``plain`` rewrites the text as Python writes numbers), with a warning naming them
    and how they were written (the first mark found); a column with anything else is left
    as it is (and refused later by name)."""
    read: dict[str, list] = {}
    for name, column, text in _text_columns(frame):
        if not text.str.fullmatch(pattern).all():
            continue
        how = next((how for mark, how in marks.items() if text.str.contains(mark).any()), None)
        if how is not None:
            frame[name] = pd.to_numeric(plain(column.str.strip()))
            read.setdefault(how, []).append(
                (name, str(text.iloc[0]).strip(), frame[name].dropna().iloc[0]))
    for how, columns in read.items():
        warnings.warn(f"Read with {how}: " + ", ".join(
            f"{str(n)!r} ({v!r} as {x:.15g})" for n, v, x in columns) + ".", stacklevel=4)
    return frame


def _decimal_commas(frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    """Numbers written with a decimal comma ("100,13", "1.234,5") or their thousands grouped
    by spaces ("1 112", a French spreadsheet's whole numbers), as spreadsheets write them
    where the delimiter is not a comma."""
    if sep == ",":
        return frame
    return _numbers_as_written(frame, _DECIMAL_COMMA, _from_decimal_comma, {
        ",": "a decimal comma", r"\d[ \u00a0\u202f]\d{3}": "spaces between thousands"})


def _from_decimal_comma(text: pd.Series) -> pd.Series:
    """Numbers written with a decimal comma as Python writes them: "1.234,5" and
    "1 234,5" as "1234.5"."""
    return text.str.replace(r"[. \u00a0\u202f]", "", regex=True).str.replace(
        ",", ".", regex=False)


def _thousands(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers grouped by thousands with commas ("1,003.8", "12,500"), as spreadsheets
    export formatted cells (after ``_decimal_commas``, which reads "1,234" as a decimal
    comma where the delimiter is not a comma)."""
    return _numbers_as_written(frame, _THOUSANDS, _from_thousands,
                               {",": "commas between thousands"})


def _from_thousands(text: pd.Series) -> pd.Series:
    """Numbers grouped by thousands with commas as Python writes them: "1,003.8" as
    "1003.8"."""
    return text.str.replace(",", "", regex=False)


def _number_forms(sep: str) -> list[tuple[re.Pattern, Callable]]:
    """The ways a number is written in a file delimited by ``sep``, each with what turns
    it into a number as Python writes one: plain, with a decimal comma (where the
    delimiter is not a comma), grouped by thousands with commas."""
    comma = [(_DECIMAL_COMMA, _from_decimal_comma)] if sep != "," else []
    return [(_PLAIN, lambda text: text), *comma, (_THOUSANDS, _from_thousands)]


_MONEY = re.compile(r"\s*(?P<open>\()?\s*(?P<minus>-)?\s*(?P<before>[$€£¥₹])?\s*"
                    r"(?P<number>\d(?:[\d., \u00a0\u202f]*\d)?)\s*(?P<after>[$€£¥₹%])?\s*"
                    r"(?P<close>\))?\s*")
"""An amount of money as a spreadsheet's currency format writes it: its sign before or
after the number, a minus or an accountant's parentheses for a debit; or a percentage
("8.7%", its sign after the number)."""


def _money(frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    """Text columns whose every value is an amount of money with the same currency sign
    ("$3,056.50", "1.234,50 €") or a percentage ("8.7%"), the number plain, grouped by
    thousands or (where the delimiter ``sep`` is not a comma) with a decimal comma, read as
    the numbers written (8.7 for "8.7%"), with a warning naming them; "(12.00)" and
    "-$12.00" are negative. Numbers without a sign, some in an accountant's parentheses
    ("(1,200)" among "950"), are read so too. Any other column is left as is."""
    read = []
    for name, column, text in _text_columns(frame):
        parts = text.str.extract(_MONEY)
        before = parts["before"].to_numpy(dtype=object)  # numpy: no downcasting warnings
        sign = np.where(pd.isna(before), parts["after"].to_numpy(dtype=object), before)
        if pd.isna(sign).all() and parts["open"].notna().any() and parts["open"].isna().any():
            # accounts: "(1,200)" among "950"
            sign = np.full(len(sign), "()", dtype=object)
        if (parts["number"].isna().any() or not text.str.fullmatch(_MONEY).all()
                or pd.isna(sign).any() or len(set(sign)) != 1
                or (parts["open"].notna() != parts["close"].notna()).any()):
            continue
        for pattern, plain in _number_forms(sep):
            if parts["number"].str.fullmatch(pattern).all():
                negative = parts["open"].notna() | parts["minus"].notna()
                values = pd.to_numeric(plain(parts["number"])).where(~negative, lambda v: -v)
                frame[name] = values.reindex(column.index)
                mark = sign[0] if sign[0] in ("%", "()") else "$"  # "$": any currency
                read.append((name, str(text.iloc[0]).strip(), values.iloc[0], mark))
                break
    for kind, how in (("$", "amounts of money, without their currency sign"),
                      ("%", "percentages, the numbers written without their % sign"),
                      ("()", "numbers, those in parentheses negative, as accounts write "
                             "them")):
        named = [(n, v, x) for n, v, x, mark in read if mark == kind]
        if named:
            warnings.warn(f"Read as {how}: " + ", ".join(
                f"{str(n)!r} ({v!r} as {x:.15g})" for n, v, x in named) + ".", stacklevel=4)
    return frame


def _missing_marks(frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    """Values that are punctuation alone ("..", ":", "-") among numbers, as the World
    Bank, Eurostat and many statistics offices mark a missing value, read as blank, with a
    warning naming each mark and column: the missing-value policy then applies to them.
    Every other value of the column must be a number (plain, with a decimal comma where
    the delimiter is not a comma, or grouped by thousands)."""
    numbers = [pattern for pattern, _ in _number_forms(sep)]
    read: dict[str, list[str]] = {}
    for name, column, text in _text_columns(frame):
        text = text.str.strip()
        marked = text.str.fullmatch(_MARK)
        rest = text[~marked]
        if not marked.any() or rest.empty:
            continue
        if not np.logical_or.reduce([rest.str.fullmatch(p).to_numpy() for p in numbers]).all():
            continue
        kept = column.where(~column.index.isin(marked[marked].index))
        plain = pd.to_numeric(kept, errors="coerce")
        frame[name] = plain if plain.notna().sum() == len(rest) else kept
        for mark, count in text[marked].value_counts(sort=False).items():
            read.setdefault(mark, []).append(f"{str(name)!r} ({count} "
                                             f"{'row' if count == 1 else 'rows'})")
    for mark, where in read.items():
        warnings.warn(f"Read {mark!r} as a missing value, as statistics offices mark one: "
                      f"{', '.join(where)}.", stacklevel=3)
    return frame
