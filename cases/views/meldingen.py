"""Adding a new melding to a child's open case (issue 14 #8): reached from the intake's
search step as soon as it finds the open case, and from the case page."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest

from .. import access
from ..forms import MeldingForm
from ..models import Melding
from ..services.meldingen import melding_add
from .versioned_forms import versioned_form_page

# The referral's fields the form and the service share.
MELDING_FIELDS = (
    "date_received",
    "source",
    "melding_type",
    "hours_absent",
    "times_late",
    "period_start",
    "period_end",
    "note",
)


@require_http_methods(["GET", "POST"])
def melding_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The melding form for case `pk`; on success back to the case, where the timeline shows
    the melding. The coordinator and the case's professional may add one to an open case."""
    case = access.get_case_for_user(request.user, pk, write=True)
    if not access.can_add_melding(request.user, case):
        raise PermissionDenied
    form = MeldingForm(
        request.POST if request.method == "POST" else None,
        initial={"version": case.version, "date_received": timezone.localdate()},
    )

    def apply(form: MeldingForm) -> Melding:
        return melding_add(
            case=case,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            **{field: form.cleaned_data[field] for field in MELDING_FIELDS},
        )

    def current_version() -> int:
        case.refresh_from_db(fields=["version"])
        return case.version

    return versioned_form_page(
        request,
        form,
        template="cases/melding_form.html",
        context={"case": case},
        apply=apply,
        success=lambda melding: (
            _("De melding is toegevoegd aan zaak %(number)s.") % {"number": case.number}
        ),
        success_url=case.get_absolute_url(),
        current_version=current_version,
    )
