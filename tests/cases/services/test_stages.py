"""Stage moves, closing and reopening: every allowed and every refused transition.

Each test checks the case row after the call, and the history rows (StageChange, Outcome,
Assignment) the service writes or must not write.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.constants import (
    AssignmentReason,
    CaseStatus,
    HaltResult,
    OutcomeCategory,
    Stage,
)
from cases.exceptions import ConcurrentEdit, RuleViolation, TransitionNotAllowed
from cases.models import Assignment, Case, Outcome, StageChange
from cases.services import (
    case_assign,
    case_close,
    case_halt_result,
    case_refer_to_halt,
    case_refer_to_rvdk,
    case_reopen,
    contact_log,
)
from evaluation.constants import Arm
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    OrganisationFactory,
    ProfessionalFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    """Freeze the clock at noon in Amsterdam on TODAY (a Monday)."""
    with time_machine.travel(NOW, tick=False):
        yield TODAY


def born(age: int, *, days_to_birthday: int = 0) -> datetime.date:
    """A date of birth that makes the child `age` on TODAY.

    With days_to_birthday > 0 that birthday is still ahead, so the child is a year younger today.
    """
    return TODAY.replace(year=TODAY.year - age) + datetime.timedelta(days=days_to_birthday)


def child_aged(age: int, **kwargs):
    return ChildFactory(date_of_birth=born(age), **kwargs)


@pytest.fixture
def case(professional):
    """An open Leerplicht case of a 14-year-old with 20 hours of absence, held by the BIP."""
    return CaseFactory(professional=professional, child=child_aged(14))


def refer(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "reason": "Verzuim past bij de Halt-aanpak.",
        "pupil_consent": True,
        "parent_consent": True,
        "expected_version": case.version,
    } | overrides
    return case_refer_to_halt(**values)


def snapshot(case) -> tuple:
    """The state a refused change must leave untouched."""
    case.refresh_from_db()
    return (
        case.stage,
        case.status,
        case.closed_on,
        case.version,
        case.handover_requested_at,
        StageChange.objects.filter(case=case).count(),
        Outcome.objects.filter(case=case).count(),
    )


def refused(target, exception, call, /, **kwargs):
    """Run `call`, expect `exception`, check nothing changed on `target`; return the exception."""
    before = snapshot(target)
    with pytest.raises(exception) as exc_info:
        call(**kwargs)
    assert snapshot(target) == before
    return exc_info.value


# --- case_refer_to_halt ------------------------------------------------------------------------


def test_eligible_child_goes_to_halt(case, professional):
    change = refer(case, professional.user)

    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.status == CaseStatus.OPEN
    assert case.version == 2
    stored = StageChange.objects.get(case=case)
    assert stored.pk == change.pk
    assert (stored.from_stage, stored.to_stage) == (Stage.LEERPLICHT, Stage.HALT)
    assert (stored.from_status, stored.to_status) == (CaseStatus.OPEN, CaseStatus.OPEN)
    assert stored.pupil_consent is True
    assert stored.parent_consent is True
    assert stored.eligibility_override is False
    assert stored.reason == "Verzuim past bij de Halt-aanpak."
    assert stored.actor == professional.user
    assert stored.changed_at == NOW


@pytest.mark.parametrize(
    "date_of_birth",
    [born(12), born(18, days_to_birthday=1)],
    ids=["12 today", "17, turns 18 tomorrow"],
)
def test_age_limits_are_inclusive(professional, date_of_birth):
    case = CaseFactory(professional=professional, child=ChildFactory(date_of_birth=date_of_birth))

    change = refer(case, professional.user)

    assert change.eligibility_override is False
    case.refresh_from_db()
    assert case.stage == Stage.HALT


@pytest.mark.parametrize(("age", "days_to_birthday"), [(11, 0), (12, 1), (18, 0)])
def test_age_outside_12_to_17_needs_an_override(professional, age, days_to_birthday):
    child = ChildFactory(date_of_birth=born(age, days_to_birthday=days_to_birthday))
    case = CaseFactory(professional=professional, child=child)

    error = refused(
        case, RuleViolation, refer, case=case, actor=professional.user, expected_version=1
    )

    assert set(error.errors) == {"override_reason"}


@pytest.mark.parametrize("age", [11, 18])
def test_age_outside_the_limits_is_accepted_with_a_written_override(professional, age):
    case = CaseFactory(professional=professional, child=child_aged(age))

    change = refer(case, professional.user, override_reason="Oudere broer liep al bij Halt.")

    case.refresh_from_db()
    assert case.stage == Stage.HALT
    stored = StageChange.objects.get(pk=change.pk)
    assert stored.eligibility_override is True
    assert "Verzuim past bij de Halt-aanpak." in stored.reason
    assert "Oudere broer liep al bij Halt." in stored.reason


@pytest.mark.parametrize("hours", [8, 61])
def test_hours_outside_9_to_60_without_lateness_need_an_override(professional, hours):
    case = CaseFactory(
        professional=professional, child=child_aged(14), hours_absent=hours, times_late=0
    )

    error = refused(
        case, RuleViolation, refer, case=case, actor=professional.user, expected_version=1
    )

    assert set(error.errors) == {"override_reason"}


@pytest.mark.parametrize("hours", [9, 60])
def test_hours_at_the_limits_are_eligible(professional, hours):
    case = CaseFactory(
        professional=professional, child=child_aged(14), hours_absent=hours, times_late=0
    )

    change = refer(case, professional.user)

    assert change.eligibility_override is False


@pytest.mark.parametrize("times_late", [12, 60])
def test_lateness_of_12_to_60_times_is_eligible_without_hours(professional, times_late):
    case = CaseFactory(
        professional=professional, child=child_aged(14), hours_absent=0, times_late=times_late
    )

    change = refer(case, professional.user)

    assert change.eligibility_override is False
    case.refresh_from_db()
    assert case.stage == Stage.HALT


@pytest.mark.parametrize("times_late", [11, 61])
def test_lateness_outside_12_to_60_without_hours_needs_an_override(professional, times_late):
    case = CaseFactory(
        professional=professional, child=child_aged(14), hours_absent=0, times_late=times_late
    )

    error = refused(
        case, RuleViolation, refer, case=case, actor=professional.user, expected_version=1
    )

    assert set(error.errors) == {"override_reason"}


def test_pupil_consent_is_needed_even_with_an_override(professional):
    case = CaseFactory(professional=professional, child=child_aged(11))

    error = refused(
        case,
        RuleViolation,
        refer,
        case=case,
        actor=professional.user,
        pupil_consent=False,
        override_reason="Bewust besloten.",
        expected_version=1,
    )

    assert set(error.errors) == {"pupil_consent"}


@pytest.mark.parametrize("parent_consent", [False, None])
def test_under_16_the_parents_must_consent(professional, parent_consent):
    # 16 tomorrow: still 15 today.
    child = ChildFactory(date_of_birth=born(16, days_to_birthday=1))
    case = CaseFactory(professional=professional, child=child)

    error = refused(
        case,
        RuleViolation,
        refer,
        case=case,
        actor=professional.user,
        parent_consent=parent_consent,
        expected_version=1,
    )

    assert set(error.errors) == {"parent_consent"}


@pytest.mark.parametrize("parent_consent", [False, None, True])
def test_from_16_parent_consent_is_not_needed_and_stored_as_none(professional, parent_consent):
    case = CaseFactory(professional=professional, child=child_aged(16))

    change = refer(case, professional.user, parent_consent=parent_consent)

    stored = StageChange.objects.get(pk=change.pk)
    assert stored.pupil_consent is True
    assert stored.parent_consent is None
    case.refresh_from_db()
    assert case.stage == Stage.HALT


def test_an_earlier_halt_referral_of_the_child_needs_an_override(professional, coordinator):
    child = child_aged(14)
    earlier = CaseFactory(professional=professional, child=child)
    refer(earlier, professional.user)
    case_halt_result(
        case=earlier,
        actor=professional.user,
        result=HaltResult.POSITIVE,
        reason="Leeropdracht gedaan.",
        category=OutcomeCategory.BACK_TO_SCHOOL,
        achieved_on=TODAY,
        expected_version=2,
    )
    case = CaseFactory(professional=professional, child=child)

    error = refused(
        case, RuleViolation, refer, case=case, actor=professional.user, expected_version=1
    )
    assert set(error.errors) == {"override_reason"}

    change = refer(case, professional.user, override_reason="Nieuwe situatie thuis.")
    assert StageChange.objects.get(pk=change.pk).eligibility_override is True


def test_a_siblings_halt_referral_does_not_count(professional):
    child = child_aged(14)
    sibling = CaseFactory(
        professional=professional, child=child_aged(13, household=child.household)
    )
    refer(sibling, professional.user)
    case = CaseFactory(professional=professional, child=child)

    change = refer(case, professional.user)

    assert change.eligibility_override is False


@pytest.mark.parametrize("stage", [Stage.HALT, Stage.RVDK])
def test_refer_to_halt_from_halt_or_rvdk_is_not_a_route(professional, stage):
    case = CaseFactory(professional=professional, child=child_aged(14), stage=stage)

    refused(
        case, TransitionNotAllowed, refer, case=case, actor=professional.user, expected_version=1
    )


def test_a_closed_case_is_not_referred(professional):
    case = CaseFactory(professional=professional, child=child_aged(14), closed=True)

    refused(
        case, TransitionNotAllowed, refer, case=case, actor=professional.user, expected_version=1
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_refer_to_halt_needs_a_reason(case, professional, reason):
    error = refused(
        case,
        RuleViolation,
        refer,
        case=case,
        actor=professional.user,
        reason=reason,
        expected_version=1,
    )

    assert set(error.errors) == {"reason"}


def test_a_stale_version_is_a_concurrent_edit_and_changes_nothing(case, professional):
    Case.objects.filter(pk=case.pk).update(version=2)  # someone else saved in between

    refused(case, ConcurrentEdit, refer, case=case, actor=professional.user, expected_version=1)

    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert case.version == 2


def test_no_expected_version_skips_the_check(case, professional):
    Case.objects.filter(pk=case.pk).update(version=5)

    refer(case, professional.user, expected_version=None)

    case.refresh_from_db()
    assert (case.stage, case.version) == (Stage.HALT, 6)


# --- case_refer_to_rvdk ------------------------------------------------------------------------


def to_rvdk(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "reason": "Proces-verbaal opgemaakt.",
        "expected_version": case.version,
    } | overrides
    return case_refer_to_rvdk(**values)


def test_rvdk_needs_a_proces_verbaal_or_zorgmelding_first(case, professional):
    ContactFactory(case=case, kind=ContactKind.VERZUIMGESPREK)
    ContactFactory(case=case, kind=ContactKind.WAARSCHUWING)

    refused(case, TransitionNotAllowed, to_rvdk, case=case, actor=professional.user)


def test_a_proces_verbaal_on_another_case_does_not_count(case, professional):
    ContactFactory(kind=ContactKind.PROCES_VERBAAL)  # another case, another child

    refused(case, TransitionNotAllowed, to_rvdk, case=case, actor=professional.user)


@pytest.mark.parametrize("kind", [ContactKind.PROCES_VERBAAL, ContactKind.ZORGMELDING])
def test_after_a_proces_verbaal_or_zorgmelding_the_case_goes_to_rvdk(case, professional, kind):
    ContactFactory(case=case, kind=kind, with_whom=ContactWith.PARTNER)

    change = to_rvdk(case, professional.user)

    case.refresh_from_db()
    assert case.stage == Stage.RVDK
    assert case.version == 2
    stored = StageChange.objects.get(case=case)
    assert stored.pk == change.pk
    assert (stored.from_stage, stored.to_stage) == (Stage.LEERPLICHT, Stage.RVDK)
    assert stored.to_status == CaseStatus.OPEN
    assert stored.reason == "Proces-verbaal opgemaakt."
    assert stored.actor == professional.user


def test_halt_to_rvdk_is_not_a_route(professional):
    case = CaseFactory(professional=professional, child=child_aged(14), halt=True)
    ContactFactory(case=case, kind=ContactKind.PROCES_VERBAAL)

    refused(case, TransitionNotAllowed, to_rvdk, case=case, actor=professional.user)


def test_rvdk_to_rvdk_is_not_a_route(professional):
    case = CaseFactory(professional=professional, child=child_aged(14), rvdk=True)
    ContactFactory(case=case, kind=ContactKind.PROCES_VERBAAL)

    refused(case, TransitionNotAllowed, to_rvdk, case=case, actor=professional.user)


def test_rvdk_referral_needs_a_reason(case, professional):
    ContactFactory(case=case, kind=ContactKind.PROCES_VERBAAL)

    error = refused(case, RuleViolation, to_rvdk, case=case, actor=professional.user, reason=" ")

    assert set(error.errors) == {"reason"}


# --- case_halt_result --------------------------------------------------------------------------


@pytest.fixture
def halt_case(professional):
    return CaseFactory(professional=professional, child=child_aged(14), halt=True)


def halt_result(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "result": HaltResult.POSITIVE,
        "reason": "Halt positief afgerond.",
        "category": OutcomeCategory.BACK_TO_SCHOOL,
        "achieved_on": TODAY - datetime.timedelta(days=2),
        "expected_version": case.version,
    } | overrides
    return case_halt_result(**values)


def test_positive_halt_result_closes_the_case_with_its_outcome(halt_case, professional):
    change = halt_result(halt_case, professional.user)

    halt_case.refresh_from_db()
    assert halt_case.status == CaseStatus.CLOSED
    assert halt_case.stage == Stage.HALT
    assert halt_case.closed_on == TODAY
    assert halt_case.version == 2
    outcome = Outcome.objects.get(case=halt_case)
    assert outcome.category == OutcomeCategory.BACK_TO_SCHOOL
    assert outcome.achieved_on == TODAY - datetime.timedelta(days=2)
    assert outcome.recorded_by == professional.user
    stored = StageChange.objects.get(case=halt_case)
    assert stored.pk == change.pk
    assert (stored.from_stage, stored.to_stage) == (Stage.HALT, Stage.HALT)
    assert (stored.from_status, stored.to_status) == (CaseStatus.OPEN, CaseStatus.CLOSED)
    assert stored.halt_result == HaltResult.POSITIVE
    assert stored.reason == "Halt positief afgerond."


def test_positive_halt_result_needs_category_and_date(halt_case, professional):
    error = refused(
        halt_case,
        RuleViolation,
        halt_result,
        case=halt_case,
        actor=professional.user,
        category="",
        achieved_on=None,
    )

    assert set(error.errors) == {"category", "achieved_on"}


@pytest.mark.parametrize("result", [HaltResult.NEGATIVE, HaltResult.CONSENT_WITHDRAWN])
def test_negative_or_withdrawn_halt_result_goes_back_to_leerplicht(halt_case, professional, result):
    change = halt_result(halt_case, professional.user, result=result, category="", achieved_on=None)

    halt_case.refresh_from_db()
    assert halt_case.stage == Stage.LEERPLICHT
    assert halt_case.status == CaseStatus.OPEN
    assert halt_case.closed_on is None
    assert halt_case.version == 2
    assert not Outcome.objects.filter(case=halt_case).exists()
    stored = StageChange.objects.get(case=halt_case)
    assert stored.pk == change.pk
    assert (stored.from_stage, stored.to_stage) == (Stage.HALT, Stage.LEERPLICHT)
    assert stored.to_status == CaseStatus.OPEN
    assert stored.halt_result == result


def test_an_unknown_halt_result_is_refused(halt_case, professional):
    error = refused(
        halt_case, RuleViolation, halt_result, case=halt_case, actor=professional.user, result="x"
    )

    assert set(error.errors) == {"result"}


@pytest.mark.parametrize("stage", [Stage.LEERPLICHT, Stage.RVDK])
def test_halt_result_outside_the_halt_stage_is_not_allowed(professional, stage):
    case = CaseFactory(professional=professional, child=child_aged(14), stage=stage)

    refused(case, TransitionNotAllowed, halt_result, case=case, actor=professional.user)


def test_halt_result_on_a_closed_halt_case_is_not_allowed(professional):
    case = CaseFactory(professional=professional, child=child_aged(14), halt=True, closed=True)

    refused(case, TransitionNotAllowed, halt_result, case=case, actor=professional.user)


def test_halt_result_with_a_stale_version_changes_nothing(halt_case, professional):
    refused(
        halt_case,
        ConcurrentEdit,
        halt_result,
        case=halt_case,
        actor=professional.user,
        expected_version=7,
    )


# --- case_close --------------------------------------------------------------------------------


def close(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "category": OutcomeCategory.CARE,
        "achieved_on": TODAY - datetime.timedelta(days=1),
        "reason": "Hulp gestart.",
        "expected_version": case.version,
    } | overrides
    return case_close(**values)


@pytest.mark.parametrize("stage", [Stage.LEERPLICHT, Stage.RVDK])
def test_close_from_leerplicht_or_rvdk_with_an_outcome(professional, stage):
    case = CaseFactory(professional=professional, child=child_aged(14), stage=stage)

    change = close(case, professional.user)

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.stage == stage
    assert case.closed_on == TODAY
    assert case.version == 2
    outcome = Outcome.objects.get(case=case)
    assert (outcome.category, outcome.achieved_on) == (
        OutcomeCategory.CARE,
        TODAY - datetime.timedelta(days=1),
    )
    assert outcome.recorded_by == professional.user
    stored = StageChange.objects.get(case=case)
    assert stored.pk == change.pk
    assert (stored.from_stage, stored.to_stage) == (stage, stage)
    assert (stored.from_status, stored.to_status) == (CaseStatus.OPEN, CaseStatus.CLOSED)
    assert stored.halt_result == ""


def test_close_from_halt_goes_through_the_halt_result(halt_case, professional):
    refused(halt_case, TransitionNotAllowed, close, case=halt_case, actor=professional.user)


@pytest.mark.parametrize("achieved_on", ["tomorrow", "day_before_referral"])
def test_outcome_date_in_the_future_or_before_the_referral_is_refused(
    case, professional, achieved_on
):
    day = {
        "tomorrow": TODAY + datetime.timedelta(days=1),
        "day_before_referral": case.date_received - datetime.timedelta(days=1),
    }[achieved_on]

    error = refused(case, RuleViolation, close, case=case, actor=professional.user, achieved_on=day)

    assert set(error.errors) == {"achieved_on"}


@pytest.mark.parametrize("achieved_on", ["today", "referral_day"])
def test_outcome_date_today_or_on_the_referral_day_is_accepted(case, professional, achieved_on):
    day = {"today": TODAY, "referral_day": case.date_received}[achieved_on]

    close(case, professional.user, achieved_on=day)

    assert Outcome.objects.get(case=case).achieved_on == day


@pytest.mark.parametrize("category", ["", "onbekend"])
def test_close_needs_a_known_outcome_category(case, professional, category):
    error = refused(
        case, RuleViolation, close, case=case, actor=professional.user, category=category
    )

    assert set(error.errors) == {"category"}


def test_a_closed_case_is_not_closed_again(professional):
    case = CaseFactory(professional=professional, child=child_aged(14), closed=True)

    refused(case, TransitionNotAllowed, close, case=case, actor=professional.user)


def test_close_needs_a_reason(case, professional):
    error = refused(case, RuleViolation, close, case=case, actor=professional.user, reason="")

    assert set(error.errors) == {"reason"}


# --- case_reopen -------------------------------------------------------------------------------


def reopen(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "reason": "Verzuim opnieuw begonnen.",
        "expected_version": case.version,
    } | overrides
    return case_reopen(**values)


@pytest.fixture
def closed_case(case, professional):
    close(case, professional.user)
    case.refresh_from_db()
    return case


def test_coordinator_reopens_a_closed_case(closed_case, coordinator):
    change = reopen(closed_case, coordinator)

    closed_case.refresh_from_db()
    assert closed_case.status == CaseStatus.OPEN
    assert closed_case.closed_on is None
    assert closed_case.version == 3
    stored = StageChange.objects.filter(case=closed_case).order_by("-id").first()
    assert stored.pk == change.pk
    assert (stored.from_status, stored.to_status) == (CaseStatus.CLOSED, CaseStatus.OPEN)
    assert stored.from_stage == stored.to_stage == Stage.LEERPLICHT
    assert stored.actor == coordinator
    assert stored.reason == "Verzuim opnieuw begonnen."
    # The earlier outcome stays: it is part of the history.
    assert Outcome.objects.filter(case=closed_case).count() == 1


def test_a_professional_may_not_reopen(closed_case, professional):
    refused(closed_case, PermissionDenied, reopen, case=closed_case, actor=professional.user)


def test_reopen_needs_a_reason(closed_case, coordinator):
    error = refused(
        closed_case, RuleViolation, reopen, case=closed_case, actor=coordinator, reason="  "
    )

    assert set(error.errors) == {"reason"}


def test_an_open_case_is_not_reopened(case, coordinator):
    refused(case, TransitionNotAllowed, reopen, case=case, actor=coordinator)


def test_a_reopened_case_closes_again_with_a_second_outcome(closed_case, coordinator, professional):
    reopen(closed_case, coordinator)
    closed_case.refresh_from_db()

    close(closed_case, professional.user, category=OutcomeCategory.OTHER_SCHOOL)

    closed_case.refresh_from_db()
    assert closed_case.status == CaseStatus.CLOSED
    assert Outcome.objects.filter(case=closed_case).count() == 2
    assert StageChange.objects.filter(case=closed_case).count() == 3


# --- Study arms: one professional through the chain, or handovers ------------------------------


def leerplicht_professional(**kwargs):
    return ProfessionalFactory(
        organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT), **kwargs
    )


def halt_professional():
    return ProfessionalFactory(organisation=OrganisationFactory(kind=ChainRole.HALT))


def log_proces_verbaal(case, professional):
    contact_log(
        case=case,
        professional=professional,
        role=ChainRole.LEERPLICHT,
        kind=ContactKind.PROCES_VERBAAL,
        with_whom=ContactWith.PARTNER,
        channel=Channel.WRITTEN,
        occurred_at=NOW - datetime.timedelta(hours=1),
        duration_minutes=60,
    )


def version(case) -> int:
    case.refresh_from_db()
    return case.version


def test_bip_arm_keeps_one_professional_through_the_whole_chain(coordinator):
    bip = leerplicht_professional(bip=True)
    case = CaseFactory(arm=Arm.BIP, child=child_aged(14))
    case_assign(
        case=case,
        professional=bip,
        actor=coordinator,
        reason=AssignmentReason.INTAKE,
        expected_version=1,
    )
    actor = bip.user

    refer(case, actor, expected_version=version(case))
    case.refresh_from_db()
    assert (case.stage, case.professional, case.handover_requested_at) == (Stage.HALT, bip, None)

    halt_result(
        case,
        actor,
        result=HaltResult.NEGATIVE,
        category="",
        achieved_on=None,
        expected_version=version(case),
    )
    case.refresh_from_db()
    assert (case.stage, case.professional, case.handover_requested_at) == (
        Stage.LEERPLICHT,
        bip,
        None,
    )

    log_proces_verbaal(case, bip)
    to_rvdk(case, actor, expected_version=version(case))
    case.refresh_from_db()
    assert (case.stage, case.professional, case.handover_requested_at) == (Stage.RVDK, bip, None)

    close(case, actor, expected_version=version(case))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.professional == bip
    assert case.handover_requested_at is None
    assert list(
        StageChange.objects.filter(case=case).order_by("id").values_list("to_stage", "to_status")
    ) == [
        (Stage.HALT, CaseStatus.OPEN),
        (Stage.LEERPLICHT, CaseStatus.OPEN),
        (Stage.RVDK, CaseStatus.OPEN),
        (Stage.RVDK, CaseStatus.CLOSED),
    ]
    assert Assignment.objects.filter(case=case).count() == 1
    assert Assignment.objects.filter(case=case, is_handover=True).count() == 0


def test_control_arm_hands_the_case_over_at_each_organisation_boundary(coordinator):
    leerplicht = leerplicht_professional()
    halt = halt_professional()
    case = CaseFactory(arm=Arm.CONTROL, professional=leerplicht, child=child_aged(14))
    assert case.handover_requested_at is None

    refer(case, leerplicht.user, expected_version=1)
    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.professional == leerplicht
    assert case.handover_requested_at == NOW

    assignment = case_assign(
        case=case,
        professional=halt,
        actor=coordinator,
        reason=AssignmentReason.STAGE_HANDOVER,
        note="Naar Halt voor de leeropdracht.",
        expected_version=version(case),
    )
    case.refresh_from_db()
    assert case.professional == halt
    assert case.handover_requested_at is None
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.is_handover is True
    assert stored.reason == AssignmentReason.STAGE_HANDOVER
    assert stored.note == "Naar Halt voor de leeropdracht."
    assert Assignment.objects.filter(case=case, is_handover=True).count() == 1

    halt_result(
        case,
        halt.user,
        result=HaltResult.NEGATIVE,
        category="",
        achieved_on=None,
        expected_version=version(case),
    )
    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert case.professional == halt
    assert case.handover_requested_at == NOW

    case_assign(
        case=case,
        professional=leerplicht,
        actor=coordinator,
        reason=AssignmentReason.STAGE_HANDOVER,
        note="Terug naar Leerplicht voor het proces-verbaal.",
        expected_version=version(case),
    )
    case.refresh_from_db()
    assert case.professional == leerplicht
    assert case.handover_requested_at is None
    assert Assignment.objects.filter(case=case, is_handover=True).count() == 2
    assert Assignment.objects.filter(case=case).current().get().professional == leerplicht


def test_control_case_held_by_the_target_organisation_needs_no_handover(coordinator):
    # A Leerplicht professional still holds a case in the Halt stage (say the coordinator never
    # handed it over): going back to Leerplicht stays within their organisation.
    leerplicht = leerplicht_professional()
    case = CaseFactory(arm=Arm.CONTROL, professional=leerplicht, child=child_aged(14), halt=True)

    # The coordinator records it: the Leerplicht officer lacks the Halt role (see
    # tests/cases/views/test_handover_flow.py).
    halt_result(
        case,
        coordinator,
        result=HaltResult.NEGATIVE,
        category="",
        achieved_on=None,
        expected_version=1,
    )

    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert case.handover_requested_at is None


def test_control_case_referred_to_halt_by_a_halt_professional_needs_no_handover(coordinator):
    halt = halt_professional()
    case = CaseFactory(arm=Arm.CONTROL, professional=halt, child=child_aged(14))

    # The coordinator refers it: the Halt professional lacks the Leerplicht role.
    refer(case, coordinator, expected_version=1)

    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.handover_requested_at is None


def test_closing_clears_a_waiting_handover(coordinator):
    leerplicht = leerplicht_professional()
    case = CaseFactory(arm=Arm.CONTROL, professional=leerplicht, child=child_aged(14))
    refer(case, leerplicht.user, expected_version=1)
    case.refresh_from_db()
    assert case.handover_requested_at is not None

    # While it waits, only the coordinator takes the Halt step (the officer lacks that role).
    halt_result(case, coordinator, expected_version=version(case))

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.handover_requested_at is None
