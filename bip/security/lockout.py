"""django-axes hooks: the client address behind a reverse proxy, and the lockout page."""

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address the lockout counts per (AXES_CLIENT_IP_CALLABLE).

    Without proxies (REVERSE_PROXY_COUNT=0) that is REMOTE_ADDR. Behind N trusted proxies that
    each append to X-Forwarded-For, it is the N-th address from the right: the entries left of
    it come from the client and can be forged, the ones right of it are our own proxies.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.REVERSE_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page after too many failed logins (AXES_LOCKOUT_CALLABLE): 429, in Dutch."""
    return render(
        request,
        "registration/lockout.html",
        {"cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=429,
    )
