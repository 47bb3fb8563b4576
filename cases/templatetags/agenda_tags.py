"""The agenda count in the header: follow-ups and plan actions due today or overdue."""

from django import template
from django.http import HttpRequest
from django.utils import timezone

from ..agenda import due_count_for_user

register = template.Library()

_CACHE_ATTRIBUTE = "_agenda_due_count"


@register.simple_tag(takes_context=True)
def agenda_due_count(context: template.Context) -> int:
    """One query per request at most: the answer is kept on the request, so a page that shows
    the count twice (or includes the header twice) asks once."""
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = due_count_for_user(request.user, timezone.localdate())
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached
