"""The small demo world is built through the product's services (demo/replay.py).

The generator's decisions are the same as in bulk; what differs is who wrote the rows: the
services, with their history (auditlog), their own case numbers and draws, the survey
invitations of the closure reaction and answers given through the mailed links.
"""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import CommandError
from django.utils import timezone

from cases.constants import CaseStatus
from cases.models import Case, Contact, Guardian
from demo import checks, scaled
from evaluation.models import SurveyInvitation, SurveyResponse

from .conftest import seed

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.factory_history]

CASES = 50


def world_snapshot() -> list[tuple]:
    return list(
        Case.objects.order_by("number").values_list(
            "number", "date_received", "melding_type", "stage", "status", "arm", "closed_on",
            "child__bsn", "professional__user__username",
        )
    )  # fmt: skip


@pytest.fixture
def world():
    seed("--cases", str(CASES))


def created_in_history(model) -> set[int]:
    return {
        int(pk)
        for pk in LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), action=LogEntry.Action.CREATE
        ).values_list("object_pk", flat=True)
    }


def test_every_case_contact_and_guardian_has_the_history_the_services_write(world):
    # Bulk rows have no change history: only the services' saves write it.
    assert Case.objects.count() == CASES
    assert created_in_history(Case) == set(Case.objects.values_list("pk", flat=True))
    assert created_in_history(Contact) == set(Contact.objects.values_list("pk", flat=True))
    assert created_in_history(Guardian) == set(Guardian.objects.values_list("pk", flat=True))
    assert Contact.objects.exists() and Guardian.objects.exists()
    # Stamped with the moment of the event (time-machine), not the moment of seeding.
    first = Case.objects.order_by("date_received").first()
    assert first.created_at.date() == first.date_received
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Case),
        object_pk=str(first.pk),
        action=LogEntry.Action.CREATE,
    )
    assert entry.timestamp == first.created_at


def test_the_sample_check_finds_nothing(world):
    assert checks.sample_problems(size=CASES) == []


@pytest.mark.django_db(transaction=True)
def test_survey_invitations_come_from_closing_and_answers_through_the_links():
    # A transaction test: the invitation mails go out when the world commits, and the seeder
    # answers from them (inside a test's own transaction nothing would commit).
    seed("--cases", str(CASES))
    invitations = SurveyInvitation.objects.filter(case__isnull=False).select_related("case")
    assert invitations.exists()
    for invitation in invitations:
        # The closure reaction invites on the day the case closes.
        assert invitation.case.status == CaseStatus.CLOSED
        assert timezone.localdate(invitation.created_at) == invitation.case.closed_on
    responses = SurveyResponse.objects.select_related("invitation")
    assert responses.filter(invitation__case__isnull=False).exists()
    assert responses.filter(invitation__professional__isnull=False).exists()
    for response in responses:
        assert response.invitation.used_at == response.submitted_at
        assert response.invitation.created_at < response.submitted_at
        assert response.submitted_at < response.invitation.expires_at
    # The seeder's mails stayed in memory and are not left in the outbox.
    assert not getattr(mail, "outbox", [])


def test_the_services_build_the_world_the_generator_writes_in_bulk():
    seed("--cases", str(CASES))
    through_services = world_snapshot()
    seed("--cases", str(CASES), "--reset", "--bulk")
    assert world_snapshot() == through_services


def test_the_same_seed_on_the_same_day_builds_the_same_world(world):
    first = world_snapshot()
    contacts = list(
        Contact.objects.order_by("occurred_at", "kind").values_list("occurred_at", "kind")
    )
    seed("--cases", str(CASES), "--reset")
    assert world_snapshot() == first
    assert (
        list(Contact.objects.order_by("occurred_at", "kind").values_list("occurred_at", "kind"))
        == contacts
    )
    seed("--cases", str(CASES), "--reset", "--seed", "7")
    assert world_snapshot() != first


def test_a_refused_event_stops_the_seed_with_the_services_message_and_writes_nothing(
    monkeypatch,
):
    # 06-9... numbers are not issued: guardian_add refuses them.
    monkeypatch.setattr(scaled, "MOBILE_END", 99_999_999)
    with pytest.raises(CommandError, match="de service weigert: .*telefoonnummer"):
        seed("--cases", "40")
    assert not Case.objects.exists()


def test_a_world_larger_than_the_threshold_is_written_in_bulk(monkeypatch):
    monkeypatch.setattr(scaled, "SERVICE_MAX_CASES", 10)
    seed("--cases", "11")
    assert Case.objects.count() == 11
    assert not created_in_history(Case)
