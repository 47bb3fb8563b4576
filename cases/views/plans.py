"""The household plan on the case page: add and change goals and actions, mark actions done.

The plan belongs to the household; it is reached through a case the user may change.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bip.lib.http import AuthenticatedHttpRequest

from .. import access, selectors, services, timeline
from ..exceptions import CaseError, ConcurrentEdit
from ..forms import (
    PlanActionDoneForm,
    PlanActionEditForm,
    PlanActionForm,
    PlanGoalEditForm,
    PlanGoalForm,
    VersionedForm,
    apply_service_errors,
)
from ..models import Case
from .versioned_forms import versioned_form_page

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise


@require_http_methods(["GET", "POST"])
def plan_goal_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    form = PlanGoalForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.plan_goal_add(
                    case=case, actor=request.user, description=form.cleaned_data["description"]
                )
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(request, _("Doel toegevoegd aan het gezinsplan."))
                return redirect(f"{case.get_absolute_url()}#plan")
        status = 422
    return render(
        request,
        "cases/plan_form.html",
        {"case": case, "form": form, "title": _("Doel toevoegen aan het gezinsplan")},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def plan_action_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    plan = selectors.household_plan(case)["plan"]
    form = PlanActionForm(
        request.POST if request.method == "POST" else None,
        plan=plan,
        professionals=selectors.household_professionals(case),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.plan_action_add(
                    case=case,
                    actor=request.user,
                    description=form.cleaned_data["description"],
                    goal=form.cleaned_data["goal"],
                    owner=form.cleaned_data["owner"],
                    owner_professional=form.cleaned_data["owner_professional"],
                    due_on=form.cleaned_data["due_on"],
                )
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(request, _("Actie toegevoegd aan het gezinsplan."))
                return redirect(f"{case.get_absolute_url()}#plan")
        status = 422
    return render(
        request,
        "cases/plan_form.html",
        {"case": case, "form": form, "title": _("Actie toevoegen aan het gezinsplan")},
        status=status,
    )


def _plan_edit_page[F: VersionedForm](
    request: AuthenticatedHttpRequest,
    case: Case,
    form: F,
    *,
    title: str,
    apply: Callable[[F], None],
    success: str,
) -> HttpResponse:
    return versioned_form_page(
        request,
        form,
        template="cases/plan_form.html",
        context={"case": case, "title": title},
        apply=apply,
        success=success,
        success_url=f"{case.get_absolute_url()}#plan",
        current_version=lambda: selectors.household_plan_version(case),
    )


@require_http_methods(["GET", "POST"])
def plan_goal_edit(request: AuthenticatedHttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    goal = access.get_plan_goal_for_case(request.user, case, goal_pk)
    form = PlanGoalEditForm(
        request.POST if request.method == "POST" else None,
        initial={"description": goal.description, "version": goal.plan.version},
    )

    def apply(form: PlanGoalEditForm) -> None:
        services.plan_goal_change(
            case=case,
            actor=request.user,
            goal=goal,
            description=form.cleaned_data["description"],
            expected_version=form.cleaned_data["version"],
        )

    return _plan_edit_page(
        request,
        case,
        form,
        title=_("Doel wijzigen"),
        apply=apply,
        success=_("Doel gewijzigd in het gezinsplan."),
    )


@require_http_methods(["GET", "POST"])
def plan_action_edit(request: AuthenticatedHttpRequest, pk: int, action_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    action = access.get_plan_action_for_case(request.user, case, action_pk)
    form = PlanActionEditForm(
        request.POST if request.method == "POST" else None,
        plan=action.plan,
        professionals=selectors.household_professionals(case),
        initial={
            "description": action.description,
            "goal": action.goal_id,
            "owner": action.owner,
            "owner_professional": action.owner_professional_id,
            "due_on": action.due_on,
            "version": action.plan.version,
        },
    )

    def apply(form: PlanActionEditForm) -> None:
        services.plan_action_change(
            case=case,
            actor=request.user,
            action=action,
            description=form.cleaned_data["description"],
            goal=form.cleaned_data["goal"],
            owner=form.cleaned_data["owner"],
            owner_professional=form.cleaned_data["owner_professional"],
            due_on=form.cleaned_data["due_on"],
            expected_version=form.cleaned_data["version"],
        )

    return _plan_edit_page(
        request,
        case,
        form,
        title=_("Actie wijzigen"),
        apply=apply,
        success=_("Actie gewijzigd in het gezinsplan."),
    )


def _household_plan_swap(
    request: AuthenticatedHttpRequest, case: Case, *, conflict: "StrOrPromise | None", done: bool
) -> HttpResponse:
    """The htmx answer to marking an action done or not: the plan, 409 on a conflict."""
    # The whole visible state after the swap: the plan with its own confirmation, the
    # timeline with the new plan change, and no stale banner from an earlier page.
    if conflict:
        confirmation = None
    elif done:
        confirmation = _("Actie afgerond.")
    else:
        confirmation = _("Actie heropend.")
    context = {
        "case": case,
        **selectors.household_plan(case),
        "can_change": True,
        "plan_conflict": conflict,
        "plan_confirmation": confirmation,
        "oob_timeline": not conflict,
        "timeline": timeline.case_timeline(case),
    }
    return render(request, "cases/_household_plan.html", context, status=409 if conflict else 200)


@require_POST
def plan_action_done(request: AuthenticatedHttpRequest, pk: int, action_pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    action = access.get_plan_action_for_case(request.user, case, action_pk)
    form = PlanActionDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("De actie kon niet worden bijgewerkt: ververs de pagina."))
        return redirect(f"{case.get_absolute_url()}#plan")
    conflict = None
    try:
        services.plan_action_set_done(
            case=case,
            actor=request.user,
            action=action,
            done=form.cleaned_data["done"],
            on=timezone.localdate(),
            expected_version=form.cleaned_data["version"],
        )
    except ConcurrentEdit as error:
        conflict = error.errors[None]
    if request.htmx:
        return _household_plan_swap(
            request, case, conflict=conflict, done=form.cleaned_data["done"]
        )
    if conflict:
        messages.error(request, conflict)
    else:
        messages.success(request, _("Gezinsplan bijgewerkt."))
    return redirect(f"{case.get_absolute_url()}#plan")
