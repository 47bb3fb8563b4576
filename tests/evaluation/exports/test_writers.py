"""The file writers, read back with the csv module, openpyxl and pyreadstat."""

import csv
import io
import struct
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from evaluation.exports import writers
from evaluation.exports.datasets import BOOLEAN, CATEGORY, INTEGER, TEXT, Variable
from evaluation.exports.postgres_rows import CopyBlock

VARIABLES = (
    Variable("pseudoniem", "Pseudoniem", TEXT, width=8),  # bytes: é€ñ is 7
    Variable(
        "arm",
        "Onderzoeksarm",
        CATEGORY,
        choices=(("bip", "BIP-arm"), ("controle", "Controle")),
        missing=(-4,),
    ),
    Variable("passend", "Passende uitkomst", BOOLEAN, missing=(-1, -2)),
    Variable("dagen", "Dagen tot uitkomst", INTEGER, missing=(-1, -2, -3)),
    Variable("score", "Stelling", CATEGORY, choices=((1, "Oneens"), (2, "Neutraal"), (3, "Eens"))),
    Variable("maand", "Maand", INTEGER, measure="ordinal"),
)
ROWS = [
    ("a1b2", "bip", 1, 40, 3, 1),
    ("c3d4", "controle", 0, -3, 1, 12),
    ("é€ñ", -4, -2, 0, None, 6),
    (None, "bip", -1, -1, 2, 2),
]


def chunks(rows=ROWS, size=2):
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def test_csv_for_dutch_excel_and_for_r_from_one_pass(tmp_path):
    excel, plain = tmp_path / "data.csv", tmp_path / "data_r.csv"
    assert writers.write_csv(excel, VARIABLES, chunks(), r_path=plain) == 4
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents right
    assert b"\r\n" in raw
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r" not in plain.read_bytes()
    expected = [
        ["pseudoniem", "arm", "passend", "dagen", "score", "maand"],
        ["a1b2", "bip", "1", "40", "3", "1"],
        ["c3d4", "controle", "0", "-3", "1", "12"],
        ["é€ñ", "-4", "-2", "0", "", "6"],
        ["", "bip", "-1", "-1", "2", "2"],
    ]
    with open(excel, encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle, delimiter=";")) == expected
    with open(plain, encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == expected
    assert raw.splitlines()[0] == b"\xef\xbb\xbfpseudoniem;arm;passend;dagen;score;maand"


def typed_rows(text, month, min_size=0):
    """Rows of VARIABLES: a text or None, a text or missing category code, yes/no with missing
    codes, a number, a number category or None, and `month`."""
    return st.lists(
        st.tuples(
            st.one_of(st.none(), text),
            st.sampled_from(["bip", "controle", -4]),
            st.sampled_from([0, 1, -1, -2]),
            st.integers(-3, 10**6),
            st.one_of(st.none(), st.integers(1, 3)),
            month,
        ),
        min_size=min_size,
        max_size=7,
    )


AWKWARD_TEXT = st.text(alphabet=st.sampled_from('ab;,"\r\n é'), max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    rows=typed_rows(AWKWARD_TEXT, st.one_of(AWKWARD_TEXT, st.integers(1, 12))),
    size=st.integers(1, 3),
)
def test_both_csv_files_are_what_their_dialects_write_whatever_the_fields_hold(rows, size):
    """The comma file is made from the Dutch text when no field needed quoting; fields with a
    comma, semicolon, quote or line break must still come out as the comma writer writes
    them, in chunks with and without such a field."""
    with tempfile.TemporaryDirectory() as directory:
        excel, plain = Path(directory, "data.csv"), Path(directory, "data_r.csv")
        assert writers.write_csv(excel, VARIABLES, chunks(rows, size), r_path=plain) == len(rows)
        table = [[variable.name for variable in VARIABLES], *rows]
        for path, dialect, encoding in (
            (excel, writers.ExcelDutch, "utf-8-sig"),
            (plain, writers.PlainComma, "utf-8"),
        ):
            expected = io.StringIO()
            csv.writer(expected, dialect).writerows(table)
            with open(path, encoding=encoding, newline="") as written:
                assert written.read() == expected.getvalue()


def copied(rows) -> CopyBlock:
    """The rows as PostgreSQL's COPY writes them in CSV with `;`: LF line ends, a field quoted
    when it holds the delimiter, a quote, a CR or an LF, NULL as an empty field."""

    def field(value) -> str:
        if value is None:
            return ""
        if any(special in value for special in ';"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return CopyBlock("".join(";".join(map(field, row)) + "\n" for row in rows), len(rows))


# COPY's text never holds an empty string (the SQL writes NULL for it), so neither do these.
COPIED_TEXT = st.text(alphabet=st.sampled_from('ab;,"\r\n é'), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), COPIED_TEXT), st.sampled_from(["bip", "-4"]), COPIED_TEXT),
        max_size=6,
    ),
    size=st.integers(1, 3),
)
def test_the_database_csv_text_makes_the_files_its_rows_make(rows, size):
    """A chunk that PostgreSQL wrote as CSV gives the same two files as the same rows written
    by the csv module: as is with CRLF, with commas, or read back when a field was quoted."""
    with tempfile.TemporaryDirectory() as directory:
        paths = {
            name: (Path(directory, f"{name}.csv"), Path(directory, f"{name}_r.csv"))
            for name in ("rows", "copied")
        }
        blocks = [copied(chunk) for chunk in chunks(rows, size)]
        assert writers.write_csv(*paths["copied"][:1], VARIABLES[:3], blocks,
                                 r_path=paths["copied"][1]) == len(rows)  # fmt: skip
        writers.write_csv(
            paths["rows"][0], VARIABLES[:3], chunks(rows, size), r_path=paths["rows"][1]
        )
        for made, expected in zip(paths["copied"], paths["rows"], strict=True):
            assert made.read_bytes() == expected.read_bytes()


def as_copied(rows) -> CopyBlock:
    """Typed rows as the database writes them: each value's text, None as an empty field."""
    return copied([tuple(None if value is None else str(value) for value in row) for row in rows])


@settings(max_examples=150, deadline=None)
@given(rows=typed_rows(COPIED_TEXT, st.integers(1, 12), min_size=1))
def test_the_spss_frame_of_the_database_text_is_the_frame_of_its_rows(rows):
    """Texts with `;`, quotes, line breaks and accents (padded by bytes), categories with
    text and number codes and a missing code, numbers and empty fields: the frame read from
    the CSV text equals the one `spss_frame` makes of the rows, column types included."""
    pd.testing.assert_frame_equal(
        writers.spss_frame_of_copy(VARIABLES, as_copied(rows)),
        writers.spss_frame(VARIABLES, rows),
    )


@settings(max_examples=150, deadline=None)
@given(rows=typed_rows(COPIED_TEXT, st.one_of(st.none(), st.integers(1, 12))))
def test_the_excel_cells_of_the_database_text_are_its_rows(rows):
    """What the Excel writer takes from the CSV text is what the Python rows carry, type for
    type: 1 and "1", -4 and "-4" are different cells in a workbook."""
    records = list(writers.records_of_copy(VARIABLES, as_copied(rows)))
    names = [variable.name for variable in VARIABLES]
    assert records == [dict(zip(names, row, strict=True)) for row in rows]
    types = [[type(value) for value in record.values()] for record in records]
    assert types == [[type(value) for value in row] for row in rows]


def test_an_xlsx_from_the_database_text_holds_the_cells_of_its_rows(tmp_path):
    writers.write_xlsx(tmp_path / "rows.xlsx", VARIABLES, chunks(size=3), expected_rows=4)
    blocks = [as_copied(chunk) for chunk in chunks(size=3)]
    assert writers.write_xlsx(tmp_path / "copied.xlsx", VARIABLES, blocks, expected_rows=4) == 4
    sheets = [load_workbook(tmp_path / f"{name}.xlsx")["data"] for name in ("rows", "copied")]
    made = [[(cell.value, cell.data_type) for cell in row] for row in sheets[1].iter_rows()]
    assert made == [[(cell.value, cell.data_type) for cell in row] for row in sheets[0].iter_rows()]
    assert made[3][:2] == [("é€ñ", "s"), (-4, "n")]


def test_a_sav_from_the_database_text_is_the_file_from_its_rows(tmp_path):
    rows_file, copied_file = tmp_path / "rows.sav", tmp_path / "copied.sav"
    writers.write_sav(rows_file, VARIABLES, chunks(size=3), file_label="Test")
    blocks = [as_copied(chunk) for chunk in chunks(size=3)]
    assert writers.write_sav(copied_file, VARIABLES, blocks, file_label="Test") == 4
    a, b = rows_file.read_bytes(), copied_file.read_bytes()
    start, _count_at = writers._dictionary_end(a)
    assert writers._dictionary_end(b)[0] == start
    assert a[start:] == b[start:]  # the data, byte for byte
    frame, meta = pyreadstat.read_sav(copied_file, user_missing=True)
    assert list(frame["arm"]) == [1, 2, -4, 1]
    assert list(frame["pseudoniem"]) == ["a1b2", "c3d4", "é€ñ", ""]
    assert meta.missing_ranges["dagen"] == [{"lo": -3.0, "hi": -1.0}]


def test_an_unknown_category_code_in_the_database_text_fails(tmp_path):
    block = as_copied([("p", "onbekend", None, None, None, 1)])
    with pytest.raises(KeyError):
        writers.write_sav(tmp_path / "x.sav", VARIABLES, [block])
    with pytest.raises(KeyError):
        writers.write_xlsx(tmp_path / "x.xlsx", VARIABLES, [block], expected_rows=1)


def test_codes_that_would_be_written_alike_are_refused():
    ambiguous = Variable("x", "X", CATEGORY, choices=((1, "Een"), ("1", "Ook een")))
    with pytest.raises(ValueError, match="written alike"):
        writers.spss_frame_of_copy((ambiguous,), CopyBlock("1\n", 1))
    with pytest.raises(ValueError, match="written alike"):
        list(writers.records_of_copy((ambiguous,), CopyBlock("1\n", 1)))


def test_xlsx_round_trip_in_constant_memory_mode(tmp_path):
    path = tmp_path / "data.xlsx"
    assert writers.write_xlsx(path, VARIABLES, chunks(), expected_rows=4) == 4
    sheet = load_workbook(path)["data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("pseudoniem", "arm", "passend", "dagen", "score", "maand"),
        ("a1b2", "bip", 1, 40, 3, 1),
        ("c3d4", "controle", 0, -3, 1, 12),
        ("é€ñ", -4, -2, 0, None, 6),
        (None, "bip", -1, -1, 2, 2),
    ]
    # Text stays text and numbers numbers; None is a blank cell, not an empty text.
    assert [cell.data_type for cell in sheet[2]] == ["s", "s", "n", "n", "n", "n"]
    assert sheet["E4"].value is None and sheet["A5"].value is None
    assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.xlsx"]  # no temporary files


def test_xlsx_writes_a_formula_or_a_number_in_text_as_text(tmp_path):
    path = tmp_path / "data.xlsx"
    rows = [("=1+1", "0123", 1, 2, 3, 4), ("@SUM(A1)", "-4", 1, 2, 3, 4)]
    writers.write_xlsx(path, VARIABLES, [rows], expected_rows=2)
    sheet = load_workbook(path)["data"]
    assert [(c.value, c.data_type) for c in sheet["A2":"B3"][0]] == [("=1+1", "s"), ("0123", "s")]
    assert [(c.value, c.data_type) for c in sheet["A2":"B3"][1]] == [
        ("@SUM(A1)", "s"),
        ("-4", "s"),
    ]


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 2)
    path = tmp_path / "data.xlsx"
    assert writers.write_xlsx(path, VARIABLES, chunks(size=3), expected_rows=4) == 4
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["data", "data_2"]
    first = list(workbook["data"].iter_rows(values_only=True))
    second = list(workbook["data_2"].iter_rows(values_only=True))
    assert [row[0] for row in first] == ["pseudoniem", "a1b2", "c3d4"]
    assert [row[0] for row in second] == ["pseudoniem", "é€ñ", None]


def test_xlsx_refuses_rows_beyond_the_sheets_planned_from_the_count(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 2)
    with pytest.raises(writers.DatasetGrew):
        # Counted 2 (one sheet), but 4 arrive: two would be left out.
        writers.write_xlsx(tmp_path / "data.xlsx", VARIABLES, chunks(), expected_rows=2)


def test_xlsx_takes_more_rows_than_counted_while_the_sheets_hold_them(tmp_path):
    path = tmp_path / "data.xlsx"
    assert writers.write_xlsx(path, VARIABLES, chunks(), expected_rows=1) == 4
    assert len(list(load_workbook(path, read_only=True)["data"].iter_rows())) == 5


def test_empty_dataset_still_has_a_header(tmp_path):
    assert writers.write_xlsx(tmp_path / "e.xlsx", VARIABLES, [], expected_rows=0) == 0
    sheet = load_workbook(tmp_path / "e.xlsx")["data"]
    assert list(sheet.iter_rows(values_only=True)) == [tuple(v.name for v in VARIABLES)]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert writers.write_sav(tmp_path / "e.sav", VARIABLES, [], expected_rows=0) == 0
    frame, meta = pyreadstat.read_sav(tmp_path / "e.sav")
    assert list(frame.columns) == [v.name for v in VARIABLES]
    assert len(frame) == 0


def test_sav_round_trip_with_labels_missing_codes_and_measure_levels(tmp_path):
    path = tmp_path / "data.sav"
    assert writers.write_sav(path, VARIABLES, chunks(), expected_rows=4, file_label="Test") == 4
    frame, meta = pyreadstat.read_sav(path, user_missing=True)
    assert meta.column_names_to_labels["arm"] == "Onderzoeksarm"
    assert meta.variable_value_labels["arm"] == {
        1.0: "BIP-arm",
        2.0: "Controle",
        -4.0: "weggelaten voor k-anonimiteit",
    }
    assert meta.variable_value_labels["passend"] == {
        0.0: "nee",
        1.0: "ja",
        -1.0: "niet gemeten",
        -2.0: "gecensureerd",
    }
    assert meta.variable_value_labels["dagen"][-3.0] == "niet van toepassing"
    assert meta.missing_ranges["dagen"] == [{"lo": -3.0, "hi": -1.0}]
    assert meta.missing_ranges["arm"] == [{"lo": -4.0, "hi": -1.0}]
    assert "score" not in meta.missing_ranges
    assert meta.variable_measure == {
        "pseudoniem": "nominal",
        "arm": "nominal",
        "passend": "nominal",
        "dagen": "scale",
        "score": "ordinal",
        "maand": "ordinal",  # a month is not a scale
    }
    assert meta.file_label == "Test"
    assert list(frame["pseudoniem"]) == ["a1b2", "c3d4", "é€ñ", ""]
    assert list(frame["arm"]) == [1, 2, -4, 1]
    assert list(frame["passend"]) == [1, 0, -2, -1]
    assert list(frame["dagen"]) == [40, -3, 0, -1]
    assert list(frame["score"].fillna(0)) == [3, 1, 0, 2]
    # Without user_missing the codes are missing values, as SPSS treats them.
    plain, _meta = pyreadstat.read_sav(path)
    assert list(plain["dagen"].fillna(99)) == [40, 99, 0, 99]
    labelled, _meta = pyreadstat.read_sav(path, apply_value_formats=True)
    assert list(labelled["arm"][:2]) == ["BIP-arm", "Controle"]


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_sav_written_in_chunks_is_the_file_written_at_once(tmp_path, size):
    """The chunks' data follows the first chunk's dictionary; only the case counts differ."""
    whole, spliced = tmp_path / "whole.sav", tmp_path / "spliced.sav"
    writers.write_sav(whole, VARIABLES, [ROWS])
    assert writers.write_sav(spliced, VARIABLES, chunks(size=size)) == 4
    a, b = whole.read_bytes(), spliced.read_bytes()
    start, count_at = writers._dictionary_end(a)
    assert writers._dictionary_end(b) == (start, count_at)
    assert a[start:] == b[start:]
    assert struct.unpack_from("<i", b, 80) == (4,)
    assert struct.unpack_from("<q", b, count_at) == (4,)
    frame, meta = pyreadstat.read_sav(spliced, user_missing=True)
    assert meta.number_rows == 4
    assert list(frame["dagen"]) == [40, -3, 0, -1]


def test_padding_a_chunks_first_text_writes_the_bytes_of_padding_every_text(tmp_path):
    """readstat pads each text to its variable's width itself: padding only the first value
    (which fixes the width pyreadstat declares) writes the data of padding every value."""
    first = writers.spss_frame(VARIABLES, ROWS)
    every = first.copy()
    every["pseudoniem"] = [writers._padded(text, 8) for text in first["pseudoniem"]]
    assert list(first["pseudoniem"]) == ["a1b2    ", "c3d4", "é€ñ", ""]
    metadata = writers.spss_metadata(VARIABLES)
    written = []
    for name, frame in (("first", first), ("every", every)):
        pyreadstat.write_sav(frame, str(tmp_path / f"{name}.sav"), **metadata)
        written.append((tmp_path / f"{name}.sav").read_bytes())
    start, _count_at = writers._dictionary_end(written[0])
    assert written[0][176:] == written[1][176:]  # the whole file after the header's date
    assert b"c3d4    " in written[0][start:]


def test_sav_chunk_with_only_empty_pseudonyms_keeps_the_width(tmp_path):
    rows = [("a1b2", "bip", 1, 1, 1, 1), (None, "bip", 1, 1, 1, 1)]
    path = tmp_path / "x.sav"
    writers.write_sav(path, VARIABLES, [rows[:1], rows[1:]])
    frame, _meta = pyreadstat.read_sav(path)
    assert list(frame["pseudoniem"]) == ["a1b2", ""]


def test_unknown_category_code_fails_rather_than_writing_a_wrong_value(tmp_path):
    with pytest.raises(KeyError):
        writers.write_sav(tmp_path / "x.sav", VARIABLES, [[("p", "onbekend", None, None, None, 1)]])


def test_a_text_longer_than_its_width_fails_rather_than_shifting_columns(tmp_path):
    rows = [("a1b2", "bip", 1, 1, 1, 1)]
    with pytest.raises(ValueError, match="longer than its width 8, would shift the columns"):
        writers.write_sav(tmp_path / "x.sav", VARIABLES, [rows, [("x" * 12, *rows[0][1:])]])


SAV_TEXT = st.text(alphabet=st.sampled_from("ab9 é€"), max_size=8).filter(
    lambda text: len(text.encode()) <= 8
)


@settings(max_examples=120, deadline=None)
@given(rows=typed_rows(SAV_TEXT, st.integers(1, 12), min_size=1), size=st.integers(1, 3))
def test_the_sav_in_chunks_is_the_file_pyreadstat_writes_for_all_rows_at_once(rows, size):
    """numpy writes the data (`sav_data`), pyreadstat only the dictionary: the file must be
    pyreadstat's own for all rows, byte for byte after the header's creation date, whatever
    the texts (ASCII, multi-byte, empty), missing codes and chunk sizes."""
    with tempfile.TemporaryDirectory() as directory:
        ours, theirs = Path(directory, "ours.sav"), Path(directory, "theirs.sav")
        assert writers.write_sav(ours, VARIABLES, chunks(rows, size)) == len(rows)
        frame = writers.spss_frame(VARIABLES, rows)
        pyreadstat.write_sav(frame, str(theirs), **writers.spss_metadata(VARIABLES))
        a, b = ours.read_bytes(), theirs.read_bytes()
        assert a[176:] == b[176:]
        assert a[80:84] == b[80:84]  # the case count


def test_sav_data_writes_a_missing_number_as_system_missing_and_pads_texts_with_spaces():
    frame = writers.spss_frame(VARIABLES, [(None, "bip", 1, 40, None, 3)])
    data = writers.sav_data(VARIABLES, frame)
    assert len(data) == 6 * 8
    assert data[:8] == b" " * 8  # no pseudonym: an empty text
    assert struct.unpack("<5d", data[8:]) == (1.0, 1.0, 40.0, writers.SYSTEM_MISSING, 3.0)
