"""Coordinates for the report's server-drawn SVG charts: the Kaplan-Meier chart and the forest
plot. The templates (evaluation/_km_chart.html, evaluation/_forest.html) only place them."""

import math
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from bip.lib.svg import units

from .estimates import STRATUM_LABEL_SEPARATOR
from .report import ForestRow, KaplanMeierCurve

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
        path = [f"M{units(x(0))},{units(y(0))}"]
        for step in curve.steps:
            if step.events:
                path.append(f"H{units(x(step.time))}V{units(y(step.cumulative_incidence))}")
        path.append(f"H{units(x(curve.steps[-1].time))}")
        lines.append({"arm": curve.arm, "path": "".join(path)})
    return {
        "width": KM_LEFT + KM_PLOT_WIDTH + KM_RIGHT,
        "height": baseline + KM_BOTTOM,
        "plot_left": KM_LEFT,
        "plot_right": KM_LEFT + KM_PLOT_WIDTH,
        "plot_top": KM_TOP,
        "baseline": baseline,
        "day_label_y": baseline + 18,
        "axis_title_x": units(KM_LEFT + KM_PLOT_WIDTH / 2),
        "axis_title_y": baseline + 38,
        "percent_label_x": KM_LEFT - 6,
        "day_ticks": [{"day": day, "x": units(x(day))} for day in KM_DAY_TICKS],
        "percent_ticks": [
            {"percent": percent, "y": units(y(percent / 100))} for percent in KM_PERCENT_TICKS
        ],
        "lines": lines,
    }


# The forest plot's drawing area, in SVG user units (the SVG scales to its container).
FOREST_LABEL_WIDTH = 270  # the strata's names, right-aligned at FOREST_LABEL_WIDTH - 10
FOREST_PLOT_WIDTH = 340
FOREST_RIGHT = 20
FOREST_TOP = 12
FOREST_ROW_HEIGHT = 34  # two lines of label: the melding type, then the school level
FOREST_BOTTOM = 44  # room for the tick labels and the axis title


def _nice_step(span: float) -> int:
    for step in (5, 10, 20, 25, 50):
        if span / step <= 8:
            return step
    return 50


def _forest_axis(drawn: list[Any]) -> tuple[int, int, int]:
    """(low, high, step) of the axis in percentage points: whole steps covering 0 and every
    drawn CI, within -100 to 100, at least two steps wide."""
    lows = [100 * e.low for e in drawn if e.low is not None]
    highs = [100 * e.high for e in drawn if e.high is not None]
    low = max(-100.0, min([0.0, *lows]))
    high = min(100.0, max([0.0, *highs]))
    step = _nice_step(max(high - low, 10.0))
    axis_low = max(-100, step * math.floor(low / step))
    axis_high = min(100, step * math.ceil(high / step))
    if axis_high - axis_low < 2 * step:
        if axis_low > -100:
            axis_low -= step
        else:
            axis_high += step
    return axis_low, axis_high, step


def _forest_items(rows: list[ForestRow], overall: Any | None) -> list[dict[str, Any]]:
    """The plot's rows, top to bottom: the strata (no estimate when hidden), then the overall
    estimate when there is one."""
    items: list[dict[str, Any]] = [
        {"label": row.label, "estimate": row.estimate if row.shown else None, "overall": False}
        for row in rows
    ]
    if overall is not None:
        items.append({"label": _("Alle strata samen"), "estimate": overall, "overall": True})
    return items


def _diamond(centre: float, y: float) -> str:
    """The overall estimate's diamond as SVG polygon points around (centre, y)."""
    return " ".join(
        f"{units(px)},{units(py)}"
        for px, py in (
            (centre - 7, y),
            (centre, y - 7),
            (centre + 7, y),
            (centre, y + 7),
        )
    )


def _forest_row(index: int, item: dict[str, Any], x: Callable[[float], str]) -> dict[str, Any]:
    """Coordinates of one row of the plot: its label, and its mark and CI when drawn."""
    y = FOREST_TOP + index * FOREST_ROW_HEIGHT + FOREST_ROW_HEIGHT / 2
    estimate = item["estimate"]
    row: dict[str, Any] = {
        "label": item["label"],
        # "melding type, school level" on two lines: on one, the longest strata ran past the
        # chart's left edge.
        "label_lines": str(item["label"]).split(STRATUM_LABEL_SEPARATOR, 1),
        "overall": item["overall"],
        "y": units(y),
        "label_x": FOREST_LABEL_WIDTH - 10,
        # "niet getoond" starts inside the plot: at the zero line it ran past the right edge
        # whenever the axis ends at zero.
        "hidden_x": FOREST_LABEL_WIDTH + 6,
        "drawn": estimate is not None,
    }
    if estimate is not None:
        centre = float(x(100 * estimate.value))
        row |= {
            "x": units(centre),
            "x_low": x(100 * estimate.low),
            "x_high": x(100 * estimate.high),
            "box": units(centre - 5),
            "box_y": units(y - 5),
            "diamond": _diamond(centre, y),
        }
    return row


def forest_chart(rows: list[ForestRow], overall: Any | None) -> dict[str, Any]:
    """Coordinates for the server-drawn forest plot: per stratum the risk difference BIP -
    control in percentage points with its 95 % CI (a square and a line), and the overall
    estimate (a diamond) when `overall` (an `estimates.Estimate`) is given. A stratum whose
    counts must stay hidden is listed without a mark."""
    drawn = [row.estimate for row in rows if row.shown]
    if overall is not None:
        drawn.append(overall)
    low, high, step = _forest_axis(drawn)
    plot_left = FOREST_LABEL_WIDTH
    plot_right = plot_left + FOREST_PLOT_WIDTH

    def x(points: float) -> str:
        points = min(max(points, low), high)
        return units(plot_left + (points - low) * FOREST_PLOT_WIDTH / (high - low))

    items = _forest_items(rows, overall)
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
        "axis_title_x": units(plot_left + FOREST_PLOT_WIDTH / 2),
        "axis_title_y": baseline + 38,
        "ticks": [{"points": points, "x": x(points)} for points in range(low, high + 1, step)],
        "rows": [_forest_row(index, item, x) for index, item in enumerate(items)],
    }
