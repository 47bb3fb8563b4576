"""Middleware for the login security: session limits, the second factor, Permissions-Policy.

Order in settings.MIDDLEWARE: after AuthenticationMiddleware, django-otp's OTPMiddleware and
MessageMiddleware; django-axes' AxesMiddleware stays last.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from bip.lib.http import OTPHttpRequest
from bip.lib.polling import is_background_poll

from . import mfa
from .decorators import MFA_REQUIRED_ATTRIBUTE
from .sessions import LOGIN_AT, Expiry, now_timestamp, session_expiry, session_touch

type GetResponse = Callable[[HttpRequest], HttpResponseBase]


def _is_htmx(request: HttpRequest) -> bool:
    # Read the header itself: this middleware does not depend on HtmxMiddleware's position.
    return request.headers.get("HX-Request") == "true"


class SessionTimeoutMiddleware:
    """Log out a session that was idle too long or is older than the absolute limit.

    The user lands on the login page with a message; an htmx request gets HX-Redirect, so the
    whole page goes there instead of a fragment being swapped in. A background poll
    (`bip.lib.polling.is_background_poll`) is checked like any request but is not activity: a
    page that polls while nobody uses it does not keep the session alive.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            now = now_timestamp()
            expiry = session_expiry(request.session, now)
            if expiry is not None:
                return self._expired(request, expiry)
            # A session without clocks yet is stamped whatever the request is.
            if not is_background_poll(request) or LOGIN_AT not in request.session:
                session_touch(request.session, now)
        return self.get_response(request)

    def _expired(self, request: HttpRequest, expiry: str) -> HttpResponse:
        logout(request)
        if expiry == Expiry.IDLE:
            message = _("Je sessie is verlopen omdat je %(minutes)s minuten niet actief was.") % {
                "minutes": settings.SESSION_IDLE_TIMEOUT // 60
            }
        else:
            message = _("Je sessie is verlopen na %(hours)s uur.") % {
                "hours": settings.SESSION_ABSOLUTE_TIMEOUT // 3600
            }
        messages.warning(request, message + " " + _("Log opnieuw in om verder te gaan."))
        if _is_htmx(request):
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        if request.method == "GET":
            return redirect_to_login(request.get_full_path())
        return redirect(settings.LOGIN_URL)


class MFARequiredMiddleware:
    """Send a logged-in user who has not passed the second factor to the MFA step.

    Applies to every view (the admin included) except the public ones (`login_not_required`)
    and those marked `mfa_not_required` (the MFA pages, logout). Off when MFA_REQUIRED is false
    (the local demo only; production refuses to start that way).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: OTPHttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not settings.MFA_REQUIRED:
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if not getattr(view_func, MFA_REQUIRED_ATTRIBUTE, True):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        url = reverse(mfa.mfa_step(user))
        if _is_htmx(request):
            return HttpResponseClientRedirect(url)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header (Django has no setting for it)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowlist)})"
            for feature, allowlist in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
