"""Reading a DUO CSV file: the format, the header check and the caps, one row at a time.

The file mirrors a DUO verzuimmelding: UTF-8 (a byte-order mark is accepted), a semicolon
between the columns, and one header row with the names in COLUMNS, in any order. A file has
at most MAX_FILE_BYTES and MAX_DATA_LINES data lines. Nothing here looks at a cell's meaning
(see rows.py) or at the database (see checks.py).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..exceptions import RuleViolation

MAX_FILE_BYTES = 10 * 1024 * 1024
# A 20,000-line file is checked and imported by the worker in well under a minute and 250 MB
# (benchmarks/import_20k.py). Larger files are split by the coordinator.
MAX_DATA_LINES = 20_000
# Blank lines are skipped but still read: they count towards this bound on all lines read.
MAX_PHYSICAL_LINES = 2 * MAX_DATA_LINES
# A DUO line is well under 1,000 characters; a longer one is not a CSV line of this format
# (and a line of 10 MB of delimiters would otherwise become a list of millions of cells).
MAX_LINE_CHARS = 50_000
DELIMITER = ";"
COLUMNS = (
    "meldingsdatum",
    "bsn",
    "onderwijsnummer",
    "tussenvoegsel",
    "achternaam",
    "voornamen",
    "geboortedatum",
    "brin",
    "soort_verzuim",
    "verzuim_vanaf",
    "verzuim_tot_en_met",
    "uren_verzuim",
    "keer_te_laat",
    "straat",
    "postcode",
    "plaats",
)
# Columns a file may leave out: older DUO files have no tussenvoegsel (the whole surname is
# then in achternaam, which the search and the display handle as well).
OPTIONAL_COLUMNS = ("tussenvoegsel",)
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if column not in OPTIONAL_COLUMNS)


class ImportFileInvalid(RuleViolation):
    """The file as a whole cannot be read: its size, encoding, delimiter, header or length."""


@dataclass(frozen=True)
class SourceRow:
    """One data line of the file: its cells by column name, or why it could not be split."""

    line_number: int
    cells: dict[str, str]
    problem: str = ""


def iter_rows(content: bytes) -> Iterator[SourceRow]:
    """The data rows of a CSV file, one at a time, each with its line number (header: line 1).

    Streams: the file is decoded and split as it is read, and only the current row exists as
    Python objects. Blank lines are skipped. Raises ImportFileInvalid, while iterating, when
    the file as a whole cannot be read, at the latest on data line MAX_DATA_LINES + 1.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileInvalid(too_large_message())
    if content.startswith(b"PK\x03\x04"):
        raise ImportFileInvalid(
            _(
                "Dit is een Excel-bestand, geen CSV-bestand. Sla het in Excel op als "
                "‘CSV UTF-8 (gescheiden door lijstscheidingsteken)’ en upload dat bestand."
            )
        )
    if b"\x00" in content:
        # UTF-16 without a byte-order mark decodes as UTF-8 full of NUL characters.
        raise ImportFileInvalid(
            _(
                "Verkeerde tekenset: het bestand is niet in UTF-8 opgeslagen (het lijkt UTF-16). "
                "Sla het op als ‘CSV UTF-8’ en upload het opnieuw."
            )
        )
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(_bounded_lines(text, content), delimiter=DELIMITER)
    try:
        header = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
        if header is None:
            raise ImportFileInvalid(_("Het bestand is leeg."))
        names = _header_names(header)
        previous, data_lines = reader.line_num, 0
        for cells in reader:
            line_number, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            data_lines += 1
            if data_lines > MAX_DATA_LINES:
                raise ImportFileInvalid(too_many_lines_message())
            while len(cells) > len(names) and not cells[-1].strip():
                cells.pop()  # a trailing delimiter, as spreadsheets sometimes write
            if len(cells) != len(names):
                yield SourceRow(
                    line_number,
                    {},
                    _(
                        "Deze regel heeft %(found)s kolommen in plaats van %(expected)s. "
                        "Controleer het scheidingsteken (;) en de aanhalingstekens."
                    )
                    % {"found": len(cells), "expected": len(names)},
                )
                continue
            yield SourceRow(
                line_number,
                {name: cell.strip() for name, cell in zip(names, cells, strict=True)},
            )
    except csv.Error:
        raise ImportFileInvalid(
            _(
                "Het bestand is geen leesbaar CSV-bestand (vanaf regel %(line)s). Controleer "
                "de aanhalingstekens."
            )
            % {"line": reader.line_num}
        ) from None


def _bounded_lines(text: io.TextIOWrapper, content: bytes) -> Iterator[str]:
    """The file's physical lines, refusing an over-long line, too many lines or bad UTF-8."""
    count = 0
    try:
        for line in text:
            count += 1
            if count > MAX_PHYSICAL_LINES:
                raise ImportFileInvalid(too_many_lines_message())
            if len(line) > MAX_LINE_CHARS:
                raise ImportFileInvalid(
                    _(
                        "Regel %(line)s is te lang: meer dan %(max)s tekens. Dit is geen "
                        "CSV-bestand met verzuimmeldingen."
                    )
                    % {"line": count, "max": number_format(MAX_LINE_CHARS, force_grouping=True)}
                )
            yield line
    except UnicodeDecodeError:
        # The wrapper decodes ahead, in blocks: find the exact line in the raw bytes.
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as error:
            line_number = content.count(b"\n", 0, error.start) + 1
        else:  # pragma: no cover - the wrapper and bytes.decode agree on UTF-8
            line_number = count + 1
        raise ImportFileInvalid(
            _(
                "Verkeerde tekenset: het bestand is niet in UTF-8 opgeslagen (het eerste "
                "onleesbare teken staat op regel %(line)s). Sla het op als ‘CSV UTF-8’ en "
                "upload het opnieuw."
            )
            % {"line": line_number}
        ) from None


def read_rows(content: bytes) -> list[SourceRow]:
    """All data rows of a (capped) file as a list; see iter_rows. For tests and scripts."""
    rows = list(iter_rows(content))
    if not rows:
        raise ImportFileInvalid(no_rows_message())
    return rows


def count_data_lines(content: bytes) -> int:
    """Read the whole file as a stream and return its number of data lines.

    Cheap and bounded: one row at a time, stopping at data line MAX_DATA_LINES + 1. Raises
    ImportFileInvalid for everything that makes the file as a whole unreadable.
    """
    lines = sum(1 for _row in iter_rows(content))
    if not lines:
        raise ImportFileInvalid(no_rows_message())
    return lines


def too_large_message() -> str:
    return _("Het bestand is groter dan %(max)s MB. Splits het in kleinere bestanden.") % {
        "max": MAX_FILE_BYTES // (1024 * 1024)
    }


def too_many_lines_message() -> str:
    return _(
        "Het bestand heeft meer dan %(max)s regels. Splits het in bestanden van hoogstens "
        "%(max)s meldingen en importeer ze na elkaar."
    ) % {"max": number_format(MAX_DATA_LINES, force_grouping=True)}


def no_rows_message() -> str:
    return _("Het bestand heeft een kopregel maar geen meldingen.")


def _header_names(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    while names and not names[-1]:
        names.pop()
    if len(names) <= 1:
        first = header[0] if header else ""
        found = _("tabs") if "\t" in first else _("komma’s") if "," in first else None
        if found:
            raise ImportFileInvalid(
                _(
                    "Verkeerd scheidingsteken: de kolommen zijn gescheiden door %(found)s. "
                    "Gebruik een puntkomma (;) tussen de kolommen."
                )
                % {"found": found}
            )
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise ImportFileInvalid(
            _("De eerste regel is geen kopregel met kolomnamen. Begin het bestand met: %(columns)s")
            % {"columns": DELIMITER.join(COLUMNS)}
        )
    unknown = [name for name in names if name not in COLUMNS]
    doubled = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    problems = []
    if missing:
        problems.append(
            _("De kopregel mist de kolommen: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if unknown:
        problems.append(
            _("De kopregel heeft onbekende kolommen: %(columns)s.")
            % {"columns": _shown_names(unknown)}
        )
    if doubled:
        problems.append(
            _("De kopregel noemt kolommen twee keer: %(columns)s.")
            % {"columns": ", ".join(doubled)}
        )
    if problems:
        raise ImportFileInvalid(" ".join(problems))
    return names


def _shown_names(names: list[str]) -> str:
    shown = [f"‘{name[:30]}’" if name else _("(een lege kolomnaam)") for name in names[:5]]
    if len(names) > 5:
        shown.append(_("en nog %(count)s") % {"count": len(names) - 5})
    return ", ".join(shown)
