"""Data freezes for the researcher: the list, the button to make one, and each freeze's
difference from the one before (see evaluation.freezes)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from cases.exceptions import CaseError

from .. import access
from ..forms import FreezeCreateForm
from ..freezes import (
    CANONICAL_FIELDS,
    freeze_create,
    freeze_diff,
    freeze_previous,
    freezes_newest_first,
    get_freeze_or_404,
)
from ..study import study_end


@require_http_methods(["GET", "POST"])
def freeze_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every data freeze, newest first, and the form to make one. Researchers only.

    A blank or existing label answers 422 with the form and a Dutch message; nothing is
    written.
    """
    access.require_researcher(request.user)
    status = 200
    if request.method == "POST":
        form = FreezeCreateForm(request.POST)
        if form.is_valid():
            try:
                freeze = freeze_create(
                    label=form.cleaned_data["label"], actor=request.user, study_end=study_end()
                )
            except CaseError as error:
                for field, message in error.errors.items():
                    form.add_error(field, message)
            else:
                messages.success(
                    request,
                    _("Datafreeze %(label)s vastgelegd: %(rows)s rijen.")
                    % {"label": freeze.label, "rows": freeze.row_count},
                )
                return redirect("evaluation:freeze_detail", pk=freeze.pk)
        status = 422
    else:
        form = FreezeCreateForm()
    freezes = freezes_newest_first()
    return render(
        request,
        "evaluation/freeze_list.html",
        {"form": form, "freezes": freezes},
        status=status,
    )


@require_GET
def freeze_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One freeze: its facts, and how many cases changed since the freeze before it."""
    access.require_researcher(request.user)
    freeze = get_freeze_or_404(pk)
    previous = freeze_previous(freeze)
    diff = freeze_diff(freeze=freeze, previous=previous) if previous else None
    return render(
        request,
        "evaluation/freeze_detail.html",
        {
            "freeze": freeze,
            "previous": previous,
            "diff": diff,
            "canonical_fields": ", ".join(CANONICAL_FIELDS),
        },
    )
