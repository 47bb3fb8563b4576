"""Logging a contact, with the chain role the professional takes in it."""

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from professionals.models import Professional
from professionals.qualifications import is_sworn_on, roles_available_to
from roles.acts import act_violations
from roles.constants import Channel, ContactKind, ContactWith

from ..exceptions import RuleViolation
from ..models import MAX_CONTACT_MINUTES, Case, Contact, ContactCorrection
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
        if not case.is_open:
            raise RuleViolation(_("Deze zaak is gesloten; er kunnen geen contacten bij."))
        if case.professional_id != professional.pk:
            raise RuleViolation(_("Alleen de professional die de zaak heeft, legt contacten vast."))

        errors = _log_errors(
            case=case,
            professional=professional,
            role=role,
            kind=kind,
            with_whom=with_whom,
            channel=channel,
            occurred_at=occurred_at,
            duration_minutes=duration_minutes,
            caution_given=caution_given,
            follow_up_on=follow_up_on,
        )
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


def _log_errors(
    *,
    case: Case,
    professional: Professional,
    role: str,
    kind: str,
    with_whom: str,
    channel: str,
    occurred_at: datetime.datetime,
    duration_minutes: int,
    caution_given: bool,
    follow_up_on: datetime.date | None,
) -> dict[str | None, str]:
    """The rule violations of a new contact on `case`, per field; empty when it may be logged."""
    errors: dict[str | None, str] = {}
    local_day = timezone.localdate(occurred_at)
    if occurred_at_error := _occurred_at_error(occurred_at, timezone.now(), case):
        errors["occurred_at"] = occurred_at_error
    if with_whom not in ContactWith.values:
        errors["with_whom"] = _("Kies met wie het contact was.")
    if channel not in Channel.values:
        errors["channel"] = _("Kies het kanaal van het contact.")
    if duration_error := _duration_error(duration_minutes):
        errors["duration_minutes"] = duration_error
    if follow_up_on is not None and follow_up_on < local_day:
        errors["follow_up_on"] = _("De vervolgafspraak ligt vóór de datum van het contact.")

    if role not in roles_available_to(professional, local_day):
        errors["role"] = _("Je hebt op %(day)s geen geldige kwalificatie voor deze rol.") % {
            "day": local_day.strftime("%d-%m-%Y")
        }
    else:
        _add_act_violations(
            errors,
            case=case,
            professional=professional,
            role=role,
            kind=kind,
            day=local_day,
            caution_given=caution_given,
            with_whom=with_whom,
        )
    return errors


def _occurred_at_error(
    occurred_at: datetime.datetime, now: datetime.datetime, case: Case
) -> str | None:
    """Why a contact on `case` cannot have taken place at `occurred_at`, or None."""
    if occurred_at > now + FUTURE_TOLERANCE:
        return _("Het contact ligt in de toekomst.")
    if timezone.localdate(occurred_at) < case.date_received:
        return _("Het contact ligt vóór de datum van de melding (%(day)s).") % {
            "day": case.date_received.strftime("%d-%m-%Y")
        }
    return None


def _duration_error(duration_minutes: int) -> str | None:
    """Why a contact cannot have lasted `duration_minutes`, or None."""
    if not 1 <= duration_minutes <= MAX_CONTACT_MINUTES:
        return _("Een contact duurt tussen 1 minuut en 8 uur (480 minuten).")
    return None


def _add_act_violations(
    errors: dict[str | None, str],
    *,
    case: Case,
    professional: Professional,
    role: str,
    kind: str,
    day: datetime.date,
    caution_given: bool,
    with_whom: str,
) -> None:
    """Add what roles/acts.py says against `kind` in `role` on `day`, for the fields that have
    no error yet."""
    for field, message in act_violations(
        role=role,
        kind=kind,
        sworn=is_sworn_on(professional, day),
        caution_given=caution_given,
        with_whom=with_whom,
        pupil_age=case.child.age_on(day),
    ).items():
        errors.setdefault(field, message)


# Correcting a logged contact (issue 16). The original values stay in ContactCorrection.
CORRECTION_WINDOW = datetime.timedelta(days=14)
# A PV or verhoor is legal evidence: corrected only on the first day, later only withdrawn.
EVIDENCE_CORRECTION_WINDOW = datetime.timedelta(hours=24)
EVIDENCE_KINDS = frozenset({ContactKind.PROCES_VERBAAL, ContactKind.VERHOOR})
CORRECTABLE_FIELDS = ("kind", "with_whom", "occurred_at", "duration_minutes", "summary")


def correction_refusal(
    contact: Contact, user: AbstractBaseUser | AnonymousUser, now: datetime.datetime
) -> str | None:
    """Why `user` may not correct `contact` now, or None when they may.

    Only the professional who logged it, within CORRECTION_WINDOW of logging it, on an open
    case; a PV or verhoor only within EVIDENCE_CORRECTION_WINDOW; a withdrawn one never.
    """
    if contact.withdrawn_at is not None:
        return _("Dit contact is ingetrokken en kan niet meer worden gecorrigeerd.")
    if contact.created_by_id != user.pk:
        return _("Alleen de professional die het contact vastlegde, kan het corrigeren.")
    if not contact.case.is_open:
        return _("Deze zaak is gesloten; contacten kunnen niet meer worden gecorrigeerd.")
    age = now - contact.created_at
    if contact.kind in EVIDENCE_KINDS and age > EVIDENCE_CORRECTION_WINDOW:
        return _(
            "Een proces-verbaal of verhoor is bewijs: na 24 uur kan het niet meer worden "
            "gecorrigeerd, alleen met een reden worden ingetrokken."
        )
    if age > CORRECTION_WINDOW:
        return _("Een contact kan tot 14 dagen na het vastleggen worden gecorrigeerd.")
    return None


def withdrawal_refusal(contact: Contact, user: AbstractBaseUser | AnonymousUser) -> str | None:
    """Why `user` may not withdraw `contact`, or None. Only a PV or verhoor is withdrawn, by
    the professional who logged it, on an open case, once."""
    if contact.kind not in EVIDENCE_KINDS:
        return _("Alleen een proces-verbaal of verhoor wordt ingetrokken; corrigeer dit contact.")
    if contact.withdrawn_at is not None:
        return _("Dit contact is al ingetrokken.")
    if contact.created_by_id != user.pk:
        return _("Alleen de professional die het contact vastlegde, kan het intrekken.")
    if not contact.case.is_open:
        return _("Deze zaak is gesloten; contacten kunnen niet meer worden ingetrokken.")
    return None


def _lock_contact(contact: Contact) -> Contact:
    return (
        Contact.objects.select_for_update(of=("self",))
        .select_related("case__child", "professional")
        .get(pk=contact.pk)
    )


def _as_json(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def contact_correct(
    *,
    contact: Contact,
    actor: User,
    kind: str,
    with_whom: str,
    occurred_at: datetime.datetime,
    duration_minutes: int,
    summary: str,
    caution_given: bool,
) -> Contact:
    """Correct a logged contact; the values before and after go into a ContactCorrection row
    in the same transaction, and the contact gets `corrected_at` (the timeline shows it).

    The role stays; the corrected kind must be allowed in that role by roles/acts.py, for the
    professional's qualifications on the contact's date. Raises RuleViolation with a message
    per field (or one for the whole contact, see correction_refusal); nothing is saved then.
    """
    with transaction.atomic():
        locked = _lock_contact(contact)
        now = timezone.now()
        refusal = correction_refusal(locked, actor, now)
        if refusal:
            raise RuleViolation(refusal)
        errors = _correction_errors(
            locked,
            now=now,
            kind=kind,
            with_whom=with_whom,
            occurred_at=occurred_at,
            duration_minutes=duration_minutes,
            caution_given=caution_given,
        )
        if errors:
            raise RuleViolation(errors=errors)

        after: dict[str, object] = {
            "kind": kind,
            "with_whom": with_whom,
            "occurred_at": occurred_at,
            "duration_minutes": duration_minutes,
            "summary": summary,
            "caution_given": caution_given,
        }
        changed = {name: value for name, value in after.items() if getattr(locked, name) != value}
        if not changed:
            raise RuleViolation(_("Er is niets gewijzigd; het contact is niet gecorrigeerd."))
        _save_correction(locked, changed, actor=actor, now=now)
        return locked


def _correction_errors(
    locked: Contact,
    *,
    now: datetime.datetime,
    kind: str,
    with_whom: str,
    occurred_at: datetime.datetime,
    duration_minutes: int,
    caution_given: bool,
) -> dict[str | None, str]:
    """The rule violations of correcting `locked` to these values, per field; empty when
    the correction may be saved."""
    case = locked.case
    errors: dict[str | None, str] = {}
    local_day = timezone.localdate(occurred_at)
    if occurred_at_error := _occurred_at_error(occurred_at, now, case):
        errors["occurred_at"] = occurred_at_error
    if with_whom not in ContactWith.values:
        errors["with_whom"] = _("Kies met wie het contact was.")
    if duration_error := _duration_error(duration_minutes):
        errors["duration_minutes"] = duration_error
    if kind in EVIDENCE_KINDS and locked.kind not in EVIDENCE_KINDS:
        errors["kind"] = _(
            "Een proces-verbaal of verhoor leg je vast als nieuw contact, niet als correctie."
        )
    if with_whom in ContactWith.values:
        _add_act_violations(
            errors,
            case=case,
            professional=locked.professional,
            role=locked.role,
            kind=kind,
            day=local_day,
            caution_given=caution_given,
            with_whom=with_whom,
        )
    return errors


def _save_correction(
    locked: Contact, changed: dict[str, object], *, actor: User, now: datetime.datetime
) -> None:
    """Write the ContactCorrection row (the values before and after), then the new values."""
    ContactCorrection.objects.create(
        contact=locked,
        before={name: _as_json(getattr(locked, name)) for name in changed},
        after={name: _as_json(value) for name, value in changed.items()},
        corrected_by=actor,
        corrected_at=now,
    )
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.corrected_at = now
    locked.save(update_fields=[*changed, "corrected_at"])


def contact_withdraw(*, contact: Contact, actor: User, reason: str) -> Contact:
    """Withdraw a PV or verhoor with a reason: it stays on the timeline, marked withdrawn.

    Writes a ContactCorrection row (withdrawn_at and the reason) in the same transaction.
    Raises RuleViolation (see withdrawal_refusal; the reason is required).
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock_contact(contact)
        refusal = withdrawal_refusal(locked, actor)
        if refusal:
            raise RuleViolation(refusal)
        if not reason:
            raise RuleViolation(errors={"reason": _("Geef de reden van de intrekking.")})
        now = timezone.now()
        ContactCorrection.objects.create(
            contact=locked,
            before={"withdrawn_at": None},
            after={"withdrawn_at": now.isoformat(), "withdrawal_reason": reason},
            corrected_by=actor,
            corrected_at=now,
        )
        locked.withdrawn_at = now
        locked.withdrawal_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        return locked
