"""Shared rules for the evaluation's aggregate reads. No row identifies a child."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet

if TYPE_CHECKING:
    from cases.models import Case

    from .models import Allocation

# Cells with fewer cases than this are suppressed in every report.
MIN_CELL_SIZE = 5


def allocation_log(case: "Case") -> "QuerySet[Allocation]":
    """The case's allocations and corrections, newest first, with who made them.

    For the coordinator's allocation page; the draw (stratum, block, position) is not joined:
    only the allocation service reads it.
    """
    from .models import Allocation

    return (
        Allocation.objects.filter(case=case).select_related("actor").order_by("-created_at", "-id")
    )
