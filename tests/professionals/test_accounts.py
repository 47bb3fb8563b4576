"""professionals/accounts.py: the rules for managing accounts, and account_save."""

import pytest
from django.contrib.auth.models import User

from professionals.accounts import (
    AccountError,
    account_save,
    why_no_mfa_reset,
    why_not_manageable,
)
from professionals.constants import StaffGroup
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return UserFactory(username="prof", group=StaffGroup.PROFESSIONAL)


def test_the_administrator_manages_only_ordinary_accounts(administrator, account):
    assert why_not_manageable(administrator, account) is None
    assert why_not_manageable(administrator, UserFactory(username="leeg")) is None
    for other in (
        administrator,
        UserFactory(username="c", coordinator=True),
        UserFactory(username="r", researcher=True),
        UserFactory(username="s", is_staff=True),
        UserFactory(username="root", is_superuser=True),
    ):
        assert why_not_manageable(administrator, other) is not None, other.username


def test_a_superuser_manages_everyone_and_others_nobody(account, coordinator):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert why_not_manageable(root, coordinator) is None
    assert why_not_manageable(coordinator, account) is not None
    assert why_no_mfa_reset(coordinator, account) is not None


def test_an_administrator_without_the_user_right_manages_nothing(administrator, account):
    administrator.groups.clear()
    administrator = User.objects.get(pk=administrator.pk)
    assert why_not_manageable(administrator, account) is not None


def test_account_save_takes_only_the_allowed_fields(administrator, account):
    password = account.password
    changed = User.objects.get(pk=account.pk)
    changed.first_name = "Petra"
    changed.email = "ander@example.nl"
    changed.is_superuser = True
    changed.is_staff = True
    changed.set_password("overgenomen-wachtwoord")
    account_save(actor=administrator, user=changed, is_professional=True)
    account.refresh_from_db()
    assert account.first_name == "Petra"
    assert account.email != "ander@example.nl"
    assert not account.is_superuser and not account.is_staff
    assert account.password == password
    assert account.check_password(DEMO_PASSWORD)


def test_account_save_refuses_an_account_above_professional(administrator, coordinator):
    changed = User.objects.get(pk=coordinator.pk)
    changed.is_active = False
    with pytest.raises(AccountError):
        account_save(actor=administrator, user=changed, is_professional=False)
    coordinator.refresh_from_db()
    assert coordinator.is_active
    assert coordinator.groups.filter(name=StaffGroup.COORDINATOR).exists()


def test_a_new_account_is_ordinary_without_a_usable_password(administrator):
    new = User(username="nieuw", email="n@example.nl", is_superuser=True, is_staff=True)
    new.set_password("gekozen-door-beheerder")
    saved = account_save(actor=administrator, user=new, is_professional=True)
    assert new.pk == saved.pk
    saved.refresh_from_db()
    assert not saved.is_superuser and not saved.is_staff
    assert not saved.has_usable_password()
    assert set(saved.groups.values_list("name", flat=True)) == {StaffGroup.PROFESSIONAL}
