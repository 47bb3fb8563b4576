"""The household plan: one plan for all children's cases in a household.

Every change writes a PlanChange row, shown in the timeline of every case in the household.
"""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from professionals.models import Professional

from ..constants import PlanChangeKind, PlanOwner
from ..exceptions import ConcurrentEdit, RuleViolation
from ..models import Case, HouseholdPlan, PlanAction, PlanChange, PlanGoal


def _locked_plan(case: Case, *, expected_version: int | None = None) -> HouseholdPlan:
    HouseholdPlan.objects.get_or_create(household_id=case.child.household_id)
    plan = HouseholdPlan.objects.select_for_update().get(household_id=case.child.household_id)
    if expected_version is not None and plan.version != expected_version:
        raise ConcurrentEdit
    return plan


def _record(plan: HouseholdPlan, *, kind: str, description: str, actor: User) -> None:
    PlanChange.objects.create(plan=plan, kind=kind, description=description[:500], actor=actor)
    plan.version += 1
    plan.save(update_fields=["version", "updated_at"])


def _check_action(
    description: str,
    owner: str,
    owner_professional: Professional | None,
    due_on: datetime.date | None,
) -> datetime.date:
    """Raise RuleViolation for a bad action; return the due date, known to be set."""
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = _("Beschrijf de actie.")
    if owner not in PlanOwner.values:
        errors["owner"] = _("Kies wie de actie uitvoert.")
    if owner == PlanOwner.PROFESSIONAL and owner_professional is None:
        errors["owner_professional"] = _("Kies welke professional de actie uitvoert.")
    if due_on is None:
        errors["due_on"] = _("Vul in wanneer de actie klaar moet zijn.")
    if errors or due_on is None:
        raise RuleViolation(errors=errors)
    return due_on


def _check_goal(goal: PlanGoal | None, plan: HouseholdPlan) -> None:
    if goal is not None and goal.plan_id != plan.pk:
        raise RuleViolation(errors={"goal": _("Dit doel hoort niet bij dit gezinsplan.")})


def plan_goal_add(*, case: Case, actor: User, description: str) -> PlanGoal:
    """Add a goal to the household plan of the case's child."""
    description = (description or "").strip()
    if not description:
        raise RuleViolation(errors={"description": _("Beschrijf het doel.")})
    with transaction.atomic():
        plan = _locked_plan(case)
        position = plan.goals.count() + 1
        goal = PlanGoal.objects.create(plan=plan, description=description, position=position)
        _record(plan, kind=PlanChangeKind.GOAL_ADDED, description=description, actor=actor)
        return goal


def plan_action_add(
    *,
    case: Case,
    actor: User,
    description: str,
    owner: str,
    due_on: datetime.date | None,
    goal: PlanGoal | None = None,
    owner_professional: Professional | None = None,
) -> PlanAction:
    """Add an action with an owner and a due date to the household plan."""
    description = (description or "").strip()
    due_on = _check_action(description, owner, owner_professional, due_on)
    with transaction.atomic():
        plan = _locked_plan(case)
        _check_goal(goal, plan)
        action = PlanAction.objects.create(
            plan=plan,
            goal=goal,
            description=description,
            owner=owner,
            owner_professional=owner_professional if owner == PlanOwner.PROFESSIONAL else None,
            due_on=due_on,
        )
        _record(plan, kind=PlanChangeKind.ACTION_ADDED, description=description, actor=actor)
        return action


def plan_action_set_done(
    *,
    case: Case,
    actor: User,
    action: PlanAction,
    done: bool,
    on: datetime.date,
    expected_version: int | None,
) -> PlanAction:
    """Mark an action done (on date `on`) or open again. Checks the plan version."""
    with transaction.atomic():
        plan = _locked_plan(case, expected_version=expected_version)
        action = PlanAction.objects.select_for_update().get(pk=action.pk, plan=plan)
        if done == action.is_done:
            return action
        action.done_on = on if done else None
        action.save(update_fields=["done_on"])
        _record(
            plan,
            kind=PlanChangeKind.ACTION_DONE if done else PlanChangeKind.ACTION_REOPENED,
            description=action.description,
            actor=actor,
        )
        return action


def plan_goal_change(
    *, case: Case, actor: User, goal: PlanGoal, description: str, expected_version: int
) -> PlanGoal:
    """Change the text of a goal. Checks the plan version; an unchanged text records nothing."""
    description = (description or "").strip()
    if not description:
        raise RuleViolation(errors={"description": _("Beschrijf het doel.")})
    with transaction.atomic():
        plan = _locked_plan(case, expected_version=expected_version)
        goal = PlanGoal.objects.select_for_update().get(pk=goal.pk, plan=plan)
        if goal.description == description:
            return goal
        goal.description = description
        goal.save(update_fields=["description"])
        _record(plan, kind=PlanChangeKind.GOAL_CHANGED, description=description, actor=actor)
        return goal


def plan_action_change(
    *,
    case: Case,
    actor: User,
    action: PlanAction,
    description: str,
    owner: str,
    due_on: datetime.date | None,
    expected_version: int,
    goal: PlanGoal | None = None,
    owner_professional: Professional | None = None,
) -> PlanAction:
    """Change an action's text, goal, owner or due date (not whether it is done: see
    `plan_action_set_done`). Checks the plan version; no change records nothing."""
    description = (description or "").strip()
    _check_action(description, owner, owner_professional, due_on)
    with transaction.atomic():
        plan = _locked_plan(case, expected_version=expected_version)
        _check_goal(goal, plan)
        action = PlanAction.objects.select_for_update().get(pk=action.pk, plan=plan)
        new_values = {
            "description": description,
            "goal_id": goal.pk if goal is not None else None,
            "owner": owner,
            "owner_professional_id": (
                owner_professional.pk
                if owner == PlanOwner.PROFESSIONAL and owner_professional is not None
                else None
            ),
            "due_on": due_on,
        }
        changed = [name for name, value in new_values.items() if getattr(action, name) != value]
        if not changed:
            return action
        for name in changed:
            setattr(action, name, new_values[name])
        action.save(update_fields=changed)
        _record(plan, kind=PlanChangeKind.ACTION_CHANGED, description=description, actor=actor)
        return action
