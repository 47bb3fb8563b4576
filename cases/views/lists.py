"""The case lists: the coordinator's case list and the professional's Mijn zaken."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from bip.lib.htmx import full_page_for_form_errors
from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate
from professionals.access import get_own_professional

from .. import access, selectors
from ..forms import CaseFilterForm, MyCasesFilterForm


def query_string_without_page(request: AuthenticatedHttpRequest) -> str:
    params = request.GET.copy()
    params.pop("pagina", None)
    return params.urlencode()


@require_GET
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's case list: search, filters, sorting, capped pagination."""
    if not access.can_view_case_lists(request.user):
        raise PermissionDenied
    form = CaseFilterForm(request.GET or None)
    cases = access.cases_visible_to(request.user)
    ordering = selectors.DEFAULT_CASE_ORDERING
    count_limit = None
    if form.is_bound:
        form.is_valid()  # filters apply for the fields that are valid; errors are shown
        cases = selectors.case_list_filter(cases, form.cleaned_data, today=timezone.localdate())
        ordering = form.ordering()
        if form.cleaned_data.get("q"):
            count_limit = settings.SEARCH_COUNT_LIMIT
    if full_page := full_page_for_form_errors(request, form):
        return full_page
    page = paginate(
        request, selectors.case_list_rows(cases, ordering=ordering), count_limit=count_limit
    )
    context = {
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "query_string": query_string_without_page(request),
    }
    if request.htmx:
        # The results, and the professional field out of band: it may have resolved a typed
        # name to one professional.
        response = render(request, "cases/case_list.html#results", context)
        response.write(
            render_to_string(
                "cases/_professional_filter.html", {**context, "oob": True}, request=request
            )
        )
        return response
    return render(request, "cases/case_list.html", context)


@require_GET
def my_cases(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The professional's home page: their open cases and the follow-ups that are due."""
    professional = get_own_professional(request.user)
    today = timezone.localdate()
    form = MyCasesFilterForm(request.GET or None)
    cases = access.cases_visible_to(request.user)
    ordering = selectors.DEFAULT_MY_CASES_ORDERING
    if form.is_bound:
        form.is_valid()
        if form.cleaned_data.get("stage"):
            cases = cases.filter(stage=form.cleaned_data["stage"])
        if form.cleaned_data.get("deadline"):
            cases = selectors.deadline_filter(cases, form.cleaned_data["deadline"], today)
        ordering = form.ordering()
    if full_page := full_page_for_form_errors(request, form):
        return full_page
    page = paginate(request, selectors.my_cases_rows(cases, ordering=ordering))
    context = {
        "form": form,
        "page": page,
        "today": today,
        "follow_ups": list(selectors.follow_ups_due(professional, today)[:10]),
        "query_string": query_string_without_page(request),
    }
    if request.htmx:
        return render(request, "cases/my_cases.html#results", context)
    return render(request, "cases/my_cases.html", context)


@require_GET
def professional_lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The case list's professional suggestions for a typed name: at most ten buttons that
    submit the filter form with that professional (htmx fills them in under the field)."""
    if not access.can_view_case_lists(request.user):
        raise PermissionDenied
    name = request.GET.get("professional_name", "")[:100]
    matches = selectors.professionals_matching(name) if len(name.strip()) >= 2 else []
    return render(
        request,
        "cases/_professional_suggestions.html",
        {"matches": matches, "name": name.strip()},
    )
