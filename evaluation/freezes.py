"""Data freezes: versioned, never-changed sets of three-month measurements.

The daily snapshot (`evaluation.snapshots`) measures each case once, the day after its
measurement date, from the records present then: an outcome entered later, though dated
before the measurement date, never reaches it. A data freeze measures every measurable case
again as of one moment (`as_of`), counting only the records present at that moment
(`definitions.measure_many(recorded_by=as_of)`). A record entered late but dated before the
measurement date is therefore counted by the next freeze, and `freeze_diff` shows which cases
(and which measures) changed between two freezes.

Canonical row serialisation (the freeze's SHA-256): the rows in ascending case id, each row
the values of `CANONICAL_FIELDS` in that order, separated by one TAB (U+0009) and ended by
one LF (U+000A); a missing value is the empty string, yes/no is `1`/`0`, a date is
`YYYY-MM-DD`, a number is written in decimal without leading zeros, a category as its code
(e.g. `bip`, `gemeten`). The hash is SHA-256 over the UTF-8 bytes of all rows, written as 64
lowercase hexadecimal characters. `freeze_verify` recomputes it from the stored rows.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.exceptions import RuleViolation

from .aggregates import report_aggregate_store
from .constants import Arm
from .definitions import DEFINITIONS_VERSION, CaseMeasure, measurable, measure_live
from .models import DataFreeze, FrozenMeasurement

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHUNK_SIZE = 2000
LABEL_MAX_LENGTH = 40

# The order of the values in a canonical row (see the module docstring).
CANONICAL_FIELDS = (
    "case_id",
    "arm",
    "date_received",
    "measured_on",
    "status",
    "suitable",
    "outcome_category",
    "days_to_outcome",
    "days_to_first_contact",
    "distinct_professionals",
    "handovers",
    "contacts",
    "furthest_stage",
    "km_days",
    "km_event",
)
# What a freeze diff compares for a case present in both freezes.
COMPARED_FIELDS = CANONICAL_FIELDS[1:]


def _canonical_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def canonical_row(values: Iterable) -> bytes:
    """One row in the canonical serialisation, `values` in CANONICAL_FIELDS order."""
    return ("\t".join(_canonical_value(value) for value in values) + "\n").encode()


def _frozen(freeze: DataFreeze, measure: CaseMeasure) -> FrozenMeasurement:
    return FrozenMeasurement(
        freeze=freeze,
        case_id=measure.case_id,
        **{name: getattr(measure, name) for name in CANONICAL_FIELDS[1:]},
    )


def _label_problem(label: str) -> str | None:
    if not label:
        return _("Geef de datafreeze een label, bijvoorbeeld T1.")
    if len(label) > LABEL_MAX_LENGTH:
        return _("Een label is hoogstens %(max)s tekens lang.") % {"max": LABEL_MAX_LENGTH}
    if DataFreeze.objects.filter(label__iexact=label).exists():
        return _label_taken(label)
    return None


def _label_taken(label: str) -> str:
    return _(
        "Er is al een datafreeze met het label “%(label)s”. Een freeze wordt nooit "
        "overschreven: kies een nieuw label."
    ) % {"label": label}


def freeze_create(
    *,
    label: str,
    actor: User | None,
    study_end: datetime.date | None,
    as_of: datetime.datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> DataFreeze:
    """Measure every measurable case as of `as_of` (default: now) and store it as a freeze.

    Only records present at `as_of` count. Cases are those `definitions.measurable` selects
    for the day of `as_of` that were registered by then. One transaction, written
    `chunk_size` rows at a time (bounded memory): a failure leaves no freeze behind.

    A blank, too long or existing label (case-insensitive) raises RuleViolation on `label`,
    and nothing is written. `actor` is the researcher who asked (None from the command).
    """
    label = (label or "").strip()
    problem = _label_problem(label)
    if problem:
        raise RuleViolation(errors={"label": problem})
    as_of = as_of or timezone.now()
    cases = measurable(timezone.localdate(as_of), study_end).filter(created_at__lte=as_of)
    hasher = hashlib.sha256()
    per_arm: Counter[str] = Counter()
    try:
        with transaction.atomic():
            freeze = DataFreeze.objects.create(
                label=label,
                as_of=as_of,
                study_end=study_end,
                definitions_version=DEFINITIONS_VERSION,
                row_count=0,
                rows_bip=0,
                rows_control=0,
                sha256="",
                created_by=actor,
            )
            batch: list[FrozenMeasurement] = []
            for measure in measure_live(cases, study_end, chunk_size, recorded_by=as_of):
                hasher.update(canonical_row(getattr(measure, name) for name in CANONICAL_FIELDS))
                per_arm[measure.arm] += 1
                batch.append(_frozen(freeze, measure))
                if len(batch) >= chunk_size:
                    FrozenMeasurement.objects.bulk_create(batch)
                    batch = []
            FrozenMeasurement.objects.bulk_create(batch)
            freeze.row_count = sum(per_arm.values())
            freeze.rows_bip = per_arm[Arm.BIP]
            freeze.rows_control = per_arm[Arm.CONTROL]
            freeze.sha256 = hasher.hexdigest()
            freeze.save(update_fields=["row_count", "rows_bip", "rows_control", "sha256"])
    except IntegrityError:
        # Another freeze took the label meanwhile (the unique constraint decides).
        if DataFreeze.objects.filter(label=label).exists():
            raise RuleViolation(errors={"label": _label_taken(label)}) from None
        raise
    # The report's rows for this freeze, once it is stored (`aggregates`): its page then adds up
    # months instead of reading every case.
    report_aggregate_store(freeze)
    return freeze


def _stored_rows(freeze: DataFreeze, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
    return (
        FrozenMeasurement.objects.filter(freeze=freeze)
        .order_by("case_id")
        .values_list(*CANONICAL_FIELDS)
        .iterator(chunk_size=chunk_size)
    )


def freeze_hash(freeze: DataFreeze, chunk_size: int = CHUNK_SIZE) -> str:
    """The SHA-256 of the freeze's stored rows, recomputed in the canonical serialisation."""
    hasher = hashlib.sha256()
    for row in _stored_rows(freeze, chunk_size):
        hasher.update(canonical_row(row))
    return hasher.hexdigest()


def freeze_verify(freeze: DataFreeze) -> bool:
    """Whether the stored rows still hash to the freeze's SHA-256."""
    return freeze_hash(freeze) == freeze.sha256


def latest_freeze() -> DataFreeze | None:
    return DataFreeze.objects.order_by("-as_of", "-id").first()


def freeze_previous(freeze: DataFreeze) -> DataFreeze | None:
    """The freeze made just before `freeze` (by as-of moment), or None for the first."""
    return (
        DataFreeze.objects.filter(as_of__lte=freeze.as_of)
        .exclude(pk=freeze.pk)
        .exclude(as_of=freeze.as_of, id__gt=freeze.pk)
        .order_by("-as_of", "-id")
        .first()
    )


@dataclass(frozen=True, slots=True)
class FreezeDiff:
    freeze: DataFreeze
    previous: DataFreeze
    added: int  # cases in the freeze that the previous one did not have
    removed: int  # cases the previous one had and the freeze has not
    changed: int  # cases in both with at least one measure different
    by_measure: dict[str, int] = field(default_factory=dict)  # per measure: cases changed

    @property
    def changed_measures(self) -> list[tuple[str, int]]:
        return [(name, n) for name, n in self.by_measure.items() if n]


def freeze_diff(
    *, freeze: DataFreeze, previous: DataFreeze, chunk_size: int = CHUNK_SIZE
) -> FreezeDiff:
    """Compare `freeze` with `previous`, `chunk_size` cases at a time (bounded memory)."""
    by_measure = dict.fromkeys(COMPARED_FIELDS, 0)
    added = changed = 0
    batch: list[tuple] = []

    def compare(rows: list[tuple]) -> None:
        nonlocal added, changed
        earlier = {
            row[0]: row
            for row in FrozenMeasurement.objects.filter(
                freeze=previous, case_id__in=[row[0] for row in rows]
            ).values_list(*CANONICAL_FIELDS)
        }
        for row in rows:
            before = earlier.get(row[0])
            if before is None:
                added += 1
                continue
            differs = False
            for index, name in enumerate(COMPARED_FIELDS, start=1):
                if row[index] != before[index]:
                    by_measure[name] += 1
                    differs = True
            changed += differs

    for row in _stored_rows(freeze, chunk_size):
        batch.append(row)
        if len(batch) >= chunk_size:
            compare(batch)
            batch = []
    if batch:
        compare(batch)
    # Cases in both = the freeze's rows less those added; the rest of the previous are gone.
    removed = previous.row_count - (freeze.row_count - added)
    return FreezeDiff(
        freeze=freeze,
        previous=previous,
        added=added,
        removed=max(removed, 0),
        changed=changed,
        by_measure=by_measure,
    )


def freeze_label(freeze: DataFreeze | None) -> str:
    """How a report or export names its source: the freeze, or the daily snapshot."""
    if freeze is None:
        return _("dagelijkse driemaandsmeting (geen datafreeze)")
    return _("datafreeze %(label)s (peilmoment %(as_of)s, SHA-256 %(hash)s)") % {
        "label": freeze.label,
        "as_of": timezone.localtime(freeze.as_of).strftime("%Y-%m-%d %H:%M"),
        "hash": freeze.sha256,
    }


def freezes_newest_first() -> QuerySet[DataFreeze]:
    """Every data freeze, newest as-of first (what a researcher may list and pick from)."""
    return DataFreeze.objects.select_related("created_by").order_by("-as_of", "-id")


def get_freeze_or_404(pk: int) -> DataFreeze:
    from django.http import Http404

    freeze = DataFreeze.objects.filter(pk=pk).first()
    if freeze is None:
        raise Http404("No data freeze found")
    return freeze
