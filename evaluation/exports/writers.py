"""Data files written from a dataset's row chunks: CSV, XLSX and SPSS (.sav).

Every file holds the same values, as the chunks carry them (see `datasets`): a category as
its code ("bip"), yes/no as 1/0, a number as is, and why a value is missing as its negative
code (-1 not measured, -2 censored, -3 not applicable, -4 withheld for k-anonymity; see
`datasets.MISSING_CODES`). Only a pseudonym without a subject (no school) is an empty cell.

- CSV: two files from one pass. `<dataset>.csv` for Dutch Excel: UTF-8 with a BOM,
  semicolon-delimited, CRLF line ends (Excel's own CSV in a Dutch locale, where the comma is
  the decimal sign). `<dataset>_r.csv` for R and other tools: UTF-8 without a BOM,
  comma-delimited, LF line ends. Both with a header of the variable names.
- XLSX: rust_xlsxwriter (through rustpy-xlsxwriter) in constant-memory mode: the rows are
  streamed from the chunks into an unnamed temporary file, strings inline, so memory does not
  grow with the rows. A sheet holds at most MAX_XLSX_ROWS rows; longer datasets continue on
  "data_2", "data_3", ..., planned from the row count taken before streaming.
- SAV: pyreadstat writes the header and the dictionary of an uncompressed file; the data of
  every chunk follows it, written by numpy as the fixed-width rows pyreadstat would write
  (`sav_data`), and the case count in the header is set at the end. The result is the file
  pyreadstat would write for all rows at once (tested byte for byte), while memory holds one
  chunk. Categories
  are numeric codes with value labels; the missing codes are user-missing (a range -4 to -1)
  with their labels; every variable has its label and measurement level.

Every writer takes an iterable of chunks and returns the number of rows written. The CSV and
SAV writers also take the database's own CSV text (`postgres_rows.CopyBlock`, the cases on
PostgreSQL): the CSV writer passes it on, the SAV writer reads it back into the same frame as
the rows would give (`spss_frame_of_copy`).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .datasets import BOOLEAN, CATEGORY, INTEGER, MISSING_CODES, TEXT, Chunk, Variable
from .postgres_rows import CopyBlock

if TYPE_CHECKING:
    import pandas as pd

# pandas and pyreadstat are imported by the SAV writer only: they take about 0.4 s to import,
# which the web processes (which load this module through the URL configuration) do not need.

# Excel's limit is 1,048,576 rows per sheet, header included.
MAX_XLSX_ROWS = 1_000_000


class ExcelDutch(csv.Dialect):
    """What Excel writes and reads as CSV in a Dutch locale."""

    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


class PlainComma(csv.Dialect):
    """RFC 4180 with LF line ends: what read.csv, readr and pandas expect by default."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\n"
    quoting = csv.QUOTE_MINIMAL


def write_csv(
    path: Path,
    variables: Sequence[Variable],
    chunks: Iterable[Chunk | CopyBlock],
    *,
    r_path: Path | None = None,
) -> int:
    """The Dutch-Excel CSV at `path` and, when given, the comma CSV at `r_path`.

    Each chunk is written once, with the Dutch dialect, into a buffer. When that text holds no
    quote and no comma, no field was quoted (the csv module quotes a field with a delimiter, a
    quote or a line break), so every semicolon in it is a delimiter and every CRLF a line end,
    and no field needs quoting with commas either: the comma CSV is the same text with `,` and
    LF. Otherwise (a field with a comma, a semicolon, a quote or a line break) the chunk goes
    through the comma writer as well. The csv module writes None as an empty field.

    A chunk may also be a `CopyBlock`: rows that PostgreSQL's COPY already wrote as CSV with
    `;` and LF (see `postgres_rows`). Without a quote in it no field was quoted, so the Dutch
    file gets the text with CRLF, and the comma file the text with `,` unless a field holds a
    comma (then the rows are read back and written by the comma writer). With a quote, the
    rows are read back and written like any chunk.
    """
    rows = 0
    buffer = io.StringIO()
    dutch_rows = csv.writer(buffer, ExcelDutch)
    with (
        open(path, "w", encoding="utf-8-sig", newline="") as dutch,
        open(r_path or os.devnull, "w", encoding="utf-8", newline="") as plain,
    ):
        plain_rows = csv.writer(plain, PlainComma)

        def write(table: Sequence[Sequence]) -> None:
            buffer.seek(0)
            buffer.truncate()
            dutch_rows.writerows(table)
            text = buffer.getvalue()
            dutch.write(text)
            if r_path is not None:
                if '"' in text or "," in text:
                    plain_rows.writerows(table)
                else:
                    plain.write(text.replace(";", ",").replace("\r\n", "\n"))

        def write_copied(text: str) -> None:
            if '"' in text:  # COPY quoted a field: read the rows back and write them
                write(list(csv.reader(io.StringIO(text, newline=""), delimiter=";")))
                return
            dutch.write(text.replace("\n", "\r\n"))
            if r_path is not None:
                if "," in text:
                    plain_rows.writerows(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
                else:
                    plain.write(text.replace(";", ","))

        write([[variable.name for variable in variables]])
        for chunk in chunks:
            if isinstance(chunk, CopyBlock):
                write_copied(chunk.text)
            else:
                write(chunk)
            rows += len(chunk)
    return rows


class DatasetGrew(Exception):
    """The dataset had more rows than counted before the export started, and the Excel
    sheets planned from that count cannot hold them."""


def write_xlsx(
    path: Path,
    variables: Sequence[Variable],
    chunks: Iterable[Chunk | CopyBlock],
    *,
    expected_rows: int,
) -> int:
    """Write the rows to an Excel workbook at `path`, with a bold, frozen header of the
    variable names on every sheet; returns the rows written.

    The sheets are fixed before the first row is written (rustpy-xlsxwriter takes them as one
    list), so they are planned from `expected_rows`. If the dataset grew past the last sheet
    since it was counted, `DatasetGrew` is raised rather than leaving rows out. If it shrank
    by a sheet's worth, the last sheet stays empty, without a header.
    """
    import rustpy_xlsxwriter

    header = [variable.name for variable in variables]
    stream = _xlsx_records(variables, chunks)
    first = next(stream, None)
    workbook = rustpy_xlsxwriter.FastExcel(str(path)).format(bold_headers=True).freeze(row=1)
    if first is None:
        import pandas as pd

        # Each sheet's header comes from its first row's keys; an empty frame gives it alone.
        workbook.sheet("data", pd.DataFrame(columns=header)).save()
        return 0
    written = itertools.count()
    records = (
        record for record, _number in zip(itertools.chain([first], stream), written, strict=False)
    )
    sheets = max(1, math.ceil(expected_rows / MAX_XLSX_ROWS))
    for number in range(1, sheets + 1):
        # Each sheet takes the next MAX_XLSX_ROWS rows as the writer reaches it.
        workbook.sheet(
            "data" if number == 1 else f"data_{number}",
            itertools.islice(records, MAX_XLSX_ROWS),
        )
    workbook.save()
    if next(records, None) is not None:
        raise DatasetGrew(f"more than the {sheets * MAX_XLSX_ROWS} rows planned from the count")
    return next(written)


def _xlsx_records(
    variables: Sequence[Variable], chunks: Iterable[Chunk | CopyBlock]
) -> Iterator[dict[str, Any]]:
    """Each row as {variable name: cell}: what rustpy-xlsxwriter writes. A str is a text cell,
    an int a number, None a blank cell. The database's CSV text is read back into the cells
    the Python rows carry (`records_of_copy`)."""
    header = [variable.name for variable in variables]
    for chunk in chunks:
        if isinstance(chunk, CopyBlock):
            yield from records_of_copy(variables, chunk)
        else:
            for cells in chunk:
                yield dict(zip(header, cells, strict=True))


def records_of_copy(variables: Sequence[Variable], block: CopyBlock) -> Iterator[dict[str, Any]]:
    """The rows of the database's CSV text as {variable name: cell}, each cell as the Python
    rows carry it (`datasets`): a number (yes/no, a missing code) as an int, a category as its
    code (a text, or an int where the codes are numbers), a text as is, an empty field as None
    (the database writes no empty text). A category code outside the variable's codes raises
    KeyError."""
    columns = [(variable.name, _cell_of_text(variable)) for variable in variables]
    for fields in csv.reader(io.StringIO(block.text), delimiter=";"):
        yield {name: to_cell(field) for (name, to_cell), field in zip(columns, fields, strict=True)}


def _cell_of_text(variable: Variable) -> Callable[[str], Any]:
    if variable.kind == TEXT:
        return _text_or_none
    if variable.kind == CATEGORY:
        values: dict[str, Any] = {str(code): code for code, _label in variable.choices}
        if len(values) != len(variable.choices):
            raise ValueError(f"{variable.name}: two codes are written alike")
        values.update((str(code), code) for code in variable.missing)
        values[""] = None
        return values.__getitem__
    return _int_or_none


def _text_or_none(field: str) -> str | None:
    return field or None


def _int_or_none(field: str) -> int | None:
    return int(field) if field else None


# --------------------------------------------------------------------------------------------
# SPSS
# --------------------------------------------------------------------------------------------


def spss_metadata(variables: Sequence[Variable]) -> dict:
    """Variable labels, value labels, user-missing codes, measurement levels and formats."""
    value_labels: dict[str, dict[int | float, str]] = {}
    measures, formats, missing, widths = {}, {}, {}, {}
    for variable in variables:
        labels: dict[int | float, str] = {}
        if variable.kind == CATEGORY:
            codes = variable.spss_codes()
            labels = {codes[code]: str(label) for code, label in variable.choices}
            formats[variable.name] = "F3.0"
        elif variable.kind == BOOLEAN:
            labels = {0: _("nee"), 1: _("ja")}
            formats[variable.name] = "F2.0"
        elif variable.kind == INTEGER:
            formats[variable.name] = "F8.0"
        else:
            widths[variable.name] = max(variable.width, 8)
        for code in variable.missing:
            labels[code] = str(MISSING_CODES[code])
        if labels:
            value_labels[variable.name] = labels
        if variable.missing:
            missing[variable.name] = [{"lo": min(variable.missing), "hi": -1}]
        measures[variable.name] = variable.measure_level
    return {
        "column_labels": {variable.name: str(variable.label) for variable in variables},
        "variable_value_labels": value_labels,
        "variable_measure": measures,
        "variable_format": formats,
        "missing_ranges": missing,
        "variable_display_width": widths,
    }


def spss_frame(variables: Sequence[Variable], chunk: Chunk) -> pd.DataFrame:
    """One chunk as pyreadstat writes it: numbers as float64 (NaN is system-missing),
    categories as their SPSS codes, texts padded to their fixed width."""
    import pandas as pd

    columns: dict[str, pd.Series] = {}
    for index, variable in enumerate(variables):
        values = [row[index] for row in chunk]
        if variable.kind == TEXT:
            columns[variable.name] = pd.Series(
                _text_column([value or "" for value in values], variable.width), dtype=object
            )
            continue
        if variable.kind == CATEGORY:
            codes = variable.spss_codes()
            missing = set(variable.missing)
            # An unknown code raises KeyError rather than writing a wrong value.
            values = [
                None if value is None else value if value in missing else codes[value]
                for value in values
            ]
        columns[variable.name] = pd.Series(
            [float("nan") if value is None else float(value) for value in values],
            dtype="float64",
        )
    return pd.DataFrame(columns)


def spss_frame_of_copy(variables: Sequence[Variable], block: CopyBlock) -> pd.DataFrame:
    """The frame `spss_frame` makes of the same rows, from the database's CSV text, with no
    Python object per cell: pandas' C parser reads the numbers as float64 (an empty field is
    missing: the database writes no empty string) and each category column as a categorical
    of the texts its codes are written as, which become their SPSS codes in one step. Each
    text column gets its first value padded, as in `spss_frame` (`_text_column`). An unknown
    category code raises KeyError, as there."""
    import numpy as np
    import pandas as pd

    codes = {
        variable.name: _codes_by_text(variable)
        for variable in variables
        if variable.kind == CATEGORY
    }
    numeric = [v.name for v in variables if v.kind not in (TEXT, CATEGORY)]
    dtypes: dict[str, Any] = {variable.name: object for variable in variables}
    dtypes.update(dict.fromkeys(numeric, "float64"))
    # The texts in a fixed order, "" (missing) last; a text outside them reads as code -1.
    dtypes.update((name, pd.CategoricalDtype([*texts, ""])) for name, texts in codes.items())
    text = pd.read_csv(
        io.StringIO(block.text),
        sep=";",
        header=None,
        names=[variable.name for variable in variables],
        dtype=dtypes,
        keep_default_na=False,
        na_values={name: [""] for name in numeric},
    )
    columns: dict[str, pd.Series] = {}
    for variable in variables:
        values = text[variable.name]
        if variable.kind == TEXT:
            columns[variable.name] = pd.Series(
                _text_column(values.tolist(), variable.width), dtype=object
            )
        elif variable.kind == CATEGORY:
            positions = values.cat.codes.to_numpy()
            if (positions < 0).any():
                raise KeyError(f"{variable.name}: a code that is not among its categories")
            numbers = np.array([*codes[variable.name].values(), np.nan], dtype="float64")
            columns[variable.name] = pd.Series(numbers[positions])
        else:
            columns[variable.name] = pd.Series(values.to_numpy(dtype="float64"))
    return pd.DataFrame(columns)


def _codes_by_text(variable: Variable) -> dict[str, float]:
    """A category's SPSS code by the text the CSV writes for its value, the missing codes
    kept as they are (as `spss_frame` does)."""
    codes = {str(code): float(number) for code, number in variable.spss_codes().items()}
    if len(codes) != len(variable.choices):
        raise ValueError(f"{variable.name}: two codes are written alike")
    codes.update((str(code), float(code)) for code in variable.missing)
    return codes


def _text_column(values: list[str], width: int) -> list[str]:
    """A text column of one chunk, its first value padded to the variable's width in bytes.

    Every chunk must declare the same string width for its dictionary to match the first, and
    pyreadstat declares the longest value's: padding one value fixes it (and a column is never
    all empty). readstat pads the other values to that width itself, so the file's bytes are
    those of padding every value (tested), without a Python call per value."""
    if values:
        values[0] = _padded(values[0], max(width, 1))
    return values


def _padded(text: str, width: int) -> str:
    return text + " " * (width - len(text.encode()))


def _dictionary_end(header: bytes) -> tuple[int, int | None]:
    """Where the data starts in a SAV file, and where the 64-bit case count of the
    extension record 7.16 is (None without one)."""
    if header[:4] not in (b"$FL2", b"$FL3"):
        raise ValueError("not an SPSS file")
    position, case_count_at = 176, None
    while True:
        (record,) = struct.unpack_from("<i", header, position)
        position += 4
        if record == 2:  # variable
            _kind, has_label, missing_values = struct.unpack_from("<iii", header, position)
            position += 28
            if has_label:
                (length,) = struct.unpack_from("<i", header, position)
                position += 4 + (length + 3) // 4 * 4
            position += 8 * abs(missing_values)
        elif record == 3:  # value labels, always followed by record 4
            (count,) = struct.unpack_from("<i", header, position)
            position += 4
            for _index in range(count):
                position += 8
                position += (header[position] + 1 + 7) // 8 * 8
            (_record_4, count) = struct.unpack_from("<ii", header, position)
            position += 8 + 4 * count
        elif record == 6:  # documents
            (count,) = struct.unpack_from("<i", header, position)
            position += 4 + 80 * count
        elif record == 7:  # extension
            subtype, size, count = struct.unpack_from("<iii", header, position)
            position += 12
            if subtype == 16:
                case_count_at = position + 8
            position += size * count
        elif record == 999:
            return position + 4, case_count_at
        else:
            raise ValueError(f"unknown SAV record type {record}")


# SPSS's system-missing value (-DBL_MAX), which readstat writes for NaN.
SYSTEM_MISSING = -sys.float_info.max
# The longest text one SAV segment holds; longer ones would need "very long string" segments.
MAX_SAV_TEXT_BYTES = 255


def sav_data(variables: Sequence[Variable], frame: pd.DataFrame) -> bytes:
    """The data of uncompressed SAV for `frame` (a chunk's `spss_frame`), the bytes pyreadstat
    writes after the dictionary (tested byte for byte): per row, each number as a little-endian
    double (NaN as SYSTEM_MISSING) and each text as its UTF-8 bytes padded with spaces to its
    width rounded up to 8 bytes. Made by numpy as one array, where pyreadstat spends a Python
    call per row (0.83 s against 0.04 s for 100,000 rows of 26 variables).

    A text longer than its variable's width raises ValueError: it would shift the columns."""
    import numpy as np

    layout: list[tuple[str, str]] = []
    for variable in variables:
        if variable.kind == TEXT:
            layout.append((variable.name, f"S{_text_storage(variable)}"))
        else:
            layout.append((variable.name, "<f8"))
    data = np.empty(len(frame), dtype=layout)
    for variable in variables:
        column = frame[variable.name]
        if variable.kind == TEXT:
            data[variable.name] = _text_bytes(variable, column.tolist())
        else:
            values = column.to_numpy(dtype="float64")
            data[variable.name] = np.where(np.isnan(values), SYSTEM_MISSING, values)
    return data.tobytes()


def _text_storage(variable: Variable) -> int:
    """The bytes a text variable takes in a SAV row: its width rounded up to 8."""
    width = max(variable.width, 1)
    if width > MAX_SAV_TEXT_BYTES:
        raise ValueError(f"{variable.name}: texts over {MAX_SAV_TEXT_BYTES} bytes")
    return (width + 7) // 8 * 8


def _text_bytes(variable: Variable, values: list[str]) -> Any:
    """The texts as space-padded UTF-8 bytes of the variable's storage width."""
    import numpy as np

    try:
        encoded = np.array(values, dtype="S")  # ASCII, as the pseudonyms are
    except UnicodeEncodeError:
        encoded = np.array([value.encode() for value in values], dtype="S")
    width = max(variable.width, 1)
    if encoded.dtype.itemsize > width:  # the longest text's bytes
        raise ValueError(
            f"{variable.name}: a text of {encoded.dtype.itemsize} bytes, longer than its width "
            f"{width}, would shift the columns"
        )
    return np.char.ljust(encoded, _text_storage(variable), b" ")


def write_sav(
    path: Path,
    variables: Sequence[Variable],
    chunks: Iterable[Chunk | CopyBlock],
    *,
    expected_rows: int = 0,
    file_label: str = "",
) -> int:
    import pyreadstat

    metadata = spss_metadata(variables)
    rows = 0
    part = Path(f"{path}.chunk")
    case_count_at: int | None = None
    try:
        with open(path, "wb") as target:
            for chunk in chunks:
                if not chunk:
                    continue
                frame = (
                    spss_frame_of_copy(variables, chunk)
                    if isinstance(chunk, CopyBlock)
                    else spss_frame(variables, chunk)
                )
                if rows == 0:
                    # pyreadstat writes the header and the dictionary (of the first row, whose
                    # padded texts declare the widths); numpy the data of every row.
                    pyreadstat.write_sav(
                        frame.iloc[:1], str(part), file_label=file_label[:64], **metadata
                    )
                    content = part.read_bytes()
                    data_start, case_count_at = _dictionary_end(content)
                    target.write(memoryview(content)[:data_start])
                target.write(sav_data(variables, frame))
                rows += len(chunk)
            if rows == 0:
                pyreadstat.write_sav(
                    spss_frame(variables, []), str(part), file_label=file_label[:64], **metadata
                )
                target.write(part.read_bytes())
        with open(path, "r+b") as target:
            target.seek(80)
            target.write(struct.pack("<i", rows))
            if case_count_at is not None:
                target.seek(case_count_at)
                target.write(struct.pack("<q", rows))
    finally:
        part.unlink(missing_ok=True)
    return rows
