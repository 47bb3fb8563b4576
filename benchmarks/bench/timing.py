"""Where a request's time goes, measured inside the server (benchmark settings only).

`ServerTimingMiddleware` is the outermost middleware of benchmarks/bench/settings.py. It adds a
`Server-Timing` header (W3C Server Timing) to every response:

    Server-Timing: app;dur=12.41, sql;dur=3.02, queries;desc="5"

- `app`: from the first middleware in to the response out, in ms: everything Django does for
  the request (the middleware, the view, the queries and the template).
- `sql`: the time spent in the database driver's `execute`, in ms, over `queries` statements
  (`connection.execute_wrapper`, so it includes the round trip to PostgreSQL).

So per request the driver can split what the client waited into the HTTP and gunicorn share
(client time - app), the database's share (sql) and Python's share (app - sql); the bare page's
Python share is the fixed cost of the middleware. Never in the product's settings.
"""

import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse


class _SQLClock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clock = _SQLClock()
        started = time.perf_counter()
        with connections["default"].execute_wrapper(clock):
            response = self.get_response(request)
            # A streamed response runs its queries later, while it is sent: not counted here.
        app_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = (
            f"app;dur={app_ms:.2f}, sql;dur={clock.seconds * 1000:.2f}, "
            f'queries;desc="{clock.count}"'
        )
        return response


def parse(header: str) -> dict[str, float]:
    """{"app": ms, "sql": ms, "queries": n} from a Server-Timing header of this middleware."""
    values: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        key, _, value = rest.partition("=")
        if name and value:
            values[name] = float(value.strip('"'))
    return values
