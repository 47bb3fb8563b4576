"""Background tasks of the evaluation (Django's task framework; `manage.py db_worker` runs them)."""

from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.tasks import task

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
