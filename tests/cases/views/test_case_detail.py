import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.constants import AssignmentReason, MeldingType, PlanChangeKind, Stage
from cases.models import Assignment, Document, Melding, PlanChange
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdPlanFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
    StageChangeFactory,
)


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional, stage=Stage.HALT)


def test_professional_sees_own_case_with_roles_in_the_timeline(client, professional, case):
    ContactFactory(case=case, role=ChainRole.LEERPLICHT, summary="Eerste gesprek")
    ContactFactory(case=case, halt=True, summary="Halt-gesprek gevoerd")
    StageChangeFactory(case=case, actor=professional.user, reason="Naar Halt verwezen")
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    assert "Rol: Leerplicht" in response.text
    assert "Rol: Halt" in response.text
    assert "Naar Halt verwezen" in response.text
    assert case.child.first_name in response.text


def test_other_professional_gets_404(client, other_professional, case):
    client.force_login(other_professional.user)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


def test_unknown_case_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("cases:case_detail", args=[999999])).status_code == 404


def test_post_is_405(client, coordinator, case):
    client.force_login(coordinator)
    assert client.post(reverse("cases:case_detail", args=[case.pk])).status_code == 405


def build_case_file(professional, *, size: int):
    """A case file whose every list on the page grows with `size`: contacts (by several
    professionals), stage changes, assignments, meldingen, documents and letters, guardians,
    siblings with their cases, plan goals, actions and plan changes."""
    case = CaseFactory(professional=professional, stage=Stage.LEERPLICHT)
    household = case.child.household
    colleagues = [ProfessionalFactory() for _ in range(min(size, 4))]
    for number in range(size * 20):
        ContactFactory(
            case=case, professional=colleagues[number % len(colleagues)], follow_up_on=None
        )
    for _ in range(size):
        StageChangeFactory(case=case, actor=professional.user, reason="Ketenstap")
        Assignment.objects.create(
            case=case,
            professional=colleagues[0],
            reason=AssignmentReason.WORKLOAD,
            assigned_by=professional.user,
            started_at=timezone.now() - datetime.timedelta(days=2),
            ended_at=timezone.now() - datetime.timedelta(days=1),
        )
        Melding.objects.create(
            case=case,
            date_received=case.date_received,
            melding_type=MeldingType.LRV,
            period_start=case.period_start,
            period_end=case.period_end,
            created_by=professional.user,
        )
        for kind, letter in (("rapport", ""), ("brief", "uitnodiging")):
            Document.objects.create(
                case=case,
                kind=kind,
                letter=letter,
                original_name=f"{kind}.pdf",
                storage_name=f"{uuid.uuid4()}.pdf",
                content_type="application/pdf",
                size=100,
                sha256="0" * 64,
                uploaded_by=professional.user,
            )
        GuardianFactory(child=case.child)
        CaseFactory(child=ChildFactory(household=household), professional=ProfessionalFactory())
    plan = HouseholdPlanFactory(household=household)
    for _ in range(size * 4):
        PlanActionFactory(plan=plan, goal=PlanGoalFactory(plan=plan))
    for _ in range(size):
        PlanChange.objects.create(
            plan=plan, kind=PlanChangeKind.GOAL_ADDED, description="Doel", actor=professional.user
        )
    return case


# The requests of the case page (the professional's, with the contact form), by what they read:
# session, user with groups; the case (with child, school, household, professional); the timeline
# (contacts, stage changes, assignments, plan changes, meldingen, documents: six); the
# professional's roles today (chain steps and contact form, once); guardians; siblings and
# their cases (two); plan, goals, actions (three); the menu's follow-up count; the access-log
# row. Nothing per contact, melding, document, guardian, sibling or action.
CASE_PAGE_QUERIES = 18


def test_query_count_is_fixed(client, professional, django_assert_num_queries):
    """A small case file and one ten times larger: the same queries, and a fixed number."""
    small = build_case_file(professional, size=1)
    large = build_case_file(professional, size=10)
    client.force_login(professional.user)
    client.get(reverse("cases:case_detail", args=[small.pk]))  # warm the session
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(reverse("cases:case_detail", args=[small.pk]))
    assert response.status_code == 200
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(reverse("cases:case_detail", args=[large.pk]))
    assert response.status_code == 200
    html = response.text
    # The larger file's lists are all on the page (the timeline capped at 100 entries).
    assert html.count('class="kk-timeline__item ') == 100
    assert "Alleen de nieuwste 100 gebeurtenissen" in html
    guardians = GuardianFactory._meta.model.objects.filter(household=large.child.household)
    assert guardians.count() == 10
    for guardian in guardians:  # as the template escapes it ("van 't Erve" has a quote)
        assert escape(guardian.name) in html
    assert html.count("Actie ") >= 40
