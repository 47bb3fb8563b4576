"""The case's study arm (coordinator): its allocation log, a draw, or a manual allocation.

Served under the case's URL (/zaken/<pk>/onderzoeksarm/, mounted in bip/urls.py from
evaluation/case_urls.py): the page belongs to the evaluation, the later app.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from cases import access
from cases.exceptions import CaseError
from cases.forms import apply_service_errors
from cases.models import Case
from cases.workload import bip_capacity

from .. import selectors, services
from ..forms import AllocationForm


def _allocate(request: AuthenticatedHttpRequest, case: Case, form: AllocationForm) -> bool:
    """Draw an arm, or allocate by hand with the form's reason; False when it was refused.

    A refusal's messages go onto the form (manual) or, for a refused draw (say, a double
    submit), into the page's messages.
    """
    action = request.POST.get("action")
    if action not in ("random", "manual") or (action == "manual" and not form.is_valid()):
        return False
    try:
        if action == "random":
            services.allocate_block_random(case=case, actor=request.user)
        else:
            services.allocate_manual(
                case=case,
                actor=request.user,
                arm=form.cleaned_data["arm"],
                reason=form.cleaned_data["reason"],
            )
    except CaseError as error:
        if form.is_bound:
            apply_service_errors(form, error.errors)
        else:
            for message in error.errors.values():
                messages.error(request, message)
        return False
    return True


@require_http_methods(["GET", "POST"])
def allocation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case's study arm: its allocation log, a draw, or a manual allocation with a reason."""
    access.require_coordinator(request.user)
    case = access.get_case_for_user(request.user, pk, write=True)
    form = AllocationForm(request.POST if request.POST.get("action") == "manual" else None)
    if request.method == "POST" and _allocate(request, case, form):
        messages.success(request, _("De indeling in de onderzoeksarm is vastgelegd."))
        return redirect("evaluation_case:allocation", pk=case.pk)
    return render(
        request,
        "evaluation/allocation.html",
        {
            "case": case,
            "form": form,
            "allocations": selectors.allocation_log(case),
            "capacity": bip_capacity(),
        },
        status=422 if request.method == "POST" else 200,
    )
