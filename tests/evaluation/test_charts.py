"""The report's chart geometry (evaluation/charts.py): Kaplan-Meier and forest plot."""

from evaluation.charts import forest_chart, km_chart
from evaluation.constants import Arm
from evaluation.estimates import Estimate
from evaluation.report import CountCell, ForestRow, KaplanMeierCurve
from evaluation.statistics import kaplan_meier


def test_km_chart_paths():
    curve = KaplanMeierCurve(
        arm=Arm.BIP,
        n=10,
        steps=kaplan_meier([(23, True, 5), (46, False, 5)]),
        table=[],
    )
    hidden = KaplanMeierCurve(arm=Arm.CONTROL, n=None, steps=[], table=[])
    chart = km_chart([curve, hidden])
    assert len(chart["lines"]) == 1
    # Day 0 at x = 52; 23 days of 92 = a quarter of 560 units; half reached: y = 16 + 130.
    assert chart["lines"][0]["path"] == "M52.0,276.0H192.0V146.0H332.0"


def test_forest_chart_coordinates():
    shown = ForestRow(
        label="Verzuim, vo",
        n=[CountCell(10), CountCell(10)],
        suitable=[],
        estimate=Estimate(value=0.2, low=-0.1, high=0.45),
        shown=True,
    )
    hidden = ForestRow(
        label="Thuiszitter, po",
        n=[CountCell(None), CountCell(None)],
        suitable=[],
        estimate=Estimate(value=0.9, low=0.5, high=1.0),
        shown=False,
    )
    chart = forest_chart([shown, hidden], Estimate(value=0.1, low=0.0, high=0.2))
    # The axis runs from -10 to 50 points in steps of 10 over 340 units from x = 270.
    assert [tick["points"] for tick in chart["ticks"]] == [-10, 0, 10, 20, 30, 40, 50]
    assert chart["zero_x"] == "326.7"
    first, second, overall = chart["rows"]
    assert (first["x"], first["x_low"], first["x_high"]) == ("440.0", "270.0", "581.7")
    assert not second["drawn"]  # a hidden stratum gets no mark, and its CI stays off the axis
    assert overall["overall"] and overall["x"] == "383.3"


def test_forest_labels_break_after_the_melding_type_and_hidden_rows_say_so_inside_the_plot():
    """On one line the longest strata ran past the chart's left edge, and "niet getoond" at a
    zero line on the axis' right end ran past its right edge."""
    hidden = ForestRow(
        label="Langdurig relatief verzuim (LRV), (Voortgezet) speciaal onderwijs (so)",
        n=[CountCell(None), CountCell(None)],
        suitable=[],
        estimate=Estimate(value=-0.03, low=-0.05, high=0.0),
        shown=False,
    )
    chart = forest_chart([hidden], Estimate(value=-0.03, low=-0.05, high=0.0))
    row, overall = chart["rows"]
    assert row["label_lines"] == [
        "Langdurig relatief verzuim (LRV)",
        "(Voortgezet) speciaal onderwijs (so)",
    ]
    assert chart["plot_left"] < row["hidden_x"] < float(chart["zero_x"])
    assert overall["label_lines"] == [str(overall["label"])]
