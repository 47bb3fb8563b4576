"""Adding a new verzuimmelding to a child's open case, instead of opening a second case."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import CaseSource, MeldingType
from ..exceptions import RuleViolation
from ..models import Case, Melding
from ._locking import bump_version, lock_case

MAX_HOURS_ABSENT = 2000
MAX_TIMES_LATE = 1000


def melding_problems(
    *,
    date_received: datetime.date,
    source: str,
    melding_type: str,
    hours_absent: int,
    times_late: int,
    period_start: datetime.date,
    period_end: datetime.date,
) -> dict[str, str]:
    """Why this melding cannot be added, as {field: message}; empty when it can. The same
    date rules as a new referral (cases.services.referrals.referral_problems)."""
    errors: dict[str, str] = {}
    if date_received > timezone.localdate():
        errors["date_received"] = _("De datum van ontvangst ligt in de toekomst.")
    if period_end < period_start:
        errors["period_end"] = _("Het einde van de verzuimperiode ligt vóór het begin.")
    elif period_end > date_received:
        errors["period_end"] = _("De verzuimperiode eindigt uiterlijk op de datum van de melding.")
    if source not in CaseSource.values:
        errors["source"] = _("Kies een bron.")
    if melding_type not in MeldingType.values:
        errors["melding_type"] = _("Kies een soort melding.")
    if not 0 <= hours_absent <= MAX_HOURS_ABSENT:
        errors["hours_absent"] = _("Vul 0 tot en met %(max)s uur in.") % {"max": MAX_HOURS_ABSENT}
    if not 0 <= times_late <= MAX_TIMES_LATE:
        errors["times_late"] = _("Vul 0 tot en met %(max)s keer in.") % {"max": MAX_TIMES_LATE}
    return errors


def melding_add(
    *,
    case: Case,
    actor: User,
    date_received: datetime.date,
    source: str,
    melding_type: str,
    hours_absent: int,
    times_late: int,
    period_start: datetime.date,
    period_end: datetime.date,
    note: str = "",
    expected_version: int | None,
) -> Melding:
    """Add a new melding for the case's child to the open `case`, and return it.

    The caller has checked that `actor` may change the case (cases.access: the coordinator,
    or the professional the case is assigned to). The case row is locked and its version
    checked (ConcurrentEdit when someone changed it since the form was opened) and bumped.
    The melding is the case's history row for this event: it shows in the timeline, and its
    change-history entry (cases/history.py) is written in the same transaction. A closed case
    or a refused melding raises RuleViolation with {field: message} and writes nothing.
    """
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        errors: dict[str | None, str] = dict(
            melding_problems(
                date_received=date_received,
                source=source,
                melding_type=melding_type,
                hours_absent=hours_absent,
                times_late=times_late,
                period_start=period_start,
                period_end=period_end,
            ).items()
        )
        if not case.is_open:
            errors[None] = _(
                "Zaak %(number)s is gesloten: een nieuwe melding opent een nieuwe zaak."
            ) % {"number": case.number}
        if errors:
            raise RuleViolation(errors=errors)
        melding = Melding.objects.create(
            case=case,
            date_received=date_received,
            source=source,
            melding_type=melding_type,
            hours_absent=hours_absent,
            times_late=times_late,
            period_start=period_start,
            period_end=period_end,
            note=(note or "").strip(),
            created_by=actor,
            created_at=timezone.now(),
        )
        bump_version(case)
        return melding
