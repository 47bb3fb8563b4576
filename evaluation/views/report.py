"""The researcher's home page: the evaluation report, BIP arm against control arm."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from ..definitions import DEFINITIONS
from ..forms import FreezeChoiceForm
from ..freezes import freezes_newest_first
from ..report import LATE_ENTRY_DAYS, KaplanMeierCurve, ReportPeriod, evaluation_report_cached
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


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportPeriodForm(forms.Form):
    """The report's filter: referral dates from and to. Empty: the study period's bound."""

    date_from = forms.DateField(
        label=_("Meldingen vanaf"),
        required=False,
        widget=_date_input(),
        help_text=_("Leeg: begin van de studie."),
        error_messages={"invalid": _("Vul een geldige datum in, bijvoorbeeld 01-09-2024.")},
    )
    date_to = forms.DateField(
        label=_("Meldingen tot en met"),
        required=False,
        widget=_date_input(),
        help_text=_("Leeg: einde van de studie."),
        error_messages={"invalid": _("Vul een geldige datum in, bijvoorbeeld 31-08-2025.")},
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error(
                "date_to",
                _("De einddatum ligt vóór de begindatum. Kies een einddatum op of na %(day)s.")
                % {"day": date_from.strftime("%d-%m-%Y")},
            )
        return cleaned


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


def source_form_default(source_form: FreezeChoiceForm):
    """The latest freeze, or None (the daily snapshot) when there is none."""
    return next(iter(source_form.freezes.values()), None)


@require_GET
def home(request: AuthenticatedHttpRequest):
    """The researcher's home page: the evaluation report for a period of referral dates.

    Researchers only. A bad filter answers 400 with the form and its errors, no figures.
    The measurements come from the chosen data freeze (default: the latest), or from the
    daily snapshot when there is none or it is chosen; the page names its source. The daily
    snapshot is not shown while it was made with another STUDY_END than the one in force: the
    page says so (409) and how to restate it. A fixed number of queries (see
    `evaluation.report`).
    """
    access.require_researcher(request.user)
    study = study_period()
    form = ReportPeriodForm(
        request.GET or None, initial={"date_from": study.start, "date_to": study.end}
    )
    source_form = FreezeChoiceForm(request.GET or None, freezes=list(freezes_newest_first()))
    context = {
        "form": form,
        "source_form": source_form,
        "study": study,
        "definitions": DEFINITIONS,
        "min_cell_size": MIN_CELL_SIZE,
        "late_entry_days": LATE_ENTRY_DAYS,
    }
    if form.is_bound and not (form.is_valid() & source_form.is_valid()):
        return render(request, "evaluation/home.html", context, status=400)
    cleaned = form.cleaned_data if form.is_bound else {}
    freeze = source_form.chosen() if source_form.is_bound else source_form_default(source_form)
    if freeze is None:
        try:
            check_study_end(study.end)
        except StudyEndChanged as error:
            context["study_end_changed"] = str(error)
            return render(request, "evaluation/home.html", context, status=409)
    period = ReportPeriod(
        date_from=cleaned.get("date_from") or study.start,
        date_to=cleaned.get("date_to") or study.end,
    )
    report = evaluation_report_cached(period, freeze)
    context |= {"report": report, "chart": km_chart([arm.curve for arm in report.arms])}
    return render(request, "evaluation/home.html", context)
