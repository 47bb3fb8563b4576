"""Who may read the access log and produce an inzage: the functional administrator only.

A superuser may too (the functional administrator's account in an emergency). Everyone else
gets 403: the pages hold no record of theirs to hide behind a 404.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from cases.models import Case, Child
from professionals.groups import AnyUser, is_administrator


def is_functional_admin(user: AnyUser) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return is_administrator(user) or user.is_superuser


def require_functional_admin(user: AnyUser) -> None:
    if not is_functional_admin(user):
        raise PermissionDenied


def child_on_file(user: AnyUser, child_pk: int) -> Child | None:
    """For the functional administrator (PermissionDenied for anyone else): the child
    `child_pk` if it is still on file, else None. A child removed by retention keeps its log
    entries, so its access page still works from those; the caller decides what is missing."""
    require_functional_admin(user)
    return Child.objects.filter(pk=child_pk).first()


def child_id_by_number(user: AnyUser, number: str) -> int | None:
    """For the functional administrator: the id of the child with this BSN or
    onderwijsnummer, or None. The number arrives by POST only (see audit/views.py)."""
    require_functional_admin(user)
    return (
        Child.objects.filter(Q(bsn=number) | Q(onderwijsnummer=number))
        .values_list("pk", flat=True)
        .first()
    )


def child_id_by_case_number(user: AnyUser, number: str) -> int | None:
    """For the functional administrator: the id of the child of case `number`, or None. By
    POST only, as child_id_by_number."""
    require_functional_admin(user)
    return Case.objects.filter(number=number).values_list("child_id", flat=True).first()
