import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from professionals.constants import StaffGroup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GROUP_NAMES = {"Coördinator", "Professional", "Onderzoeker", "Functioneel beheerder"}

groups_migration = importlib.import_module("professionals.migrations.0002_groups")


def test_the_four_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) == GROUP_NAMES


def test_staff_group_values_match_the_stored_names():
    assert set(StaffGroup.values) == GROUP_NAMES
    assert set(groups_migration.GROUPS) == GROUP_NAMES


def test_data_migration_creates_and_removes_the_groups():
    Group.objects.all().delete()
    groups_migration.create_groups(apps, None)
    assert set(Group.objects.values_list("name", flat=True)) == GROUP_NAMES
    # Running it again does not duplicate.
    groups_migration.create_groups(apps, None)
    assert Group.objects.count() == 4
    groups_migration.remove_groups(apps, None)
    assert not Group.objects.exists()


@pytest.fixture
def admin_perms():
    group = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_administrator_group_may_change_schools_and_read_history(admin_perms):
    assert "cases.change_school" in admin_perms
    assert "cases.view_stagechange" in admin_perms
    assert "evaluation.view_allocation" in admin_perms


def test_administrator_group_may_not_change_history(admin_perms):
    assert "cases.change_stagechange" not in admin_perms
    assert "cases.delete_stagechange" not in admin_perms
    assert "evaluation.change_allocation" not in admin_perms
    assert "evaluation.delete_allocation" not in admin_perms


def test_administrator_user_gets_the_group_rights():
    user = UserFactory(group=StaffGroup.ADMINISTRATOR, is_staff=True)
    assert user.has_perm("cases.change_school")
    assert user.has_perm("cases.view_stagechange")
    assert not user.has_perm("cases.change_stagechange")


def test_other_groups_get_no_admin_rights():
    user = UserFactory(group=StaffGroup.COORDINATOR)
    assert not user.has_perm("cases.change_school")
    assert not user.has_perm("cases.view_stagechange")


def test_administrator_group_may_not_delete_second_factors_or_accounts(admin_perms):
    """Finding: deleting someone's devices let the administrator take over their account."""
    for perm in (
        "otp_totp.delete_totpdevice",
        "otp_static.delete_staticdevice",
        "otp_totp.change_totpdevice",
        "auth.delete_user",
        "auth.change_group",
    ):
        assert perm not in admin_perms
    assert "otp_totp.view_totpdevice" in admin_perms
    assert "auth.change_user" in admin_perms


def test_granting_again_takes_away_rights_an_earlier_version_gave():
    from django.contrib.auth.models import Permission

    from professionals.groups import grant_group_permissions

    group = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    old = Permission.objects.get(content_type__app_label="otp_totp", codename="delete_totpdevice")
    group.permissions.add(old)
    grant_group_permissions()
    assert not group.permissions.filter(pk=old.pk).exists()
    assert group.permissions.filter(codename="change_school").exists()


def test_post_migrate_grants_once_after_the_last_app_not_once_per_app(django_assert_num_queries):
    """post_migrate fires per app (also after every flush of a transactional test); the
    grant needs every app's permissions, so it runs after the last app only."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.db.models.signals import post_migrate

    from professionals.groups import grant_group_permissions

    group = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    old = Permission.objects.get(content_type__app_label="otp_totp", codename="delete_totpdevice")
    group.permissions.add(old)
    with_models = [config for config in apps.get_app_configs() if config.models_module]

    with django_assert_num_queries(0):
        for config in with_models[:-1]:
            grant_group_permissions(app_config=config, apps=apps)
    assert group.permissions.filter(pk=old.pk).exists()

    post_migrate.send(sender=with_models[-1], app_config=with_models[-1], apps=apps)
    assert not group.permissions.filter(pk=old.pk).exists()


@pytest.mark.parametrize("memberships", [(), ("Coördinator",), ("Onderzoeker", "Professional")])
def test_group_names_come_with_the_row_and_need_no_query_of_their_own(
    memberships, django_assert_num_queries
):
    from django.contrib.auth.models import User

    from professionals.groups import group_names_of, is_researcher, remember_groups, user_groups

    user = UserFactory()
    user.groups.set(Group.objects.filter(name__in=memberships))
    UserFactory(coordinator=True)  # someone else's groups stay out

    with django_assert_num_queries(1):
        loaded = User.objects.annotate(names=group_names_of("pk")).get(pk=user.pk)
        remember_groups(loaded, loaded.names)
        assert user_groups(loaded) == frozenset(memberships)
        assert is_researcher(loaded) == ("Onderzoeker" in memberships)
