"""Aggregate reads for the evaluation. No row identifies a child."""

from django.db.models import Count

from cases.models import Case

from .constants import Arm

# Cells with fewer cases than this are suppressed in every report.
MIN_CELL_SIZE = 5


def arm_counts() -> list[dict]:
    """Number of allocated cases per arm, with small cells suppressed (count shown as None)."""
    rows = {
        row["arm"]: row["n"]
        for row in Case.objects.exclude(arm="").values("arm").annotate(n=Count("id"))
    }
    return [
        {
            "arm": arm,
            "label": arm.label,
            "n": rows.get(arm, 0) if rows.get(arm, 0) >= MIN_CELL_SIZE else None,
        }
        for arm in Arm
    ]
