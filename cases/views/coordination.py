"""The coordinator's work: the queue, intake of one referral, assignment, the study arm."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from evaluation import services as evaluation_services
from evaluation.models import Allocation
from professionals.selectors import assignment_suggestions

from .. import access, selectors, services
from ..constants import AssignmentReason
from ..exceptions import CaseError, ConcurrentEdit
from ..forms import (
    AllocationForm,
    AssignForm,
    IntakeSearchForm,
    NewChildForm,
    ReferralForm,
    apply_service_errors,
)
from ..models import Child, Household
from ..validators import is_valid_postcode, normalise_postcode


@require_GET
def queue(request: AuthenticatedHttpRequest):
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
            "capacity": evaluation_services.bip_capacity(),
        },
    )


# Database ids fit in a signed 64-bit integer (19 digits); 18 digits stay clear of overflow.
MAX_ID_DIGITS = 18


def _child_id(value) -> int | None:
    """The `kind` parameter as a child id: a plain positive number of ASCII digits, else None.

    Anything else (5,000 digits, '-1', Arabic-Indic digits, a NUL byte) counts as no child
    chosen: int() would raise on more than 4,300 digits, and the database on an overflow.
    """
    value = str(value or "")
    if not (0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit()):
        return None
    return int(value) or None


def _address_matches(data) -> list[Household]:
    """Households at the posted address, looked up before the form is validated (its choices
    depend on them). Only a well-formed address is looked up: PostgreSQL refuses a NUL byte,
    and the form reports every other problem with the address itself."""
    street = (data.get("street") or "").strip()
    postcode = normalise_postcode(data.get("postcode") or "")
    if not street or len(street) > NewChildForm.base_fields["street"].max_length:
        return []
    if "\x00" in street or not is_valid_postcode(postcode):
        return []
    return list(
        Household.objects.filter(postcode=postcode, street__iexact=street).prefetch_related(
            "children"
        )[:5]
    )


def _register(request, *, child, referral_form: ReferralForm, child_form=None):
    """Register the referral (and the new child and household) in one transaction."""
    data = referral_form.cleaned_data
    with transaction.atomic():
        if child is None:
            child_data = child_form.cleaned_data
            choice = child_data.get("household_choice") or ""
            if child_data.get("sibling_bsn"):
                household = child_data["sibling_bsn"].household
            elif choice.startswith("bestaand-"):
                household = Household.objects.get(pk=int(choice.removeprefix("bestaand-")))
            else:
                household = services.household_register(
                    street=child_data["street"],
                    postcode=child_data["postcode"],
                    city=child_data["city"],
                )
            child = services.child_register(
                first_name=child_data["first_name"],
                last_name=child_data["last_name"],
                date_of_birth=child_data["date_of_birth"],
                bsn=child_data["bsn"] or None,
                onderwijsnummer=child_data["onderwijsnummer"] or None,
                school=child_data["school_brin"],
                household=household,
            )
        return services.referral_register(
            actor=request.user,
            child=child,
            date_received=data["date_received"],
            source=data["source"],
            melding_type=data["melding_type"],
            hours_absent=data["hours_absent"],
            times_late=data["times_late"],
            period_start=data["period_start"],
            period_end=data["period_end"],
        )


@require_http_methods(["GET", "POST"])
def intake(request: AuthenticatedHttpRequest):
    """Intake of one referral: find the child first, then record the melding."""
    access.require_coordinator(request.user)
    params = request.POST if request.method == "POST" else request.GET
    search = IntakeSearchForm(request.GET if "zoek" in request.GET else None)
    matches = selectors.children_matching(**search.cleaned_data) if search.is_valid() else []
    child = None
    child_id = _child_id(params.get("kind"))
    if child_id is not None:
        child = Child.objects.select_related("household", "school").filter(pk=child_id).first()
    new_child = params.get("nieuw") == "1"
    referral_form = child_form = None
    status = 200
    if child is not None or new_child:
        referral_form = ReferralForm(
            request.POST if request.method == "POST" else None,
            initial={"date_received": timezone.localdate()},
        )
        if new_child:
            child_form = NewChildForm(
                request.POST if request.method == "POST" else None,
                initial={
                    "bsn": request.GET.get("bsn", ""),
                    "last_name": request.GET.get("last_name", ""),
                    "date_of_birth": request.GET.get("date_of_birth", ""),
                },
            )
    if request.method == "POST" and referral_form is not None:
        proposals = []
        if child_form is not None:
            # The choices must be set before validation: otherwise no posted choice is valid.
            proposals = _address_matches(request.POST)
            child_form.fields["household_choice"].choices = [
                (
                    f"bestaand-{household.pk}",
                    _("Bestaand huishouden op dit adres, met %(names)s")
                    % {"names": ", ".join(c.first_name for c in household.children.all())},
                )
                for household in proposals
            ] + [("nieuw", _("Nieuw huishouden"))]
        forms_valid = referral_form.is_valid() & (child_form is None or child_form.is_valid())
        if (
            forms_valid
            and child_form is not None
            and proposals
            and not child_form.cleaned_data.get("sibling_bsn")
            and not child_form.cleaned_data.get("household_choice")
        ):
            forms_valid = False
            child_form.add_error(
                "household_choice",
                _("Er woont al een gezin op dit adres. Kies of het kind daarbij hoort."),
            )
        if forms_valid:
            try:
                case = _register(
                    request, child=child, referral_form=referral_form, child_form=child_form
                )
            except CaseError as error:
                target = child_form if child_form is not None else referral_form
                for field, message in error.errors.items():
                    form = referral_form if field in referral_form.fields else target
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("Zaak %(number)s is aangemaakt en ingedeeld in de %(arm)s.")
                    % {"number": case.number, "arm": case.get_arm_display()},
                )
                return redirect("cases:assign", pk=case.pk)
        status = 422
    return render(
        request,
        "cases/intake.html",
        {
            "search": search,
            "matches": matches,
            "child": child,
            "new_child": new_child,
            "referral_form": referral_form,
            "child_form": child_form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedHttpRequest, pk: int):
    """Assign or reassign a case, with the workload and ranked suggestions beside it."""
    access.require_coordinator(request.user)
    case = access.get_case_for_user(request.user, pk, write=True)
    suggestions = assignment_suggestions(case)
    default_reason = AssignmentReason.INTAKE if case.professional_id is None else ""
    if case.handover_requested_at:
        default_reason = AssignmentReason.STAGE_HANDOVER
    form = AssignForm(
        request.POST if request.method == "POST" else None,
        initial={
            "version": case.version,
            "reason": default_reason,
            "professional": suggestions[0].pk if suggestions else None,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assignment = services.case_assign(
                    case=case,
                    professional=form.cleaned_data["professional"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except ConcurrentEdit as error:
                case.refresh_from_db()
                form.refresh_version(case.version)
                apply_service_errors(form, error.errors)
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(
                    request,
                    _("Zaak %(number)s is toegewezen aan %(name)s.")
                    % {"number": case.number, "name": assignment.professional},
                )
                return redirect("cases:queue")
        status = 422
    return render(
        request,
        "cases/assign.html",
        {
            "case": case,
            "form": form,
            "suggestions": suggestions,
            "chosen": str(form["professional"].value() or ""),
            "capacity": evaluation_services.bip_capacity(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def allocation(request: AuthenticatedHttpRequest, pk: int):
    """The case's study arm: its allocation log, a draw, or a manual allocation with a reason."""
    access.require_coordinator(request.user)
    case = access.get_case_for_user(request.user, pk, write=True)
    form = AllocationForm(request.POST if request.POST.get("action") == "manual" else None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "random":
                evaluation_services.allocate_block_random(case=case, actor=request.user)
            elif form.is_valid():
                evaluation_services.allocate_manual(
                    case=case,
                    actor=request.user,
                    arm=form.cleaned_data["arm"],
                    reason=form.cleaned_data["reason"],
                )
            else:
                raise CaseError(errors={})
        except CaseError as error:
            if form.is_bound:
                apply_service_errors(form, error.errors)
            else:
                # A refused draw (say, a double submit) has no form to carry the error.
                for message in error.errors.values():
                    messages.error(request, message)
            status = 422
        else:
            messages.success(request, _("De indeling in de onderzoeksarm is vastgelegd."))
            return redirect("cases:allocation", pk=case.pk)
    return render(
        request,
        "cases/allocation.html",
        {
            "case": case,
            "form": form,
            "allocations": Allocation.objects.filter(case=case)
            .select_related("actor")
            .order_by("-created_at", "-id"),
            "capacity": evaluation_services.bip_capacity(),
        },
        status=status,
    )
