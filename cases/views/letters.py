"""Letters from a case: choose, preview as HTML, then generate the PDF and store it.

The preview and the PDF come from the same templates (templates/letters/), so what the
professional checks is what is sent.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from professionals.access import get_own_professional
from professionals.qualifications import roles_available_to

from .. import access
from ..document_forms import LetterForm
from ..exceptions import CaseError
from ..forms import apply_service_errors
from ..letters import case_guardians, letter_context, letter_refusals, render_letter_html
from ..services.letters import letter_send

PREVIEW = "voorbeeld"
GENERATE = "maken"


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
    initial = {}
    if guardians and guardians[0].preferred_language == "en":
        initial["language"] = "en"
    form = LetterForm(
        request.POST if request.method == "POST" else None,
        roles=roles_available_to(professional, today),
        initial=initial,
    )
    preview = ""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
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
            elif request.POST.get("action") == GENERATE:
                try:
                    document, _rendered = letter_send(
                        case=case,
                        professional=professional,
                        request=letter_request,
                        actor=request.user,
                    )
                except CaseError as error:
                    apply_service_errors(form, error.errors)
                else:
                    messages.success(
                        request,
                        _("Brief %(letter)s gemaakt en bij de zaak bewaard als %(name)s.")
                        % {
                            "letter": document.get_letter_display().lower(),
                            "name": document.original_name,
                        },
                    )
                    return redirect("cases:documents", pk=case.pk)
            else:
                context = letter_context(
                    case=case,
                    professional=professional,
                    request=letter_request,
                    guardians=guardians,
                    today=today,
                )
                preview = render_letter_html(
                    context, language=letter_request.language, document=False
                )
                status = 200
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
