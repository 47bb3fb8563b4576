"""The three-month snapshot: one stored `Measurement` per case once it passes its date.

Run daily (`manage.py snapshot_measurements`). A case is snapshotted the first run after its
measurement date (so the whole measurement day has passed), or at the first run after the
study end when its measurement date lies beyond it (censored). A stored row is never updated:
running again, or twice at the same time, changes nothing, and the report and the research
export keep reading the same figures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .definitions import (
    DEFINITIONS_VERSION,
    CaseMeasure,
    MeasurementStatus,
    measurable,
    measure_live,
)
from .models import Measurement

CHUNK_SIZE = 2000


@dataclass(frozen=True, slots=True)
class SnapshotCounts:
    created: int  # new Measurement rows
    already_present: int  # measurable cases that had their Measurement already
    censored: int  # of the new rows, how many are censored


def _measurement(measure: CaseMeasure, computed_at: datetime.datetime) -> Measurement:
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
    """
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
        batch.append(_measurement(measure, computed_at))
        created += 1
        censored += measure.status == MeasurementStatus.CENSORED
        if len(batch) >= chunk_size:
            flush()
            batch = []
    if batch:
        flush()
    return SnapshotCounts(created=created, already_present=already_present, censored=censored)
