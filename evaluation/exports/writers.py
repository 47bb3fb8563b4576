"""Data files written from a dataset's row chunks: CSV, XLSX and SPSS (.sav).

- CSV: UTF-8 without BOM, comma-separated, a header with the variable names, written row by
  row with the csv module. Categories as their code ("bip"), yes/no as 1/0, missing as empty.
- XLSX: openpyxl in write-only mode, which streams rows to a temporary file per sheet and
  writes strings inline (no shared-strings table in memory). The same values as the CSV. A sheet
  holds at most MAX_XLSX_ROWS rows; longer datasets continue on "data_2", "data_3", ...
- SAV: pyreadstat writes a DataFrame, so the rows are collected first, column by column, in
  compact arrays: categories and yes/no as int8 with a missing mask (2 bytes per cell), numbers
  as int32 with a mask (5 bytes), and only the pseudonyms as Python strings. Categories are
  numeric codes with value labels; every variable has its label.

Every writer takes an iterable of chunks and returns the number of rows written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyreadstat
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .datasets import BOOLEAN, CATEGORY, INTEGER, TEXT, Chunk, Variable

# Excel's limit is 1,048,576 rows per sheet, header included.
MAX_XLSX_ROWS = 1_000_000


def _flat(value):
    """A row value as CSV and XLSX hold it: yes/no as 1/0, the rest unchanged."""
    if value is True:
        return 1
    if value is False:
        return 0
    return value


def write_csv(path, variables: Sequence[Variable], chunks: Iterable[Chunk]) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([variable.name for variable in variables])
        for chunk in chunks:
            writer.writerows(
                ["" if value is None else _flat(value) for value in row] for row in chunk
            )
            rows += len(chunk)
    return rows


def write_xlsx(path, variables: Sequence[Variable], chunks: Iterable[Chunk]) -> int:
    workbook = Workbook(write_only=True)
    header = [variable.name for variable in variables]
    sheet, in_sheet, sheets, rows = None, 0, 0, 0
    for chunk in chunks:
        for row in chunk:
            if sheet is None or in_sheet >= MAX_XLSX_ROWS:
                sheets += 1
                sheet = workbook.create_sheet("data" if sheets == 1 else f"data_{sheets}")
                sheet.freeze_panes = "A2"
                sheet.append(header)
                in_sheet = 0
            sheet.append([_flat(value) for value in row])
            in_sheet += 1
        rows += len(chunk)
    if sheet is None:
        sheet = workbook.create_sheet("data")
        sheet.append(header)
    workbook.save(path)
    return rows


class _Column:
    """One variable's values for the SAV file, in a preallocated compact array."""

    def __init__(self, variable: Variable, capacity: int):
        self.variable = variable
        self.codes = variable.spss_codes() if variable.kind == CATEGORY else None
        if variable.kind == TEXT:
            self.values = np.empty(capacity, dtype=object)
            self.missing = None
        else:
            dtype = np.int32 if variable.kind == INTEGER else np.int8
            self.values = np.zeros(capacity, dtype=dtype)
            self.missing = np.zeros(capacity, dtype=bool)

    def grow(self, capacity: int) -> None:
        self.values = np.resize(self.values, capacity)
        if self.missing is not None:
            self.missing = np.resize(self.missing, capacity)

    def put(self, start: int, values: list) -> None:
        end = start + len(values)
        if self.missing is None:
            self.values[start:end] = values
            return
        self.missing[start:end] = [value is None for value in values]
        if self.codes is not None:
            codes = self.codes
            values = [0 if value is None else codes[value] for value in values]
        else:
            values = [0 if value is None else int(value) for value in values]
        self.values[start:end] = values

    def array(self, length: int):
        if self.missing is None:
            return self.values[:length]
        return pd.arrays.IntegerArray(self.values[:length], self.missing[:length], copy=False)


def collect_columns(
    variables: Sequence[Variable], chunks: Iterable[Chunk], expected_rows: int
) -> pd.DataFrame:
    """The chunks as a DataFrame of compact columns, built without a copy per row."""
    capacity = max(expected_rows, 1)
    columns = [_Column(variable, capacity) for variable in variables]
    rows = 0
    for chunk in chunks:
        if rows + len(chunk) > capacity:  # rows added since the count: grow by half
            capacity = max(rows + len(chunk), capacity + capacity // 2)
            for column in columns:
                column.grow(capacity)
        for index, column in enumerate(columns):
            column.put(rows, [row[index] for row in chunk])
        rows += len(chunk)
    return pd.DataFrame(
        {column.variable.name: column.array(rows) for column in columns}, copy=False
    )


def spss_metadata(variables: Sequence[Variable]) -> dict:
    """Variable labels, value labels, measurement levels and formats for pyreadstat."""
    value_labels, measures, formats = {}, {}, {}
    for variable in variables:
        if variable.kind == CATEGORY:
            codes = variable.spss_codes()
            value_labels[variable.name] = {
                codes[code]: str(label) for code, label in variable.choices
            }
            ordinal = all(isinstance(code, int) for code, _label in variable.choices)
            measures[variable.name] = "ordinal" if ordinal else "nominal"
            formats[variable.name] = "F3.0"
        elif variable.kind == BOOLEAN:
            value_labels[variable.name] = {0: _("nee"), 1: _("ja")}
            measures[variable.name] = "nominal"
            formats[variable.name] = "F1.0"
        elif variable.kind == INTEGER:
            measures[variable.name] = "scale"
            formats[variable.name] = "F8.0"
        else:
            measures[variable.name] = "nominal"
    return {
        "column_labels": {variable.name: str(variable.label) for variable in variables},
        "variable_value_labels": value_labels,
        "variable_measure": measures,
        "variable_format": formats,
    }


def write_sav(
    path,
    variables: Sequence[Variable],
    chunks: Iterable[Chunk],
    *,
    expected_rows: int,
    file_label: str = "",
) -> int:
    frame = collect_columns(variables, chunks, expected_rows)
    pyreadstat.write_sav(
        frame, str(path), file_label=file_label[:64], row_compress=True, **spss_metadata(variables)
    )
    return len(frame)
