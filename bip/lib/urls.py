"""`pk_url`: the URL of a record's page, reversed once per URL name instead of once per row.

Django's `reverse()` looks the name up and fills the pattern on every call: three links per
row of the case list were a quarter of rendering the rows. For a pattern with one integer
argument the URL is a fixed text around the number, so `pk_url` reverses the name once with a
marker number, keeps the text before and after it, and puts each row's id in between. The
result is `reverse(name, args=[pk])`'s (tested), for the URL configuration and script prefix
in force at the time, which are part of the cache key.
"""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse

# A number no pattern could place twice or confuse with its own text.
_MARKER = 918273645546372819


@functools.cache
def _parts(name: str, urlconf: str | None, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[_MARKER], urlconf=urlconf)
    before, marker, after = url.partition(str(_MARKER))
    if not marker or str(_MARKER) in after:
        raise ValueError(f"{name} does not take one integer argument")
    return before, after


def pk_url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL pattern whose only argument is an <int:…>."""
    before, after = _parts(name, get_urlconf(), get_script_prefix())
    return f"{before}{int(pk)}{after}"
