"""Reads for the coordinator's peak dashboard. Every figure is an aggregate in the database.

The page runs a fixed number of queries whatever the data size: inflow 1, waiting time 1,
caseload 2 (the rows and the totals), open per stage 1; on SQLite the waiting-time percentiles
add two small queries per arm. No query returns a row per case. Each filters on an indexed
column: `date_received` (case_received_idx), `status` (case_status_stage_idx), the
(professional, status) index for caseloads and (professional, started_at) for new assignments.
"""

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncWeek
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from cases.constants import Arm
from professionals.models import Professional
from roles.constants import CHAIN_ORDER

from .constants import CaseStatus, Stage
from .models import Assignment, Case

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType
    from django_stubs_ext import WithAnnotations

INFLOW_WEEKS = 52
# September to December: the school-absence peak after the summer holidays. The pages call
# these weeks by their months ("sep.–dec."), not "herfst": December is winter.
AUTUMN_MONTHS = frozenset({9, 10, 11, 12})
NEW_CASES_DAYS = 28
CASELOAD_ROWS = 50
# The arm groups every panel splits by; "" is a case not (yet) allocated to an arm.
NO_ARM = ""
ARM_GROUPS = (Arm.BIP.value, Arm.CONTROL.value, NO_ARM)


def inflow_window_start(today: datetime.date, weeks: int = INFLOW_WEEKS) -> datetime.date:
    """The Monday that starts the window of `weeks` weeks ending with the week of `today`."""
    this_monday = today - datetime.timedelta(days=today.weekday())
    return this_monday - datetime.timedelta(weeks=weeks - 1)


# ------------------------------------------------------------------ weekly inflow


@dataclass(frozen=True)
class InflowWeek:
    start: datetime.date  # the Monday
    bip: int
    control: int
    unallocated: int
    is_current: bool  # the week of today: still running

    @property
    def total(self) -> int:
        return self.bip + self.control + self.unallocated

    @property
    def is_autumn(self) -> bool:
        """A week belongs to the month of its Thursday (as ISO 8601 weeks do to a year)."""
        return (self.start + datetime.timedelta(days=3)).month in AUTUMN_MONTHS


def weekly_inflow(*, today: datetime.date, weeks: int = INFLOW_WEEKS) -> list[InflowWeek]:
    """New referrals per week over the last `weeks` weeks, oldest first, split per arm.

    One GROUP BY query on date_received; weeks without referrals are filled in with zeros,
    so the list always has `weeks` items. The last item is the current, unfinished week.
    """
    start = inflow_window_start(today, weeks)
    rows = (
        Case.objects.filter(date_received__gte=start, date_received__lte=today)
        .order_by()
        .values(week=TruncWeek("date_received"))
        .annotate(
            bip=Count("pk", filter=Q(arm=Arm.BIP)),
            control=Count("pk", filter=Q(arm=Arm.CONTROL)),
            unallocated=Count("pk", filter=Q(arm=NO_ARM)),
        )
    )
    per_week = {_as_date(row["week"]): row for row in rows}
    result = []
    for index in range(weeks):
        monday = start + datetime.timedelta(weeks=index)
        row: Mapping[str, Any] = per_week.get(monday, {})
        result.append(
            InflowWeek(
                start=monday,
                bip=row.get("bip", 0),
                control=row.get("control", 0),
                unallocated=row.get("unallocated", 0),
                is_current=index == weeks - 1,
            )
        )
    return result


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    # TruncWeek of a DateField gives a date; guard against a backend handing back a datetime.
    return value.date() if isinstance(value, datetime.datetime) else value


@dataclass(frozen=True)
class PeakSummary:
    autumn_average: float | None
    other_average: float | None
    busiest: InflowWeek | None


def peak_summary(weeks: list[InflowWeek]) -> PeakSummary:
    """The average weekly inflow in the autumn weeks against the other weeks, and the busiest
    week. Works on the 52 items weekly_inflow returned; the running week is left out of the
    averages because it is not over yet."""
    complete = [week for week in weeks if not week.is_current]
    autumn = [week.total for week in complete if week.is_autumn]
    other = [week.total for week in complete if not week.is_autumn]
    busiest = max(weeks, key=lambda week: (week.total, week.start), default=None)
    return PeakSummary(
        autumn_average=sum(autumn) / len(autumn) if autumn else None,
        other_average=sum(other) / len(other) if other else None,
        busiest=busiest if busiest and busiest.total else None,
    )


# ---------------------------------------------------------- waiting to first contact


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the `fraction` percentile, interpolated linearly
    between the two nearest values. Django has no built-in for it."""

    name = "PercentileCont"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()
    window_compatible = False
    arity = 1

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must lie between 0 and 1")
        # A float literal, never user input: safe to put in the SQL text.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    # Aggregate.as_sql narrows Func.as_sql's signature; django-stubs ignores the same override
    # error on Aggregate itself.
    def as_sql(  # type: ignore[override]
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":
        if connection.vendor != "postgresql":
            raise NotImplementedError("percentile_cont is PostgreSQL only; see waiting_times()")
        return super().as_sql(compiler, connection, **extra_context)


class DaysBetween(Func):
    """DaysBetween(end, start): calendar days from the date `start` to the date `end`."""

    output_field = IntegerField()
    arity = 2

    def as_sql(
        self,
        compiler: "SQLCompiler",
        connection: "BaseDatabaseWrapper",
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> "_AsSqlType":
        # PostgreSQL: date − date is an integer number of days. The template and joiner are
        # this function's own, whatever the caller passes.
        return super().as_sql(
            compiler,
            connection,
            function=function,
            template="(%(expressions)s)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


@dataclass(frozen=True)
class WaitingTime:
    arm: str  # Arm value, or "" for cases without an arm
    referrals: int
    with_contact: int
    median_days: float | None
    p90_days: float | None

    @property
    def without_contact(self) -> int:
        return self.referrals - self.with_contact


def cases_with_waiting_days(*, since: datetime.date) -> QuerySet:
    """Cases received on or after `since`, one row per case (pk, arm, date_received), with
    `wait_days`: whole days from the referral to the local date of the first contact (the
    Min of the contacts' occurred_at), NULL while there has been no contact."""
    return (
        Case.objects.filter(date_received__gte=since)
        .order_by()
        .values("pk", "arm", "date_received")  # GROUP BY these, not every column of the case
        .annotate(first_contact_at=Min("contacts__occurred_at"))
        .annotate(wait_days=DaysBetween(TruncDate("first_contact_at"), F("date_received")))
    )


def waiting_times(*, since: datetime.date) -> list[WaitingTime]:
    """Waiting time from referral to first contact per arm (BIP, control, no arm yet) for the
    cases received since `since`: the median and the 90th percentile in days.

    Cases without a contact are left out of the percentiles and counted in `without_contact`.
    The percentiles interpolate linearly between the two nearest values (percentile_cont).

    PostgreSQL: one query. The per-case first contacts are a derived table (GROUP BY case),
    aggregated with percentile_cont … FILTER (WHERE arm = …) for each arm.
    SQLite has no percentile aggregate: the same query gives the counts, then per arm two
    ORDER BY … LIMIT 2 OFFSET k queries read only the two values around each percentile.
    """
    cases = cases_with_waiting_days(since=since)
    postgres = connection.vendor == "postgresql"
    aggregates: dict[str, Aggregate] = {}
    for index, group in enumerate(ARM_GROUPS):
        in_group = Q(arm=group)
        aggregates[f"referrals_{index}"] = Count("pk", filter=in_group)
        aggregates[f"with_contact_{index}"] = Count("wait_days", filter=in_group)
        if postgres:
            aggregates[f"median_{index}"] = PercentileCont(
                "wait_days", fraction=0.5, filter=in_group
            )
            aggregates[f"p90_{index}"] = PercentileCont("wait_days", fraction=0.9, filter=in_group)
    totals = cases.aggregate(**aggregates)
    result = []
    for index, group in enumerate(ARM_GROUPS):
        with_contact = totals[f"with_contact_{index}"]
        if postgres:
            median, p90 = totals[f"median_{index}"], totals[f"p90_{index}"]
        else:
            median, p90 = _percentiles_by_offset(
                cases.filter(arm=group, wait_days__isnull=False), with_contact
            )
        result.append(
            WaitingTime(
                arm=group,
                referrals=totals[f"referrals_{index}"],
                with_contact=with_contact,
                median_days=median,
                p90_days=p90,
            )
        )
    return result


def _percentiles_by_offset(cases: QuerySet, count: int) -> tuple[float | None, float | None]:
    """The median and the 90th percentile of `wait_days`, as percentile_cont computes them,
    with two queries that each read at most two rows."""
    if not count:
        return None, None
    values = []
    for fraction in (0.5, 0.9):
        position = fraction * (count - 1)
        lower_index = math.floor(position)
        pair = list(
            cases.order_by("wait_days").values_list("wait_days", flat=True)[
                lower_index : lower_index + 2
            ]
        )
        lower = pair[0]
        upper = pair[1] if len(pair) > 1 else lower
        values.append(lower + (position - lower_index) * (upper - lower))
    return values[0], values[1]


# ------------------------------------------------------------------------ caseload


def _count_per_professional(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT of `queryset` rows for the outer professional, 0 when there are none.

    A subquery per professional, not a JOIN: two joined relations would multiply each other's
    rows, and the (professional, …) indexes answer each count without touching other rows.
    """
    counted = (
        queryset.filter(professional=OuterRef("pk"))
        .order_by()
        .values("professional")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def new_cases_since(today: datetime.date) -> datetime.datetime:
    """The start (local midnight) of the 28-day period that ends with today."""
    first_day = today - datetime.timedelta(days=NEW_CASES_DAYS - 1)
    return timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))


class CaseloadAnnotations(TypedDict):
    open_cases: int
    new_cases: int
    load: float


def professionals_with_caseload(
    *, today: datetime.date
) -> "QuerySet[WithAnnotations[Professional, CaseloadAnnotations]]":
    """Active professionals annotated with `open_cases`, `new_cases` (assignments started in
    the last 28 days, today included) and `load` (open cases / maximum caseload)."""
    return Professional.objects.active().annotate(
        open_cases=_count_per_professional(Case.objects.open()),
        new_cases=_count_per_professional(
            Assignment.objects.filter(started_at__gte=new_cases_since(today))
        ),
        load=Cast("open_cases", FloatField()) / F("max_caseload"),
    )


@dataclass(frozen=True)
class CaseloadRow:
    professional: Professional
    open_cases: int
    new_cases: int

    @property
    def max_caseload(self) -> int:
        return self.professional.max_caseload

    @property
    def load_percent(self) -> int:
        return round(100 * self.open_cases / self.max_caseload)

    @property
    def over_capacity(self) -> bool:
        return self.open_cases > self.max_caseload

    @property
    def at_capacity(self) -> bool:
        return self.open_cases == self.max_caseload

    @property
    def room(self) -> int:
        """Open cases below the maximum; negative when over capacity."""
        return self.max_caseload - self.open_cases

    @property
    def excess(self) -> int:
        return max(0, -self.room)


def caseload(*, today: datetime.date, limit: int = CASELOAD_ROWS) -> list[CaseloadRow]:
    """The `limit` active professionals with the highest load, fullest first. One query."""
    professionals = (
        professionals_with_caseload(today=today)
        .select_related("user", "organisation")
        .order_by("-load", "-open_cases", "user__last_name", "user__first_name", "pk")[:limit]
    )
    return [
        CaseloadRow(
            professional=professional,
            open_cases=professional.open_cases,
            new_cases=professional.new_cases,
        )
        for professional in professionals
    ]


def caseload_totals(*, today: datetime.date) -> dict:
    """Over all active professionals: how many there are, how many are over capacity, and the
    open cases against the summed maximum caseload. One query."""
    # The count expression is aggregated directly. Aggregating over the annotations of
    # professionals_with_caseload() instead made Django 6.1 push them into a subquery that
    # left out the `open_cases` column (SQLite then read the name as a string literal).
    open_cases = _count_per_professional(Case.objects.open())
    return Professional.objects.active().aggregate(
        professionals=Count("pk"),
        over_capacity=Count("pk", filter=GreaterThan(open_cases, F("max_caseload"))),
        open_cases=Sum(open_cases, default=0),
        capacity=Sum("max_caseload", default=0),
    )


# ---------------------------------------------------------------- open per stage


@dataclass(frozen=True)
class StageCount:
    stage: Stage
    total: int
    bip: int
    control: int
    unallocated: int
    overdue: int


def open_cases_per_stage(*, today: datetime.date) -> list[StageCount]:
    """Open cases per chain stage in chain order (stages without cases included), split per
    arm, with how many are past their three-month deadline. One GROUP BY query."""
    rows = (
        Case.objects.filter(status=CaseStatus.OPEN)
        .order_by()
        .values("stage")
        .annotate(
            total=Count("pk"),
            bip=Count("pk", filter=Q(arm=Arm.BIP)),
            control=Count("pk", filter=Q(arm=Arm.CONTROL)),
            unallocated=Count("pk", filter=Q(arm=NO_ARM)),
            overdue=Count("pk", filter=Q(three_month_deadline__lt=today)),
        )
    )
    per_stage = {row["stage"]: row for row in rows}
    empty = {"total": 0, "bip": 0, "control": 0, "unallocated": 0, "overdue": 0}
    return [_stage_count(stage, per_stage.get(stage, empty)) for stage in CHAIN_ORDER]


def _stage_count(stage: Stage, row: Mapping[str, Any]) -> StageCount:
    return StageCount(
        stage=stage,
        total=row["total"],
        bip=row["bip"],
        control=row["control"],
        unallocated=row["unallocated"],
        overdue=row["overdue"],
    )
