"""The dashboard's inflow chart geometry (cases/charts.py)."""

import datetime

import pytest

from cases.charts import inflow_chart, nice_axis_max
from cases.dashboard import InflowWeek


@pytest.mark.parametrize(
    ("largest", "axis_max"),
    [(0, 4), (3, 4), (5, 8), (9, 20), (38, 40), (41, 80), (95, 100), (950, 1000)],
)
def test_axis_maximum_is_a_round_number(largest, axis_max):
    assert nice_axis_max(largest) == axis_max


def test_chart_bands_follow_the_autumn_weeks():
    start = datetime.date(2025, 8, 18)
    weeks = [
        InflowWeek(
            start=start + datetime.timedelta(weeks=i),
            bip=i,
            control=1,
            unallocated=0,
            is_current=False,
        )
        for i in range(4)
    ]  # 18 Aug, 25 Aug, 1 Sep (autumn), 8 Sep (autumn)
    chart = inflow_chart(weeks)
    assert chart["bands"] == [{"x": "68.0", "width": "24.0", "label_x": "80.0"}]
    assert [len(bar.segments) for bar in chart["bars"]] == [1, 2, 2, 2]
    assert [month["date"].month for month in chart["months"]] == [9]
