from typing import Any

from django.conf import settings
from django.http import HttpRequest

from professionals.groups import is_administrator, is_coordinator, is_professional, is_researcher


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which navigation the base layout shows: one set of links per role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if settings.MFA_REQUIRED and not getattr(user, "is_verified", lambda: True)():
        return {}  # no menu before the second factor: every link would lead back to it
    return {
        "nav_is_coordinator": is_coordinator(user),
        "nav_is_professional": is_professional(user),
        "nav_is_researcher": is_researcher(user),
        "nav_is_administrator": is_administrator(user) or user.is_superuser,
    }
