"""The product's URLs plus the benchmark's yardsticks (benchmarks/bench/settings.py only)."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils import timezone

from bip.lib.pagination import paginate
from cases import access, selectors
from cases.forms import CaseFilterForm, MyCasesFilterForm
from cases.models import Case
from cases.views.detail import case_file_context
from professionals.access import get_own_professional


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


# Floor pages: a page's context as read from the database on its first request, kept in
# memory per (page, user, record), so that later requests only render it.
_contexts: dict[tuple[str, int, int], dict[str, Any]] = {}


def _in_memory(page: Page[Any]) -> Page[Any]:
    """The page with its rows read and its count taken: rendering it runs no query."""
    page.paginator.count  # noqa: B018 - a cached_property: counted once, here
    return Page(list(page.object_list), page.number, page.paginator)


def _render_floor(
    request: HttpRequest, template: str, key: tuple[str, int], build: Callable[[], dict]
) -> HttpResponse:
    """Render `template` with the context `build` gave on the first request of this page, user
    and record. What is measured is the middleware, the navigation and the template: the page's
    floor through Django's template engine, without the page's own queries (nor its access-log
    entry: a /bench/ page is not audited)."""
    remembered = (key[0], request.user.pk, key[1])
    if remembered not in _contexts:
        _contexts[remembered] = build()
    return render(request, template, _contexts[remembered])


def list_floor(request: HttpRequest) -> HttpResponse:
    """/zaken/ (first page, no filter) from memory: the same template, form, rows and count."""

    def build() -> dict:
        rows = selectors.case_list_rows(
            access.cases_visible_to(request.user), ordering=selectors.DEFAULT_CASE_ORDERING
        )
        return {
            "form": CaseFilterForm(None),
            "page": _in_memory(paginate(request, rows)),
            "today": timezone.localdate(),
            "query_string": "",
        }

    return _render_floor(request, "cases/case_list.html", ("list", 0), build)


def case_floor(request: HttpRequest, pk: int) -> HttpResponse:
    """The case file /zaken/<pk>/ from memory: the view's own context, built once."""

    def build() -> dict:
        return case_file_context(request, access.get_case_for_user(request.user, pk))

    return _render_floor(request, "cases/case_detail.html", ("case", pk), build)


def my_cases_floor(request: HttpRequest) -> HttpResponse:
    """Mijn zaken (first page, no filter) from memory."""

    def build() -> dict:
        today = timezone.localdate()
        professional = get_own_professional(request.user)
        rows = selectors.my_cases_rows(
            access.cases_visible_to(request.user), ordering=selectors.DEFAULT_MY_CASES_ORDERING
        )
        return {
            "form": MyCasesFilterForm(None),
            "page": _in_memory(paginate(request, rows)),
            "today": today,
            "follow_ups": list(selectors.follow_ups_due(professional, today)[:10]),
            "query_string": "",
        }

    return _render_floor(request, "cases/my_cases.html", ("my_cases", 0), build)


urlpatterns = [
    path("bench-admin/", bench_admin.urls),
    path("bench/bare/", bare),
    path("bench/base/", base),
    path("bench/list-floor/", list_floor),
    path("bench/case-floor/<int:pk>/", case_floor),
    path("bench/my-cases-floor/", my_cases_floor),
    path("", include("bip.urls")),
]
