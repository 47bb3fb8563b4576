"""Reads of the API: the terugkoppeling (status) of referrals, in a fixed number of queries.

The status says what happens with a referral in four words, never who works on it, with
which arm or what was said: ontvangen (no professional yet), in behandeling (a professional
works on it at Leerplicht), doorverwezen (to Halt or the Raad), afgesloten (with the category
of the outcome).
"""

import datetime
from typing import Any

from django.db.models import F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from cases.constants import CaseStatus, Stage
from cases.models import Assignment, Outcome, StageChange

from .constants import ReferralStatus
from .models import ApiReferral


def with_status_columns(referrals: QuerySet[ApiReferral]) -> QuerySet[ApiReferral]:
    return referrals.annotate(
        case_status=F("case__status"),
        case_stage=F("case__stage"),
        case_professional=F("case__professional_id"),
        case_closed_on=F("case__closed_on"),
        last_stage_change=Subquery(
            StageChange.objects.filter(case_id=OuterRef("case_id"))
            .values("case_id")
            .annotate(last=Max("changed_at"))
            .values("last")[:1]
        ),
        first_assignment=Subquery(
            Assignment.objects.filter(case_id=OuterRef("case_id"))
            .order_by("started_at")
            .values("started_at")[:1]
        ),
        outcome=Subquery(
            Outcome.objects.filter(case_id=OuterRef("case_id"))
            .order_by("-recorded_at", "-id")
            .values("category")[:1]
        ),
    )


def _day(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value is not None else None


def status_of(referral: Any) -> dict[str, Any]:
    """The status of a referral annotated by with_status_columns."""
    received = _day(referral.created_at) or timezone.localdate()
    changed = _day(referral.last_stage_change)
    if referral.case_status == CaseStatus.CLOSED:
        status = ReferralStatus.CLOSED
        on = referral.case_closed_on or changed or received
    elif referral.case_stage in (Stage.HALT, Stage.RVDK):
        status, on = ReferralStatus.REFERRED, changed or received
    elif referral.case_professional is not None:
        status = ReferralStatus.IN_PROGRESS
        on = _day(referral.first_assignment) or received
    else:
        status, on = ReferralStatus.RECEIVED, received
    return {
        "referentie": referral.reference,
        "status": status,
        "gewijzigd_op": max(on, received),
        "reden_afsluiting": referral.outcome if status == ReferralStatus.CLOSED else None,
    }
