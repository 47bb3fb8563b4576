"""The three-month snapshot: one stored `Measurement` per case once it passes its date.

Run daily (`manage.py snapshot_measurements`). A case is snapshotted the first run after its
measurement date (so the whole measurement day has passed), or at the first run after the
study end when its measurement date lies beyond it (censored). A stored row is never updated:
running again, or twice at the same time, changes nothing, and the report and the research
export keep reading the same figures.

Every row stores the STUDY_END it was censored with. Once rows exist, a run with another
STUDY_END is refused (`StudyEndChanged`), and so is the report: mixing two censoring rules in
one snapshot would go unnoticed. `measurements_restate` deletes the snapshot and records why
(a `MeasurementRestatement`), after which the next run measures every case again with the
STUDY_END now in force.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.exceptions import RuleViolation

from .aggregates import snapshot_aggregate_discard
from .definitions import (
    DEFINITIONS_VERSION,
    CaseMeasure,
    MeasurementStatus,
    measurable,
    measure_live,
)
from .models import Measurement, MeasurementRestatement

CHUNK_SIZE = 2000


@dataclass(frozen=True, slots=True)
class SnapshotCounts:
    created: int  # new Measurement rows
    already_present: int  # measurable cases that had their Measurement already
    censored: int  # of the new rows, how many are censored


class StudyEndChanged(Exception):
    """The snapshot was made with another STUDY_END than the one in force now."""

    def __init__(self, *, stored: list[datetime.date | None], current: datetime.date | None):
        self.stored = stored
        self.current = current

        def shown(day: datetime.date | None) -> str:
            return day.isoformat() if day else _("geen")

        super().__init__(
            _(
                "STUDY_END is gewijzigd nadat er metingen zijn vastgelegd: de metingen zijn "
                "gemaakt met einde studie %(stored)s, nu staat er %(current)s. Zet STUDY_END "
                "terug, of bereken de metingen opnieuw met `manage.py snapshot_measurements "
                '--restate --reason "..."`.'
            )
            % {"stored": ", ".join(shown(day) for day in stored), "current": shown(current)}
        )


def stored_study_ends(current: datetime.date | None) -> list[datetime.date | None]:
    """The STUDY_END values in the snapshot that differ from `current` (at most a few; one
    query). Empty when the snapshot and the setting agree."""
    others = (
        Measurement.objects.exclude(study_end__isnull=True)
        if current is None
        else (Measurement.objects.exclude(study_end=current))
    )
    return list(others.order_by("study_end").values_list("study_end", flat=True).distinct()[:5])


def check_study_end(current: datetime.date | None) -> None:
    """Raise StudyEndChanged when the snapshot was made with another STUDY_END."""
    stored = stored_study_ends(current)
    if stored:
        raise StudyEndChanged(stored=stored, current=current)


def _measurement(
    measure: CaseMeasure,
    computed_at: datetime.datetime,
    study_end: datetime.date | None = None,
) -> Measurement:
    return Measurement(
        case_id=measure.case_id,
        arm=measure.arm,
        date_received=measure.date_received,
        measured_on=measure.measured_on,
        status=measure.status,
        suitable=measure.suitable,
        outcome_category=measure.outcome_category,
        days_to_outcome=measure.days_to_outcome,
        days_to_first_contact=measure.days_to_first_contact,
        distinct_professionals=measure.distinct_professionals,
        handovers=measure.handovers,
        contacts=measure.contacts,
        furthest_stage=measure.furthest_stage,
        km_days=measure.km_days,
        km_event=measure.km_event,
        definitions_version=DEFINITIONS_VERSION,
        computed_at=computed_at,
        study_end=study_end,
    )


def measurements_snapshot(
    as_of: datetime.date,
    study_end: datetime.date | None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> SnapshotCounts:
    """Store a Measurement for every case `definitions.measurable(as_of, study_end)` returns
    that has none yet. Existing rows are never changed.

    Bounded memory: the cases are read with a cursor and measured and written `chunk_size` at
    a time (`definitions.measure_live` runs five grouped queries per chunk), each chunk in its
    own transaction, so an interrupted run keeps what it wrote and the next run goes on from
    there. `ignore_conflicts` makes a concurrent run harmless: a row another run wrote first
    is skipped, not overwritten.

    Raises StudyEndChanged, writing nothing, when stored rows were made with another
    `study_end` (see `measurements_restate`).
    """
    check_study_end(study_end)
    cases = measurable(as_of, study_end)
    already_present = cases.filter(measurement__isnull=False).count()
    computed_at = timezone.now()
    created = censored = 0
    batch: list[Measurement] = []

    def flush() -> None:
        with transaction.atomic():
            Measurement.objects.bulk_create(batch, ignore_conflicts=True)

    for measure in measure_live(
        cases.filter(measurement__isnull=True), study_end, chunk_size=chunk_size
    ):
        batch.append(_measurement(measure, computed_at, study_end))
        created += 1
        censored += measure.status == MeasurementStatus.CENSORED
        if len(batch) >= chunk_size:
            flush()
            batch = []
    if batch:
        flush()
    return SnapshotCounts(created=created, already_present=already_present, censored=censored)


def measurements_restate(*, reason: str, study_end: datetime.date | None) -> MeasurementRestatement:
    """Delete the whole daily snapshot and record why, so that the next snapshot run measures
    every case again with `study_end`. One transaction: the deletion and its record go
    together. A blank reason raises RuleViolation and changes nothing.

    Meant for a changed STUDY_END (or a changed definition); the data freezes are not touched:
    they keep the figures they were made with.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            errors={
                "reason": _(
                    "Een herberekening vraagt een reden: waarom worden de metingen opnieuw "
                    "berekend?"
                )
            }
        )
    with transaction.atomic():
        previous = (
            Measurement.objects.order_by("study_end").values_list("study_end", flat=True).distinct()
        )
        previous_label = ", ".join(day.isoformat() if day else "-" for day in previous[:10])
        deleted, _by_model = Measurement.objects.all().delete()
        snapshot_aggregate_discard()
        return MeasurementRestatement.objects.create(
            reason=reason,
            previous_study_ends=previous_label[:200],
            study_end=study_end,
            deleted=deleted,
        )
