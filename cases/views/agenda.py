"""Mijn agenda, its calendar file, the coordinator's view of a professional's agenda, and the
bulk reassignment of an absent professional's open cases."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.access import get_own_professional
from professionals.models import Professional

from .. import access
from ..agenda import agenda_for, agenda_items, cases_reassign, ics_calendar, reassignment_plan
from ..agenda_forms import AgendaPeriodForm, BulkReassignForm
from ..exceptions import CaseError
from ..forms import apply_service_errors

# The calendar file holds what is due from a month back (recent overdue items) to a year ahead.
ICS_PAST = datetime.timedelta(days=31)
ICS_FUTURE = datetime.timedelta(days=366)


def _agenda_page(
    request: AuthenticatedHttpRequest, professional: Professional, *, own: bool
) -> HttpResponse:
    today = timezone.localdate()
    day, week = AgendaPeriodForm(request.GET).period(today)
    agenda = agenda_for(professional, day=day, week=week, today=today)
    step = datetime.timedelta(days=7 if week else 1)
    return render(
        request,
        "cases/agenda.html",
        {
            "professional": professional,
            "own": own,
            "agenda": agenda,
            "today": today,
            "week": week,
            "previous": agenda.start - step,
            "next": agenda.start + step,
        },
    )


@require_GET
def my_agenda(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The logged-in professional's agenda: overdue on top, then the week or the day."""
    return _agenda_page(request, get_own_professional(request.user), own=True)


@require_GET
def my_agenda_ics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The professional's own follow-ups and plan actions as an .ics file: case numbers and
    the kind only, never a child's name."""
    professional = get_own_professional(request.user)
    today = timezone.localdate()
    items = agenda_items(professional, since=today - ICS_PAST, until=today + ICS_FUTURE)
    body = ics_calendar(
        items,
        calendar_name=_("Ketenkameleon – mijn agenda"),
        now=timezone.now(),
        site_url=settings.SITE_URL,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ketenkameleon-agenda.ics"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def professional_agenda(request: AuthenticatedHttpRequest, professional_pk: int) -> HttpResponse:
    """The coordinator looks at a professional's agenda, to cover during absence."""
    professional = access.get_professional_for_coordinator(request.user, professional_pk)
    return _agenda_page(request, professional, own=False)


@require_http_methods(["GET", "POST"])
def bulk_reassign(request: AuthenticatedHttpRequest, professional_pk: int) -> HttpResponse:
    """All open cases of an (absent) professional, each with a suggested successor; one post
    hands them all over, each a recorded handover with the reason and note."""
    absent = access.get_professional_for_coordinator(request.user, professional_pk)
    plan = reassignment_plan(absent)
    form = BulkReassignForm(request.POST if request.method == "POST" else None, plan=plan)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                count = cases_reassign(
                    choices=form.choices(),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s zaak van %(name)s overgedragen.",
                        "%(count)s zaken van %(name)s overgedragen.",
                        count,
                    )
                    % {"count": count, "name": absent},
                )
                return redirect("cases:professional_agenda", professional_pk=absent.pk)
    return render(
        request,
        "cases/bulk_reassign.html",
        {"absent": absent, "form": form, "rows": form.case_fields()},
        status=status,
    )
