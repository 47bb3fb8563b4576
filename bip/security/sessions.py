"""Session limits: an idle timeout and an absolute lifetime, both counted from the login.

The login time and the last activity are kept in the session itself (seconds since the epoch).
The last activity is written at most once per ACTIVITY_RESOLUTION seconds, so an ordinary page
view does not turn into a session write; the idle timeout can therefore end a session up to that
many seconds early, never late.
"""

from collections.abc import MutableMapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

LOGIN_AT = "kk_login_at"
SEEN_AT = "kk_seen_at"
ACTIVITY_RESOLUTION = 60


class Expiry:
    IDLE = "idle"
    ABSOLUTE = "absolute"


def now_timestamp() -> float:
    return timezone.now().timestamp()


def stamp_login(sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """user_logged_in receiver: the session's clocks start at the login."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = now_timestamp()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def session_expiry(session: MutableMapping[str, Any], now: float) -> str | None:
    """Why this logged-in session has ended (Expiry.IDLE or Expiry.ABSOLUTE), or None.

    A session without a login time (one that predates these limits) is not expired; the caller
    stamps it with `session_touch`.
    """
    login_at = session.get(LOGIN_AT)
    if login_at is None:
        return None
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return Expiry.ABSOLUTE
    if now - session.get(SEEN_AT, login_at) > settings.SESSION_IDLE_TIMEOUT:
        return Expiry.IDLE
    return None


def session_touch(session: MutableMapping[str, Any], now: float) -> None:
    """Record activity; writes only when the last record is ACTIVITY_RESOLUTION seconds old."""
    if LOGIN_AT not in session:
        session[LOGIN_AT] = now
        session[SEEN_AT] = now
    elif now - session.get(SEEN_AT, 0) >= ACTIVITY_RESOLUTION:
        session[SEEN_AT] = now
