"""The researcher asks for an SPSS export, watches the progress bar reach the download link,
and downloads the ZIP with the data and the codebook.

The export is queued in the database (django-tasks-db); the test runs the worker
(`db_worker --batch`) while the page is open, so the page's htmx polling sees the export go
from the queue to done, and stops.
"""

import zipfile

import pyreadstat
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from evaluation.constants import Arm, ExportEventKind
from evaluation.models import ExportEvent, ResearchExport
from tests.factories import CaseFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_tasks(settings, tmp_path):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.RESEARCH_PSEUDONYM_KEY = "browser-test-pseudonym-key-of-32-characters"


def test_researcher_requests_follows_and_downloads_an_export(
    page, live_server, login, assert_accessible, csp_errors, database_tasks, tmp_path
):
    UserFactory(username="researcher", researcher=True)
    CaseFactory.create_batch(3, arm=Arm.BIP)
    CaseFactory.create_batch(2, arm=Arm.CONTROL)

    login("researcher")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Onderzoeksexports")
    expect(page.get_by_text("Je hebt nog geen exports aangevraagd.")).to_be_visible()
    assert_accessible(page)

    # Nothing chosen: the error summary names both fields.
    page.get_by_role("button", name="Export aanvragen").click()
    expect(page.get_by_role("alert")).to_contain_text("Kies een dataset.")
    expect(page.get_by_role("alert")).to_contain_text("Kies een bestandsformaat.")
    assert_accessible(page)
    assert not ResearchExport.objects.exists()

    page.get_by_role("radio", name="Zaken").check()
    page.get_by_role("radio", name="SPSS (.sav)").check()
    page.get_by_role("button", name="Export aanvragen").click()
    export = ResearchExport.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Export {export.pk}: Zaken")
    progress = page.get_by_role("progressbar", name="Voortgang van de export")
    expect(progress).to_have_attribute("value", "0")
    expect(page.locator("#export-status")).to_contain_text("wachtrij")
    assert_accessible(page)

    # The worker runs the queued task; the polling page follows it to the end.
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    download_link = page.get_by_role("link", name="Export downloaden (ZIP met data en codeboek)")
    expect(download_link).to_be_visible(timeout=10_000)
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#export-status")).to_contain_text("5 rijen")
    expect(page.locator("#export-progress")).not_to_have_attribute("hx-trigger", "every 1s")
    assert_accessible(page)

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"ketenkameleon-zaken-sav-{export.pk}.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert sorted(archive.namelist()) == ["codebook.csv", "codebook.txt", "zaken.sav"]
        archive.extract("zaken.sav", tmp_path)
    frame, meta = pyreadstat.read_sav(tmp_path / "zaken.sav")
    assert len(frame) == 5
    assert meta.variable_value_labels["arm"] == {1: "BIP-arm", 2: "Controlearm"}
    assert ExportEvent.objects.filter(kind=ExportEventKind.DOWNLOADED).count() == 1

    page.get_by_role("link", name="Terug naar mijn exports").click()
    row = page.locator(f"#export-{export.pk}")
    expect(row).to_contain_text("Klaar")
    expect(row.get_by_role("link", name="Downloaden")).to_be_visible()
    assert_accessible(page)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
