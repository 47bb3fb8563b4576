"""Session limits (bip/security/sessions.py + SessionTimeoutMiddleware), rotation and logout."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PAGE = "/zaken/"


def at(**delta):
    return time_machine.travel(START + datetime.timedelta(**delta), tick=False)


@pytest.fixture
def logged_in(client, coordinator):
    with at():
        client.force_login(coordinator)
    return client


def assert_logged_out_to_login(client, response) -> str:
    """The session ended and the login page explains why; returns that page's text."""
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={PAGE}"
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert "Je sessie is verlopen" in page.text
    return page.text


def test_defaults_are_30_minutes_idle_and_12_hours_absolute():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_TIMEOUT
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_a_session_idle_for_30_minutes_is_still_valid(logged_in):
    with at(minutes=30):
        assert logged_in.get(PAGE).status_code == 200


def test_a_session_idle_for_30_minutes_and_a_second_expires(logged_in):
    with at(minutes=30, seconds=1):
        response = logged_in.get(PAGE)
        assert "30 minuten niet actief" in assert_logged_out_to_login(logged_in, response)


def test_activity_keeps_the_session_alive(logged_in):
    for minutes in (20, 45, 70, 95):
        with at(minutes=minutes):
            assert logged_in.get(PAGE).status_code == 200, minutes
    with at(minutes=95 + 30, seconds=1):
        assert logged_in.get(PAGE).status_code == 302


def test_the_absolute_limit_ends_a_busy_session_after_12_hours(logged_in):
    for minutes in range(20, 12 * 60, 20):
        with at(minutes=minutes):
            assert logged_in.get(PAGE).status_code == 200, minutes
    with at(hours=12):
        assert logged_in.get(PAGE).status_code == 200
    with at(hours=12, seconds=1):
        response = logged_in.get(PAGE)
        assert "verlopen na 12 uur" in assert_logged_out_to_login(logged_in, response)


def test_the_limits_are_configurable(logged_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    with at(minutes=5, seconds=1):
        assert logged_in.get(PAGE).status_code == 302


def test_an_htmx_request_after_expiry_redirects_the_whole_page(logged_in):
    with at(hours=1):
        response = logged_in.get(PAGE, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("login")
        assert "_auth_user_id" not in logged_in.session


def test_a_post_after_expiry_changes_nothing_and_goes_to_login(logged_in):
    with at(hours=1):
        response = logged_in.post(reverse("cases:intake"), {})
    assert response.status_code == 302
    assert response.url == reverse("login")


def test_activity_is_written_at_most_once_a_minute(logged_in):
    """An ordinary page view does not write the session (no extra query per request)."""
    # (The session is read inside the travel: outside it, it has long expired.)
    with at(seconds=10):
        logged_in.get(PAGE)
        assert logged_in.session["kk_seen_at"] == START.timestamp()
    with at(seconds=61):
        logged_in.get(PAGE)
        assert logged_in.session["kk_seen_at"] == START.timestamp() + 61


def test_the_session_id_rotates_at_login(client, db):
    user = UserFactory(username="c", coordinator=True)
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    assert before
    response = client.post(reverse("login"), {"username": "c", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_login_stamps_the_session_clock(client, db):
    UserFactory(username="c", coordinator=True)
    with at():
        client.post(reverse("login"), {"username": "c", "password": DEMO_PASSWORD})
        assert client.session["kk_login_at"] == START.timestamp()
        assert client.session["kk_seen_at"] == START.timestamp()


def test_logout_takes_post_only_and_ends_the_session(logged_in):
    with at(minutes=1):
        assert logged_in.get(reverse("logout")).status_code == 405
        response = logged_in.post(reverse("logout"))
        assert response.status_code == 302
        assert response.url == reverse("login")
        assert "_auth_user_id" not in logged_in.session
        assert logged_in.get(PAGE).status_code == 302


def test_a_session_from_before_the_limits_is_stamped_not_ended(client, coordinator):
    with at():
        client.force_login(coordinator)
        session = client.session
        del session["kk_login_at"]
        del session["kk_seen_at"]
        session.save()
    with at(hours=2):  # past the idle limit, had the clock run since the login
        assert client.get(PAGE).status_code == 200
        assert client.session["kk_login_at"] == timezone.now().timestamp()


def test_no_message_without_expiry(logged_in):
    with at(minutes=1):
        response = logged_in.get(PAGE)
        assert response.status_code == 200
    assert not list(get_messages(response.wsgi_request))


POLL = {"HX-Request": "true", "X-KK-Poll": "1"}
MINUTES_20 = datetime.timedelta(minutes=20)


def test_background_polls_are_not_activity(logged_in):
    """A page that polls by itself (htmx, X-KK-Poll) does not keep an idle session alive."""
    for seconds in range(60, 30 * 60 + 1, 60):
        with at(seconds=seconds):
            response = logged_in.get(PAGE, headers=POLL)
            assert response.status_code == 200 and "HX-Redirect" not in response, seconds
            assert logged_in.session["kk_seen_at"] == START.timestamp()
    with at(minutes=31):
        response = logged_in.get(PAGE, headers=POLL)
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("login")
        assert "_auth_user_id" not in logged_in.session
    page = logged_in.get(reverse("login"))
    assert "30 minuten niet actief" in page.text


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true"},  # an ordinary htmx request (a click, a search as you type)
        {"X-KK-Poll": "1"},  # the marker without htmx: a full page load
        {"HX-Request": "true", "X-KK-Poll": "0"},
    ],
)
def test_requests_that_are_not_background_polls_are_activity(logged_in, headers):
    with at(minutes=20):
        assert logged_in.get(PAGE, headers=headers).status_code == 200
    with at(minutes=31):
        assert logged_in.get(PAGE, headers=POLL).status_code == 200
        assert logged_in.session["kk_seen_at"] == (START + MINUTES_20).timestamp()


def test_a_post_marked_as_a_poll_is_still_activity(logged_in):
    with at(minutes=20):
        logged_in.post(reverse("cases:intake"), {}, headers=POLL)
        assert logged_in.session["kk_seen_at"] == (START + MINUTES_20).timestamp()
