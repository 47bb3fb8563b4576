"""The import pages: upload, preview, confirm, cancel. Response first, then the database."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import imports
from cases.constants import ImportStatus
from cases.imports import reader, services
from cases.models import Case, Child, ImportBatch
from cases.tasks import check_import_batch
from tests.cases.test_imports import csv_bytes, melding
from tests.evaluation.exports.conftest import IMMEDIATE_TASKS
from tests.factories import CaseFactory, ChildFactory, SchoolFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
UPLOAD = reverse("cases:import_upload")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def school(db):
    return SchoolFactory(brin="12KL")


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Queued tasks run inline (ImmediateBackend), once the request's transaction commits;
    a test decides with django_capture_on_commit_callbacks whether that happens."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run the tasks a request queues, as the worker would, before the test goes on."""

    def post(client, url, data=None, *, follow=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data or {})
        if not (follow and response.status_code == 302):
            return response
        # Followed after the tasks ran: the page the coordinator sees once the worker is done.
        page = client.get(response.url)
        page.redirect_chain = [(response.url, 302)]
        return page

    return post


def upload(client, content: bytes, name: str = "meldingen.csv"):
    return client.post(UPLOAD, {"csv_file": SimpleUploadedFile(name, content, "text/csv")})


def upload_and_check(run_tasks, client, content: bytes, name: str = "meldingen.csv"):
    return run_tasks(client, UPLOAD, {"csv_file": SimpleUploadedFile(name, content, "text/csv")})


def preview_url(batch) -> str:
    return reverse("cases:import_preview", args=[batch.pk])


def confirm_url(batch) -> str:
    return reverse("cases:import_confirm", args=[batch.pk])


def cancel_url(batch) -> str:
    return reverse("cases:import_cancel", args=[batch.pk])


def make_batch(coordinator, rows) -> ImportBatch:
    return imports.import_preview_create(
        content=csv_bytes(rows), file_name="m.csv", actor=coordinator
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Upload ---------------------------------------------------------------------------------------


def test_upload_page_shows_the_form_and_the_columns(client_for, coordinator):
    response = client_for(coordinator).get(UPLOAD)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert "verzuim_tot_en_met" in body


def test_uploading_a_good_file_stores_a_preview_and_redirects(client_for, coordinator, run_tasks):
    client = client_for(coordinator)
    bsn = melding()["bsn"]

    response = upload_and_check(run_tasks, client, csv_bytes([melding(bsn=bsn), melding()]))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == preview_url(batch)
    assert bsn not in response.url
    assert (batch.status, batch.valid_count, batch.uploaded_by) == ("preview", 2, coordinator)
    assert batch.file_name == "meldingen.csv"
    assert not Case.objects.exists() and not Child.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (csv_bytes([melding(achternaam="Çelik")], encoding="latin-1"), "niet in UTF-8"),
        (csv_bytes([melding()], delimiter=","), "Verkeerd scheidingsteken"),
        (csv_bytes([melding()], columns=imports.COLUMNS[:-1]), "mist de kolommen: plaats"),
    ],
    ids=["encoding", "delimiter", "header"],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_form(
    client_for, coordinator, content, expected
):
    response = upload(client_for(coordinator), content)

    assert response.status_code == 422
    assert expected in response.content.decode()
    assert response.context["form"].errors["csv_file"]
    assert not ImportBatch.objects.exists()


def test_an_empty_post_and_a_too_large_file_are_refused(client_for, coordinator, monkeypatch):
    client = client_for(coordinator)

    assert client.post(UPLOAD, {}).status_code == 422
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 50)
    response = upload(client, csv_bytes([melding()]))

    assert response.status_code == 422
    assert "groter dan" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --- Preview --------------------------------------------------------------------------------------


def test_preview_lists_what_each_row_creates_and_the_errors(client_for, coordinator):
    known = ChildFactory(bsn=melding()["bsn"], first_name="Bekend")
    rows = [melding(bsn=known.bsn), melding(voornamen="Nieuw"), melding(brin="99ZZ")]
    batch = make_batch(coordinator, rows)

    response = client_for(coordinator).get(preview_url(batch))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Voorvertoning import" in body
    assert "Bestaand kind" in body and "Nieuw kind" in body
    assert "zaak: 16 uur in 4 weken" in body
    assert "brin: er is geen school met BRIN 99ZZ bekend" in body
    assert 'id="regel-4"' in body
    assert "2 meldingen importeren" in body


def test_preview_can_show_only_the_rows_with_errors(client_for, coordinator):
    batch = make_batch(coordinator, [melding(), melding(bsn="1"), melding()])

    response = client_for(coordinator).get(preview_url(batch), {"toon": "fouten"})

    rows = list(response.context["page"].object_list)
    assert [row.line_number for row in rows] == [3]


def test_unknown_batch_is_404(client_for, coordinator):
    assert (
        client_for(coordinator).get(reverse("cases:import_preview", args=[999])).status_code == 404
    )


def test_preview_query_count_does_not_grow_with_the_rows_on_the_page(
    client_for, coordinator, settings
):
    settings.PAGE_SIZE = 25
    client = client_for(coordinator)
    small = make_batch(coordinator, [melding(), melding(bsn="1")])
    large = make_batch(coordinator, [melding() for _ in range(30)] + [melding(brin="99ZZ")])
    client.get(preview_url(small))  # warm the session and caches

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    assert len(client.get(preview_url(large)).context["page"].object_list) == 25
    assert queries(preview_url(large)) == queries(preview_url(small))
    # The report after import (case links) stays just as flat.
    imports.import_confirm(batch=large, actor=coordinator)
    imports.import_confirm(batch=small, actor=coordinator)
    assert queries(preview_url(large)) == queries(preview_url(small)) <= 10


# --- Confirm and cancel ---------------------------------------------------------------------------


def test_confirm_imports_and_shows_the_report(client_for, coordinator, run_tasks):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(), melding(bsn="1")])

    response = run_tasks(client, confirm_url(batch), follow=True)

    assert response.redirect_chain == [(preview_url(batch), 302)]
    assert any("De import is gestart" in message for message in messages_of(response))
    body = response.content.decode()
    assert "De import is uitgevoerd: 1 zaak aangemaakt." in body
    assert "1 regel is overgeslagen; de reden staat in het verslag." in body
    batch.refresh_from_db()
    assert (batch.status, batch.imported_count, batch.skipped_count) == ("imported", 1, 1)
    assert batch.finished_by == coordinator
    case = Case.objects.get()
    assert "Importverslag" in body
    assert reverse("cases:case_detail", args=[case.pk]) in body
    assert "bsn: Dit is geen geldig BSN" in body


def test_confirm_twice_says_so_and_imports_once(client_for, coordinator, run_tasks):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(), melding()])
    run_tasks(client, confirm_url(batch))

    response = run_tasks(client, confirm_url(batch), follow=True)

    assert response.status_code == 200
    assert any("al uitgevoerd" in message for message in messages_of(response))
    assert Case.objects.count() == 2


def test_a_duplicate_of_an_open_case_is_reported_and_skipped(client_for, coordinator, run_tasks):
    open_case = CaseFactory(child=ChildFactory(bsn=melding()["bsn"]))
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(bsn=open_case.child.bsn), melding()])

    response = run_tasks(client, confirm_url(batch), follow=True)

    body = response.content.decode()
    assert f"dubbel: dit kind heeft al een open zaak ({open_case.number})" in body
    assert Case.objects.count() == 2
    assert open_case.child.cases.count() == 1


def test_cancel_imports_nothing(client_for, coordinator, run_tasks):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(), melding()])

    response = client.post(cancel_url(batch), follow=True)

    assert response.redirect_chain == [(preview_url(batch), 302)]
    assert "De import is geannuleerd. Er is niets geïmporteerd." in messages_of(response)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert not Case.objects.exists() and not Child.objects.exists()
    assert not batch.rows.filter(payload__isnull=False).exists()
    response = run_tasks(client, confirm_url(batch), follow=True)
    assert any("geannuleerd" in message for message in messages_of(response))
    assert not Case.objects.exists()


# --- Access and methods ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["professional", "researcher", "administrator"])
def test_only_the_coordinator_may_import(client_for, coordinator, role, request):
    batch = make_batch(coordinator, [melding()])
    user = request.getfixturevalue(role)
    client = client_for(getattr(user, "user", user))  # the professional fixture is a Professional

    assert client.get(UPLOAD).status_code == 403
    assert upload(client, csv_bytes([melding()])).status_code == 403
    assert client.get(preview_url(batch)).status_code == 403
    assert client.post(confirm_url(batch)).status_code == 403
    assert client.post(cancel_url(batch)).status_code == 403

    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW
    assert ImportBatch.objects.count() == 1
    assert not Case.objects.exists()


def test_anonymous_is_sent_to_the_login_page(client, coordinator):
    batch = make_batch(coordinator, [melding()])

    for response in (client.get(UPLOAD), client.post(confirm_url(batch))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert not Case.objects.exists()


def test_wrong_methods_are_405(client_for, coordinator):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding()])

    assert client.get(confirm_url(batch)).status_code == 405
    assert client.get(cancel_url(batch)).status_code == 405
    assert client.post(preview_url(batch)).status_code == 405
    assert client.put(UPLOAD).status_code == 405
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW
    assert not Case.objects.exists()


# --- Background tasks: progress, limits, retry -------------------------------------------------


def test_upload_queues_the_check_and_the_page_shows_its_progress(client_for, coordinator):
    client = client_for(coordinator)
    response = upload(client, csv_bytes([melding(), melding()]))  # the worker has not run yet

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == preview_url(batch)
    assert batch.status == ImportStatus.CHECKING and not batch.rows.exists()

    page = client.get(preview_url(batch))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Controle van het bestand" in body
    assert "Bezig met controleren … 0%" in body
    assert 'hx-trigger="every 2s"' in body
    assert f'href="{preview_url(batch)}">Vernieuwen</a>' in body  # without JavaScript
    assert "2 meldingen importeren" not in body and 'id="regel-2"' not in body
    assert "achtergrondwerker" not in body  # not stalled

    partial = client.get(preview_url(batch), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<div id="import-progress"')

    # The worker checks the file; the next poll makes the page reload itself.
    check_import_batch.call(batch.pk, "nl")
    done = client.get(preview_url(batch), headers={"HX-Request": "true"})
    assert done.status_code == 200 and done.headers["HX-Refresh"] == "true"
    body = client.get(preview_url(batch)).content.decode()
    assert "Voorvertoning import" in body and "2 meldingen importeren" in body
    assert 'hx-trigger="every 2s"' not in body


def test_a_100000_line_file_is_refused_on_the_form_and_nothing_is_stored(client_for, coordinator):
    header = ";".join(imports.COLUMNS).encode()
    content = header + b"\r\n" + (b"1;" * 14 + b"1\r\n") * 100_000

    response = upload(client_for(coordinator), content)

    assert response.status_code == 422
    assert "Het bestand heeft meer dan 20.000 regels" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_failed_confirmation_shows_the_reason_and_can_be_confirmed_again(
    client_for, coordinator, run_tasks, monkeypatch
):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(), melding()])

    def broken(checks, **kwargs):
        raise RuntimeError("connection lost")

    create_cases = services._create_cases
    monkeypatch.setattr(services, "_create_cases", broken)
    response = run_tasks(client, confirm_url(batch), follow=True)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW
    assert not Case.objects.exists()
    body = response.content.decode()
    assert "De vorige poging om te importeren is mislukt; er is niets geïmporteerd." in body
    assert f"importnummer {batch.pk}" in body
    assert "2 meldingen importeren" in body  # Bevestigen works again

    monkeypatch.setattr(services, "_create_cases", create_cases)
    response = run_tasks(client, confirm_url(batch), follow=True)

    batch.refresh_from_db()
    assert (batch.status, batch.imported_count, batch.error) == ("imported", 2, "")
    assert Case.objects.count() == 2
    assert "De import is uitgevoerd: 2 zaken aangemaakt." in response.content.decode()
    assert "mislukt" not in response.content.decode()


def test_a_confirmation_in_progress_shows_progress_then_a_stalled_one_a_warning(
    client_for, coordinator
):
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding()])
    client.post(confirm_url(batch))  # queued; no worker runs it

    body = client.get(preview_url(batch)).content.decode()
    assert "Import wordt uitgevoerd" in body and "Bezig met importeren … 0%" in body
    assert "melding importeren" not in body and "Annuleren" not in body
    response = client.post(confirm_url(batch), follow=True)
    assert any("wordt al uitgevoerd" in message for message in messages_of(response))

    with time_machine.travel(NOW + imports.STALLED_AFTER, tick=False):
        body = client.get(preview_url(batch)).content.decode()
        assert "waarschijnlijk draait de achtergrondwerker niet" in body
        assert f"importnummer {batch.pk}" in body
        assert "1 melding importeren" in body and "Annuleren, niets importeren" in body
        response = client.post(cancel_url(batch), follow=True)

    assert "De import is geannuleerd. Er is niets geïmporteerd." in messages_of(response)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert not Case.objects.exists()


def test_confirming_a_file_still_being_checked_is_refused(client_for, coordinator):
    client = client_for(coordinator)
    upload(client, csv_bytes([melding()]))
    batch = ImportBatch.objects.get()

    response = client.post(confirm_url(batch), follow=True)

    assert any("wordt nog gecontroleerd" in message for message in messages_of(response))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING
