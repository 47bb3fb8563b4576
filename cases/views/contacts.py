"""Logging a contact: an htmx form on the case page, with a full-page fallback."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.access import get_own_professional
from professionals.models import Professional

from .. import access, services, timeline
from ..exceptions import CaseError
from ..forms import ContactForm, apply_service_errors
from ..models import Case, Contact
from .detail import contact_form_for

# The service names the contact's moment "occurred_at"; the form splits it into a date and a
# time. Its error belongs on the date, where the user corrects it, not above the form.
SERVICE_ERROR_FIELDS: dict[str | None, str | None] = {"occurred_at": "occurred_on"}
# The no-JS button that shows the contact kinds of the role the user chose.
SHOW_KINDS = "toon_soorten"


def _contact_log(case: Case, professional: Professional, form: ContactForm) -> Contact | None:
    """Log the form's contact; None with the service's refusal on the form."""
    try:
        return services.contact_log(
            case=case,
            professional=professional,
            role=form.cleaned_data["role"],
            kind=form.cleaned_data["kind"],
            with_whom=form.cleaned_data["with_whom"],
            channel=form.cleaned_data["channel"],
            occurred_at=form.occurred_at(),
            duration_minutes=form.cleaned_data["duration_minutes"],
            summary=form.cleaned_data["summary"],
            caution_given=form.cleaned_data["caution_given"],
            follow_up_on=form.cleaned_data["follow_up_on"],
        )
    except CaseError as error:
        errors = {SERVICE_ERROR_FIELDS.get(f, f): msg for f, msg in error.errors.items()}
        apply_service_errors(form, errors)
        return None


def _chosen_values(source: QueryDict) -> dict[str, str]:
    """What the user filled in so far, for the form's fields only (no token, no button)."""
    return {name: value for name in ContactForm.base_fields if (value := source.get(name, ""))}


def _saved_partial(request: AuthenticatedHttpRequest, case: Case, message: str) -> HttpResponse:
    """The htmx answer: a fresh form, the message, and the timeline swapped out of band."""
    context = {
        "case": case,
        "contact_form": contact_form_for(case),
        "saved_message": message,
        "timeline": timeline.case_timeline(case),
        "oob_timeline": True,
    }
    return render(request, "cases/_contact_form.html", context)


@require_http_methods(["GET", "POST"])
def contact_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = access.get_case_for_user(request.user, pk, write=True)
    professional = get_own_professional(request.user)
    if not access.can_log_contact(request.user, case):
        raise PermissionDenied
    if request.method == "GET" or SHOW_KINDS in request.POST:
        # GET ?role= (htmx, when the role changes) or the no-JS "show the kinds" button: the
        # form again, unbound, with the kinds of the chosen role and no errors yet.
        source = request.GET if request.method == "GET" else request.POST
        form = contact_form_for(case, chosen=_chosen_values(source))
        template = "cases/_contact_form.html" if request.htmx else "cases/contact_form.html"
        return render(request, template, {"case": case, "contact_form": form})
    form = contact_form_for(case, data=request.POST)
    if form.is_valid():
        contact = _contact_log(case, professional, form)
        if contact is not None:
            message = _("Contact vastgelegd in de rol %(role)s.") % {
                "role": contact.get_role_display()
            }
            if request.htmx:
                return _saved_partial(request, case, message)
            messages.success(request, message)
            return redirect("cases:case_detail", pk=case.pk)
    template = "cases/_contact_form.html" if request.htmx else "cases/contact_form.html"
    return render(request, template, {"case": case, "contact_form": form}, status=422)
