"""Background tasks of the cases app (Django's task framework; `manage.py db_worker` runs them).

The CSV import's check and confirmation run here rather than in the web request: a
20,000-line file takes longer than a request may (gunicorn's timeout) and its rows need not
sit in a web worker's memory. Both are safe to deliver twice (see cases.imports.services).
"""

from django.tasks import task

from . import imports


@task
def check_import_batch(batch_id: int, language: str | None = None) -> str | None:
    """Check an uploaded import file and store its preview; returns the batch's status."""
    batch = imports.import_check_run(batch_id=batch_id, language=language)
    return batch.status if batch is not None else None


@task
def confirm_import_batch(
    batch_id: int, actor_id: int, remote_addr: str | None = None, language: str | None = None
) -> str | None:
    """Import a confirmed batch in one transaction; returns the batch's status."""
    batch = imports.import_confirm_run(
        batch_id=batch_id, actor_id=actor_id, remote_addr=remote_addr, language=language
    )
    return batch.status if batch is not None else None
