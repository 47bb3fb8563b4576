"""Who may see the evaluation. Researchers see only aggregated, pseudonymised figures."""

from django.core.exceptions import PermissionDenied

from professionals.groups import is_researcher


def require_researcher(user) -> None:
    if not is_researcher(user):
        raise PermissionDenied
