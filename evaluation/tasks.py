"""Background tasks of the evaluation (Django's task framework; `manage.py db_worker` runs them)."""

from django.tasks import task

from .exports import services


@task
def run_export(export_id: int) -> int | None:
    """Write a research export's file; returns its row count (None when it did not run).

    First it marks failed the exports whose worker died (no heartbeat for ORPHANED_AFTER): a
    worker restarted after a kill clears up after its predecessor with its first export.
    """
    services.export_fail_orphaned()
    export = services.export_run(export_id=export_id)
    return export.row_count if export is not None else None
