"""Correcting a logged contact, or withdrawing a PV or verhoor, from the case's timeline.

Who may do it and until when is the service's rule (cases.services.contacts); the page
explains a refusal instead of showing the form.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from ..casework_forms import ContactCorrectionForm, ContactWithdrawalForm
from ..exceptions import CaseError
from ..forms import apply_service_errors
from ..services.contacts import (
    contact_correct,
    contact_withdraw,
    correction_refusal,
    withdrawal_refusal,
)

# The service names the moment "occurred_at"; the form splits it into a date and a time.
SERVICE_ERROR_FIELDS: dict[str | None, str | None] = {"occurred_at": "occurred_on"}


@require_http_methods(["GET", "POST"])
def contact_correction(request: AuthenticatedHttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    contact = access.get_contact_for_case(request.user, case, contact_pk)
    refusal = correction_refusal(contact, request.user, timezone.now())
    data = request.POST if request.method == "POST" else None
    form = ContactCorrectionForm(data, contact=contact) if refusal is None else None
    status = 200 if refusal is None else 403
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                contact_correct(
                    contact=contact,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    with_whom=form.cleaned_data["with_whom"],
                    occurred_at=form.occurred_at(),
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    summary=form.cleaned_data["summary"],
                    caution_given=form.cleaned_data["caution_given"],
                )
            except CaseError as error:
                errors = {SERVICE_ERROR_FIELDS.get(f, f): m for f, m in error.errors.items()}
                apply_service_errors(form, errors)
            else:
                messages.success(request, _("Het contact is gecorrigeerd."))
                return redirect(f"{case.get_absolute_url()}#contact-{contact.pk}")
        status = 422
    return render(
        request,
        "cases/contact_correction.html",
        {
            "case": case,
            "contact": contact,
            "form": form,
            "refusal": refusal,
            "can_withdraw": withdrawal_refusal(contact, request.user) is None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def contact_withdrawal(request: AuthenticatedHttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    contact = access.get_contact_for_case(request.user, case, contact_pk)
    refusal = withdrawal_refusal(contact, request.user)
    form = (
        ContactWithdrawalForm(request.POST if request.method == "POST" else None)
        if refusal is None
        else None
    )
    status = 200 if refusal is None else 403
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                contact_withdraw(
                    contact=contact, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(request, _("Het contact is ingetrokken."))
                return redirect(f"{case.get_absolute_url()}#contact-{contact.pk}")
        status = 422
    return render(
        request,
        "cases/contact_withdrawal.html",
        {"case": case, "contact": contact, "form": form, "refusal": refusal},
        status=status,
    )
