"""Checking rows against the referral rules and the database, a chunk at a time.

Each row is first checked on its own (rows.ImportRowForm), then against what the database
holds and what earlier rows of the file hold: duplicates (within the file and open cases),
known children (by BSN, else onderwijsnummer), schools by BRIN, the referral rules of
services.referrals, and for a new child its address and household. A new child's household is
an existing one at the same postcode and street (ignoring case and spacing), else a new one,
shared with the other new children of the file at that address.

The database is read in a handful of queries per chunk, never per row.
"""

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import CaseStatus
from ..models import Case, Child, Household, School
from ..services.referrals import referral_problems
from ..validators import normalise_postcode, validate_postcode
from .reader import SourceRow
from .rows import ImportRowForm

# Rows per chunk: IN lists and bulk inserts stay well under SQLite's and PostgreSQL's parameter
# limits, and the tasks hold one chunk of rows in memory at a time.
CHUNK = 500
ADDRESS_COLUMNS = ("straat", "postcode", "plaats")

# The column a problem from referral_problems belongs to.
_REFERRAL_COLUMNS = {
    "date_received": "meldingsdatum",
    "period_end": "verzuim_tot_en_met",
    "date_of_birth": "geboortedatum",
}


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


def _street_key(street: str) -> str:
    return " ".join(street.split()).casefold()


def _check_cells(check: RowCheck, *, today: datetime.date) -> None:
    """The checks that need no database, by the row's form: presence, format, identifiers,
    dates, counts. Keeps the values that passed, for the checks against the database."""
    form = ImportRowForm(check.cells, today=today)
    if not form.is_valid():
        check.errors.extend(form.line_errors())
    cleaned = form.cleaned_data  # the cells that passed their own field's checks
    check.date_received = cleaned.get("meldingsdatum")
    check.bsn = cleaned.get("bsn") or None
    check.onderwijsnummer = cleaned.get("onderwijsnummer") or None
    check.date_of_birth = form.parsed_date_of_birth
    check.melding_type = cleaned.get("soort_verzuim") or ""
    check.brin = cleaned.get("brin") or ""
    check.period_start = cleaned.get("verzuim_vanaf")
    check.period_end = cleaned.get("verzuim_tot_en_met")
    check.hours_absent = cleaned.get("uren_verzuim") or 0
    check.times_late = cleaned.get("keer_te_laat") or 0
    check.postcode = cleaned.get("postcode", "")


@dataclass
class _Known:
    """What the database already holds about the rows, loaded in a few queries."""

    schools: dict[str, int]
    children_by_bsn: dict[str, dict[str, Any]]
    children_by_onderwijsnummer: dict[str, dict[str, Any]]
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


def _chunks[T: (str, int)](values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
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
    _check_duplicate_in_file(check, seen_children)
    _check_school(check, known)

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

    _check_referral(check, date_of_birth)
    _share_new_household(check, new_households)


def _check_duplicate_in_file(check: RowCheck, seen_children: dict[tuple[str, str], int]) -> None:
    """A child (by BSN or onderwijsnummer) that an earlier line of the file holds is a duplicate;
    remembers this line's child for the lines after it."""
    identifiers = [
        (kind, value)
        for kind, value in (("bsn", check.bsn), ("onderwijsnummer", check.onderwijsnummer))
        if value
    ]
    earlier = [seen_children[key] for key in identifiers if key in seen_children]
    if earlier:
        check.errors.append(
            _("dubbel: dit kind staat al op regel %(line)s van dit bestand")
            % {"line": min(earlier)}
        )
    for key in identifiers:
        seen_children.setdefault(key, check.line_number)


def _check_school(check: RowCheck, known: _Known) -> None:
    """Match the school by its BRIN (or the BRIN's first four characters)."""
    if check.brin:
        check.school_id = known.schools.get(check.brin) or known.schools.get(check.brin[:4])
        if check.school_id is None:
            check.errors.append(
                _("brin: er is geen school met BRIN %(brin)s bekend; de beheerder voegt ze toe.")
                % {"brin": check.brin}
            )


def _check_referral(check: RowCheck, date_of_birth: datetime.date | None) -> None:
    """The referral rules (services.referrals) for the period and the child's age, when the
    row has the dates they need."""
    if date_of_birth and check.date_received and check.period_start and check.period_end:
        problems = referral_problems(
            child=Child(date_of_birth=date_of_birth),  # unsaved: no open-case query
            date_received=check.date_received,
            period_start=check.period_start,
            period_end=check.period_end,
        )
        for problem_field, message in problems.items():
            column = _REFERRAL_COLUMNS.get(problem_field, problem_field)
            check.errors.append(f"{column}: {message}")


def _share_new_household(check: RowCheck, new_households: dict[tuple[str, str], int]) -> None:
    """Point a later row at the first row of the file that creates the same new household."""
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
        if len(cells.get(column, "")) > ImportRowForm.ADDRESS_MAX_LENGTHS[column]:
            errors.append(
                _("%(column)s is te lang: hoogstens %(max)s tekens.")
                % {"column": column, "max": ImportRowForm.ADDRESS_MAX_LENGTHS[column]}
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
