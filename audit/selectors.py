"""Reads of the access log for the functional administrator's pages.

Every query uses one of the log's indexes (by child, case, actor or time, newest first); the
pages run a fixed number of queries whatever the size of the log.
"""

import datetime
from collections.abc import Iterable
from typing import Any, TypedDict

from django.db.models import Count, Max, Min, QuerySet

from cases.models import Case

from .forms import day_start
from .models import AccessLogEntry, AccessLogQuerySet

# The per-person summary of one child's file shows at most this many people.
SUMMARY_LIMIT = 200


def looks_at_child(child_id: int) -> AccessLogQuerySet:
    """The entries about a child's own file, by logged-in users only.

    An entry without an actor was written (before this rule) for a request that was not
    logged in: it was sent to the login page and saw nothing, and anyone could have caused it.
    It is not a look at the file, so the child's access page and inzage leave it out.
    """
    return AccessLogEntry.objects.for_child(child_id).filter(actor__isnull=False)


def looks_via_household(household_id: int | None, *, child_id: int) -> AccessLogQuerySet:
    """Logged-in views of a sibling's file, whose household panel shows this child as well.
    None when the household is unknown."""
    if household_id is None:
        return AccessLogEntry.objects.none()
    return AccessLogEntry.objects.via_household(household_id, child_id=child_id).filter(
        actor__isnull=False
    )


def access_log_search(filters: dict[str, Any]) -> AccessLogQuerySet:
    """The log, newest first, filtered by the valid fields of AccessLogFilterForm."""
    entries = AccessLogEntry.objects.all()
    if filters.get("gebruiker"):
        entries = entries.filter(actor__username=filters["gebruiker"])
    if filters.get("kind"):
        entries = entries.filter(child_id=filters["kind"])
    if filters.get("zaak"):
        # The case's id; a case deleted by retention leaves no number to look up.
        case_id = Case.objects.filter(number=filters["zaak"]).values("pk")[:1]
        entries = entries.filter(case_id=case_id)
    if filters.get("actie"):
        entries = entries.filter(action=filters["actie"])
    if filters.get("van"):
        entries = entries.filter(occurred_at__gte=day_start(filters["van"]))
    if filters.get("tot"):
        entries = entries.filter(
            occurred_at__lt=day_start(filters["tot"] + datetime.timedelta(days=1))
        )
    return entries.newest_first()


class PersonSummary(TypedDict):
    """One person's looks at a file: who, in which role and on whose behalf, how often, when."""

    actor_username: str
    actor_role: str
    acting_on_behalf_of: str
    count: int
    first: datetime.datetime
    last: datetime.datetime


def access_summary(entries: QuerySet[AccessLogEntry]) -> list[PersonSummary]:
    """Per person: how often, first and last time; the most recent first. One query."""
    return list(
        entries.order_by()
        .values("actor_username", "actor_role", "acting_on_behalf_of")
        .annotate(count=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-last", "actor_username")[:SUMMARY_LIMIT]
    )


def household_of_logged_child(child_id: int) -> int | None:
    """The household recorded with the child's latest entry (for a child no longer stored)."""
    return (
        looks_at_child(child_id)
        .filter(household_id__isnull=False)
        .order_by("-occurred_at", "-id")
        .values_list("household_id", flat=True)
        .first()
    )


def case_numbers(entries: Iterable[AccessLogEntry]) -> dict[int, str]:
    """Case id -> case number for the entries of one page, in one query: the pages show case
    numbers, not internal ids. A case removed by retention has no number any more."""
    ids = {entry.case_id for entry in entries if entry.case_id}
    if not ids:
        return {}
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "number"))
