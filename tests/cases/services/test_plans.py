"""The household plan: one plan per household, every change recorded as a PlanChange."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.constants import PlanChangeKind, PlanOwner
from cases.exceptions import ConcurrentEdit, RuleViolation
from cases.models import HouseholdPlan, PlanAction, PlanChange, PlanGoal
from cases.services import (
    plan_action_add,
    plan_action_change,
    plan_action_set_done,
    plan_goal_add,
    plan_goal_change,
)
from tests.factories import CaseFactory, ChildFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional)


@pytest.fixture
def actor(professional):
    return professional.user


def plan_of(case) -> HouseholdPlan:
    return HouseholdPlan.objects.get(household_id=case.child.household_id)


def add_action(case, actor, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "description": "Ouders bellen school over het rooster.",
        "owner": PlanOwner.PARENTS,
        "due_on": TODAY + datetime.timedelta(days=14),
    } | overrides
    return plan_action_add(**values)


def plan_state() -> tuple:
    return (
        list(HouseholdPlan.objects.order_by("id").values_list("id", "version")),
        PlanGoal.objects.count(),
        PlanAction.objects.count(),
        PlanChange.objects.count(),
    )


def refused(exception, call, /, **kwargs):
    """Run `call`, expect `exception`, check no plan row changed; return the exception."""
    before = plan_state()
    with pytest.raises(exception) as exc_info:
        call(**kwargs)
    assert plan_state() == before
    return exc_info.value


# --- Goals -------------------------------------------------------------------------------------


def test_adding_a_goal_creates_the_plan_and_records_the_change(case, actor):
    goal = plan_goal_add(case=case, actor=actor, description="  Elke dag naar school.  ")

    plan = plan_of(case)
    stored = PlanGoal.objects.get()
    assert stored.pk == goal.pk
    assert stored.plan == plan
    assert stored.description == "Elke dag naar school."
    assert stored.position == 1
    assert plan.version == 2
    change = PlanChange.objects.get()
    assert change.plan == plan
    assert change.kind == PlanChangeKind.GOAL_ADDED
    assert change.description == "Elke dag naar school."
    assert change.actor == actor
    assert change.changed_at == NOW


def test_goals_take_the_next_position_and_each_bumps_the_version(case, actor):
    plan_goal_add(case=case, actor=actor, description="Elke dag naar school.")
    second = plan_goal_add(case=case, actor=actor, description="Hulp bij slapen.")

    assert second.position == 2
    assert plan_of(case).version == 3
    assert PlanChange.objects.filter(kind=PlanChangeKind.GOAL_ADDED).count() == 2


def test_siblings_share_one_household_plan(case, actor, other_professional):
    sibling_case = CaseFactory(
        professional=other_professional, child=ChildFactory(household=case.child.household)
    )
    plan_goal_add(case=case, actor=actor, description="Elke dag naar school.")

    plan_goal_add(
        case=sibling_case, actor=other_professional.user, description="Broertje ook op tijd."
    )

    assert HouseholdPlan.objects.count() == 1
    plan = plan_of(case)
    assert plan_of(sibling_case) == plan
    assert list(plan.goals.order_by("position").values_list("description", flat=True)) == [
        "Elke dag naar school.",
        "Broertje ook op tijd.",
    ]
    assert plan.changes.count() == 2
    assert plan.version == 3


def test_another_household_gets_its_own_plan(case, actor):
    other_case = CaseFactory()
    plan_goal_add(case=case, actor=actor, description="Elke dag naar school.")

    plan_goal_add(case=other_case, actor=actor, description="Iets anders.")

    assert HouseholdPlan.objects.count() == 2
    assert plan_of(case).goals.count() == 1
    assert plan_of(other_case).goals.count() == 1


@pytest.mark.parametrize("description", ["", "   "])
def test_a_goal_needs_a_description(case, actor, description):
    error = refused(RuleViolation, plan_goal_add, case=case, actor=actor, description=description)

    assert set(error.errors) == {"description"}


# --- Actions -----------------------------------------------------------------------------------


def test_adding_an_action_records_the_change(case, actor, professional):
    goal = plan_goal_add(case=case, actor=actor, description="Elke dag naar school.")

    action = add_action(
        case,
        actor,
        goal=goal,
        owner=PlanOwner.PROFESSIONAL,
        owner_professional=professional,
        description="Huisbezoek plannen.",
    )

    stored = PlanAction.objects.get()
    assert stored.pk == action.pk
    assert stored.plan == plan_of(case)
    assert stored.goal == goal
    assert stored.owner == PlanOwner.PROFESSIONAL
    assert stored.owner_professional == professional
    assert stored.due_on == TODAY + datetime.timedelta(days=14)
    assert stored.done_on is None
    assert plan_of(case).version == 3
    change = PlanChange.objects.get(kind=PlanChangeKind.ACTION_ADDED)
    assert (change.description, change.actor) == ("Huisbezoek plannen.", actor)


def test_an_owner_professional_is_kept_only_for_a_professional_owner(case, actor, professional):
    add_action(case, actor, owner=PlanOwner.PARENTS, owner_professional=professional)

    assert PlanAction.objects.get().owner_professional is None


def test_an_action_owned_by_a_professional_needs_the_professional(case, actor):
    error = refused(
        RuleViolation,
        add_action,
        case=case,
        actor=actor,
        owner=PlanOwner.PROFESSIONAL,
        owner_professional=None,
    )

    assert set(error.errors) == {"owner_professional"}


def test_an_action_needs_a_due_date(case, actor):
    error = refused(RuleViolation, add_action, case=case, actor=actor, due_on=None)

    assert set(error.errors) == {"due_on"}


@pytest.mark.parametrize("owner", ["", "buurman"])
def test_an_action_needs_a_known_owner(case, actor, owner):
    error = refused(RuleViolation, add_action, case=case, actor=actor, owner=owner)

    assert set(error.errors) == {"owner"}


def test_a_goal_from_another_household_is_refused(case, actor):
    foreign_goal = plan_goal_add(case=CaseFactory(), actor=actor, description="Ander gezin.")

    error = refused(RuleViolation, add_action, case=case, actor=actor, goal=foreign_goal)

    assert set(error.errors) == {"goal"}


# --- Done and reopened -------------------------------------------------------------------------


@pytest.fixture
def action(case, actor):
    return add_action(case, actor)


def set_done(case, actor, action, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "action": action,
        "done": True,
        "on": TODAY,
        "expected_version": plan_of(case).version,
    } | overrides
    return plan_action_set_done(**values)


def test_marking_an_action_done_records_the_date_and_the_change(case, actor, action):
    version_before = plan_of(case).version

    set_done(case, actor, action, on=TODAY - datetime.timedelta(days=1))

    action.refresh_from_db()
    assert action.done_on == TODAY - datetime.timedelta(days=1)
    assert plan_of(case).version == version_before + 1
    change = PlanChange.objects.get(kind=PlanChangeKind.ACTION_DONE)
    assert (change.description, change.actor) == (action.description, actor)


def test_reopening_a_done_action_clears_the_date_and_records_the_change(case, actor, action):
    set_done(case, actor, action)
    version_before = plan_of(case).version

    set_done(case, actor, action, done=False)

    action.refresh_from_db()
    assert action.done_on is None
    assert plan_of(case).version == version_before + 1
    assert PlanChange.objects.filter(kind=PlanChangeKind.ACTION_REOPENED).count() == 1
    assert list(PlanChange.objects.order_by("id").values_list("kind", flat=True)) == [
        PlanChangeKind.ACTION_ADDED,
        PlanChangeKind.ACTION_DONE,
        PlanChangeKind.ACTION_REOPENED,
    ]


def test_marking_a_done_action_done_again_changes_nothing(case, actor, action):
    set_done(case, actor, action, on=TODAY - datetime.timedelta(days=3))
    before = plan_state()

    set_done(case, actor, action, on=TODAY)

    action.refresh_from_db()
    assert action.done_on == TODAY - datetime.timedelta(days=3)
    assert plan_state() == before


def test_a_sibling_case_marks_the_shared_action_done(case, actor, action, other_professional):
    sibling_case = CaseFactory(
        professional=other_professional, child=ChildFactory(household=case.child.household)
    )

    set_done(sibling_case, other_professional.user, action)

    action.refresh_from_db()
    assert action.done_on == TODAY
    assert PlanChange.objects.get(kind=PlanChangeKind.ACTION_DONE).actor == other_professional.user


def test_a_stale_plan_version_is_a_concurrent_edit(case, actor, action):
    stale = plan_of(case).version
    plan_goal_add(case=case, actor=actor, description="Iemand anders voegde dit toe.")

    refused(
        ConcurrentEdit,
        set_done,
        case=case,
        actor=actor,
        action=action,
        expected_version=stale,
    )

    action.refresh_from_db()
    assert action.done_on is None


# --- Changing a goal or an action --------------------------------------------------------------


def change_action(case, actor, action, **overrides):
    values = {
        "case": case,
        "actor": actor,
        "action": action,
        "description": action.description,
        "goal": action.goal,
        "owner": action.owner,
        "owner_professional": action.owner_professional,
        "due_on": action.due_on,
        "expected_version": plan_of(case).version,
    } | overrides
    return plan_action_change(**values)


def test_changing_a_goal_records_the_new_text(case, actor):
    goal = plan_goal_add(case=case, actor=actor, description="Naar school")
    version = plan_of(case).version

    changed = plan_goal_change(
        case=case,
        actor=actor,
        goal=goal,
        description="  Elke dag naar school  ",
        expected_version=version,
    )

    goal.refresh_from_db()
    assert goal.description == changed.description == "Elke dag naar school"
    assert plan_of(case).version == version + 1
    change = PlanChange.objects.get(kind=PlanChangeKind.GOAL_CHANGED)
    assert (change.description, change.actor) == ("Elke dag naar school", actor)


def test_an_unchanged_goal_records_nothing(case, actor):
    goal = plan_goal_add(case=case, actor=actor, description="Naar school")
    before = plan_state()
    plan_goal_change(
        case=case,
        actor=actor,
        goal=goal,
        description="Naar school",
        expected_version=plan_of(case).version,
    )
    assert plan_state() == before


@pytest.mark.parametrize("description", ["", "   "])
def test_a_changed_goal_needs_a_description(case, actor, description):
    goal = plan_goal_add(case=case, actor=actor, description="Naar school")
    error = refused(
        RuleViolation,
        plan_goal_change,
        case=case,
        actor=actor,
        goal=goal,
        description=description,
        expected_version=plan_of(case).version,
    )
    assert set(error.errors) == {"description"}
    goal.refresh_from_db()
    assert goal.description == "Naar school"


def test_a_goal_changed_on_a_stale_version_is_a_concurrent_edit(case, actor):
    goal = plan_goal_add(case=case, actor=actor, description="Naar school")
    stale = plan_of(case).version
    plan_goal_add(case=case, actor=actor, description="Iemand anders voegde dit toe.")
    refused(
        ConcurrentEdit,
        plan_goal_change,
        case=case,
        actor=actor,
        goal=goal,
        description="Nieuwe tekst",
        expected_version=stale,
    )


def test_changing_an_action_saves_every_field_and_records_it(case, actor, action, professional):
    goal = plan_goal_add(case=case, actor=actor, description="Naar school")
    version = plan_of(case).version
    new_due = TODAY + datetime.timedelta(days=30)

    change_action(
        case,
        actor,
        action,
        description="Mentor belt de ouders.",
        goal=goal,
        owner=PlanOwner.PROFESSIONAL,
        owner_professional=professional,
        due_on=new_due,
    )

    action.refresh_from_db()
    assert (action.description, action.goal, action.owner, action.owner_professional) == (
        "Mentor belt de ouders.",
        goal,
        PlanOwner.PROFESSIONAL,
        professional,
    )
    assert action.due_on == new_due
    assert action.done_on is None  # done is not this service's business
    assert plan_of(case).version == version + 1
    change = PlanChange.objects.get(kind=PlanChangeKind.ACTION_CHANGED)
    assert (change.description, change.actor) == ("Mentor belt de ouders.", actor)


def test_an_owner_professional_is_dropped_when_the_owner_is_no_professional(
    case, actor, action, professional
):
    change_action(
        case, actor, action, owner=PlanOwner.PROFESSIONAL, owner_professional=professional
    )
    change_action(case, actor, action, owner=PlanOwner.PARENTS, owner_professional=professional)
    action.refresh_from_db()
    assert (action.owner, action.owner_professional) == (PlanOwner.PARENTS, None)


def test_an_unchanged_action_records_nothing(case, actor, action):
    before = plan_state()
    change_action(case, actor, action, description=f"  {action.description} ")
    assert plan_state() == before


def test_a_changed_action_is_checked_like_a_new_one(case, actor, action):
    error = refused(
        RuleViolation,
        change_action,
        case=case,
        actor=actor,
        action=action,
        description=" ",
        owner=PlanOwner.PROFESSIONAL,
        owner_professional=None,
        due_on=None,
    )
    assert set(error.errors) == {"description", "owner_professional", "due_on"}


def test_a_changed_action_cannot_take_a_goal_of_another_household(case, actor, action):
    other = CaseFactory(professional=case.professional)
    foreign_goal = plan_goal_add(case=other, actor=actor, description="Ander gezin")
    error = refused(
        RuleViolation,
        change_action,
        case=case,
        actor=actor,
        action=action,
        goal=foreign_goal,
    )
    assert set(error.errors) == {"goal"}


def test_an_action_changed_on_a_stale_version_is_a_concurrent_edit(case, actor, action):
    stale = plan_of(case).version
    plan_goal_add(case=case, actor=actor, description="Iemand anders voegde dit toe.")
    refused(
        ConcurrentEdit,
        change_action,
        case=case,
        actor=actor,
        action=action,
        description="Nieuwe tekst",
        expected_version=stale,
    )
    action.refresh_from_db()
    assert action.description == "Ouders bellen school over het rooster."
