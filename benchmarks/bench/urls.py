"""The product's URLs plus the benchmark's yardsticks (benchmarks/bench/settings.py only)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

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


urlpatterns = [
    path("bench-admin/", bench_admin.urls),
    path("bench/bare/", bare),
    path("bench/base/", base),
    path("", include("bip.urls")),
]
