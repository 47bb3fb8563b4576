"""Who may see the evaluation. Researchers see only aggregated, pseudonymised figures."""

from django.core.exceptions import PermissionDenied

from professionals.groups import is_researcher


def require_researcher(user) -> None:
    if not is_researcher(user):
        raise PermissionDenied


def exports_visible_to(user):
    """Research exports `user` may see: a researcher only the ones they asked for."""
    from .models import ResearchExport

    if not is_researcher(user):
        return ResearchExport.objects.none()
    return ResearchExport.objects.filter(requested_by=user)


def get_export_for_user(user, pk: int):
    """The research export `pk` if `user` asked for it.

    PermissionDenied for anyone but a researcher; Http404 for another researcher's export
    (the same answer as one that does not exist).
    """
    from django.http import Http404

    require_researcher(user)
    export = exports_visible_to(user).filter(pk=pk).first()
    if export is None:
        raise Http404("No export found")
    return export
