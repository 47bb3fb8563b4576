"""The evaluation report's rows computed ahead of time (`ReportAggregate`).

At a million cases the report's ten queries take seconds (`report_inputs`). The daily snapshot
run (`manage.py snapshot_measurements`) and every new data freeze therefore compute the rows of
every referral month once and store them; the report page adds up the months it shows from the
stored rows and says as of when they were computed. Until a source has stored rows (a new
installation, a freeze from before this), the page computes its figures live.

The rows are read in one transaction: on PostgreSQL at REPEATABLE READ, so the ten queries see
one moment of the data, as the live report's do within a request.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from .models import DataFreeze, ReportAggregate
from .report_inputs import ReportInputs, ReportPeriod, collect_inputs

# The stored rows are read once per computation and then kept in the cache (a few hundred KB to
# a few MB, independent of the number of cases).
INPUTS_CACHE_SECONDS = 3600


def report_aggregate_store(freeze: DataFreeze | None = None) -> ReportAggregate:
    """Compute the report's rows for every referral month of `freeze` (None: the daily
    snapshot) and store them, replacing the source's earlier rows."""
    started = time.perf_counter()
    computed_at = timezone.now()
    fresh_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if fresh_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        inputs = collect_inputs(ReportPeriod(None, None), freeze)
        aggregate, _created = ReportAggregate.objects.update_or_create(
            source=ReportAggregate.source_of(freeze),
            defaults={
                "freeze": freeze,
                "computed_at": computed_at,
                "seconds": round(time.perf_counter() - started, 3),
                "rows": inputs.as_json(),
            },
        )
    return aggregate


def latest_aggregate(freeze: DataFreeze | None = None) -> ReportAggregate | None:
    """The source's stored computation without its rows (one small query), or None."""
    return (
        ReportAggregate.objects.filter(source=ReportAggregate.source_of(freeze))
        .defer("rows")
        .first()
    )


def stored_inputs(aggregate: ReportAggregate) -> ReportInputs:
    """The stored rows of `aggregate`, read once per computation."""
    key = f"evaluation-inputs:v1:{aggregate.pk}:{aggregate.computed_at.timestamp()}"
    inputs = cache.get(key)
    if inputs is None:
        rows = ReportAggregate.objects.filter(pk=aggregate.pk).values_list("rows", flat=True)
        inputs = ReportInputs.from_json(rows.get())
        cache.set(key, inputs, INPUTS_CACHE_SECONDS)
    return inputs


def snapshot_aggregate_discard() -> None:
    """Drop the daily snapshot's stored rows (the snapshot was deleted to be measured again)."""
    ReportAggregate.objects.filter(source=ReportAggregate.SNAPSHOT).delete()
