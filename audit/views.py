"""The functional administrator's pages: the access log, one child's access, and the inzage.

Reading these pages is itself logged (audit.policy). A child is addressed by its internal id
in URLs, but the pages show case numbers; a BSN or case number typed to find a child is only
ever sent by POST (find_child), so it never lands in a URL, a browser history or a server log.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate

from . import access, inzage, selectors
from .forms import AccessLogFilterForm, FindChildForm


def _query_string_without_page(request: AuthenticatedHttpRequest) -> str:
    params = request.GET.copy()
    params.pop("pagina", None)
    return params.urlencode()


@require_GET
@never_cache
def access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The whole log, newest first, filtered by person, child, case, action and period."""
    access.require_functional_admin(request.user)
    form = AccessLogFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()  # the valid filters apply; the errors are shown
        filters = form.cleaned_data
    page = paginate(request, selectors.access_log_search(filters))
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "case_numbers": selectors.case_numbers(page.object_list),
            "query_string": _query_string_without_page(request),
        },
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def find_child(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Find a child by BSN or onderwijsnummer (POST), then go to its access page or inzage."""
    access.require_functional_admin(request.user)
    form = FindChildForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            number = form.cleaned_data["nummer"]
            if form.is_case_number():
                child_id = access.child_id_by_case_number(request.user, number)
            else:
                child_id = access.child_id_by_number(request.user, number)
            if child_id is not None:
                target = "audit:inzage" if form.cleaned_data["doel"] == "inzage" else None
                return redirect(target or "audit:child_access", child_pk=child_id)
            form.add_error(
                "nummer", _("Er is geen kind met dit BSN, onderwijsnummer of zaaknummer.")
            )
        status = 422
    return render(request, "audit/find_child.html", {"form": form}, status=status)


@require_GET
@never_cache
def child_access(request: AuthenticatedHttpRequest, child_pk: int) -> HttpResponse:
    """Who has looked at this child's file: per person, and every entry, newest first."""
    child = access.child_on_file(request.user, child_pk)
    entries = selectors.looks_at_child(child_pk)
    # A child removed by retention keeps its log: the page works from the entries then.
    household_id = child.household_id if child else selectors.household_of_logged_child(child_pk)
    if child is None and household_id is None and not entries.exists():
        raise Http404
    via_household = selectors.looks_via_household(household_id, child_id=child_pk)
    return render(
        request,
        "audit/child_access.html",
        {
            "child": child,
            "child_pk": child_pk,
            "summary": selectors.access_summary(entries),
            "household_summary": selectors.access_summary(via_household),
            "summary_limit": selectors.SUMMARY_LIMIT,
            "page": (page := paginate(request, entries.newest_first())),
            "case_numbers": selectors.case_numbers(page.object_list),
            "query_string": _query_string_without_page(request),
        },
    )


@require_GET
@never_cache
def inzage_file(request: AuthenticatedHttpRequest, child_pk: int) -> HttpResponse:
    """The child's complete file as a readable, printable page."""
    access.require_functional_admin(request.user)
    child_file = inzage.child_file(child_pk)
    if child_file is None:
        raise Http404
    return render(request, "audit/inzage.html", {"file": child_file, "child_pk": child_pk})


@require_GET
@never_cache
def inzage_json(request: AuthenticatedHttpRequest, child_pk: int) -> HttpResponse:
    """The same file as a JSON download."""
    access.require_functional_admin(request.user)
    child_file = inzage.child_file(child_pk)
    if child_file is None:
        raise Http404
    response = HttpResponse(
        json.dumps(
            inzage.as_json_ready(child_file), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        ),
        content_type="application/json; charset=utf-8",
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="inzage-kind-{child_pk}-{day}.json"'
    return response
