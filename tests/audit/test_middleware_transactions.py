"""A write and its access log entry are one transaction: both are saved, or neither.

A failed INSERT into the log used to come after the change was committed: the user got a 500
for a change that was saved, and sending the form again saved it twice.
"""

import datetime

import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from audit.constants import Action, Result
from audit.models import AccessLogEntry
from cases.constants import CaseStatus, OutcomeCategory
from cases.models import Contact, Outcome, StageChange
from evaluation.constants import Arm
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)
NOT_SAVED = "Er is niets opgeslagen"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(professional):
    return CaseFactory(
        professional=professional, arm=Arm.BIP, date_received=datetime.date(2026, 2, 24)
    )


def broken_insert(*args, **kwargs):
    raise DatabaseError("connection lost")


@pytest.fixture
def broken_log(monkeypatch):
    """The access log's INSERT fails (a database restart, a full disk)."""

    monkeypatch.setattr("audit.middleware.access_log_record", broken_insert)
    return monkeypatch


def contact_data() -> dict:
    return {
        "role": ChainRole.LEERPLICHT,
        "kind": ContactKind.VERZUIMGESPREK,
        "with_whom": ContactWith.PUPIL_AND_PARENTS,
        "channel": Channel.IN_PERSON,
        "occurred_on": "2026-03-16",
        "occurred_time": "10:30",
        "duration_minutes": "45",
        "summary": "Gesprek op school.",
    }


def close_data(case) -> dict:
    return {
        "category": OutcomeCategory.BACK_TO_SCHOOL,
        "achieved_on": "2026-03-13",
        "reason": "Leerling gaat weer elke dag naar school.",
        "version": case.version,
    }


def test_a_failed_log_entry_rolls_back_the_contact(client, professional, case, broken_log):
    client.force_login(professional.user)
    response = client.post(reverse("cases:contact_create", args=[case.pk]), contact_data())
    assert response.status_code == 500
    assert NOT_SAVED in response.text
    assert not Contact.objects.filter(case=case).exists()
    assert not AccessLogEntry.objects.exists()

    # Sending the form again, as the page says, saves the contact once.
    broken_log.undo()
    response = client.post(reverse("cases:contact_create", args=[case.pk]), contact_data())
    assert response.status_code == 302
    assert Contact.objects.filter(case=case).count() == 1
    [entry] = AccessLogEntry.objects.all()
    assert (entry.action, entry.result, entry.case_id) == (Action.CHANGE, Result.SUCCESS, case.pk)


def test_a_failed_log_entry_rolls_back_a_stage_change(client, professional, case, broken_log):
    client.force_login(professional.user)
    response = client.post(reverse("cases:close", args=[case.pk]), close_data(case))
    assert response.status_code == 500
    assert NOT_SAVED in response.text
    version = case.version
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.version == version
    assert not StageChange.objects.filter(case=case).exists()
    assert not Outcome.objects.filter(case=case).exists()
    assert not AccessLogEntry.objects.exists()


def test_a_failed_log_entry_on_a_read_serves_no_data(client, professional, case, broken_log):
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 500
    assert case.number not in response.text
    assert case.child.last_name not in response.text


def test_a_view_that_fails_after_saving_keeps_nothing_and_logs_the_error(
    professional, case, monkeypatch
):
    def crash(*args, **kwargs):
        raise RuntimeError("after the service")

    # The contact is saved by the service; then the view crashes on its way to the redirect.
    monkeypatch.setattr("cases.views.contacts.redirect", crash)
    client = Client(raise_request_exception=False)
    client.force_login(professional.user)
    response = client.post(reverse("cases:contact_create", args=[case.pk]), contact_data())
    assert response.status_code == 500
    assert NOT_SAVED in response.text
    assert not Contact.objects.filter(case=case).exists()
    [entry] = AccessLogEntry.objects.all()
    assert (entry.action, entry.result, entry.http_status) == (Action.CHANGE, Result.ERROR, 500)
    assert entry.case_id == case.pk


@pytest.mark.parametrize("log_works", [True, False])
def test_on_commit_effects_run_only_for_a_kept_change(
    client, professional, case, monkeypatch, django_capture_on_commit_callbacks, log_works
):
    """A side effect (an e-mail) scheduled by the service runs after the whole transaction."""
    from cases import services

    sent = []
    contact_log = services.contact_log

    def contact_log_with_mail(**kwargs):
        contact = contact_log(**kwargs)
        transaction.on_commit(lambda: sent.append(contact.pk))
        return contact

    monkeypatch.setattr(services, "contact_log", contact_log_with_mail)
    if not log_works:
        monkeypatch.setattr("audit.middleware.access_log_record", broken_insert)
    client.force_login(professional.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:contact_create", args=[case.pk]), contact_data())
    assert response.status_code == (302 if log_works else 500)
    assert len(sent) == Contact.objects.count() == (1 if log_works else 0)
