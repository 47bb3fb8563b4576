"""Background polls: requests a page makes by itself (htmx `every Ns`), not the user.

A polling element sends POLL_HEADER through `hx-headers` (render `poll_headers_json()` into the
attribute). SessionTimeoutMiddleware still ends an expired session on a poll, but does not
count the poll as activity, so a page left open does not keep its session alive.

The header can be forged, but only to one's own disadvantage: it can shorten a session, never
lengthen it. A request counts as a poll only when it is an htmx GET, so a form post, a plain
link or a full page load is always activity.
"""

import json

from django.http import HttpRequest

POLL_HEADER = "X-KK-Poll"


def is_background_poll(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get(POLL_HEADER) == "1"
    )


def poll_headers_json() -> str:
    """The value for a polling element's `hx-headers` attribute."""
    return json.dumps({POLL_HEADER: "1"})
