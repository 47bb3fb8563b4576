"""Chain steps on a case: Halt referral, Halt result, RvdK referral, closing, reopening.

Each is a full page with its own form (GET shows it, POST applies it through a service).
A refused step shows the service's message on the form with status 422; a concurrent change
keeps what the user typed and says so.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.groups import is_coordinator

from .. import access, services
from ..constants import HALT_PARENT_CONSENT_BELOW_AGE
from ..forms import (
    REFRESH_FORM,
    CloseForm,
    HaltReferralForm,
    HaltResultForm,
    ReasonForm,
    hide_field,
    require_when,
)
from ..models import Case
from ..services.stages import halt_eligibility_problems, rvdk_referral_problem
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
    adapt: Callable[[ReasonForm], None] | None = None,
) -> HttpResponse:
    """GET: the form. POST: validate, call `apply(form)`, redirect or show the errors.

    A POST with REFRESH_FORM (htmx, when a field that decides which others apply changes)
    shows the form again with what the user chose so far: unbound, so no errors yet."""
    context = {"case": case, "title": title, **(template_extra or {})}
    if request.method == "POST" and REFRESH_FORM in request.POST:
        chosen = {
            name: request.POST[name] for name in form_class.base_fields if name in request.POST
        }
        form = form_class(initial={"version": case.version, **chosen})
        if adapt is not None:
            adapt(form)
        return render(request, "cases/stage_form.html", {**context, "form": form})
    form = form_class(
        request.POST if request.method == "POST" else None, initial={"version": case.version}
    )
    if adapt is not None:
        adapt(form)

    def current_version() -> int:
        case.refresh_from_db()
        return case.version

    return versioned_form_page(
        request,
        form,
        template="cases/stage_form.html",
        context=context,
        apply=apply,
        success=success,
        success_url=case.get_absolute_url(),
        current_version=current_version,
    )


def _case_for_chain_step(request: AuthenticatedHttpRequest, pk: int) -> Case:
    """The case, if the user may take a chain step on it now: 404 for a case they may not
    see, 403 with the reason (access.chain_step_refusal) before any form is shown or saved."""
    case = access.get_case_for_user(request.user, pk, write=True)
    access.require_chain_step(request.user, case)
    return case


@require_http_methods(["GET", "POST"])
def case_refer_to_halt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case_for_chain_step(request, pk)
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

    def fit_to_the_child(form: ReasonForm) -> None:
        # The override reason is required exactly when the child does not meet the criteria;
        # the service checks it and words the error (it names the unmet criteria).
        if problems:
            require_when(form.fields["override_reason"], _("verplicht voor deze leerling"))
            form.fields["override_reason"].widget.attrs["aria-required"] = "true"
        else:
            hide_field(form.fields["override_reason"])

    return _stage_page(
        request,
        case,
        HaltReferralForm,
        adapt=fit_to_the_child,
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
    case = _case_for_chain_step(request, pk)

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
        # Shown before submitting, not only as the service's refusal afterwards.
        template_extra={
            "missing_requirement": rvdk_referral_problem(case),
            "can_log_contact": access.can_log_contact(request.user, case),
        },
    )


@require_http_methods(["GET", "POST"])
def case_halt_result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case_for_chain_step(request, pk)

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
    case = _case_for_chain_step(request, pk)

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
