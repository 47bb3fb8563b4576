"""bip/security/forms.py LoginForm: an over-long user name is a form error, not a 500."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse

from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("length", [151, 256, 5000])
@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_an_over_long_user_name_is_a_dutch_form_error_and_never_reaches_axes(
    client, url_name, length
):
    """Finding: django-axes' failure log holds 255 characters; on PostgreSQL its INSERT failed
    and the login page answered 500, without any login."""
    client.raise_request_exception = True
    response = client.post(reverse(url_name), {"username": "a" * length, "password": "x"})
    assert response.status_code == 200
    assert "Een gebruikersnaam heeft hoogstens 150 tekens." in response.text
    assert not response.wsgi_request.user.is_authenticated
    assert not AccessFailureLog.objects.exists()
    assert not AccessAttempt.objects.exists()


def test_a_user_name_of_the_maximum_length_still_logs_in(client):
    user = UserFactory(username="a" * 150, coordinator=True)
    response = client.post(reverse("login"), {"username": user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.wsgi_request.user == user


def test_a_wrong_password_is_still_counted_by_axes(client):
    UserFactory(username="bip1")
    client.post(reverse("login"), {"username": "bip1", "password": "fout-wachtwoord"})
    assert AccessFailureLog.objects.filter(username="bip1").count() == 1
