"""Letters from a case: choose, preview as HTML, then generate the PDF and store it.

The preview and the PDF come from the same templates (templates/letters/), so what the
professional checks is what is sent.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.access import get_own_professional
from professionals.models import Professional
from professionals.qualifications import roles_available_to

from .. import access
from ..document_forms import LetterForm
from ..exceptions import CaseError
from ..forms import apply_service_errors
from ..letters import (
    LetterRequest,
    case_guardians,
    letter_context,
    letter_refusals,
    render_letter_html,
)
from ..models import Case, Guardian
from ..services.letters import letter_send

PREVIEW = "voorbeeld"
GENERATE = "maken"


def _letter_form(
    request: AuthenticatedHttpRequest,
    *,
    professional: Professional,
    guardians: list[Guardian],
    today: datetime.date,
) -> LetterForm:
    """The letter form, bound on POST; in English when the first guardian prefers it."""
    initial = {}
    if guardians and guardians[0].preferred_language == "en":
        initial["language"] = "en"
    return LetterForm(
        request.POST if request.method == "POST" else None,
        roles=roles_available_to(professional, today),
        initial=initial,
    )


def _allowed_letter_request(
    form: LetterForm,
    *,
    case: Case,
    professional: Professional,
    guardians: list[Guardian],
    today: datetime.date,
) -> LetterRequest | None:
    """The letter asked for on the bound form if it may be made now; None with the reasons on
    the form when it is invalid or refused."""
    if not form.is_valid():
        return None
    letter_request = form.letter_request()
    errors = letter_refusals(
        case=case,
        professional=professional,
        request=letter_request,
        guardians=guardians,
        today=today,
    )
    if errors:
        apply_service_errors(form, errors)
        return None
    return letter_request


def _letter_generated(
    request: AuthenticatedHttpRequest,
    form: LetterForm,
    *,
    case: Case,
    professional: Professional,
    letter_request: LetterRequest,
) -> bool:
    """Generate the PDF and store it on the case, with a success message; False with the
    service's errors on the form when it refuses."""
    try:
        document, _rendered = letter_send(
            case=case,
            professional=professional,
            request=letter_request,
            actor=request.user,
        )
    except CaseError as error:
        apply_service_errors(form, error.errors)
        return False
    messages.success(
        request,
        _("Brief %(letter)s gemaakt en bij de zaak bewaard als %(name)s.")
        % {
            "letter": document.get_letter_display().lower(),
            "name": document.original_name,
        },
    )
    return True


def _letter_preview(
    *,
    case: Case,
    professional: Professional,
    letter_request: LetterRequest,
    guardians: list[Guardian],
    today: datetime.date,
) -> str:
    """The letter as HTML, from the same templates as the PDF."""
    context = letter_context(
        case=case,
        professional=professional,
        request=letter_request,
        guardians=guardians,
        today=today,
    )
    return render_letter_html(context, language=letter_request.language, document=False)


def _letter_page(
    request: AuthenticatedHttpRequest,
    *,
    case: Case,
    form: LetterForm,
    preview: str,
    guardians: list[Guardian],
    status: int,
) -> HttpResponse:
    return render(
        request,
        "cases/letter_form.html",
        {
            "case": case,
            "form": form,
            "preview": preview,
            "has_guardians": bool(guardians),
            "preview_action": PREVIEW,
            "generate_action": GENERATE,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def letter_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST with action "voorbeeld": the form and the letter as HTML. POST
    with action "maken": the PDF is generated and stored on the case as a document."""
    case = access.get_case_for_user(request.user, pk, write=True)
    if not access.can_write_letter(request.user, case):
        raise PermissionDenied
    professional = get_own_professional(request.user)
    today = timezone.localdate()
    guardians = case_guardians(case)
    form = _letter_form(request, professional=professional, guardians=guardians, today=today)
    preview = ""
    status = 200
    if request.method == "POST":
        status = 422
        letter_request = _allowed_letter_request(
            form, case=case, professional=professional, guardians=guardians, today=today
        )
        if letter_request is not None and request.POST.get("action") == GENERATE:
            if _letter_generated(
                request, form, case=case, professional=professional, letter_request=letter_request
            ):
                return redirect("cases:documents", pk=case.pk)
        elif letter_request is not None:
            preview = _letter_preview(
                case=case,
                professional=professional,
                letter_request=letter_request,
                guardians=guardians,
                today=today,
            )
            status = 200
    return _letter_page(
        request, case=case, form=form, preview=preview, guardians=guardians, status=status
    )
