"""cases.agenda: what is on the agenda, the header count, the .ics file, bulk reassignment."""

import datetime

import pytest
from django.utils import timezone

from cases.agenda import (
    agenda_for,
    agenda_items,
    cases_reassign,
    due_count_for_user,
    ics_calendar,
    ics_escape,
    ics_fold,
    reassignment_plan,
)
from cases.constants import AssignmentReason
from cases.exceptions import RuleViolation
from cases.models import Assignment
from tests.factories import (
    CaseFactory,
    ContactFactory,
    HouseholdPlanFactory,
    PlanActionFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def follow_up(case, on, *, days_ago=1):
    return ContactFactory(
        case=case,
        follow_up_on=on,
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


@pytest.fixture
def bip():
    return ProfessionalFactory(bip=True)


def test_follow_ups_and_own_plan_actions_are_on_the_agenda(bip):
    case = CaseFactory(professional=bip)
    follow_up(case, TODAY + 2 * DAY)
    plan = HouseholdPlanFactory(household=case.child.household)
    action = PlanActionFactory(
        plan=plan, owner="professional", owner_professional=bip, due_on=TODAY + 3 * DAY
    )
    # Not on it: a done action, someone else's action, a closed case's follow-up.
    PlanActionFactory(plan=plan, owner="professional", owner_professional=bip, done=True)
    PlanActionFactory(plan=plan, owner="ouders", due_on=TODAY)
    closed = CaseFactory(professional=bip, closed=True)
    follow_up(closed, TODAY)

    items = agenda_items(bip, until=TODAY + 7 * DAY)

    assert [(item.kind, item.day, item.case_id) for item in items] == [
        ("follow_up", TODAY + 2 * DAY, case.pk),
        ("plan_action", TODAY + 3 * DAY, case.pk),
    ]
    assert items[1].action_id == action.pk
    assert items[0].child_name == str(case.child)


def test_a_newer_contact_replaces_the_follow_up(bip):
    case = CaseFactory(professional=bip)
    follow_up(case, TODAY + DAY, days_ago=3)
    follow_up(case, None, days_ago=1)
    assert agenda_items(bip, until=TODAY + 7 * DAY) == []


def test_another_professionals_case_is_not_on_my_agenda(bip):
    other = CaseFactory(professional=ProfessionalFactory(bip=True))
    follow_up(other, TODAY)
    assert agenda_items(bip, until=TODAY + 7 * DAY) == []


def test_the_week_view_puts_overdue_on_top_and_lists_every_day(bip):
    late = CaseFactory(professional=bip)
    follow_up(late, TODAY - 3 * DAY, days_ago=5)
    soon = CaseFactory(professional=bip)
    follow_up(soon, TODAY)

    agenda = agenda_for(bip, day=TODAY, week=True, today=TODAY)

    assert [item.case_id for item in agenda.overdue] == [late.pk]
    assert len(agenda.days) == 7
    assert agenda.days[0].day.weekday() == 0
    today_entry = next(day for day in agenda.days if day.day == TODAY)
    assert [item.case_id for item in today_entry.items] == [soon.pk]

    single = agenda_for(bip, day=TODAY, week=False, today=TODAY)
    assert [day.day for day in single.days] == [TODAY]


def test_the_header_count_is_due_and_overdue_in_one_query(bip, django_assert_num_queries):
    for offset in (-2, 0, 3):  # overdue, today, later (not counted)
        follow_up(CaseFactory(professional=bip), TODAY + offset * DAY, days_ago=4)
    case = CaseFactory(professional=bip)
    plan = HouseholdPlanFactory(household=case.child.household)
    PlanActionFactory(plan=plan, owner="professional", owner_professional=bip, due_on=TODAY)
    with django_assert_num_queries(1):
        assert due_count_for_user(bip.user, TODAY) == 3
    assert due_count_for_user(UserFactory(coordinator=True), TODAY) == 0


def test_the_header_count_follows_the_day_asked_for(bip):
    """The count is compiled once (bip/lib/statements.py); each day gets its own answer."""
    for offset in (-2, 0, 3):
        follow_up(CaseFactory(professional=bip), TODAY + offset * DAY, days_ago=4)
    case = CaseFactory(professional=bip)
    PlanActionFactory(
        plan=HouseholdPlanFactory(household=case.child.household),
        owner="professional",
        owner_professional=bip,
        due_on=TODAY + DAY,
    )

    counts = [due_count_for_user(bip.user, TODAY + offset * DAY) for offset in range(-3, 5)]

    assert counts == [0, 1, 1, 2, 3, 3, 4, 4]


def test_ics_text_is_escaped():
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_ics_lines_are_folded_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "é" * 100
    folded = ics_fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_the_calendar_file_has_case_numbers_and_kinds_never_names(bip):
    case = CaseFactory(professional=bip, child__first_name="Zoë", child__last_name="Achternaam")
    follow_up(case, TODAY + DAY)
    plan = HouseholdPlanFactory(household=case.child.household)
    PlanActionFactory(
        plan=plan,
        owner="professional",
        owner_professional=bip,
        description="Bel moeder Achternaam",
        due_on=TODAY + 2 * DAY,
    )
    body = ics_calendar(
        agenda_items(bip, until=TODAY + 30 * DAY),
        calendar_name="Mijn agenda",
        now=timezone.now(),
        site_url="https://kk.example.nl/",
    )
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 2
    assert f"SUMMARY:{case.number}: Vervolgafspraak\r\n" in body
    assert f"SUMMARY:{case.number}: Actie gezinsplan\r\n" in body
    assert f"DTSTART;VALUE=DATE:{TODAY + DAY:%Y%m%d}" in body
    assert f"URL:https://kk.example.nl/zaken/{case.pk}/" in body
    assert "Achternaam" not in body
    assert "Zoë" not in body
    assert all(line.endswith("\r") or not line for line in body.split("\n")[:-1])


def test_reassignment_suggests_per_case_and_spreads_the_load(django_assert_max_num_queries):
    absent = ProfessionalFactory(bip=True)
    first = ProfessionalFactory(bip=True)
    second = ProfessionalFactory(bip=True)
    cases = [CaseFactory(professional=absent, bip_arm=True) for _ in range(4)]
    # `second` already works in the household of the last case: continuity wins there.
    CaseFactory(professional=second, child__household=cases[-1].child.household)

    with django_assert_max_num_queries(4):
        plan = reassignment_plan(absent)

    assert [item.case for item in plan] == sorted(
        cases, key=lambda c: (c.three_month_deadline, c.pk)
    )
    by_case = {item.case.pk: item.suggested for item in plan}
    assert by_case[cases[-1].pk] == second
    assert {by_case[case.pk] for case in cases[:-1]} == {first, second}
    assert absent not in plan[0].suggestions


def test_bulk_reassign_records_a_handover_per_case(mailoutbox):
    coordinator = UserFactory(coordinator=True)
    absent = ProfessionalFactory(bip=True)
    successor = ProfessionalFactory(bip=True)
    cases = [CaseFactory(professional=absent) for _ in range(2)]

    count = cases_reassign(
        choices=[(case, successor, case.version) for case in cases],
        actor=coordinator,
        reason=AssignmentReason.ABSENCE,
        note="Ziek tot eind van de maand",
    )

    assert count == 2
    for case in cases:
        case.refresh_from_db()
        assert case.professional == successor
        handover = Assignment.objects.get(case=case, ended_at__isnull=True)
        assert handover.is_handover
        assert handover.reason == AssignmentReason.ABSENCE
        assert handover.note == "Ziek tot eind van de maand"
        assert handover.assigned_by == coordinator


def test_bulk_reassign_is_all_or_nothing():
    coordinator = UserFactory(coordinator=True)
    absent = ProfessionalFactory(bip=True)
    successor = ProfessionalFactory(bip=True)
    fine, stale = CaseFactory(professional=absent), CaseFactory(professional=absent)

    with pytest.raises(RuleViolation) as refused:
        cases_reassign(
            choices=[(fine, successor, fine.version), (stale, successor, stale.version + 5)],
            actor=coordinator,
            reason=AssignmentReason.ABSENCE,
            note="Ziek",
        )

    assert stale.number in str(refused.value.errors[f"case_{stale.pk}"])
    fine.refresh_from_db()
    assert fine.professional == absent
    assert not Assignment.objects.filter(is_handover=True).exists()


def test_bulk_reassign_needs_a_note():
    absent = ProfessionalFactory(bip=True)
    case = CaseFactory(professional=absent)
    with pytest.raises(RuleViolation) as refused:
        cases_reassign(
            choices=[(case, ProfessionalFactory(bip=True), case.version)],
            actor=UserFactory(coordinator=True),
            reason=AssignmentReason.ABSENCE,
            note=" ",
        )
    assert "note" in refused.value.errors
