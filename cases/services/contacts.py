"""Logging a contact, with the chain role the professional takes in it."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from professionals.models import Professional
from professionals.qualifications import is_sworn_on, roles_available_to
from roles.acts import act_violations
from roles.constants import Channel, ContactWith

from ..exceptions import RuleViolation
from ..models import MAX_CONTACT_MINUTES, Case, Contact
from ._locking import lock_case

# A contact may be logged a little ahead of the server clock (clock skew, a form typed at 10:59).
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


def contact_log(
    *,
    case: Case,
    professional: Professional,
    role: str,
    kind: str,
    with_whom: str,
    channel: str,
    occurred_at: datetime.datetime,
    duration_minutes: int,
    summary: str = "",
    caution_given: bool = False,
    follow_up_on: datetime.date | None = None,
) -> Contact:
    """Record one contact on an open case held by `professional`.

    Every rule is checked here, whatever the form offered: the role must be one the
    professional holds a valid qualification for on the contact's date, the kind must be one
    that role allows (roles/acts.py), and dates and duration must make sense. Raises
    RuleViolation with a message per field.
    """
    with transaction.atomic():
        case = lock_case(case, expected_version=None)
        errors: dict[str | None, str] = {}
        if not case.is_open:
            raise RuleViolation(_("Deze zaak is gesloten; er kunnen geen contacten bij."))
        if case.professional_id != professional.pk:
            raise RuleViolation(_("Alleen de professional die de zaak heeft, legt contacten vast."))

        local_day = timezone.localdate(occurred_at)
        if occurred_at > timezone.now() + FUTURE_TOLERANCE:
            errors["occurred_at"] = _("Het contact ligt in de toekomst.")
        elif local_day < case.date_received:
            errors["occurred_at"] = _(
                "Het contact ligt vóór de datum van de melding (%(day)s)."
            ) % {"day": case.date_received.strftime("%d-%m-%Y")}
        if with_whom not in ContactWith.values:
            errors["with_whom"] = _("Kies met wie het contact was.")
        if channel not in Channel.values:
            errors["channel"] = _("Kies het kanaal van het contact.")
        if not 1 <= duration_minutes <= MAX_CONTACT_MINUTES:
            errors["duration_minutes"] = _(
                "Een contact duurt tussen 1 minuut en 8 uur (480 minuten)."
            )
        if follow_up_on is not None and follow_up_on < local_day:
            errors["follow_up_on"] = _("De vervolgafspraak ligt vóór de datum van het contact.")

        if role not in roles_available_to(professional, local_day):
            errors["role"] = _("Je hebt op %(day)s geen geldige kwalificatie voor deze rol.") % {
                "day": local_day.strftime("%d-%m-%Y")
            }
        else:
            for field, message in act_violations(
                role=role,
                kind=kind,
                sworn=is_sworn_on(professional, local_day),
                caution_given=caution_given,
                with_whom=with_whom,
                pupil_age=case.child.age_on(local_day),
            ).items():
                errors.setdefault(field, message)
        if errors:
            raise RuleViolation(errors=errors)

        return Contact.objects.create(
            case=case,
            professional=professional,
            role=role,
            kind=kind,
            with_whom=with_whom,
            channel=channel,
            occurred_at=occurred_at,
            duration_minutes=duration_minutes,
            summary=summary,
            caution_given=caution_given,
            follow_up_on=follow_up_on,
            created_by=professional.user,
        )
