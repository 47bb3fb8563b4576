"""The case file: one page with header, chain track, timeline, household and plan."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest
from roles.access import roles_available_to

from .. import access, selectors
from ..forms import ContactForm


def contact_form_for(case, *, data=None) -> ContactForm:
    today = timezone.localtime()
    return ContactForm(
        data,
        roles=roles_available_to(case.professional, today.date()),
        initial={
            "occurred_on": today.date(),
            "occurred_time": today.time().replace(second=0, microsecond=0),
            "duration_minutes": 30,
        },
    )


def case_file_context(request: AuthenticatedHttpRequest, case, **extra) -> dict:
    """Everything the case page shows. A fixed number of queries, whatever the data size."""
    today = timezone.localdate()
    timeline = selectors.case_timeline(case)
    visited_stages = {
        stage
        for entry in timeline
        if entry["kind"] == "stage"
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
def case_detail(request: AuthenticatedHttpRequest, pk: int):
    case = access.get_case_for_user(request.user, pk)
    return render(request, "cases/case_detail.html", case_file_context(request, case))
