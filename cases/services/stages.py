"""Moving a case along the chain, closing and reopening it.

The legal routes are the map STAGE_TRANSITIONS in cases/constants.py; every other move is
refused. Every change writes a StageChange row (from, to, actor, time, reason) in the same
transaction and bumps the case's version, so a concurrent change is detected, not lost.
"""

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import Arm
from professionals.groups import is_coordinator
from roles.constants import ContactKind

from ..access import require_chain_step
from ..constants import (
    HALT_HOURS,
    HALT_MAX_AGE,
    HALT_MIN_AGE,
    HALT_PARENT_CONSENT_BELOW_AGE,
    HALT_TIMES_LATE,
    STAGE_TRANSITIONS,
    CaseStatus,
    HaltResult,
    OutcomeCategory,
    Stage,
)
from ..events import case_closed
from ..exceptions import RuleViolation, TransitionNotAllowed
from ..models import Case, Outcome, StageChange
from ._locking import bump_version, lock_case


def halt_eligibility_problems(case: Case, *, today: datetime.date) -> dict[str, str]:
    """The Halt criteria this case does not meet, as {field: message}. Consent is separate."""
    problems: dict[str, str] = {}
    age = case.child.age_on(today)
    if not HALT_MIN_AGE <= age <= HALT_MAX_AGE:
        problems["age"] = _(
            "Halt is voor leerlingen van %(min)s tot en met %(max)s jaar; deze leerling is %(age)s."
        ) % {"min": HALT_MIN_AGE, "max": HALT_MAX_AGE, "age": age}
    hours_ok = HALT_HOURS[0] <= case.hours_absent <= HALT_HOURS[1]
    late_ok = HALT_TIMES_LATE[0] <= case.times_late <= HALT_TIMES_LATE[1]
    if not (hours_ok or late_ok):
        problems["absence"] = _(
            "Halt vraagt %(min_hours)s tot en met %(max_hours)s uur verzuim of %(min_late)s tot "
            "en met %(max_late)s keer te laat; deze zaak heeft %(hours)s uur en %(late)s keer "
            "te laat."
        ) % {
            "min_hours": HALT_HOURS[0],
            "max_hours": HALT_HOURS[1],
            "min_late": HALT_TIMES_LATE[0],
            "max_late": HALT_TIMES_LATE[1],
            "hours": case.hours_absent,
            "late": case.times_late,
        }
    earlier = StageChange.objects.filter(case__child_id=case.child_id, to_stage=Stage.HALT).exclude(
        from_stage=Stage.HALT
    )
    if earlier.exists():
        problems["earlier"] = _("Deze leerling is al eerder voor schoolverzuim naar Halt verwezen.")
    return problems


def _check_route(case: Case, to_stage: str) -> None:
    if not case.is_open:
        raise TransitionNotAllowed(_("Een gesloten zaak verandert niet van ketenstap."))
    if to_stage not in STAGE_TRANSITIONS[Stage(case.stage)]:
        raise TransitionNotAllowed(
            _("Van %(from)s naar %(to)s is geen route in de keten.")
            % {"from": Stage(case.stage).label, "to": Stage(to_stage).label}
        )


def _move(case: Case, *, to_stage: str, actor: User, reason: str, **history: Any) -> StageChange:
    """Apply a stage move to a locked case: history row, arm rule, version."""
    change = StageChange.objects.create(
        case=case,
        from_stage=case.stage,
        to_stage=to_stage,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        actor=actor,
        **history,
    )
    case.stage = to_stage
    fields = ["stage"]
    # BIP arm: the same professional keeps the case across stages. Otherwise a move into
    # another organisation's stage waits in the coordinator's queue for a handover.
    professional = case.professional
    needs_handover = (
        professional is not None
        and case.arm != Arm.BIP
        and professional.organisation.kind != to_stage
    )
    case.handover_requested_at = timezone.now() if needs_handover else None
    fields.append("handover_requested_at")
    bump_version(case, *fields)
    return change


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(errors={"reason": _("Geef een reden op.")})
    return reason


def case_refer_to_halt(
    *,
    case: Case,
    actor: User,
    reason: str,
    pupil_consent: bool,
    parent_consent: bool | None,
    override_reason: str = "",
    expected_version: int | None,
) -> StageChange:
    """Leerplicht → Halt. Checks eligibility; a written override reason can set aside the age,
    absence and earlier-referral criteria, never the consent.

    Raises PermissionDenied when `actor` may not take a chain step on the case now
    (cases.access.chain_step_refusal: a professional without the stage's role, or one whose
    case waits for a handover)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        require_chain_step(actor, case)
        _check_route(case, Stage.HALT)
        today = timezone.localdate()
        errors: dict[str, str] = {}
        if not pupil_consent:
            errors["pupil_consent"] = _("Halt vraagt de toestemming van de leerling.")
        needs_parents = case.child.age_on(today) < HALT_PARENT_CONSENT_BELOW_AGE
        if needs_parents and not parent_consent:
            errors["parent_consent"] = _(
                "De leerling is jonger dan 16: de ouders moeten ook toestemming geven."
            )
        problems = halt_eligibility_problems(case, today=today)
        override_reason = (override_reason or "").strip()
        if problems and not override_reason:
            errors["override_reason"] = (
                " ".join(problems.values())
                + " "
                + _("Verwijs alleen door als je dit bewust doet, met een schriftelijke reden.")
            )
        if errors:
            raise RuleViolation(errors=errors)
        full_reason = reason
        if problems:
            full_reason = _("%(reason)s\nToelating overschreven: %(override)s") % {
                "reason": reason,
                "override": override_reason,
            }
        return _move(
            case,
            to_stage=Stage.HALT,
            actor=actor,
            reason=full_reason,
            pupil_consent=pupil_consent,
            parent_consent=parent_consent if needs_parents else None,
            eligibility_override=bool(problems),
        )


def rvdk_referral_problem(case: Case) -> str:
    """Why the case cannot go to the Raad yet ('' when it can): a referral needs a
    proces-verbaal or a zorgmelding on the case. The referral page shows it before submitting."""
    grounds = case.contacts.filter(kind__in=[ContactKind.PROCES_VERBAAL, ContactKind.ZORGMELDING])
    if grounds.exists():
        return ""
    return _(
        "Naar de Raad gaat een zaak na een proces-verbaal of een zorgmelding. "
        "Leg die eerst vast als contact."
    )


def case_refer_to_rvdk(
    *, case: Case, actor: User, reason: str, expected_version: int | None
) -> StageChange:
    """Leerplicht → RvdK, after a proces-verbaal or a zorgmelding on this case.
    PermissionDenied as case_refer_to_halt."""
    reason = _require_reason(reason)
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        require_chain_step(actor, case)
        _check_route(case, Stage.RVDK)
        problem = rvdk_referral_problem(case)
        if problem:
            raise TransitionNotAllowed(problem)
        return _move(case, to_stage=Stage.RVDK, actor=actor, reason=reason)


def case_halt_result(
    *,
    case: Case,
    actor: User,
    result: str,
    reason: str,
    category: str = "",
    achieved_on: datetime.date | None = None,
    expected_version: int | None,
) -> StageChange:
    """The end of the Halt step: positive closes the case with an outcome; negative or
    withdrawn consent sends it back to Leerplicht. PermissionDenied as case_refer_to_halt
    (so only someone in the Halt role records it)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        require_chain_step(actor, case)
        if case.stage != Stage.HALT or not case.is_open:
            raise TransitionNotAllowed(
                _("Alleen een open zaak in de Halt-stap heeft een Halt-uitkomst.")
            )
        if result == HaltResult.POSITIVE:
            return _close(
                case,
                actor=actor,
                reason=reason,
                category=category,
                achieved_on=achieved_on,
                halt_result=result,
            )
        if result not in HaltResult.values:
            raise RuleViolation(errors={"result": _("Kies een Halt-uitkomst.")})
        _check_route(case, Stage.LEERPLICHT)
        return _move(
            case, to_stage=Stage.LEERPLICHT, actor=actor, reason=reason, halt_result=result
        )


def _close(
    case: Case,
    *,
    actor: User,
    reason: str,
    category: str,
    achieved_on: datetime.date | None,
    **history: Any,
) -> StageChange:
    errors: dict[str, str] = {}
    if category not in OutcomeCategory.values:
        errors["category"] = _("Kies de uitkomst van de zaak.")
    if achieved_on is None:
        errors["achieved_on"] = _("Vul de datum van de uitkomst in.")
    elif achieved_on > timezone.localdate():
        errors["achieved_on"] = _("De datum van de uitkomst ligt in de toekomst.")
    elif achieved_on < case.date_received:
        errors["achieved_on"] = _("De datum van de uitkomst ligt vóór de melding.")
    if errors or achieved_on is None:
        raise RuleViolation(errors=errors)
    Outcome.objects.create(case=case, category=category, achieved_on=achieved_on, recorded_by=actor)
    change = StageChange.objects.create(
        case=case,
        from_stage=case.stage,
        to_stage=case.stage,
        from_status=CaseStatus.OPEN,
        to_status=CaseStatus.CLOSED,
        reason=reason,
        actor=actor,
        **history,
    )
    case.status = CaseStatus.CLOSED
    case.closed_on = timezone.localdate()
    case.handover_requested_at = None
    bump_version(case, "status", "closed_on", "handover_requested_at")
    # Closure (or the three-month date, whichever is first) invites the client survey:
    # evaluation's reaction writes the invitations in this transaction and mails them when it
    # commits (cases/events.py).
    case_closed.send(sender=Case, case=case, actor=actor)
    return change


def case_close(
    *,
    case: Case,
    actor: User,
    category: str,
    achieved_on: datetime.date | None,
    reason: str,
    expected_version: int | None,
) -> StageChange:
    """Close a case in the Leerplicht or RvdK step with its outcome (category and date).

    A case in the Halt step closes through a positive Halt result (case_halt_result).
    PermissionDenied as case_refer_to_halt.
    """
    reason = _require_reason(reason)
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        require_chain_step(actor, case)
        if not case.is_open:
            raise TransitionNotAllowed(_("Deze zaak is al gesloten."))
        if case.stage == Stage.HALT:
            raise TransitionNotAllowed(
                _("Een zaak in de Halt-stap sluit met een positieve Halt-uitkomst.")
            )
        return _close(case, actor=actor, reason=reason, category=category, achieved_on=achieved_on)


def case_reopen(
    *, case: Case, actor: User, reason: str, expected_version: int | None
) -> StageChange:
    """Reopen a closed case. Only the coordinator may, and only with a reason."""
    if not is_coordinator(actor):
        raise PermissionDenied
    reason = _require_reason(reason)
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        if case.is_open:
            raise TransitionNotAllowed(_("Deze zaak is al open."))
        change = StageChange.objects.create(
            case=case,
            from_stage=case.stage,
            to_stage=case.stage,
            from_status=CaseStatus.CLOSED,
            to_status=CaseStatus.OPEN,
            reason=reason,
            actor=actor,
        )
        case.status = CaseStatus.OPEN
        case.closed_on = None
        bump_version(case, "status", "closed_on")
        return change
