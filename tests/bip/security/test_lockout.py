"""Brute-force protection with django-axes (settings + bip/security/lockout.py + admin.py)."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.http import HttpRequest
from django.urls import reverse

from bip.security.lockout import client_ip
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def user():
    return UserFactory(username="bip1")


def attempt(client, password, *, ip=ATTACKER, username="bip1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        response = attempt(client, "fout-wachtwoord", **kwargs)
        assert response.status_code in {200, 429}


def test_the_fifth_failure_locks_that_user_from_that_address(client, user):
    fail(client, 4)
    fifth = attempt(client, "fout-wachtwoord")
    assert fifth.status_code == 429
    # Locked: even the right password is refused, with the Dutch explanation.
    response = attempt(client, DEMO_PASSWORD)
    assert response.status_code == 429
    assert "Inloggen tijdelijk geblokkeerd" in response.text
    assert "Probeer het over 15 minuten opnieuw" in response.text
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(client, user):
    fail(client, 4)
    response = attempt(client, DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_same_user_from_another_address_can_still_log_in(client, user):
    fail(client, 5)
    response = attempt(client, DEMO_PASSWORD, ip=OFFICE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_another_user_from_the_locked_address_can_still_log_in(client, user):
    other = UserFactory(username="bip2")
    fail(client, 5)
    response = attempt(client, DEMO_PASSWORD, username="bip2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_the_lock_ends_after_the_cool_off(client, user):
    with time_machine.travel(START, tick=False):
        fail(client, 5)
    with time_machine.travel(START + datetime.timedelta(minutes=14), tick=False):
        assert attempt(client, DEMO_PASSWORD).status_code == 429
    # The refused attempt at minute 14 restarts the cool-off.
    with time_machine.travel(START + datetime.timedelta(minutes=14 + 15, seconds=1), tick=False):
        assert attempt(client, DEMO_PASSWORD).status_code == 302


def test_limit_and_cool_off_are_configurable(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=5)
    fail(client, 1)
    response = attempt(client, "fout-wachtwoord")
    assert response.status_code == 429
    assert "Probeer het over 5 minuten opnieuw" in response.text


def test_every_attempt_is_logged(client, user):
    fail(client, 2)
    attempt(client, DEMO_PASSWORD, ip=OFFICE)
    failures = AccessFailureLog.objects.filter(username="bip1")
    assert failures.count() == 2
    assert set(failures.values_list("ip_address", flat=True)) == {ATTACKER}
    success = AccessLog.objects.get(username="bip1")
    assert success.ip_address == OFFICE
    assert success.path_info == reverse("login")
    # The password is never stored.
    attempt_row = AccessAttempt.objects.get(username="bip1")
    assert "fout-wachtwoord" not in attempt_row.post_data


def test_a_successful_login_resets_the_failures(client, user):
    fail(client, 4)
    assert attempt(client, DEMO_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, 4)
    assert attempt(client, DEMO_PASSWORD).status_code == 302


def test_force_login_and_the_suite_still_work(client, user):
    """Tests log in with force_login; axes needs a request only for password logins."""
    client.force_login(user)
    assert client.get(reverse("no_role")).status_code == 200


def request_from(remote, forwarded=None):
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_proxies_the_client_is_remote_addr(settings):
    settings.REVERSE_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.1", "1.2.3.4")) == "10.0.0.1"


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(settings):
    settings.REVERSE_PROXY_COUNT = 1
    # A forged entry on the left is ignored: the proxy appended the real address.
    assert client_ip(request_from("10.0.0.1", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"
    assert client_ip(request_from("10.0.0.1", "niet-een-adres")) == "10.0.0.1"


def test_behind_two_proxies(settings):
    settings.REVERSE_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"


def test_behind_a_proxy_users_at_different_addresses_are_counted_apart(client, user, settings):
    settings.REVERSE_PROXY_COUNT = 1
    for _ in range(5):
        client.post(
            reverse("login"),
            {"username": "bip1", "password": "fout"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )
    response = client.post(
        reverse("login"),
        {"username": "bip1", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=OFFICE,
    )
    assert response.status_code == 302
