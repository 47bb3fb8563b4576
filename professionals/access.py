"""Who may see which professional records."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from professionals.groups import is_professional

from .models import Professional


def get_own_professional(user: User) -> Professional:
    """The Professional record of the logged-in professional; 403 for anyone else."""
    if not is_professional(user):
        raise PermissionDenied
    try:
        return Professional.objects.select_related("organisation").get(user=user, is_active=True)
    except Professional.DoesNotExist:
        raise PermissionDenied from None
