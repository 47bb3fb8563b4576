"""The researcher's evaluation report: BIP arm against control arm, read in aggregate.

Every figure is aggregated in the database, per referral month (`report_inputs`: ten queries
whatever the data size, no row per case), and added up here over the period's months. The rows
come from the source's computation stored ahead of time (`aggregates`: with the daily snapshot
run and with each data freeze; the page says as of when) or, while there is none, from the
live queries. Both give the same report for the same data (`tests/evaluation/test_aggregates`).

Where each figure comes from (so it can be reproduced from the research export, which writes
the same `Measurement` rows with the same `definitions`).
All `Measurement` figures filter on `Measurement.date_received` in the period.

The measurements come from one source, named on the page: a data freeze the researcher picks
(its `FrozenMeasurement` rows, the same fields; default the latest freeze), or, while there is
no freeze, the daily snapshot (`Measurement`).

- referred, allocated, not yet measured: `Case` rows with date_received in the period, by
  the allocated (intention-to-treat) arm: the arm of the case's first `Allocation`, never
  `Case.arm` after a correction (not yet measured: no Measurement row yet);
- deviations: cases whose arm was corrected after their measurement date, by allocated arm;
- measured at three months / censored: `Measurement.arm`, `status` (gemeten / gecensureerd
  or verhuisd: both censored);
- % suitable outcome with the Wilson 95 % CI: `suitable` over the rows with status gemeten;
- Kaplan-Meier curve: `km_days`, `km_event` of all rows (gemeten and gecensureerd);
- median days to first contact: `days_to_first_contact` of the gemeten rows; "no contact
  within three months" counts the gemeten rows where it is empty;
- mean professionals, handovers and contacts with the t 95 % CI: `distinct_professionals`,
  `handovers`, `contacts` of the gemeten rows;
- surveyed cases: distinct `invitation.case` of child and parent `SurveyResponse` rows, by
  the case's allocated arm, for referrals (`case.date_received`) in the period;
- mean grade and mean score per statement with the t 95 % CI: `SurveyResponse.grade` and
  `SurveyAnswer.score` by `respondent_type` and arm: for a child or parent the case's
  allocated (intention-to-treat) arm, not `SurveyResponse.arm` (the arm at submission, as
  treated); for staff `SurveyResponse.arm` (BIP professional or not); client surveys of
  referrals in the period, staff surveys whose survey period overlaps it;
- late entry: outcomes (`Outcome`) of referrals in the period by allocated arm, and how many
  were recorded (`recorded_at`, Dutch date) more than `LATE_ENTRY_DAYS` days after their date
  (`achieved_on`);
- response rate: `SurveyInvitation` rows in the same scope with and without a response, by
  the case's allocated arm (staff: the professional's, BIP or not).

Censored cases (the study ended before their measurement date) count only in the
Kaplan-Meier curve; the means and percentages use the measured cases, whose three months were
observed in full.

Small cells: any figure that rests on fewer than `MIN_CELL_SIZE` cases or respondents is
suppressed: its value is dropped here, before it reaches a template, and shown as "< 5".
A Kaplan-Meier curve is drawn only for an arm with at least that many cases, and only up to
the last day on which at least that many were still followed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Outcome, three_month_deadline

from . import aggregates, statistics
from . import baseline as baseline_module
from . import estimates as estimates_module
from .arms import allocated_arm, with_initial_allocation
from .constants import CLIENT_ITEMS, STAFF_ITEMS, Arm, RespondentType, SurveyItem
from .definitions import CENSORED_STATUSES, MeasurementStatus
from .disclosure import DisclosureTable, PeriodBlocks, period_blocks
from .models import DataFreeze, Measurement, ReportAggregate, SurveyInvitation, SurveyResponse
from .report_inputs import (
    MEANS,
    ReportInputs,
    ReportPeriod,
    collect_inputs,
    grouped,
    month_of,
    month_text,
)
from .selectors import MIN_CELL_SIZE
from .study import study_period

if TYPE_CHECKING:
    from decimal import Decimal

    from django_stubs_ext import StrOrPromise

    from .periods import MonthPeriod


ARMS = (Arm.BIP, Arm.CONTROL)
CLIENT_TYPES = (RespondentType.CHILD, RespondentType.PARENT)
# Days at which the Kaplan-Meier data table reads the curve: every week of the three months,
# and day 89, the shortest three months (February), up to which every measured case is followed.
KM_TABLE_DAYS = (7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 89)
MEAN_LABELS = {
    "distinct_professionals": _("Gemiddeld aantal professionals dat het kind sprak"),
    "handovers": _("Gemiddeld aantal overdrachten"),
    "contacts": _("Gemiddeld aantal contacten"),
}
GRADE_LABEL = _("Rapportcijfer (1-10)")


# ---------------------------------------------------------------------------- cells


@dataclass(frozen=True, slots=True)
class CountCell:
    """A count; `value` is None when suppressed (fewer than MIN_CELL_SIZE)."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


def count_cell(n: int) -> CountCell:
    return CountCell(value=n if n >= MIN_CELL_SIZE else None)


@dataclass(frozen=True, slots=True)
class Figure:
    """An estimate (proportion, mean or median) with its 95 % interval and its n.

    Suppressed (everything None) when it rests on fewer than MIN_CELL_SIZE cases or
    respondents.
    """

    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None

    @property
    def suppressed(self) -> bool:
        return self.n is None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else 100 * self.low

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else 100 * self.high


SUPPRESSED = Figure()


def proportion_figure(successes: int, n: int) -> Figure:
    if n < MIN_CELL_SIZE:
        return SUPPRESSED
    estimate = statistics.wilson_interval(successes, n)
    return Figure(value=estimate.value, low=estimate.low, high=estimate.high, n=n)


def mean_figure(n: int, total: int, total_of_squares: int) -> Figure:
    if n < MIN_CELL_SIZE:
        return SUPPRESSED
    estimate = statistics.mean_interval_from_sums(n, total, total_of_squares)
    return Figure(value=estimate.value, low=estimate.low, high=estimate.high, n=n)


def median_figure(counts: list[tuple[int, int]]) -> Figure:
    n = sum(count for _, count in counts)
    if n < MIN_CELL_SIZE:
        return SUPPRESSED
    return Figure(value=statistics.median_from_counts(counts), n=n)


# ---------------------------------------------------------------------------- period


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class KaplanMeierCurve:
    arm: str
    n: int | None  # None when suppressed
    steps: list[statistics.KaplanMeierStep]  # only up to the last day with >= MIN at risk
    table: list[Figure]  # cumulative incidence at KM_TABLE_DAYS; n = at risk (>= MIN)

    @property
    def drawn(self) -> bool:
        return self.n is not None


@dataclass(frozen=True)
class ArmReport:
    arm: Arm
    allocated: CountCell
    not_yet_measured: CountCell
    deviations: CountCell  # arm corrected after the measurement date
    measured: CountCell
    censored: CountCell
    surveyed: CountCell
    suitable: Figure
    first_contact_median: Figure
    no_contact: CountCell
    means: dict[str, Figure]  # MEANS -> Figure
    curve: KaplanMeierCurve

    @property
    def label(self) -> StrOrPromise:
        return self.arm.label


@dataclass(frozen=True)
class SurveyRow:
    key: str  # "grade" or a SurveyItem value
    label: object  # a lazy translation
    cells: list[Figure]  # one per arm, in ARMS order


@dataclass(frozen=True)
class SurveyTable:
    respondent_type: RespondentType
    respondents: list[CountCell]  # one per arm
    rows: list[SurveyRow]

    @property
    def label(self) -> StrOrPromise:
        return self.respondent_type.label


@dataclass(frozen=True)
class ResponseCells:
    invited: CountCell
    responded: CountCell
    rate: Figure  # value = responses / invitations; n = invitations


@dataclass(frozen=True)
class ResponseRate:
    respondent_type: RespondentType
    arms: list[ResponseCells]  # one per arm, in ARMS order


@dataclass(frozen=True)
class LateEntry:
    """Outcomes of one arm, and the share recorded more than LATE_ENTRY_DAYS after their date."""

    arm: Arm
    outcomes: CountCell
    late: CountCell
    share: Figure

    @property
    def label(self) -> StrOrPromise:
        return self.arm.label


@dataclass(frozen=True)
class EvaluationReport:
    period: ReportPeriod
    referred: CountCell
    unallocated: CountCell
    arms: list[ArmReport]
    satisfaction: list[SurveyTable]
    response_rates: list[ResponseRate]
    has_data: bool
    freeze: DataFreeze | None = None  # None: the daily snapshot
    late_entry: list[LateEntry] = field(default_factory=list)
    min_cell_size: int = MIN_CELL_SIZE
    km_table_days: tuple[int, ...] = field(default=KM_TABLE_DAYS)
    effects: EffectSection | None = None
    # When the figures were computed, if ahead of time (`aggregates`); None: live, just now.
    as_of: datetime.datetime | None = None

    @property
    def km_rows(self) -> list[dict]:
        """The Kaplan-Meier data table: per day, one Figure per arm."""
        return [
            {"day": day, "cells": [arm.curve.table[index] for arm in self.arms]}
            for index, day in enumerate(self.km_table_days)
        ]

    @property
    def mean_rows(self) -> list[dict]:
        return [
            {"key": key, "label": MEAN_LABELS[key], "cells": [arm.means[key] for arm in self.arms]}
            for key in MEANS
        ]


# ---------------------------------------------------------------------------- figures from rows
# Each adds up the report's monthly rows (`report_inputs.ReportInputs`) of the period into what
# the page shows.


def _int(value: int | Decimal | None) -> int:
    # PostgreSQL hands back SUM(bigint) as a Decimal.
    return int(value or 0)


def _case_flow(inputs: ReportInputs) -> dict:
    """Referred, allocated and not yet measured per arm, by the allocated (intention-to-treat)
    arm, as the measurements are; and per arm the cases whose arm was corrected after their
    measurement date (protocol deviations)."""
    flow = {"referred": 0, "unallocated": 0}
    for arm in ARMS:
        flow |= {f"allocated_{arm}": 0, f"pending_{arm}": 0, f"deviation_{arm}": 0}
    for (arm, pending, deviation), (n,) in grouped(inputs.flow, slice(1, 4), slice(4, 5)):
        flow["referred"] += n
        if arm == "":
            flow["unallocated"] += n
        elif arm in ARMS:
            flow[f"allocated_{arm}"] += n
            flow[f"pending_{arm}"] += n if pending else 0
            flow[f"deviation_{arm}"] += n if deviation else 0
    return flow


def _measurement_totals(inputs: ReportInputs) -> dict:
    """Per arm: measured, censored, with a suitable outcome, measured without contact, and the
    sum and sum of squares of each of MEANS over the measured."""
    totals: dict[str, int] = {}
    for arm in ARMS:
        totals |= {f"measured_{arm}": 0, f"censored_{arm}": 0, f"suitable_{arm}": 0}
        totals[f"no_contact_{arm}"] = 0
        for name in MEANS:
            totals |= {f"sum_{name}_{arm}": 0, f"sumsq_{name}_{arm}": 0}
    rows = grouped(inputs.measurements, slice(1, 5), slice(7, 8))
    for (arm, _stratum, status, suitable), (n,) in rows:
        if arm not in ARMS:
            continue
        if status == MeasurementStatus.MEASURED:
            totals[f"measured_{arm}"] += n
            totals[f"suitable_{arm}"] += n if suitable else 0
        elif status in CENSORED_STATUSES:
            totals[f"censored_{arm}"] += n
    for (arm,), values in grouped(inputs.sums, slice(1, 2), slice(2, None)):
        if arm not in ARMS:
            continue
        totals[f"no_contact_{arm}"] = values[1]
        for index, name in enumerate(MEANS):
            totals[f"sum_{name}_{arm}"] = values[2 + 2 * index]
            totals[f"sumsq_{name}_{arm}"] = values[3 + 2 * index]
    return totals


def _km_groups(inputs: ReportInputs) -> dict[str, list[tuple[int, bool, int]]]:
    groups: dict[str, list[tuple[int, bool, int]]] = defaultdict(list)
    for (arm, days, event), (n,) in grouped(
        ((row[0], row[1], row[5], row[6], row[7]) for row in inputs.measurements),
        slice(1, 4),
        slice(4, 5),
    ):
        groups[arm].append((days, bool(event), n))
    return groups


def _first_contact_counts(inputs: ReportInputs) -> dict[str, list[tuple[int, int]]]:
    """Days to first contact of the measured cases with a contact, per arm."""
    counts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    contacted = (row for row in inputs.contacts if row[2] and row[4])
    for (arm, days), (n,) in grouped(
        ((row[0], row[1], row[3], row[5]) for row in contacted), slice(1, 3), slice(3, 4)
    ):
        counts[arm].append((days, n))
    return counts


def _surveyed_cases(inputs: ReportInputs) -> dict[str, int]:
    return {arm: n for (arm,), (n,) in grouped(inputs.surveyed, slice(1, 2), slice(2, 3))}


def _grades(inputs: ReportInputs) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {
        key: dict(zip(("respondents", "n", "total", "total_sq"), values, strict=True))
        for key, values in grouped(inputs.grades, slice(3, 5), slice(5, 9))
    }


def _scores(inputs: ReportInputs) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    return {
        key: dict(zip(("n", "total", "total_sq"), values, strict=True))
        for key, values in grouped(inputs.scores, slice(3, 6), slice(6, 9))
    }


def _late_entry(inputs: ReportInputs) -> dict[str, Mapping[str, Any]]:
    """Per allocated arm: outcomes of referrals in the period, and how many were recorded
    more than LATE_ENTRY_DAYS days (Dutch calendar days) after their date."""
    return {
        arm: {"outcomes": outcomes, "late": late}
        for (arm,), (outcomes, late) in grouped(inputs.late, slice(1, 2), slice(2, 4))
    }


def _invitations(inputs: ReportInputs) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {
        key: {"invited": invited, "responded": responded}
        for key, (invited, responded) in grouped(inputs.invitations, slice(3, 5), slice(5, 7))
    }


# ---------------------------------------------------------------------------- the report


def _curve(arm: str, groups: list[tuple[int, bool, int]]) -> KaplanMeierCurve:
    n = sum(count for _, _, count in groups)
    if n < MIN_CELL_SIZE:
        return KaplanMeierCurve(
            arm=arm, n=None, steps=[], table=[SUPPRESSED for _ in KM_TABLE_DAYS]
        )
    steps = statistics.kaplan_meier(groups)
    shown = [step for step in steps if step.at_risk >= MIN_CELL_SIZE]
    table = []
    for day in KM_TABLE_DAYS:
        # At risk on `day`: followed at least that long. The estimate: the last step on or
        # before `day`.
        at_risk = sum(count for days, _, count in groups if days >= day)
        before = [step for step in steps if step.time <= day]
        if at_risk < MIN_CELL_SIZE:
            table.append(SUPPRESSED)
        else:
            incidence = before[-1].cumulative_incidence if before else 0.0
            table.append(Figure(value=incidence, n=at_risk))
    return KaplanMeierCurve(arm=arm, n=n, steps=shown, table=table)


@dataclass(frozen=True)
class Table1Row:
    label: object
    cells: list[CountCell]  # one per arm, in ARMS order


@dataclass(frozen=True)
class Table1Variable:
    key: str
    label: object
    rows: list[Table1Row]


@dataclass(frozen=True)
class ForestRow:
    """One stratum of the forest plot; `shown` False when its counts must stay hidden."""

    label: str
    n: list[CountCell]  # measured per arm
    suitable: list[Figure]  # per arm
    estimate: estimates_module.Estimate
    shown: bool


@dataclass(frozen=True)
class EffectSection:
    """The between-arm estimates (ITT) with what the disclosure control lets through."""

    estimates: estimates_module.EffectEstimates
    risk_shown: bool  # the risk difference and ratio (both arms' rates are shown)
    table1: list[Table1Variable]
    forest: list[ForestRow]


def follow_up_closed(
    period: ReportPeriod, freeze: DataFreeze | None, computed_at: datetime.datetime | None = None
) -> bool:
    """Whether, by design, no allocated referral of `period` can still be waiting for its
    measurement at the data's as-of moment (the freeze's, or for the daily snapshot the day the
    figures were computed, `computed_at`, default today):
    the period's last measurement date has passed, or the study ended (censoring everyone
    still in follow-up) after the period and before the as-of date. "Not yet measured" is then
    a structural zero (see `disclosure`)."""
    if period.date_to is None:
        return False
    if freeze is None:
        as_of = timezone.localdate(computed_at) if computed_at else timezone.localdate()
        study_end = study_period().end
    else:
        as_of, study_end = timezone.localdate(freeze.as_of), freeze.study_end
    if three_month_deadline(period.date_to) < as_of:
        return True
    return study_end is not None and period.date_to <= study_end < as_of


def _page_table(
    flow: Mapping[str, Any],
    totals: Mapping[str, Any],
    surveyed: Mapping[str, int],
    invitations: Mapping[tuple[str, str], Mapping[str, Any]],
    late: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[tuple[str, str, str], int] | None,
    effects: estimates_module.EffectEstimates | None,
    *,
    pending_structural: bool = False,
) -> DisclosureTable:
    """Every count the page prints or lets derive, with the sums between them.
    `pending_structural`: "not yet measured" is 0 by design (`follow_up_closed`)."""
    table = DisclosureTable(MIN_CELL_SIZE)
    table.add("referred", flow["referred"])
    table.add("unallocated", flow["unallocated"])
    for arm in ARMS:
        table.add(f"allocated_{arm}", flow[f"allocated_{arm}"])
    table.add_sum("referred", ["unallocated", *(f"allocated_{arm}" for arm in ARMS)])
    for arm in ARMS:
        _add_arm_flow(table, arm, flow, totals, pending_structural=pending_structural)
        table.add(f"surveyed_{arm}", surveyed.get(arm, 0))
        _add_arm_late_entry(table, arm, late)
        _add_arm_invitations(table, arm, invitations)
    if baseline is not None:
        _add_baseline(table, baseline)
    if effects is not None:
        for arm in ARMS:
            _add_arm_strata(table, arm, effects)
    return table


def _add_arm_flow(
    table: DisclosureTable,
    arm: Arm,
    flow: Mapping[str, Any],
    totals: Mapping[str, Any],
    *,
    pending_structural: bool,
) -> None:
    """The arm's allocated cases split into not yet measured, measured and censored, and its
    measured cases by suitable outcome and by contact."""
    table.add(f"pending_{arm}", flow[f"pending_{arm}"], structural=pending_structural)
    table.add(f"deviation_{arm}", flow[f"deviation_{arm}"])
    table.add(f"measured_{arm}", totals[f"measured_{arm}"])
    table.add(f"censored_{arm}", totals[f"censored_{arm}"])
    parts = [f"pending_{arm}", f"measured_{arm}", f"censored_{arm}"]
    if sum(table.values[key] for key in parts) == table.values[f"allocated_{arm}"]:
        table.add_sum(f"allocated_{arm}", parts)
    table.add(f"suitable_{arm}", totals[f"suitable_{arm}"])
    table.add_sum(f"measured_{arm}", [f"suitable_{arm}"], remainder=f"not_suitable_{arm}")
    table.add(f"no_contact_{arm}", totals[f"no_contact_{arm}"])
    table.add_sum(f"measured_{arm}", [f"no_contact_{arm}"], remainder=f"contacted_{arm}")


def _add_arm_late_entry(
    table: DisclosureTable, arm: Arm, late: Mapping[str, Mapping[str, Any]]
) -> None:
    """The arm's outcomes, split into those entered late and on time."""
    row = late.get(arm, {})
    table.add(f"outcomes_{arm}", row.get("outcomes", 0))
    table.add(f"late_{arm}", row.get("late", 0))
    table.add_sum(f"outcomes_{arm}", [f"late_{arm}"], remainder=f"on_time_{arm}")


def _add_arm_invitations(
    table: DisclosureTable,
    arm: Arm,
    invitations: Mapping[tuple[str, str], Mapping[str, Any]],
) -> None:
    """The arm's survey invitations per respondent type, split into responded and silent."""
    for respondent_type in RespondentType:
        invited = invitations.get((respondent_type, arm), {"invited": 0, "responded": 0})
        key = f"{respondent_type}_{arm}"
        table.add(f"invited_{key}", invited["invited"])
        table.add(f"responded_{key}", invited["responded"])
        table.add_sum(f"invited_{key}", [f"responded_{key}"], remainder=f"silent_{key}")


def _add_baseline(table: DisclosureTable, baseline: Mapping[tuple[str, str, str], int]) -> None:
    """Table 1: the categories of every variable add up to the arm's allocated cases."""
    for variable in baseline_module.variables():
        for arm in ARMS:
            parts = []
            for category in variable.categories:
                key = f"t1_{variable.key}_{category.key}_{arm}"
                table.add(key, baseline.get((variable.key, category.key, arm), 0))
                parts.append(key)
            table.add_sum(f"allocated_{arm}", parts)


def _add_arm_strata(
    table: DisclosureTable, arm: Arm, effects: estimates_module.EffectEstimates
) -> None:
    """The forest plot: the arm's measured and suitable cases per stratum, which add up to the
    arm's totals when the strata cover every measured case."""
    measured_parts, suitable_parts = [], []
    for index, stratum in enumerate(effects.strata):
        n, events = (
            (stratum.n_bip, stratum.events_bip)
            if arm == Arm.BIP
            else (stratum.n_control, stratum.events_control)
        )
        table.add(f"s{index}_measured_{arm}", n)
        table.add(f"s{index}_suitable_{arm}", events)
        table.add_sum(
            f"s{index}_measured_{arm}",
            [f"s{index}_suitable_{arm}"],
            remainder=f"s{index}_not_suitable_{arm}",
        )
        measured_parts.append(f"s{index}_measured_{arm}")
        suitable_parts.append(f"s{index}_suitable_{arm}")
    if (
        effects.strata
        and sum(table.values[k] for k in measured_parts) == (table.values[f"measured_{arm}"])
    ):
        table.add_sum(f"measured_{arm}", measured_parts)
        table.add_sum(f"suitable_{arm}", suitable_parts)


def _cell(table: DisclosureTable, key: str) -> CountCell:
    return CountCell(value=table.value(key))


def _rate(table: DisclosureTable, numerator: str, denominator: str) -> Figure:
    if not table.rate_shown(numerator, denominator):
        return SUPPRESSED
    return proportion_figure(table.values[numerator], table.values[denominator])


def evaluation_report(
    period: ReportPeriod,
    freeze: DataFreeze | None = None,
    *,
    inputs: ReportInputs | None = None,
    as_of: datetime.datetime | None = None,
) -> EvaluationReport:
    """BIP against control for the referrals received in `period`, measured in `freeze` (None:
    the daily snapshot), with the effect estimates and Table 1. Every count goes through the
    page's disclosure control.

    From `inputs` (rows stored ahead of time, `aggregates`: the whole months of `period` are
    read, no query) as of `as_of`, when the rows were computed; else live: ten queries
    (`report_inputs.collect_inputs`), as of now."""
    if inputs is None:
        inputs = collect_inputs(period, freeze)
    inputs = inputs.within(period)
    flow = _case_flow(inputs)
    totals = _measurement_totals(inputs)
    km = _km_groups(inputs)
    first_contact = _first_contact_counts(inputs)
    late = _late_entry(inputs)
    surveyed = _surveyed_cases(inputs)
    grades = _grades(inputs)
    scores = _scores(inputs)
    invitations = _invitations(inputs)
    effects = estimates_module.estimates_from_rows(
        measurements=inputs.measurements, contacts=inputs.contacts, sums=inputs.sums
    )
    baseline = baseline_module.counts_from_rows(inputs.baseline)
    table = _page_table(
        flow,
        totals,
        surveyed,
        invitations,
        late,
        baseline,
        effects,
        pending_structural=follow_up_closed(period, freeze, as_of),
    )

    arms = [_arm_report(table, arm, totals, first_contact, km) for arm in ARMS]
    satisfaction = [
        _survey_table(respondent_type, grades, scores) for respondent_type in RespondentType
    ]
    response_rates = [_response_rate(table, respondent_type) for respondent_type in RespondentType]
    effect_section = _effect_section(table, effects)

    return EvaluationReport(
        period=period,
        referred=_cell(table, "referred"),
        unallocated=_cell(table, "unallocated"),
        arms=arms,
        satisfaction=satisfaction,
        response_rates=response_rates,
        has_data=flow["referred"] > 0,
        freeze=freeze,
        late_entry=[_late_entry_row(table, arm) for arm in ARMS],
        effects=effect_section,
        as_of=as_of,
    )


def _arm_report(
    table: DisclosureTable,
    arm: Arm,
    totals: Mapping[str, Any],
    first_contact: Mapping[str, list[tuple[int, int]]],
    km: Mapping[str, list[tuple[int, bool, int]]],
) -> ArmReport:
    """The flow, outcome, contact and mean figures of one arm, and its Kaplan-Meier curve."""
    measured = totals[f"measured_{arm}"]
    means_shown = table.shown(f"measured_{arm}")
    return ArmReport(
        arm=arm,
        allocated=_cell(table, f"allocated_{arm}"),
        not_yet_measured=_cell(table, f"pending_{arm}"),
        deviations=_cell(table, f"deviation_{arm}"),
        measured=_cell(table, f"measured_{arm}"),
        censored=_cell(table, f"censored_{arm}"),
        surveyed=_cell(table, f"surveyed_{arm}"),
        suitable=_rate(table, f"suitable_{arm}", f"measured_{arm}"),
        first_contact_median=median_figure(first_contact.get(arm, [])),
        no_contact=_cell(table, f"no_contact_{arm}"),
        means={
            name: mean_figure(
                measured,
                _int(totals[f"sum_{name}_{arm}"]),
                _int(totals[f"sumsq_{name}_{arm}"]),
            )
            if means_shown
            else SUPPRESSED
            for name in MEANS
        },
        curve=_curve(arm, km.get(arm, [])),
    )


def _survey_table(
    respondent_type: RespondentType,
    grades: Mapping[tuple[str, str], Mapping[str, Any]],
    scores: Mapping[tuple[str, str, str], Mapping[str, Any]],
) -> SurveyTable:
    """One respondent type's satisfaction: the mean grade and mean score per statement, per
    arm."""
    items = STAFF_ITEMS if respondent_type == RespondentType.STAFF else CLIENT_ITEMS
    empty = {"respondents": 0, "n": 0, "total": 0, "total_sq": 0}
    per_arm = [grades.get((respondent_type, arm), empty) for arm in ARMS]
    rows = [
        SurveyRow(
            key="grade",
            label=GRADE_LABEL,
            cells=[
                mean_figure(row["n"], _int(row["total"]), _int(row["total_sq"])) for row in per_arm
            ],
        )
    ]
    for item in items:
        cells = []
        for arm in ARMS:
            row = scores.get((respondent_type, arm, item), empty)
            cells.append(mean_figure(row["n"], _int(row["total"]), _int(row["total_sq"])))
        rows.append(SurveyRow(key=item, label=SurveyItem(item).label, cells=cells))
    return SurveyTable(
        respondent_type=respondent_type,
        respondents=[count_cell(row["respondents"]) for row in per_arm],
        rows=rows,
    )


def _response_rate(table: DisclosureTable, respondent_type: RespondentType) -> ResponseRate:
    """One respondent type's invitations, responses and response rate, per arm."""
    return ResponseRate(
        respondent_type=respondent_type,
        arms=[
            ResponseCells(
                invited=_cell(table, f"invited_{respondent_type}_{arm}"),
                responded=_cell(table, f"responded_{respondent_type}_{arm}"),
                rate=_rate(
                    table,
                    f"responded_{respondent_type}_{arm}",
                    f"invited_{respondent_type}_{arm}",
                ),
            )
            for arm in ARMS
        ],
    )


def _effect_section(
    table: DisclosureTable, effects: estimates_module.EffectEstimates
) -> EffectSection:
    """The between-arm estimates with Table 1 and the forest plot, as far as shown."""
    return EffectSection(
        estimates=effects,
        risk_shown=all(table.rate_shown(f"suitable_{arm}", f"measured_{arm}") for arm in ARMS),
        table1=_table1(table),
        forest=_forest(table, effects),
    )


def _table1(table: DisclosureTable) -> list[Table1Variable]:
    """Table 1: every variable's categories with their count per arm."""
    return [
        Table1Variable(
            key=variable.key,
            label=variable.label,
            rows=[
                Table1Row(
                    label=category.label,
                    cells=[_cell(table, f"t1_{variable.key}_{category.key}_{arm}") for arm in ARMS],
                )
                for category in variable.categories
            ],
        )
        for variable in baseline_module.variables()
    ]


def _forest(table: DisclosureTable, effects: estimates_module.EffectEstimates) -> list[ForestRow]:
    """The forest plot: one row per stratum, shown when both arms' rates are."""
    return [
        ForestRow(
            label=stratum.label,
            n=[_cell(table, f"s{index}_measured_{arm}") for arm in ARMS],
            suitable=[
                _rate(table, f"s{index}_suitable_{arm}", f"s{index}_measured_{arm}") for arm in ARMS
            ],
            estimate=stratum.risk_difference,
            shown=all(
                table.rate_shown(f"s{index}_suitable_{arm}", f"s{index}_measured_{arm}")
                for arm in ARMS
            )
            and stratum.risk_difference.computable,
        )
        for index, stratum in enumerate(effects.strata)
    ]


def _late_entry_row(table: DisclosureTable, arm: Arm) -> LateEntry:
    """The arm's outcomes and the share of them entered late."""
    return LateEntry(
        arm=arm,
        outcomes=_cell(table, f"outcomes_{arm}"),
        late=_cell(table, f"late_{arm}"),
        share=_rate(table, f"late_{arm}", f"outcomes_{arm}"),
    )


# ---------------------------------------------------------------------------- cache

# The report aggregates every measurement, response and answer: seconds at a million cases.
# Its inputs only grow (snapshots are never changed, responses and allocations are new rows),
# so a stamp of row counts and highest ids identifies the data it was computed from; any new
# row makes a new cache key. The timeout bounds what an unforeseen in-place change could leave.
REPORT_CACHE_SECONDS = 600


def data_stamp() -> str:
    """One query of index-only lookups: the highest id of every growing input, and the number of
    measurements (their key is the case, so a new one need not have the highest id)."""
    from django.db import connection

    from .models import Allocation, MeasurementRestatement

    def table(model: type[models.Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    growing = [
        Case,
        Allocation,
        SurveyInvitation,
        SurveyResponse,
        Outcome,
        DataFreeze,
        MeasurementRestatement,
    ]
    # Table names come from our own models, quoted by the backend; nothing from the user.
    parts = [f"(SELECT MAX(id) FROM {table(model)})" for model in growing]  # noqa: S608
    parts.append(f"(SELECT COUNT(*) FROM {table(Measurement)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return ":".join(str(value) for value in cursor.fetchone())


def evaluation_report_cached(
    period: ReportPeriod,
    freeze: DataFreeze | None = None,
    aggregate: ReportAggregate | None = None,
) -> EvaluationReport:
    """The report for `period` on `freeze`, reused from the cache.

    With `aggregate` (the source's rows computed ahead of time, `aggregates.latest_aggregate`):
    added up from its months, as of its `computed_at`, and cached under that computation.
    Without: computed live and reused while the data it was computed from is unchanged."""
    from django.core.cache import cache

    source = ReportAggregate.source_of(freeze)
    period_key = f"{period.date_from}:{period.date_to}"
    if aggregate is not None:
        key = f"evaluation-report:v3:{period_key}:{source}:{aggregate_key(aggregate)}"
        report = cache.get(key)
        if report is None:
            report = evaluation_report(
                period,
                freeze,
                inputs=aggregates.stored_inputs(aggregate),
                as_of=aggregate.computed_at,
            )
            cache.set(key, report, REPORT_CACHE_SECONDS)
        return report
    key = f"evaluation-report:v3:{period_key}:{source}:live:{data_stamp()}"
    report = cache.get(key)
    if report is None:
        report = evaluation_report(period, freeze)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


def report_for_months(
    requested: MonthPeriod, freeze: DataFreeze | None = None
) -> tuple[MonthPeriod, EvaluationReport]:
    """What the report page shows for the `requested` months on `freeze` (None: the daily
    snapshot): the months widened to whole disclosure blocks, and the report for them, both
    from the source's stored rows when it has them (`aggregates`), else live."""
    aggregate = aggregates.latest_aggregate(freeze)
    months = referral_blocks(aggregate).widen(requested)
    return months, evaluation_report_cached(ReportPeriod.from_months(months), freeze, aggregate)


def aggregate_key(aggregate: ReportAggregate) -> str:
    """Names one computation of a source's rows (a recomputation gets a new key)."""
    return f"aggregate:{aggregate.pk}:{aggregate.computed_at.timestamp()}"


# ---------------------------------------------------------------------------- period blocks


def monthly_referrals(since: datetime.date | None = None) -> dict[datetime.date, dict[str, int]]:
    """Referrals per month of `date_received` and allocated (ITT) arm ("" = not allocated), from
    the month `since` on (None: all). One GROUP BY query, at most months x 3 rows."""
    cases = Case.objects.all()
    if since is not None:
        cases = cases.filter(date_received__gte=since)
    rows = (
        with_initial_allocation(cases.order_by())
        .annotate(month=month_of("date_received"), itt_arm=allocated_arm())
        .values_list("month", "itt_arm")
        .annotate(n=Count("pk"))
    )
    return _monthly(((month_text(month), arm, n) for month, arm, n in rows), since)


def _monthly(
    rows: Iterable[tuple[str, str, int]], since: datetime.date | None
) -> dict[datetime.date, dict[str, int]]:
    """(month, arm, n) rows as {month: {arm or "": n}} from the month `since` on."""
    low = since.isoformat() if since else ""
    monthly: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for month, arm, n in rows:
        if month < low:
            continue
        day = datetime.date.fromisoformat(month)
        group = arm if arm in ARMS else ""
        monthly[day][group] = monthly[day].get(group, 0) + n
    return dict(monthly)


def referral_blocks(aggregate: ReportAggregate | None = None) -> PeriodBlocks:
    """The disclosure blocks of months (`disclosure.period_blocks`) over the referrals since the
    study start's month: from `aggregate`'s rows when the report reads them (so the blocks fit
    the figures), else live; reused while the data is unchanged."""
    from django.core.cache import cache

    from .periods import earliest_month

    since = earliest_month()
    if aggregate is not None:
        key = f"evaluation-blocks:v2:{since}:{aggregate_key(aggregate)}"
    else:
        key = f"evaluation-blocks:v2:{since}:live:{data_stamp()}"
    blocks = cache.get(key)
    if blocks is None:
        if aggregate is not None:
            flow = aggregates.stored_inputs(aggregate).flow
            monthly = _monthly(((row[0], row[1], row[4]) for row in flow), since)
        else:
            monthly = monthly_referrals(since)
        blocks = period_blocks(monthly, MIN_CELL_SIZE)
        cache.set(key, blocks, REPORT_CACHE_SECONDS)
    return blocks
