from django.core.exceptions import PermissionDenied
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
        return redirect("administrator_home")
    return redirect("no_role")


@require_GET
def no_role(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A logged-in account without one of the four groups: explain instead of failing."""
    return render(request, "bip/no_role.html")


@require_GET
def administrator_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The functional administrator's start page: accounts, access log, inzage, retention
    runs and second-factor resets, each one link away. Only links: no data of anyone."""
    user = request.user
    if not (is_administrator(user) or user.is_superuser):
        raise PermissionDenied
    return render(request, "bip/administrator_home.html")
