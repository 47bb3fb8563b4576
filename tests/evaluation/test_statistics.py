"""The report's statistics against values computed by hand or printed in textbooks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.statistics import (
    kaplan_meier,
    kaplan_meier_from_lists,
    mean_interval,
    mean_interval_from_sums,
    median,
    median_from_counts,
    t_quantile_975,
    wilson_interval,
)


def test_wilson_8_of_10():
    estimate = wilson_interval(8, 10)
    assert estimate.value == 0.8
    assert estimate.low == pytest.approx(0.4902, abs=1e-4)
    assert estimate.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_at_the_edges_stays_within_0_and_1():
    none = wilson_interval(0, 20)
    assert none.value == 0 and none.low == 0
    assert none.high == pytest.approx(0.1611, abs=1e-4)
    everyone = wilson_interval(20, 20)
    assert everyone.high == 1
    assert everyone.low == pytest.approx(0.8389, abs=1e-4)


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(3, 0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.7062), (4, 2.7764), (10, 2.2281), (30, 2.0423), (31, 2.0395), (40, 2.0211),
     (60, 2.0003), (120, 1.9799), (10_000, 1.9602)],
)  # fmt: skip
def test_t_quantile(df, expected):
    assert t_quantile_975(df) == pytest.approx(expected, abs=1e-4)


def test_mean_interval_by_hand():
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd sqrt(32/7), t(7) = 2.3646.
    estimate = mean_interval([2, 4, 4, 4, 5, 5, 7, 9])
    half = 2.3646 * math.sqrt(32 / 7) / math.sqrt(8)
    assert estimate.value == 5
    assert estimate.low == pytest.approx(5 - half)
    assert estimate.high == pytest.approx(5 + half)
    assert estimate.n == 8


def test_mean_interval_from_sums_matches_the_values():
    values = [1, 1, 3, 3]
    assert mean_interval_from_sums(4, 8, 20) == mean_interval(values)


def test_mean_of_one_value_has_no_interval():
    estimate = mean_interval([7])
    assert estimate.value == 7 and estimate.low is None and estimate.high is None


def test_mean_of_equal_values_has_a_zero_width_interval():
    estimate = mean_interval([3] * 6)
    assert estimate.low == estimate.high == 3


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=2, max_size=50))
def test_exact_variance_from_large_sums(values):
    estimate = mean_interval(values)
    assert estimate.low <= estimate.value <= estimate.high


def test_median():
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None
    assert median_from_counts([(10, 1), (2, 2), (7, 1)]) == 4.5  # 2, 2, 7, 10
    assert median_from_counts([(3, 0), (8, 5)]) == 8


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=60))
def test_median_from_counts_equals_the_sorted_middle(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    expected = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    assert median_from_counts(counts.items()) == expected


def test_kaplan_meier_textbook_example():
    """Freireich et al. (1963), the 6-MP arm (n = 21), as in Kleinbaum & Klein, table 2.1:
    relapse at 6, 6, 6, 7, 10, 13, 16, 22, 23 weeks; censored at 6, 9, 10, 11, 17, 19, 20,
    25, 32, 32, 34, 35."""
    relapses = [6, 6, 6, 7, 10, 13, 16, 22, 23]
    censored = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
    steps = kaplan_meier_from_lists(
        relapses + censored, [True] * len(relapses) + [False] * len(censored)
    )
    at_event_times = {step.time: step for step in steps if step.events}
    expected = {
        6: (21, 3, 0.8571),
        7: (17, 1, 0.8067),
        10: (15, 1, 0.7529),
        13: (12, 1, 0.6902),
        16: (11, 1, 0.6275),
        22: (7, 1, 0.5378),
        23: (6, 1, 0.4482),
    }
    assert set(at_event_times) == set(expected)
    for time, (at_risk, events, survival) in expected.items():
        step = at_event_times[time]
        assert (step.at_risk, step.events) == (at_risk, events)
        assert step.survival == pytest.approx(survival, abs=1e-4)
        assert step.cumulative_incidence == pytest.approx(1 - survival, abs=1e-4)
    # Censoring-only times are steps too, with the survival unchanged.
    nine = next(step for step in steps if step.time == 9)
    assert (nine.at_risk, nine.events, nine.censored) == (16, 0, 1)
    assert nine.survival == at_event_times[7].survival
    assert steps[-1].time == 35 and steps[-1].at_risk == 1


def test_kaplan_meier_from_grouped_counts_equals_from_lists():
    grouped = kaplan_meier([(6, True, 3), (6, False, 1), (7, True, 1), (9, False, 1)])
    listed = kaplan_meier_from_lists([6, 6, 6, 6, 7, 9], [True, True, True, False, True, False])
    assert grouped == listed


def test_kaplan_meier_without_censoring_is_the_empirical_proportion():
    steps = kaplan_meier([(10, True, 2), (20, True, 2), (30, False, 6)])
    assert [step.cumulative_incidence for step in steps] == pytest.approx([0.2, 0.4, 0.4])


def test_kaplan_meier_empty():
    assert kaplan_meier([]) == []
