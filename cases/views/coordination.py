"""The coordinator's work: the queue, intake of one referral, assignment.

The study arm's page (allocation) is evaluation's: evaluation/views/allocation.py.
"""

from collections.abc import Sequence
from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.htmx import full_page_for_form_errors
from bip.lib.http import AuthenticatedHttpRequest
from professionals.groups import AnyUser
from professionals.models import Professional

from .. import access, selectors, services
from ..constants import AssignmentReason
from ..exceptions import CaseError
from ..forms import (
    AssignForm,
    IntakeSearchForm,
    NewChildForm,
    ReferralForm,
)
from ..models import Assignment, Case, Child, Household
from ..services.intake import referral_intake
from ..validators import is_valid_postcode, normalise_postcode
from ..workload import assignment_suggestions, bip_capacity
from .versioned_forms import versioned_form_page


@require_GET
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Unassigned referrals by waiting time, cases of deactivated professionals, handovers
    waiting, deadlines within 14 days. Each list is capped, one query each."""
    access.require_coordinator(request.user)
    today = timezone.localdate()
    return render(
        request,
        "cases/queue.html",
        {
            "today": today,
            **selectors.coordinator_queue(today),
            "capacity": bip_capacity(),
        },
    )


# Database ids fit in a signed 64-bit integer (19 digits); 18 digits stay clear of overflow.
MAX_ID_DIGITS = 18


def _child_id(value: object) -> int | None:
    """The `child` parameter as a child id: a plain positive number of ASCII digits, else None.

    Anything else (5,000 digits, '-1', Arabic-Indic digits, a NUL byte) counts as no child
    chosen: int() would raise on more than 4,300 digits, and the database on an overflow.
    """
    value = str(value or "")
    if not (0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit()):
        return None
    return int(value) or None


def _chosen_child(user: AnyUser, params: QueryDict) -> Child | None:
    """The child the intake is for (the `child` parameter), if it names one the user may see."""
    child_id = _child_id(params.get("child"))
    if child_id is None:
        return None
    return (
        access.children_visible_to(user)
        .select_related("household", "school")
        .filter(pk=child_id)
        .first()
    )


def _address_matches(user: AnyUser, data: QueryDict) -> list[Household]:
    """Households at the posted address, looked up before the form is validated (its choices
    depend on them). Only a well-formed address is looked up: PostgreSQL refuses a NUL byte,
    and the form reports every other problem with the address itself."""
    street = (data.get("street") or "").strip()
    postcode = normalise_postcode(data.get("postcode") or "")
    # The declared field type: base_fields is typed as plain Field.
    street_field = cast(forms.CharField, NewChildForm.base_fields["street"])
    if not street or street_field.max_length is None or len(street) > street_field.max_length:
        return []
    if "\x00" in street or not is_valid_postcode(postcode):
        return []
    return selectors.households_at_address(
        access.households_visible_to(user), street=street, postcode=postcode
    )


def _intake_forms(
    request: AuthenticatedHttpRequest, *, child: Child | None, new_child: bool
) -> tuple[ReferralForm | None, NewChildForm | None]:
    """The referral form (and the new child's form), bound on POST; (None, None) before a
    child is chosen."""
    if child is None and not new_child:
        return None, None
    posted = request.POST if request.method == "POST" else None
    referral_form = ReferralForm(posted, initial={"date_received": timezone.localdate()})
    if not new_child:
        return referral_form, None
    child_form = NewChildForm(
        posted,
        households=_address_matches(request.user, request.POST) if posted else (),
        initial={key: request.GET.get(key, "") for key in ("bsn", "last_name", "date_of_birth")},
    )
    return referral_form, child_form


def _register(
    request: AuthenticatedHttpRequest,
    *,
    child: Child | None,
    referral_form: ReferralForm,
    child_form: NewChildForm | None,
) -> Case | None:
    """Validate the forms and register the referral; None with the errors on the forms."""
    forms_valid = referral_form.is_valid() & (child_form is None or child_form.is_valid())
    if not forms_valid or (child_form is not None and not child_form.household_chosen()):
        return None
    try:
        return referral_intake(
            actor=request.user,
            child=child,
            new_child=child_form.new_child() if child_form is not None else None,
            **referral_form.cleaned_data,
        )
    except CaseError as error:
        target = child_form if child_form is not None else referral_form
        for field, message in error.errors.items():
            form = referral_form if field in referral_form.fields else target
            form.add_error(field if field in form.fields else None, message)
        return None


def _open_case_of(user: AnyUser, child: Child | None) -> Case | None:
    """The open case of the chosen child, if the user may see it."""
    if child is None:
        return None
    return access.cases_visible_to(user).open().filter(child=child).first()


def _registered_message(case: Case) -> str:
    """The confirmation after a referral is registered, naming the arm it is allocated to."""
    if case.arm:
        return _("Zaak %(number)s is aangemaakt en ingedeeld in de %(arm)s.") % {
            "number": case.number,
            "arm": case.get_arm_display(),
        }
    # no allocation (the study has ended): no arm to name
    return _("Zaak %(number)s is aangemaakt.") % {"number": case.number}


@require_http_methods(["GET", "POST"])
def intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Intake of one referral: find the child first, then record the melding.

    A child with an open case gets no second case: the search results and the chosen child
    offer to add the melding to that case instead (cases:melding_create). With htmx the search
    step answers with its results only.
    """
    access.require_coordinator(request.user)
    params = request.POST if request.method == "POST" else request.GET
    search = IntakeSearchForm(request.GET if "zoek" in request.GET else None)
    child = _chosen_child(request.user, params)
    new_child = params.get("nieuw") == "1"
    open_case = None if new_child else _open_case_of(request.user, child)
    if open_case is not None:
        # The melding belongs to the open case: no referral form to fill in for nothing.
        referral_form, child_form = None, None
    else:
        referral_form, child_form = _intake_forms(request, child=child, new_child=new_child)
    status = 200
    if request.method == "POST" and open_case is not None:
        status = 422  # no second case: the page offers to add the melding to the open one
    if request.method == "POST" and referral_form is not None:
        case = _register(request, child=child, referral_form=referral_form, child_form=child_form)
        if case is not None:
            messages.success(request, _registered_message(case))
            return redirect("cases:assign", pk=case.pk)
        status = 422
    context = {
        "search": search,
        "matches": selectors.children_matching(**search.cleaned_data) if search.is_valid() else [],
        "child": child,
        "open_case": open_case,
        "new_child": new_child,
        "referral_form": referral_form,
        "child_form": child_form,
    }
    if request.htmx and request.method == "GET" and search.is_bound:
        if full_page := full_page_for_form_errors(request, search):
            return full_page
        return render(request, "cases/intake.html#matches", context)
    return render(request, "cases/intake.html", context, status=status)


def _assign_form(
    request: AuthenticatedHttpRequest, case: Case, suggestions: Sequence[Professional]
) -> AssignForm:
    """The assignment form, proposing the best suggestion and the likely reason.

    A first assignment proposes "Eerste toewijzing", a handover the control arm asked for
    "Overdracht bij ketenstap"; any other reassignment proposes no reason: the coordinator
    chooses its own (issue 14 #5).
    """
    is_reassignment = case.professional_id is not None
    default_reason = "" if is_reassignment else AssignmentReason.INTAKE
    if case.handover_requested_at:
        default_reason = AssignmentReason.STAGE_HANDOVER
    return AssignForm(
        request.POST if request.method == "POST" else None,
        is_reassignment=is_reassignment,
        initial={
            "version": case.version,
            "reason": default_reason,
            "professional": suggestions[0].pk if suggestions else None,
        },
    )


@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Assign or reassign a case, with the workload and ranked suggestions beside it."""
    access.require_coordinator(request.user)
    case = access.get_case_for_user(request.user, pk, write=True)
    suggestions = assignment_suggestions(case)
    form = _assign_form(request, case, suggestions)

    def apply(form: AssignForm) -> Assignment:
        return services.case_assign(
            case=case,
            professional=form.cleaned_data["professional"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )

    def current_version() -> int:
        case.refresh_from_db()
        return case.version

    return versioned_form_page(
        request,
        form,
        template="cases/assign.html",
        context={
            "case": case,
            "suggestions": suggestions,
            "chosen": str(form["professional"].value() or ""),
            "capacity": bip_capacity(),
        },
        apply=apply,
        success=lambda assignment: (
            _("Zaak %(number)s is toegewezen aan %(name)s.")
            % {"number": case.number, "name": assignment.professional}
        ),
        success_url="cases:queue",
        current_version=current_version,
    )
