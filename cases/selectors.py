"""Reads for the case pages. Each list is one query for its rows, whatever the data size."""

import datetime
import json
from typing import Any

from django.db import connections
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from professionals.models import Professional

from .constants import DEADLINE_WARNING_DAYS, CaseOrdering, CaseStatus, DeadlineWindow
from .models import (
    Case,
    CaseQuerySet,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    ImportBatch,
    School,
)
from .names import search_words, word_patterns
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
    """The follow-up date set on the most recent contact of the case's current professional.

    A follow-up is that professional's appointment: after a handover the new owner does not
    inherit the previous owner's date.
    """
    return Subquery(
        Contact.objects.filter(case=OuterRef("pk"), professional=OuterRef("professional"))
        .order_by("-occurred_at", "-id")
        .values("follow_up_on")[:1]
    )


def name_search[QS: QuerySet[Any]](queryset: QS, text: str, *, prefix: str = "") -> QS:
    """`queryset` narrowed to the children (or the rows `prefix` leads to a child, e.g.
    "child__") whose name has a word starting with each word of `text`.

    Case- and accent-insensitive, with or without the tussenvoegsel: "Vries", "de Vries",
    "eva de vries" and "ozturk" (Öztürk) all match (cases/names.py). One LIKE per word on
    Child.search_key, served by its trigram index on PostgreSQL.
    """
    for pattern in word_patterns(text):
        queryset = queryset.filter(**{f"{prefix}search_key__contains": pattern})
    return queryset


# See case_search; measured at a million children and cases (README, "Zoeken op naam").
NAME_SEARCH_CHILD_LIMIT = 2000
# A name the planner expects this many children for is common without asking (5x the limit:
# its estimates follow the data within ~20 % for one word, migration 0014).
NAME_SEARCH_ESTIMATE_COMMON = 10_000


def estimated_rows(queryset: QuerySet[Any]) -> int | None:
    """The planner's row estimate for `queryset` (EXPLAIN, no execution: ~1 ms), on
    PostgreSQL; None elsewhere."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def case_search[QS: QuerySet[Case]](queryset: QS, text: str) -> QS:
    """Search by BSN (9 digits), case number (YYYY-NNNNNN) or the child's name.

    Name search matches the start of any word of the child's name (first name, tussenvoegsel,
    last name), case- and accent-insensitively; see name_search. A name search runs one
    query for the matching children's ids here, and returns the cases lazily.
    """
    text = text.strip()
    if not text:
        return queryset
    compact = normalise_bsn(text)
    if compact.isdigit() and len(compact) == 9:
        return queryset.filter(child__bsn=compact)
    if len(text) >= 6 and text[:4].isdigit() and text[4] == "-":
        return queryset.filter(number__startswith=text)
    if not search_words(text):
        return queryset
    # The matching children first (their trigram index), at most NAME_SEARCH_CHILD_LIMIT: a
    # rare name then reads only its own cases. Left to the planner as one join, a name it
    # thinks common but that matches nothing walks all cases by date (seconds at 1M).
    # Beyond the limit the name is common (0.2 % of a million children or more): walking
    # the cases by date finds a page of them within a few thousand rows.
    # A name the planner already knows to be common ("jan": 35k estimated, 32k real) skips
    # the probe, which costs 40 ms at 1M for such a name.
    children = name_search(Child.objects.all(), text).values_list("pk", flat=True)
    estimate = estimated_rows(children)
    if estimate is not None and estimate >= NAME_SEARCH_ESTIMATE_COMMON:
        return name_search(queryset, text, prefix="child__")
    child_ids = list(children[: NAME_SEARCH_CHILD_LIMIT + 1])
    if len(child_ids) <= NAME_SEARCH_CHILD_LIMIT:
        return queryset.filter(child_id__in=child_ids)
    return name_search(queryset, text, prefix="child__")


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


PROFESSIONAL_MATCHES = 10


def professional_matches_text(professional: Professional, text: str) -> bool:
    """Whether every word of `text` starts the first name, last name or user name of
    `professional`: the same rule as professionals_matching, for one professional."""
    names = [
        professional.user.first_name.casefold(),
        professional.user.last_name.casefold(),
        professional.user.username.casefold(),
    ]
    words = text.casefold().split()[:3]
    return bool(words) and all(any(name.startswith(w) for name in names) for w in words)


def professionals_matching(text: str, *, limit: int = PROFESSIONAL_MATCHES) -> list[Professional]:
    """At most `limit` active professionals whose names start with each word of `text`, by
    name (the professionals the case list can filter on).

    One query over the professionals (thousands nationally), never over the cases: the case
    list's professional filter looks a name up here instead of rendering every professional.
    """
    words = text.split()[:3]
    if not words:
        return []
    professionals = Professional.objects.filter(is_active=True)
    for word in words:
        professionals = professionals.filter(
            Q(user__first_name__istartswith=word)
            | Q(user__last_name__istartswith=word)
            | Q(user__username__istartswith=word)
        )
    return list(
        professionals.select_related("user", "organisation").order_by(
            "user__last_name", "user__first_name", "id"
        )[:limit]
    )


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
    """Children that match a BSN, or a last name and date of birth: intake's duplicate check.

    The last name is matched as the name search matches it (name_search): "Vries", "de Vries"
    and "DE VRIES" all find Eva de Vries, "Ozturk" finds Öztürk. Each child carries
    `open_cases` and its open case's pk and number (`open_case_pk`, `open_case_number`; a child
    has at most one open case), so intake can offer to add the melding to it. One query.
    """
    open_cases = Case.objects.filter(child=OuterRef("pk"), status=CaseStatus.OPEN).order_by(
        "-date_received", "-id"
    )
    children = Child.objects.select_related("household", "school").annotate(
        open_cases=Count("cases", filter=Q(cases__status=CaseStatus.OPEN)),
        open_case_pk=Subquery(open_cases.values("pk")[:1]),
        open_case_number=Subquery(open_cases.values("number")[:1]),
    )
    if bsn:
        return list(children.filter(bsn=normalise_bsn(bsn))[:10])
    if search_words(last_name) and date_of_birth:
        return list(name_search(children.filter(date_of_birth=date_of_birth), last_name)[:10])
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


# Issue 16 (casework): guardians, closed cases, the school lookup.
MAX_GUARDIANS_SHOWN = 20
SCHOOL_LOOKUP_LIMIT = 10


def household_guardians(case: Case) -> list[Guardian]:
    """The guardians `case`'s household shares, custody first: one query."""
    return list(Guardian.objects.of_household(case.child.household_id)[:MAX_GUARDIANS_SHOWN])


def closed_cases_rows(queryset: CaseQuerySet, text: str = "") -> QuerySet[Case]:
    """The closed cases of `queryset` (from access.cases_visible_to), newest closure first,
    searched by name, BSN or case number with case_search."""
    return (
        case_search(queryset.closed(), text)
        .select_related("child", "child__school")
        .order_by("-closed_on", "-id")
    )


def own_cases_search(queryset: CaseQuerySet, text: str) -> QuerySet[Case]:
    """All cases of `queryset` (a professional's own, open and closed) matching `text` by
    name, BSN or case number (case_search); open ones first."""
    return (
        case_search(queryset, text)
        .select_related("child", "child__school")
        .order_by("-status", "-date_received", "-id")  # "open" after "closed" in the alphabet
    )


def schools_matching(text: str, *, limit: int = SCHOOL_LOOKUP_LIMIT) -> list[School]:
    """Schools whose name or place contains every word of `text`, or whose BRIN starts with
    it: for the school lookup at intake and in filters. Schools hold no children's data."""
    words = text.split()[:4]
    if not words or len(text.strip()) < 2:
        return []
    compact = text.strip().replace(" ", "").upper()
    schools = School.objects.all()
    by_words = Q()
    for word in words:
        by_words &= Q(name__icontains=word) | Q(city__icontains=word)
    return list(
        schools.filter(by_words | Q(brin__startswith=compact[:6])).order_by("name", "city")[:limit]
    )
