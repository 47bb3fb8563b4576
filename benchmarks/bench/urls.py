"""The product's URLs plus the benchmark's yardsticks (benchmarks/bench/settings.py only)."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils import timezone

from bip.lib.pagination import CappedPaginator
from cases import access, selectors
from cases.forms import CaseFilterForm
from cases.models import Case


class BenchCaseAdmin(admin.ModelAdmin):
    """The case list as the Django admin would give it: same columns, search and filters."""

    list_display = [
        "number",
        "child",
        "stage",
        "melding_type",
        "date_received",
        "three_month_deadline",
        "professional",
        "arm",
    ]
    list_select_related = ["child", "child__school", "professional__user"]
    list_filter = ["stage", "status", "arm", "melding_type"]
    search_fields = ["child__last_name__istartswith", "child__first_name__istartswith", "=number"]
    list_per_page = 25
    show_full_result_count = False


bench_admin = admin.AdminSite(name="bench_admin")
bench_admin.register(Case, BenchCaseAdmin)


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def base(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


# The case list's first page as read from the database on the first request, kept in memory.
_first_page: dict[str, Any] = {}


def list_floor(request: HttpRequest) -> HttpResponse:
    """The case list's first page without its queries: the same template, filter form, rows and
    page count as /zaken/, the rows read once and kept in memory (each case with its child and
    professional, as select_related left them), and no access-log entry (a /bench/ page is not
    audited). What is left is the middleware, the navigation and the template: the floor of
    this page's HTML through Django's template engine."""
    if not _first_page:
        rows = selectors.case_list_rows(
            access.cases_visible_to(request.user), ordering=selectors.DEFAULT_CASE_ORDERING
        )
        _first_page["rows"] = list(rows[: settings.PAGE_SIZE])
        _first_page["count"] = CappedPaginator(rows, settings.PAGE_SIZE).count
    paginator = CappedPaginator(Case.objects.none(), settings.PAGE_SIZE)
    paginator.__dict__["count"] = _first_page["count"]  # the cached_property, filled in
    context = {
        "form": CaseFilterForm(None),
        "page": Page(_first_page["rows"], 1, paginator),
        "today": timezone.localdate(),
        "query_string": "",
    }
    return render(request, "cases/case_list.html", context)


urlpatterns = [
    path("bench-admin/", bench_admin.urls),
    path("bench/bare/", bare),
    path("bench/base/", base),
    path("bench/list-floor/", list_floor),
    path("", include("bip.urls")),
]
