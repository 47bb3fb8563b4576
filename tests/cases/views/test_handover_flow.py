"""Issue 14 item 10: the control-arm handover, seen by the professional who hands over."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import access, selectors, services
from cases.constants import Arm, AssignmentReason, Stage
from cases.models import Case
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.factory_history


@pytest.fixture
def leerplicht_professional(db):
    return ProfessionalFactory(
        user__username="leerplicht",
        user__first_name="Lotte",
        user__last_name="Leerplicht",
        organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT),
    )


@pytest.fixture
def halt_professional(db):
    return ProfessionalFactory(
        user__username="halt",
        user__first_name="Hamid",
        user__last_name="Halt",
        organisation=OrganisationFactory(kind=ChainRole.HALT),
    )


@pytest.fixture
def control_case(leerplicht_professional):
    """A control-arm case a Leerplicht officer referred to Halt: it waits for a handover."""
    case = CaseFactory(
        professional=leerplicht_professional,
        arm=Arm.CONTROL,
        child=ChildFactory(first_name="Vera", last_name="Verzuim"),
    )
    services.case_refer_to_halt(
        case=case,
        actor=leerplicht_professional.user,
        reason="Past bij de Halt-aanpak",
        pupil_consent=True,
        parent_consent=True,
        override_reason="Toets in deze test niet van belang",
        expected_version=case.version,
    )
    case.refresh_from_db()
    assert case.stage == Stage.HALT and case.handover_requested_at is not None
    return case


def hand_over(case: Case, to, *, by) -> None:
    services.case_assign(
        case=case,
        professional=to,
        actor=by,
        reason=AssignmentReason.STAGE_HANDOVER,
        note="Naar Halt",
        expected_version=case.version,
        notify=False,
    )


def test_waiting_case_offers_the_professional_no_halt_step(
    client, leerplicht_professional, control_case
):
    client.force_login(leerplicht_professional.user)
    response = client.get(reverse("cases:case_detail", args=[control_case.pk]))
    assert response.status_code == 200
    assert "Halt-uitkomst vastleggen" not in response.text
    assert reverse("cases:halt_result", args=[control_case.pk]) not in response.text
    assert "wacht sinds" in response.text


def test_waiting_case_still_offers_the_coordinator_the_halt_step(control_case, coordinator):
    labels = [step["label"] for step in access.case_actions(coordinator, control_case)]
    assert labels == ["Halt-uitkomst vastleggen"]


def test_my_cases_shows_waiting_for_handover(client, leerplicht_professional, control_case):
    other = CaseFactory(professional=leerplicht_professional)
    client.force_login(leerplicht_professional.user)
    html = client.get(reverse("cases:my_cases")).text
    row = html[html.index(f'id="case-{control_case.pk}"') :]
    assert "wacht op overdracht" in row[: row.index("</tr>")]
    other_row = html[html.index(f'id="case-{other.pk}"') :]
    assert "wacht op overdracht" not in other_row[: other_row.index("</tr>")]


def test_after_the_handover_the_old_link_says_to_whom_and_when(
    client, leerplicht_professional, halt_professional, control_case, coordinator
):
    with time_machine.travel(datetime.datetime(2027, 3, 2, 10, 0, tzinfo=datetime.UTC)):
        hand_over(control_case, halt_professional, by=coordinator)
    ContactFactory(case=control_case, professional=halt_professional, summary="Intake bij Halt")
    client.force_login(leerplicht_professional.user)

    response = client.get(reverse("cases:case_detail", args=[control_case.pk]))

    assert response.status_code == 200
    html = response.text
    assert "overgedragen aan Hamid Halt op 2 mrt. 2027" in html
    # Nothing of the case beyond that line: no number, child, stage or timeline.
    for text in (
        control_case.number,
        "Vera",
        "Verzuim",
        "Intake bij Halt",
        "Tijdlijn",
        "Ketenstap",
    ):
        assert text not in html, text


def test_the_handover_line_opens_nothing_else(
    client, leerplicht_professional, halt_professional, control_case, coordinator
):
    hand_over(control_case, halt_professional, by=coordinator)
    client.force_login(leerplicht_professional.user)
    for name in ("cases:contact_create", "cases:halt_result", "cases:close", "cases:refer_to_rvdk"):
        response = client.get(reverse(name, args=[control_case.pk]))
        assert response.status_code in (404, 405), name
    assert not access.cases_visible_to(leerplicht_professional.user).filter(pk=control_case.pk)


def test_only_former_owners_get_the_handover_line(
    client, halt_professional, control_case, coordinator, other_professional
):
    hand_over(control_case, halt_professional, by=coordinator)
    client.force_login(other_professional.user)
    assert client.get(reverse("cases:case_detail", args=[control_case.pk])).status_code == 404
    assert access.handover_notice_for_user(other_professional.user, control_case.pk) is None


def test_a_deactivated_former_owner_gets_no_handover_line(
    client, leerplicht_professional, halt_professional, control_case, coordinator
):
    hand_over(control_case, halt_professional, by=coordinator)
    leerplicht_professional.is_active = False
    leerplicht_professional.save()
    client.force_login(leerplicht_professional.user)
    assert client.get(reverse("cases:case_detail", args=[control_case.pk])).status_code == 404


def test_an_anonymised_case_gets_no_handover_line(
    leerplicht_professional, halt_professional, control_case, coordinator
):
    hand_over(control_case, halt_professional, by=coordinator)
    Case.objects.filter(pk=control_case.pk).update(anonymised_at=timezone.now())
    assert access.handover_notice_for_user(leerplicht_professional.user, control_case.pk) is None


def test_a_researcher_gets_no_handover_line(control_case):
    researcher = UserFactory(username="r2", researcher=True)
    assert access.handover_notice_for_user(researcher, control_case.pk) is None


def test_the_new_owner_does_not_inherit_the_follow_up(
    client, leerplicht_professional, halt_professional, control_case, coordinator
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ContactFactory(
        case=control_case,
        professional=leerplicht_professional,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        follow_up_on=yesterday,
    )
    client.force_login(leerplicht_professional.user)
    assert (
        control_case.number
        in client.get(reverse("cases:my_cases")).text.split('id="open-cases-heading"')[0]
    )

    hand_over(control_case, halt_professional, by=coordinator)
    client.force_login(halt_professional.user)
    html = client.get(reverse("cases:my_cases")).text
    follow_ups, open_cases = html.split('id="open-cases-heading"')
    assert control_case.number not in follow_ups
    assert control_case.number in open_cases
    row = selectors.my_cases_rows(
        access.cases_visible_to(halt_professional.user),
        ordering=selectors.DEFAULT_MY_CASES_ORDERING,
    ).get(pk=control_case.pk)
    assert row.next_follow_up is None

    # The new owner's own follow-up counts.
    ContactFactory(case=control_case, professional=halt_professional, follow_up_on=yesterday)
    html = client.get(reverse("cases:my_cases")).text
    assert control_case.number in html.split('id="open-cases-heading"')[0]


# The hidden button is not the guard: every chain step refuses the professional who hands over
# (403 with the reason, nothing saved), whether they open the form or post to it directly.
CHAIN_STEPS = ("cases:halt_result", "cases:close", "cases:refer_to_halt", "cases:refer_to_rvdk")
HALT_RESULT_POST = {
    "result": "positief",
    "category": "terug_op_school",
    "achieved_on": "2026-01-01",
    "reason": "Leeropdracht gedaan",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", CHAIN_STEPS)
def test_a_waiting_case_refuses_every_chain_step_of_the_professional(
    client, leerplicht_professional, control_case, name, method
):
    client.force_login(leerplicht_professional.user)
    before = (control_case.version, control_case.stage, control_case.status)
    data = {**HALT_RESULT_POST, "version": control_case.version}

    response = getattr(client, method)(reverse(name, args=[control_case.pk]), data)

    assert response.status_code == 403
    assert "wacht op overdracht" in response.text
    control_case.refresh_from_db()
    assert (control_case.version, control_case.stage, control_case.status) == before
    assert not control_case.outcomes.exists()


def test_the_halt_result_service_refuses_the_professional_who_hands_over(
    leerplicht_professional, control_case
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="wacht op overdracht"):
        services.case_halt_result(
            case=control_case,
            actor=leerplicht_professional.user,
            result="positief",
            category="terug_op_school",
            achieved_on=timezone.localdate(),
            reason="Leeropdracht gedaan",
            expected_version=control_case.version,
        )
    control_case.refresh_from_db()
    assert control_case.is_open and control_case.stage == Stage.HALT


def test_a_professional_without_the_stage_role_may_not_take_its_step(
    client, leerplicht_professional
):
    """No handover pending, yet the Halt step is not theirs: they hold only Leerplicht."""
    case = CaseFactory(professional=leerplicht_professional, arm=Arm.CONTROL, halt=True)
    client.force_login(leerplicht_professional.user)

    response = client.post(
        reverse("cases:halt_result", args=[case.pk]), {**HALT_RESULT_POST, "version": case.version}
    )

    assert response.status_code == 403
    assert "geen geldige kwalificatie voor de rol Halt" in response.text
    case.refresh_from_db()
    assert case.is_open and case.version == 1
    assert access.case_actions(leerplicht_professional.user, case) == []
    page = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert reverse("cases:halt_result", args=[case.pk]) not in page
    assert "geen geldige kwalificatie voor de rol Halt" in page


def test_after_the_handover_the_halt_professional_records_the_result(
    client, halt_professional, control_case, coordinator
):
    hand_over(control_case, halt_professional, by=coordinator)
    control_case.refresh_from_db()
    client.force_login(halt_professional.user)
    page = client.get(reverse("cases:case_detail", args=[control_case.pk])).text
    assert reverse("cases:halt_result", args=[control_case.pk]) in page

    response = client.post(
        reverse("cases:halt_result", args=[control_case.pk]),
        {
            **HALT_RESULT_POST,
            "achieved_on": timezone.localdate().isoformat(),
            "version": control_case.version,
        },
    )

    assert response.status_code == 302
    control_case.refresh_from_db()
    assert not control_case.is_open
