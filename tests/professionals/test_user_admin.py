"""professionals/admin.py AccountAdmin: the user admin as a functional administrator and as a
superuser. Finding: with auth.add_user/change_user and the stock user admin, the administrator
could make themselves superuser or coordinator, set anyone's password and take over accounts.
"""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from audit.models import AccessLogEntry
from professionals.constants import StaffGroup
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

ALLOWED = ["username", "first_name", "last_name", "email", "is_active", "is_professional"]
FORBIDDEN = [
    "password",
    "password1",
    "password2",
    "usable_password",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
    "last_login",
    "date_joined",
]


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def beheerder(administrator, client):
    client.force_login(administrator)
    return administrator


@pytest.fixture
def account():
    return UserFactory(username="prof", group=StaffGroup.PROFESSIONAL, email="prof@example.nl")


def group_ids(*names) -> list[str]:
    return [str(Group.objects.get(name=name).pk) for name in names]


def crafted_rights() -> dict:
    """Everything a crafted POST could add to raise someone's rights or take an account."""
    return {
        "is_superuser": "on",
        "is_staff": "on",
        "groups": group_ids(
            StaffGroup.COORDINATOR, StaffGroup.RESEARCHER, StaffGroup.ADMINISTRATOR
        ),
        "user_permissions": [str(Permission.objects.get(codename="delete_user").pk)],
        "password": "pbkdf2_sha256$1$x$y",
        "password1": "Overgenomen-wachtwoord-1",
        "password2": "Overgenomen-wachtwoord-1",
        "usable_password": "true",
    }


def input_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))


def names_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- the add page -----------------------------------------------------------------------


def test_the_add_page_shows_only_the_allowed_fields_and_says_how_the_password_is_set(
    client, beheerder
):
    page = client.get(reverse("admin:auth_user_add"))
    assert page.status_code == 200
    names = input_names(page.text)
    assert set(ALLOWED) <= names
    assert not names & set(FORBIDDEN)
    assert "link om zelf een wachtwoord in te stellen" in page.text


def test_a_new_account_gets_no_rights_no_password_and_a_mail_to_set_one(
    client, beheerder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:auth_user_add"),
            {
                "username": "nieuw",
                "first_name": "Nina",
                "last_name": "Nieuw",
                "email": "nina@example.nl",
                "is_active": "on",
                "is_professional": "on",
                **crafted_rights(),
            },
        )
    assert response.status_code == 302
    user = User.objects.get(username="nieuw")
    assert (user.first_name, user.last_name, user.email) == ("Nina", "Nieuw", "nina@example.nl")
    assert user.is_active
    assert not user.is_superuser and not user.is_staff
    assert names_of(user) == {StaffGroup.PROFESSIONAL}
    assert not user.user_permissions.exists()
    assert not user.has_usable_password()
    assert not user.check_password("Overgenomen-wachtwoord-1")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.nl"]
    assert "wachtwoord in via deze link" in message.body
    assert "/wachtwoord-instellen/" in message.body


def test_a_new_account_without_the_professional_box_gets_no_group(client, beheerder):
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "los", "email": "los@example.nl", "is_active": "on", **crafted_rights()},
    )
    assert response.status_code == 302
    user = User.objects.get(username="los")
    assert names_of(user) == set()
    assert not user.is_staff and not user.is_superuser


def test_a_new_account_needs_an_unused_email_address(client, beheerder, account):
    for email in ("", "PROF@example.nl"):
        response = client.post(
            reverse("admin:auth_user_add"), {"username": "dubbel", "email": email}
        )
        assert response.status_code == 200
        assert not User.objects.filter(username="dubbel").exists()
    assert "Er is al een account met dit e-mailadres." in response.text


# --- the change page ----------------------------------------------------------------------


def test_the_change_page_of_a_professional_shows_only_the_allowed_fields(
    client, beheerder, account
):
    page = client.get(reverse("admin:auth_user_change", args=[account.pk]))
    assert page.status_code == 200
    names = input_names(page.text)
    assert {"username", "first_name", "last_name", "is_active", "is_professional"} <= names
    # The e-mail address is shown, not editable: changing it would redirect the reset mail.
    assert "email" not in names
    assert "prof@example.nl" in page.text
    assert not names & set(FORBIDDEN)
    assert reverse("admin:auth_user_password_change", args=[account.pk]) not in page.text
    assert reverse("admin:auth_user_mfa_reset", args=[account.pk]) in page.text


def test_a_crafted_change_post_changes_only_the_allowed_fields(client, beheerder, account):
    password_before = account.password
    response = client.post(
        reverse("admin:auth_user_change", args=[account.pk]),
        {
            "username": "prof",
            "first_name": "Petra",
            "last_name": "Prof",
            "email": "beheerder@example.nl",
            "is_active": "on",
            "is_professional": "on",
            **crafted_rights(),
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.first_name, account.last_name) == ("Petra", "Prof")
    assert account.email == "prof@example.nl"
    assert account.password == password_before
    assert account.check_password(DEMO_PASSWORD)
    assert not account.is_superuser and not account.is_staff
    assert names_of(account) == {StaffGroup.PROFESSIONAL}
    assert not account.user_permissions.exists()


def test_the_administrator_deactivates_and_reactivates_an_account_and_its_group(
    client, beheerder, account
):
    url = reverse("admin:auth_user_change", args=[account.pk])
    response = client.post(url, {"username": "prof"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_active
    assert names_of(account) == set()
    client.post(url, {"username": "prof", "is_active": "on", "is_professional": "on"})
    account.refresh_from_db()
    assert account.is_active
    assert names_of(account) == {StaffGroup.PROFESSIONAL}


def test_the_administrator_cannot_change_their_own_account(client, beheerder):
    url = reverse("admin:auth_user_change", args=[beheerder.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Je eigen account wijzigt een andere beheerder" in page.text
    assert not input_names(page.text) & {*ALLOWED, *FORBIDDEN}
    response = client.post(
        url, {"username": "beheer", "is_active": "on", "is_professional": "on", **crafted_rights()}
    )
    assert response.status_code == 403
    beheerder.refresh_from_db()
    assert not beheerder.is_superuser
    assert names_of(beheerder) == {StaffGroup.ADMINISTRATOR}
    assert not beheerder.user_permissions.exists()


@pytest.mark.parametrize(
    "make_target",
    [
        lambda: UserFactory(username="c", coordinator=True),
        lambda: UserFactory(username="r", researcher=True),
        lambda: UserFactory(username="b2", administrator=True),
        lambda: UserFactory(username="staf", is_staff=True),
        lambda: UserFactory(username="root", is_superuser=True, is_staff=True),
    ],
    ids=["coordinator", "researcher", "administrator", "staff", "superuser"],
)
def test_accounts_above_professional_are_read_only_for_the_administrator(
    client, beheerder, make_target
):
    target = make_target()
    groups_before = names_of(target)
    url = reverse("admin:auth_user_change", args=[target.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "systeemeigenaar" in page.text
    assert not input_names(page.text) & {*ALLOWED, *FORBIDDEN}
    response = client.post(url, {"username": target.username, "first_name": "X"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active
    assert target.first_name != "X"
    assert names_of(target) == groups_before


def test_the_administrator_never_reaches_the_password_page(client, beheerder, account):
    password_before = account.password
    url = reverse("admin:auth_user_password_change", args=[account.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "password1": "Overgenomen-wachtwoord-1",
            "password2": "Overgenomen-wachtwoord-1",
            "usable_password": "true",
        },
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.password == password_before


def test_the_administrator_cannot_delete_accounts(client, beheerder, account):
    response = client.post(reverse("admin:auth_user_delete", args=[account.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=account.pk).exists()


def test_the_administrator_lists_the_accounts(client, beheerder, account):
    page = client.get(reverse("admin:auth_user_changelist"))
    assert page.status_code == 200
    assert "prof" in page.text


def test_a_user_without_the_user_rights_gets_no_user_admin(client, account):
    client.force_login(UserFactory(username="c", coordinator=True, is_staff=True))
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    assert client.get(reverse("admin:auth_user_change", args=[account.pk])).status_code == 403


# --- the superuser --------------------------------------------------------------------


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_the_superuser_keeps_the_full_user_admin(client, superuser, account):
    add = client.get(reverse("admin:auth_user_add"))
    assert {"username", "password1", "password2"} <= input_names(add.text)
    url = reverse("admin:auth_user_change", args=[account.pk])
    page = client.get(url)
    assert {"is_staff", "is_superuser", "email"} <= input_names(page.text)
    assert 'class="form-row field-groups' in page.text
    assert 'class="form-row field-user_permissions' in page.text
    response = client.post(
        url,
        {
            "username": "prof",
            "email": "nieuw@example.nl",
            "is_active": "on",
            "groups": group_ids(StaffGroup.COORDINATOR),
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.text
    account.refresh_from_db()
    assert names_of(account) == {StaffGroup.COORDINATOR}
    assert account.email == "nieuw@example.nl"
    # A superuser's grant is recorded like grant_role's: change history and access log.
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(User), object_pk=str(account.pk)
    )
    assert entry.actor == superuser
    assert entry.changes["groups"] == ["Professional", "Coördinator"]
    rows = AccessLogEntry.objects.filter(object_id=str(account.pk)).order_by("pk")
    assert [(row.details["event"], row.details["role"]) for row in rows] == [
        ("role_granted", "Coördinator"),
        ("role_revoked", "Professional"),
    ]
    assert all(row.actor == superuser for row in rows)


def test_the_superuser_sets_a_password(client, superuser, account):
    response = client.post(
        reverse("admin:auth_user_password_change", args=[account.pk]),
        {
            "password1": "Een-nieuw-wachtwoord-9",
            "password2": "Een-nieuw-wachtwoord-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password("Een-nieuw-wachtwoord-9")
