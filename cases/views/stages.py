"""Chain steps on a case: Halt referral, Halt result, RvdK referral, closing, reopening.

Each is a full page with its own form (GET shows it, POST applies it through a service).
A refused step shows the service's message on the form with status 422; a concurrent change
keeps what the user typed and says so.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.groups import is_coordinator

from .. import access, services
from ..constants import HALT_PARENT_CONSENT_BELOW_AGE
from ..forms import CloseForm, HaltReferralForm, HaltResultForm, ReasonForm
from ..models import Case
from ..services.stages import halt_eligibility_problems
from .versioned_forms import versioned_form_page


def _stage_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    form_class: type[ReasonForm],
    *,
    title: str,
    apply: Callable[[ReasonForm], None],
    success: str,
    template_extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET: the form. POST: validate, call `apply(form)`, redirect or show the errors."""
    form = form_class(
        request.POST if request.method == "POST" else None, initial={"version": case.version}
    )

    def current_version() -> int:
        case.refresh_from_db()
        return case.version

    return versioned_form_page(
        request,
        form,
        template="cases/stage_form.html",
        context={"case": case, "title": title, **(template_extra or {})},
        apply=apply,
        success=success,
        success_url=case.get_absolute_url(),
        current_version=current_version,
    )


@require_http_methods(["GET", "POST"])
def case_refer_to_halt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    problems = halt_eligibility_problems(case, today=timezone.localdate())
    age = case.child.age_on(timezone.localdate())

    def apply(form: ReasonForm) -> None:
        services.case_refer_to_halt(
            case=case,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            pupil_consent=form.cleaned_data["pupil_consent"],
            parent_consent=form.cleaned_data["parent_consent"],
            override_reason=form.cleaned_data["override_reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _stage_page(
        request,
        case,
        HaltReferralForm,
        title=_("Doorverwijzen naar Halt"),
        apply=apply,
        success=_("De zaak is doorverwezen naar Halt."),
        template_extra={
            "eligibility_problems": list(problems.values()),
            "parent_consent_needed": age < HALT_PARENT_CONSENT_BELOW_AGE,
        },
    )


@require_http_methods(["GET", "POST"])
def case_refer_to_rvdk(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)

    def apply(form: ReasonForm) -> None:
        services.case_refer_to_rvdk(
            case=case,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _stage_page(
        request,
        case,
        ReasonForm,
        title=_("Doorverwijzen naar de Raad voor de Kinderbescherming"),
        apply=apply,
        success=_("De zaak is doorverwezen naar de Raad voor de Kinderbescherming."),
    )


@require_http_methods(["GET", "POST"])
def case_halt_result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)

    def apply(form: ReasonForm) -> None:
        services.case_halt_result(
            case=case,
            actor=request.user,
            result=form.cleaned_data["result"],
            reason=form.cleaned_data["reason"],
            category=form.cleaned_data["category"],
            achieved_on=form.cleaned_data["achieved_on"],
            expected_version=form.cleaned_data["version"],
        )

    return _stage_page(
        request,
        case,
        HaltResultForm,
        title=_("Halt-uitkomst vastleggen"),
        apply=apply,
        success=_("De Halt-uitkomst is vastgelegd."),
    )


@require_http_methods(["GET", "POST"])
def case_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)

    def apply(form: ReasonForm) -> None:
        services.case_close(
            case=case,
            actor=request.user,
            category=form.cleaned_data["category"],
            achieved_on=form.cleaned_data["achieved_on"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _stage_page(
        request,
        case,
        CloseForm,
        title=_("Zaak sluiten met uitkomst"),
        apply=apply,
        success=_("De zaak is gesloten."),
    )


@require_http_methods(["GET", "POST"])
def case_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk)
    if not is_coordinator(request.user):
        raise PermissionDenied

    def apply(form: ReasonForm) -> None:
        services.case_reopen(
            case=case,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _stage_page(
        request,
        case,
        ReasonForm,
        title=_("Zaak heropenen"),
        apply=apply,
        success=_("De zaak is heropend."),
    )
