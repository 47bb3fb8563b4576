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
