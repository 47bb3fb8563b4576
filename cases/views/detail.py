"""The case file: one page with header, chain track, timeline, household and plan."""

from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest
from professionals.qualifications import roles_available_to

from .. import access, selectors
from ..forms import ContactForm
from ..models import Case, StageChange


def contact_form_for(case: Case, *, data: QueryDict | None = None) -> ContactForm:
    today = timezone.localtime()
    # A case without a professional offers no role (no one may log a contact on it).
    professional = case.professional
    return ContactForm(
        data,
        roles=roles_available_to(professional, today.date()) if professional is not None else [],
        initial={
            "occurred_on": today.date(),
            "occurred_time": today.time().replace(second=0, microsecond=0),
            "duration_minutes": 30,
        },
    )


def case_file_context(
    request: AuthenticatedHttpRequest, case: Case, **extra: Any
) -> dict[str, Any]:
    """Everything the case page shows. A fixed number of queries, whatever the data size."""
    today = timezone.localdate()
    timeline = selectors.case_timeline(case)
    visited_stages = {
        stage
        for entry in timeline
        if isinstance(entry["item"], StageChange)
        for stage in (entry["item"].from_stage, entry["item"].to_stage)
        if stage
    }
    can_log = access.can_log_contact(request.user, case)
    context = {
        "case": case,
        "today": today,
        "child_age": case.child.age_on(today),
        "timeline": timeline,
        "timeline_limit": selectors.TIMELINE_LIMIT,
        "visited_stages": visited_stages,
        "can_change": access.can_change_case(request.user, case),
        "next_steps": access.case_actions(request.user, case),
        "contact_form": contact_form_for(case) if can_log else None,
        **selectors.household_panel(case),
        **selectors.household_plan(case),
    }
    context.update(extra)
    return context


@require_GET
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk)
    return render(request, "cases/case_detail.html", case_file_context(request, case))
