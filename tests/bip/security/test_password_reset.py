"""Password recovery by e-mail (bip/security/views.py, tasks.py, notifications.py)."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bip.security import views
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Een-nieuw-lang-wachtwoord-7"


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user():
    return UserFactory(username="c", coordinator=True, email="c@example.nl")


def ask(client, email, ip="198.51.100.20"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def link_in(message) -> str:
    return re.search(r"http://\S+/wachtwoord-instellen/\S+/", message.body).group(0)


def test_the_login_page_links_to_password_recovery(client):
    page = client.get(reverse("login"))
    assert f'href="{reverse("password_reset")}"' in page.text
    assert "Wachtwoord vergeten?" in page.text


def test_the_request_page_is_public_and_dutch(client):
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    assert "Wachtwoord vergeten" in page.text
    assert 'name="email"' in page.text
    assert "no-store" in page["Cache-Control"]


def test_a_known_address_gets_a_link_by_mail(client, user):
    response = ask(client, "C@Example.nl")
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["c@example.nl"]
    assert "nieuw wachtwoord" in message.subject
    assert "authenticator-app" in message.body
    assert link_in(message).startswith("http://127.0.0.1:8000/wachtwoord-instellen/")


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, user, settings):
    """Nothing on the page, nor in the work the request does, tells the two apart: the lookup
    and the mail run in the background task."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    answers = []
    for email in ("c@example.nl", "niemand@example.nl"):
        with CaptureQueriesContext(connection) as queries:
            response = ask(client, email)
        text = client.get(response.url).text
        # The page's own content (the nonces and CSRF token differ per response anyway).
        page = text[text.index("<main") : text.index("</main>")]
        answers.append((response.status_code, response.url, page, len(queries)))
    assert answers[0] == answers[1]
    assert not mail.outbox


def test_unknown_inactive_and_empty_addresses_get_no_mail(client, user):
    UserFactory(username="weg", email="weg@example.nl", is_active=False)
    for email in ("niemand@example.nl", "weg@example.nl"):
        assert ask(client, email).url == reverse("password_reset_done")
    assert not mail.outbox


def test_a_new_account_without_a_password_gets_the_link(client):
    new = UserFactory(username="nieuw", email="nieuw@example.nl")
    new.set_unusable_password()
    new.save()
    ask(client, "nieuw@example.nl")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("typed", ["geen-adres", "a" * 300 + "@example.nl", ""])
def test_a_malformed_address_is_a_dutch_form_error(client, typed):
    response = ask(client, typed)
    assert response.status_code == 422
    assert "E-mailadres" in response.text
    assert not mail.outbox


def test_requests_per_address_are_limited(client, user):
    for _ in range(views.PASSWORD_RESET_PER_EMAIL):
        assert ask(client, "c@example.nl").status_code == 302
    refused = ask(client, "c@example.nl", ip="203.0.113.9")
    assert refused.status_code == 429
    assert "Te veel aanvragen" in refused.text
    assert len(mail.outbox) == views.PASSWORD_RESET_PER_EMAIL
    # An unknown address is limited the same way: the limit reveals nothing either.
    for _ in range(views.PASSWORD_RESET_PER_EMAIL):
        ask(client, "niemand@example.nl", ip="203.0.113.10")
    assert ask(client, "niemand@example.nl", ip="203.0.113.11").status_code == 429


def test_requests_per_client_address_are_limited_and_the_limit_ends(client, user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(views.PASSWORD_RESET_PER_ADDRESS):
            assert ask(client, f"iemand{number}@example.nl").status_code == 302
        assert ask(client, "c@example.nl").status_code == 429
        assert not mail.outbox
        # Another client address is not affected.
        assert ask(client, "c@example.nl", ip="203.0.113.50").status_code == 302
    with time_machine.travel(start + datetime.timedelta(hours=1, minutes=1), tick=False):
        assert ask(client, "c@example.nl").status_code == 302
    assert len(mail.outbox) == 2


def set_password_with_link(client, link):
    page = client.get(link)
    assert page.status_code == 302  # Django moves the token into the session first
    form = client.get(page.url)
    assert form.status_code == 200
    assert 'name="new_password1"' in form.text
    return client.post(page.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_the_link_sets_a_new_password_once_and_does_not_log_in(client, user):
    ask(client, "c@example.nl")
    link = link_in(mail.outbox[0])
    response = set_password_with_link(client, link)
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    done = client.get(response.url)
    assert done.status_code == 200
    assert "Wachtwoord ingesteld" in done.text
    assert not done.wsgi_request.user.is_authenticated
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Used once: the link no longer works.
    again = client.get(link, follow=True)
    assert "werkt niet (meer)" in again.text


def test_a_too_short_password_is_a_dutch_form_error(client, user):
    ask(client, "c@example.nl")
    page = client.get(link_in(mail.outbox[0]))
    response = client.post(page.url, {"new_password1": "kort", "new_password2": "kort"})
    assert response.status_code == 200
    assert "Dit wachtwoord is te kort: gebruik minstens 12 tekens." in response.text
    assert "too short" not in response.text
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


@pytest.mark.mfa
def test_a_reset_does_not_bypass_the_second_factor(client, user, enrol):
    enrol(user)
    ask(client, "c@example.nl")
    set_password_with_link(client, link_in(mail.outbox[0]))
    assert client.get(reverse("cases:case_list")).status_code == 302
    response = client.post(reverse("login"), {"username": "c", "password": NEW_PASSWORD})
    assert response.status_code == 302
    step = client.get(response.url)
    assert step.status_code == 302
    assert step.url.startswith(reverse("security:mfa_verify"))
    assert client.get(reverse("cases:case_list")).status_code == 302


@pytest.mark.mfa
def test_the_recovery_pages_are_reachable_without_login_or_second_factor(client):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 200, name
