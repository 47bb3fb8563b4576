"""Workload and assignment suggestions: continuity in the household, fit with the arm, load."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.constants import AssignmentReason, Stage
from cases.services import case_assign
from cases.workload import assignment_suggestions, workload
from evaluation.constants import Arm
from professionals.models import Professional
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    HouseholdFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.django_db


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def frozen():
    with at(NOW):
        yield


def leerplicht_professional(**kwargs):
    return ProfessionalFactory(
        organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT), **kwargs
    )


def halt_professional(**kwargs):
    return ProfessionalFactory(organisation=OrganisationFactory(kind=ChainRole.HALT), **kwargs)


def by_pk(rows) -> dict:
    return {row.pk: row for row in rows}


def test_workload_counts_open_and_new_cases_in_one_query(django_assert_num_queries):
    busy = leerplicht_professional()
    quiet = leerplicht_professional()
    ProfessionalFactory(inactive=True)
    with at(NOW - datetime.timedelta(weeks=6)):
        CaseFactory.create_batch(2, professional=busy)  # open, but not new
    with at(NOW - datetime.timedelta(weeks=4) + datetime.timedelta(hours=1)):
        CaseFactory(professional=busy)  # open and just inside the window
    with at(NOW - datetime.timedelta(days=3)):
        CaseFactory(professional=busy, closed=True)  # new, but no longer open
    CaseFactory()  # unassigned

    with django_assert_num_queries(1):
        rows = by_pk(workload())
        counts = {
            pk: (row.open_cases, row.new_cases, row.user.username, row.organisation.kind)
            for pk, row in rows.items()
        }

    assert counts == {
        busy.pk: (3, 2, busy.user.username, ChainRole.LEERPLICHT),
        quiet.pk: (0, 0, quiet.user.username, ChainRole.LEERPLICHT),
    }


def test_workload_counts_every_assignment_started_in_the_window():
    first = leerplicht_professional()
    second = leerplicht_professional()
    with at(NOW - datetime.timedelta(weeks=5)):
        case = CaseFactory(professional=first)
    with at(NOW - datetime.timedelta(days=2)):
        # A handover: the case now counts as new (and open) for the second professional.
        case_assign(
            case=case,
            professional=second,
            actor=UserFactory(coordinator=True),
            reason=AssignmentReason.WORKLOAD,
            note="Verdeling werkdruk.",
            expected_version=None,
            notify=False,
        )

    rows = by_pk(workload())

    assert (rows[first.pk].open_cases, rows[first.pk].new_cases) == (0, 0)
    assert (rows[second.pk].open_cases, rows[second.pk].new_cases) == (1, 1)


def test_workload_counts_open_cases_in_a_household_in_the_same_query(
    django_assert_num_queries,
):
    household = HouseholdFactory()
    in_house = leerplicht_professional()
    elsewhere = leerplicht_professional()
    CaseFactory(professional=in_house, child__household=household)
    CaseFactory(professional=in_house, child__household=household, closed=True)
    CaseFactory(professional=elsewhere)

    with django_assert_num_queries(1):
        rows = {row.pk: row.household_cases for row in workload(household_id=household.pk)}

    assert rows == {in_house.pk: 1, elsewhere.pk: 0}


@pytest.fixture
def household():
    return HouseholdFactory()


def control_case(household, professional=None):
    return CaseFactory(
        arm=Arm.CONTROL,
        stage=Stage.LEERPLICHT,
        child=ChildFactory(household=household),
        professional=professional,
    )


def test_suggestions_put_household_continuity_first_then_fit_then_load(household):
    current = leerplicht_professional()
    case = control_case(household, professional=current)
    # A BIP already with a sibling: does not fit the control arm and is over capacity.
    sibling_bip = ProfessionalFactory(bip=True, max_caseload=2)
    CaseFactory(professional=sibling_bip, child=ChildFactory(household=household))
    CaseFactory.create_batch(2, professional=sibling_bip)
    # Fit (Leerplicht, not BIP): lower load first, load being open cases / maximum.
    fit_light = leerplicht_professional(max_caseload=25)
    CaseFactory.create_batch(2, professional=fit_light)  # 2/25
    fit_heavy = leerplicht_professional(max_caseload=2)
    CaseFactory(professional=fit_heavy)  # 1/2
    # No fit: Halt staff and a BIP, idle.
    halt_idle = halt_professional()
    bip_idle = ProfessionalFactory(bip=True)
    ProfessionalFactory(inactive=True, organisation=current.organisation)

    suggestions = assignment_suggestions(case)

    assert [p.pk for p in suggestions[:3]] == [sibling_bip.pk, fit_light.pk, fit_heavy.pk]
    assert {p.pk for p in suggestions[3:]} == {halt_idle.pk, bip_idle.pk}
    first = suggestions[0]
    assert (first.continuity, first.fit, first.over_capacity) == (True, False, True)
    assert first.open_cases == 3
    assert [(p.continuity, p.fit) for p in suggestions[1:3]] == [(False, True), (False, True)]
    assert all(not p.fit and not p.continuity for p in suggestions[3:])
    assert suggestions[1].load == pytest.approx(2 / 25)
    assert suggestions[2].load == pytest.approx(1 / 2)


def test_suggestions_leave_out_the_current_professional(household):
    current = leerplicht_professional()
    # The current professional also works with a sibling: still not suggested.
    CaseFactory(professional=current, child=ChildFactory(household=household))
    case = control_case(household, professional=current)
    other = leerplicht_professional()

    suggestions = assignment_suggestions(case)

    assert [p.pk for p in suggestions] == [other.pk]


def test_bip_arm_suggests_bips_before_the_stage_organisation(household):
    case = CaseFactory(arm=Arm.BIP, stage=Stage.LEERPLICHT, child=ChildFactory(household=household))
    leerplicht = leerplicht_professional()
    busy_bip = ProfessionalFactory(bip=True, max_caseload=10)
    CaseFactory.create_batch(5, professional=busy_bip)
    idle_bip = ProfessionalFactory(bip=True, max_caseload=10)

    suggestions = assignment_suggestions(case)

    assert [p.pk for p in suggestions] == [idle_bip.pk, busy_bip.pk, leerplicht.pk]
    assert [p.fit for p in suggestions] == [True, True, False]


def test_control_arm_at_halt_suggests_halt_staff(household):
    case = CaseFactory(arm=Arm.CONTROL, stage=Stage.HALT, child=ChildFactory(household=household))
    leerplicht = leerplicht_professional()
    bip = ProfessionalFactory(bip=True)
    halt = halt_professional()
    CaseFactory.create_batch(3, professional=halt)

    suggestions = assignment_suggestions(case)

    assert suggestions[0].pk == halt.pk
    assert suggestions[0].fit is True
    assert {p.pk for p in suggestions[1:]} == {leerplicht.pk, bip.pk}


def test_a_closed_case_in_the_household_gives_no_continuity(household):
    case = control_case(household)
    former = halt_professional()
    CaseFactory(professional=former, child=ChildFactory(household=household), closed=True)
    fit = leerplicht_professional()

    suggestions = assignment_suggestions(case)

    assert [p.pk for p in suggestions] == [fit.pk, former.pk]
    assert suggestions[1].continuity is False


@pytest.mark.parametrize("how", ["record", "account"])
def test_a_deactivated_professional_is_in_neither_workload_nor_suggestions(household, how):
    """Issue 10: a professional whose record or login account is switched off works no more;
    the workload table and the suggestions leave them out, even with a sibling's case."""
    working = leerplicht_professional()
    gone = (
        leerplicht_professional(inactive=True)
        if how == "record"
        else leerplicht_professional(user__is_active=False)
    )
    CaseFactory(professional=gone, child=ChildFactory(household=household))
    case = control_case(household)

    assert set(by_pk(workload())) == {working.pk}
    assert [p.pk for p in assignment_suggestions(case)] == [working.pk]


def test_active_and_inactive_professionals_split_everyone():
    working = ProfessionalFactory()
    record_off = ProfessionalFactory(inactive=True)
    account_off = ProfessionalFactory(user__is_active=False)

    assert set(Professional.objects.active()) == {working}
    assert set(Professional.objects.inactive()) == {record_off, account_off}
