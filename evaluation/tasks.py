"""Background tasks of the evaluation (Django's task framework; `manage.py db_worker` runs them)."""

from functools import partial

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.tasks import task

from . import aggregates
from .exports import services
from .models import DataFreeze, ResearchExport
from .periods import MonthPeriod

# The queue lives here, not in exports.services: the services never import the tasks, so the
# dependency runs one way (tasks -> exports.services).


@task
def run_export(export_id: int) -> int | None:
    """Write a research export's file; returns its row count (None when it did not run).

    First it marks failed the exports whose worker died (no heartbeat for ORPHANED_AFTER): a
    worker restarted after a kill clears up after its predecessor with its first export.
    """
    services.export_fail_orphaned()
    export = services.export_run(export_id=export_id)
    return export.row_count if export is not None else None


def export_request(
    *,
    user: User,
    dataset: str,
    file_format: str,
    freeze: DataFreeze | None = services.LATEST_FREEZE,
    period: MonthPeriod | None = None,
) -> ResearchExport:
    """Create the export (exports.services.export_create, which checks the request) and queue
    `run_export` once the transaction commits. `period`: whole months, or None for all."""
    with transaction.atomic():
        export = services.export_create(
            user=user, dataset=dataset, file_format=file_format, freeze=freeze, period=period
        )
        transaction.on_commit(partial(run_export.enqueue, export.pk))
    return export


# A researcher's request to compute the report's rows again is queued at most once per this many
# seconds (in the shared cache, `CACHE_URL`): a second click, or a second researcher, within it
# is told that a computation is already on its way.
REFRESH_GUARD_SECONDS = 120
REFRESH_GUARD_KEY = "evaluation-report-refresh"


@task
def refresh_report() -> float:
    """Compute and store the daily snapshot's report rows again (`aggregates`); returns the
    seconds the computation took."""
    return aggregates.report_aggregate_store().seconds


def report_refresh_request() -> bool:
    """Queue `refresh_report` once the transaction commits; False (nothing queued) when one
    was queued less than REFRESH_GUARD_SECONDS ago."""
    if not cache.add(REFRESH_GUARD_KEY, True, REFRESH_GUARD_SECONDS):
        return False
    transaction.on_commit(refresh_report.enqueue)
    return True
