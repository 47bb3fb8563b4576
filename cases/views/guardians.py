"""Guardians (parents and carers) of the case's household: list, add and change.

The page also serves as the optional step after intake ("Ouders/verzorgers toevoegen", with
?stap=intake): the coordinator records the guardians, then goes on to assign the case.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest

from .. import access, selectors
from ..casework_forms import GuardianForm
from ..exceptions import CaseError
from ..forms import apply_service_errors
from ..models import Case
from ..services.guardians import guardian_add, guardian_change


def _after_intake(request: AuthenticatedHttpRequest) -> bool:
    return request.GET.get("stap") == "intake"


def _guardians_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    form: GuardianForm | None,
    *,
    status: int = 200,
    saved_message: str = "",
) -> HttpResponse:
    context = {
        "case": case,
        "form": form,
        "guardians": selectors.household_guardians(case),
        "can_change": access.can_change_case(request.user, case),
        "after_intake": _after_intake(request),
        "saved_message": saved_message,
    }
    template = "cases/guardians.html#panel" if request.htmx else "cases/guardians.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def guardians(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The household's guardians, with the form to add one for whoever may change the case."""
    if request.method == "GET":
        case = access.get_case_for_user(request.user, pk)
        form = GuardianForm() if access.can_change_case(request.user, case) else None
        return _guardians_page(request, case, form)
    case = access.get_case_for_user(request.user, pk, write=True)
    form = GuardianForm(request.POST)
    if form.is_valid():
        try:
            guardian = guardian_add(case=case, details=form.details(), actor=request.user)
        except CaseError as error:
            apply_service_errors(form, error.errors)
        else:
            message = _("%(name)s is toegevoegd aan het huishouden.") % {"name": guardian.name}
            if request.htmx:
                return _guardians_page(request, case, GuardianForm(), saved_message=message)
            messages.success(request, message)
            url = reverse("cases:guardians", args=[case.pk])
            return redirect(f"{url}?stap=intake" if _after_intake(request) else url)
    return _guardians_page(request, case, form, status=422)


@require_http_methods(["GET", "POST"])
def guardian_edit(request: AuthenticatedHttpRequest, pk: int, guardian_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    guardian = access.get_guardian_for_case(request.user, case, guardian_pk)
    form = GuardianForm.for_guardian(guardian, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                guardian_change(guardian=guardian, details=form.details(), actor=request.user)
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(
                    request,
                    _("De gegevens van %(name)s zijn gewijzigd.")
                    % {"name": form.cleaned_data["name"]},
                )
                return redirect("cases:guardians", pk=case.pk)
        status = 422
    return render(
        request,
        "cases/guardian_form.html",
        {"case": case, "form": form, "guardian": guardian},
        status=status,
    )
