"""cases/access.py: a deactivated professional holds no case, for reading or writing.

The full role × URL matrix is in tests/bip/test_access_matrix.py; these tests pin the helpers.
"""

import pytest
from django.http import Http404

from cases import access
from cases.models import Case
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def deactivate(professional, how: str) -> None:
    """Switch off the Professional record, or the login account behind it."""
    if how == "record":
        professional.is_active = False
        professional.save()
    else:
        professional.user.is_active = False
        professional.user.save()


@pytest.fixture
def owned_case(professional):
    return CaseFactory(professional=professional)


def test_the_holder_may_see_change_and_log_contacts(professional, owned_case):
    case = access.get_case_for_user(professional.user, owned_case.pk, write=True)

    assert case == owned_case
    assert access.is_assigned_to(professional.user, case)
    assert access.can_change_case(professional.user, case)
    assert access.can_log_contact(professional.user, case)


@pytest.mark.parametrize("how", ["record", "account"])
@pytest.mark.parametrize("write", [False, True])
def test_a_deactivated_professional_gets_404_for_their_own_case(
    professional, owned_case, how, write
):
    deactivate(professional, how)

    with pytest.raises(Http404):
        access.get_case_for_user(professional.user, owned_case.pk, write=write)


@pytest.mark.parametrize("how", ["record", "account"])
def test_a_deactivated_professional_may_not_change_or_log_on_their_case(
    professional, owned_case, how
):
    deactivate(professional, how)
    # A case object reached some other way (say, held from before the deactivation).
    case = Case.objects.select_related("professional__user").get(pk=owned_case.pk)

    assert not access.is_assigned_to(professional.user, case)
    assert not access.can_change_case(professional.user, case)
    assert not access.can_log_contact(professional.user, case)
    assert access.case_actions(professional.user, case) == []
    assert not access.cases_visible_to(professional.user).exists()


def test_an_answer_remembered_for_one_user_is_not_reused_for_another(
    professional, other_professional, owned_case
):
    case = access.get_case_for_user(professional.user, owned_case.pk)

    assert access.is_assigned_to(professional.user, case)
    assert not access.is_assigned_to(other_professional.user, case)
    assert not access.can_change_case(other_professional.user, case)


def test_a_reassigned_case_is_asked_again(professional, other_professional, owned_case):
    case = access.get_case_for_user(professional.user, owned_case.pk)
    Case.objects.filter(pk=case.pk).update(professional=other_professional)
    case.professional = other_professional  # as a service does after its save

    assert not access.is_assigned_to(professional.user, case)


def test_the_coordinator_still_changes_a_case_of_a_deactivated_professional(
    coordinator, professional, owned_case
):
    deactivate(professional, "record")

    case = access.get_case_for_user(coordinator, owned_case.pk, write=True)

    assert access.can_change_case(coordinator, case)
    # The coordinator does not hold the case: only its professional logs contacts.
    assert not access.can_log_contact(coordinator, case)


def test_a_deactivated_coordinator_changes_nothing(professional, owned_case):
    coordinator = UserFactory(coordinator=True, is_active=False)
    case = Case.objects.get(pk=owned_case.pk)

    assert not access.can_change_case(coordinator, case)
    with pytest.raises(Http404):
        access.get_case_for_user(coordinator, owned_case.pk)


def test_a_professional_reactivated_regains_the_case(professional, owned_case):
    deactivate(professional, "record")
    professional.is_active = True
    professional.save()

    assert access.get_case_for_user(professional.user, owned_case.pk, write=True) == owned_case


def test_other_professionals_keep_their_cases_when_one_is_deactivated(
    professional, other_professional, owned_case
):
    theirs = CaseFactory(professional=other_professional)
    deactivate(professional, "record")

    assert access.get_case_for_user(other_professional.user, theirs.pk, write=True) == theirs


# One choke point per record kind (issue 11): children, households, plans and plan items are
# visible through the cases, so the ownership rule decides for them too.


@pytest.fixture
def two_households(professional, other_professional):
    from tests.factories import PlanActionFactory, PlanGoalFactory

    own, foreign = (
        CaseFactory(professional=professional),
        CaseFactory(professional=other_professional),
    )
    items = {}
    for label, case in (("own", own), ("foreign", foreign)):
        action = PlanActionFactory(plan__household=case.child.household)
        items[label] = {
            "case": case,
            "action": action,
            "goal": PlanGoalFactory(plan=action.plan),
        }
    return items


def test_a_professional_sees_the_child_household_and_plan_of_their_cases_only(
    professional, two_households
):
    own, foreign = two_households["own"], two_households["foreign"]
    user = professional.user

    assert list(access.children_visible_to(user)) == [own["case"].child]
    assert list(access.households_visible_to(user)) == [own["case"].child.household]
    assert list(access.plans_visible_to(user)) == [own["goal"].plan]
    assert access.get_child_for_user(user, own["case"].child_id) == own["case"].child
    with pytest.raises(Http404):
        access.get_child_for_user(user, foreign["case"].child_id)
    with pytest.raises(Http404):
        access.get_household_for_user(user, foreign["case"].child.household_id)


def test_the_coordinator_sees_every_child_also_one_without_a_case(two_households):
    from tests.factories import ChildFactory

    coordinator = UserFactory(coordinator=True)
    new_child = ChildFactory()

    assert access.get_child_for_user(coordinator, new_child.pk) == new_child
    assert access.children_visible_to(coordinator).count() == 3
    assert access.households_visible_to(coordinator).count() == 3


@pytest.mark.parametrize("kind", ["goal", "action"])
def test_a_plan_item_is_found_only_in_the_plan_of_the_cases_household(
    professional, two_households, kind
):
    own, foreign = two_households["own"], two_households["foreign"]
    get = getattr(access, f"get_plan_{kind}_for_case")

    assert get(professional.user, own["case"], own[kind].pk) == own[kind]
    with pytest.raises(Http404):
        get(professional.user, own["case"], foreign[kind].pk)
    # Also the coordinator, who may see both households: a case's page edits its own plan.
    coordinator = UserFactory(coordinator=True)
    with pytest.raises(Http404):
        get(coordinator, own["case"], foreign[kind].pk)


@pytest.mark.parametrize("role", ["researcher", "administrator"])
def test_the_other_roles_see_no_child_household_or_plan(two_households, role):
    user = UserFactory(**{role: True})

    assert not access.children_visible_to(user).exists()
    assert not access.households_visible_to(user).exists()
    assert not access.plans_visible_to(user).exists()


def test_a_case_that_may_be_read_but_not_changed_answers_403_for_a_write(
    professional, owned_case, monkeypatch
):
    """The contract of write=True. No role has read-only access to a case today (so the
    access matrix cannot reach this branch); a role that gets it must be refused here."""
    from django.core.exceptions import PermissionDenied

    monkeypatch.setattr(access, "can_change_case", lambda user, case: False)

    assert access.get_case_for_user(professional.user, owned_case.pk) == owned_case
    with pytest.raises(PermissionDenied):
        access.get_case_for_user(professional.user, owned_case.pk, write=True)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("coordinator", True), ("researcher", False), ("administrator", False)],
)
def test_only_the_coordinator_views_the_case_lists(role, allowed):
    assert access.can_view_case_lists(UserFactory(**{role: True})) is allowed


def test_a_professional_does_not_view_the_case_lists(professional):
    assert access.can_view_case_lists(professional.user) is False
