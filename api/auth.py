"""Who calls: the client's bearer token, its scope, its rate limit and the body's size.

Checked before the body is parsed, in this order: a usable client (else 401), the scope of
the operation (403), the size of the body (413), the client's rate (429 with Retry-After).
The token is never logged: django-ninja's own bearer class logs a malformed header in DEBUG,
so the header is read here.
"""

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from bip.security.ratelimit import rate_limit_hit, seconds_left_in_window

from .access import client_for_token
from .constants import MAX_BODY_BYTES, RATE_WINDOW_SECONDS
from .models import ApiClient
from .services import api_client_touch


class WrongScope(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "wrong scope")


class BodyTooLarge(HttpError):
    def __init__(self) -> None:
        super().__init__(413, "body too large")


class RateLimited(HttpError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate limited")
        self.retry_after = retry_after


class ClientToken(HttpBearer):
    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiClient | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_for_token(token)
        if client is None:
            return None
        request.api_client = client  # type: ignore[attr-defined]
        if not client.has_scope(self.scope):
            raise WrongScope
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            length = MAX_BODY_BYTES + 1
        if length > MAX_BODY_BYTES:
            raise BodyTooLarge
        if not rate_limit_hit(
            scope="api",
            value=client.key_id,
            limit=settings.API_RATE_LIMIT_PER_MINUTE,
            window=RATE_WINDOW_SECONDS,
        ):
            raise RateLimited(seconds_left_in_window(RATE_WINDOW_SECONDS))
        api_client_touch(client)
        return client
