"""A fixed-window rate limit on Django's cache, for the password-reset requests.

Django's cache is used directly rather than django-ratelimit: two counters are all that is
needed, and a new dependency would count on the same cache anyway. With the default per-process
cache (CACHE_URL=locmemcache://) each gunicorn worker counts on its own, so the effective limit
is the limit times the number of workers; a shared cache (dbcache://, redis) makes it exact.
"""

import hashlib

from django.core.cache import cache
from django.utils import timezone

PREFIX = "kk-ratelimit"


def _key(scope: str, value: str, window: int) -> str:
    # Hashed: an e-mail address does not end up in the cache's keys (or a cache table) as is.
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:32]
    slot = int(timezone.now().timestamp() // window)
    return f"{PREFIX}:{scope}:{digest}:{slot}"


def rate_limit_hit(*, scope: str, value: str, limit: int, window: int) -> bool:
    """Count one request for `value` in `scope`; False when it is over `limit` per `window` s.

    Fixed windows: at a window's edge up to twice the limit can pass in a short time, which is
    fine for slowing down mass requests.
    """
    key = _key(scope, value, window)
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    return count <= limit


def seconds_left_in_window(window: int) -> int:
    """Seconds until the current fixed window ends (for a Retry-After header); at least 1."""
    now = timezone.now().timestamp()
    return max(1, int(window - now % window + 0.999))
