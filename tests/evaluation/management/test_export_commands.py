"""`manage.py export_evaluation` and `manage.py purge_exports`."""

import datetime
import zipfile

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from evaluation.constants import Arm, ExportEventKind, ExportStatus
from evaluation.models import ResearchExport
from tests.evaluation.exports.conftest import export_settings  # noqa: F401 - autouse fixture
from tests.evaluation.exports.readers import read_sav, unpack
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_export_evaluation_writes_the_zip_and_logs_it(researcher, tmp_path, capsys):
    CaseFactory.create_batch(4, arm=Arm.BIP)
    output = tmp_path / "zaken.zip"
    call_command(
        "export_evaluation", "--dataset", "zaken", "--format", "sav",
        "--output", str(output), "--user", researcher.username,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "4 rijen" in out and "rijen/s" in out and "MiB" in out
    files = unpack(output, tmp_path / "uit")
    assert set(files) == {
        "zaken.sav",
        "codebook.csv",
        "codebook.txt",
        "manifest.json",
        "datapackage.json",
        "zaken.R",
        "zaken.sps",
    }
    rows, _meta = read_sav(files["zaken.sav"])
    assert len(rows) == 4

    export = ResearchExport.objects.get()
    assert export.status == ExportStatus.DONE and export.requested_by == researcher
    assert list(export.events.order_by("id").values_list("kind", "actor", "row_count")) == [
        (ExportEventKind.REQUESTED, researcher.pk, None),
        (ExportEventKind.COMPLETED, None, 4),
        (ExportEventKind.DOWNLOADED, researcher.pk, 4),
    ]


@pytest.mark.parametrize("username", ["niemand", "coord"])
def test_export_evaluation_needs_a_researcher(username, coordinator, tmp_path):
    with pytest.raises(CommandError, match="geen actieve onderzoeker"):
        call_command(
            "export_evaluation", "--dataset", "zaken", "--format", "csv",
            "--output", str(tmp_path / "x.zip"), "--user", username,
        )  # fmt: skip
    assert not ResearchExport.objects.exists()


def test_export_evaluation_refuses_a_missing_directory(researcher, tmp_path):
    with pytest.raises(CommandError, match="bestaat niet"):
        call_command(
            "export_evaluation", "--dataset", "zaken", "--format", "csv",
            "--output", str(tmp_path / "nergens" / "x.zip"), "--user", researcher.username,
        )  # fmt: skip


def test_export_evaluation_reports_a_failed_export(researcher, tmp_path, settings):
    settings.RESEARCH_PSEUDONYM_KEY = ""
    with pytest.raises(CommandError, match="RESEARCH_PSEUDONYM_KEY"):
        call_command(
            "export_evaluation", "--dataset", "contacten", "--format", "xlsx",
            "--output", str(tmp_path / "x.zip"), "--user", researcher.username,
        )  # fmt: skip
    assert not (tmp_path / "x.zip").exists()


def test_purge_exports_removes_expired_files(researcher, tmp_path, capsys):
    call_command(
        "export_evaluation", "--dataset", "zaken", "--format", "csv",
        "--output", str(tmp_path / "x.zip"), "--user", researcher.username,
    )  # fmt: skip
    export = ResearchExport.objects.get()
    call_command("purge_exports")
    assert "0 export(s) verwijderd" in capsys.readouterr().out
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        call_command("purge_exports")
    assert "1 export(s) verwijderd" in capsys.readouterr().out
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert export.events.filter(kind=ExportEventKind.DELETED).count() == 1
    assert zipfile.is_zipfile(tmp_path / "x.zip")  # the copy handed out is the researcher's


def test_purge_exports_marks_an_abandoned_export_failed(researcher, capsys):
    export = ResearchExport.objects.create(
        requested_by=researcher,
        dataset="zaken",
        file_format="csv",
        status=ExportStatus.RUNNING,
        progress_at=timezone.now() - datetime.timedelta(hours=2),
    )
    call_command("purge_exports")
    out = capsys.readouterr().out
    assert f"1 vastgelopen export(s) op mislukt gezet: {export.pk}." in out
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED


def test_purge_exports_marks_an_export_without_a_heartbeat_for_minutes_failed(researcher, capsys):
    three_minutes_ago = timezone.now() - datetime.timedelta(minutes=3)
    export = ResearchExport.objects.create(
        requested_by=researcher,
        dataset="zaken",
        file_format="csv",
        status=ExportStatus.RUNNING,
        progress_at=three_minutes_ago,
        heartbeat_at=three_minutes_ago,
    )
    call_command("purge_exports")
    assert f"1 vastgelopen export(s) op mislukt gezet: {export.pk}." in capsys.readouterr().out
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
