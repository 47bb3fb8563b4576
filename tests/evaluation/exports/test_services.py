"""The export service: request, background run, progress, failure, download, purge."""

import datetime
import hashlib
import io
import json
import time
import zipfile

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from openpyxl import load_workbook

from bip.lib import heartbeat
from cases.exceptions import RuleViolation
from evaluation import tasks
from evaluation.constants import Arm, ExportEventKind, ExportStatus
from evaluation.definitions import DEFINITIONS_VERSION
from evaluation.exports import services, writers
from evaluation.exports.datasets import Dataset
from evaluation.models import ExportEvent, ResearchExport
from tests.factories import CaseFactory, UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 16)


@pytest.fixture
def cases(db):
    return CaseFactory.create_batch(3, arm=Arm.BIP) + CaseFactory.create_batch(2, arm=Arm.CONTROL)


def request_and_run(user, dataset="zaken", file_format="csv", capture=None):
    with capture(execute=True) as callbacks:
        export = tasks.export_request(user=user, dataset=dataset, file_format=file_format)
    assert len(callbacks) == 1
    export.refresh_from_db()
    return export


def kinds(export):
    return list(export.events.order_by("occurred_at", "id").values_list("kind", flat=True))


@time_machine.travel(NOW, tick=False)
def test_request_runs_the_task_after_commit_and_logs_it(
    researcher, cases, settings, django_capture_on_commit_callbacks
):
    export = request_and_run(researcher, capture=django_capture_on_commit_callbacks)

    assert export.status == ExportStatus.DONE
    assert export.progress == 100
    assert export.row_count == 5
    assert export.finished_at == NOW
    assert export.expires_at == NOW + datetime.timedelta(days=7)
    assert export.parameters == {
        "study_id": "bip-test",
        "definitions_version": DEFINITIONS_VERSION,
        "expected_rows": 5,
    }
    assert kinds(export) == [ExportEventKind.REQUESTED, ExportEventKind.COMPLETED]
    requested, completed = export.events.order_by("occurred_at", "id")
    assert requested.actor == researcher
    assert completed.row_count == 5

    path = services.export_path(export)
    assert path.parent == settings.EXPORT_ROOT / str(export.pk)
    assert path.is_file()
    assert len(path.stem) >= 32 and "zaken" not in path.name  # random: 192 bits
    assert sorted(path.parent.iterdir()) == [path]  # no temporary files left
    assert path.stat().st_mode & 0o077 == 0  # readable by the app's user only
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "codebook.csv",
            "codebook.txt",
            "datapackage.json",
            "manifest.json",
            "zaken.R",
            "zaken.csv",
            "zaken.sps",
            "zaken_r.csv",
        ]


@pytest.mark.parametrize("file_format", ["csv", "sav"])
def test_the_manifest_gives_each_data_file_its_size_and_sha256_as_in_the_zip(
    researcher, cases, file_format
):
    export = services.export_create(user=researcher, dataset="zaken", file_format=file_format)
    export = services.export_run(export_id=export.pk, chunk_size=2)
    with zipfile.ZipFile(services.export_path(export)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        data = {e["name"]: e for e in manifest["files"] if e["kind"] != "text"}
        assert data
        for name, entry in data.items():
            content = archive.read(name)
            assert entry["bytes"] == len(content), name
            assert entry["sha256"] == hashlib.sha256(content).hexdigest(), name
        if file_format == "csv":
            assert set(data) == {"zaken.csv", "zaken_r.csv"}
            assert archive.read("zaken.csv").count(b"\r\n") == 6  # header and five cases
        else:
            assert set(data) == {"zaken.sav"}


def test_the_task_is_queued_only_when_the_transaction_commits(
    researcher, cases, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = tasks.export_request(user=researcher, dataset="zaken", file_format="csv")
    assert len(callbacks) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED
    assert kinds(export) == [ExportEventKind.REQUESTED]


def test_only_a_researcher_may_request(coordinator):
    with pytest.raises(PermissionDenied):
        tasks.export_request(user=coordinator, dataset="zaken", file_format="csv")
    assert not ResearchExport.objects.exists()


def test_unknown_dataset_or_format_is_refused_per_field(researcher):
    with pytest.raises(RuleViolation) as refused:
        tasks.export_request(user=researcher, dataset="kinderen", file_format="pdf")
    assert set(refused.value.errors) == {"dataset", "file_format"}
    assert not ResearchExport.objects.exists()


def test_progress_is_written_after_each_chunk_and_stays_below_done(researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    chunks = services._with_progress([[1], [2], [3], [4]], export.pk, 4, 95)
    seen = []
    for _chunk in chunks:
        seen.append(ResearchExport.objects.get(pk=export.pk).progress)
    seen.append(ResearchExport.objects.get(pk=export.pk).progress)
    assert seen == [0, 23, 47, 71, 95]


def test_progress_is_updated_while_the_export_runs(researcher, cases, monkeypatch):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    seen = []
    real_write_csv = writers.write_csv

    def spying_write_csv(path, variables, chunks, **options):
        def spy():
            for chunk in chunks:
                seen.append(ResearchExport.objects.get(pk=export.pk).progress)
                yield chunk

        return real_write_csv(path, variables, spy(), **options)

    monkeypatch.setattr(writers, "write_csv", spying_write_csv)
    services.export_run(export_id=export.pk, chunk_size=2)
    assert seen == [0, 38, 76]  # 2 and 4 of 5 rows read (95 % of the bar is reading)
    assert ResearchExport.objects.get(pk=export.pk).progress == 100


def test_each_progress_report_is_timed(researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    assert export.progress_at is None
    with time_machine.travel(NOW, tick=False):
        list(services._with_progress([[1], [2]], export.pk, 2, 95))
    assert ResearchExport.objects.get(pk=export.pk).progress_at == NOW


def test_an_export_is_stalled_after_ten_minutes_without_a_sign_from_its_worker(researcher):
    with time_machine.travel(NOW, tick=False):
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    minute = datetime.timedelta(minutes=1)
    # Queued: counted from the request.
    assert not services.is_stalled(export, NOW + 9 * minute)
    assert services.is_stalled(export, NOW + 10 * minute)
    # Running: counted from the last progress report, not from the request.
    export.status = ExportStatus.RUNNING
    export.progress_at = NOW + 30 * minute
    assert not services.is_stalled(export, NOW + 39 * minute)
    assert services.is_stalled(export, NOW + 40 * minute)
    # Finished exports are never stalled.
    for status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED):
        export.status = status
        assert not services.is_stalled(export, NOW + 600 * minute)


def test_running_twice_writes_one_file_and_one_completed_event(researcher, cases):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    services.export_run(export_id=export.pk)
    again = services.export_run(export_id=export.pk)
    assert again.status == ExportStatus.DONE
    assert kinds(export).count(ExportEventKind.COMPLETED) == 1
    assert len(list(services.export_directory(export.pk).iterdir())) == 1


def test_a_failure_is_reported_in_dutch_without_details_and_leaves_no_files(
    researcher, cases, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full at /srv/geheim/pad")

    monkeypatch.setattr(writers, "write_sav", broken)
    export = services.export_create(user=researcher, dataset="zaken", file_format="sav")
    export = services.export_run(export_id=export.pk)

    assert export.status == ExportStatus.FAILED
    assert export.error.startswith("De export is mislukt door een fout op de server.")
    assert str(export.pk) in export.error
    assert "/srv/geheim" not in export.error and "RuntimeError" not in export.error
    assert export.finished_at is not None and export.expires_at is None
    assert not services.export_directory(export.pk).exists()
    assert kinds(export) == [ExportEventKind.REQUESTED]
    assert "disk full" in caplog.text  # the traceback is in the server log


def test_without_a_pseudonym_key_the_export_fails_with_that_reason(researcher, cases, settings):
    settings.RESEARCH_PSEUDONYM_KEY = ""
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    export = services.export_run(export_id=export.pk)
    assert export.status == ExportStatus.FAILED
    assert "RESEARCH_PSEUDONYM_KEY" in export.error


def test_an_excel_export_of_a_dataset_that_outgrew_its_sheets_fails_with_that_reason(
    researcher, cases, monkeypatch
):
    # Two rows per sheet; counted 2 (one sheet) before streaming, but the five cases arrive.
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 2)
    monkeypatch.setattr(Dataset, "expected_rows", lambda self, period=None: 2)
    export = services.export_create(user=researcher, dataset="zaken", file_format="xlsx")
    export = services.export_run(export_id=export.pk)
    assert export.status == ExportStatus.FAILED
    assert export.error == (
        "De dataset groeide terwijl de export werd gemaakt, tot meer rijen dan de "
        "Excel-bladen konden bevatten. Vraag de export opnieuw aan."
    )
    assert not services.export_directory(export.pk).exists()


def test_an_excel_export_past_the_sheet_limit_continues_on_the_next_sheet(
    researcher, cases, monkeypatch
):
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 2)
    export = services.export_create(user=researcher, dataset="zaken", file_format="xlsx")
    export = services.export_run(export_id=export.pk)
    assert export.status == ExportStatus.DONE and export.row_count == 5
    with zipfile.ZipFile(services.export_directory(export.pk) / export.file_name) as archive:
        workbook = load_workbook(io.BytesIO(archive.read("zaken.xlsx")), read_only=True)
    assert workbook.sheetnames == ["data", "data_2", "data_3"]
    counts = [len(list(workbook[name].iter_rows())) - 1 for name in workbook.sheetnames]
    assert counts == [2, 2, 1]


def finished_export(user, dataset="zaken", file_format="csv"):
    export = services.export_create(user=user, dataset=dataset, file_format=file_format)
    return services.export_run(export_id=export.pk)


def test_download_returns_the_file_and_logs_who_and_how_many_rows(researcher, cases):
    export = finished_export(researcher)
    path = services.export_download(export=export, user=researcher)
    assert path == services.export_path(export)
    download = export.events.get(kind=ExportEventKind.DOWNLOADED)
    assert download.actor == researcher
    assert download.row_count == 5


def test_download_by_anyone_else_is_refused_and_not_logged(researcher, cases):
    export = finished_export(researcher)
    other = UserFactory(researcher=True)
    with pytest.raises(PermissionDenied):
        services.export_download(export=export, user=other)
    assert not export.events.filter(kind=ExportEventKind.DOWNLOADED).exists()


def test_download_of_an_unfinished_export_is_not_possible(researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    with pytest.raises(services.ExportUnavailable) as refused:
        services.export_download(export=export, user=researcher)
    assert refused.value.gone is False


def test_download_after_expiry_is_gone_even_before_the_purge(researcher, cases):
    export = finished_export(researcher)
    with (
        time_machine.travel(export.expires_at + datetime.timedelta(seconds=1)),
        pytest.raises(services.ExportUnavailable) as refused,
    ):
        services.export_download(export=export, user=researcher)
    assert refused.value.gone is True
    assert not export.events.filter(kind=ExportEventKind.DOWNLOADED).exists()


def test_a_running_export_from_before_heartbeats_is_failed_after_an_hour_of_silence(researcher):
    """heartbeat_at empty: claimed by a worker that did not beat yet; judged by its progress."""
    with time_machine.travel(NOW, tick=False):
        silent = services.export_create(user=researcher, dataset="zaken", file_format="csv")
        moving = services.export_create(user=researcher, dataset="zaken", file_format="csv")
        queued = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    hour = datetime.timedelta(hours=1)
    ResearchExport.objects.filter(pk=silent.pk).update(
        status=ExportStatus.RUNNING, progress=30, progress_at=NOW
    )
    ResearchExport.objects.filter(pk=moving.pk).update(
        status=ExportStatus.RUNNING, progress=30, progress_at=NOW + hour
    )
    services.export_directory(silent.pk).mkdir(parents=True)
    (services.export_directory(silent.pk) / "partial.csv.tmp").write_text("x")

    assert services.export_fail_orphaned(now=NOW + hour - datetime.timedelta(seconds=1)) == []
    assert services.export_fail_orphaned(now=NOW + hour) == [silent.pk]
    assert services.export_fail_orphaned(now=NOW + hour) == []  # once

    silent.refresh_from_db()
    assert silent.status == ExportStatus.FAILED
    assert silent.finished_at == NOW + hour
    assert "Vraag een nieuwe export aan." in silent.error
    assert not services.export_directory(silent.pk).exists()
    assert ResearchExport.objects.get(pk=moving.pk).status == ExportStatus.RUNNING
    # A queued export waits for a worker however long it takes: it is not abandoned.
    assert ResearchExport.objects.get(pk=queued.pk).status == ExportStatus.QUEUED


def test_purge_deletes_expired_files_once_and_logs_it(researcher, cases):
    old = finished_export(researcher)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        recent = finished_export(researcher)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, hours=1)):
        assert services.export_purge() == [old.pk]
        assert services.export_purge() == []

    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED
    assert old.file_name == ""
    assert not services.export_directory(old.pk).exists()
    deleted = old.events.get(kind=ExportEventKind.DELETED)
    assert deleted.row_count == 5 and deleted.actor is None
    recent.refresh_from_db()
    assert recent.status == ExportStatus.DONE
    assert services.export_path(recent).is_file()
    with pytest.raises(services.ExportUnavailable):
        services.export_download(export=old, user=researcher)
    assert ExportEvent.objects.filter(kind=ExportEventKind.DELETED).count() == 1


# --------------------------------------------------------------------------------------------
# A worker killed mid-export: heartbeat and orphan detection
# --------------------------------------------------------------------------------------------

MINUTE = datetime.timedelta(minutes=1)


def running_export(user, *, heartbeat_at, **fields):
    export = services.export_create(user=user, dataset="zaken", file_format="csv")
    ResearchExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING,
        progress=30,
        progress_at=heartbeat_at,
        heartbeat_at=heartbeat_at,
        **fields,
    )
    export.refresh_from_db()
    return export


def test_a_running_export_without_a_heartbeat_for_two_minutes_is_marked_failed(researcher):
    with time_machine.travel(NOW, tick=False):
        orphan = running_export(researcher, heartbeat_at=NOW)
        alive = running_export(researcher, heartbeat_at=NOW + 2 * MINUTE)
        queued = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    services.export_directory(orphan.pk).mkdir(parents=True)
    (services.export_directory(orphan.pk) / "partial.csv.tmp").write_text("x")

    assert not services.is_orphaned(orphan, NOW + 2 * MINUTE - datetime.timedelta(seconds=1))
    assert services.export_fail_orphaned(now=NOW + 2 * MINUTE - datetime.timedelta(seconds=1)) == []
    assert services.is_orphaned(orphan, NOW + 2 * MINUTE)
    assert services.export_fail_orphaned(now=NOW + 2 * MINUTE) == [orphan.pk]
    assert services.export_fail_orphaned(now=NOW + 2 * MINUTE) == []  # once

    orphan.refresh_from_db()
    assert orphan.status == ExportStatus.FAILED
    assert orphan.finished_at == NOW + 2 * MINUTE
    assert orphan.error == (
        "De export is afgebroken: de achtergrondtaak stopte tijdens het maken. Vraag een nieuwe "
        "export aan."
    )
    assert not services.export_directory(orphan.pk).exists()
    assert not services.is_orphaned(orphan, NOW + 60 * MINUTE)  # failed is final
    assert ResearchExport.objects.get(pk=alive.pk).status == ExportStatus.RUNNING
    assert ResearchExport.objects.get(pk=queued.pk).status == ExportStatus.QUEUED
    assert kinds(orphan) == [ExportEventKind.REQUESTED]


def test_the_orphan_search_can_be_narrowed_to_one_export_or_one_researcher(researcher):
    other = UserFactory(researcher=True)
    with time_machine.travel(NOW, tick=False):
        mine = running_export(researcher, heartbeat_at=NOW)
        theirs = running_export(other, heartbeat_at=NOW)
    later = NOW + 3 * MINUTE
    assert services.export_fail_orphaned(now=later, export_ids=[theirs.pk + 1000]) == []
    assert services.export_fail_orphaned(now=later, requested_by=researcher) == [mine.pk]
    assert ResearchExport.objects.get(pk=theirs.pk).status == ExportStatus.RUNNING
    assert services.export_fail_orphaned(now=later, export_ids=[theirs.pk]) == [theirs.pk]


def test_the_message_is_stored_in_dutch_whoever_triggers_the_check(researcher):
    with time_machine.travel(NOW, tick=False):
        orphan = running_export(researcher, heartbeat_at=NOW)
    with translation.override("en"):
        services.export_fail_orphaned(now=NOW + 3 * MINUTE)
    orphan.refresh_from_db()
    assert orphan.error.startswith("De export is afgebroken")


# The heartbeat thread has its own database connection, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_keeps_its_export_alive_while_one_step_blocks_for_minutes(
    researcher, cases, monkeypatch
):
    """Writing the file takes five minutes without a progress report; the heartbeat keeps
    the export from being taken for an orphan, and it completes."""
    monkeypatch.setattr(heartbeat, "HEARTBEAT_INTERVAL", datetime.timedelta(milliseconds=10))
    real_write_csv = writers.write_csv
    checks = {}

    with time_machine.travel(NOW, tick=False) as traveller:
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")

        def slow_write_csv(path, variables, chunks, **options):
            rows = real_write_csv(path, variables, chunks, **options)
            traveller.shift(5 * MINUTE)  # one step that blocks for five minutes
            deadline = time.monotonic() + 5
            while ResearchExport.objects.get(pk=export.pk).heartbeat_at < NOW + 5 * MINUTE:
                assert time.monotonic() < deadline, "no heartbeat while the step blocked"
                time.sleep(0.01)
            checks["progress_at"] = ResearchExport.objects.get(pk=export.pk).progress_at
            checks["orphaned"] = services.export_fail_orphaned()
            return rows

        monkeypatch.setattr(writers, "write_csv", slow_write_csv)
        export = services.export_run(export_id=export.pk)

    assert checks["progress_at"] <= NOW  # no progress report in those five minutes
    assert checks["orphaned"] == []
    assert export.status == ExportStatus.DONE
    assert export.heartbeat_at >= NOW + 5 * MINUTE
    assert kinds(export) == [ExportEventKind.REQUESTED, ExportEventKind.COMPLETED]


def test_the_claim_is_the_first_heartbeat(researcher, cases, monkeypatch):
    seen = []
    real_write_csv = writers.write_csv

    def spying_write_csv(path, variables, chunks, **options):
        seen.append(ResearchExport.objects.get(pk=export.pk).heartbeat_at)
        return real_write_csv(path, variables, chunks, **options)

    monkeypatch.setattr(writers, "write_csv", spying_write_csv)
    with time_machine.travel(NOW, tick=False):
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
        assert export.heartbeat_at is None
        services.export_run(export_id=export.pk)
    assert seen == [NOW]


def test_an_export_declared_orphaned_while_still_writing_stays_failed(
    researcher, cases, monkeypatch
):
    """If the heartbeat was held up so long that the export was marked failed, the researcher
    has been told so: a late finish does not turn it into a download."""
    real_write_csv = writers.write_csv

    def write_then_be_declared_orphaned(path, variables, chunks, **options):
        rows = real_write_csv(path, variables, chunks, **options)
        assert services.export_fail_orphaned(now=timezone.now() + 10 * MINUTE) == [export.pk]
        return rows

    monkeypatch.setattr(writers, "write_csv", write_then_be_declared_orphaned)
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    export = services.export_run(export_id=export.pk)
    assert export.status == ExportStatus.FAILED
    assert export.file_name == "" and export.row_count is None
    assert not services.export_directory(export.pk).exists()
    assert kinds(export) == [ExportEventKind.REQUESTED]


def test_a_worker_stopped_mid_export_marks_it_failed_at_once(researcher, cases, monkeypatch):
    def stopped(*args, **kwargs):
        raise SystemExit(1)  # what django-tasks-db's worker raises on a second SIGTERM

    monkeypatch.setattr(writers, "write_csv", stopped)
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    with pytest.raises(SystemExit):
        services.export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "Vraag een nieuwe export aan." in export.error
    assert not services.export_directory(export.pk).exists()


@pytest.mark.parametrize(
    ("age", "seconds"),
    [
        (datetime.timedelta(seconds=0), 1),
        (datetime.timedelta(seconds=29), 1),
        (datetime.timedelta(seconds=30), 5),
        (datetime.timedelta(minutes=2, seconds=59), 5),
        (datetime.timedelta(minutes=3), 15),
        (datetime.timedelta(hours=5), 15),
    ],
)
def test_the_poll_interval_grows_with_the_exports_age(researcher, age, seconds):
    with time_machine.travel(NOW, tick=False):
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    assert services.poll_interval(export, NOW + age) == seconds


def test_a_live_heartbeat_means_a_running_export_is_not_stalled(researcher):
    with time_machine.travel(NOW, tick=False):
        export = running_export(researcher, heartbeat_at=NOW)
    export.heartbeat_at = NOW + 30 * MINUTE
    assert not services.is_stalled(export, NOW + 31 * MINUTE)
