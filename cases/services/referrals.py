"""Registering a referral (verzuimmelding): the child, their household, the case, its arm."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..constants import MAX_SCHOOL_AGE, MIN_SCHOOL_AGE, CaseStatus
from ..events import referral_registered
from ..exceptions import RuleViolation
from ..models import Case, Child, Household, School, StageChange, age_on
from .numbers import case_numbers_reserve


def child_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    bsn: str | None,
    onderwijsnummer: str | None,
    school: School | None,
    household: Household,
    tussenvoegsel: str = "",
) -> Child:
    """Create a child after checking BSN, onderwijsnummer and date of birth (full_clean)."""
    child = Child(
        first_name=first_name.strip(),
        tussenvoegsel=tussenvoegsel.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        bsn=bsn or None,
        onderwijsnummer=onderwijsnummer or None,
        school=school,
        household=household,
    )
    try:
        child.full_clean()
    except ValidationError as error:
        raise RuleViolation(
            errors={field: " ".join(messages) for field, messages in error.message_dict.items()}
        ) from None
    child.save()
    return child


def household_register(*, street: str, postcode: str, city: str) -> Household:
    household = Household(street=street.strip(), postcode=postcode, city=city.strip())
    try:
        household.full_clean()
    except ValidationError as error:
        raise RuleViolation(
            errors={field: " ".join(messages) for field, messages in error.message_dict.items()}
        ) from None
    household.save()
    return household


# Stored as the reason of the initial stage-change row, in Dutch like the records it joins.
REGISTERED_REASON = gettext_noop("Verzuimmelding geregistreerd.")


def _initial_stage_change(case: Case, actor: User) -> StageChange:
    return StageChange(
        case=case,
        from_stage="",
        to_stage=case.stage,
        from_status="",
        to_status=CaseStatus.OPEN,
        reason=REGISTERED_REASON,
        actor=actor,
        changed_at=timezone.now(),
    )


def initial_stage_change(*, case: Case, actor: User) -> StageChange:
    """Write the registration row of a new case: the stage it starts in, open, by `actor`.

    Every path that creates a case calls this (or `initial_stage_changes_bulk`) in the same
    transaction: the evaluation's furthest stage reads the stage at registration from it, so a
    later move is never dated back to the registration.
    """
    change = _initial_stage_change(case, actor)
    change.save()
    return change


def initial_stage_changes_bulk(*, cases: list[Case], actor: User) -> list[StageChange]:
    """`initial_stage_change` for many new cases at once (the CSV import): one INSERT per
    call. Call it inside the transaction that creates `cases`, after they have primary keys.
    """
    return StageChange.objects.bulk_create([_initial_stage_change(case, actor) for case in cases])


def referral_problems(
    *,
    child: Child,
    date_received: datetime.date,
    period_start: datetime.date,
    period_end: datetime.date,
) -> dict[str, str]:
    """Why this referral cannot be registered, as {field: message}; empty when it can."""
    errors: dict[str, str] = {}
    if date_received > timezone.localdate():
        errors["date_received"] = _("De datum van ontvangst ligt in de toekomst.")
    if period_end < period_start:
        errors["period_end"] = _("Het einde van de verzuimperiode ligt vóór het begin.")
    elif period_end > date_received:
        errors["period_end"] = _("De verzuimperiode eindigt uiterlijk op de datum van de melding.")
    age = age_on(child.date_of_birth, date_received)
    if not MIN_SCHOOL_AGE <= age <= MAX_SCHOOL_AGE:
        errors["date_of_birth"] = _(
            "Op de meldingsdatum is het kind %(age)s jaar. Een verzuimmelding gaat over een "
            "leerplichtig of kwalificatieplichtig kind van 5 tot en met 17 jaar."
        ) % {"age": age}
    if child.pk and Case.objects.filter(child=child, status="open").exists():
        errors["child"] = _(
            "Dit kind heeft al een open zaak. Voeg de nieuwe melding daaraan toe in plaats van "
            "een tweede zaak te openen."
        )
    return errors


def referral_register(
    *,
    actor: User,
    child: Child,
    date_received: datetime.date,
    source: str,
    melding_type: str,
    hours_absent: int,
    times_late: int,
    period_start: datetime.date,
    period_end: datetime.date,
    allocate: bool = True,
) -> Case:
    """Open a case for `child` and allocate it to a study arm by block randomisation.

    The allocation is evaluation's reaction to `cases.events.referral_registered` (sent when
    `allocate` is true); cases itself knows nothing of the study's draw.

    Registration and allocation are one transaction: the arm is drawn only once the referral
    exists, and a refused referral draws nothing. The initial stage-change row (the stage the
    case starts in) is written in the same transaction.
    """
    with transaction.atomic():
        if child.pk:
            # Lock the child so two coordinators cannot open two cases for it at once.
            child = Child.objects.select_for_update().get(pk=child.pk)
        errors = referral_problems(
            child=child,
            date_received=date_received,
            period_start=period_start,
            period_end=period_end,
        )
        if errors:
            raise RuleViolation(errors=errors)
        (number,) = case_numbers_reserve(year=date_received.year)
        case = Case.objects.create(
            number=number,
            child=child,
            date_received=date_received,
            source=source,
            melding_type=melding_type,
            hours_absent=hours_absent,
            times_late=times_late,
            period_start=period_start,
            period_end=period_end,
        )
        initial_stage_change(case=case, actor=actor)
        if allocate:
            # The allocation (evaluation's reaction) joins this transaction: it succeeds or
            # fails with the registration (cases/events.py).
            referral_registered.send(sender=Case, case=case, actor=actor)
        return case
