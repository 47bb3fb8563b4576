"""Workload reads: open cases against capacity, recent intake, and assignment suggestions.

They live in cases (not professionals) because they count cases: professionals comes before
cases in the dependency order and must not import it.
"""

import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from professionals.models import Professional

from .constants import Arm, CaseStatus
from .models import Assignment, Case

NEW_CASES_WINDOW = datetime.timedelta(weeks=4)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("professional").annotate(n=Count("*")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def workload(*, household_id: int | None = None) -> QuerySet[Professional, Any]:
    """Active professionals with open_cases, new_cases (assignments in the last 4 weeks) and,
    when a household is given, household_cases (their open cases in that household).

    The rows are typed Any: they carry these annotations (and assignment_suggestions' extra
    attributes), which a Professional type cannot name.

    One query, with correlated subqueries that use the (professional, status) indexes.
    """
    since = timezone.now() - NEW_CASES_WINDOW
    queryset = (
        Professional.objects.active()
        .select_related("user", "organisation")
        .annotate(
            open_cases=_count(Case.objects.filter(professional=OuterRef("pk"), status="open")),
            new_cases=_count(
                Assignment.objects.filter(professional=OuterRef("pk"), started_at__gte=since)
            ),
        )
    )
    if household_id is not None:
        queryset = queryset.annotate(
            household_cases=_count(
                Case.objects.filter(
                    professional=OuterRef("pk"), status="open", child__household_id=household_id
                )
            )
        )
    return queryset


def fits(professional: Professional, case: Case) -> bool:
    """The BIP arm takes BIPs; the control arm takes professionals of the stage's organisation."""
    if case.arm == Arm.BIP:
        return professional.is_bip
    if case.arm == Arm.CONTROL:
        return not professional.is_bip and professional.organisation.kind == case.stage
    return professional.organisation.kind == case.stage


def assignment_suggestions(case: Case) -> list[Professional]:
    """Every active professional, best first: household continuity, then fit, then workload.

    Each gets `.continuity`, `.fit`, `.load` (open cases / capacity) and `.over_capacity`.
    """
    candidates = list(
        workload(household_id=case.child.household_id).exclude(pk=case.professional_id or 0)
    )
    for professional in candidates:
        professional.continuity = professional.household_cases > 0
        professional.fit = fits(professional, case)
        professional.load = professional.open_cases / professional.max_caseload
        professional.over_capacity = professional.open_cases >= professional.max_caseload
    candidates.sort(
        key=lambda p: (not p.continuity, not p.fit, p.over_capacity, p.load, p.new_cases, p.pk)
    )
    return candidates


def bip_capacity() -> dict:
    """Open BIP-arm cases against the summed caseload of active BIPs.

    A workload read (cases and professionals), shown beside the coordinator's queue,
    assignment and allocation pages: {"capacity", "open", "at_capacity"}.
    """
    capacity = (
        Professional.objects.filter(is_active=True, is_bip=True).aggregate(
            total=Sum("max_caseload")
        )["total"]
        or 0
    )
    open_cases = Case.objects.aggregate(
        n=Count("id", filter=Q(arm=Arm.BIP, status=CaseStatus.OPEN))
    )["n"]
    return {"capacity": capacity, "open": open_cases, "at_capacity": open_cases >= capacity}
