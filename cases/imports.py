"""Bulk import of DUO verzuimmeldingen from a CSV file: read, check, preview, confirm or cancel.

The file mirrors a DUO verzuimmelding: UTF-8 (a byte-order mark is accepted), a semicolon
between the columns, and one header row with the names in COLUMNS, in any order. Dates are
YYYY-MM-DD or DD-MM-YYYY. A file has at most MAX_FILE_BYTES and MAX_DATA_LINES data lines.

The work runs as background tasks (cases.tasks, on the `manage.py db_worker` worker), so no web
request reads or imports thousands of rows:

- `import_upload` (the upload request) reads the file once as a stream, only to refuse a file
  that cannot be read as a whole (size, encoding, delimiter, header, too many lines); it stops
  at line MAX_DATA_LINES + 1. It stores the file (ImportFile) with a batch that is `checking`,
  and queues the check on commit.
- `import_check_run` (the check task) streams the rows, checks them in chunks of CHUNK against
  the rules and the database, and stores one ImportRow per line: what confirming will create,
  or why the line cannot be imported. The cells of the valid rows are kept, so that confirming
  does not need the file, which is deleted. The batch is then a `preview`.
- `import_confirm_request` (the confirm request) marks the batch `confirming` and queues
  `import_confirm_run` (the confirm task). That checks the valid rows again inside one
  transaction, chunk by chunk, with the matched children locked (a child may have got an open
  case since the preview), creates the households, children and cases in bulk and allocates
  every case to a study arm. Rows with errors are skipped and listed in the report. All valid
  rows are imported, or none: a confirmation that fails puts the batch back in preview with
  the reason, and it can be confirmed again.
- `import_cancel` imports nothing.
- `import_preview_create` and `import_confirm` do the same work at once, in this process, for
  tests, benchmarks and scripts.

Both tasks write their progress (percent, and when) on the batch; its page polls it. A batch
whose task has not reported for STALLED_AFTER most likely has no worker: the page says so,
and the batch can be cancelled (while checking) or confirmed again (nothing was imported).

Confirming and cancelling delete the rows' cells and keep the report: line numbers, case
numbers, error reasons.

A child is matched by BSN, else by onderwijsnummer, else new. An existing child is not
changed. A new child's household is an existing one at the same postcode and street (ignoring
case and spacing), else a new one, shared with the other new children of the file at that
address.

Messages never repeat a cell's value, so no name, BSN or date of birth ends up on screen, in
the kept report or in a log. The only exception is a BRIN that passed the format check.
"""

import csv
import datetime
import io
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import batched

from auditlog.context import auditlog_value
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from evaluation.services import Draw, allocations_record_bulk, draw_positions, stratum_key

from .access import require_coordinator
from .constants import CaseSource, CaseStatus, MeldingType
from .exceptions import RuleViolation
from .history import _request_context as request_context
from .history import log_bulk_create
from .models import (
    Case,
    Child,
    Household,
    ImportBatch,
    ImportFile,
    ImportRow,
    ImportRowStatus,
    ImportStatus,
    School,
    three_month_deadline,
)
from .services.numbers import case_numbers_reserve
from .services.referrals import referral_problems
from .validators import (
    normalise_brin,
    normalise_bsn,
    normalise_postcode,
    validate_brin,
    validate_bsn,
    validate_onderwijsnummer,
    validate_postcode,
)

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
# A 20,000-line file is checked and imported by the worker in well under a minute and 250 MB
# (benchmarks/import_20k.py). Larger files are split by the coordinator.
MAX_DATA_LINES = 20_000
# Blank lines are skipped but still read: they count towards this bound on all lines read.
MAX_PHYSICAL_LINES = 2 * MAX_DATA_LINES
# A DUO line is well under 1,000 characters; a longer one is not a CSV line of this format
# (and a line of 10 MB of delimiters would otherwise become a list of millions of cells).
MAX_LINE_CHARS = 50_000
# Longer cells cannot be a BSN, onderwijsnummer, BRIN or count; they are refused before any
# int() (Python refuses to convert more than 4,300 digits and raises ValueError).
MAX_NUMBER_CHARS = 20
DELIMITER = ";"
COLUMNS = (
    "meldingsdatum",
    "bsn",
    "onderwijsnummer",
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
ADDRESS_COLUMNS = ("straat", "postcode", "plaats")
# The database's limits (Child, Household and the case_absence_sane constraint).
MAX_LENGTHS = {"voornamen": 100, "achternaam": 150, "straat": 200, "plaats": 100}
MAX_HOURS_ABSENT = 2000
MAX_TIMES_LATE = 1000
# Rows per chunk: IN lists and bulk inserts stay well under SQLite's and PostgreSQL's parameter
# limits, and the tasks hold one chunk of rows in memory at a time.
CHUNK = 500
# An unfinished batch whose task has not reported for this long most likely has no worker
# (`manage.py db_worker` not running, or killed). A chunk takes about a second.
STALLED_AFTER = datetime.timedelta(minutes=5)

# The column a problem from referral_problems belongs to.
_REFERRAL_COLUMNS = {
    "date_received": "meldingsdatum",
    "period_end": "verzuim_tot_en_met",
    "date_of_birth": "geboortedatum",
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


class ImportFileInvalid(RuleViolation):
    """The file as a whole cannot be read: its size, encoding, delimiter, header or length."""


class ImportClosed(RuleViolation):
    """The batch is not open for this step: it is busy, or confirmed or cancelled already."""


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


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
            line = content.count(b"\n", 0, error.start) + 1
        else:  # pragma: no cover - the wrapper and bytes.decode agree on UTF-8
            line = count + 1
        raise ImportFileInvalid(
            _(
                "Verkeerde tekenset: het bestand is niet in UTF-8 opgeslagen (het eerste "
                "onleesbare teken staat op regel %(line)s). Sla het op als ‘CSV UTF-8’ en "
                "upload het opnieuw."
            )
            % {"line": line}
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
    missing = [column for column in COLUMNS if column not in names]
    if len(missing) == len(COLUMNS):
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


# ---------------------------------------------------------------------------------------------
# Checking the rows
# ---------------------------------------------------------------------------------------------


@dataclass
class RowCheck:
    """One row after checking: its errors, or what confirming it creates or reuses."""

    line_number: int
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    date_received: datetime.date | None = None
    date_of_birth: datetime.date | None = None
    bsn: str | None = None
    onderwijsnummer: str | None = None
    melding_type: str = ""
    brin: str = ""
    school_id: int | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    hours_absent: int = 0
    times_late: int = 0
    postcode: str = ""
    child_id: int | None = None  # an existing child
    child_school_id: int | None = None  # an existing child's school, which stays as it is
    household_id: int | None = None  # an existing household
    household_key: tuple[str, str] | None = None  # a new household, shared within the file
    same_household_as_line: int | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class CheckState:
    """What checking remembers from earlier chunks of the same file: the children seen (for
    duplicates within the file) and the first line of each new household. Small: two keys per
    line at most."""

    seen_children: dict[tuple[str, str], int] = field(default_factory=dict)
    new_households: dict[tuple[str, str], int] = field(default_factory=dict)
    # The known households by (postcode, street), of the postcodes looked up so far: each
    # postcode is read once per file, not once per chunk (the confirmation adds the households
    # it creates, so a later chunk joins them).
    households: dict[tuple[str, str], int] = field(default_factory=dict)
    postcodes_read: set[str] = field(default_factory=set)


def check_rows(
    source_rows: Iterable[SourceRow], *, lock: bool = False, state: CheckState | None = None
) -> list[RowCheck]:
    """Check rows against the referral rules and the database, in file order.

    The database is read in a handful of queries per 500 rows, never per row. With `lock`, the
    matched children are locked (select_for_update) until the end of the caller's transaction.
    A file checked in chunks passes the same `state` to each chunk, in file order.
    """
    state = state if state is not None else CheckState()
    today = timezone.localdate()
    checks = []
    for row in source_rows:
        check = RowCheck(row.line_number, row.cells)
        if row.problem:
            check.errors.append(row.problem)
        else:
            _check_cells(check, today=today)
        checks.append(check)
    known = _Known.load([check for check in checks if check.cells], lock=lock, state=state)
    for check in checks:
        if check.cells:
            _check_against_database(check, known, state.seen_children, state.new_households)
    return checks


def _parse_date(value: str) -> datetime.date | None:
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _DUTCH_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _street_key(street: str) -> str:
    return " ".join(street.split()).casefold()


def _check_cells(check: RowCheck, *, today: datetime.date) -> None:
    """The checks that need no database: presence, format, identifiers, dates, counts."""
    cells, errors = check.cells, check.errors

    def required(column: str) -> str:
        value = cells.get(column, "")
        if not value:
            errors.append(_("%(column)s ontbreekt: dit veld is verplicht.") % {"column": column})
        return value

    def date(column: str) -> datetime.date | None:
        value = required(column)
        parsed = _parse_date(value) if value else None
        if value and parsed is None:
            errors.append(
                _("%(column)s is geen geldige datum: gebruik JJJJ-MM-DD of DD-MM-JJJJ.")
                % {"column": column}
            )
        return parsed

    def count(column: str, maximum: int) -> int:
        value = cells.get(column, "")
        if not value:
            return 0
        if (
            len(value) > MAX_NUMBER_CHARS  # before int(): see MAX_NUMBER_CHARS
            or not (value.isascii() and value.isdigit())
            or int(value) > maximum
        ):
            errors.append(
                _("%(column)s moet een geheel getal van 0 tot en met %(max)s zijn.")
                % {"column": column, "max": maximum}
            )
            return 0
        return int(value)

    def identifier(column: str, value: str, validate) -> str | None:
        if not value:
            return None
        if len(value) > MAX_NUMBER_CHARS:  # stdnum calls int() on the whole value
            errors.append(
                _("%(column)s is te lang: een geldig nummer heeft hoogstens %(max)s tekens.")
                % {"column": column, "max": 9 if column != "brin" else 6}
            )
            return None
        try:
            validate(value)
        except ValidationError as error:
            errors.append(
                _("%(column)s: %(message)s") % {"column": column, "message": error.messages[0]}
            )
            return None
        return value

    check.date_received = date("meldingsdatum")
    check.bsn = identifier("bsn", normalise_bsn(cells.get("bsn", "")), validate_bsn)
    raw_onderwijsnummer = cells.get("onderwijsnummer", "")
    check.onderwijsnummer = identifier(
        "onderwijsnummer",
        stdnum_onderwijsnummer.compact(raw_onderwijsnummer) if raw_onderwijsnummer else "",
        validate_onderwijsnummer,
    )
    if not cells.get("bsn") and not raw_onderwijsnummer:
        errors.append(_("bsn en onderwijsnummer ontbreken: vul er minstens één in."))
    for column in ("achternaam", "voornamen"):
        if len(required(column)) > MAX_LENGTHS[column]:
            errors.append(
                _("%(column)s is te lang: hoogstens %(max)s tekens.")
                % {"column": column, "max": MAX_LENGTHS[column]}
            )
    check.date_of_birth = date("geboortedatum")
    if check.date_of_birth and check.date_of_birth > today:
        errors.append(_("geboortedatum ligt in de toekomst."))

    melding_type = required("soort_verzuim").lower()
    if melding_type and melding_type not in MeldingType.values:
        errors.append(
            _("soort_verzuim is onbekend: kies uit %(choices)s.")
            % {"choices": ", ".join(MeldingType.values)}
        )
    elif melding_type:
        check.melding_type = melding_type

    raw_brin = cells.get("brin", "")
    if raw_brin:
        check.brin = identifier("brin", normalise_brin(raw_brin).upper(), validate_brin) or ""
    elif melding_type and melding_type != MeldingType.ABSOLUUT:
        errors.append(_("brin ontbreekt: alleen bij absoluut verzuim mag de school leeg zijn."))

    check.period_start = date("verzuim_vanaf")
    check.period_end = date("verzuim_tot_en_met")
    check.hours_absent = count("uren_verzuim", MAX_HOURS_ABSENT)
    check.times_late = count("keer_te_laat", MAX_TIMES_LATE)
    check.postcode = normalise_postcode(cells.get("postcode", ""))


@dataclass
class _Known:
    """What the database already holds about the rows, loaded in a few queries."""

    schools: dict[str, int]
    children_by_bsn: dict[str, dict]
    children_by_onderwijsnummer: dict[str, dict]
    open_case_numbers: dict[int, str]
    households: dict[tuple[str, str], int]

    @classmethod
    def load(cls, checks: Sequence[RowCheck], *, lock: bool, state: CheckState) -> "_Known":
        brins = {check.brin for check in checks if check.brin}
        schools = dict(
            pair
            for chunk in _chunks(brins | {brin[:4] for brin in brins})
            for pair in School.objects.filter(brin__in=chunk).values_list("brin", "pk")
        )

        children = Child.objects.select_for_update() if lock else Child.objects.all()
        child_fields = (
            "pk",
            "bsn",
            "onderwijsnummer",
            "date_of_birth",
            "household_id",
            "school_id",
        )
        by_bsn = {
            child["bsn"]: child
            for chunk in _chunks({check.bsn for check in checks if check.bsn})
            for child in children.filter(bsn__in=chunk).values(*child_fields)
        }
        by_onderwijsnummer = {
            child["onderwijsnummer"]: child
            for chunk in _chunks({c.onderwijsnummer for c in checks if c.onderwijsnummer})
            for child in children.filter(onderwijsnummer__in=chunk).values(*child_fields)
        }
        child_ids = {child["pk"] for child in [*by_bsn.values(), *by_onderwijsnummer.values()]}
        open_case_numbers = {
            child_id: number
            for chunk in _chunks(child_ids)
            for child_id, number in Case.objects.filter(child_id__in=chunk, status=CaseStatus.OPEN)
            .order_by("-date_received", "-pk")
            .values_list("child_id", "number")
        }

        # Households are stored with a normalised postcode; look for the compact form as well.
        postcodes = {check.postcode for check in checks if check.postcode}
        postcodes |= {postcode.replace(" ", "") for postcode in postcodes}
        postcodes -= state.postcodes_read
        state.postcodes_read |= postcodes
        households = state.households
        for chunk in _chunks(postcodes):
            rows = (
                Household.objects.filter(postcode__in=chunk)
                .order_by("pk")
                .values_list("pk", "postcode", "street")
            )
            for pk, postcode, street in rows:
                households.setdefault((normalise_postcode(postcode), _street_key(street)), pk)
        return cls(schools, by_bsn, by_onderwijsnummer, open_case_numbers, households)


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _check_against_database(
    check: RowCheck,
    known: _Known,
    seen_children: dict[tuple[str, str], int],
    new_households: dict[tuple[str, str], int],
) -> None:
    """Match the child and household, and check duplicates, school, period and age."""
    errors = check.errors

    identifiers = [
        (kind, value)
        for kind, value in (("bsn", check.bsn), ("onderwijsnummer", check.onderwijsnummer))
        if value
    ]
    earlier = [seen_children[key] for key in identifiers if key in seen_children]
    if earlier:
        errors.append(
            _("dubbel: dit kind staat al op regel %(line)s van dit bestand")
            % {"line": min(earlier)}
        )
    for key in identifiers:
        seen_children.setdefault(key, check.line_number)

    if check.brin:
        check.school_id = known.schools.get(check.brin) or known.schools.get(check.brin[:4])
        if check.school_id is None:
            errors.append(
                _("brin: er is geen school met BRIN %(brin)s bekend; de beheerder voegt ze toe.")
                % {"brin": check.brin}
            )

    by_bsn = known.children_by_bsn.get(check.bsn) if check.bsn else None
    by_onderwijsnummer = (
        known.children_by_onderwijsnummer.get(check.onderwijsnummer)
        if check.onderwijsnummer
        else None
    )
    child = by_bsn or by_onderwijsnummer
    if by_bsn and by_onderwijsnummer and by_bsn["pk"] != by_onderwijsnummer["pk"]:
        errors.append(_("bsn en onderwijsnummer horen bij twee verschillende bekende kinderen."))
        return
    if by_onderwijsnummer and not by_bsn and check.bsn and by_onderwijsnummer["bsn"]:
        errors.append(_("onderwijsnummer hoort bij een bekend kind met een ander BSN."))
        return

    if child is not None:
        check.child_id, check.household_id = child["pk"], child["household_id"]
        check.child_school_id = child["school_id"]
        date_of_birth = child["date_of_birth"]
        if number := known.open_case_numbers.get(child["pk"]):
            errors.append(
                _("dubbel: dit kind heeft al een open zaak (%(number)s)") % {"number": number}
            )
    else:
        date_of_birth = check.date_of_birth
        _check_new_address(check, known)

    if date_of_birth and check.date_received and check.period_start and check.period_end:
        problems = referral_problems(
            child=Child(date_of_birth=date_of_birth),  # unsaved: no open-case query
            date_received=check.date_received,
            period_start=check.period_start,
            period_end=check.period_end,
        )
        for key, message in problems.items():
            errors.append(f"{_REFERRAL_COLUMNS.get(key, key)}: {message}")

    # A new household is shared only between valid rows: an invalid row creates nothing.
    if check.is_valid and check.household_key is not None:
        first = new_households.setdefault(check.household_key, check.line_number)
        if first != check.line_number:
            check.same_household_as_line = first


def _check_new_address(check: RowCheck, known: _Known) -> None:
    """A new child needs an address: it joins the household there, or a new one."""
    cells, errors = check.cells, check.errors
    complete = True
    for column in ADDRESS_COLUMNS:
        if not cells.get(column):
            errors.append(
                _("%(column)s ontbreekt: een nieuw kind heeft een adres nodig.")
                % {"column": column}
            )
            complete = False
    for column in ("straat", "plaats"):
        if len(cells.get(column, "")) > MAX_LENGTHS[column]:
            errors.append(
                _("%(column)s is te lang: hoogstens %(max)s tekens.")
                % {"column": column, "max": MAX_LENGTHS[column]}
            )
            complete = False
    if cells.get("postcode"):
        try:
            validate_postcode(check.postcode)
        except ValidationError as error:
            errors.append(_("postcode: %(message)s") % {"message": error.messages[0]})
            complete = False
    if complete:
        key = (check.postcode, _street_key(cells["straat"]))
        check.household_id = known.households.get(key)
        if check.household_id is None:
            check.household_key = key


# ---------------------------------------------------------------------------------------------
# The batch: upload and check, confirm, cancel
# ---------------------------------------------------------------------------------------------


def get_import_batch_for_user(user, pk: int) -> ImportBatch:
    """The batch `pk` for a coordinator. PermissionDenied for anyone else; 404 if unknown."""
    require_coordinator(user)
    batch = ImportBatch.objects.select_related("uploaded_by", "finished_by").filter(pk=pk).first()
    if batch is None:
        raise Http404("No import batch found")
    return batch


def recent_import_batches(*, limit: int = 10) -> list[ImportBatch]:
    return list(ImportBatch.objects.select_related("uploaded_by").order_by("-uploaded_at")[:limit])


def is_stalled(batch: ImportBatch, now: datetime.datetime | None = None) -> bool:
    """True when a busy batch's task has not reported for STALLED_AFTER: queued and never
    picked up, or its worker stopped."""
    if not batch.is_busy:
        return False
    last_sign = batch.progress_at or batch.uploaded_at
    return (now or timezone.now()) - last_sign >= STALLED_AFTER


def _store_upload(*, content: bytes, file_name: str, actor) -> ImportBatch:
    """Refuse a file that cannot be read as a whole, else store it as a batch being checked.

    Must run inside transaction.atomic(). Reads the file once as a stream (count_data_lines).
    """
    row_count = count_data_lines(content)
    now = timezone.now()
    batch = ImportBatch.objects.create(
        file_name=os.path.basename(file_name)[:255],
        uploaded_by=actor,
        status=ImportStatus.CHECKING,
        row_count=row_count,
        progress_at=now,
    )
    ImportFile.objects.create(batch=batch, content=content)
    return batch


def import_upload(
    *, content: bytes, file_name: str, actor, language: str | None = None
) -> ImportBatch:
    """Store an uploaded CSV file as a batch being checked; queue the check task on commit.

    Raises ImportFileInvalid, and stores nothing, when the file as a whole cannot be read or
    has more than MAX_DATA_LINES data lines. Row errors are found by the check task. The
    check's messages are in `language` (default: the active language).
    """
    from .tasks import check_import_batch

    language = language or translation.get_language()
    with transaction.atomic():
        batch = _store_upload(content=content, file_name=file_name, actor=actor)
        transaction.on_commit(partial(check_import_batch.enqueue, batch.pk, language))
    logger.info("Import %s: %s lines uploaded, check queued", batch.pk, batch.row_count)
    return batch


def import_preview_create(*, content: bytes, file_name: str, actor) -> ImportBatch:
    """Upload and check at once, in this process: what import_upload and the check task do.

    For tests, benchmarks and scripts. Raises ImportFileInvalid as import_upload does.
    """
    with transaction.atomic():
        batch = _store_upload(content=content, file_name=file_name, actor=actor)
    checked = import_check_run(batch_id=batch.pk)
    assert checked is not None
    return checked


def import_check_run(*, batch_id: int, language: str | None = None) -> ImportBatch | None:
    """Check a batch's file row by row and store its preview. The body of the check task.

    Only a batch that is `checking` is checked, so a task delivered again after the check does
    nothing; a check that starts again first removes the rows of an earlier attempt. Streams
    the file and stores the rows a chunk at a time, writing the progress after each chunk.
    Ends in `preview` (the file is deleted), or in `failed` with a message (the file and rows
    are deleted). Returns the batch, or None when it does not exist.
    """
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != ImportStatus.CHECKING:
        return batch
    upload = ImportFile.objects.filter(batch_id=batch_id).first()
    try:
        with translation.override(language or translation.get_language()):
            if upload is None:
                raise ImportFileInvalid(_("Het bestand van deze import is er niet meer."))
            totals = _check_and_store(batch, bytes(upload.content))  # memoryview on PostgreSQL
    except Exception as error:
        if isinstance(error, ImportFileInvalid):
            message = str(error)
        else:
            logger.exception("Import %s: the check failed", batch_id)
            message = _(
                "De controle is mislukt door een fout op de server. Upload het bestand "
                "opnieuw; blijft het misgaan, meld dan importnummer %(number)s aan de beheerder."
            ) % {"number": batch_id}
        with transaction.atomic():
            ImportRow.objects.filter(batch_id=batch_id).delete()
            ImportFile.objects.filter(batch_id=batch_id).delete()
            ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
                status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
            )
        return ImportBatch.objects.get(pk=batch_id)
    row_count, valid_count = totals
    with transaction.atomic():
        done = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
            status=ImportStatus.PREVIEW,
            row_count=row_count,
            valid_count=valid_count,
            error_count=row_count - valid_count,
            progress=100,
            progress_at=timezone.now(),
            error="",
        )
        ImportFile.objects.filter(batch_id=batch_id).delete()
        if not done:  # cancelled while it was being checked: keep no cells
            ImportRow.objects.filter(batch_id=batch_id).update(
                status=ImportRowStatus.SKIPPED, payload=None
            )
    logger.info(
        "Import %s: preview of %s rows, %s with errors",
        batch_id,
        row_count,
        row_count - valid_count,
    )
    return ImportBatch.objects.get(pk=batch_id)


def _check_and_store(batch: ImportBatch, content: bytes) -> tuple[int, int]:
    """Check the file's rows a chunk at a time and store them; returns (rows, valid rows)."""
    ImportRow.objects.filter(batch_id=batch.pk).delete()  # of an attempt that was cut off
    progress = _Progress(batch.pk, total=batch.row_count)
    state = CheckState()
    row_count = valid_count = 0
    for chunk in batched(iter_rows(content), CHUNK):
        checks = check_rows(chunk, state=state)
        ImportRow.objects.bulk_create(_preview_row(batch, check) for check in checks)
        row_count += len(checks)
        valid_count += sum(check.is_valid for check in checks)
        progress(row_count)
    if not row_count:
        raise ImportFileInvalid(no_rows_message())
    return row_count, valid_count


def _preview_row(batch: ImportBatch, check: RowCheck) -> ImportRow:
    return ImportRow(
        batch=batch,
        line_number=check.line_number,
        status=ImportRowStatus.VALID if check.is_valid else ImportRowStatus.ERROR,
        payload=check.cells if check.is_valid else None,
        errors=check.errors,
        child_is_new=check.child_id is None if check.is_valid else None,
        household_is_new=check.household_id is None if check.is_valid else None,
        same_household_as_line=check.same_household_as_line,
    )


class _Progress:
    """Writes a task's percentage (0-99; 100 is written with the result) and the time.

    Only when the percentage changes. Outside a transaction the update is seen at once. Inside
    the confirmation's transaction it goes through a second connection of its own (PostgreSQL
    only: SQLite has one writer at a time, the transaction itself), and skips the update when
    the batch row is locked rather than wait for it.
    """

    def __init__(self, batch_id: int, *, total: int, in_transaction: bool = False):
        self.batch_id, self.total, self.in_transaction = batch_id, max(total, 1), in_transaction
        self.shown = 0
        self._side_connection = None

    def __call__(self, done: int) -> None:
        percent = min(99, done * 100 // self.total)
        if percent == self.shown:
            return
        self.shown = percent
        now = timezone.now()
        if not self.in_transaction:
            ImportBatch.objects.filter(pk=self.batch_id).update(progress=percent, progress_at=now)
        elif connection.vendor == "postgresql":
            self._write_aside(percent, now)

    def _write_aside(self, percent: int, now: datetime.datetime) -> None:
        try:
            if self._side_connection is None:
                self._side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
            side = self._side_connection
            table = side.ops.quote_name(ImportBatch._meta.db_table)  # no user input
            sql = (
                f"UPDATE {table} SET progress = %s, progress_at = %s WHERE id = "  # noqa: S608
                f"(SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)"
            )
            with side.cursor() as cursor:
                cursor.execute(
                    sql, [percent, side.ops.adapt_datetimefield_value(now), self.batch_id]
                )
        except DatabaseError:
            logger.warning("Import %s: could not write the progress", self.batch_id)

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None


def _closed_message(status: str) -> str:
    if status == ImportStatus.IMPORTED:
        return _("Deze import is al uitgevoerd. Er is niets opnieuw geïmporteerd of gewijzigd.")
    if status == ImportStatus.CANCELLED:
        return _(
            "Deze import is geannuleerd; er is niets geïmporteerd. Upload het bestand "
            "opnieuw om het toch te importeren."
        )
    if status == ImportStatus.FAILED:
        return _("De controle van dit bestand is mislukt; er is niets geïmporteerd.")
    if status == ImportStatus.CHECKING:
        return _("Het bestand wordt nog gecontroleerd. Bevestig als de voorvertoning klaar is.")
    return _("Deze import wordt al uitgevoerd. Wacht tot hij klaar is.")


def _confirm_claim(batch: ImportBatch) -> None:
    """Move the batch from preview to confirming, once: a conditional update, so of two clicks
    (or two coordinators) one wins and the other gets ImportClosed. A confirmation whose
    worker is silent for STALLED_AFTER may be claimed again: its transaction, if any, was
    rolled back, and the task that imports last finds the batch imported and does nothing."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.PREVIEW) | Q(
        status=ImportStatus.CONFIRMING, progress_at__lte=now - STALLED_AFTER
    )
    claimed = ImportBatch.objects.filter(claimable, pk=batch.pk).update(
        status=ImportStatus.CONFIRMING, progress=0, progress_at=now, error=""
    )
    if not claimed:
        status = ImportBatch.objects.filter(pk=batch.pk).values_list("status", flat=True).first()
        raise ImportClosed(_closed_message(status or ImportStatus.CANCELLED))


def import_confirm_request(
    *, batch: ImportBatch, actor, remote_addr: str | None = None, language: str | None = None
) -> ImportBatch:
    """Mark the batch `confirming` and queue the confirm task on commit.

    Raises ImportClosed when the batch is not in preview (checking, already confirming,
    imported or cancelled); then nothing changes. `remote_addr` goes into the change history
    of the created records, as for a change made in the request.
    """
    from .tasks import confirm_import_batch

    language = language or translation.get_language()
    if remote_addr is None:  # in a request: the address its own changes are recorded with
        remote_addr = request_context().get("remote_addr")
    with transaction.atomic():
        _confirm_claim(batch)
        transaction.on_commit(
            partial(confirm_import_batch.enqueue, batch.pk, actor.pk, remote_addr, language)
        )
    logger.info("Import %s: confirmation queued", batch.pk)
    batch.refresh_from_db()
    return batch


def import_confirm(*, batch: ImportBatch, actor) -> ImportBatch:
    """Confirm and import at once, in this process: what import_confirm_request and the
    confirm task do. For tests, benchmarks and scripts.

    Raises ImportClosed when the batch is not in preview, and RuleViolation when the import
    failed (then nothing is imported and the batch is back in preview, with the reason).
    """
    _confirm_claim(batch)
    return _confirm(batch_id=batch.pk, actor=actor)


def import_confirm_run(
    *,
    batch_id: int,
    actor_id: int,
    remote_addr: str | None = None,
    language: str | None = None,
) -> ImportBatch | None:
    """The body of the confirm task: import a `confirming` batch; never raises.

    A batch that is not `confirming` (imported meanwhile, or a task delivered twice) is left
    alone. A failure puts the batch back in preview with the reason (see _confirm). The
    created records' history names the actor and `remote_addr`, as in the request.
    """
    actor = get_user_model().objects.filter(pk=actor_id).first()
    token = auditlog_value.set({"actor": actor, "remote_addr": remote_addr})
    try:
        with translation.override(language or translation.get_language()):
            return _confirm(batch_id=batch_id, actor=actor)
    except ImportClosed:
        return ImportBatch.objects.filter(pk=batch_id).first()
    except Exception:  # recorded on the batch by _confirm; the traceback is in the log
        return ImportBatch.objects.filter(pk=batch_id).first()
    finally:
        auditlog_value.reset(token)


def _confirm(*, batch_id: int, actor) -> ImportBatch:
    """Import the valid rows of a `confirming` batch in one transaction; skip and report the
    others. All valid rows, or none.

    The rows are read, checked again and imported a chunk at a time, in file order, inside the
    one transaction: a row that became a duplicate since the preview is skipped and reported.
    Each case gets its case number and its study arm (block randomisation) in the same
    transaction. The batch becomes `imported` at the end, conditionally: if it was cancelled
    or imported meanwhile, everything is rolled back (ImportClosed). On any failure nothing
    is imported and the batch goes back to preview with the reason: RuleViolation for a
    concurrent registration, the original exception otherwise.
    """
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportStatus.CONFIRMING:
        raise ImportClosed(_closed_message(batch.status))
    progress = _Progress(batch_id, total=batch.valid_count, in_transaction=True)
    try:
        with transaction.atomic():
            imported = _import_valid_rows(batch, actor=actor, progress=progress)
            ImportRow.objects.filter(batch_id=batch_id, status=ImportRowStatus.ERROR).update(
                status=ImportRowStatus.SKIPPED, payload=None
            )
            now = timezone.now()
            finished = ImportBatch.objects.filter(
                pk=batch_id, status=ImportStatus.CONFIRMING
            ).update(
                status=ImportStatus.IMPORTED,
                imported_count=imported,
                skipped_count=batch.row_count - imported,
                finished_by=actor,
                finished_at=now,
                progress=100,
                progress_at=now,
                error="",
            )
            if not finished:
                status = ImportBatch.objects.get(pk=batch_id).status
                raise ImportClosed(_closed_message(status))
    except ImportClosed:
        raise
    except (IntegrityError, OperationalError):
        # A unique BSN or case number taken meanwhile, or a deadlock between two imports.
        logger.warning("Import %s: collided with a concurrent registration", batch_id)
        message = _(
            "Tijdens het importeren is een van deze kinderen of zaken ook op een andere "
            "manier vastgelegd. Er is niets geïmporteerd. Bevestig de import opnieuw: "
            "de regels worden dan opnieuw gecontroleerd."
        )
        _confirm_failed(batch_id, message)
        raise RuleViolation(message) from None
    except Exception:
        logger.exception("Import %s: the confirmation failed", batch_id)
        _confirm_failed(
            batch_id,
            _(
                "Het importeren is mislukt door een fout op de server. Er is niets "
                "geïmporteerd. Bevestig de import opnieuw; blijft het misgaan, meld dan "
                "importnummer %(number)s aan de beheerder."
            )
            % {"number": batch_id},
        )
        raise
    finally:
        progress.close()
    batch.refresh_from_db()
    logger.info(
        "Import %s: %s cases created, %s rows skipped",
        batch_id,
        batch.imported_count,
        batch.skipped_count,
    )
    return batch


def _import_valid_rows(batch: ImportBatch, *, actor, progress: "_Progress") -> int:
    """Check and import the valid rows a chunk at a time; returns the number of cases."""
    state = CheckState()
    imported = done = last_line = 0
    while True:
        rows = list(
            ImportRow.objects.filter(
                batch_id=batch.pk, status=ImportRowStatus.VALID, line_number__gt=last_line
            ).order_by("line_number")[:CHUNK]
        )
        if not rows:
            return imported
        last_line = rows[-1].line_number
        checks = check_rows(
            [SourceRow(row.line_number, row.payload or {}) for row in rows],
            lock=True,
            state=state,
        )
        cases = _create_cases(checks, actor=actor, state=state)
        # Rewriting the rows is much faster than bulk_update with hundreds of CASE branches.
        ImportRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
        ImportRow.objects.bulk_create(
            _report_row(batch, row, check, cases.get(check.line_number))
            for row, check in zip(rows, checks, strict=True)
        )
        imported += len(cases)
        done += len(rows)
        progress(done)


def _confirm_failed(batch_id: int, message: str) -> None:
    """Put a failed confirmation back in preview, with the reason: it can be confirmed again."""
    try:
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CONFIRMING).update(
            status=ImportStatus.PREVIEW, progress=0, progress_at=timezone.now(), error=message
        )
    except DatabaseError:  # the database is gone: the batch shows as stalled, and can be retried
        logger.exception("Import %s: could not record the failed confirmation", batch_id)


def _report_row(batch: ImportBatch, row: ImportRow, check: RowCheck, case: Case | None):
    """What the report keeps of a row: no cells, only the outcome."""
    return ImportRow(
        batch=batch,
        line_number=row.line_number,
        status=ImportRowStatus.IMPORTED if case else ImportRowStatus.SKIPPED,
        payload=None,
        errors=[] if case else check.errors,
        child_is_new=row.child_is_new,
        household_is_new=row.household_is_new,
        same_household_as_line=row.same_household_as_line,
        case=case,
        case_number=case.number if case else "",
    )


def import_cancel(*, batch: ImportBatch, actor) -> ImportBatch:
    """Cancel a batch: nothing is imported, and the file and the rows' cells are deleted.

    Allowed in preview, and while checking or confirming only when the task is stalled (see
    is_stalled): a confirmation that still finishes then finds the batch cancelled and rolls
    back. Raises ImportClosed otherwise, changing nothing.
    """
    batch = ImportBatch.objects.get(pk=batch.pk)
    # Checked before locking as well: a running confirmation holds a lock on the batch row
    # until it ends, and the request should not wait for that.
    if not (batch.status == ImportStatus.PREVIEW or is_stalled(batch)):
        raise ImportClosed(_closed_message(batch.status))
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update(of=("self",))
            .select_related("uploaded_by", "finished_by")
            .get(pk=batch.pk)
        )
        if not (batch.status == ImportStatus.PREVIEW or is_stalled(batch)):
            raise ImportClosed(_closed_message(batch.status))
        ImportFile.objects.filter(batch_id=batch.pk).delete()
        batch.rows.update(status=ImportRowStatus.SKIPPED, payload=None)
        batch.status = ImportStatus.CANCELLED
        batch.skipped_count = batch.row_count
        batch.finished_by = actor
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "skipped_count", "finished_by", "finished_at"])
    logger.info("Import %s: cancelled", batch.pk)
    return batch


def _create_cases(
    checks: Sequence[RowCheck], *, actor, state: CheckState | None = None
) -> dict[int, Case]:
    """Households, children, cases and allocations for the valid rows, in bulk, in file order.

    The result equals what household_register, child_register and referral_register (with
    allocate_block_random) would create row by row: the same normalised values, the case
    numbers of each year in file order, the three-month deadline, and per stratum the next
    positions of the block randomisation. Returns the cases by line number.
    """
    valid = [check for check in checks if check.is_valid]

    households: dict[tuple[str, str], Household] = {}
    for check in valid:
        if check.household_key is not None and check.household_key not in households:
            households[check.household_key] = Household(
                street=check.cells["straat"].strip(),
                postcode=check.postcode,
                city=check.cells["plaats"].strip(),
            )
    Household.objects.bulk_create(households.values(), batch_size=CHUNK)
    if state is not None:  # later chunks of the file join these households
        state.households.update((key, household.pk) for key, household in households.items())
    # bulk_create sends no signals: the change history is written explicitly.
    log_bulk_create(list(households.values()), actor=actor)

    children: dict[int, Child] = {}
    for check in valid:
        if check.child_id is None:
            children[check.line_number] = Child(
                first_name=check.cells["voornamen"].strip(),
                last_name=check.cells["achternaam"].strip(),
                date_of_birth=check.date_of_birth,
                bsn=check.bsn or None,
                onderwijsnummer=check.onderwijsnummer or None,
                school_id=check.school_id,
                household_id=check.household_id or households[check.household_key].pk,
            )
    Child.objects.bulk_create(children.values(), batch_size=CHUNK)
    log_bulk_create(list(children.values()), actor=actor)

    per_year = Counter(check.date_received.year for check in valid)
    numbers = {
        year: iter(case_numbers_reserve(year=year, count=count))
        for year, count in sorted(per_year.items())
    }
    cases: dict[int, Case] = {}
    for check in valid:
        cases[check.line_number] = Case(
            number=next(numbers[check.date_received.year]),
            child_id=check.child_id or children[check.line_number].pk,
            date_received=check.date_received,
            source=CaseSource.DUO,
            melding_type=check.melding_type,
            hours_absent=check.hours_absent,
            times_late=check.times_late,
            period_start=check.period_start,
            period_end=check.period_end,
            three_month_deadline=three_month_deadline(check.date_received),
        )
    drawn = _draw_arms(valid, cases)
    Case.objects.bulk_create(cases.values(), batch_size=CHUNK)
    log_bulk_create(list(cases.values()), actor=actor)
    allocations_record_bulk(drawn=drawn, actor=actor)
    return cases


def _draw_arms(valid: Sequence[RowCheck], cases: dict[int, Case]) -> list[tuple[Case, Draw]]:
    """Allocate every case to its arm as allocate_block_random would, one after the other.

    Done in bulk because 10,000 separate draws take minutes: evaluation.services draws all
    positions with each stratum's sequence row locked once, in file order.
    """
    school_ids = {check.child_school_id or check.school_id for check in valid} - {None}
    levels = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "level"))
    strata = []
    for check in valid:
        school_id = check.child_school_id if check.child_id else check.school_id
        strata.append(stratum_key(check.melding_type, levels.get(school_id)))
    drawn = []
    for check, draw in zip(valid, draw_positions(strata), strict=True):
        case = cases[check.line_number]
        case.arm = draw.arm
        drawn.append((case, draw))
    return drawn
