"""Text tables as people write them (``lstmcast.tables.text_files``), read through
``read_table``: delimiters, decimal commas, JSON records, code pages, comment lines and
workbooks, each against the values written into the file."""

import warnings

import pandas as pd
import pytest

from lstmcast.tables.io import DataError, read_table


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_common_delimiters_are_recognised(tmp_path, sep):
    path = tmp_path / "data.csv"
    path.write_text(sep.join(["t", "y", "x"]) + "\n" + "\n".join(
        sep.join(map(str, (i, i * 2.5, -i))) for i in range(5)) + "\n")
    frame = read_table(path)
    assert list(frame.columns) == ["t", "y", "x"] and frame["y"].iloc[2] == 5.0


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
    french = tmp_path / "ventes.csv"  # a French spreadsheet groups thousands by spaces
    french.write_text("date;ventes;prix\n01/01/2023;11\u202f566,44;1\u00a0234,50\u00a0€\n"
                      "02/01/2023;14 415,36;99,00\u00a0€\n03/01/2023;7,5;1\u00a0000\u00a0€\n",
                      encoding="utf-8")
    with pytest.warns(UserWarning) as caught:
        frame = read_table(french)
    assert frame["ventes"].tolist() == [11566.44, 14415.36, 7.5]
    assert frame["prix"].tolist() == [1234.5, 99.0, 1000.0]
    assert [str(w.message) for w in caught] == [
        r"Read as amounts of money, without their currency sign: 'prix' ('1\xa0234,50\xa0€' "
        "as 1234.5).", r"Read with a decimal comma: 'ventes' ('11\u202f566,44' as 11566.44)."]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("t;y\n1;100,13\n2;n/a1\n")
    assert read_table(mixed)["y"].tolist() == ["100,13", "n/a1"]


def test_numbers_grouped_by_thousands_with_commas_are_read_with_a_warning(tmp_path):
    """With commas between columns, "100,126" (quoted) is a thousands separator, never a
    decimal comma, as a spreadsheet exports formatted cells; so is "1,234.5" under any
    delimiter. A column with anything else among its numbers stays text, for the numeric
    check to name."""
    path = tmp_path / "thousands.csv"
    path.write_text('t,y,z,w\n1,"100,126","1,234,567.25",3\n2,"99,994",-12.5,"1,0"\n'
                    '3,7,"-2,000",4\n')
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    assert frame["y"].tolist() == [100126, 99994, 7]
    assert frame["z"].tolist() == [1234567.25, -12.5, -2000.0]
    assert frame["w"].tolist() == ["3", "1,0", "4"]  # "1,0": no group of three
    assert [str(w.message) for w in caught] == [
        "Read with commas between thousands: 'y' ('100,126' as 100126), 'z' ('1,234,567.25' "
        "as 1234567.25)."]
    tabs = tmp_path / "thousands.tsv"
    tabs.write_text("t\ty\n1\t1,234.5\n2\t987.25\n")
    with pytest.warns(UserWarning, match="commas between thousands: 'y'"):
        assert read_table(tabs)["y"].tolist() == [1234.5, 987.25]


def test_punctuation_marking_a_missing_value_among_numbers_is_read_as_blank(tmp_path):
    """World Bank files write "..", Eurostat ":", others "-" where a value is missing: read
    as blank, each mark named in a warning, so that the missing-value policy applies; a
    column with a word among its numbers, or with marks alone, stays as written."""
    path = tmp_path / "marks.csv"
    path.write_text('year,gdp,debt,note,flag\n2001,1.5,"1,200.5",a,-\n2002,..,:,..,-\n'
                    '2003,-2,"3,000",b,-\n2004,..,4,c,-\n')
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    assert frame["gdp"].tolist()[::2] == [1.5, -2.0] and frame["gdp"].isna().tolist() == [
        False, True, False, True]
    assert frame["debt"].tolist()[::2] == [1200.5, 3000.0] and pd.isna(frame["debt"][1])
    assert frame["note"].tolist() == ["a", "..", "b", "c"]
    assert frame["flag"].tolist() == ["-"] * 4
    assert [str(w.message) for w in caught] == [
        "Read '..' as a missing value, as statistics offices mark one: 'gdp' (2 rows).",
        "Read ':' as a missing value, as statistics offices mark one: 'debt' (1 row).",
        "Read with commas between thousands: 'debt' ('1,200.5' as 1200.5)."]
    euro = tmp_path / "euro.csv"
    euro.write_text("t;y\n1;100,5\n2;:\n3;7,25\n")
    with pytest.warns(UserWarning, match="Read ':' as a missing value"):
        assert read_table(euro)["y"].tolist()[::2] == [100.5, 7.25]


def test_amounts_of_money_and_percentages_are_read_without_their_sign(tmp_path):
    """A spreadsheet's currency format, exported as text: "$3,056.50", "-$12.00" and an
    accountant's "($7.25)" are numbers, named in one warning; so are "1.234,50 €" under
    semicolons. A column mixing signs, or with a word, or a sign without a number, stays
    as written, for the numeric check to name."""
    path = tmp_path / "sales.csv"
    path.write_text('day,sales,refunds,mixed,note\n1,"$3,056.50",-$12.00,$5,$ a\n'
                    '2,$980,($7.25),€5,$ b\n3,"$1,000,000",$0.50,$6,$\n')
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    assert frame["sales"].tolist() == [3056.5, 980.0, 1_000_000.0]
    assert frame["refunds"].tolist() == [-12.0, -7.25, 0.5]
    assert frame["mixed"].tolist() == ["$5", "€5", "$6"]
    assert frame["note"].tolist() == ["$ a", "$ b", "$"]
    assert [str(w.message) for w in caught] == [
        "Read as amounts of money, without their currency sign: 'sales' ('$3,056.50' as "
        "3056.5), 'refunds' ('-$12.00' as -12)."]
    rates = tmp_path / "rates.csv"
    rates.write_text("day,rate,both\n1,8.7%,5%\n2,-0.25%,$5\n3,12%,5%\n")
    with pytest.warns(UserWarning) as caught:
        frame = read_table(rates)
    assert frame["rate"].tolist() == [8.7, -0.25, 12.0]  # the numbers written
    assert frame["both"].tolist() == ["5%", "$5", "5%"]  # a percent and a dollar: text
    assert [str(w.message) for w in caught] == [
        "Read as percentages, the numbers written without their % sign: 'rate' ('8.7%' as "
        "8.7)."]
    euro = tmp_path / "umsatz.csv"
    euro.write_text("tag;umsatz\n1;1.234,50 €\n2;-99,00 €\n3;7 €\n")
    with pytest.warns(UserWarning, match=r"'umsatz' \('1.234,50 €' as 1234.5\)"):
        assert read_table(euro)["umsatz"].tolist() == [1234.5, -99.0, 7.0]


def test_an_accountants_negatives_in_parentheses_are_read_without_a_currency_sign(tmp_path):
    """A profit column exported from an accounts sheet: "(138)" and "(1,204.50)" among
    "950" were text, and the table had "no numeric column". They are negative numbers,
    named in a warning. A column all in parentheses (standard errors under estimates)
    stays as written."""
    path = tmp_path / "profit.csv"
    path.write_text('month,profit,errors\n2020-01,(138),(0.12)\n2020-02,950,(0.30)\n'
                    '2020-03,"(1,204.50)",(0.07)\n')
    with pytest.warns(UserWarning) as caught:
        frame = read_table(path)
    assert frame["profit"].tolist() == [-138.0, 950.0, -1204.5]
    assert frame["errors"].tolist() == ["(0.12)", "(0.30)", "(0.07)"]
    assert [str(w.message) for w in caught] == [
        "Read as numbers, those in parentheses negative, as accounts write them: 'profit' "
        "('(138)' as -138)."]


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


def test_a_workbook_under_a_text_name_is_named_with_what_to_do(tmp_path):
    """A workbook's bytes under a CSV name: binary data, with what to do (workbooks named
    as such are read: tests/test_workbooks.py)."""
    import zipfile

    renamed = tmp_path / "sales.csv"
    with zipfile.ZipFile(renamed, "w") as z:  # a workbook is a zip of XML parts
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(DataError, match="binary data, as a spreadsheet workbook does: name "
                                        "an Excel workbook .xlsx, or save the sheet as CSV"):
        read_table(renamed)
    old = tmp_path / "old.csv"  # an Excel 97-2003 file's header (OLE2)
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(DataError, match="as an Excel 97-2003 workbook does: save it as .xlsx"):
        read_table(old)


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


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_unicode_text_saved_by_a_spreadsheet_is_read_with_a_warning(tmp_path, codec):
    """A spreadsheet's "Unicode text" is tab-delimited UTF-16 after a byte-order mark: it
    was refused as binary data. Read as written, ids with leading zeros kept."""
    text = "store\tday\tsales\tcity\n01\t2020-01-01\t3.5\tKöln\n02\t2020-01-01\t4\t東京\n"
    path = tmp_path / "export.txt"
    path.write_bytes("\ufeff".encode(codec) + text.encode(codec))
    with pytest.warns(UserWarning, match=r"'.*export.txt' is UTF-16 text, as spreadsheets save "
                                         r"\"Unicode text\": read so."):
        frame = read_table(path)
    assert list(frame.columns) == ["store", "day", "sales", "city"]
    assert frame["store"].tolist() == ["01", "02"]
    assert frame["sales"].tolist() == [3.5, 4.0]
    assert frame["city"].tolist() == ["Köln", "東京"]


def test_a_column_named_twice_is_said_with_the_name_read_for_the_second(tmp_path):
    """pandas reads a repeated name as "name.1": the first column is the one the name means,
    which the warning says, with the other's new name."""
    path = tmp_path / "dup.csv"
    path.write_text("date,sales,sales,note,note\n2020-01,1,10,a,b\n2020-02,2,20,c,d\n")
    with pytest.warns(UserWarning, match=r"'dup.csv' names 'sales' and 'note' more than once: "
                                         r"the first is read under that name, the others as "
                                         r"'sales.1', 'note.1'"):
        frame = read_table(path)
    assert frame["sales"].tolist() == [1, 2] and frame["sales.1"].tolist() == [10, 20]
    with warnings.catch_warnings():  # names alike but for their case are two names
        warnings.simplefilter("error")
        path.write_text("date,Sales,sales\n2020-01,1,10\n")
        assert list(read_table(path).columns) == ["date", "Sales", "sales"]


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


def test_a_file_without_a_header_line_keeps_its_first_row(tmp_path):
    """Values saved without a header (numpy's savetxt, a spreadsheet's bare column): the
    first line is data, not names; every value written is read, with a warning."""
    values = [88.5261, 89.555, 87.62, 88.5261]
    path = tmp_path / "bare.csv"
    path.write_text("\n".join(f"{v:.4f}" for v in values) + "\n")
    with pytest.warns(UserWarning, match="has no header line .*'88.5261'.*named 'value'"):
        frame = read_table(path)
    assert list(frame.columns) == ["value"] and frame["value"].tolist() == values
    dated = tmp_path / "dated.csv"  # dates, and a first row repeating a value (5, 5)
    dated.write_text("1980-01,5,5\n1980-02,6,7\n1980-03,8,9\n")
    with pytest.warns(UserWarning, match="named 'column_1' .. 'column_3'"):
        frame = read_table(dated)
    assert frame.to_dict("list") == {"column_1": ["1980-01", "1980-02", "1980-03"],
                                     "column_2": [5, 6, 8], "column_3": [5, 7, 9]}
    stamped = tmp_path / "stamped.csv"  # ISO times with their zone
    stamped.write_text("2020-01-01T00:00:00Z,5\n2020-01-01T01:00:00+01:00,6\n")
    with pytest.warns(UserWarning, match="has no header line"):
        assert len(read_table(stamped)) == 2


@pytest.mark.parametrize("header", ["year,2020", "t,y", "date,Jan 1980",
                                    "0", "0,1"])  # pandas' labels of columns without names
def test_a_header_with_any_name_in_it_is_a_header(tmp_path, header):
    path = tmp_path / "named.csv"
    path.write_text(header + "\n" + "\n".join([",".join(["1"] * header.count(",")
                                                          + ["2"])] * 3) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_table(path)
    assert list(frame.columns) == header.split(",") and len(frame) == 3
    # a bare column of counts may start at 0: that one header is said, the others not
    said = [str(w.message) for w in caught]
    assert said == ([] if header != "0" else [
        "'named.csv': its first line '0' is read as the column's name, as pandas writes a "
        "column without one; if it is a value, the first of the column, give the file a "
        "header line (e.g. 'value') above it."])


def test_blank_rows_below_the_data_are_left_out(tmp_path):
    """",," lines a spreadsheet leaves below its rows: left out with a warning; a blank
    value within the data stays, for the missing-value policy."""
    path = tmp_path / "sheet.csv"
    path.write_text("month,sales\n2020-01,10\n2020-02,\n2020-03,11\n,\n,\n")
    with pytest.warns(UserWarning, match=r"Skipped 2 empty rows \(every value blank\) at the "
                      r"end of 'sheet.csv'"):
        frame = read_table(path)
    assert frame["month"].tolist() == ["2020-01", "2020-02", "2020-03"]
    assert frame["sales"].isna().tolist() == [False, True, False]
    ids = tmp_path / "ids.csv"  # the rows above keep the types they have without them
    ids.write_text("store,week,sales\n007,1,5\n012,1,6\n,,\n")
    with pytest.warns(UserWarning, match="Skipped 1 empty row "):
        frame = read_table(ids)
    assert frame["store"].tolist() == ["007", "012"] and frame["week"].tolist() == [1, 1]
    assert pd.api.types.is_integer_dtype(frame["week"])


def test_whole_numbers_grouped_by_spaces_are_read_where_the_delimiter_is_not_a_comma(tmp_path):
    """A French spreadsheet writes 1112 as "1 112" (a space, or a no-break space): without
    a decimal comma in the column it was refused as text."""
    path = tmp_path / "trafic.csv"
    path.write_text('mois;passagers\n1949-01;"1 112"\n1949-02;"1\u00a0118"\n1949-03;"987"\n')
    with pytest.warns(UserWarning, match=r"Read with spaces between thousands: 'passagers' "
                                         r"\('1 112' as 1112\)"):
        frame = read_table(path)
    assert frame["passagers"].tolist() == [1112, 1118, 987]


def test_notes_below_the_data_after_a_blank_line_are_not_rows(tmp_path):
    """A spreadsheet's footer ("Source: ...") below a blank line made every column text
    ("the table has no numeric column"). Up to three such lines are skipped, said; more
    lines after a blank line are rows."""
    rows = "".join(f"2020-{m:02d},{m * 10}\n" for m in range(1, 13))
    path = tmp_path / "sales.csv"
    path.write_text("month,sales\n" + rows + "\nSource: the shop's ledger, 2020\nUnits: EUR\n")
    with pytest.warns(UserWarning, match=r"Skipped 2 lines below the data of 'sales.csv', "
                                         r"after a blank line: notes, not rows \(.Source: "):
        frame = read_table(path)
    assert frame["sales"].tolist() == [m * 10 for m in range(1, 13)]
    more = "".join(f"2021-{m:02d},{m}\n" for m in range(1, 5))
    path.write_text("month,sales\n" + rows + "\n" + more)  # a blank line among the rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_table(path)) == 16
