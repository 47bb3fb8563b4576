"""Assigning a case to a professional. Every change of professional is a handover."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from professionals.models import Professional

from ..constants import AssignmentReason
from ..exceptions import RuleViolation
from ..models import Assignment, Case
from ..notifications import send_assignment_mail
from ._locking import bump_version, lock_case


def case_assign(
    *,
    case: Case,
    professional: Professional,
    actor: User,
    reason: str,
    note: str = "",
    expected_version: int | None,
    notify: bool = True,
) -> Assignment:
    """Give the case to `professional`, ending the current assignment.

    A reassignment (the case had a professional) is a handover: it needs a written note and
    its own reason, not "Eerste toewijzing".
    Clears a waiting handover request. After commit the professional gets an e-mail with a
    link to the case and no data of the child. The case row is locked and its version checked, so of
    two coordinators assigning at once one wins and the other gets ConcurrentEdit.
    """
    with transaction.atomic():
        case = lock_case(case, expected_version=expected_version)
        errors: dict[str | None, str] = {}
        if not case.is_open:
            errors[None] = _("Een gesloten zaak wordt niet toegewezen.")
        # The same rule as the assign form: the record and the login account both active.
        if not Professional.objects.active().filter(pk=professional.pk).exists():
            errors["professional"] = _("Deze professional is niet actief.")
        if case.professional_id == professional.pk:
            errors["professional"] = _("Deze professional heeft de zaak al.")
        is_handover = case.professional_id is not None
        if reason not in AssignmentReason.values:
            errors["reason"] = _("Kies een reden.")
        elif is_handover and reason == AssignmentReason.INTAKE:
            # A handover with "Eerste toewijzing" would hide why the case changed hands.
            errors["reason"] = _(
                "De zaak heeft al een professional: kies de reden van deze overdracht."
            )
        note = (note or "").strip()
        if is_handover and not note:
            errors["note"] = _("Licht toe waarom de zaak naar een andere professional gaat.")
        if errors:
            raise RuleViolation(errors=errors)
        now = timezone.now()
        # save(), not QuerySet.update(): the change history (cases/history.py) records the end.
        # At most one current assignment exists (assignment_one_current).
        for current in Assignment.objects.filter(case=case, ended_at__isnull=True):
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        assignment = Assignment.objects.create(
            case=case,
            professional=professional,
            started_at=now,
            reason=reason,
            note=note,
            is_handover=is_handover,
            assigned_by=actor,
        )
        case.professional = professional
        case.handover_requested_at = None
        bump_version(case, "professional", "handover_requested_at")
        if notify:
            transaction.on_commit(lambda: send_assignment_mail(assignment.pk))
        return assignment
