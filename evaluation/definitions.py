"""The evaluation's definitions: what is measured for every case at three months, and how.

This module is the single source of the definitions. The snapshot command, the live
computation, the report and the research export all use it, and the export's codebook quotes
the texts in ``DEFINITIONS`` word for word.

The measurement date of a case is its referral date (``date_received``) plus three calendar
months; a referral on the 31st of a month whose third month is shorter is measured on that
month's last day (31 January -> 30 April, 30 November -> 28/29 February). Everything on or
before the measurement date counts ("within three months" is inclusive).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.constants import SUITABLE_OUTCOMES, CaseStatus, Stage
from cases.models import Assignment, Case, Contact, Outcome, StageChange
from roles.constants import ContactWith

from .constants import INITIAL_ALLOCATION_METHODS

# Bumped whenever a definition below changes; stored with every snapshot.
DEFINITIONS_VERSION = 1

# Contacts that count as meeting the child, and as the first contact with the household.
CHILD_MET = (ContactWith.PUPIL, ContactWith.PUPIL_AND_PARENTS)
CLIENT_CONTACT = (ContactWith.PUPIL, ContactWith.PARENTS, ContactWith.PUPIL_AND_PARENTS)

# "Furthest stage": the chain's order. Halt and the RvdK both follow Leerplicht; the RvdK is the
# heavier step, so a case that reached it counts as furthest.
STAGE_ORDER = {Stage.LEERPLICHT: 1, Stage.HALT: 2, Stage.RVDK: 3}


class MeasurementStatus(models.TextChoices):
    MEASURED = "gemeten", _("Gemeten op drie maanden")
    CENSORED = "gecensureerd", _("Gecensureerd: studie eindigde vóór drie maanden")


DEFINITIONS = {
    "measured_on": _(
        "Meetdatum: de datum van de melding plus drie kalendermaanden. Valt die dag niet in "
        "de maand (31 januari + 3 maanden), dan de laatste dag van die maand. Alles op of vóór "
        "de meetdatum telt mee."
    ),
    "status": _(
        "Gemeten: de meetdatum ligt op of vóór het einde van de studieperiode. Gecensureerd: de "
        "studieperiode eindigde vóór de meetdatum; de zaak telt dan niet mee in het percentage "
        "passende uitkomst en de Kaplan-Meiercurve volgt haar tot het einde van de studie."
    ),
    "suitable": _(
        "Passend onderwijs of passende zorg bereikt binnen drie maanden: de laatste uitkomst "
        "met een datum op of vóór de meetdatum is een passende uitkomst (terug op school, "
        "andere school, passende zorg, vrijstelling of passend traject) en de zaak is daarna "
        "niet vóór of op de meetdatum heropend. Leeg bij gecensureerde zaken."
    ),
    "outcome_category": _(
        "De uitkomst die op de meetdatum gold (zie hierboven); leeg als de zaak toen nog open "
        "was of na de uitkomst was heropend."
    ),
    "days_to_outcome": _(
        "Dagen van de melding tot de datum van de passende uitkomst. Leeg zonder passende "
        "uitkomst binnen drie maanden."
    ),
    "days_to_first_contact": _(
        "Dagen van de melding tot het eerste contact met het kind of een ouder (elk kanaal), "
        "op of vóór de meetdatum. Leeg als er binnen drie maanden geen contact was."
    ),
    "distinct_professionals": _(
        "Aantal verschillende professionals dat het kind heeft gesproken: contacten 'met de "
        "leerling' of 'met leerling en ouders' op of vóór de meetdatum."
    ),
    "handovers": _(
        "Aantal overdrachten van de zaak naar een andere professional op of vóór de meetdatum "
        "(een eerste toewijzing is geen overdracht)."
    ),
    "contacts": _(
        "Aantal vastgelegde contacten over de zaak (met wie dan ook) op of vóór de meetdatum."
    ),
    "furthest_stage": _(
        "De verste ketenstap die de zaak op of vóór de meetdatum bereikte, in de volgorde "
        "Leerplicht (1) < Halt (2) < Raad voor de Kinderbescherming (3)."
    ),
    "km_days": _(
        "Kaplan-Meier: dagen van de melding tot de passende uitkomst, of tot het einde van de "
        "waarneming (de meetdatum, of het einde van de studie bij een gecensureerde zaak)."
    ),
    "km_event": _(
        "Kaplan-Meier: 1 als de passende uitkomst binnen de waarneming is bereikt, 0 als de "
        "zaak op dat moment gecensureerd is."
    ),
}


@dataclass(frozen=True, slots=True)
class CaseMeasure:
    case_id: int
    arm: str
    date_received: datetime.date
    measured_on: datetime.date
    status: str
    suitable: bool | None
    outcome_category: str
    days_to_outcome: int | None
    days_to_first_contact: int | None
    distinct_professionals: int
    handovers: int
    contacts: int
    furthest_stage: str
    km_days: int
    km_event: bool


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """The first moment after `day` in the project's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def outcome_in_force(
    outcomes: Iterable[tuple[str, datetime.date]],
    reopened_on: Iterable[datetime.date],
    day: datetime.date,
) -> tuple[str, datetime.date] | None:
    """The outcome that held on `day`: the latest on or before it, unless reopened after it."""
    earlier = [o for o in outcomes if o[1] <= day]
    if not earlier:
        return None
    category, achieved_on = max(earlier, key=lambda o: o[1])
    if any(achieved_on <= r <= day for r in reopened_on):
        return None
    return category, achieved_on


def measure_many(cases: list[Case], study_end: datetime.date | None = None) -> list[CaseMeasure]:
    """Measure a chunk of cases with five grouped queries, whatever the chunk's size.

    `cases` need `id`, `arm`, `date_received`, `three_month_deadline` and `stage`. A case whose
    measurement date is after `study_end` is censored at `study_end`.
    """
    if not cases:
        return []
    ids = [c.pk for c in cases]
    window = {c.pk: _horizon(c, study_end) for c in cases}
    latest = max(window.values())

    contact_rows = (
        Contact.objects.filter(case_id__in=ids, occurred_at__lt=_end_of_day(latest))
        .values_list("case_id", "professional_id", "with_whom", "occurred_at")
        .order_by()
    )
    first_contact: dict[int, datetime.date] = {}
    met: dict[int, set[int]] = defaultdict(set)
    n_contacts: dict[int, int] = defaultdict(int)
    for case_id, professional_id, with_whom, occurred_at in contact_rows.iterator(chunk_size=5000):
        day = _local_date(occurred_at)
        if day > window[case_id]:
            continue
        n_contacts[case_id] += 1
        if with_whom in CLIENT_CONTACT and (
            case_id not in first_contact or day < first_contact[case_id]
        ):
            first_contact[case_id] = day
        if with_whom in CHILD_MET:
            met[case_id].add(professional_id)

    handovers: dict[int, int] = defaultdict(int)
    for case_id, started_at in (
        Assignment.objects.filter(case_id__in=ids, is_handover=True)
        .values_list("case_id", "started_at")
        .order_by()
    ):
        if _local_date(started_at) <= window[case_id]:
            handovers[case_id] += 1

    stages: dict[int, set[str]] = defaultdict(set)
    reopened: dict[int, list[datetime.date]] = defaultdict(list)
    for case_id, from_stage, to_stage, from_status, to_status, changed_at in (
        StageChange.objects.filter(case_id__in=ids)
        .values_list("case_id", "from_stage", "to_stage", "from_status", "to_status", "changed_at")
        .order_by()
    ):
        day = _local_date(changed_at)
        if day > window[case_id]:
            continue
        if from_stage:
            stages[case_id].add(from_stage)
        stages[case_id].add(to_stage)
        if from_status == CaseStatus.CLOSED and to_status == CaseStatus.OPEN:
            reopened[case_id].append(day)

    # Intention-to-treat: the arm of the case's first allocation, whatever corrections came
    # after (Case.arm is the arm it is treated in). A case without an allocation row (data
    # from before the log) keeps Case.arm.
    allocated = dict(
        Case.objects.filter(pk__in=ids, allocations__method__in=INITIAL_ALLOCATION_METHODS)
        .values_list("pk", "allocations__arm")
        .order_by()
    )

    outcomes: dict[int, list[tuple[str, datetime.date]]] = defaultdict(list)
    for case_id, category, achieved_on in Outcome.objects.filter(case_id__in=ids).values_list(
        "case_id", "category", "achieved_on"
    ):
        outcomes[case_id].append((category, achieved_on))

    return [
        _measure_one(
            case,
            window[case.pk],
            first_contact.get(case.pk),
            len(met[case.pk]),
            n_contacts[case.pk],
            handovers[case.pk],
            stages[case.pk],
            outcome_in_force(outcomes[case.pk], reopened[case.pk], window[case.pk]),
            arm=allocated.get(case.pk, case.arm),
        )
        for case in cases
    ]


def _horizon(case: Case, study_end: datetime.date | None) -> datetime.date:
    if study_end is not None and study_end < case.three_month_deadline:
        return study_end
    return case.three_month_deadline


def _measure_one(
    case: Case,
    horizon: datetime.date,
    first_contact: datetime.date | None,
    distinct_professionals: int,
    contacts: int,
    handovers: int,
    stages_seen: set[str],
    in_force: tuple[str, datetime.date] | None,
    *,
    arm: str,
) -> CaseMeasure:
    censored = horizon < case.three_month_deadline
    category = in_force[0] if in_force else ""
    reached = category in SUITABLE_OUTCOMES
    days_to_outcome = (in_force[1] - case.date_received).days if reached and in_force else None
    # With no stage change the case is still in the stage it was registered in.
    seen = stages_seen or {case.stage}
    furthest = max(seen, key=lambda s: STAGE_ORDER.get(s, 0))
    return CaseMeasure(
        case_id=case.pk,
        arm=arm,
        date_received=case.date_received,
        measured_on=case.three_month_deadline,
        status=MeasurementStatus.CENSORED if censored else MeasurementStatus.MEASURED,
        suitable=None if censored else reached,
        outcome_category="" if censored else category,
        days_to_outcome=days_to_outcome,
        days_to_first_contact=(first_contact - case.date_received).days if first_contact else None,
        distinct_professionals=distinct_professionals,
        handovers=handovers,
        contacts=contacts,
        furthest_stage=furthest,
        km_days=days_to_outcome if reached else (horizon - case.date_received).days,
        km_event=reached,
    )


def measure_case(case: Case, study_end: datetime.date | None = None) -> CaseMeasure:
    return measure_many([case], study_end)[0]


MEASURE_FIELDS = ("id", "arm", "date_received", "three_month_deadline", "stage")


def measurable(as_of: datetime.date, study_end: datetime.date | None = None) -> models.QuerySet:
    """Allocated cases whose three-month date has passed by `as_of` (or censored by study end).

    Referrals received after the study end are not part of the study: they are left out
    (measured at the study end they would get a negative follow-up time).
    """
    qs = Case.objects.exclude(arm="")
    passed = Q(three_month_deadline__lt=as_of)
    if study_end is not None:
        qs = qs.filter(date_received__lte=study_end)
        if study_end < as_of:
            passed |= Q(three_month_deadline__gt=study_end)
    return qs.filter(passed)


def measure_live(
    queryset: models.QuerySet,
    study_end: datetime.date | None = None,
    chunk_size: int = 2000,
) -> Iterator[CaseMeasure]:
    """The same figures computed live, chunk by chunk, in bounded memory."""
    chunk: list[Case] = []
    for case in queryset.only(*MEASURE_FIELDS).order_by("pk").iterator(chunk_size=chunk_size):
        chunk.append(case)
        if len(chunk) >= chunk_size:
            yield from measure_many(chunk, study_end)
            chunk = []
    yield from measure_many(chunk, study_end)
