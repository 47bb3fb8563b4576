"""The evaluation's definitions: what is measured for every case at three months, and how.

This module is the single source of the definitions. The snapshot command, the live
computation, the report and the research export all use it, and the export's codebook quotes
the texts in ``DEFINITIONS`` word for word.

The measurement date of a case is its referral date (``date_received``) plus three calendar
months; a referral on the 31st of a month whose third month is shorter is measured on that
month's last day (31 January -> 30 April, 30 November -> 28/29 February). Everything on or
before the measurement date counts ("within three months" is inclusive).

Closures and reopenings are ordered by the moment they were recorded (`Outcome.recorded_at`,
`StageChange.changed_at`), never by the outcome date a user typed in: a case reopened at 09:00
and closed again at 12:00 the same day, or closed again with an outcome dated before the
reopening, is closed with its second outcome.

`measure_many(..., recorded_by=moment)` measures as a data freeze does: only records present
at `moment` (contacts, handovers, stage changes, outcomes, allocations recorded by then) count.
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

from cases.constants import SUITABLE_OUTCOMES, CaseStatus, OutcomeCategory, Stage
from cases.models import Assignment, Case, Contact, Outcome, StageChange
from roles.constants import ContactWith

from .constants import INITIAL_ALLOCATION_METHODS

# Bumped whenever a definition below changes; stored with every snapshot.
DEFINITIONS_VERSION = 2  # 2: ordering by recording time, moved away censors

# Contacts that count as meeting the child, and as the first contact with the household.
CHILD_MET = (ContactWith.PUPIL, ContactWith.PUPIL_AND_PARENTS)
CLIENT_CONTACT = (ContactWith.PUPIL, ContactWith.PARENTS, ContactWith.PUPIL_AND_PARENTS)

# "Furthest stage": the chain's order. Halt and the RvdK both follow Leerplicht; the RvdK is the
# heavier step, so a case that reached it counts as furthest.
STAGE_ORDER: dict[str, int] = {Stage.LEERPLICHT: 1, Stage.HALT: 2, Stage.RVDK: 3}


class MeasurementStatus(models.TextChoices):
    MEASURED = "gemeten", _("Gemeten op drie maanden")
    CENSORED = "gecensureerd", _("Gecensureerd: studie eindigde vóór drie maanden")
    # Moving out of the region ends the follow-up: lost to follow-up, not a failure.
    MOVED = "verhuisd", _("Gecensureerd: verhuisd buiten de regio vóór de meetdatum")


# Both censored statuses: not in the share of suitable outcomes, followed by Kaplan-Meier only
# until the censoring date.
CENSORED_STATUSES = (MeasurementStatus.CENSORED, MeasurementStatus.MOVED)


DEFINITIONS = {
    "measured_on": _(
        "Meetdatum: de datum van de melding plus drie kalendermaanden. Valt die dag niet in "
        "de maand (31 januari + 3 maanden), dan de laatste dag van die maand. Alles op of vóór "
        "de meetdatum telt mee."
    ),
    "status": _(
        "Gemeten: de meetdatum ligt op of vóór het einde van de studieperiode. Gecensureerd: de "
        "studieperiode eindigde vóór de meetdatum; de zaak telt dan niet mee in het percentage "
        "passende uitkomst en de Kaplan-Meiercurve volgt haar tot het einde van de studie. "
        "Verhuisd: de uitkomst die op de meetdatum gold is 'verhuisd buiten de regio'; de zaak "
        "is dan uit het zicht (loss to follow-up), telt niet mee in het percentage passende "
        "uitkomst (geen mislukking) en de Kaplan-Meiercurve volgt haar tot de datum van de "
        "verhuizing."
    ),
    "suitable": _(
        "Passend onderwijs of passende zorg bereikt binnen drie maanden: de laatste uitkomst "
        "met een datum op of vóór de meetdatum is een passende uitkomst (terug op school, "
        "andere school, passende zorg, vrijstelling of passend traject) en de zaak is daarna "
        "niet vóór of op de meetdatum heropend. Sluiten en heropenen tellen in de volgorde "
        "waarin ze zijn vastgelegd, niet in de volgorde van de ingevulde uitkomstdatum: wie "
        "heropent en dezelfde dag weer sluit, of de tweede uitkomst terugdateert vóór de "
        "heropening, heeft de tweede uitkomst. Leeg bij gecensureerde en verhuisde zaken."
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
        "Leerplicht (1) < Halt (2) < Raad voor de Kinderbescherming (3). De ketenstap bij "
        "de melding telt altijd mee; een latere stap telt alleen als de wijziging op of vóór "
        "de meetdatum is gedaan."
    ),
    "km_days": _(
        "Kaplan-Meier: dagen van de melding tot de passende uitkomst, of tot het einde van de "
        "waarneming (de meetdatum, het einde van de studie bij een gecensureerde zaak, of de "
        "datum van de verhuizing bij een verhuisde zaak)."
    ),
    "km_event": _(
        "Kaplan-Meier: 1 als de passende uitkomst binnen de waarneming is bereikt, 0 als de "
        "zaak op dat moment gecensureerd is (ook bij een verhuizing)."
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


# An event in a case's closure history: (recorded at, kind, outcome or None, effective day).
CLOSURE, REOPENING = 0, 1


def outcome_in_force(
    outcomes: Iterable[tuple[str, datetime.date, datetime.datetime]],
    reopenings: Iterable[datetime.datetime],
    day: datetime.date,
) -> tuple[str, datetime.date] | None:
    """The outcome that held on `day`, or None when the case was open then.

    `outcomes` are (category, achieved_on, recorded_at), `reopenings` the moments of reopening.
    Closures (an outcome is written with its closure) and reopenings are put in the order in
    which they were recorded; only those in effect by `day` count (an outcome dated on or
    before it, a reopening on or before it). The last of those decides: a closure gives its
    outcome, a reopening leaves the case open. At the same moment a closure comes first (a
    case can only be reopened once closed).
    """
    events: list[tuple[datetime.datetime, int, tuple[str, datetime.date] | None]] = [
        (recorded_at, CLOSURE, (category, achieved_on))
        for category, achieved_on, recorded_at in outcomes
        if achieved_on <= day
    ]
    events.extend((moment, REOPENING, None) for moment in reopenings if _local_date(moment) <= day)
    if not events:
        return None
    return max(events, key=lambda event: (event[0], event[1]))[2]


def measure_many(
    cases: list[Case],
    study_end: datetime.date | None = None,
    *,
    recorded_by: datetime.datetime | None = None,
) -> list[CaseMeasure]:
    """Measure a chunk of cases with six grouped queries, whatever the chunk's size.

    `cases` need `id`, `arm`, `date_received`, `three_month_deadline` and `stage`. A case whose
    measurement date is after `study_end` is censored at `study_end`. With `recorded_by`, only
    records present at that moment count (a data freeze); without it, every record does.
    """
    if not cases:
        return []
    ids = [c.pk for c in cases]
    window = {c.pk: _horizon(c, study_end) for c in cases}
    first_contact, met, n_contacts = _contacts(ids, window, recorded_by)
    handovers = _handovers(ids, window, recorded_by)
    stages, reopened = _stage_history(cases, ids, window, recorded_by)
    allocated = _itt_arms(ids, recorded_by)
    outcomes = _outcomes(ids, recorded_by)

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


def _present(field: str, recorded_by: datetime.datetime | None) -> Q:
    """Records present at `recorded_by` (by their `field`); every record without it."""
    return Q() if recorded_by is None else Q(**{f"{field}__lte": recorded_by})


def _contacts(
    ids: list[int],
    window: dict[int, datetime.date],
    recorded_by: datetime.datetime | None,
) -> tuple[dict[int, datetime.date], defaultdict[int, set[int]], defaultdict[int, int]]:
    """Per case: the day of the first client contact, the professionals who met the child and
    the number of contacts, all on or before the case's measurement date. One query."""
    latest = max(window.values())
    contact_rows = (
        Contact.objects.filter(
            _present("created_at", recorded_by),
            case_id__in=ids,
            occurred_at__lt=_end_of_day(latest),
        )
        .values_list("case_id", "professional_id", "with_whom", "occurred_at")
        .order_by()
    )
    first_contact: dict[int, datetime.date] = {}
    met: defaultdict[int, set[int]] = defaultdict(set)
    n_contacts: defaultdict[int, int] = defaultdict(int)
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
    return first_contact, met, n_contacts


def _handovers(
    ids: list[int],
    window: dict[int, datetime.date],
    recorded_by: datetime.datetime | None,
) -> defaultdict[int, int]:
    """Per case: the handovers started on or before its measurement date. One query."""
    handovers: defaultdict[int, int] = defaultdict(int)
    for case_id, started_at in (
        Assignment.objects.filter(
            _present("started_at", recorded_by), case_id__in=ids, is_handover=True
        )
        .values_list("case_id", "started_at")
        .order_by()
    ):
        if _local_date(started_at) <= window[case_id]:
            handovers[case_id] += 1
    return handovers


def _stage_history(
    cases: list[Case],
    ids: list[int],
    window: dict[int, datetime.date],
    recorded_by: datetime.datetime | None,
) -> tuple[defaultdict[int, set[str]], defaultdict[int, list[datetime.datetime]]]:
    """Per case: the stages seen and the moments of reopening, by the measurement date. One
    query."""
    stages: defaultdict[int, set[str]] = defaultdict(set)
    # The stage the case was registered in: that of its first recorded change (the initial
    # row written at registration, or the from-stage of its first move). Never the current
    # stage of a case that moved since: that would date a later move back to registration.
    first_change: dict[int, tuple[datetime.datetime, int, str]] = {}
    reopened: defaultdict[int, list[datetime.datetime]] = defaultdict(list)
    for pk, case_id, from_stage, to_stage, from_status, to_status, changed_at in (
        StageChange.objects.filter(case_id__in=ids)
        .values_list(
            "pk", "case_id", "from_stage", "to_stage", "from_status", "to_status", "changed_at"
        )
        .order_by()
    ):
        if case_id not in first_change or (changed_at, pk) < first_change[case_id][:2]:
            first_change[case_id] = (changed_at, pk, from_stage or to_stage)
        if recorded_by is not None and changed_at > recorded_by:
            continue
        if _local_date(changed_at) > window[case_id]:
            continue
        if from_stage:
            stages[case_id].add(from_stage)
        stages[case_id].add(to_stage)
        if from_status == CaseStatus.CLOSED and to_status == CaseStatus.OPEN:
            reopened[case_id].append(changed_at)
    for case in cases:
        # Without any change the case is still in the stage it was registered in.
        stages[case.pk].add(first_change[case.pk][2] if case.pk in first_change else case.stage)
    return stages, reopened


def _itt_arms(ids: list[int], recorded_by: datetime.datetime | None) -> dict[int, str]:
    """Per case: the arm of its first allocation. One query."""
    # Intention-to-treat: the arm of the case's first allocation, whatever corrections came
    # after (Case.arm is the arm it is treated in). A case without an allocation row (data
    # from before the log) keeps Case.arm.
    return dict(
        Case.objects.filter(
            _present("allocations__created_at", recorded_by),
            pk__in=ids,
            allocations__method__in=INITIAL_ALLOCATION_METHODS,
        )
        .values_list("pk", "allocations__arm")
        .order_by()
    )


def _outcomes(
    ids: list[int], recorded_by: datetime.datetime | None
) -> defaultdict[int, list[tuple[str, datetime.date, datetime.datetime]]]:
    """Per case: its outcomes as (category, achieved_on, recorded_at). One query."""
    outcomes: defaultdict[int, list[tuple[str, datetime.date, datetime.datetime]]] = defaultdict(
        list
    )
    for case_id, category, achieved_on, recorded_at in (
        Outcome.objects.filter(_present("recorded_at", recorded_by), case_id__in=ids)
        .values_list("case_id", "category", "achieved_on", "recorded_at")
        .order_by()
    ):
        outcomes[case_id].append((category, achieved_on, recorded_at))
    return outcomes


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
    furthest = max(stages_seen, key=lambda s: STAGE_ORDER.get(s, 0))
    if in_force and category == OutcomeCategory.MOVED:
        # Lost to follow-up at the date of the move: censored there, not a failure.
        status = MeasurementStatus.MOVED
        observed_days = (in_force[1] - case.date_received).days
    else:
        status = MeasurementStatus.CENSORED if censored else MeasurementStatus.MEASURED
        observed_days = (horizon - case.date_received).days
    return CaseMeasure(
        case_id=case.pk,
        arm=arm,
        date_received=case.date_received,
        measured_on=case.three_month_deadline,
        status=status,
        suitable=None if status != MeasurementStatus.MEASURED else reached,
        outcome_category="" if status == MeasurementStatus.CENSORED else category,
        days_to_outcome=days_to_outcome,
        days_to_first_contact=(first_contact - case.date_received).days if first_contact else None,
        distinct_professionals=distinct_professionals,
        handovers=handovers,
        contacts=contacts,
        furthest_stage=furthest,
        # days_to_outcome is set exactly when the case reached a suitable outcome.
        km_days=days_to_outcome if days_to_outcome is not None else observed_days,
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
    *,
    recorded_by: datetime.datetime | None = None,
) -> Iterator[CaseMeasure]:
    """The same figures computed live, chunk by chunk, in bounded memory, in case order."""
    chunk: list[Case] = []
    for case in queryset.only(*MEASURE_FIELDS).order_by("pk").iterator(chunk_size=chunk_size):
        chunk.append(case)
        if len(chunk) >= chunk_size:
            yield from measure_many(chunk, study_end, recorded_by=recorded_by)
            chunk = []
    yield from measure_many(chunk, study_end, recorded_by=recorded_by)
