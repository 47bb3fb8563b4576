"""Mijn zaken: closed cases and the search over all own cases; printing the case file; the
school lookup for intake and filters."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bip.lib.htmx import full_page_for_form_errors
from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate
from professionals.access import get_own_professional
from professionals.groups import is_coordinator, is_professional

from .. import access, selectors
from ..casework_forms import ClosedCasesSearchForm
from .lists import query_string_without_page

# The name of the form field the lookup fills in (the page that includes the widget says).
FIELD_NAME = re.compile(r"[a-z_]{1,40}")


@require_GET
def my_closed_cases(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The professional's closed cases (read-only, until retention or a handover), and with a
    search text all their own cases, open and closed, by name, BSN or case number."""
    get_own_professional(request.user)  # 403 for anyone who does not work as a professional
    form = ClosedCasesSearchForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    if full_page := full_page_for_form_errors(request, form):
        return full_page
    own = access.cases_visible_to(request.user)
    rows = selectors.own_cases_search(own, text) if text else selectors.closed_cases_rows(own)
    context = {
        "form": form,
        "page": paginate(request, rows),
        "searching": bool(text),
        "query_string": query_string_without_page(request),
    }
    if request.htmx:
        return render(request, "cases/my_closed_cases.html#results", context)
    return render(request, "cases/my_closed_cases.html", context)


@require_POST
def case_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Printing the case file is an export: audit.policy logs this POST in the access log.

    The page's script (static/js/case_print.js) posts here and then opens the print dialog;
    without script the form posts and the case page comes back with a hint.
    """
    case = access.get_case_for_user(request.user, pk)
    if request.htmx or request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    messages.info(
        request,
        _("Het afdrukken is vastgelegd. Druk de pagina af met Ctrl+P (Cmd+P op een Mac)."),
    )
    return redirect(case.get_absolute_url())


@require_GET
def school_lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Schools by name, place or BRIN: an htmx list for intake and filters, or a page."""
    if not (is_coordinator(request.user) or is_professional(request.user)):
        raise PermissionDenied
    text = request.GET.get("school_zoek", "")[:100]
    context = {
        "schools": selectors.schools_matching(text),
        "text": text,
        "field_name": veld
        if FIELD_NAME.fullmatch(veld := request.GET.get("veld", ""))
        else "school",
    }
    if request.htmx:
        return render(request, "cases/school_lookup.html#results", context)
    return render(request, "cases/school_lookup.html", context)
