"""The MFA reset: professionals/accounts.py mfa_reset (with bip/security/mfa.py
second_factor_remove), the admin action (professionals/admin.py),
the access-log reaction (audit/reactions.py) and the mail (bip/security/notifications.py)."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.constants import Action, ObjectType, Result
from audit.models import AccessLogEntry
from bip.security import mfa
from professionals import accounts
from tests.bip.security.conftest import code_for
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

REASON = "Telefoon kwijt, zelf gemeld op 3 maart"


@pytest.fixture
def target(enrol):
    user = UserFactory(username="c", coordinator=True, email="c@example.nl")
    enrol(user)
    return user


@pytest.fixture
def beheerder(administrator, client):
    client.force_login(administrator)
    return administrator


def reset_url(user) -> str:
    return reverse("admin:auth_user_mfa_reset", args=[user.pk])


def logged_in_elsewhere(user) -> Client:
    other = Client()
    other.force_login(user)
    assert other.get(reverse("security:mfa_overview")).status_code == 200
    return other


def history(user):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_pk=str(user.pk)
    )


def access_log(user):
    return AccessLogEntry.objects.filter(
        object_type=ObjectType.ADMIN_RECORD, object_id=str(user.pk)
    )


def test_the_reset_deletes_the_factors_ends_sessions_and_records_everything(
    target, administrator, django_capture_on_commit_callbacks
):
    session = logged_in_elsewhere(target)
    with django_capture_on_commit_callbacks(execute=True):
        reset = accounts.mfa_reset(user=target, actor=administrator, reason=f"  {REASON} ")
    assert reset.sessions_ended == 1
    assert reset.devices_deleted == 2
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    assert not StaticToken.objects.filter(device__user=target).exists()
    assert not mfa.has_second_factor(target)
    # The old session is gone: the next request goes to the login page.
    response = session.get(reverse("security:mfa_overview"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    # Change history, with the reason.
    entry = history(target).get()
    assert entry.actor == administrator
    assert entry.additional_data["event"] == "mfa_reset"
    assert entry.additional_data["reason"] == REASON
    # Access log, without the free-text reason.
    row = access_log(target).get()
    assert row.action == Action.CHANGE
    assert row.result == Result.SUCCESS
    assert row.actor == administrator
    assert row.details["event"] == "mfa_reset"
    assert row.details["model"] == "auth.user"
    assert REASON not in str(row.details)
    # A Dutch mail to the user, with no reason and no secret.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["c@example.nl"]
    assert "tweestapsverificatie" in message.subject
    assert "opnieuw ingesteld" in message.body
    assert REASON not in message.body


def test_the_mail_goes_only_after_commit(target, administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        accounts.mfa_reset(user=target, actor=administrator, reason=REASON)
    assert not mail.outbox
    assert len(callbacks) == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reset_without_a_reason_is_refused_and_changes_nothing(target, administrator, reason):
    with pytest.raises(mfa.MFAError, match="Geef een reden op"):
        accounts.mfa_reset(user=target, actor=administrator, reason=reason)
    assert mfa.has_second_factor(target)
    assert not history(target).exists()
    assert not access_log(target).exists()


def test_when_the_access_log_cannot_be_written_nothing_is_reset(target, administrator, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("access log down")

    monkeypatch.setattr("audit.reactions.access_log_record", broken)
    with pytest.raises(DatabaseError):
        accounts.mfa_reset(user=target, actor=administrator, reason=REASON)
    assert TOTPDevice.objects.filter(user=target, confirmed=True).exists()
    assert not history(target).exists()


def test_an_administrator_cannot_reset_their_own_or_a_superusers_second_factor(
    administrator, enrol
):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    for user in (administrator, root):
        enrol(user)
        with pytest.raises(mfa.MFAError):
            accounts.mfa_reset(user=user, actor=administrator, reason=REASON)
        assert mfa.has_second_factor(user)
    other_root = UserFactory(username="root2", is_superuser=True, is_staff=True)
    accounts.mfa_reset(user=root, actor=other_root, reason=REASON)
    assert not mfa.has_second_factor(root)


def test_someone_without_account_rights_cannot_reset(target):
    coordinator = UserFactory(username="c2", coordinator=True, is_staff=True)
    with pytest.raises(mfa.MFAError):
        accounts.mfa_reset(user=target, actor=coordinator, reason=REASON)
    assert mfa.has_second_factor(target)


# --- the admin action -----------------------------------------------------------------


def test_the_confirm_page_asks_for_a_reason(client, beheerder, target):
    page = client.get(reset_url(target))
    assert page.status_code == 200
    assert 'name="reason"' in page.text
    assert "Er is nu een authenticator-app gekoppeld." in page.text
    assert "Er zijn nog 10 herstelcodes." in page.text


def test_an_empty_reason_is_a_form_error(client, beheerder, target):
    response = client.post(reset_url(target), {"reason": "  "})
    assert response.status_code == 422
    assert "Geef een reden op." in response.text
    assert mfa.has_second_factor(target)
    assert not history(target).exists()


def test_the_administrator_resets_through_the_admin(
    client, beheerder, target, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reset_url(target), {"reason": REASON})
    assert response.status_code == 302
    assert response.url == reverse("admin:auth_user_change", args=[target.pk])
    assert not mfa.has_second_factor(target)
    assert history(target).get().additional_data["reason"] == REASON
    row = access_log(target).get()
    assert row.actor == beheerder
    assert row.path == reset_url(target)
    assert len(mail.outbox) == 1
    # The administrator stays logged in.
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_action_is_refused_where_the_rule_refuses(client, beheerder, enrol):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    enrol(root)
    assert client.get(reset_url(root)).status_code == 403
    assert client.post(reset_url(root), {"reason": REASON}).status_code == 403
    assert client.post(reset_url(beheerder), {"reason": REASON}).status_code == 403
    assert mfa.has_second_factor(root)


def test_the_admin_action_needs_get_or_post_and_a_user_that_exists(client, beheerder, target):
    assert client.put(reset_url(target)).status_code == 405
    missing = reverse("admin:auth_user_mfa_reset", args=[999_999])
    assert client.post(missing, {"reason": REASON}).status_code == 404
    assert mfa.has_second_factor(target)


def test_staff_without_account_rights_cannot_reach_the_action(client, target):
    client.force_login(UserFactory(username="c2", coordinator=True, is_staff=True))
    assert client.post(reset_url(target), {"reason": REASON}).status_code == 403
    assert mfa.has_second_factor(target)


@pytest.mark.mfa
def test_after_a_reset_the_user_proves_the_password_and_enrols_again(client, target, administrator):
    accounts.mfa_reset(user=target, actor=administrator, reason=REASON)
    response = client.post(reverse("login"), {"username": "c", "password": DEMO_PASSWORD})
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:mfa_enrol"))
    page = client.get(reverse("security:mfa_enrol"))
    device = TOTPDevice.objects.get(user=target, confirmed=False)
    assert client.post(reverse("security:mfa_enrol"), {"code": code_for(device)}).status_code == 302
    assert page.status_code == 200
    assert mfa.has_second_factor(target)
