"""access_log_record: the service the exports call, and the middleware behind every page."""

import datetime

import pytest
import time_machine
from django.test import RequestFactory

from audit.constants import MASK, Action, ObjectType, Result
from audit.models import AccessLogEntry
from audit.services import access_log_prune, access_log_record, retention_cutoff
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)


def request_as(user, path="/evaluatie/exports/4/download/", **meta):
    request = RequestFactory().get(path + "?dataset=cases", REMOTE_ADDR="198.51.100.7", **meta)
    request.user = user
    return request


@time_machine.travel(NOW, tick=False)
def test_an_export_download_is_recorded_with_every_field(researcher):
    request = request_as(researcher, HTTP_USER_AGENT="curl/8")
    entry = access_log_record(
        request,
        action=Action.DOWNLOAD,
        object_type=ObjectType.EXPORT,
        object_id=4,
        details={"rows": 120, "format": "csv"},
    )
    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert entry.occurred_at == NOW
    assert entry.actor == researcher
    assert entry.actor_username == "onderzoeker"
    assert entry.actor_role == "Onderzoeker"
    assert entry.acting_on_behalf_of == ""
    assert (entry.action, entry.object_type, entry.object_id) == ("download", "export", "4")
    assert (entry.case_id, entry.child_id, entry.household_id) == (None, None, None)
    assert (entry.result, entry.http_status) == (Result.SUCCESS, None)
    assert entry.ip_address == "198.51.100.7"
    assert entry.user_agent == "curl/8"
    assert entry.method == "GET"
    assert entry.path == "/evaluatie/exports/4/download/"
    assert entry.details == {"rows": 120, "format": "csv"}


def test_an_export_of_one_case_fills_in_child_and_household(coordinator):
    case = CaseFactory()
    entry = access_log_record(
        request_as(coordinator), action=Action.EXPORT, object_type=ObjectType.CASE, case_id=case.pk
    )
    entry.refresh_from_db()
    assert (entry.child_id, entry.household_id) == (case.child_id, case.child.household_id)


def test_outside_a_request_the_actor_is_given(researcher):
    entry = access_log_record(
        None, action=Action.EXPORT, object_type=ObjectType.EXPORT, object_id=9, actor=researcher
    )
    entry.refresh_from_db()
    assert entry.actor == researcher
    assert (entry.path, entry.ip_address, entry.method) == ("", None, "")


def test_details_never_keep_a_bsn(coordinator):
    case = CaseFactory()
    bsn = case.child.bsn
    entry = access_log_record(
        request_as(coordinator),
        action=Action.EXPORT,
        object_type=ObjectType.EXPORT,
        details={"note": f"gezocht op {bsn}", bsn: [bsn, 3]},
    )
    entry.refresh_from_db()
    assert entry.details == {"note": f"gezocht op {MASK}", MASK: [MASK, 3]}


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, Result.SUCCESS),
        (302, Result.SUCCESS),
        (403, Result.REFUSED),
        (409, Result.INVALID),
        (422, Result.INVALID),
        (500, Result.ERROR),
    ],
)
def test_result_follows_the_status(coordinator, status, result):
    entry = access_log_record(
        request_as(coordinator),
        action=Action.READ,
        object_type=ObjectType.CASE_LIST,
        result=None,
        http_status=status,
    )
    entry.refresh_from_db()
    assert entry.result == result


def test_an_id_out_of_range_is_left_out(coordinator):
    entry = access_log_record(
        request_as(coordinator), action=Action.READ, object_type=ObjectType.CASE, case_id=10**30
    )
    entry.refresh_from_db()
    assert entry.case_id is None


def test_client_ip_behind_a_proxy(coordinator, settings):
    settings.REVERSE_PROXY_COUNT = 1
    request = request_as(coordinator, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")
    entry = access_log_record(request, action=Action.READ, object_type=ObjectType.CASE_LIST)
    assert entry.ip_address == "203.0.113.5"


def test_prune_deletes_only_entries_before_the_cutoff(make_entry, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    with time_machine.travel(NOW - datetime.timedelta(days=31), tick=False):
        old = [make_entry(child_id=1) for _ in range(3)]
    with time_machine.travel(NOW - datetime.timedelta(days=29), tick=False):
        recent = make_entry(child_id=1)
    with time_machine.travel(NOW, tick=False):
        cutoff = retention_cutoff()
        assert cutoff == NOW - datetime.timedelta(days=30)
        assert access_log_prune(before=cutoff, batch_size=2) == 3
    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessLogEntry.objects.filter(pk__in=[entry.pk for entry in old]).exists()
