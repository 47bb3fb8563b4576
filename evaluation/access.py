"""Who may see the evaluation. Researchers see only aggregated, pseudonymised figures."""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from cases import access as case_access
from cases.models import Case, CaseQuerySet
from professionals.groups import AnyUser, is_professional, is_researcher

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import ResearchExport


def require_researcher(user: AnyUser) -> None:
    if not is_researcher(user):
        raise PermissionDenied


def exports_visible_to(user: "User") -> "QuerySet[ResearchExport]":
    """Research exports `user` may see: a researcher only the ones they asked for."""
    from .models import ResearchExport

    if not is_researcher(user):
        return ResearchExport.objects.none()
    return ResearchExport.objects.filter(requested_by=user)


def get_export_for_user(user: "User", pk: int) -> "ResearchExport":
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


def paper_invitation_cases_for(user: AnyUser) -> CaseQuerySet:
    """The cases whose paper survey invitations `user` makes: only a working professional,
    their own cases (cases.access decides which, open or closed); PermissionDenied for
    anyone else. The survey rules narrow them (surveys.paper_invitation_cases)."""
    if not is_professional(user):
        raise PermissionDenied
    return case_access.cases_visible_to(user)


def get_case_for_paper_invitation(user: AnyUser, pk: int) -> Case:
    """Case `pk`, for making its paper survey invitation: only the professional who holds it
    hands the sheet over, also once the case is closed (a read-only case for them: the
    invitation belongs to the evaluation, not to the case file).

    Http404 for a case `user` may not see (cases.access); PermissionDenied for one they may
    see but do not hold (the coordinator).
    """
    case = case_access.get_case_for_user(user, pk)
    if not case_access.is_assigned_to(user, case):
        raise PermissionDenied
    return case
