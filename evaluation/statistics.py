"""Small, dependency-free statistics for the evaluation report. No Django in here.

- `wilson_interval`: the Wilson score interval for a proportion;
- `mean_interval` / `mean_interval_from_sums`: a mean with its t-based confidence interval;
- `median` / `median_from_counts`: the median (the mean of the two middle values for an even
  count, as PostgreSQL's percentile_cont(0.5) and the usual statistics packages compute it);
- `kaplan_meier`: the Kaplan-Meier estimator from (time, event, count) groups.

All intervals are two-sided 95 % intervals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

# The 97.5th percentile of the standard normal distribution.
Z_975 = 1.959963984540054

# The 97.5th percentile of Student's t distribution for 1 to 30 degrees of freedom (the
# usual printed table, to four decimals). scipy is not a dependency of this project.
T_975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


def t_quantile_975(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom.

    From the table for df 1-30; above that the Cornish-Fisher expansion of t around the
    normal quantile, which is within 0.0001 of the exact value for df > 30.
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its 95 % confidence interval (None where it cannot be computed)."""

    value: float
    low: float | None
    high: float | None
    n: int


def wilson_interval(successes: int, n: int) -> Estimate:
    """The proportion `successes / n` with its Wilson score 95 % interval.

    Unlike the textbook (Wald) interval it stays within 0..1 and behaves at 0 % and 100 %.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    z2 = Z_975 * Z_975
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = Z_975 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Estimate(
        value=p, low=max(0.0, centre - half_width), high=min(1.0, centre + half_width), n=n
    )


def mean_interval_from_sums(n: int, total: int | float, total_of_squares: int | float) -> Estimate:
    """The mean with its t-based 95 % interval, from the count, sum and sum of squares.

    The database hands back these three aggregates, so no value needs to leave it. For
    integer sums the variance is computed exactly (no cancellation in n*Σx² - (Σx)²).
    With n = 1 there is no interval.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    mean = total / n
    if n == 1:
        return Estimate(value=mean, low=None, high=None, n=n)
    if isinstance(total, int) and isinstance(total_of_squares, int):
        variance = float(Fraction(n * total_of_squares - total * total, n * (n - 1)))
    else:
        variance = (total_of_squares - total * total / n) / (n - 1)
    half_width = t_quantile_975(n - 1) * math.sqrt(max(variance, 0.0) / n)
    return Estimate(value=mean, low=mean - half_width, high=mean + half_width, n=n)


def mean_interval(values: Iterable[float]) -> Estimate:
    values = list(values)
    return mean_interval_from_sums(len(values), sum(values), sum(v * v for v in values))


def median_from_counts(counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of a frequency table of (value, how many times it occurs); None if empty."""
    table = sorted((value, count) for value, count in counts if count > 0)
    n = sum(count for _, count in table)
    if not n:
        return None
    # 0-based positions of the middle value(s).
    lower_position, upper_position = (n - 1) // 2, n // 2
    lower: float | None = None
    upper: float | None = None
    seen = 0
    for value, count in table:
        if lower is None and lower_position < seen + count:
            lower = value
        if upper_position < seen + count:
            upper = value
            break
        seen += count
    # n > 0 counts every row of the table, so the loop has set both.
    assert lower is not None and upper is not None
    return (lower + upper) / 2


def median(values: Iterable[float]) -> float | None:
    return median_from_counts((value, 1) for value in values)


@dataclass(frozen=True, slots=True)
class KaplanMeierStep:
    """The estimate just after `time`: S(t) and its complement 1 - S(t)."""

    time: int
    at_risk: int  # still followed just before `time`
    events: int  # reached the outcome at `time`
    censored: int  # left the follow-up at `time` without the outcome
    survival: float  # S(t): not (yet) reached the outcome
    cumulative_incidence: float  # 1 - S(t): the proportion that reached the outcome by `time`


def kaplan_meier(groups: Iterable[tuple[int, bool, int]]) -> list[KaplanMeierStep]:
    """The Kaplan-Meier estimator from (time, event, how many) groups, one step per time.

    A case with `event` reached the outcome at `time`; one without was censored then. Cases
    censored at a time with events count as still at risk at that time (the usual
    convention: censoring happens just after the events). The survival only changes at
    times with events.
    """
    events: dict[int, int] = defaultdict(int)
    censored: dict[int, int] = defaultdict(int)
    for time, event, count in groups:
        if count < 0 or time < 0:
            raise ValueError("times and counts must not be negative")
        if event:
            events[time] += count
        else:
            censored[time] += count
    at_risk = sum(events.values()) + sum(censored.values())
    survival = 1.0
    steps = []
    for time in sorted(set(events) | set(censored)):
        d, c = events[time], censored[time]
        if d:
            survival *= 1 - d / at_risk
        steps.append(
            KaplanMeierStep(
                time=time,
                at_risk=at_risk,
                events=d,
                censored=c,
                survival=survival,
                cumulative_incidence=1 - survival,
            )
        )
        at_risk -= d + c
    return steps


def kaplan_meier_from_lists(times: Iterable[int], events: Iterable[bool]) -> list[KaplanMeierStep]:
    return kaplan_meier((time, bool(event), 1) for time, event in zip(times, events, strict=True))
