"""The researcher's home page: the evaluation report, BIP arm against control arm."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from ..charts import forest_chart, km_chart
from ..definitions import DEFINITIONS
from ..forms import DAILY_SNAPSHOT, FreezeChoiceForm, ReportPeriodForm
from ..freezes import freezes_newest_first
from ..models import DataFreeze
from ..report import report_for_months
from ..report_inputs import LATE_ENTRY_DAYS
from ..selectors import MIN_CELL_SIZE
from ..snapshots import StudyEndChanged, check_study_end
from ..study import study_period
from ..tasks import report_refresh_request


def source_form_default(source_form: FreezeChoiceForm) -> DataFreeze | None:
    """The latest freeze, or None (the daily snapshot) when there is none."""
    return next(iter(source_form.freezes.values()), None)


def _month_value(month: Any) -> str:
    return f"{month:%Y-%m}"


def _report_context(request: AuthenticatedHttpRequest) -> tuple[dict[str, Any], int]:
    """What the report page and the recommendation page show, and the HTTP status.

    A bad filter: 400 with the form, its errors and what was typed, no figures. The daily
    snapshot made with another STUDY_END: 409. Otherwise the report for the requested months,
    widened to whole disclosure blocks (`disclosure.period_blocks`), on the chosen freeze."""
    access.require_researcher(request.user)
    study = study_period()
    form = ReportPeriodForm(request.GET or None)
    source_form = FreezeChoiceForm(request.GET or None, freezes=list(freezes_newest_first()))
    context: dict[str, Any] = {
        "form": form,
        "source_form": source_form,
        "study": study,
        "definitions": DEFINITIONS,
        "min_cell_size": MIN_CELL_SIZE,
        "late_entry_days": LATE_ENTRY_DAYS,
    }
    if form.is_bound and not (form.is_valid() & source_form.is_valid()):
        return context, 400
    freeze = source_form.chosen() if source_form.is_bound else source_form_default(source_form)
    if freeze is None:
        try:
            check_study_end(study.end)
        except StudyEndChanged as error:
            context["study_end_changed"] = str(error)
            return context, 409
    requested = form.month_period()
    months, report = report_for_months(requested, freeze)
    effects = report.effects
    risk_shown = bool(effects and effects.risk_shown)
    query = {
        "van": _month_value(months.first_month),
        "tot": _month_value(months.last_month),
        "freeze": str(freeze.pk) if freeze else DAILY_SNAPSHOT,
    }
    context |= {
        "report": report,
        "requested_period": requested,
        "months": months,
        "widened": months != requested,
        "source_label": (
            _("datafreeze %(label)s") % {"label": freeze.label}
            if freeze
            else _("actuele metingen, geen bevriezing")
        ),
        "chart": km_chart([arm.curve for arm in report.arms]),
        "means_shown": not any(arm.measured.suppressed for arm in report.arms),
        "risk_shown": risk_shown,
        "forest": (
            forest_chart(effects.forest, effects.estimates.risk_difference if risk_shown else None)
            if effects
            else None
        ),
        "report_url": reverse("evaluation:home") + "?" + urlencode(query),
        "recommendation_url": reverse("evaluation:recommendation") + "?" + urlencode(query),
    }
    return context, 200


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The researcher's home page: the evaluation report for a range of referral months.

    Researchers only. The measurements come from the chosen data freeze (default: the latest),
    or from the daily snapshot when there is none or it is chosen; the page names its source.
    The period is widened to whole disclosure blocks and the page says so. The figures are added
    up from the source's rows computed ahead of time (`evaluation.aggregates`; the page says as
    of when), or computed live while there are none. A fixed number of queries."""
    context, status = _report_context(request)
    return render(request, "evaluation/home.html", context, status=status)


@require_GET
def recommendation(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The printable recommendation report: the CONSORT flow, Table 1, the effect estimates
    with the forest plot, satisfaction, the three-month figures and the definitions, for the
    same period and freeze as the report page, with the same disclosure control and access."""
    context, status = _report_context(request)
    return render(request, "evaluation/recommendation.html", context, status=status)


@require_POST
def refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queue a new computation of the daily snapshot's report rows (`aggregates`), and go back
    to the report for the same months. Researchers only. A freeze's rows are not computed again:
    they stay as of the freeze."""
    access.require_researcher(request.user)
    if report_refresh_request():
        messages.success(
            request,
            gettext(
                "De cijfers worden opnieuw berekend. Bij een miljoen zaken duurt dat ongeveer "
                "een halve minuut; vernieuw daarna deze pagina."
            ),
        )
    else:
        messages.info(
            request,
            gettext(
                "De cijfers worden al opnieuw berekend. Vernieuw deze pagina over een halve minuut."
            ),
        )
    form = ReportPeriodForm(request.POST)
    query = {"freeze": DAILY_SNAPSHOT}
    if form.is_valid():
        months = form.month_period()
        query |= {"van": _month_value(months.first_month), "tot": _month_value(months.last_month)}
    return redirect(reverse("evaluation:home") + "?" + urlencode(query))
