"""The file writers, read back with the csv module, openpyxl and pyreadstat."""

import csv

import pyreadstat
import pytest
from openpyxl import load_workbook

from evaluation.exports import writers
from evaluation.exports.datasets import BOOLEAN, CATEGORY, INTEGER, TEXT, Variable

VARIABLES = (
    Variable("pseudoniem", "Pseudoniem", TEXT),
    Variable(
        "arm", "Onderzoeksarm", CATEGORY, choices=(("bip", "BIP-arm"), ("controle", "Controle"))
    ),
    Variable("passend", "Passende uitkomst", BOOLEAN),
    Variable("dagen", "Dagen tot uitkomst", INTEGER),
    Variable("score", "Stelling", CATEGORY, choices=((1, "Oneens"), (2, "Neutraal"), (3, "Eens"))),
)
ROWS = [
    ("a1b2", "bip", True, 40, 3),
    ("c3d4", "controle", False, None, 1),
    ("é€ñ", None, None, 0, None),
]


def chunks(rows=ROWS, size=2):
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def test_csv_round_trip(tmp_path):
    path = tmp_path / "data.csv"
    assert writers.write_csv(path, VARIABLES, chunks()) == 3
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["pseudoniem", "arm", "passend", "dagen", "score"],
        ["a1b2", "bip", "1", "40", "3"],
        ["c3d4", "controle", "0", "", "1"],
        ["é€ñ", "", "", "0", ""],
    ]


def test_xlsx_round_trip(tmp_path):
    path = tmp_path / "data.xlsx"
    assert writers.write_xlsx(path, VARIABLES, chunks()) == 3
    sheet = load_workbook(path)["data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("pseudoniem", "arm", "passend", "dagen", "score"),
        ("a1b2", "bip", 1, 40, 3),
        ("c3d4", "controle", 0, None, 1),
        ("é€ñ", None, None, 0, None),
    ]


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 2)
    path = tmp_path / "data.xlsx"
    writers.write_xlsx(path, VARIABLES, chunks())
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["data", "data_2"]
    second = list(workbook["data_2"].iter_rows(values_only=True))
    assert second[0][0] == "pseudoniem"
    assert second[1][0] == "é€ñ"


def test_empty_dataset_still_has_a_header(tmp_path):
    assert writers.write_xlsx(tmp_path / "e.xlsx", VARIABLES, []) == 0
    sheet = load_workbook(tmp_path / "e.xlsx", read_only=True)["data"]
    assert next(sheet.iter_rows(values_only=True))[0] == "pseudoniem"
    assert writers.write_sav(tmp_path / "e.sav", VARIABLES, [], expected_rows=0) == 0
    frame, meta = pyreadstat.read_sav(tmp_path / "e.sav")
    assert list(frame.columns) == [v.name for v in VARIABLES]
    assert meta.number_rows in (0, None)


def test_sav_round_trip_with_variable_and_value_labels(tmp_path):
    path = tmp_path / "data.sav"
    assert writers.write_sav(path, VARIABLES, chunks(), expected_rows=3, file_label="Test") == 3
    frame, meta = pyreadstat.read_sav(path)
    assert meta.column_names_to_labels == {
        "pseudoniem": "Pseudoniem",
        "arm": "Onderzoeksarm",
        "passend": "Passende uitkomst",
        "dagen": "Dagen tot uitkomst",
        "score": "Stelling",
    }
    assert meta.variable_value_labels["arm"] == {1.0: "BIP-arm", 2.0: "Controle"}
    assert meta.variable_value_labels["passend"] == {0.0: "nee", 1.0: "ja"}
    assert meta.variable_value_labels["score"] == {1.0: "Oneens", 2.0: "Neutraal", 3.0: "Eens"}
    assert meta.variable_measure["arm"] == "nominal"
    assert meta.variable_measure["score"] == "ordinal"
    assert meta.variable_measure["dagen"] == "scale"
    assert meta.file_label == "Test"
    assert list(frame["pseudoniem"]) == ["a1b2", "c3d4", "é€ñ"]
    assert list(frame["arm"].fillna(-1)) == [1, 2, -1]
    assert list(frame["passend"].fillna(-1)) == [1, 0, -1]
    assert list(frame["dagen"].fillna(-1)) == [40, -1, 0]
    assert list(frame["score"].fillna(-1)) == [3, 1, -1]
    labelled, _meta = pyreadstat.read_sav(path, apply_value_formats=True)
    assert list(labelled["arm"][:2]) == ["BIP-arm", "Controle"]


@pytest.mark.parametrize("expected_rows", [0, 1, 3, 10])
def test_sav_collects_every_row_whatever_the_expected_count(tmp_path, expected_rows):
    """Rows may be added or removed between the count and the stream."""
    frame = writers.collect_columns(VARIABLES, chunks(size=1), expected_rows)
    assert len(frame) == 3
    assert list(frame["dagen"].astype("Float64").fillna(-1)) == [40, -1, 0]


def test_sav_columns_are_compact(tmp_path):
    """Categories and yes/no take 2 bytes a cell and numbers 5: no Python object per cell."""
    rows = [("p", "bip", True, 5, 2)] * 1000
    frame = writers.collect_columns(VARIABLES, chunks(rows, 100), 1000)
    assert str(frame["arm"].dtype) == "Int8"
    assert str(frame["passend"].dtype) == "Int8"
    assert str(frame["dagen"].dtype) == "Int32"
    assert frame["arm"].array.nbytes == 2000
    assert frame["dagen"].array.nbytes == 5000


def test_unknown_category_code_fails_rather_than_writing_a_wrong_value(tmp_path):
    with pytest.raises(KeyError):
        writers.write_sav(
            tmp_path / "x.sav", VARIABLES, [[("p", "onbekend", None, None, None)]], expected_rows=1
        )
