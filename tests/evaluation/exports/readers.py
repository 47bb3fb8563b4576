"""Read an export ZIP back into rows, per format, the way a researcher's tools would."""

import csv
import io
import math
import zipfile

import pyreadstat
from openpyxl import load_workbook


def unpack(zip_path, directory):
    """Extract the ZIP into `directory`; returns {name: path}."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(directory)
        return {name: directory / name for name in archive.namelist()}


def read_csv(path, *, delimiter=",", encoding="utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as handle:
        return [
            {key: (int(value) if value.lstrip("-").isdigit() else value or None)
             for key, value in row.items()}
            for row in csv.DictReader(handle, delimiter=delimiter)
        ]  # fmt: skip


def read_excel_csv(path) -> list[dict]:
    """The Dutch-Excel CSV: UTF-8 with BOM, semicolons."""
    with open(path, "rb") as handle:
        assert handle.read(3) == b"\xef\xbb\xbf"
    return read_csv(path, delimiter=";", encoding="utf-8-sig")


def _number(value):
    """An Excel number is a double: the writer stores 40 as "40.0". Read a whole one back as
    an int, as pandas.read_excel does."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def read_xlsx(path) -> list[dict]:
    workbook = load_workbook(path, read_only=True)
    rows = []
    for sheet in workbook.worksheets:
        values = sheet.iter_rows(values_only=True)
        header = next(values)
        for row in values:
            padded = [_number(value) for value in row] + [None] * (len(header) - len(row))
            rows.append(dict(zip(header, padded, strict=True)))
    return rows


def read_sav(path) -> tuple[list[dict], object]:
    """Rows as numbers (categories as their SPSS codes), the missing codes kept."""
    frame, meta = pyreadstat.read_sav(path, user_missing=True)
    rows = []
    for record in frame.to_dict("records"):
        row = {}
        for key, value in record.items():
            if isinstance(value, float):
                value = None if math.isnan(value) else int(value)
            if value == "":
                value = None
            row[key] = value
        rows.append(row)
    return rows, meta


def read_export(zip_path, directory, file_format: str) -> list[dict]:
    """The data rows with categories as codes ("bip") and yes/no as 1/0, for any format."""
    files = unpack(zip_path, directory)
    data = next(path for name, path in files.items() if name.endswith(f".{file_format}"))
    if file_format == "csv":
        rows = read_excel_csv(data)
        plain = data.with_name(data.stem + "_r.csv")
        assert read_csv(plain) == rows  # the comma file for R holds the same
        return rows
    if file_format == "xlsx":
        return read_xlsx(data)
    rows, meta = read_sav(data)
    return rows


def read_codebook(zip_path) -> list[dict]:
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read("codebook.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
