"""`manage.py grant_role` and professionals.accounts.role_change: roles above Professional
are granted by the system owner, with a reason, recorded in the change history and the
access log."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from audit.constants import Action, ObjectType
from audit.models import AccessLogEntry
from professionals.constants import StaffGroup
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture
def user():
    return UserFactory(username="piet", group=StaffGroup.PROFESSIONAL)


def groups(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def history(user):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_pk=str(user.pk)
    )


def access_log(user):
    return AccessLogEntry.objects.filter(
        object_type=ObjectType.ADMIN_RECORD, object_id=str(user.pk)
    )


def test_granting_a_role_is_recorded_with_the_reason_and_actor(user, capsys):
    call_command(
        "grant_role", "piet", "coordinator", reason="Vervangt de coördinator", actor="eigenaar"
    )
    user.refresh_from_db()
    assert groups(user) == {StaffGroup.PROFESSIONAL, StaffGroup.COORDINATOR}
    assert not user.is_staff
    entry = history(user).get()
    assert entry.additional_data == {
        "event": "role_granted",
        "reason": "Vervangt de coördinator",
        "role": "Coördinator",
        "by": "eigenaar",
    }
    assert entry.changes["groups"] == ["Professional", "Coördinator, Professional"]
    row = access_log(user).get()
    assert row.action == Action.CHANGE
    assert row.details["event"] == "role_granted"
    assert row.details["role"] == "Coördinator"
    assert row.details["by"] == "eigenaar"
    assert "toegekend" in capsys.readouterr().out


def test_an_actor_that_names_an_account_is_recorded_as_that_account(user):
    owner = UserFactory(username="eigenaar")
    call_command("grant_role", "piet", "Onderzoeker", reason="Evaluatie", actor="eigenaar")
    assert history(user).get().actor == owner
    assert access_log(user).get().actor == owner


def test_the_administrator_role_makes_staff_and_revoking_takes_it_away(user):
    call_command("grant_role", "piet", "Functioneel beheerder", reason="Nieuwe beheerder")
    user.refresh_from_db()
    assert user.is_staff
    assert StaffGroup.ADMINISTRATOR in groups(user)
    call_command("grant_role", "piet", "administrator", "--revoke", reason="Vertrokken")
    user.refresh_from_db()
    assert not user.is_staff
    assert groups(user) == {StaffGroup.PROFESSIONAL}
    assert [e.additional_data["event"] for e in history(user).order_by("pk")] == [
        "role_granted",
        "role_revoked",
    ]
    assert access_log(user).count() == 2


def test_granting_a_role_the_user_has_changes_and_records_nothing(user, capsys):
    call_command("grant_role", "piet", "Professional", reason="Nog eens")
    assert "Niets gewijzigd" in capsys.readouterr().out
    assert not history(user).exists()
    assert not access_log(user).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["piet", "koning"], "Onbekende rol"),
        (["niemand", "coordinator"], "Er is geen account"),
    ],
)
def test_bad_input_is_a_dutch_command_error(user, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("grant_role", *args, reason="x")
    assert groups(user) == {StaffGroup.PROFESSIONAL}


def test_a_reason_is_required(user):
    with pytest.raises(CommandError):
        call_command("grant_role", "piet", "coordinator")
    with pytest.raises(CommandError, match="reden"):
        call_command("grant_role", "piet", "coordinator", reason="   ")
    assert groups(user) == {StaffGroup.PROFESSIONAL}
    assert not history(user).exists()
