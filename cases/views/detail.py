"""The case file: one page with header, chain track, timeline, household and plan; and the
timeline's older pages."""

from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest

from .. import access, selectors, timeline
from ..forms import ContactForm
from ..models import Case


def contact_form_for(
    case: Case, *, data: QueryDict | None = None, chosen: dict[str, str] | None = None
) -> ContactForm:
    """The contact form; its role defaults to the case's current stage. `chosen`: what the user
    picked so far (another role, before its kinds are shown), for an unbound form."""
    today = timezone.localtime()
    # A case without a professional offers no role (no one may log a contact on it).
    form = ContactForm(
        data,
        roles=access.case_professional_roles(case),
        default_role=case.stage,
        initial={
            "occurred_on": today.date(),
            "occurred_time": today.time().replace(second=0, microsecond=0),
            "duration_minutes": 30,
            **(chosen or {}),
        },
    )
    # Choosing another role fetches that role's kinds (contacts.contact_create, GET ?role=).
    form.fields["role"].widget.attrs.update(
        {
            "hx-get": reverse("cases:contact_create", args=[case.pk]),
            "hx-trigger": "change",
            "hx-target": "#contact-kind-field",
            "hx-select": "#contact-kind-field",
            "hx-swap": "outerHTML",
        }
    )
    return form


def case_file_context(
    request: AuthenticatedHttpRequest, case: Case, **extra: Any
) -> dict[str, Any]:
    """Everything the case page shows. A fixed number of queries, whatever the data size."""
    today = timezone.localdate()
    can_log = access.can_log_contact(request.user, case)
    can_change = access.can_change_case(request.user, case)
    context = {
        "case": case,
        "today": today,
        "child_age": case.child.age_on(today),
        "timeline": timeline.case_timeline(case),
        "visited_stages": timeline.visited_stages(case),
        "can_change": can_change,
        "next_steps": access.case_actions(request.user, case),
        # Why the case's own professional has no chain step now (not their stage's role).
        "step_refusal": (
            access.chain_step_refusal(request.user, case) if can_change and case.is_open else ""
        ),
        "coordinator_steps": access.coordinator_actions(request.user, case),
        "contact_form": contact_form_for(case) if can_log else None,
        "guardians": selectors.household_guardians(case),
        **selectors.household_panel(case),
        **selectors.household_plan(case),
    }
    context.update(extra)
    return context


@require_GET
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case file; to a professional who handed the case over, only to whom and when."""
    try:
        case = access.get_case_for_user(request.user, pk)
    except Http404:
        notice = access.handover_notice_for_user(request.user, pk)
        if notice is None:
            raise
        return render(request, "cases/handed_over.html", {"notice": notice})
    return render(request, "cases/case_detail.html", case_file_context(request, case))


@require_GET
def case_timeline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case's timeline from `?voor=` (a cursor: the last event already shown) on.

    htmx ("Oudere gebeurtenissen tonen" on the case page) gets the next events with the link
    to the page after them; without JavaScript the link opens this as a page of its own.
    """
    case = access.get_case_for_user(request.user, pk)
    try:
        before = timeline.Cursor.parse(cursor) if (cursor := request.GET.get("voor")) else None
    except ValueError:
        reason = _(
            "Deze link naar oudere gebeurtenissen in de tijdlijn klopt niet. Open de zaak en "
            "kies daar opnieuw Oudere gebeurtenissen tonen."
        )
        back = _("Terug naar zaak %(number)s") % {"number": case.number}
        refused = {"reason": reason, "back_url": case.get_absolute_url(), "back_label": back}
        return render(request, "400.html", refused, status=400)
    context = {"case": case, "timeline": timeline.case_timeline(case, before=before)}
    if request.htmx:
        return render(request, "cases/case_timeline.html#older", context)
    return render(request, "cases/case_timeline.html", context)
