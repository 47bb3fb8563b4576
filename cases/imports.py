"""Bulk import of DUO verzuimmeldingen from a CSV file: read, check, preview, confirm or cancel.

The file mirrors a DUO verzuimmelding: UTF-8 (a byte-order mark is accepted), a semicolon
between the columns, and one header row with the names in COLUMNS, in any order. Dates are
YYYY-MM-DD or DD-MM-YYYY.

- `import_preview_create` reads the file, checks every row against the rules and the database,
  and stores an ImportBatch in preview with one ImportRow per line: what confirming will
  create, or why the line cannot be imported. The cells of the valid rows are kept, so that
  confirming does not need the file again.
- `import_confirm` checks those rows again inside one transaction, with the matched children
  locked (a child may have got an open case since the preview), then creates the households,
  children and cases in bulk and allocates every case to a study arm. Rows with errors are
  skipped and listed in the report. All valid rows are imported, or none.
- `import_cancel` imports nothing.

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

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from evaluation.services import Draw, allocations_record_bulk, draw_positions, stratum_key

from .access import require_coordinator
from .constants import CaseSource, CaseStatus, MeldingType
from .exceptions import RuleViolation
from .history import log_bulk_create
from .models import (
    Case,
    Child,
    Household,
    ImportBatch,
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
# IN lists and bulk inserts stay well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500

# The column a problem from referral_problems belongs to.
_REFERRAL_COLUMNS = {
    "date_received": "meldingsdatum",
    "period_end": "verzuim_tot_en_met",
    "date_of_birth": "geboortedatum",
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


class ImportFileInvalid(RuleViolation):
    """The file as a whole cannot be read: its size, encoding, delimiter or header."""


class ImportClosed(RuleViolation):
    """The batch was confirmed or cancelled already."""


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One data line of the file: its cells by column name, or why it could not be split."""

    line_number: int
    cells: dict[str, str]
    problem: str = ""


def read_rows(content: bytes) -> list[SourceRow]:
    """The data rows of a CSV file, each with its line number (the header is line 1).

    Blank lines are skipped. Raises ImportFileInvalid when the file as a whole cannot be read.
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
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileInvalid(
            _(
                "Verkeerde tekenset: het bestand is niet in UTF-8 opgeslagen (het eerste "
                "onleesbare teken staat op regel %(line)s). Sla het op als ‘CSV UTF-8’ en "
                "upload het opnieuw."
            )
            % {"line": content.count(b"\n", 0, error.start) + 1}
        ) from None
    if "\x00" in text:
        # UTF-16 without a byte-order mark decodes as UTF-8 full of NUL characters.
        raise ImportFileInvalid(
            _(
                "Verkeerde tekenset: het bestand is niet in UTF-8 opgeslagen (het lijkt UTF-16). "
                "Sla het op als ‘CSV UTF-8’ en upload het opnieuw."
            )
        )
    if not text.strip():
        raise ImportFileInvalid(_("Het bestand is leeg."))

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER)
    rows: list[SourceRow] = []
    try:
        header = next(cells for cells in reader if any(cell.strip() for cell in cells))
        names = _header_names(header)
        previous = reader.line_num
        for cells in reader:
            line_number, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            while len(cells) > len(names) and not cells[-1].strip():
                cells.pop()  # a trailing delimiter, as spreadsheets sometimes write
            if len(cells) != len(names):
                rows.append(
                    SourceRow(
                        line_number,
                        {},
                        _(
                            "Deze regel heeft %(found)s kolommen in plaats van %(expected)s. "
                            "Controleer het scheidingsteken (;) en de aanhalingstekens."
                        )
                        % {"found": len(cells), "expected": len(names)},
                    )
                )
                continue
            rows.append(
                SourceRow(
                    line_number,
                    {name: cell.strip() for name, cell in zip(names, cells, strict=True)},
                )
            )
    except csv.Error:
        raise ImportFileInvalid(
            _(
                "Het bestand is geen leesbaar CSV-bestand (vanaf regel %(line)s). Controleer "
                "de aanhalingstekens."
            )
            % {"line": reader.line_num}
        ) from None
    if not rows:
        raise ImportFileInvalid(_("Het bestand heeft een kopregel maar geen meldingen."))
    return rows


def too_large_message() -> str:
    return _("Het bestand is groter dan %(max)s MB. Splits het in kleinere bestanden.") % {
        "max": MAX_FILE_BYTES // (1024 * 1024)
    }


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


def check_rows(source_rows: Iterable[SourceRow], *, lock: bool = False) -> list[RowCheck]:
    """Check rows against the referral rules and the database, in file order.

    The database is read in a handful of queries per 500 rows, never per row. With `lock`, the
    matched children are locked (select_for_update) until the end of the caller's transaction.
    """
    today = timezone.localdate()
    checks = []
    for row in source_rows:
        check = RowCheck(row.line_number, row.cells)
        if row.problem:
            check.errors.append(row.problem)
        else:
            _check_cells(check, today=today)
        checks.append(check)
    known = _Known.load([check for check in checks if check.cells], lock=lock)
    seen_children: dict[tuple[str, str], int] = {}
    new_households: dict[tuple[str, str], int] = {}
    for check in checks:
        if check.cells:
            _check_against_database(check, known, seen_children, new_households)
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
        if not (value.isascii() and value.isdigit()) or int(value) > maximum:
            errors.append(
                _("%(column)s moet een geheel getal van 0 tot en met %(max)s zijn.")
                % {"column": column, "max": maximum}
            )
            return 0
        return int(value)

    def identifier(column: str, value: str, validate) -> str | None:
        if not value:
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
    def load(cls, checks: Sequence[RowCheck], *, lock: bool) -> "_Known":
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
        households: dict[tuple[str, str], int] = {}
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
# The batch: preview, confirm, cancel
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


def import_preview_create(*, content: bytes, file_name: str, actor) -> ImportBatch:
    """Read and check a CSV file and store it as a batch in preview. Nothing else changes.

    Raises ImportFileInvalid when the file as a whole cannot be read; row errors are stored
    on the rows.
    """
    checks = check_rows(read_rows(content))
    valid_count = sum(check.is_valid for check in checks)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=os.path.basename(file_name)[:255],
            uploaded_by=actor,
            row_count=len(checks),
            valid_count=valid_count,
            error_count=len(checks) - valid_count,
        )
        ImportRow.objects.bulk_create(
            (
                ImportRow(
                    batch=batch,
                    line_number=check.line_number,
                    status=ImportRowStatus.VALID if check.is_valid else ImportRowStatus.ERROR,
                    payload=check.cells if check.is_valid else None,
                    errors=check.errors,
                    child_is_new=check.child_id is None if check.is_valid else None,
                    household_is_new=check.household_id is None if check.is_valid else None,
                    same_household_as_line=check.same_household_as_line,
                )
                for check in checks
            ),
            batch_size=CHUNK,
        )
    logger.info(
        "Import %s: preview of %s rows, %s with errors",
        batch.pk,
        batch.row_count,
        batch.error_count,
    )
    return batch


def import_confirm(*, batch: ImportBatch, actor) -> ImportBatch:
    """Import the batch's valid rows in one transaction; skip the others and report them.

    The rows are checked again inside the transaction, with the matched children locked, so a
    row that became a duplicate since the preview is skipped and reported, not imported. Each
    case gets its case number and its study arm (block randomisation) in the same transaction.
    Raises ImportClosed when the batch was confirmed or cancelled already, and RuleViolation
    when a concurrent registration collides; then nothing is imported.
    """
    try:
        with transaction.atomic():
            batch = _lock_preview(batch)
            rows = list(batch.rows.filter(status=ImportRowStatus.VALID).order_by("line_number"))
            checks = check_rows(
                [SourceRow(row.line_number, row.payload or {}) for row in rows], lock=True
            )
            cases = _create_cases(checks, actor=actor)
            # Rewriting the rows is much faster than bulk_update with 10,000 CASE branches.
            batch.rows.filter(status=ImportRowStatus.VALID).delete()
            ImportRow.objects.bulk_create(
                (
                    _report_row(batch, row, check, cases.get(check.line_number))
                    for row, check in zip(rows, checks, strict=True)
                ),
                batch_size=CHUNK,
            )
            batch.rows.filter(status=ImportRowStatus.ERROR).update(
                status=ImportRowStatus.SKIPPED, payload=None
            )
            batch.status = ImportStatus.IMPORTED
            batch.imported_count = len(cases)
            batch.skipped_count = batch.row_count - len(cases)
            batch.finished_by = actor
            batch.finished_at = timezone.now()
            batch.save(
                update_fields=[
                    "status",
                    "imported_count",
                    "skipped_count",
                    "finished_by",
                    "finished_at",
                ]
            )
    except (IntegrityError, OperationalError):
        # A unique BSN or case number taken meanwhile, or a deadlock between two imports.
        logger.warning("Import %s: collided with a concurrent registration", batch.pk)
        raise RuleViolation(
            _(
                "Tijdens het importeren is een van deze kinderen of zaken ook op een andere "
                "manier vastgelegd. Er is niets geïmporteerd. Bevestig de import opnieuw: "
                "de regels worden dan opnieuw gecontroleerd."
            )
        ) from None
    logger.info(
        "Import %s: %s cases created, %s rows skipped",
        batch.pk,
        batch.imported_count,
        batch.skipped_count,
    )
    return batch


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
    """Cancel a batch in preview: nothing is imported and the rows' cells are deleted."""
    with transaction.atomic():
        batch = _lock_preview(batch)
        batch.rows.update(status=ImportRowStatus.SKIPPED, payload=None)
        batch.status = ImportStatus.CANCELLED
        batch.skipped_count = batch.row_count
        batch.finished_by = actor
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "skipped_count", "finished_by", "finished_at"])
    logger.info("Import %s: cancelled", batch.pk)
    return batch


def _lock_preview(batch: ImportBatch) -> ImportBatch:
    batch = (
        ImportBatch.objects.select_for_update(of=("self",))
        .select_related("uploaded_by", "finished_by")
        .get(pk=batch.pk)
    )
    if batch.status == ImportStatus.IMPORTED:
        raise ImportClosed(
            _("Deze import is al uitgevoerd. Er is niets opnieuw geïmporteerd of gewijzigd.")
        )
    if batch.status == ImportStatus.CANCELLED:
        raise ImportClosed(
            _(
                "Deze import is geannuleerd; er is niets geïmporteerd. Upload het bestand "
                "opnieuw om het toch te importeren."
            )
        )
    return batch


def _create_cases(checks: Sequence[RowCheck], *, actor) -> dict[int, Case]:
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
