"""Production settings plus what only the benchmark needs, never the product.

- The Django admin's changelist over the cases (the yardstick of issue 15), on its own admin
  site under /bench-admin/.
- A bare authenticated page and the base page without data (/bench/bare/, /bench/base/), to
  measure the fixed cost of the middleware and of base.html, and three pages from memory (the
  case list's first page, a case file, Mijn zaken: /bench/list-floor/, /bench/case-floor/<id>/,
  /bench/my-cases-floor/): each page's HTML without its own queries.
- The Server-Timing header (benchmarks/bench/timing.py).

Everything else is bip.settings as a server runs it (DEBUG off, MFA required, secure cookies:
the driver sends X-Forwarded-Proto: https like the reverse proxy would).
"""

from bip.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench.urls"

# Outermost: the Server-Timing header the driver splits each request's time with.
MIDDLEWARE = ["benchmarks.bench.timing.ServerTimingMiddleware", *MIDDLEWARE]  # noqa: F405
