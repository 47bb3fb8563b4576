"""The export task, through the immediate backend and through django-tasks-db's worker."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from evaluation import tasks
from evaluation.aggregates import latest_aggregate, stored_inputs
from evaluation.constants import Arm, ExportStatus
from evaluation.exports import services
from evaluation.models import ResearchExport
from evaluation.tasks import run_export
from tests.evaluation.exports.conftest import export_settings  # noqa: F401 - autouse fixture
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_run_export_task_writes_the_export_and_returns_its_rows(researcher):
    CaseFactory.create_batch(2, arm=Arm.BIP)
    export = services.export_create(user=researcher, dataset="zaken", file_format="xlsx")
    result = run_export.enqueue(export.pk)
    assert result.return_value == 2
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


# The worker closes connections it finds inside a transaction, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_the_export_until_the_worker_runs_it(researcher, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    CaseFactory.create_batch(3, arm=Arm.CONTROL)
    export = tasks.export_request(user=researcher, dataset="zaken", file_format="csv")
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    export = ResearchExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.DONE
    assert export.row_count == 3
    assert services.export_path(export).is_file()


def test_a_task_for_a_missing_export_does_nothing(db):
    assert run_export.enqueue(999_999).return_value is None


def test_the_task_first_marks_failed_the_exports_whose_worker_died(researcher):
    """A worker restarted after a kill clears up after its predecessor with its first export."""
    orphan = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    long_ago = timezone.now() - datetime.timedelta(minutes=3)
    ResearchExport.objects.filter(pk=orphan.pk).update(
        status=ExportStatus.RUNNING, progress_at=long_ago, heartbeat_at=long_ago
    )
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    assert run_export.enqueue(export.pk).return_value == 0
    orphan.refresh_from_db()
    assert orphan.status == ExportStatus.FAILED
    assert "Vraag een nieuwe export aan." in orphan.error


def test_the_refresh_task_stores_the_daily_snapshot_rows(db):
    CaseFactory.create_batch(2, arm=Arm.BIP, date_received=datetime.date(2024, 3, 4))
    seconds = tasks.refresh_report.enqueue().return_value
    aggregate = latest_aggregate()
    assert aggregate is not None and aggregate.seconds == seconds
    assert [(row[0], row[1], row[-1]) for row in stored_inputs(aggregate).flow] == [
        ("2024-03-01", Arm.BIP, 2)
    ]
