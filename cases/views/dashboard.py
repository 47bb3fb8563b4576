"""The coordinator's peak dashboard: inflow, waiting time, caseload and open cases per stage."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from .. import dashboard as figures
from ..charts import inflow_chart


@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's peak dashboard. Coordinator only; a fixed number of queries."""
    access.require_coordinator(request.user)
    today = timezone.localdate()
    since = figures.inflow_window_start(today)
    weeks = figures.weekly_inflow(today=today)
    stages = figures.open_cases_per_stage(today=today)
    context = {
        "today": today,
        "since": since,
        "weeks": weeks,
        "peak": figures.peak_summary(weeks),
        "chart": inflow_chart(weeks),
        "waiting_times": figures.waiting_times(since=since),
        "caseload": figures.caseload(today=today),
        "caseload_totals": figures.caseload_totals(today=today),
        "caseload_limit": figures.CASELOAD_ROWS,
        "new_cases_days": figures.NEW_CASES_DAYS,
        "stages": stages,
        "stage_totals": {
            column: sum(getattr(row, column) for row in stages)
            for column in ("total", "bip", "control", "unallocated", "overdue")
        },
    }
    return render(request, "cases/dashboard.html", context)
