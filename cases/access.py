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

One exception to "404 for a case you may not see": a professional who handed a case over
learns to whom and when (handover_notice_for_user), and nothing else of it.
"""

import datetime
from dataclasses import dataclass
from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import Http404

from professionals.groups import AnyUser, is_coordinator, is_professional
from professionals.models import Professional
from roles.constants import ChainRole

from .models import (
    Assignment,
    Case,
    CaseQuerySet,
    Child,
    Contact,
    Document,
    Guardian,
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


def get_guardian_for_case(user: AnyUser, case: Case, pk: int) -> Guardian:
    """Guardian `pk` of the household of `case`'s child; Http404 for any other household's.

    `case` comes from get_case_for_user (write=True for a change), which decides visibility.
    """
    guardians = Guardian.objects.filter(
        household_id=case.child.household_id, household__in=households_visible_to(user)
    )
    return _get_or_404(guardians, pk, "guardian")


def get_contact_for_case(user: AnyUser, case: Case, pk: int) -> Contact:
    """Contact `pk` of `case`, with its professional; Http404 for a contact of another case.

    `case` comes from get_case_for_user, which decides visibility; whether the user may
    correct or withdraw it is the service's rule (services.contacts.correction_refusal).
    """
    contacts = Contact.objects.filter(case=case).select_related("professional__user")
    contact = _get_or_404(contacts, pk, "contact")
    contact.case = case
    return contact


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
    """The coordinator changes any case; a professional only an open case assigned to them
    (see is_assigned_to). A closed case stays readable for its professional (Mijn zaken,
    "Gesloten zaken") until retention or a handover, but read-only: only the coordinator
    reopens it. A deactivated account changes nothing."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_coordinator(user) or (case.is_open and is_assigned_to(user, case))


def get_case_for_user(user: AnyUser, pk: int, *, write: bool = False) -> Case:
    """The case `pk` as `user` may see it, with the columns the case pages need.

    Raises Http404 when the user may not see it, PermissionDenied when `write` is asked
    but the user may only read it.
    """
    rows = (
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
        # No ORDER BY (the model's, which .first() keeps): one row by its key needs none, and
        # PostgreSQL plans the seven-table join faster without it (1M cases: 1.7 -> 1.6 ms).
        .order_by()[:1]
    )
    case = next(iter(rows), None)
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
    if not can_change_case(user, case) or chain_step_refusal(user, case):
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


def chain_step_refusal(user: AnyUser, case: Case) -> str:
    """Why `user` may not take a chain step (refer, Halt result, close) on `case` now, in
    Dutch; '' when they may. The caller has checked that `user` may change the case.

    The coordinator may always. A professional acts in the role of the case's current stage,
    so they need a valid qualification for it today. In the control arm that is what stops
    the professional who hands a case over to another organisation's stage (a Leerplicht
    officer after a referral to Halt): the step is for the professional the coordinator
    assigns next. The case page hides the buttons by this rule, and the stage views and
    services refuse by it (PermissionDenied), so a direct POST changes nothing either.
    """
    from django.utils.translation import gettext as _

    from .constants import Stage

    if is_coordinator(user):
        return ""
    stage = Stage(case.stage)
    professional = case.professional
    if professional is None or professional.user_id != user.pk:
        return _("Deze zaak is niet aan jou toegewezen.")
    if stage in case_professional_roles(case):
        return ""
    if case.handover_requested_at is not None:
        return _(
            "Deze zaak wacht op overdracht aan %(stage)s. Je hebt zelf geen kwalificatie voor "
            "die rol: de volgende stap is aan de professional die de coördinator nu toewijst."
        ) % {"stage": stage.label}
    return _(
        "Je hebt geen geldige kwalificatie voor de rol %(stage)s, de huidige stap van deze "
        "zaak. Vraag de coördinator de zaak over te dragen."
    ) % {"stage": stage.label}


def case_professional_roles(case: Case) -> list[ChainRole]:
    """The roles the case's professional holds a valid qualification for today (none without
    a professional), by professionals.qualifications.roles_available_to.

    Remembered on the case for that professional and day: the case page asks it for the chain
    steps and for the contact form's roles, at one query.
    """
    from django.utils import timezone

    from professionals.qualifications import roles_available_to

    if case.professional is None:
        return []
    key = (case.professional_id, timezone.localdate())
    remembered = getattr(case, "_professional_roles", None)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    roles = roles_available_to(case.professional, key[1])
    case._professional_roles = (key, roles)
    return roles


def require_chain_step(user: AnyUser, case: Case) -> None:
    """PermissionDenied, with chain_step_refusal's message, when `user` may not take a chain
    step on `case` now."""
    refusal = chain_step_refusal(user, case)
    if refusal:
        raise PermissionDenied(refusal)


def coordinator_actions(user: AnyUser, case: Case) -> list[CaseAction]:
    """The coordinator's own steps on `case`, for the case page and the case list: assign (or
    reassign) an open case and its study arm. Empty for anyone else."""
    from django.utils.translation import gettext as _

    if not is_coordinator(user) or not case.is_open:
        return []
    assign_label = _("Opnieuw toewijzen") if case.professional_id else _("Toewijzen")
    return [
        {"name": "cases:assign", "label": assign_label},
        {"name": "evaluation_case:allocation", "label": _("Onderzoeksarm")},
    ]


@dataclass(frozen=True)
class HandoverNotice:
    """All a former owner learns of a case handed over: to whom and when. No case data."""

    to: str
    on: datetime.datetime


def handover_notice_for_user(user: AnyUser, pk: int) -> HandoverNotice | None:
    """For a professional who held case `pk` and handed it over: to whom and when; else None.

    Only for a case `user` may no longer see (get_case_for_user answers 404): the view shows
    this one line instead of a bare 404. The user must still work as a professional (the
    same rule as CaseQuerySet.assigned_to), and the case must not be anonymised. Nothing of the
    case itself (number, child, stage) is returned, so nothing of it can leak.
    """
    if not user.is_authenticated or not user.is_active or not is_professional(user):
        return None
    own = Professional.objects.active().filter(user=user)
    previous = (
        Assignment.objects.filter(
            case_id=pk,
            case__anonymised_at__isnull=True,
            professional__in=own,
            ended_at__isnull=False,
        )
        .order_by("-ended_at", "-id")
        .first()
    )
    if previous is None or previous.ended_at is None:
        return None
    successor = (
        Assignment.objects.filter(case_id=pk, started_at__gte=previous.ended_at)
        .exclude(pk=previous.pk)
        .select_related("professional__user")
        .order_by("started_at", "id")
        .first()
    )
    if successor is None:
        return None
    return HandoverNotice(to=str(successor.professional), on=successor.started_at)


def can_add_melding(user: AnyUser, case: Case) -> bool:
    """A new melding for the child joins its open case: added by the coordinator (who receives
    the referrals) or by the professional the case is assigned to (see can_change_case)."""
    return case.is_open and can_change_case(user, case)


def can_log_contact(user: AnyUser, case: Case) -> bool:
    """Only the professional who holds an open case logs contacts on it."""
    return case.is_open and is_assigned_to(user, case)


def get_document_for_case(user: AnyUser, case: Case, pk: int) -> Document:
    """Document `pk` of `case`; Http404 for a document of any other case.

    `case` comes from get_case_for_user, which decides who may see it (and so its documents):
    the coordinator, and the professional the case is assigned to.
    """
    return _get_or_404(Document.objects.filter(case=case), pk, "document")


def documents_of_case(user: AnyUser, case: Case) -> QuerySet[Document]:
    """The documents of `case` (from get_case_for_user), newest first, with who added them."""
    return (
        Document.objects.filter(case=case)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def can_add_document(user: AnyUser, case: Case) -> bool:
    """Uploading to an open case: whoever may change it (the coordinator, its professional)."""
    return case.is_open and can_change_case(user, case)


def can_write_letter(user: AnyUser, case: Case) -> bool:
    """A letter is sent in a chain role, so only by the professional who holds the open case
    (as a contact is logged); the coordinator reads the letters stored on it."""
    return case.is_open and is_assigned_to(user, case)


def get_professional_for_coordinator(user: AnyUser, pk: int) -> Professional:
    """Professional `pk`, for the coordinator's agenda and bulk reassignment pages (cover
    during absence, also of a deactivated professional). PermissionDenied for anyone else."""
    require_coordinator(user)
    return _get_or_404(
        Professional.objects.select_related("user", "organisation"), pk, "professional"
    )
