"""Mijn agenda, its .ics download, the header count, the coordinator's view and bulk
reassignment."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from cases.models import Assignment
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def bip():
    return ProfessionalFactory(bip=True)


def with_follow_up(professional, on):
    case = CaseFactory(professional=professional)
    ContactFactory(case=case, follow_up_on=on)
    return case


def test_my_agenda_shows_overdue_and_the_week_and_the_header_count(client, bip):
    late = with_follow_up(bip, TODAY - datetime.timedelta(days=2))
    today = with_follow_up(bip, TODAY)
    client.force_login(bip.user)

    html = client.get(reverse("cases:agenda")).content.decode()

    assert html.index(late.number) < html.index(today.number)
    assert 'id="agenda-due-count">2<' in html
    assert "Te laat" in html


def test_the_header_count_is_one_query(client, bip, django_assert_max_num_queries):
    with_follow_up(bip, TODAY)
    client.force_login(bip.user)
    client.get(reverse("cases:my_cases"))
    with django_assert_max_num_queries(30) as counted:
        client.get(reverse("cases:my_cases"))
    counting = [
        q for q in counted.captured_queries if "COUNT(*)" in q["sql"] and "planaction" in q["sql"]
    ]
    assert len(counting) == 1


@pytest.mark.parametrize(
    "query", ["?datum=2099-99-99&weergave=x", "?datum=0001-01-01", "?weergave=dag"]
)
def test_bad_period_falls_back(client, bip, query):
    client.force_login(bip.user)
    assert client.get(reverse("cases:agenda") + query).status_code == 200


def test_ics_download_has_no_names_and_is_logged(client, bip):
    case = with_follow_up(bip, TODAY + datetime.timedelta(days=1))
    client.force_login(bip.user)
    response = client.get(reverse("cases:agenda_ics"))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ketenkameleon-agenda.ics"'
    assert response["Cache-Control"] == "no-store"
    assert case.number in body
    assert case.child.last_name not in body
    assert case.child.first_name not in body
    assert AccessLogEntry.objects.filter(action="export", object_type="case_list").exists()


def test_the_coordinator_sees_a_professionals_agenda(client, bip):
    case = with_follow_up(bip, TODAY)
    client.force_login(UserFactory(coordinator=True))
    html = client.get(reverse("cases:professional_agenda", args=[bip.pk])).content.decode()
    assert case.number in html
    assert reverse("cases:bulk_reassign", args=[bip.pk]) in html
    client.force_login(ProfessionalFactory(bip=True).user)
    assert client.get(reverse("cases:professional_agenda", args=[bip.pk])).status_code == 403


def test_bulk_reassign_hands_over_the_chosen_cases(client, bip, mailoutbox):
    coordinator = UserFactory(coordinator=True)
    successor = ProfessionalFactory(bip=True)
    keep, move = CaseFactory(professional=bip), CaseFactory(professional=bip)
    client.force_login(coordinator)
    page = client.get(reverse("cases:bulk_reassign", args=[bip.pk])).content.decode()
    assert keep.number in page and move.number in page

    response = client.post(
        reverse("cases:bulk_reassign", args=[bip.pk]),
        {
            f"case_{move.pk}": successor.pk,
            f"version_{move.pk}": move.version,
            f"case_{keep.pk}": "",
            f"version_{keep.pk}": keep.version,
            "reason": "afwezigheid",
            "note": "Ziek",
        },
    )

    assert response.status_code == 302
    move.refresh_from_db()
    keep.refresh_from_db()
    assert move.professional == successor
    assert keep.professional == bip
    handover = Assignment.objects.get(case=move, ended_at__isnull=True)
    assert handover.is_handover and handover.note == "Ziek" and handover.reason == "afwezigheid"
    assert "1 zaak van" in client.get(response.url).content.decode()


def test_bulk_reassign_bad_input_saves_nothing(client, bip):
    case = CaseFactory(professional=bip)
    client.force_login(UserFactory(coordinator=True))
    response = client.post(
        reverse("cases:bulk_reassign", args=[bip.pk]),
        {f"case_{case.pk}": "999999", f"version_{case.pk}": "x", "reason": "", "note": ""},
    )
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.professional == bip
