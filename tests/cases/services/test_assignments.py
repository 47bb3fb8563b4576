"""case_assign: first assignments, handovers with a note, and two coordinators racing."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from cases.constants import AssignmentReason, Stage
from cases.exceptions import ConcurrentEdit, RuleViolation
from cases.models import Assignment, Case
from cases.services import case_assign
from evaluation.constants import Arm
from tests.factories import CaseFactory, ProfessionalFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def assign(case, professional, actor, **overrides):
    values = {
        "case": case,
        "professional": professional,
        "actor": actor,
        "reason": AssignmentReason.WORKLOAD,
        "note": "Collega heeft ruimte.",
        "expected_version": case.version,
    } | overrides
    return case_assign(**values)


def snapshot(case) -> tuple:
    case.refresh_from_db()
    return (
        case.professional_id,
        case.version,
        case.handover_requested_at,
        list(
            Assignment.objects.filter(case=case)
            .order_by("id")
            .values_list("professional_id", "ended_at", "is_handover")
        ),
    )


def refused(target, exception, **kwargs):
    before = snapshot(target)
    with pytest.raises(exception) as exc_info:
        assign(**kwargs)
    assert snapshot(target) == before
    return exc_info.value


@pytest.mark.django_db
def test_first_assignment_is_not_a_handover_and_needs_no_note(frozen, coordinator, professional):
    case = CaseFactory()

    assignment = assign(case, professional, coordinator, reason=AssignmentReason.INTAKE, note="")

    case.refresh_from_db()
    assert case.professional == professional
    assert case.version == 2
    stored = Assignment.objects.get(case=case)
    assert stored.pk == assignment.pk
    assert stored.professional == professional
    assert stored.is_handover is False
    assert stored.note == ""
    assert stored.reason == AssignmentReason.INTAKE
    assert stored.assigned_by == coordinator
    assert stored.started_at == NOW
    assert stored.ended_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["", "   "])
def test_reassignment_needs_a_note(coordinator, professional, other_professional, note):
    case = CaseFactory(professional=professional)

    error = refused(
        case,
        RuleViolation,
        case=case,
        professional=other_professional,
        actor=coordinator,
        note=note,
    )

    assert set(error.errors) == {"note"}


@pytest.mark.django_db
def test_reassignment_with_a_note_is_a_handover(
    frozen, coordinator, professional, other_professional
):
    case = CaseFactory(professional=professional)  # writes the first Assignment row
    first = Assignment.objects.get(case=case)
    frozen.shift(datetime.timedelta(hours=2))

    assignment = assign(case, other_professional, coordinator, note="  Werkdruk verdeeld.  ")

    case.refresh_from_db()
    assert case.professional == other_professional
    assert case.version == 2
    first.refresh_from_db()
    assert first.ended_at == NOW + datetime.timedelta(hours=2)
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.is_handover is True
    assert stored.note == "Werkdruk verdeeld."
    assert stored.started_at == first.ended_at
    assert stored.ended_at is None
    current = Assignment.objects.filter(case=case).current()
    assert list(current) == [stored]
    assert Assignment.objects.filter(case=case).handovers().count() == 1


@pytest.mark.django_db
def test_assignment_clears_a_waiting_handover_request(
    coordinator, professional, other_professional
):
    case = CaseFactory(
        professional=professional,
        arm=Arm.CONTROL,
        stage=Stage.HALT,
        handover_requested_at=NOW,
    )

    assign(case, other_professional, coordinator, reason=AssignmentReason.STAGE_HANDOVER)

    case.refresh_from_db()
    assert case.handover_requested_at is None


@pytest.mark.django_db
def test_the_same_professional_again_is_refused(coordinator, professional):
    case = CaseFactory(professional=professional)

    error = refused(case, RuleViolation, case=case, professional=professional, actor=coordinator)

    assert set(error.errors) == {"professional"}


@pytest.mark.django_db
def test_an_inactive_professional_is_refused(coordinator):
    case = CaseFactory()
    inactive = ProfessionalFactory(inactive=True)

    error = refused(case, RuleViolation, case=case, professional=inactive, actor=coordinator)

    assert set(error.errors) == {"professional"}


@pytest.mark.django_db
def test_a_professional_whose_account_is_off_is_refused(coordinator):
    case = CaseFactory()
    account_off = ProfessionalFactory(user__is_active=False)

    error = refused(case, RuleViolation, case=case, professional=account_off, actor=coordinator)

    assert set(error.errors) == {"professional"}


@pytest.mark.django_db
def test_a_closed_case_is_not_assigned(coordinator, professional, other_professional):
    case = CaseFactory(professional=professional, closed=True)

    error = refused(
        case, RuleViolation, case=case, professional=other_professional, actor=coordinator
    )

    assert None in error.errors


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "omdat"])
def test_an_unknown_reason_is_refused(coordinator, professional, reason):
    case = CaseFactory()

    error = refused(
        case, RuleViolation, case=case, professional=professional, actor=coordinator, reason=reason
    )

    assert set(error.errors) == {"reason"}


@pytest.mark.django_db
def test_a_stale_version_is_a_concurrent_edit(coordinator, professional, other_professional):
    case = CaseFactory(professional=professional)
    Case.objects.filter(pk=case.pk).update(version=2)  # another coordinator saved meanwhile

    refused(
        case,
        ConcurrentEdit,
        case=case,
        professional=other_professional,
        actor=coordinator,
        expected_version=1,
    )


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_assigning_at_once_one_wins(coordinator, professional):
    """A real race: two threads, each on its own database connection, same expected_version.

    The case row lock makes the second wait for the first to commit, then see the new version.
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "The in-memory SQLite test database uses a shared cache with table locks: a second "
            "connection fails at once with 'database table is locked' instead of waiting, so "
            "the race cannot run there. It runs on PostgreSQL."
        )
    case = CaseFactory(professional=professional)
    candidates = [ProfessionalFactory(), ProfessionalFactory()]
    barrier = threading.Barrier(len(candidates))
    outcomes: dict[int, object] = {}

    def attempt(index: int) -> None:
        try:
            own_copy = Case.objects.get(pk=case.pk)
            barrier.wait(timeout=10)
            outcomes[index] = case_assign(
                case=own_copy,
                professional=candidates[index],
                actor=coordinator,
                reason=AssignmentReason.WORKLOAD,
                note=f"Verdeling {index}",
                expected_version=1,
            )
        except Exception as error:  # the test inspects what each thread got
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(candidates))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    winners = [i for i, result in outcomes.items() if isinstance(result, Assignment)]
    losers = [i for i, result in outcomes.items() if isinstance(result, ConcurrentEdit)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    case.refresh_from_db()
    assert case.version == 2
    assert case.professional == candidates[winners[0]]
    current = Assignment.objects.filter(case=case).current()
    assert current.count() == 1
    assert current.get().professional == candidates[winners[0]]
    assert Assignment.objects.filter(case=case).count() == 2
