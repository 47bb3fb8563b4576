"""Who may see or change which case. Views fetch cases, children and households only here.

- A professional sees the cases currently assigned to them, while they work: a deactivated
  professional (their Professional record or their account) sees and changes no case. The rule
  is CaseQuerySet.assigned_to, and this module asks it rather than restating it.
- The coordinator sees all cases.
- The researcher and the functional administrator see no case data in the app.

A case the user may not see answers 404, the same as one that does not exist, so that ids
cannot be probed. A case they may see but not change raises PermissionDenied (403).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from professionals.groups import is_coordinator

from .models import Case, CaseQuerySet


def cases_visible_to(user) -> CaseQuerySet:
    return Case.objects.visible_to(user)


def can_view_case_lists(user) -> bool:
    """The coordinator's case list: all cases, searchable."""
    return is_coordinator(user)


def is_assigned_to(user, case: Case) -> bool:
    """Whether `case` is assigned to `user` as a working professional, by the one rule:
    CaseQuerySet.assigned_to.

    get_case_for_user answers this inside the case's own query and remembers the answer on
    the case, for that user and that professional; any other case costs one query.
    """
    key = (user.pk, case.professional_id)
    remembered = getattr(case, "_assigned_to", None)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    assigned = Case.objects.assigned_to(user).filter(pk=case.pk).exists()
    case._assigned_to = (key, assigned)
    return assigned


def can_change_case(user, case: Case) -> bool:
    """The coordinator changes any case; a professional only a case assigned to them (see
    is_assigned_to). A deactivated account changes nothing."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_coordinator(user) or is_assigned_to(user, case)


def get_case_for_user(user, pk: int, *, write: bool = False) -> Case:
    """The case `pk` as `user` may see it, with the columns the case pages need.

    Raises Http404 when the user may not see it, PermissionDenied when `write` is asked
    but the user may only read it.
    """
    case = (
        cases_visible_to(user)
        .select_related(
            "child",
            "child__school",
            "child__household",
            "professional__user",
            "professional__organisation",
        )
        .annotate(assigned_to_user=Exists(Case.objects.assigned_to(user).filter(pk=OuterRef("pk"))))
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("No case found")
    # Remembered for is_assigned_to: the case page asks it three times, at no extra query.
    case._assigned_to = ((user.pk, case.professional_id), case.assigned_to_user)
    if write and not can_change_case(user, case):
        raise PermissionDenied
    return case


def require_coordinator(user) -> None:
    if not is_coordinator(user):
        raise PermissionDenied


def case_actions(user, case: Case) -> list[dict]:
    """The chain steps `user` may take on `case` now, as {name, label} for the case page."""
    from django.utils.translation import gettext as _

    from .constants import Stage

    if not case.is_open:
        return (
            [{"name": "cases:reopen", "label": _("Zaak heropenen")}] if is_coordinator(user) else []
        )
    if not can_change_case(user, case):
        return []
    if case.stage == Stage.LEERPLICHT:
        return [
            {"name": "cases:refer_to_halt", "label": _("Doorverwijzen naar Halt")},
            {"name": "cases:refer_to_rvdk", "label": _("Doorverwijzen naar de Raad")},
            {"name": "cases:close", "label": _("Zaak sluiten met uitkomst")},
        ]
    if case.stage == Stage.HALT:
        return [{"name": "cases:halt_result", "label": _("Halt-uitkomst vastleggen")}]
    return [{"name": "cases:close", "label": _("Zaak sluiten met uitkomst")}]


def can_log_contact(user, case: Case) -> bool:
    """Only the professional who holds an open case logs contacts on it."""
    return case.is_open and is_assigned_to(user, case)
