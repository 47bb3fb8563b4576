"""Who may see or change which case. Views fetch every case-like record only here: cases,
children, households, household plans and their goals and actions.

- A professional sees the cases currently assigned to them, while they work: a deactivated
  professional (their Professional record or their account) sees and changes no case. The rule
  is CaseQuerySet.assigned_to, and this module asks it rather than restating it.
- The coordinator sees all cases.
- The researcher and the functional administrator see no case data in the app.

A case the user may not see answers 404, the same as one that does not exist, so that ids
cannot be probed. A case they may see but not change raises PermissionDenied (403).

Every other record kind derives its visibility from the cases: a child is visible with a case
of theirs the user may see (the coordinator sees every child, also one without a case yet, for
the intake), a household with one of its children, a plan with its household, and a goal or an
action with its plan. So the ownership rule lives once, in CaseQuerySet.assigned_to.
"""

from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import Http404

from professionals.groups import AnyUser, is_coordinator

from .models import (
    Case,
    CaseQuerySet,
    Child,
    Household,
    HouseholdPlan,
    ImportBatch,
    PlanAction,
    PlanGoal,
)


class CaseAction(TypedDict):
    """A chain step on the case page: the URL name and its button label."""

    name: str
    label: str


def cases_visible_to(user: AnyUser) -> CaseQuerySet:
    """Every list of cases starts here: CaseQuerySet.visible_to."""
    return Case.objects.visible_to(user)


def children_visible_to(user: AnyUser) -> QuerySet[Child]:
    """The coordinator: every child (an intake may find one without a case). Anyone else: the
    children of the cases they may see."""
    children = Child.objects.all()
    if not (user.is_authenticated and user.is_active):
        return children.none()
    if is_coordinator(user):
        return children
    return children.filter(Exists(cases_visible_to(user).filter(child=OuterRef("pk"))))


def households_visible_to(user: AnyUser) -> QuerySet[Household]:
    """Households with a child `user` may see."""
    return Household.objects.filter(
        Exists(children_visible_to(user).filter(household=OuterRef("pk")))
    )


def plans_visible_to(user: AnyUser) -> QuerySet[HouseholdPlan]:
    """Household plans of the households `user` may see."""
    return HouseholdPlan.objects.filter(household__in=households_visible_to(user))


def _get_or_404[M: Model](queryset: QuerySet[M], pk: int, what: str) -> M:
    record = queryset.filter(pk=pk).first()
    if record is None:
        raise Http404(f"No {what} found")
    return record


def get_child_for_user(user: AnyUser, pk: int) -> Child:
    """The child `pk` with its household and school, if `user` may see it; else Http404."""
    return _get_or_404(children_visible_to(user).select_related("household", "school"), pk, "child")


def get_household_for_user(user: AnyUser, pk: int) -> Household:
    """The household `pk` if `user` may see it; else Http404."""
    return _get_or_404(households_visible_to(user), pk, "household")


def get_plan_goal_for_case(user: AnyUser, case: Case, pk: int) -> PlanGoal:
    """Goal `pk` of the plan of `case`'s household, with its plan.

    `case` comes from get_case_for_user (with write=True for a change). A goal of another
    household's plan answers Http404, also when the user may see that household too: a page
    about one case edits only that case's plan.
    """
    goals = PlanGoal.objects.filter(
        plan__in=plans_visible_to(user), plan__household_id=case.child.household_id
    )
    return _get_or_404(goals.select_related("plan"), pk, "plan goal")


def get_plan_action_for_case(user: AnyUser, case: Case, pk: int) -> PlanAction:
    """Action `pk` of the plan of `case`'s household, with its plan; as get_plan_goal_for_case."""
    actions = PlanAction.objects.filter(
        plan__in=plans_visible_to(user), plan__household_id=case.child.household_id
    )
    return _get_or_404(actions.select_related("plan"), pk, "plan action")


def can_view_case_lists(user: AnyUser) -> bool:
    """The coordinator's case list: all cases, searchable."""
    return is_coordinator(user)


def is_assigned_to(user: AnyUser, case: Case) -> bool:
    """Whether `case` is assigned to `user` as a working professional, by the one rule:
    CaseQuerySet.assigned_to.

    get_case_for_user answers this inside the case's own query and remembers the answer on
    the case, for that user and that professional; any other case costs one query.
    """
    key = (user.pk, case.professional_id)
    remembered = getattr(case, "_assigned_to", None)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    assigned = Case.objects.assigned_to(user).filter(pk=case.pk).exists()
    case._assigned_to = (key, assigned)
    return assigned


def can_change_case(user: AnyUser, case: Case) -> bool:
    """The coordinator changes any case; a professional only a case assigned to them (see
    is_assigned_to). A deactivated account changes nothing."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_coordinator(user) or is_assigned_to(user, case)


def get_case_for_user(user: AnyUser, pk: int, *, write: bool = False) -> Case:
    """The case `pk` as `user` may see it, with the columns the case pages need.

    Raises Http404 when the user may not see it, PermissionDenied when `write` is asked
    but the user may only read it.
    """
    case = (
        cases_visible_to(user)
        .select_related(
            "child",
            "child__school",
            "child__household",
            "professional__user",
            "professional__organisation",
        )
        .annotate(assigned_to_user=Exists(Case.objects.assigned_to(user).filter(pk=OuterRef("pk"))))
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("No case found")
    # Remembered for is_assigned_to: the case page asks it three times, at no extra query.
    case._assigned_to = ((user.pk, case.professional_id), case.assigned_to_user)
    if write and not can_change_case(user, case):
        raise PermissionDenied
    return case


def require_coordinator(user: AnyUser) -> None:
    if not is_coordinator(user):
        raise PermissionDenied


def get_import_batch_for_user(user: AnyUser, pk: int) -> ImportBatch:
    """The CSV import batch `pk` for a coordinator. PermissionDenied for anyone else; 404 if
    unknown. Imports are not tied to a case, so there is no per-record rule beyond the role."""
    require_coordinator(user)
    batch = ImportBatch.objects.select_related("uploaded_by", "finished_by").filter(pk=pk).first()
    if batch is None:
        raise Http404("No import batch found")
    return batch


def case_actions(user: AnyUser, case: Case) -> list[CaseAction]:
    """The chain steps `user` may take on `case` now, as {name, label} for the case page."""
    from django.utils.translation import gettext as _

    from .constants import Stage

    if not case.is_open:
        return (
            [{"name": "cases:reopen", "label": _("Zaak heropenen")}] if is_coordinator(user) else []
        )
    if not can_change_case(user, case):
        return []
    if case.stage == Stage.LEERPLICHT:
        return [
            {"name": "cases:refer_to_halt", "label": _("Doorverwijzen naar Halt")},
            {"name": "cases:refer_to_rvdk", "label": _("Doorverwijzen naar de Raad")},
            {"name": "cases:close", "label": _("Zaak sluiten met uitkomst")},
        ]
    if case.stage == Stage.HALT:
        return [{"name": "cases:halt_result", "label": _("Halt-uitkomst vastleggen")}]
    return [{"name": "cases:close", "label": _("Zaak sluiten met uitkomst")}]


def can_log_contact(user: AnyUser, case: Case) -> bool:
    """Only the professional who holds an open case logs contacts on it."""
    return case.is_open and is_assigned_to(user, case)
