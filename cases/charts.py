"""Coordinates for the coordinator dashboard's server-drawn SVG inflow chart; the template
(cases/dashboard.html) only places them."""

import datetime
import math
from dataclasses import dataclass

from bip.lib.svg import units

from .dashboard import InflowWeek

# The inflow chart's drawing area, in SVG user units (the SVG scales to its container).
CHART_LEFT = 44  # room for the y-axis labels
CHART_RIGHT = 8
CHART_TOP = 30  # room for the "Herfst" label above the bars
CHART_PLOT_HEIGHT = 240
CHART_BOTTOM = 28  # room for the month labels
CHART_SLOT = 12  # one week
CHART_BAR = 9
CHART_TICKS = 4
# Bottom to top: the order of the stacked segments and of the legend.
SEGMENTS = ("bip", "control", "unallocated")


@dataclass(frozen=True)
class ChartBar:
    week: InflowWeek
    x: str
    segments: list[dict]  # {"kind", "y", "height"}


def nice_axis_max(largest: int, ticks: int = CHART_TICKS) -> int:
    """The top of the y-axis: `ticks` equal whole steps of 1, 2, 2.5 or 5 × 10ⁿ that reach
    `largest`, the smallest such step."""
    if largest <= ticks:
        return ticks
    rough = largest / ticks
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(
        m * magnitude
        for m in (1, 2, 2.5, 5, 10)
        if m * magnitude >= rough and float(m * magnitude).is_integer()
    )
    return int(step) * ticks


def _slot_x(index: int) -> float:
    return CHART_LEFT + index * CHART_SLOT


def _bars(weeks: list[InflowWeek], *, baseline: int, scale: float) -> list[ChartBar]:
    """One stacked bar per week, segments bottom to top in SEGMENTS order."""
    bars = []
    for index, week in enumerate(weeks):
        top = float(baseline)
        segments = []
        for kind in SEGMENTS:
            count = getattr(week, kind)
            if not count:
                continue
            height = count * scale
            top -= height
            segments.append({"kind": kind, "y": units(top), "height": units(height)})
        bars.append(
            ChartBar(
                week=week,
                x=units(_slot_x(index) + (CHART_SLOT - CHART_BAR) / 2),
                segments=segments,
            )
        )
    return bars


def _month_labels(weeks: list[InflowWeek]) -> list[dict]:
    """A month label under the first week whose Thursday falls in that month; the first week
    only if it is the month's first week, so that two labels never share a slot."""
    months = []
    previous_month = None
    for index, week in enumerate(weeks):
        thursday = week.start + datetime.timedelta(days=3)
        if thursday.month != previous_month and (index > 0 or thursday.day <= 7):
            months.append({"date": thursday, "x": units(_slot_x(index))})
        previous_month = thursday.month
    return months


def _autumn_bands(weeks: list[InflowWeek]) -> list[dict]:
    """One background band per run of consecutive autumn weeks."""
    bands = []
    run_start = None
    for index, week in enumerate([*weeks, None]):
        autumn = week is not None and week.is_autumn
        if autumn and run_start is None:
            run_start = index
        elif not autumn and run_start is not None:
            x = _slot_x(run_start)
            width = (index - run_start) * CHART_SLOT
            bands.append({"x": units(x), "width": units(width), "label_x": units(x + width / 2)})
            run_start = None
    return bands


def inflow_chart(weeks: list[InflowWeek]) -> dict:
    """Coordinates for the server-drawn SVG bar chart: stacked bars per week, the y-axis
    gridlines, the month labels and the autumn bands."""
    axis_max = nice_axis_max(max((week.total for week in weeks), default=0))
    plot_width = CHART_SLOT * len(weeks)
    baseline = CHART_TOP + CHART_PLOT_HEIGHT
    scale = CHART_PLOT_HEIGHT / axis_max
    ticks = [
        {"value": value, "y": units(baseline - value * scale)}
        for value in (axis_max * step // CHART_TICKS for step in range(CHART_TICKS + 1))
    ]
    return {
        "width": CHART_LEFT + plot_width + CHART_RIGHT,
        "height": baseline + CHART_BOTTOM,
        "plot_left": CHART_LEFT,
        "plot_right": CHART_LEFT + plot_width,
        "plot_top": CHART_TOP,
        "plot_height": CHART_PLOT_HEIGHT,
        "bar_width": CHART_BAR,
        "baseline": baseline,
        "label_y": baseline + 18,
        "band_label_y": CHART_TOP - 10,
        "axis_label_x": CHART_LEFT - 6,
        "bars": _bars(weeks, baseline=baseline, scale=scale),
        "ticks": ticks,
        "months": _month_labels(weeks),
        "bands": _autumn_bands(weeks),
    }
