"""Mijn agenda: a professional's follow-ups and plan actions by day and week, the count in the
header, the .ics calendar file, and the coordinator's bulk reassignment during absence.

What is on the agenda:
- a follow-up: the follow-up date of the latest contact of each open case the professional
  holds (the same rule as the dashboard's "due today": a newer contact replaces it);
- a plan action: an open action of the household plan owned by the professional, while they
  hold an open case in that household (the agenda links to that case).

The calendar file carries case numbers and the kind only, never a child's name or an action's
text: calendars are synchronised to phones and shared, and they leak.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, Func, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from bip.lib.statements import CompiledQuery
from professionals.models import Professional

from .exceptions import CaseError, RuleViolation
from .models import Case, PlanAction
from .selectors import latest_follow_up
from .services.assignments import case_assign
from .workload import fits, workload

type ItemKind = Literal["follow_up", "plan_action"]


@dataclass(frozen=True)
class AgendaItem:
    day: datetime.date
    kind: ItemKind
    case_id: int
    case_number: str
    # For the page only (the professional's own case); never in the calendar file.
    child_name: str = ""
    description: str = ""
    action_id: int | None = None

    @property
    def kind_label(self) -> str:
        return _("Vervolgafspraak") if self.kind == "follow_up" else _("Actie gezinsplan")

    @property
    def uid(self) -> str:
        if self.kind == "plan_action":
            return f"plan-action-{self.action_id}@ketenkameleon"
        return f"follow-up-{self.case_id}-{self.day:%Y%m%d}@ketenkameleon"


def _open_cases_of(professional: Professional) -> QuerySet[Case]:
    return Case.objects.open().filter(professional=professional)


def _follow_up_cases(professional: Professional) -> QuerySet[Any, Any]:
    """Open cases of `professional` annotated with `next_follow_up` (typed Any: the stubs
    cannot name the annotation)."""
    return (
        _open_cases_of(professional)
        .annotate(next_follow_up=latest_follow_up())
        .filter(next_follow_up__isnull=False)
    )


def _own_actions(professional: Professional) -> QuerySet[Any, Any]:
    """Open plan actions owned by `professional`, with the open case they hold in that
    household (the lowest id when several); actions without such a case are left out."""
    held_case = _open_cases_of(professional).filter(
        child__household_id=OuterRef("plan__household_id")
    )
    return (
        PlanAction.objects.filter(owner_professional=professional, done_on__isnull=True)
        .annotate(
            case_id=Subquery(held_case.order_by("id").values("pk")[:1]),
            case_number=Subquery(held_case.order_by("id").values("number")[:1]),
        )
        .filter(case_id__isnull=False)
    )


def agenda_items(
    professional: Professional, *, until: datetime.date, since: datetime.date | None = None
) -> list[AgendaItem]:
    """Every follow-up and open plan action of `professional` due on or before `until` (and on
    or after `since`, if given), by day. Two queries."""
    follow_ups = _follow_up_cases(professional).filter(next_follow_up__lte=until)
    actions = _own_actions(professional).filter(due_on__lte=until)
    if since is not None:
        follow_ups = follow_ups.filter(next_follow_up__gte=since)
        actions = actions.filter(due_on__gte=since)
    items = [
        AgendaItem(
            day=case.next_follow_up,
            kind="follow_up",
            case_id=case.pk,
            case_number=case.number,
            child_name=str(case.child),
        )
        for case in follow_ups.select_related("child").order_by("next_follow_up", "id")
    ] + [
        AgendaItem(
            day=action.due_on,
            kind="plan_action",
            case_id=action.case_id,
            case_number=action.case_number,
            description=action.description,
            action_id=action.pk,
        )
        for action in actions.order_by("due_on", "id")
    ]
    items.sort(key=lambda item: (item.day, item.case_number, item.kind))
    return items


@dataclass(frozen=True)
class AgendaDay:
    day: datetime.date
    items: list[AgendaItem]


@dataclass(frozen=True)
class Agenda:
    overdue: list[AgendaItem]
    days: list[AgendaDay]
    start: datetime.date
    end: datetime.date


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def agenda_for(
    professional: Professional, *, day: datetime.date, week: bool, today: datetime.date
) -> Agenda:
    """The overdue items (before `today`) on top, then the week of `day` (Monday to Sunday),
    or `day` alone, every day listed even when empty. Two queries."""
    start = week_start(day) if week else day
    end = start + datetime.timedelta(days=6 if week else 0)
    items = agenda_items(professional, until=end)
    overdue = [item for item in items if item.day < today]
    by_day: dict[datetime.date, list[AgendaItem]] = {}
    for item in items:
        if start <= item.day <= end:
            by_day.setdefault(item.day, []).append(item)
    days = [
        AgendaDay(
            start + datetime.timedelta(days=n), by_day.get(start + datetime.timedelta(days=n), [])
        )
        for n in range((end - start).days + 1)
    ]
    return Agenda(overdue=overdue, days=days, start=start, end=end)


class _Count(Func):
    """COUNT(*) of a correlated subquery's rows, without a GROUP BY."""

    function = "COUNT"
    template = "%(function)s(*)"
    output_field = IntegerField()


def _count_of(queryset: QuerySet[Any, Any]) -> Coalesce:
    return Coalesce(Subquery(queryset.order_by().annotate(n=_Count()).values("n")[:1]), Value(0))


def _due_count_query(user_id: int, today: datetime.date) -> QuerySet[Any, Any]:
    follow_ups = (
        Case.objects.open()
        .filter(professional=OuterRef("pk"))
        .annotate(next_follow_up=latest_follow_up())
        .filter(next_follow_up__lte=today)
    )
    held_case = Case.objects.open().filter(
        professional=OuterRef(OuterRef("pk")), child__household_id=OuterRef("plan__household_id")
    )
    actions = PlanAction.objects.filter(
        owner_professional=OuterRef("pk"), done_on__isnull=True, due_on__lte=today
    ).filter(Exists(held_case))
    return (
        Professional.objects.active()
        .filter(user_id=user_id)
        .annotate(due=_count_of(follow_ups) + _count_of(actions))
        .values_list("due")[:1]
    )


# The header shows the count on every page: compiled once (bip/lib/statements.py), as the
# ORM took 2.7 ms of Python per page to build and compile it and the database 0.02 ms to run it.
_DUE_COUNT = CompiledQuery(_due_count_query, user_id=-7_345_129, today=datetime.date(1901, 2, 3))


def due_count_for_user(user: User, today: datetime.date) -> int:
    """How many follow-ups and plan actions of `user` (as a working professional) are due
    today or overdue: the number in the header. One query; 0 for anyone else."""
    row = _DUE_COUNT.fetchone(user_id=user.pk, today=today)
    return row[0] if row else 0


# --- The calendar file (RFC 5545), written by hand: no icalendar package is installed.

ICS_LINE_OCTETS = 75


def ics_escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1): CRLF and a space, never inside a
    UTF-8 character."""
    parts: list[str] = []
    current = ""
    limit = ICS_LINE_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
            limit = ICS_LINE_OCTETS - 1  # continuation lines start with a space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def ics_calendar(
    items: Iterable[AgendaItem], *, calendar_name: str, now: datetime.datetime, site_url: str
) -> str:
    """The items as an iCalendar file: one all-day VEVENT each, with the case number and the
    kind as its summary and a link to the case (which needs a login). Nothing else."""
    stamp = now.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ketenkameleon//Mijn agenda//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(calendar_name)}",
    ]
    for item in items:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{item.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_escape(f'{item.case_number}: {item.kind_label}')}",
            f"URL:{site_url.rstrip('/')}/zaken/{item.case_id}/",
            "TRANSP:TRANSPARENT",
            "CLASS:PRIVATE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)


# --- Bulk reassignment during absence.


@dataclass
class Reassignment:
    """One open case of the absent professional, with the ranked suggestions for it."""

    case: Case
    suggestions: list[Any]

    @property
    def suggested(self) -> Any | None:
        return self.suggestions[0] if self.suggestions else None


def reassignment_plan(absent: Professional) -> list[Reassignment]:
    """Every open case of `absent` with a suggestion per case, in a fixed number of queries.

    The ranking is assignment_suggestions' (cases/workload.py): household continuity, then
    fit with the case's arm and stage, then load; computed from one workload query, and each
    suggestion adds one case to its professional's load so the cases spread over the team.
    """
    cases = list(
        _open_cases_of(absent)
        .select_related("child", "child__household")
        .order_by("three_month_deadline", "id")
    )
    household_ids = {case.child.household_id for case in cases}
    held = Counter(
        (household_id, professional_id)
        for household_id, professional_id in Case.objects.open()
        .filter(child__household_id__in=household_ids, professional__isnull=False)
        .exclude(professional=absent)
        .values_list("child__household_id", "professional_id")
    )
    team = list(workload().exclude(pk=absent.pk))
    extra: Counter = Counter()
    plan = []
    for case in cases:
        for professional in team:
            professional.continuity = held[(case.child.household_id, professional.pk)] > 0
            professional.fit = fits(professional, case)
            open_cases = professional.open_cases + extra[professional.pk]
            professional.load = open_cases / professional.max_caseload
            professional.over_capacity = open_cases >= professional.max_caseload
        ranked = sorted(
            team,
            key=lambda p: (not p.continuity, not p.fit, p.over_capacity, p.load, p.new_cases, p.pk),
        )
        plan.append(Reassignment(case=case, suggestions=ranked))
        if ranked:
            extra[ranked[0].pk] += 1
            held[(case.child.household_id, ranked[0].pk)] += 1
    return plan


def cases_reassign(
    *,
    choices: Sequence[tuple[Case, Professional, int]],
    actor: User,
    reason: str,
    note: str,
) -> int:
    """Reassign each (case, professional, expected version) through case_assign, in one
    transaction: every case is handed over, or none. Each is a handover with `reason` and
    `note` (case_assign records it and mails the new professional after commit).

    Raises RuleViolation with the errors keyed "case_<pk>" (or the field) when any case is
    refused; nothing is changed then. Returns how many cases were reassigned.
    """
    errors: dict[str | None, Any] = {}
    with transaction.atomic():
        for case, professional, version in choices:
            try:
                case_assign(
                    case=case,
                    professional=professional,
                    actor=actor,
                    reason=reason,
                    note=note,
                    expected_version=version,
                )
            except CaseError as error:
                for field, message in error.errors.items():
                    key = field if field in ("reason", "note") else f"case_{case.pk}"
                    if key.startswith("case_"):
                        message = f"{case.number}: {message}"
                    errors.setdefault(key, message)
        if errors:
            # Raised inside the block: every assignment made above is rolled back.
            raise RuleViolation(errors=errors)
    return len(choices)
