"""Which arm a case counts in: query expressions shared by the report, snapshot and exports.

- allocated (intention-to-treat) arm: the arm of the case's first allocation, drawn or by
  hand. Never changes; the report and the exports count a case in this arm by default.
- as-treated arm: `Case.arm`, the newest allocation after any correction.

A case without an allocation row (data from before the allocation log) falls back to
`Case.arm` for both. Every expression takes `case`: the path from the queried model to the
case ("" when querying cases, "case" when querying contacts). The allocated arm and method read
a join that `with_initial_allocation` adds to the queryset.
"""

from typing import Any

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from .constants import INITIAL_ALLOCATION_METHODS, AllocationMethod
from .models import Allocation


def _case_ref(case: str) -> OuterRef:
    return OuterRef(f"{case}_id" if case else "pk")


def _prefix(case: str) -> str:
    return f"{case}__" if case else ""


def _initial_alias(case: str) -> str:
    return f"{case.replace('__', '_')}_initial_allocation" if case else "initial_allocation"


def with_initial_allocation[QS: QuerySet[Any]](queryset: QS, case: str = "") -> QS:
    """`queryset` with the case's first allocation joined (a LEFT JOIN), which
    `allocated_arm(case)` and `allocation_method(case)` read.

    A join, not a subquery per row: PostgreSQL hashes the allocations once, where a correlated
    subquery probed the index once per case (at 1,000,000 cases most of the report's time). At
    most one row per case joins: the constraint allocation_one_initial_per_case.
    """
    relation = f"{_prefix(case)}allocations"
    return queryset.annotate(
        **{
            _initial_alias(case): FilteredRelation(
                relation,
                condition=Q(**{f"{relation}__method__in": INITIAL_ALLOCATION_METHODS}),
            )
        }
    )


def allocated_arm(case: str = "") -> Coalesce:
    """The intention-to-treat arm (the queryset needs `with_initial_allocation(case)`)."""
    return Coalesce(F(f"{_initial_alias(case)}__arm"), F(f"{_prefix(case)}arm"))


def allocation_method(case: str = "") -> F:
    """How the first allocation was made: blokrandomisatie or handmatig (None without a log;
    the queryset needs `with_initial_allocation(case)`)."""
    return F(f"{_initial_alias(case)}__method")


def was_corrected(case: str = "") -> Exists:
    """Whether the arm was ever corrected after the first allocation."""
    return Exists(
        Allocation.objects.filter(case=_case_ref(case), method=AllocationMethod.CORRECTION)
    )


def has_deviation(case: str = "") -> Exists:
    """Whether a correction was made after the case's measurement date (a protocol deviation)."""
    return Exists(
        Allocation.objects.filter(
            case=_case_ref(case), method=AllocationMethod.CORRECTION, after_measurement=True
        )
    )
