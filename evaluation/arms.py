"""Which arm a case counts in: query expressions shared by the report, snapshot and exports.

- allocated (intention-to-treat) arm: the arm of the case's first allocation, drawn or by
  hand. Never changes; the report and the exports count a case in this arm by default.
- as-treated arm: `Case.arm`, the newest allocation after any correction.

A case without an allocation row (data from before the allocation log) falls back to
`Case.arm` for both. Every expression takes `case`: the path from the queried model to the
case ("" when querying cases, "case" when querying contacts).
"""

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .constants import INITIAL_ALLOCATION_METHODS, AllocationMethod
from .models import Allocation


def _case_ref(case: str) -> OuterRef:
    return OuterRef(f"{case}_id" if case else "pk")


def _prefix(case: str) -> str:
    return f"{case}__" if case else ""


def _initial(case: str) -> QuerySet[Allocation]:
    return Allocation.objects.filter(
        case=_case_ref(case), method__in=INITIAL_ALLOCATION_METHODS
    ).order_by()


def allocated_arm(case: str = "") -> Coalesce:
    """The intention-to-treat arm."""
    return Coalesce(Subquery(_initial(case).values("arm")[:1]), F(f"{_prefix(case)}arm"))


def allocation_method(case: str = "") -> Subquery:
    """How the first allocation was made: blokrandomisatie or handmatig (None without a log)."""
    return Subquery(_initial(case).values("method")[:1])


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
