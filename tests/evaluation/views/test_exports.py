"""The researcher's export pages: list and request form, progress (htmx), download."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from evaluation.constants import Arm, ExportEventKind, ExportStatus
from evaluation.exports import services
from evaluation.models import ExportEvent, ResearchExport
from tests.evaluation.exports.conftest import export_settings  # noqa: F401 - autouse fixture
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("evaluation:export_list")


def detail_url(export):
    return reverse("evaluation:export_detail", args=[export.pk])


def download_url(export):
    return reverse("evaluation:export_download", args=[export.pk])


def finished_export(user, dataset="zaken", file_format="csv"):
    export = services.export_create(user=user, dataset=dataset, file_format=file_format)
    return services.export_run(export_id=export.pk)


@pytest.fixture
def cases(db):
    return CaseFactory.create_batch(3, arm=Arm.BIP)


def test_request_creates_runs_and_redirects_to_the_progress_page(
    client_for, researcher, cases, django_capture_on_commit_callbacks
):
    client = client_for(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST_URL, {"dataset": "zaken", "file_format": "sav"})
    export = ResearchExport.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(export)
    assert (export.requested_by, export.dataset, export.file_format) == (researcher, "zaken", "sav")
    assert export.status == ExportStatus.DONE

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="status"' in html
    assert f'href="{download_url(export)}"' in html
    assert 'hx-trigger="every 1s"' not in html  # finished: nothing to poll
    assert "Aangevraagd" in html and "Gereed" in html  # the log


def test_invalid_request_keeps_the_choice_and_shows_errors(client_for, researcher):
    response = client_for(researcher).post(LIST_URL, {"dataset": "zaken", "file_format": "pdf"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Kies een van de bestandsformaten." in html
    assert (
        'value="zaken" class="utrecht-radio-button utrecht-radio-button--html-input" required'
        in html
        or ('value="zaken"' in html and "checked" in html)
    )
    assert response.context["form"]["dataset"].value() == "zaken"
    assert not ResearchExport.objects.exists()


def test_empty_request_names_both_fields(client_for, researcher):
    response = client_for(researcher).post(LIST_URL, {})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"dataset", "file_format"}


def test_list_shows_only_own_exports_newest_first(client_for, researcher, cases):
    other = UserFactory(researcher=True)
    mine_old = finished_export(researcher)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        mine_new = finished_export(researcher, dataset="contacten")
    theirs = finished_export(other)
    response = client_for(researcher).get(LIST_URL)
    exports = list(response.context["page"].object_list)
    assert exports == [mine_new, mine_old]
    html = response.content.decode()
    assert download_url(mine_old) in html
    assert download_url(theirs) not in html


def test_list_query_count_does_not_grow_with_the_exports(
    client_for, researcher, django_assert_max_num_queries
):
    client = client_for(researcher)

    def add(n):
        for _ in range(n):
            services.export_create(user=researcher, dataset="zaken", file_format="csv")

    add(2)
    with django_assert_max_num_queries(8) as few:
        assert client.get(LIST_URL).status_code == 200
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST_URL).status_code == 200


def test_progress_partial_polls_while_running_and_announces_status_changes(client_for, researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    client = client_for(researcher)

    page = client.get(detail_url(export)).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert '<progress id="export-progress-bar"' in page and 'value="0"' in page
    assert '<label class="utrecht-form-label" for="export-progress-bar">' in page
    assert "Vernieuwen" in page  # the link that works without JavaScript

    ResearchExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, progress=40)
    same = client.get(detail_url(export), {"gezien": "bezig"}, headers={"HX-Request": "true"})
    html = same.content.decode()
    assert 'value="40"' in html and 'hx-trigger="every 1s"' in html
    assert 'id="export-status"' not in html  # status unchanged: the live region is left alone

    changed = client.get(detail_url(export), {"gezien": "wachtrij"}, headers={"HX-Request": "true"})
    html = changed.content.decode()
    assert 'id="export-status"' in html and 'hx-swap-oob="true"' in html

    ResearchExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED)
    services.export_run(export_id=export.pk)
    done = client.get(detail_url(export), {"gezien": "bezig"}, headers={"HX-Request": "true"})
    html = done.content.decode()
    assert 'value="100"' in html
    assert 'hx-trigger="every 1s"' not in html  # polling stops
    assert download_url(export) in html


def test_the_poll_that_sees_the_export_finish_also_updates_the_facts_list(
    client_for, researcher, cases
):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    client = client_for(researcher)
    page = client.get(detail_url(export)).content.decode()
    assert '<dl class="kk-facts" id="export-details">' in page  # no oob on the full page

    still = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL).text
    assert 'id="export-details"' not in still  # nothing changed: the list is left alone

    services.export_run(export_id=export.pk)
    export.refresh_from_db()
    done = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL).text
    details = done[done.index('<dl class="kk-facts" id="export-details" hx-swap-oob="true">') :]
    details = details[: details.index("</dl>")]
    assert "<dd>Klaar</dd>" in details and "In de wachtrij" not in details
    assert f"<dd>{export.row_count}</dd>" in details
    assert export.row_count == 3
    assert "De export is klaar: 3 rijen." in done  # the status sentence says the same


def test_a_stalled_export_tells_the_researcher_the_worker_is_probably_down(client_for, researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    client = client_for(researcher)
    warning = "Er is al 10 minuten geen voortgang"

    with time_machine.travel(export.requested_at + datetime.timedelta(minutes=9)):
        assert warning not in client.get(detail_url(export)).content.decode()

    with time_machine.travel(export.requested_at + datetime.timedelta(minutes=11)):
        page = client.get(detail_url(export)).content.decode()
        assert warning in page and f"exportnummer {export.pk}" in page
        assert "De export start vanzelf zodra de werker weer draait." in page
        assert '"gezien": "wachtrij-vastgelopen"' in page  # what the next poll reports
        # The poll that last announced "queued" gets the live region again, with the warning.
        polled = client.get(
            detail_url(export), {"gezien": "wachtrij"}, headers={"HX-Request": "true"}
        ).content.decode()
        assert 'id="export-status"' in polled and warning in polled
        again = client.get(
            detail_url(export),
            {"gezien": "wachtrij-vastgelopen"},
            headers={"HX-Request": "true"},
        ).content.decode()
        assert 'id="export-status"' not in again  # announced once, not every second

    ResearchExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, progress=40, progress_at=export.requested_at
    )
    with time_machine.travel(export.requested_at + datetime.timedelta(minutes=11)):
        page = client.get(detail_url(export)).content.decode()
    assert warning in page and "vraag dan een nieuwe aan" in page


def test_download_serves_the_zip_to_the_requester_and_logs_it(client_for, researcher, cases):
    export = finished_export(researcher)
    response = client_for(researcher).get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="ketenkameleon-zaken-csv-{export.pk}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "zaken.csv" in archive.namelist()
    event = export.events.get(kind=ExportEventKind.DOWNLOADED)
    assert event.actor == researcher and event.row_count == 3


def test_another_researchers_export_is_not_found(client_for, researcher, cases):
    export = finished_export(researcher)
    client = client_for(UserFactory(researcher=True))
    assert client.get(download_url(export)).status_code == 404
    assert client.get(detail_url(export)).status_code == 404
    assert not ExportEvent.objects.filter(kind=ExportEventKind.DOWNLOADED).exists()


@pytest.mark.parametrize("role", ["coordinator", "administrator"])
def test_other_roles_are_refused(client_for, researcher, cases, role, request):
    export = finished_export(researcher)
    client = client_for(request.getfixturevalue(role))
    assert client.get(download_url(export)).status_code == 403
    assert client.get(LIST_URL).status_code == 403
    assert client.post(LIST_URL, {"dataset": "zaken", "file_format": "csv"}).status_code == 403
    assert ResearchExport.objects.count() == 1


def test_expired_export_is_gone(client_for, researcher, cases):
    export = finished_export(researcher)
    with time_machine.travel(export.expires_at + datetime.timedelta(minutes=1)):
        client = client_for(researcher)  # a new session: the old one has expired
        response = client.get(download_url(export))
        assert response.status_code == 410
        assert "verlopen" in response.content.decode()
        services.export_purge()
        assert client.get(download_url(export)).status_code == 410
        page = client.get(detail_url(export)).content.decode()
        assert "bewaartermijn van deze export is voorbij" in page
    assert not ExportEvent.objects.filter(kind=ExportEventKind.DOWNLOADED).exists()


def test_unfinished_export_cannot_be_downloaded_yet(client_for, researcher):
    export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    response = client_for(researcher).get(download_url(export))
    assert response.status_code == 404
    assert "nog niet klaar" in response.content.decode()


def test_wrong_methods(client_for, researcher, cases):
    export = finished_export(researcher)
    client = client_for(researcher)
    assert client.post(detail_url(export)).status_code == 405
    assert client.post(download_url(export)).status_code == 405
    assert client.put(LIST_URL).status_code == 405


# --------------------------------------------------------------------------------------------
# A worker killed mid-export; the poll's back-off; polls are not activity
# --------------------------------------------------------------------------------------------

START = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)
POLL = {"HX-Request": "true", "X-KK-Poll": "1"}


def at(**delta):
    return time_machine.travel(START + datetime.timedelta(**delta), tick=False)


@pytest.fixture
def running(researcher):
    """An export whose worker beat last at START and then was killed (SIGKILL)."""
    with at():
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    ResearchExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, progress=40, progress_at=START, heartbeat_at=START
    )
    services.export_directory(export.pk).mkdir(parents=True)
    (services.export_directory(export.pk) / "partial.csv.tmp").write_text("x")
    return export


def test_the_poll_tells_the_researcher_within_minutes_that_a_killed_export_failed(
    client, researcher, running
):
    with at():
        client.force_login(researcher)
    with at(minutes=1, seconds=50):
        html = client.get(detail_url(running), {"gezien": "bezig"}, headers=POLL).text
        assert "hx-trigger" in html and 'id="export-status"' not in html
        assert ResearchExport.objects.get(pk=running.pk).status == ExportStatus.RUNNING
    with at(minutes=2, seconds=5):
        html = client.get(detail_url(running), {"gezien": "bezig"}, headers=POLL).text
    assert 'id="export-status"' in html and 'hx-swap-oob="true"' in html  # announced
    assert "De export is mislukt." in html and "Vraag een nieuwe export aan." in html
    assert "hx-trigger" not in html  # polling stops
    running.refresh_from_db()
    assert running.status == ExportStatus.FAILED
    assert running.finished_at == START + datetime.timedelta(minutes=2, seconds=5)
    assert not services.export_directory(running.pk).exists()


def test_the_page_and_the_list_show_a_killed_export_as_failed(client, researcher, running):
    with at(minutes=3):
        client.force_login(researcher)
        row = client.get(LIST_URL).text.split(f'id="export-{running.pk}"')[1].split("</tr>")[0]
        assert "Mislukt" in row and "Bezig" not in row
        assert ResearchExport.objects.get(pk=running.pk).status == ExportStatus.FAILED
        page = client.get(detail_url(running)).text
    assert "De export is mislukt." in page and "hx-trigger" not in page


def test_an_export_with_a_live_worker_keeps_running_however_long_it_takes(
    client, researcher, running
):
    ResearchExport.objects.filter(pk=running.pk).update(
        heartbeat_at=START + datetime.timedelta(hours=2)
    )
    with at(hours=2, minutes=1):
        client.force_login(researcher)
        page = client.get(detail_url(running)).text
    assert "De export van" in page or "De export wordt gemaakt." in page
    assert ResearchExport.objects.get(pk=running.pk).status == ExportStatus.RUNNING
    assert "geen voortgang" not in page  # not stalled: the worker is alive


@pytest.mark.parametrize(
    ("age", "trigger"),
    [
        ({"seconds": 5}, "every 1s"),
        ({"minutes": 1}, "every 5s"),
        ({"minutes": 10}, "every 15s"),
    ],
)
def test_the_poll_backs_off_as_the_export_gets_older(client, researcher, age, trigger):
    with at():
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
    with at(**age):
        client.force_login(researcher)
        page = client.get(detail_url(export)).text
        polled = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL).text
    for html in (page, polled):
        assert f'hx-trigger="{trigger}"' in html
        assert "hx-headers='{&quot;X-KK-Poll&quot;: &quot;1&quot;}'" in html
    assert "Vernieuwen" in page  # the link that works without JavaScript


def test_a_page_left_polling_does_not_keep_the_session_alive(client, researcher):
    """Polls every 30 s for 31 minutes: the session still ends 30 minutes after the last
    real request, and the next poll sends the whole page to the login page."""
    with at():
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
        client.force_login(researcher)
        assert client.get(detail_url(export)).status_code == 200
    for seconds in range(30, 30 * 60 + 1, 30):
        with at(seconds=seconds):
            response = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL)
            assert response.status_code == 200 and "HX-Redirect" not in response, seconds
    with at(minutes=31):
        response = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL)
        assert response["HX-Redirect"] == reverse("login")
        assert "_auth_user_id" not in client.session


def test_a_click_on_the_page_does_keep_the_session_alive(client, researcher):
    with at():
        export = services.export_create(user=researcher, dataset="zaken", file_format="csv")
        client.force_login(researcher)
    with at(minutes=20):
        assert client.get(detail_url(export)).status_code == 200  # "Vernieuwen"
    with at(minutes=31):
        response = client.get(detail_url(export), {"gezien": "wachtrij"}, headers=POLL)
        assert response.status_code == 200 and "HX-Redirect" not in response
