"""Effect estimates of the evaluation: BIP against control, intention to treat (ITT).

Every case counts in its allocated arm (the arm of its first allocation, `arms.allocated_arm`,
as stored in the measurement rows). The estimates read the same measurement rows as the report
(a data freeze, or the daily snapshot), aggregated in the database: no query returns a row per
case, the largest is arm x stratum x follow-up day x event (at most 2 x strata x 93 x 2 rows).

- suitable outcome within three months: the risk difference BIP - control with the Newcombe
  hybrid score (Wilson) 95 % CI, and the risk ratio with the Katz log 95 % CI (statsmodels
  `confint_proportions_2indep`), over the measured cases (status gemeten);
- time to a suitable outcome (`km_days`, `km_event`, all rows; censored included): the
  Kaplan-Meier median per arm with its CI (statsmodels `SurvfuncRight`, frequency weights), the
  hazard ratio BIP / control of a Cox model stratified by the randomisation stratum (melding
  type x school level, `services.stratum_key`) with its Wald 95 % CI, and the stratified
  log-rank test (statsmodels `survdiff`);
- days to first contact: Kaplan-Meier median per arm; a case without contact is censored at
  its follow-up (`km_days`), not dropped;
- contacts, professionals and handovers: difference in means BIP - control with the Welch
  95 % CI, from the sums the database returns;
- per stratum: the risk difference with its Newcombe CI, for the forest plot.

Why the Cox model is not statsmodels `PHReg`: `PHReg` takes one row per case and has no
frequency weights; at a million cases it needs ~25 s. With one binary covariate the Efron
partial likelihood depends only on the events and numbers at risk per arm, stratum and day,
so `cox_hazard_ratio` maximises that aggregated likelihood (Newton-Raphson, analytic score
and information). tests/evaluation/test_estimates.py checks it against `PHReg(ties="efron")`
on the Freireich leukaemia data and on random stratified data.

An estimate that cannot be computed (an arm too small, no events) carries a reason instead of
a number; nothing here raises on small or empty data.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

# scipy and statsmodels are imported inside the functions that use them: together they take
# about 1.5 s to import, which every process (a web worker, a test worker) paid at start-up
# through the URL configuration, although only the report's estimates need them.
from django.utils.translation import gettext_lazy as _

from . import report_inputs
from .constants import Arm
from .definitions import MeasurementStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django_stubs_ext import StrOrPromise

    from .models import DataFreeze
    from .periods import DatePeriod

ARMS = (Arm.BIP, Arm.CONTROL)
MEANS = ("contacts", "distinct_professionals", "handovers")
MEAN_LABELS = {
    "contacts": _("Aantal contacten"),
    "distinct_professionals": _("Aantal professionals dat het kind sprak"),
    "handovers": _("Aantal overdrachten"),
}
# An arm needs this many cases before any estimate is computed (the disclosure threshold).
MIN_ARM_SIZE = 5

TOO_FEW = _("niet te berekenen: minder dan 5 zaken in een arm")
NO_EVENTS = _("niet te berekenen: geen uitkomsten in een van de armen")
NOT_REACHED = _("niet bereikt: minder dan de helft bereikte de uitkomst")
NO_SPREAD = _("niet te berekenen: geen spreiding")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its 95 % CI, or the reason it cannot be computed."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    statistic: float | None = None
    reason: StrOrPromise = ""

    @property
    def computable(self) -> bool:
        return self.value is not None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else 100 * self.low

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else 100 * self.high


def not_computable(reason: StrOrPromise) -> Estimate:
    return Estimate(reason=reason)


def _finite(*values: float) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


# ---------------------------------------------------------------------- proportions


def risk_difference(events_bip: int, n_bip: int, events_control: int, n_control: int) -> Estimate:
    """p_BIP - p_control with the Newcombe hybrid score (method 10) 95 % CI."""
    from statsmodels.stats.proportion import confint_proportions_2indep  # type: ignore[import-untyped]

    if min(n_bip, n_control) < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    low, high = confint_proportions_2indep(
        events_bip, n_bip, events_control, n_control, method="newcomb", compare="diff"
    )
    return Estimate(
        value=events_bip / n_bip - events_control / n_control, low=float(low), high=float(high)
    )


def risk_ratio(events_bip: int, n_bip: int, events_control: int, n_control: int) -> Estimate:
    """p_BIP / p_control with the Katz log 95 % CI; needs an event in both arms."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    if min(n_bip, n_control) < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    if events_bip == 0 or events_control == 0:
        return not_computable(NO_EVENTS)
    low, high = confint_proportions_2indep(
        events_bip, n_bip, events_control, n_control, method="log", compare="ratio"
    )
    return Estimate(
        value=(events_bip / n_bip) / (events_control / n_control), low=float(low), high=float(high)
    )


# ---------------------------------------------------------------------- survival


@dataclass(frozen=True)
class SurvivalGroups:
    """Aggregated survival rows: per row an arm (1 BIP, 0 control), a stratum code, a time,
    whether the event happened, and how many cases share these values."""

    arm: np.ndarray
    stratum: np.ndarray
    time: np.ndarray
    event: np.ndarray
    count: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[tuple[Any, ...]]) -> SurvivalGroups:
        """From (arm 0/1, stratum code, time, event, count) tuples."""
        if not rows:
            empty = np.zeros(0)
            return cls(empty, empty.astype(int), empty, empty.astype(bool), empty.astype(int))
        array = np.array(rows, dtype=float)
        return cls(
            arm=array[:, 0].astype(int),
            stratum=array[:, 1].astype(int),
            time=array[:, 2],
            event=array[:, 3].astype(bool),
            count=array[:, 4].astype(np.int64),
        )

    @classmethod
    def from_cases(
        cls,
        arm: Any,
        time: Any,
        event: Any,
        stratum: Any = None,
    ) -> SurvivalGroups:
        """One row per case (for tests and small data)."""
        arm_array = np.asarray(arm, dtype=int)
        return cls(
            arm=arm_array,
            stratum=np.zeros_like(arm_array) if stratum is None else np.asarray(stratum, int),
            time=np.asarray(time, dtype=float),
            event=np.asarray(event, dtype=bool),
            count=np.ones_like(arm_array, dtype=np.int64),
        )

    def size(self, arm: int) -> int:
        return int(self.count[self.arm == arm].sum())

    def events(self, arm: int) -> int:
        return int(self.count[(self.arm == arm) & self.event].sum())

    def expanded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One entry per case: arm, stratum, time, event."""
        return (
            np.repeat(self.arm, self.count),
            np.repeat(self.stratum, self.count),
            np.repeat(self.time, self.count),
            np.repeat(self.event, self.count).astype(float),
        )


def km_median(groups: SurvivalGroups, arm: int) -> Estimate:
    """The Kaplan-Meier median time of one arm with its 95 % CI (cloglog)."""
    from statsmodels.duration.survfunc import SurvfuncRight  # type: ignore[import-untyped]

    chosen = groups.arm == arm
    if groups.count[chosen].sum() < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    if not groups.event[chosen].any():
        return not_computable(NOT_REACHED)
    survival = SurvfuncRight(
        groups.time[chosen],
        groups.event[chosen].astype(float),
        freq_weights=groups.count[chosen].astype(float),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            median = survival.quantile(0.5)
            low, high = survival.quantile_ci(0.5)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, IndexError):
            return not_computable(NO_SPREAD)
    if not _finite(median):
        return not_computable(NOT_REACHED)
    return Estimate(
        value=float(median),
        low=float(low) if _finite(low) else None,
        high=float(high) if _finite(high) else None,
    )


def _risk_sets(groups: SurvivalGroups) -> tuple[np.ndarray, ...]:
    """Per stratum and distinct event time: events and numbers at risk per arm
    (D0, D1, R0, R1). Vectorised over the aggregated rows."""
    order = np.lexsort((groups.time, groups.stratum))
    stratum, time = groups.stratum[order], groups.time[order]
    arm, event, count = groups.arm[order], groups.event[order], groups.count[order]
    keys = np.stack([stratum, time], axis=1)
    unique, index = np.unique(keys, axis=0, return_inverse=True)
    index = index.ravel()
    size = len(unique)
    d0 = np.bincount(index, weights=count * event * (arm == 0), minlength=size)
    d1 = np.bincount(index, weights=count * event * (arm == 1), minlength=size)
    n0 = np.bincount(index, weights=count * (arm == 0), minlength=size)
    n1 = np.bincount(index, weights=count * (arm == 1), minlength=size)
    r0, r1 = np.zeros(size), np.zeros(size)
    # At risk at time t in a stratum: the cases of that stratum with time >= t.
    for code in np.unique(unique[:, 0]):
        rows = np.flatnonzero(unique[:, 0] == code)
        r0[rows] = np.cumsum(n0[rows][::-1])[::-1]
        r1[rows] = np.cumsum(n1[rows][::-1])[::-1]
    has_events = (d0 + d1) > 0
    return d0[has_events], d1[has_events], r0[has_events], r1[has_events]


def cox_hazard_ratio(groups: SurvivalGroups, *, max_iterations: int = 50) -> Estimate:
    """The hazard ratio BIP / control of a Cox model stratified by `groups.stratum`, Efron
    ties, with its Wald 95 % CI and p. See the module docstring for why it is aggregated."""
    from scipy import stats as scipy_stats  # type: ignore[import-untyped]

    if min(groups.size(0), groups.size(1)) < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    if groups.events(0) == 0 or groups.events(1) == 0:
        return not_computable(NO_EVENTS)
    d0, d1, r0, r1 = _risk_sets(groups)
    deaths = (d0 + d1).astype(np.int64)
    # Efron: the j-th of d tied events sees the risk set minus j/d of the tied events.
    repeat = np.repeat(np.arange(len(deaths)), deaths)
    starts = np.cumsum(deaths) - deaths
    fraction = (np.arange(deaths.sum()) - starts[repeat]) / deaths[repeat]
    a = r0[repeat] - fraction * d0[repeat]
    b = r1[repeat] - fraction * d1[repeat]
    events_bip = d1.sum()
    beta = 0.0
    information = 0.0
    for _iteration in range(max_iterations):
        weight = b * math.exp(beta)
        denominator = a + weight
        score = events_bip - np.sum(weight / denominator)
        information = float(np.sum(a * weight / denominator**2))
        if information <= 0:
            return not_computable(NO_SPREAD)
        step = score / information
        beta += max(-1.0, min(1.0, step))  # damped: no overshoot on separated data
        if abs(step) < 1e-10:
            break
    else:
        return not_computable(NO_SPREAD)
    if abs(beta) > 20:  # one arm has all the events in every risk set: no finite estimate
        return not_computable(NO_SPREAD)
    weight = b * math.exp(beta)
    information = float(np.sum(a * weight / (a + weight) ** 2))
    se = 1 / math.sqrt(information)
    z = scipy_stats.norm.ppf(0.975)
    return Estimate(
        value=math.exp(beta),
        low=math.exp(beta - z * se),
        high=math.exp(beta + z * se),
        p=float(2 * scipy_stats.norm.sf(abs(beta / se))),
    )


def logrank(groups: SurvivalGroups, *, stratified: bool = True) -> Estimate:
    """The (stratified) log-rank test of BIP against control: chi-square and p."""
    from statsmodels.duration.survfunc import survdiff

    if min(groups.size(0), groups.size(1)) < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    if not groups.event.any():
        return not_computable(NO_EVENTS)
    arm, stratum, time, event = groups.expanded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            chi2, p = survdiff(time, event, arm, strata=stratum if stratified else None)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            # e.g. every stratum holds one arm only: no within-stratum comparison exists
            return not_computable(NO_SPREAD)
    if not _finite(chi2, p):
        return not_computable(NO_SPREAD)
    return Estimate(value=float(chi2), statistic=float(chi2), p=float(p))


# ---------------------------------------------------------------------- means


@dataclass(frozen=True, slots=True)
class Sums:
    """n, sum and sum of squares of one arm's values."""

    n: int
    total: float
    total_of_squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def variance(self) -> float:
        return max(0.0, (self.total_of_squares - self.total**2 / self.n) / (self.n - 1))


def mean_difference(bip: Sums, control: Sums) -> Estimate:
    """mean_BIP - mean_control with the Welch 95 % CI (Welch-Satterthwaite df)."""
    from scipy import stats as scipy_stats

    if min(bip.n, control.n) < MIN_ARM_SIZE:
        return not_computable(TOO_FEW)
    difference = bip.mean - control.mean
    v1, v2 = bip.variance / bip.n, control.variance / control.n
    se = math.sqrt(v1 + v2)
    if se == 0:
        return not_computable(NO_SPREAD)
    df = (v1 + v2) ** 2 / (v1**2 / (bip.n - 1) + v2**2 / (control.n - 1))
    t = scipy_stats.t.ppf(0.975, df)
    p = 2 * scipy_stats.t.sf(abs(difference / se), df)
    return Estimate(value=difference, low=difference - t * se, high=difference + t * se, p=float(p))


# ---------------------------------------------------------------------- the estimates


@dataclass(frozen=True)
class StratumEstimate:
    """One row of the forest plot: the risk difference of suitable outcome in one stratum.
    The counts feed the disclosure control; the page shows them only when safe."""

    stratum: str
    label: str
    n_bip: int
    n_control: int
    events_bip: int
    events_control: int
    risk_difference: Estimate


@dataclass(frozen=True)
class EffectEstimates:
    n_bip: int  # measured cases (risk difference denominators)
    n_control: int
    events_bip: int
    events_control: int
    risk_difference: Estimate
    risk_ratio: Estimate
    km_median: list[Estimate]  # per arm in ARMS order
    hazard_ratio: Estimate
    logrank: Estimate
    first_contact_median: list[Estimate]
    mean_differences: dict[str, Estimate]
    strata: list[StratumEstimate] = field(default_factory=list)

    @property
    def mean_rows(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": MEAN_LABELS[key], "estimate": self.mean_differences[key]}
            for key in MEANS
        ]


# Between the melding type and the school level in a stratum's label (the forest plot breaks
# the label there).
STRATUM_LABEL_SEPARATOR = ", "


def stratum_label(stratum: str) -> str:
    """ "verzuim/vo" -> "Verzuim, voortgezet onderwijs" in the active language."""
    from cases.constants import MeldingType, SchoolLevel

    melding, _sep, level = stratum.partition("/")
    melding_label = dict(MeldingType.choices).get(melding, melding)
    level_label = (
        _("geen school") if level == "geen" else dict(SchoolLevel.choices).get(level, level)
    )
    return f"{melding_label}{STRATUM_LABEL_SEPARATOR}{level_label}"


# The arm as the survival models' binary covariate.
ARM_CODE = {Arm.BIP: 1, Arm.CONTROL: 0}


def compute_estimates(
    *,
    survival_rows: list[tuple[Any, ...]],
    contact_rows: list[tuple[Any, ...]],
    sums: dict[str, Any],
) -> EffectEstimates:
    """The estimates from aggregated rows (no database here).

    survival_rows: (arm, stratum, status, suitable, km_days, km_event, n);
    contact_rows: (arm, days to first contact or None, km_days, n);
    sums: {"n_<arm>", "sum_<name>_<arm>", "sumsq_<name>_<arm>"}.
    """
    strata = sorted({row[1] for row in survival_rows})
    survival = _survival_groups(survival_rows, strata)
    measured = _measured_cells(survival_rows)
    n_bip, events_bip = _arm_totals(measured, Arm.BIP)
    n_control, events_control = _arm_totals(measured, Arm.CONTROL)
    first_contact = _first_contact_groups(contact_rows)
    stratum_rows = _stratum_estimates(strata, measured)

    return EffectEstimates(
        n_bip=n_bip,
        n_control=n_control,
        events_bip=events_bip,
        events_control=events_control,
        risk_difference=risk_difference(events_bip, n_bip, events_control, n_control),
        risk_ratio=risk_ratio(events_bip, n_bip, events_control, n_control),
        km_median=[km_median(survival, ARM_CODE[arm]) for arm in ARMS],
        hazard_ratio=cox_hazard_ratio(survival),
        logrank=logrank(survival),
        first_contact_median=[km_median(first_contact, ARM_CODE[arm]) for arm in ARMS],
        mean_differences={
            name: mean_difference(
                _arm_sums(sums, name, Arm.BIP), _arm_sums(sums, name, Arm.CONTROL)
            )
            for name in MEANS
        },
        strata=stratum_rows,
    )


def _survival_groups(survival_rows: list[tuple[Any, ...]], strata: list[str]) -> SurvivalGroups:
    """Time to a suitable outcome per arm and stratum (the strata coded by their order)."""
    stratum_code = {name: index for index, name in enumerate(strata)}
    return SurvivalGroups.from_rows(
        [
            (ARM_CODE[arm], stratum_code[stratum], days, bool(event), n)
            for arm, stratum, _status, _suitable, days, event, n in survival_rows
            if arm in ARM_CODE
        ]
    )


def _measured_cells(survival_rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], list[int]]:
    """(arm, stratum) -> [measured cases, with a suitable outcome]."""
    measured: dict[tuple[str, str], list[int]] = {}
    for arm, stratum, status, suitable, _days, _event, n in survival_rows:
        if status != MeasurementStatus.MEASURED or arm not in ARM_CODE:
            continue
        cell = measured.setdefault((arm, stratum), [0, 0])
        cell[0] += n
        cell[1] += n if suitable else 0
    return measured


def _arm_totals(measured: dict[tuple[str, str], list[int]], arm: str) -> tuple[int, int]:
    """The arm's measured cases and those with a suitable outcome, over the strata."""
    cells = [value for (a, _s), value in measured.items() if a == arm]
    return sum(c[0] for c in cells), sum(c[1] for c in cells)


def _first_contact_groups(contact_rows: list[tuple[Any, ...]]) -> SurvivalGroups:
    """Days to first contact per arm; a case without contact is censored at its follow-up."""
    return SurvivalGroups.from_rows(
        [
            (ARM_CODE[arm], 0, days if days is not None else follow_up, days is not None, n)
            for arm, days, follow_up, n in contact_rows
            if arm in ARM_CODE
        ]
    )


def _stratum_estimates(
    strata: list[str], measured: dict[tuple[str, str], list[int]]
) -> list[StratumEstimate]:
    """The risk difference per stratum, for the forest plot."""
    stratum_rows = []
    for stratum in strata:
        bip = measured.get((Arm.BIP, stratum), [0, 0])
        control = measured.get((Arm.CONTROL, stratum), [0, 0])
        stratum_rows.append(
            StratumEstimate(
                stratum=stratum,
                label=stratum_label(stratum),
                n_bip=bip[0],
                n_control=control[0],
                events_bip=bip[1],
                events_control=control[1],
                risk_difference=risk_difference(bip[1], bip[0], control[1], control[0]),
            )
        )
    return stratum_rows


def _arm_sums(sums: dict[str, Any], name: str, arm: str) -> Sums:
    """The arm's count, sum and sum of squares of `name` from the aggregated `sums`."""
    return Sums(
        n=int(sums.get(f"n_{arm}") or 0),
        total=float(sums.get(f"sum_{name}_{arm}") or 0),
        total_of_squares=float(sums.get(f"sumsq_{name}_{arm}") or 0),
    )


def effect_estimates(period: DatePeriod, freeze: DataFreeze | None = None) -> EffectEstimates:
    """BIP against control (ITT) for the referrals received in `period`, measured in `freeze`
    (None: the daily snapshot). Three aggregated queries (`report_inputs`)."""
    return estimates_from_rows(
        measurements=report_inputs.measured_rows(period, freeze),
        contacts=report_inputs.contact_rows(period, freeze),
        sums=report_inputs.sum_rows(period, freeze),
    )


def estimates_from_rows(
    *,
    measurements: Iterable[tuple[Any, ...]],
    contacts: Iterable[tuple[Any, ...]],
    sums: Iterable[tuple[Any, ...]],
) -> EffectEstimates:
    """The estimates from the report's monthly rows (`report_inputs.ReportInputs`: its
    measurements, contacts and sums, of any months), added up over the months."""
    survival_rows = [
        (*key, n) for key, (n,) in report_inputs.grouped(measurements, slice(1, 7), slice(7, 8))
    ]
    contact_rows = [
        (arm, time if contacted else None, time, n)
        for (arm, time, contacted), (n,) in report_inputs.grouped(
            ((row[0], row[1], row[3], row[4], row[5]) for row in contacts),
            slice(1, 4),
            slice(4, 5),
        )
    ]
    totals: dict[str, Any] = {}
    for (arm,), values in report_inputs.grouped(sums, slice(1, 2), slice(2, None)):
        totals[f"n_{arm}"] = values[0]
        for index, name in enumerate(report_inputs.MEANS):
            totals[f"sum_{name}_{arm}"] = values[2 + 2 * index]
            totals[f"sumsq_{name}_{arm}"] = values[3 + 2 * index]
    return compute_estimates(survival_rows=survival_rows, contact_rows=contact_rows, sums=totals)
