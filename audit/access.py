"""Who may read the access log and produce an inzage: the functional administrator only.

A superuser may too (the functional administrator's account in an emergency). Everyone else
gets 403: the pages hold no record of theirs to hide behind a 404.
"""

from django.core.exceptions import PermissionDenied

from professionals.groups import is_administrator


def is_functional_admin(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return is_administrator(user) or user.is_superuser


def require_functional_admin(user) -> None:
    if not is_functional_admin(user):
        raise PermissionDenied
