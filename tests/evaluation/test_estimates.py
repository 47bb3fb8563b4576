"""Effect estimates (evaluation.estimates) against published worked examples."""

import datetime

import numpy as np
import pytest

from evaluation.constants import Arm
from evaluation.definitions import MeasurementStatus
from evaluation.estimates import (
    NOT_REACHED,
    TOO_FEW,
    Sums,
    SurvivalGroups,
    compute_estimates,
    cox_hazard_ratio,
    effect_estimates,
    km_median,
    logrank,
    mean_difference,
    risk_difference,
    risk_ratio,
)
from evaluation.models import Measurement
from evaluation.periods import MonthPeriod
from tests.factories import CaseFactory

# Freireich et al. (1963), remission times in weeks of 42 children with acute leukaemia
# ("gehan" in R's MASS): 6-mercaptopurine (treated) against placebo; 0 = censored.
SIX_MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1),
          (16, 1), (17, 0), (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0),
          (34, 0), (35, 0)]  # fmt: skip
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def gehan(placebo_as=1):
    """Arm `placebo_as` for placebo (the 'BIP' code 1 is the arm whose hazard is on top)."""
    rows = [(placebo_as, t, e) for t, e in PLACEBO] + [(1 - placebo_as, t, e) for t, e in SIX_MP]
    arm, time, event = zip(*rows, strict=True)
    return SurvivalGroups.from_cases(arm, time, event)


# ---------------------------------------------------------------- proportions


def test_newcombe_worked_examples():
    """Newcombe (1998), Stat Med 17:873-890, table II, method 10 (hybrid score)."""
    estimate = risk_difference(56, 70, 48, 80)
    assert estimate.value == pytest.approx(0.2)
    assert (round(estimate.low, 4), round(estimate.high, 4)) == (0.0524, 0.3339)
    estimate = risk_difference(9, 10, 3, 10)
    assert (round(estimate.low, 4), round(estimate.high, 4)) == (0.1705, 0.8090)


def test_risk_ratio_katz():
    estimate = risk_ratio(56, 70, 48, 80)
    assert estimate.value == pytest.approx(0.8 / 0.6)
    # Katz: exp(log RR +- 1.96 sqrt(1/a - 1/n1 + 1/c - 1/n2))
    se = np.sqrt(1 / 56 - 1 / 70 + 1 / 48 - 1 / 80)
    assert estimate.low == pytest.approx(0.8 / 0.6 * np.exp(-1.959964 * se), rel=1e-5)
    assert estimate.high == pytest.approx(0.8 / 0.6 * np.exp(1.959964 * se), rel=1e-5)


def test_small_arms_are_not_computed():
    assert risk_difference(1, 4, 10, 20).reason == TOO_FEW
    assert not risk_difference(0, 0, 0, 0).computable
    assert not risk_ratio(0, 10, 3, 10).computable


# ---------------------------------------------------------------- survival


def phreg(*args, **kwargs):
    """statsmodels' PHReg, imported when used: statsmodels takes ~1.2 s to import, which every
    test process would otherwise pay while collecting this module."""
    from statsmodels.duration.hazard_regression import PHReg

    return PHReg(*args, **kwargs)


def test_cox_gehan_matches_published_and_phreg():
    """Placebo against 6-MP: HR 4.82 (95 % CI 2.15-10.81) with Efron ties, as R's coxph."""
    estimate = cox_hazard_ratio(gehan())
    assert estimate.value == pytest.approx(4.817, abs=0.001)
    assert estimate.low == pytest.approx(2.147, abs=0.001)
    assert estimate.high == pytest.approx(10.81, abs=0.01)
    groups = gehan()
    fit = phreg(
        groups.time, groups.arm[:, None].astype(float), status=groups.event, ties="efron"
    ).fit()
    assert np.log(estimate.value) == pytest.approx(fit.params[0], abs=1e-8)
    assert estimate.p == pytest.approx(fit.pvalues[0], rel=1e-6)


def test_cox_stratified_matches_phreg_on_random_aggregated_data():
    rng = np.random.default_rng(7)
    n = 600
    arm = rng.integers(0, 2, n)
    stratum = rng.integers(0, 4, n)
    time = rng.integers(1, 30, n).astype(float)
    event = rng.random(n) < 0.4 + 0.2 * arm
    per_case = SurvivalGroups.from_cases(arm, time, event, stratum)
    fit = phreg(time, arm[:, None].astype(float), status=event.astype(float), strata=stratum,
                ties="efron").fit()  # fmt: skip
    # The same cases aggregated to (arm, stratum, time, event, count) rows.
    keys, counts = np.unique(np.stack([arm, stratum, time, event], axis=1), axis=0,
                             return_counts=True)  # fmt: skip
    aggregated = SurvivalGroups.from_rows(
        [(*key, count) for key, count in zip(keys, counts, strict=True)]
    )
    for groups in (per_case, aggregated):
        estimate = cox_hazard_ratio(groups)
        assert np.log(estimate.value) == pytest.approx(fit.params[0], abs=1e-8)
        se = fit.bse[0]
        assert np.log(estimate.high) - np.log(estimate.low) == pytest.approx(
            2 * 1.959964 * se, rel=1e-5
        )


def test_logrank_gehan():
    """The published log-rank test: chi-square 16.8 on 1 df, p = 4.2e-5."""
    estimate = logrank(gehan())
    assert estimate.statistic == pytest.approx(16.79, abs=0.01)
    assert estimate.p == pytest.approx(4.17e-5, rel=0.01)


def test_km_median_gehan():
    """Placebo median 8 weeks, 6-MP 23 weeks."""
    groups = gehan()
    assert km_median(groups, 1).value == 8
    assert km_median(groups, 0).value == 23


def test_km_median_not_reached_and_too_few():
    groups = SurvivalGroups.from_cases([1] * 10 + [0] * 3, [90] * 13, [1, 1] + [0] * 11)
    assert km_median(groups, 1).reason == NOT_REACHED
    assert km_median(groups, 0).reason == TOO_FEW
    assert cox_hazard_ratio(groups).reason == TOO_FEW
    assert not logrank(SurvivalGroups.from_rows([])).computable


def test_strata_with_one_arm_each_are_not_a_500():
    """Every stratum holds one arm only: no stratified comparison exists (survdiff's matrix is
    singular); the estimates say so instead of raising."""
    groups = SurvivalGroups.from_cases(
        [1] * 6 + [0] * 6, list(range(1, 13)), [1] * 12, stratum=[0] * 6 + [1] * 6
    )
    assert not logrank(groups).computable
    assert not cox_hazard_ratio(groups).computable
    assert logrank(groups, stratified=False).computable


def test_cox_without_events_in_an_arm():
    groups = SurvivalGroups.from_cases([1] * 6 + [0] * 6, [10] * 12, [1] * 6 + [0] * 6)
    assert not cox_hazard_ratio(groups).computable


# ---------------------------------------------------------------- means


def test_welch_against_scipy():
    from scipy import stats

    a = np.array([3, 5, 2, 8, 6, 4, 7])
    b = np.array([1, 2, 2, 3, 1, 4, 2, 2])
    estimate = mean_difference(
        Sums(len(a), a.sum(), (a**2).sum()), Sums(len(b), b.sum(), (b**2).sum())
    )
    result = stats.ttest_ind(a, b, equal_var=False)
    low, high = result.confidence_interval()
    assert estimate.value == pytest.approx(a.mean() - b.mean())
    assert (estimate.low, estimate.high) == (pytest.approx(low), pytest.approx(high))
    assert estimate.p == pytest.approx(result.pvalue)


def test_no_spread_is_not_computed():
    assert not mean_difference(Sums(5, 5, 5), Sums(5, 10, 20)).computable


def test_compute_estimates_empty():
    estimates = compute_estimates(survival_rows=[], contact_rows=[], sums={})
    assert not estimates.risk_difference.computable
    assert not estimates.hazard_ratio.computable
    assert estimates.strata == []


# ---------------------------------------------------------------- from the database


@pytest.mark.django_db
def test_effect_estimates_from_measurements(django_assert_num_queries):
    received = datetime.date(2024, 2, 1)

    def measure(arm, suitable, days, first_contact, contacts):
        case = CaseFactory(arm=arm, date_received=received, melding_type="lrv")
        Measurement.objects.create(
            case=case, arm=arm, date_received=received, measured_on=case.three_month_deadline,
            status=MeasurementStatus.MEASURED, suitable=suitable,
            days_to_outcome=days if suitable else None, days_to_first_contact=first_contact,
            distinct_professionals=1, handovers=0, contacts=contacts, furthest_stage="leerplicht",
            km_days=days if suitable else 91, km_event=suitable, definitions_version=1,
        )  # fmt: skip

    for index in range(8):
        measure(Arm.BIP, index < 6, 20 + index, 3 if index < 7 else None, 4 + index % 3)
    for index in range(10):
        measure(Arm.CONTROL, index < 4, 40 + index, 10, 2 + index % 2)
    with django_assert_num_queries(3):
        estimates = effect_estimates(MonthPeriod.parse("2024-01", "2024-03"))
    assert (estimates.events_bip, estimates.n_bip) == (6, 8)
    assert (estimates.events_control, estimates.n_control) == (4, 10)
    assert estimates.risk_difference.value == pytest.approx(6 / 8 - 4 / 10)
    assert estimates.hazard_ratio.value > 1
    # BIP: outcomes on days 20-25 of 8 cases; S(23) = 0.5 exactly and statsmodels takes the
    # first day with S(t) < 0.5.
    assert estimates.km_median[0].value == 24
    assert estimates.first_contact_median[0].value == 3
    assert estimates.mean_differences["contacts"].value == pytest.approx(
        np.mean([4 + i % 3 for i in range(8)]) - np.mean([2 + i % 2 for i in range(10)])
    )
    # Everything is in one stratum here (school level from the factory).
    assert sum(row.n_bip for row in estimates.strata) == 8
    empty = effect_estimates(MonthPeriod.parse("2025-01", "2025-01"))
    assert not empty.risk_difference.computable
