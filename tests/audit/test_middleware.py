"""One access log entry per audited request, with every field, for every kind of action.

Each test makes one request as a real user and then reads the single entry it wrote.
"""

import datetime
import json
import logging

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.constants import MASK, Action, ObjectType, Result
from audit.models import AccessLogEntry
from cases.models import Contact
from evaluation.constants import Arm
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.factories import CaseFactory, ChildFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Testbrowser/1.0"
SUMMARY = "Moeder vertelt dat de bus niet meer rijdt."


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(professional):
    return CaseFactory(
        professional=professional,
        arm=Arm.BIP,
        child=ChildFactory(
            first_name="Sanne", last_name="Verbeek", date_of_birth=datetime.date(2012, 1, 10)
        ),
        date_received=datetime.date(2026, 2, 24),
    )


def only_entry() -> AccessLogEntry:
    entries = list(AccessLogEntry.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


def row_text(entry: AccessLogEntry) -> str:
    """Every stored value of the entry as one string, to prove what is NOT in it."""
    return json.dumps(model_to_dict(entry), default=str) + entry.acting_on_behalf_of


def test_read_of_a_case_page_fills_every_field(client, professional, case):
    client.force_login(professional.user)
    response = client.get(
        reverse("cases:case_detail", args=[case.pk]),
        headers={"user-agent": BROWSER},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 200
    entry = only_entry()
    assert entry.occurred_at == NOW
    assert entry.actor == professional.user
    assert entry.actor_username == "bip"
    assert entry.actor_role == "Professional"
    # NEN 7513 "namens": the professional acts for their employing organisation.
    assert entry.acting_on_behalf_of == professional.organisation.name
    assert entry.action == Action.READ
    assert entry.object_type == ObjectType.CASE
    assert entry.object_id == str(case.pk)
    assert entry.case_id == case.pk
    assert entry.child_id == case.child_id
    assert entry.household_id == case.child.household_id
    assert entry.result == Result.SUCCESS
    assert entry.http_status == 200
    assert entry.ip_address == "192.0.2.10"
    assert entry.user_agent == BROWSER
    assert entry.method == "GET"
    assert entry.path == f"/zaken/{case.pk}/"
    assert entry.url_name == "cases:case_detail"
    assert entry.details == {}


def test_search_records_filter_names_never_the_bsn_or_name(client, coordinator, case):
    bsn = case.child.bsn
    client.force_login(coordinator)
    response = client.get(
        reverse("cases:case_list"),
        {"q": bsn, "stage": "halt", "school": bsn, "pagina": bsn, "sort": "Verbeek"},
    )
    assert response.status_code == 200
    entry = only_entry()
    assert entry.action == Action.SEARCH
    assert entry.object_type == ObjectType.CASE_LIST
    assert entry.actor_role == "Coördinator"
    assert entry.acting_on_behalf_of == ""
    assert entry.case_id is None and entry.child_id is None
    # Filter names are kept; a value only when it is a known, harmless one.
    assert entry.details == {
        "params": {"q": MASK, "stage": "halt", "school": MASK, "pagina": MASK, "sort": MASK}
    }
    assert entry.path == "/zaken/"  # never the query string
    assert bsn not in row_text(entry)
    assert "Verbeek" not in row_text(entry)


def test_intake_search_by_bsn_name_and_birth_date_is_masked(client, coordinator, case):
    client.force_login(coordinator)
    response = client.get(
        reverse("cases:intake"),
        {"zoek": "1", "bsn": case.child.bsn, "last_name": "Verbeek", "date_of_birth": "2012-01-10"},
    )
    assert response.status_code == 200
    entry = only_entry()
    assert entry.action == Action.SEARCH
    assert entry.details["params"] == {
        "zoek": "1",
        "bsn": MASK,
        "last_name": MASK,
        "date_of_birth": MASK,
    }
    text = row_text(entry)
    assert case.child.bsn not in text and "Verbeek" not in text and "2012-01-10" not in text


def test_intake_of_a_known_child_records_the_child(client, coordinator, case):
    client.force_login(coordinator)
    client.get(reverse("cases:intake"), {"kind": case.child_id})
    entry = only_entry()
    assert entry.object_type == ObjectType.CHILD
    assert entry.child_id == case.child_id
    assert entry.household_id == case.child.household_id


def test_change_records_the_write_and_the_choices_not_the_summary(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:contact_create", args=[case.pk]),
        {
            "role": ChainRole.LEERPLICHT,
            "kind": ContactKind.VERZUIMGESPREK,
            "with_whom": ContactWith.PUPIL_AND_PARENTS,
            "channel": Channel.IN_PERSON,
            "occurred_on": "2026-03-16",
            "occurred_time": "10:30",
            "duration_minutes": "45",
            "summary": SUMMARY,
        },
    )
    assert response.status_code == 302
    assert Contact.objects.filter(case=case).exists()
    entry = only_entry()
    assert entry.action == Action.CHANGE
    assert entry.result == Result.SUCCESS
    assert entry.http_status == 302
    assert entry.method == "POST"
    assert (entry.case_id, entry.child_id) == (case.pk, case.child_id)
    assert entry.details["params"]["role"] == "leerplicht"
    assert entry.details["params"]["summary"] == MASK
    assert "csrfmiddlewaretoken" not in entry.details["params"]
    assert SUMMARY not in row_text(entry)


def test_a_rejected_form_is_logged_as_invalid(client, professional, case):
    client.force_login(professional.user)
    response = client.post(reverse("cases:contact_create", args=[case.pk]), {})
    assert response.status_code == 422
    entry = only_entry()
    assert (entry.action, entry.result, entry.http_status) == (Action.CHANGE, Result.INVALID, 422)


def test_403_on_a_case_is_refused_with_the_case_and_child(client, coordinator, case):
    client.force_login(coordinator)  # may change the case, but logs no contacts
    response = client.post(reverse("cases:contact_create", args=[case.pk]), {})
    assert response.status_code == 403
    entry = only_entry()
    assert (entry.result, entry.http_status) == (Result.REFUSED, 403)
    assert (entry.case_id, entry.child_id) == (case.pk, case.child_id)
    assert entry.actor_username == "coord"


def test_404_on_someone_elses_case_is_refused(client, other_professional, case):
    client.force_login(other_professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 404
    entry = only_entry()
    # The user sees "not found"; the log knows the case exists: a refused look at a child.
    assert (entry.result, entry.http_status) == (Result.REFUSED, 404)
    assert (entry.case_id, entry.child_id) == (case.pk, case.child_id)
    assert entry.household_id == case.child.household_id


def test_404_on_a_case_that_does_not_exist_is_not_found(client, professional):
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_detail", args=[987654]))
    assert response.status_code == 404
    entry = only_entry()
    assert (entry.result, entry.case_id, entry.child_id) == (Result.NOT_FOUND, 987654, None)


@pytest.mark.parametrize(
    ("method", "url_name", "params"),
    [
        ("get", "cases:case_detail", {}),
        ("post", "cases:contact_create", {"summary": SUMMARY}),
        ("get", "cases:intake", {"kind": "CHILD"}),
        ("get", "audit:inzage", {}),
        ("get", "audit:child_access", {}),
    ],
)
def test_requests_that_are_not_logged_in_write_nothing(client, case, method, url_name, params):
    """Anyone on the internet could otherwise fill the 7-year log with rows about a child."""
    pk = case.child_id if url_name.startswith("audit:") else case.pk
    args = [] if url_name == "cases:intake" else [pk]
    params = {name: case.child_id if value == "CHILD" else value for name, value in params.items()}
    for _ in range(3):
        response = getattr(client, method)(
            reverse(url_name, args=args), params, headers={"user-agent": "anything"}
        )
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("number", ["111222333", "12345678"])
def test_a_bsn_typed_into_the_path_is_masked(client, professional, number):
    client.force_login(professional.user)
    response = client.get(f"/zaken/{number}/")
    assert response.status_code == 404
    entry = only_entry()
    assert entry.path == "/zaken/***/"
    assert number not in row_text(entry)


def test_short_ids_in_the_path_are_kept(client, professional, case):
    client.force_login(professional.user)
    client.get(reverse("cases:case_detail", args=[case.pk]) + "?q=111222333")
    assert only_entry().path == f"/zaken/{case.pk}/"


def test_inzage_request_is_logged(client, administrator, case):
    client.force_login(administrator)
    response = client.get(reverse("audit:inzage_json", args=[case.child_id]))
    assert response.status_code == 200
    entry = only_entry()
    assert entry.action == Action.INZAGE
    assert entry.object_type == ObjectType.CHILD
    assert entry.child_id == case.child_id
    assert entry.household_id == case.child.household_id
    assert entry.details == {"format": "json"}
    assert entry.actor_role == "Functioneel beheerder"


def test_a_bsn_typed_into_an_id_parameter_is_not_stored(client, coordinator, case):
    client.force_login(coordinator)
    client.get(reverse("cases:intake"), {"kind": case.child.bsn})
    entry = only_entry()
    assert entry.object_id == MASK and entry.child_id is None
    assert case.child.bsn not in row_text(entry)


@pytest.mark.parametrize(
    "url_name", ["cases:dashboard", "evaluation:home", "no_role", "home", "login"]
)
def test_unaudited_pages_write_nothing(client, coordinator, url_name):
    client.force_login(coordinator)
    client.get(reverse(url_name))
    assert not AccessLogEntry.objects.exists()


def test_wrong_method_writes_nothing(client, professional, case):
    client.force_login(professional.user)
    response = client.post(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 405
    assert not AccessLogEntry.objects.exists()


def test_static_files_are_not_logged(client, coordinator):
    client.force_login(coordinator)
    client.get("/static/css/theme.css")
    assert not AccessLogEntry.objects.exists()


def without_access_log(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("audit.")]


def queries_of(client, url) -> list[str]:
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return [query["sql"] for query in captured.captured_queries]


def test_unaudited_page_costs_no_query_and_an_audited_page_one_insert(
    client, coordinator, case, settings
):
    dashboard = reverse("cases:dashboard")
    case_page = reverse("cases:case_detail", args=[case.pk])
    client.force_login(coordinator)
    with_log = {url: queries_of(client, url) for url in (dashboard, case_page)}

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("audit.")]
    plain = Client()
    plain.force_login(coordinator)
    without_log = {url: queries_of(plain, url) for url in (dashboard, case_page)}

    assert len(with_log[dashboard]) == len(without_log[dashboard])
    assert len(with_log[case_page]) == len(without_log[case_page]) + 1
    assert with_log[case_page][-1].startswith('INSERT INTO "audit_accesslogentry"')


def test_a_failed_write_withholds_the_page(client, professional, case, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("audit.middleware.access_log_record", broken)
    client.force_login(professional.user)
    with caplog.at_level(logging.ERROR, logger="audit.middleware"):
        response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 500
    assert case.child.last_name not in response.text
    [message] = [r.getMessage() for r in caplog.records if r.name == "audit.middleware"]
    assert "cases:case_detail" in message and "DatabaseError" in message
    assert str(case.pk) not in message and case.child.bsn not in message


def test_a_body_the_view_never_read_does_not_break_the_log(client, professional, case, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:assign", args=[case.pk]), {f"veld{n}": "x" for n in range(5)}
    )
    assert response.status_code == 403  # refused before the form was read
    entry = only_entry()
    assert (entry.result, entry.case_id) == (Result.REFUSED, case.pk)
    assert entry.details == {"params_unreadable": True}
