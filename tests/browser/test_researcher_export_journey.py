"""The researcher asks for an export, watches the progress bar reach the download link, and
downloads the ZIP with the data and the codebook: an SPSS export of every referral, and a CSV
export of one month that is also checked at phone width.

The export is queued in the database (django-tasks-db); the test runs the worker
(`db_worker --batch`) while the page is open, so the page's htmx polling sees the export go
from the queue to done, and stops.
"""

import csv
import datetime
import io
import json
import zipfile

import pyreadstat
import pytest
from django.core.management import call_command
from django.utils import timezone
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
    # The export's own page first: the request has been handled once it shows.
    expect(page.get_by_role("heading", level=1)).to_contain_text(": Zaken")
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
        assert sorted(archive.namelist()) == [
            "codebook.csv",
            "codebook.txt",
            "datapackage.json",
            "manifest.json",
            "zaken.R",
            "zaken.sav",
            "zaken.sps",
        ]
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


PHONE = {"width": 390, "height": 844}


def assert_fits_a_phone(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at a 390 px screen"


def test_a_one_month_csv_export_ends_with_consistent_details_and_a_dutch_excel_csv(
    page, live_server, login, assert_accessible, page_problems, database_tasks, tmp_path
):
    UserFactory(username="researcher", researcher=True)
    month_day = timezone.localdate().replace(day=1) - datetime.timedelta(days=20)
    month = month_day.replace(day=1)
    CaseFactory.create_batch(4, arm=Arm.BIP, date_received=month_day)
    CaseFactory.create_batch(2, arm=Arm.CONTROL, date_received=month + datetime.timedelta(days=1))
    # Referred in the month before: outside the chosen month, not exported.
    CaseFactory.create_batch(3, arm=Arm.BIP, date_received=month - datetime.timedelta(days=3))

    login("researcher")
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Exports").click()
    page.get_by_role("radio", name="Zaken").check()
    page.get_by_role("radio", name="CSV").check()
    page.get_by_label("Van maand").fill(f"{month:%Y-%m}")
    page.get_by_label("Tot en met maand").fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="Export aanvragen").click()
    # The export's own page first: the request has been handled once it shows.
    expect(page.get_by_role("heading", level=1)).to_contain_text(": Zaken")
    export = ResearchExport.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Export {export.pk}: Zaken")
    details = page.locator("#export-details")
    expect(details).to_contain_text("In de wachtrij")
    assert_accessible(page)

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    download_link = page.get_by_role("link", name="Export downloaden (ZIP met data en codeboek)")
    expect(download_link).to_be_visible(timeout=10_000)
    expect(page.locator("#export-status")).to_contain_text("De export is klaar: 6 rijen.")
    # The facts list was swapped by the same poll: no "In de wachtrij" next to "klaar".
    expect(details).to_contain_text("Klaar")
    expect(details).not_to_contain_text("In de wachtrij")
    expect(details.locator("dt:text-is('Rijen') + dd")).to_have_text("6")
    assert_accessible(page)

    page.set_viewport_size(PHONE)
    assert_fits_a_phone(page)
    assert_accessible(page)

    with page.expect_download() as download_info:
        download_link.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
        assert {"manifest.json", "datapackage.json", "zaken.csv", "zaken_r.csv"} <= names
        manifest = json.loads(archive.read("manifest.json"))
        package = json.loads(archive.read("datapackage.json"))
        excel_csv = archive.read("zaken.csv")
    assert manifest["rows"] == 6
    assert manifest["period"]["first_day"] == month.isoformat()
    listed = {entry["name"] for entry in manifest["files"]}
    assert names - {"manifest.json"} == listed
    resource = next(r for r in package["resources"] if r["path"] == "zaken.csv")
    assert resource["dialect"]["delimiter"] == ";"
    assert excel_csv.startswith(b"\xef\xbb\xbf")  # the BOM Dutch Excel needs
    rows = list(csv.reader(io.StringIO(excel_csv.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["zaak_pseudoniem", "kind_pseudoniem"]
    assert len(rows) == 1 + 6 and all(len(row) == len(rows[0]) for row in rows)
    assert b"\r\n" in excel_csv

    page.get_by_role("link", name="Terug naar mijn exports").click()
    expect(page.locator(f"#export-{export.pk}")).to_contain_text("Klaar")
    assert_fits_a_phone(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)
    page_problems.assert_clean()
