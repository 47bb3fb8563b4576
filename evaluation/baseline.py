"""Table 1: the referrals' characteristics at referral, by allocated (ITT) arm.

One aggregate query over the cases received in the period, grouped by referral month, arm and
each variable's category (`baseline_rows`), added up per category and arm (`counts_from_rows`).
Every variable is shown in categories, so each cell is a count that goes through the page's
disclosure control, and the categories of one variable add up to the arm's allocated count (a
relation the disclosure control knows).

- age: calendar year of referral minus year of birth (the age the child reaches that year),
  in bands;
- school level, melding type, and the randomisation stratum (melding type x school level);
- hours absent and times late in the melding, in bands;
- earlier referrals: the child's cases received before this one, in bands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, ExtractYear, Least
from django.utils.translation import gettext_lazy as _

from cases.constants import MeldingType, SchoolLevel
from cases.models import Case

from .arms import allocated_arm, with_initial_allocation
from .constants import Arm
from .report_inputs import month_of, month_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .periods import DatePeriod

ARMS = (Arm.BIP, Arm.CONTROL)


@dataclass(frozen=True)
class Category:
    key: str
    label: StrOrPromise
    condition: Q


@dataclass(frozen=True)
class Variable:
    key: str
    label: StrOrPromise
    categories: tuple[Category, ...]
    # The category's index as one expression, where a CASE over the conditions would evaluate
    # an expensive annotation once per condition (PostgreSQL repeats a subquery per mention).
    index: Combinable | None = None


def _bands(field: str, bands: list[tuple[int, int | None, StrOrPromise]]) -> tuple[Category, ...]:
    categories = []
    for low, high, label in bands:
        condition = Q(**{f"{field}__gte": low})
        if high is not None:
            condition &= Q(**{f"{field}__lte": high})
        categories.append(Category(key=f"{low}", label=label, condition=condition))
    return tuple(categories)


NO_SCHOOL = _("Geen school bekend")


def _school_level_q(level_key: str) -> Q:
    """The condition of a school level; "geen" is the child without a known school."""
    if level_key == "geen":
        return Q(child__school__isnull=True)
    return Q(child__school__level=level_key)


def _strata() -> tuple[Category, ...]:
    """The randomisation strata: melding type x school level (or no school known)."""
    strata = []
    for melding in MeldingType:
        for level_key, level_label in [*SchoolLevel.choices, ("geen", NO_SCHOOL)]:
            strata.append(
                Category(
                    key=f"{melding.value}/{level_key}",
                    label=f"{melding.label} / {level_label}",
                    condition=Q(melding_type=melding.value) & _school_level_q(level_key),
                )
            )
    return tuple(strata)


def _age() -> Variable:
    return Variable(
        "age",
        _("Leeftijd (jaar)"),
        _bands(
            "age",
            [
                (0, 11, _("t/m 11")),
                (12, 13, "12-13"),
                (14, 15, "14-15"),
                (16, 17, "16-17"),
                (18, None, _("18 en ouder")),
            ],
        ),
    )


def _school_level() -> Variable:
    return Variable(
        "school_level",
        _("Onderwijssoort"),
        (
            *(
                Category(key=key, label=label, condition=Q(child__school__level=key))
                for key, label in SchoolLevel.choices
            ),
            Category(key="geen", label=NO_SCHOOL, condition=Q(child__school__isnull=True)),
        ),
    )


def _melding_type() -> Variable:
    return Variable(
        "melding_type",
        _("Soort melding"),
        tuple(
            Category(key=m.value, label=m.label, condition=Q(melding_type=m.value))
            for m in MeldingType
        ),
    )


def _hours_absent() -> Variable:
    return Variable(
        "hours_absent",
        _("Uren verzuim bij de melding"),
        _bands(
            "hours_absent",
            [
                (0, 15, "0-15"),
                (16, 31, "16-31"),
                (32, 63, "32-63"),
                (64, None, _("64 of meer")),
            ],
        ),
    )


def _times_late() -> Variable:
    return Variable(
        "times_late",
        _("Keer te laat bij de melding"),
        _bands("times_late", [(0, 0, "0"), (1, 9, "1-9"), (10, None, _("10 of meer"))]),
    )


def _earlier() -> Variable:
    return Variable(
        "earlier",
        _("Eerdere meldingen van het kind"),
        _bands("earlier", [(0, 0, _("geen")), (1, 1, "1"), (2, None, _("2 of meer"))]),
        # 0, 1, 2 or more: the index is the count, capped (one subquery per case).
        index=Least(F("earlier"), Value(2)),
    )


def variables() -> tuple[Variable, ...]:
    return (
        _age(),
        _school_level(),
        _melding_type(),
        _hours_absent(),
        _times_late(),
        _earlier(),
        Variable("stratum", _("Randomisatiestratum"), _strata()),
    )


def baseline_counts(period: DatePeriod) -> dict[tuple[str, str, str], int]:
    """(variable, category, arm) -> referrals received in `period`. One query
    (`baseline_rows`)."""
    return counts_from_rows(baseline_rows(period))


def baseline_rows(period: DatePeriod) -> list[tuple[str, int, int]]:
    """(referral month, group key, n) for the cases received in `period`: the cases grouped by
    month, arm and each variable's category (a CASE per variable: the first category whose
    condition holds; the categories of a variable do not overlap). One query.

    Conditional counts per (category, arm) in one row read the same, but PostgreSQL then
    evaluates the arm's and the earlier referrals' subqueries once per count rather than once
    per case: 63 s instead of about 2 s at 1,000,000 cases.

    The arm and the categories are grouped as one number (`_group_key`), not as nine columns:
    PostgreSQL estimates the groups of nine expressions as one per case and sorts every case to
    group them (0.5 s at 1,000,000 cases, for fewer than a thousand groups); for one
    expression it hashes.
    """
    earlier = (
        Case.objects.filter(child=OuterRef("child"), date_received__lt=OuterRef("date_received"))
        .order_by()
        .values("child")
        # COUNT(*): the index on (child, date_received) answers it alone (an index-only scan).
        .annotate(n=Count("*"))
        .values("n")
    )
    table = variables()
    assert all(len(variable.categories) + 1 < KEY_BASE for variable in table)
    category_of = {
        f"category_{variable.key}": variable.index
        if variable.index is not None
        else CaseWhen(
            *(
                When(category.condition, then=Value(index))
                for index, category in enumerate(variable.categories)
            ),
            default=Value(-1),
            output_field=IntegerField(),
        )
        for variable in table
    }
    groups = (
        with_initial_allocation(Case.objects.filter(period.q("date_received")))
        .order_by()
        .annotate(
            itt_arm=allocated_arm(),
            age=ExtractYear("date_received") - ExtractYear("child__date_of_birth"),
            earlier=Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0)),
            level=F("child__school__level"),
        )
        .annotate(month=month_of("date_received"), group_key=_group_key(list(category_of.values())))
        .values("month", "group_key")
        .annotate(n=Count("pk"))
        .values_list("month", "group_key", "n")
    )
    return sorted((month_text(month), group_key, n) for month, group_key, n in groups)


def counts_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[tuple[str, str, str], int]:
    """(variable, category, arm) -> referrals, from `baseline_rows` of any months."""
    table = variables()
    counts: dict[tuple[str, str, str], int] = {
        (variable.key, category.key, arm): 0
        for variable in table
        for category in variable.categories
        for arm in ARMS
    }
    for _month, group_key, n in rows:
        arm_code, indexes = _split_group_key(group_key, len(table))
        if arm_code == 0:  # not allocated to a study arm
            continue
        arm = ARMS[arm_code - 1]
        for variable, index in zip(table, indexes, strict=True):
            if index >= 0:
                counts[(variable.key, variable.categories[index].key, arm)] += n
    return counts


# Each category index takes two decimal digits of the group key (index + 1: -1 is "none").
KEY_BASE = 100


def _group_key(indexes: list[Combinable]) -> ExpressionWrapper:
    """The arm (1 BIP, 2 control, 0 other) and each variable's category index as one number:
    digit pairs from the right, the arm leftmost. Read back by `_split_group_key`."""
    arm_code = CaseWhen(
        *(When(itt_arm=arm, then=Value(code)) for code, arm in enumerate(ARMS, start=1)),
        default=Value(0),
    )
    key: Combinable = arm_code * Value(KEY_BASE ** len(indexes))
    for position, index in enumerate(indexes):
        key = key + (index + Value(1)) * Value(KEY_BASE**position)
    return ExpressionWrapper(key, output_field=BigIntegerField())


def _split_group_key(key: int, count: int) -> tuple[int, list[int]]:
    """The arm code and the `count` category indexes of a `_group_key`."""
    indexes = []
    for _position in range(count):
        key, digits = divmod(key, KEY_BASE)
        indexes.append(digits - 1)
    return key, indexes
