"""The researcher's home page: the evaluation report, BIP arm against control arm."""

import math
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from ..definitions import DEFINITIONS
from ..forms import DAILY_SNAPSHOT, FreezeChoiceForm, ReportPeriodForm
from ..freezes import freezes_newest_first
from ..models import DataFreeze
from ..report import (
    LATE_ENTRY_DAYS,
    ForestRow,
    KaplanMeierCurve,
    ReportPeriod,
    evaluation_report_cached,
    referral_blocks,
)
from ..selectors import MIN_CELL_SIZE
from ..snapshots import StudyEndChanged, check_study_end
from ..study import study_period

# The Kaplan-Meier chart's drawing area, in SVG user units (the SVG scales to its container).
KM_LEFT = 52  # room for the percentages
KM_RIGHT = 16
KM_TOP = 16
KM_PLOT_WIDTH = 560
KM_PLOT_HEIGHT = 260
KM_BOTTOM = 44  # room for the day labels and the axis title
KM_MAX_DAYS = 92  # the longest three months (e.g. 1 July -> 1 October)
KM_DAY_TICKS = (0, 15, 30, 45, 60, 75, 90)
KM_PERCENT_TICKS = (0, 25, 50, 75, 100)


def _units(value: float) -> str:
    # SVG coordinates are written with a decimal point, whatever the page's language.
    return f"{value:.1f}"


def km_chart(curves: list[KaplanMeierCurve]) -> dict:
    """Coordinates for the server-drawn Kaplan-Meier chart: one step line per drawn arm
    (the proportion that reached a suitable outcome, 1 - S(t)), the axes and gridlines."""
    baseline = KM_TOP + KM_PLOT_HEIGHT

    def x(day: float) -> float:
        return KM_LEFT + min(day, KM_MAX_DAYS) * KM_PLOT_WIDTH / KM_MAX_DAYS

    def y(proportion: float) -> float:
        return baseline - proportion * KM_PLOT_HEIGHT

    lines = []
    for curve in curves:
        if not curve.drawn or not curve.steps:
            continue
        path = [f"M{_units(x(0))},{_units(y(0))}"]
        for step in curve.steps:
            if step.events:
                path.append(f"H{_units(x(step.time))}V{_units(y(step.cumulative_incidence))}")
        path.append(f"H{_units(x(curve.steps[-1].time))}")
        lines.append({"arm": curve.arm, "path": "".join(path)})
    return {
        "width": KM_LEFT + KM_PLOT_WIDTH + KM_RIGHT,
        "height": baseline + KM_BOTTOM,
        "plot_left": KM_LEFT,
        "plot_right": KM_LEFT + KM_PLOT_WIDTH,
        "plot_top": KM_TOP,
        "baseline": baseline,
        "day_label_y": baseline + 18,
        "axis_title_x": _units(KM_LEFT + KM_PLOT_WIDTH / 2),
        "axis_title_y": baseline + 38,
        "percent_label_x": KM_LEFT - 6,
        "day_ticks": [{"day": day, "x": _units(x(day))} for day in KM_DAY_TICKS],
        "percent_ticks": [
            {"percent": percent, "y": _units(y(percent / 100))} for percent in KM_PERCENT_TICKS
        ],
        "lines": lines,
    }


def source_form_default(source_form: FreezeChoiceForm) -> DataFreeze | None:
    """The latest freeze, or None (the daily snapshot) when there is none."""
    return next(iter(source_form.freezes.values()), None)


# The forest plot's drawing area, in SVG user units (the SVG scales to its container).
FOREST_LABEL_WIDTH = 270  # the strata's names, right-aligned at FOREST_LABEL_WIDTH - 10
FOREST_PLOT_WIDTH = 340
FOREST_RIGHT = 20
FOREST_TOP = 12
FOREST_ROW_HEIGHT = 30
FOREST_BOTTOM = 44  # room for the tick labels and the axis title


def _nice_step(span: float) -> int:
    for step in (5, 10, 20, 25, 50):
        if span / step <= 8:
            return step
    return 50


def forest_chart(rows: list[ForestRow], overall: Any | None) -> dict[str, Any]:
    """Coordinates for the server-drawn forest plot: per stratum the risk difference BIP -
    control in percentage points with its 95 % CI (a square and a line), and the overall
    estimate (a diamond) when `overall` (an `estimates.Estimate`) is given. A stratum whose
    counts must stay hidden is listed without a mark."""
    drawn = [row.estimate for row in rows if row.shown]
    if overall is not None:
        drawn.append(overall)
    lows = [100 * e.low for e in drawn if e.low is not None]
    highs = [100 * e.high for e in drawn if e.high is not None]
    low = max(-100.0, min([0.0, *lows]))
    high = min(100.0, max([0.0, *highs]))
    step = _nice_step(max(high - low, 10.0))
    low = max(-100, step * math.floor(low / step))
    high = min(100, step * math.ceil(high / step))
    if high - low < 2 * step:
        low, high = (low - step, high) if low > -100 else (low, high + step)
    plot_left = FOREST_LABEL_WIDTH
    plot_right = plot_left + FOREST_PLOT_WIDTH

    def x(points: float) -> str:
        points = min(max(points, low), high)
        return _units(plot_left + (points - low) * FOREST_PLOT_WIDTH / (high - low))

    items: list[dict[str, Any]] = [
        {"label": row.label, "estimate": row.estimate if row.shown else None, "overall": False}
        for row in rows
    ]
    if overall is not None:
        items.append({"label": _("Alle strata samen"), "estimate": overall, "overall": True})
    chart_rows = []
    for index, item in enumerate(items):
        y = FOREST_TOP + index * FOREST_ROW_HEIGHT + FOREST_ROW_HEIGHT / 2
        estimate = item["estimate"]
        row: dict[str, Any] = {
            "label": item["label"],
            "overall": item["overall"],
            "y": _units(y),
            "label_x": FOREST_LABEL_WIDTH - 10,
            "drawn": estimate is not None,
        }
        if estimate is not None:
            centre = float(x(100 * estimate.value))
            row |= {
                "x": _units(centre),
                "x_low": x(100 * estimate.low),
                "x_high": x(100 * estimate.high),
                "box": _units(centre - 5),
                "box_y": _units(y - 5),
                "diamond": " ".join(
                    f"{_units(px)},{_units(py)}"
                    for px, py in (
                        (centre - 7, y),
                        (centre, y - 7),
                        (centre + 7, y),
                        (centre, y + 7),
                    )
                ),
            }
        chart_rows.append(row)
    baseline = FOREST_TOP + len(items) * FOREST_ROW_HEIGHT
    return {
        "width": plot_right + FOREST_RIGHT,
        "height": baseline + FOREST_BOTTOM,
        "plot_left": plot_left,
        "plot_right": plot_right,
        "plot_top": FOREST_TOP,
        "baseline": baseline,
        "zero_x": x(0),
        "tick_label_y": baseline + 18,
        "axis_title_x": _units(plot_left + FOREST_PLOT_WIDTH / 2),
        "axis_title_y": baseline + 38,
        "ticks": [{"points": points, "x": x(points)} for points in range(low, high + 1, step)],
        "rows": chart_rows,
    }


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
    months = referral_blocks().widen(requested)
    report = evaluation_report_cached(ReportPeriod.from_months(months), freeze)
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
    The period is widened to whole disclosure blocks and the page says so. A fixed number of
    queries (see `evaluation.report`)."""
    context, status = _report_context(request)
    return render(request, "evaluation/home.html", context, status=status)


@require_GET
def recommendation(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The printable recommendation report: the CONSORT flow, Table 1, the effect estimates
    with the forest plot, satisfaction, the three-month figures and the definitions, for the
    same period and freeze as the report page, with the same disclosure control and access."""
    context, status = _report_context(request)
    return render(request, "evaluation/recommendation.html", context, status=status)
