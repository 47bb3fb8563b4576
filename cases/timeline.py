"""The case timeline: contacts, stage changes, assignments, household-plan changes, meldingen
and documents of one case, newest first, a page at a time.

The case page shows the newest `PAGE_SIZE` events; "Oudere gebeurtenissen tonen" asks for the
page before a cursor, the last event shown. Events are in one order across the six kinds:
newest first, and at the same moment by kind (`KIND_ORDER`) and then by id, newest first. So
every page is six queries of at most `PAGE_SIZE + 1` rows, each on its table's (case, time)
index, however long the case has run, and no event is shown twice or skipped when two share a
moment.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

from django.db.models import Q, QuerySet

from .models import Assignment, Case, Contact, Document, Melding, PlanChange, StageChange

PAGE_SIZE = 25

Kind = Literal["contact", "stage", "assignment", "plan", "melding", "document"]

# At the same moment, the first kind here is shown first (newest-first order).
KIND_ORDER: tuple[Kind, ...] = ("document", "melding", "contact", "stage", "assignment", "plan")
_RANK = {kind: len(KIND_ORDER) - position for position, kind in enumerate(KIND_ORDER)}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_CURSOR = re.compile(r"(?P<micros>[0-9]{1,20})-(?P<kind>[a-z]{1,12})-(?P<pk>[0-9]{1,18})")


class TimelineEntry(TypedDict):
    """One line of the case timeline: what kind of event, when, and the record itself."""

    kind: Kind
    at: datetime.datetime
    item: Contact | StageChange | Assignment | PlanChange | Melding | Document


class Cursor(NamedTuple):
    """The last event of a page; the next page holds the events after it in timeline order.

    In a URL it is `<microseconds since 1970 UTC>-<kind>-<id>`: no case data, only when and
    which record.
    """

    at: datetime.datetime
    kind: Kind
    pk: int

    def __str__(self) -> str:
        return f"{(self.at - _EPOCH) // _MICROSECOND}-{self.kind}-{self.pk}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor written by `str()`; ValueError for anything else."""
        match = _CURSOR.fullmatch(text)
        if match is None or match["kind"] not in _RANK:
            raise ValueError(f"not a timeline cursor: {text[:40]!r}")
        try:
            at = _EPOCH + int(match["micros"]) * _MICROSECOND
        except OverflowError as error:
            raise ValueError("timeline cursor out of range") from error
        return cls(at, match["kind"], int(match["pk"]))

    @classmethod
    def of(cls, entry: TimelineEntry) -> Cursor:
        return cls(entry["at"], entry["kind"], entry["item"].pk)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    older: Cursor | None  # where the next (older) page starts, or None on the last page

    def __bool__(self) -> bool:
        return bool(self.entries)


def _after(queryset: QuerySet, field: str, kind: Kind, cursor: Cursor | None) -> QuerySet:
    """The rows of one kind that come after `cursor` in timeline order."""
    if cursor is None:
        return queryset
    earlier = Q(**{f"{field}__lt": cursor.at})
    if _RANK[kind] < _RANK[cursor.kind]:  # at the cursor's moment, this kind comes later
        return queryset.filter(earlier | Q(**{field: cursor.at}))
    if kind == cursor.kind:
        return queryset.filter(earlier | Q(**{field: cursor.at, "pk__lt": cursor.pk}))
    return queryset.filter(earlier)


def case_timeline(
    case: Case, *, before: Cursor | None = None, size: int = PAGE_SIZE
) -> TimelinePage:
    """The `size` newest events of the case, or those after `before`. Six queries."""
    take = size + 1  # one more than shown tells whether an older page exists
    sources: list[tuple[Kind, str, QuerySet]] = [
        (
            "document",
            "uploaded_at",
            Document.objects.filter(case=case).select_related("uploaded_by"),
        ),
        ("melding", "created_at", Melding.objects.filter(case=case).select_related("created_by")),
        (
            "contact",
            "occurred_at",
            Contact.objects.filter(case=case).select_related("professional__user"),
        ),
        ("stage", "changed_at", StageChange.objects.filter(case=case).select_related("actor")),
        (
            "assignment",
            "started_at",
            Assignment.objects.filter(case=case).select_related(
                "professional__user", "assigned_by"
            ),
        ),
        (
            "plan",
            "changed_at",
            # The plan is the household's: its changes show on every case of the household.
            PlanChange.objects.filter(plan__household_id=case.child.household_id).select_related(
                "actor"
            ),
        ),
    ]
    entries: list[TimelineEntry] = []
    for kind, field, queryset in sources:
        rows = _after(queryset, field, kind, before).order_by(f"-{field}", "-id")[:take]
        entries += [TimelineEntry(kind=kind, at=getattr(row, field), item=row) for row in rows]
    entries.sort(key=lambda e: (e["at"], _RANK[e["kind"]], e["item"].pk), reverse=True)
    older = Cursor.of(entries[size - 1]) if len(entries) > size else None
    return TimelinePage(entries[:size], older)


def visited_stages(case: Case) -> set[str]:
    """The chain stages the case has been in, from its stage changes (one query)."""
    stages: set[str] = set()
    for pair in StageChange.objects.filter(case=case).values_list("from_stage", "to_stage"):
        stages.update(stage for stage in pair if stage)
    return stages
