from django.shortcuts import render
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest

from . import access, selectors


@require_GET
def home(request: AuthenticatedHttpRequest):
    """The researcher's home page. The full BIP-versus-control report comes with the evaluation."""
    access.require_researcher(request.user)
    return render(
        request,
        "evaluation/home.html",
        {"arm_counts": selectors.arm_counts(), "min_cell_size": selectors.MIN_CELL_SIZE},
    )
