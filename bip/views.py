from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from bip.lib.http import AuthenticatedHttpRequest
from professionals.groups import is_administrator, is_coordinator, is_professional, is_researcher


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    user = request.user
    if is_coordinator(user):
        return redirect("cases:case_list")
    if is_professional(user):
        return redirect("cases:my_cases")
    if is_researcher(user):
        return redirect("evaluation:home")
    if is_administrator(user) or user.is_superuser:
        return redirect("admin:index")
    return redirect("no_role")


@require_GET
def no_role(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A logged-in account without one of the four groups: explain instead of failing."""
    return render(request, "bip/no_role.html")
