"""The inzage (GDPR art. 15): complete for the child, nothing of another child, JSON and HTML,
the request logged, and a fixed number of queries."""

import json

import pytest
from django.urls import reverse

from audit import inzage
from audit.constants import Action
from audit.models import AccessLogEntry
from cases.constants import PlanChangeKind
from cases.models import Assignment, PlanChange, PlanGoal
from evaluation.constants import AllocationMethod, Arm, RespondentType, SurveyItem
from evaluation.definitions import MeasurementStatus
from evaluation.models import Measurement, SurveyAnswer, SurveyResponse
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdPlanFactory,
    OutcomeFactory,
    PlanActionFactory,
    ProfessionalFactory,
    StageChangeFactory,
    SurveyInvitationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


def build_file(child, *, tag: str, cases: int = 1, contacts: int = 1) -> dict:
    """Every kind of record for `child`, each with a text that contains `tag`."""
    GuardianFactory(child=child, name=f"{tag}-GUARDIAN", email=f"{tag.lower()}@example.nl")
    professional = ProfessionalFactory()
    for number in range(cases):
        case = CaseFactory(child=child, professional=professional, arm=Arm.BIP)
        StageChangeFactory(case=case, actor=professional.user, reason=f"{tag}-STAGE-{number}")
        Assignment.objects.filter(case=case).update(note=f"{tag}-ASSIGN-{number}")
        for _ in range(contacts):
            ContactFactory(case=case, summary=f"{tag}-CONTACT-{number}")
        OutcomeFactory(case=case, recorded_by=professional.user)
        AllocationFactory(case=case, method=AllocationMethod.MANUAL, reason=f"{tag}-ALLOC-{number}")
        invitation = SurveyInvitationFactory(case=case, respondent_type=RespondentType.PARENT)
        response = SurveyResponse.objects.create(
            invitation=invitation,
            respondent_type=RespondentType.PARENT,
            arm=Arm.BIP,
            grade=8,
            comment=f"{tag}-SURVEY-{number}",
        )
        SurveyAnswer.objects.create(response=response, item=SurveyItem.RESPECT, score=4)
        Measurement.objects.create(
            case=case,
            arm=Arm.BIP,
            date_received=case.date_received,
            measured_on=case.three_month_deadline,
            status=MeasurementStatus.MEASURED,
            suitable=True,
            days_to_outcome=40 + number,
            distinct_professionals=1,
            handovers=0,
            contacts=contacts,
            furthest_stage=case.stage,
            km_days=40,
            km_event=True,
            definitions_version=1,
        )
    plan = HouseholdPlanFactory(household=child.household)
    goal = PlanGoal.objects.create(plan=plan, description=f"{tag}-GOAL")
    PlanActionFactory(plan=plan, goal=goal, description=f"{tag}-ACTION")
    PlanChange.objects.create(
        plan=plan,
        kind=PlanChangeKind.GOAL_ADDED,
        description=f"{tag}-PLANCHANGE",
        actor=professional.user,
    )
    AccessLogEntry.objects.create(
        actor=professional.user,
        actor_username=professional.user.username,
        action=Action.READ,
        object_type="case",
        child_id=child.pk,
        household_id=child.household_id,
        result="success",
    )
    return {"professional": professional}


@pytest.fixture
def world():
    child = ChildFactory(first_name="Noor", last_name="Bakker")
    sibling = ChildFactory(first_name="Sembrecht", last_name="Bakker", household=child.household)
    other = ChildFactory(first_name="Anders", last_name="Vreemd")
    mine = build_file(child, tag="MINE", cases=2)
    # The sibling's own case is theirs; a look at it shows this child in the household panel.
    ContactFactory(case=CaseFactory(child=sibling, assigned=True), summary="SIBLING-CONTACT")
    looker = UserFactory(username="kijker-via-broer")
    AccessLogEntry.objects.create(
        actor=looker,
        actor_username="kijker-via-broer",
        action=Action.READ,
        object_type="case",
        child_id=sibling.pk,
        household_id=child.household_id,
        result="success",
    )
    build_file(other, tag="OTHER")
    return {"child": child, "sibling": sibling, "other": other, **mine}


MINE_MARKERS = [
    "MINE-GUARDIAN",
    "MINE-STAGE-0",
    "MINE-STAGE-1",
    "MINE-ASSIGN-0",
    "MINE-CONTACT-0",
    "MINE-CONTACT-1",
    "MINE-ALLOC-1",
    "MINE-SURVEY-1",
    "MINE-GOAL",
    "MINE-ACTION",
    "MINE-PLANCHANGE",
    "Noor",
    "Bakker",
]
NOT_MINE = ["OTHER-", "Anders", "Vreemd", "SIBLING-CONTACT", "Sembrecht"]


def test_the_file_holds_every_record_of_the_child_and_nothing_of_another(world):
    child = world["child"]
    child_file = inzage.child_file(child.pk)
    text = json.dumps(inzage.as_json_ready(child_file), ensure_ascii=False)
    for marker in MINE_MARKERS:
        assert marker in text, marker
    for marker in NOT_MINE:
        assert marker not in text, marker
    assert child_file["child"]["bsn"] == child.bsn
    assert child_file["school"]["brin"] == child.school.brin
    assert child_file["household"]["street"] == child.household.street
    assert len(child_file["cases"]) == 2
    case = child_file["cases"][0]
    assert {len(case[key]) for key in ("stage_changes", "contacts", "outcomes")} == {1}
    assert case["assignments"][0]["professional"].endswith(world["professional"].organisation.name)
    assert case["allocations"][0]["method"] == "Handmatig, met reden"
    assert case["measurement"]["days_to_outcome"] == 40
    [invitation] = case["survey_invitations"]
    assert invitation["response"]["answers"] == {"Ik werd met respect behandeld": 4}
    # Who looked: the professional at the child's own file, someone else via the sibling.
    assert [row["user"] for row in child_file["access_log"]] == [
        world["professional"].user.get_full_name() + f" ({world['professional'].user.username})"
    ]
    [via_sibling] = child_file["access_log_via_household"]
    assert via_sibling["user"].endswith("(kijker-via-broer)")


def test_no_survey_token_and_no_staff_addresses_in_the_file(world):
    child_file = inzage.child_file(world["child"].pk)
    text = json.dumps(inzage.as_json_ready(child_file))
    for case in world["child"].cases.all():
        for invitation in case.survey_invitations.all():
            assert invitation.token_hash not in text
    assert "token" not in text and "ip_address" not in text and "seed" not in text


def test_the_change_history_is_part_of_the_file(world):
    child = world["child"]
    child.first_name = "Noortje"
    child.save()
    history = inzage.child_file(child.pk)["change_history"]
    assert any(entry["changes"].get("first_name") == ["Noor", "Noortje"] for entry in history), (
        history
    )


def test_query_count_is_fixed(django_assert_num_queries):
    small, large = ChildFactory(), ChildFactory()
    build_file(small, tag="S", cases=1, contacts=1)
    build_file(large, tag="L", cases=4, contacts=6)
    inzage.child_file(small.pk)  # content types cached
    with django_assert_num_queries(17) as counted:
        inzage.child_file(small.pk)
    with django_assert_num_queries(len(counted.captured_queries)):
        inzage.child_file(large.pk)


def test_no_file_for_an_unknown_child():
    assert inzage.child_file(999_999) is None


def test_json_download(admin_client, world):
    child = world["child"]
    response = admin_client.get(reverse("audit:inzage_json", args=[child.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="inzage-kind-{child.pk}-'
    )
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["child"]["id"] == child.pk
    assert data["child"]["date_of_birth"] == child.date_of_birth.isoformat()
    assert "MINE-CONTACT-1" in response.content.decode()
    logged = AccessLogEntry.objects.filter(action=Action.INZAGE).get()
    assert (logged.child_id, logged.actor_username) == (child.pk, "beheer")


def test_html_page(admin_client, world):
    child = world["child"]
    response = admin_client.get(reverse("audit:inzage", args=[child.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    for marker in MINE_MARKERS:
        assert marker in response.text, marker
    for marker in NOT_MINE:
        assert marker not in response.text, marker
    assert "Ik werd met respect behandeld" in response.text
    assert "kijker-via-broer" in response.text
    assert reverse("audit:inzage_json", args=[child.pk]) in response.text
    logged = AccessLogEntry.objects.filter(action=Action.INZAGE).get()
    assert logged.details == {"format": "html"}


def test_html_page_query_count_is_fixed(admin_client, django_assert_max_num_queries):
    small, large = ChildFactory(), ChildFactory()
    build_file(small, tag="S", cases=1, contacts=1)
    build_file(large, tag="L", cases=3, contacts=5)
    admin_client.get(reverse("audit:inzage", args=[small.pk]))
    with django_assert_max_num_queries(30) as counted:
        admin_client.get(reverse("audit:inzage", args=[small.pk]))
    with django_assert_max_num_queries(len(counted.captured_queries)):
        response = admin_client.get(reverse("audit:inzage", args=[large.pk]))
    # Five contacts, and in the change history the five creations with their summaries.
    assert response.text.count("L-CONTACT-2") == 10


def test_unknown_child_is_404(admin_client):
    assert admin_client.get(reverse("audit:inzage", args=[999_999])).status_code == 404
    assert admin_client.get(reverse("audit:inzage_json", args=[999_999])).status_code == 404


def test_a_child_without_school_or_plan(admin_client):
    child = ChildFactory(school=None)
    response = admin_client.get(reverse("audit:inzage", args=[child.pk]))
    assert response.status_code == 200
    assert "Niet ingeschreven op een school." in response.text
    assert "Er is geen gezinsplan." in response.text


def test_only_logged_in_looks_are_in_the_file(client, professional):
    """Entries without an actor (written for requests that were not logged in, before they
    were refused a row) are no looks at the file: the login page was all they saw."""
    child = ChildFactory()
    sibling = ChildFactory(household=child.household)
    case = CaseFactory(child=child, professional=professional)
    # An old row from `curl -A anything /zaken/<id>/`, and one via the sibling.
    AccessLogEntry.objects.create(
        action=Action.READ,
        object_type="case",
        result="refused",
        case_id=case.pk,
        child_id=child.pk,
        household_id=child.household_id,
        user_agent="anything",
    )
    AccessLogEntry.objects.create(
        action=Action.READ,
        object_type="child",
        result="refused",
        child_id=sibling.pk,
        household_id=child.household_id,
        user_agent="anything",
    )
    # Real looks, logged by the middleware.
    client.force_login(professional.user)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 200
    client.force_login(UserFactory(username="coord", coordinator=True))
    sibling_case = CaseFactory(child=sibling)
    assert client.get(reverse("cases:case_detail", args=[sibling_case.pk])).status_code == 200

    child_file = inzage.child_file(child.pk)
    assert [entry["role"] for entry in child_file["access_log"]] == ["Professional"]
    assert [entry["role"] for entry in child_file["access_log_via_household"]] == ["Coördinator"]
    assert all(entry["user"] for entry in child_file["access_log"])
