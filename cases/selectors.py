"""Reads for the case pages. Each list is one query for its rows, whatever the data size."""

import datetime
from typing import Any, Literal, TypedDict

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from professionals.models import Professional

from .constants import DEADLINE_WARNING_DAYS, CaseOrdering, CaseStatus, DeadlineWindow
from .models import (
    Assignment,
    Case,
    CaseQuerySet,
    Child,
    Contact,
    Household,
    HouseholdPlan,
    ImportBatch,
    PlanChange,
    StageChange,
)
from .validators import normalise_bsn

CASE_LIST_ORDERINGS = {
    CaseOrdering.OLDEST_FIRST: ("date_received", "id"),
    CaseOrdering.NEWEST_FIRST: ("-date_received", "-id"),
    CaseOrdering.DEADLINE_FIRST: ("three_month_deadline", "id"),
    CaseOrdering.DEADLINE_LAST: ("-three_month_deadline", "-id"),
    CaseOrdering.NUMBER_ASCENDING: ("number",),
    CaseOrdering.NUMBER_DESCENDING: ("-number",),
}
DEFAULT_CASE_ORDERING = CaseOrdering.NEWEST_FIRST
MY_CASES_ORDERINGS = {
    ordering: CASE_LIST_ORDERINGS[ordering]
    for ordering in (
        CaseOrdering.DEADLINE_FIRST,
        CaseOrdering.DEADLINE_LAST,
        CaseOrdering.NEWEST_FIRST,
        CaseOrdering.OLDEST_FIRST,
    )
}
DEFAULT_MY_CASES_ORDERING = CaseOrdering.DEADLINE_FIRST


def latest_follow_up() -> Subquery:
    """The follow-up date set on the case's most recent contact."""
    return Subquery(
        Contact.objects.filter(case=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("follow_up_on")[:1]
    )


def case_search[QS: QuerySet[Case]](queryset: QS, text: str) -> QS:
    """Search by BSN (9 digits), case number (YYYY-NNNNNN) or the child's name.

    Name search matches the start of the first or last name, case-insensitively.
    """
    text = text.strip()
    if not text:
        return queryset
    compact = normalise_bsn(text)
    if compact.isdigit() and len(compact) == 9:
        return queryset.filter(child__bsn=compact)
    if len(text) >= 6 and text[:4].isdigit() and text[4] == "-":
        return queryset.filter(number__startswith=text)
    for word in text.split()[:3]:
        queryset = queryset.filter(
            Q(child__last_name__istartswith=word) | Q(child__first_name__istartswith=word)
        )
    return queryset


def deadline_filter[QS: QuerySet[Case]](
    queryset: QS, which: DeadlineWindow, today: datetime.date
) -> QS:
    if which == DeadlineWindow.OVERDUE:
        return queryset.filter(status=CaseStatus.OPEN, three_month_deadline__lt=today)
    if which == DeadlineWindow.DUE_SOON:
        return queryset.filter(
            status=CaseStatus.OPEN,
            three_month_deadline__gte=today,
            three_month_deadline__lte=today + datetime.timedelta(days=DEADLINE_WARNING_DAYS),
        )
    return queryset


def case_list_filter[QS: QuerySet[Case]](
    queryset: QS, filters: dict[str, Any], *, today: datetime.date
) -> QS:
    """The coordinator's case list narrowed by the valid fields of CaseFilterForm."""
    queryset = case_search(queryset, filters.get("q") or "")
    for field in ("stage", "status", "melding_type"):
        if filters.get(field):
            queryset = queryset.filter(**{field: filters[field]})
    if filters.get("arm") is not None:
        queryset = queryset.filter(arm=filters["arm"])  # "": no arm yet
    if filters.get("professional"):
        queryset = queryset.filter(professional=filters["professional"])
    if filters.get("school"):
        queryset = queryset.filter(child__school__brin__startswith=filters["school"])
    if filters.get("deadline"):
        queryset = deadline_filter(queryset, filters["deadline"], today)
    return queryset


def case_list_rows(queryset: CaseQuerySet, *, ordering: CaseOrdering) -> QuerySet[Case]:
    """The rows of the coordinator's case list, with every column joined in."""
    order = CASE_LIST_ORDERINGS.get(ordering, CASE_LIST_ORDERINGS[DEFAULT_CASE_ORDERING])
    return queryset.with_list_columns().order_by(*order)


def my_cases_rows(queryset: CaseQuerySet, *, ordering: CaseOrdering) -> QuerySet[Case]:
    order = MY_CASES_ORDERINGS.get(ordering, MY_CASES_ORDERINGS[DEFAULT_MY_CASES_ORDERING])
    return (
        queryset.open()
        .select_related("child", "child__household", "child__school")
        .annotate(next_follow_up=latest_follow_up())
        .order_by(*order)
    )


def follow_ups_due(professional: Professional, today: datetime.date) -> QuerySet[Case]:
    """Open cases of `professional` whose latest contact set a follow-up due today or earlier."""
    return (
        Case.objects.open()
        .filter(professional=professional)
        .annotate(next_follow_up=latest_follow_up())
        .filter(next_follow_up__lte=today)
        .select_related("child")
        .order_by("next_follow_up", "id")
    )


TIMELINE_LIMIT = 100


class TimelineEntry(TypedDict):
    """One line of the case timeline: what kind of event, when, and the record itself."""

    kind: Literal["contact", "stage", "assignment", "plan"]
    at: datetime.datetime
    item: Contact | StageChange | Assignment | PlanChange


def case_timeline(case: Case, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """Contacts, stage changes, assignments and household-plan changes, newest first.

    Four queries, each capped at `limit` rows.
    """
    contacts = list(
        case.contacts.select_related("professional__user").order_by("-occurred_at", "-id")[:limit]
    )
    changes = list(
        StageChange.objects.filter(case=case)
        .select_related("actor")
        .order_by("-changed_at")[:limit]
    )
    assignments = list(
        case.assignments.select_related("professional__user", "assigned_by").order_by(
            "-started_at"
        )[:limit]
    )
    plan_changes = list(
        PlanChange.objects.filter(plan__household_id=case.child.household_id)
        .select_related("actor")
        .order_by("-changed_at")[:limit]
    )
    entries = (
        [TimelineEntry(kind="contact", at=c.occurred_at, item=c) for c in contacts]
        + [TimelineEntry(kind="stage", at=s.changed_at, item=s) for s in changes]
        + [TimelineEntry(kind="assignment", at=a.started_at, item=a) for a in assignments]
        + [TimelineEntry(kind="plan", at=p.changed_at, item=p) for p in plan_changes]
    )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def household_panel(case: Case) -> dict:
    """The child's siblings with their cases and professionals, and the continuity warning.

    Two queries whatever the household's size.
    """
    siblings = list(
        # An anonymised sibling (past retention) is no longer shown; see cases/retention.py.
        Child.objects.filter(household_id=case.child.household_id, anonymised_at__isnull=True)
        .exclude(pk=case.child_id)
        .prefetch_related(
            Prefetch(
                "cases",
                queryset=Case.objects.select_related("professional__user").order_by(
                    "-date_received"
                ),
            )
        )
        .order_by("date_of_birth")
    )
    open_professionals = {case.professional_id} if case.is_open and case.professional_id else set()
    names = {case.professional_id: case.professional} if case.professional_id else {}
    for sibling in siblings:
        for sibling_case in sibling.cases.all():
            if sibling_case.is_open and sibling_case.professional_id:
                open_professionals.add(sibling_case.professional_id)
                names[sibling_case.professional_id] = sibling_case.professional
    return {
        "siblings": siblings,
        "household_professionals": [names[pk] for pk in open_professionals],
        "continuity_warning": len(open_professionals) > 1,
    }


def household_plan(case: Case) -> dict:
    """The household's plan with its goals and actions. Three queries at most."""
    plan = HouseholdPlan.objects.filter(household_id=case.child.household_id).first()
    if plan is None:
        return {"plan": None, "goals": [], "actions": []}
    return {
        "plan": plan,
        "goals": list(plan.goals.all()),
        "actions": list(
            plan.actions.select_related("goal", "owner_professional__user").order_by(
                "done_on", "due_on", "id"
            )
        ),
    }


QUEUE_SIZE = 20


def coordinator_queue(today: datetime.date) -> dict:
    """The coordinator's work queue: four short lists, each one indexed query.

    `orphaned` holds the open cases of professionals who no longer work (deactivated record or
    account), longest waiting first; `orphaned_more` says there are more than QUEUE_SIZE. One
    row beyond the list answers that, so no count runs over the whole table.
    """
    open_cases = Case.objects.open().select_related("child", "professional__user")
    orphaned = list(
        Case.objects.needing_new_professional()
        .select_related("child", "professional__user")
        .order_by("date_received", "id")[: QUEUE_SIZE + 1]
    )
    return {
        "orphaned": orphaned[:QUEUE_SIZE],
        "orphaned_more": len(orphaned) > QUEUE_SIZE,
        "unassigned": list(
            open_cases.filter(professional__isnull=True).order_by("date_received", "id")[
                :QUEUE_SIZE
            ]
        ),
        "deadlines": list(
            open_cases.filter(
                three_month_deadline__lte=today + datetime.timedelta(days=DEADLINE_WARNING_DAYS)
            ).order_by("three_month_deadline", "id")[:QUEUE_SIZE]
        ),
        "handovers": list(
            open_cases.filter(handover_requested_at__isnull=False).order_by(
                "handover_requested_at", "id"
            )[:QUEUE_SIZE]
        ),
    }


def children_matching(
    *, bsn: str = "", last_name: str = "", date_of_birth: datetime.date | None = None
) -> list[Child]:
    """Children that match a BSN, or a last name and date of birth: intake's duplicate check."""
    children = Child.objects.select_related("household", "school").annotate(
        open_cases=Count("cases", filter=Q(cases__status="open"))
    )
    if bsn:
        return list(children.filter(bsn=normalise_bsn(bsn))[:10])
    if last_name and date_of_birth:
        return list(
            children.filter(last_name__iexact=last_name.strip(), date_of_birth=date_of_birth)[:10]
        )
    return []


def household_professionals(case: Case) -> QuerySet[Professional]:
    """Working professionals with an open case in `case`'s household: the owners a plan action
    can have."""
    return (
        Professional.objects.active()
        .filter(cases__child__household_id=case.child.household_id, cases__status=CaseStatus.OPEN)
        .select_related("user")
        .distinct()
    )


def household_plan_version(case: Case) -> int:
    """The current version of `case`'s household plan (1 before the plan exists)."""
    return (
        HouseholdPlan.objects.filter(household_id=case.child.household_id)
        .values_list("version", flat=True)
        .first()
        or 1
    )


def households_at_address(
    households: QuerySet[Household], *, street: str, postcode: str
) -> list[Household]:
    """At most five of `households` (a scoped QuerySet from access.py) at this address, with
    their children: intake proposes them for a new child."""
    return list(
        households.filter(postcode=postcode, street__iexact=street).prefetch_related("children")[:5]
    )


def recent_import_batches(*, limit: int = 10) -> list[ImportBatch]:
    """The latest CSV import batches, newest first, with who uploaded them (one query)."""
    return list(ImportBatch.objects.select_related("uploaded_by").order_by("-uploaded_at")[:limit])
