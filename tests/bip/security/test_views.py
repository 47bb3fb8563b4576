"""bip/security/views.py: enrolment at first login, verification, recovery codes."""

import base64
import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bip.security import mfa, sessions
from tests.bip.security.conftest import code_for
from tests.factories import DEMO_PASSWORD, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.mfa, pytest.mark.django_db]


def password_login(client, user, next_url=""):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": DEMO_PASSWORD, "next": next_url},
    )


def test_first_login_goes_to_enrolment_and_shows_qr_and_secret(client):
    user = UserFactory(username="c", coordinator=True)
    response = password_login(client, user)
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("security:mfa_enrol"))
    assert response.status_code == 200
    page = response.text
    assert "Tweestapsverificatie instellen" in page
    assert '<svg class="kk-qr"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', page).group(1)
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    # No menu before the second factor.
    assert 'aria-label="Hoofdmenu"' not in page


def test_enrolment_confirms_then_shows_the_recovery_codes_once(client):
    user = UserFactory(username="c", coordinator=True)
    password_login(client, user, next_url=reverse("cases:queue"))
    client.get(reverse("security:mfa_enrol"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("security:mfa_enrol"),
        {"code": code_for(device), "next": reverse("cases:queue")},
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:recovery_codes"))
    device.refresh_from_db()
    assert device.confirmed

    page = client.get(response.url)
    assert page.status_code == 200
    codes = re.findall(r'<code class="utrecht-code">([a-z2-7]{5}-[a-z2-7]{5})</code>', page.text)
    assert len(codes) == 10
    assert f'href="{reverse("cases:queue")}"' in page.text
    assert "no-store" in page["Cache-Control"]
    # Shown once: a reload has nothing to show.
    again = client.get(response.url)
    assert again.status_code == 302
    assert "utrecht-code" not in client.get(again.url).text
    # The session passed the second factor: pages open.
    assert client.get(reverse("cases:queue")).status_code == 200


def test_a_wrong_enrolment_code_shows_a_dutch_error_and_keeps_the_input(client):
    user = UserFactory(username="c", coordinator=True)
    client.force_login(user)
    client.get(reverse("security:mfa_enrol"))
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("security:mfa_enrol"), {"code": wrong})
    assert response.status_code == 422
    assert "Deze code klopt niet" in response.text
    assert f'value="{wrong}"' in response.text
    assert 'aria-invalid="true"' in response.text
    device.refresh_from_db()
    assert not device.confirmed
    # The same secret is shown again, so the app the user already set up keeps working.
    assert mfa.totp_secret(device) in response.text


def shown_secret(page) -> str:
    return re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', page.text).group(1)


def test_the_enrolment_secret_belongs_to_the_session_not_the_user(client):
    """Finding: whoever logged in first with the password saw the secret the real user got."""
    user = UserFactory(username="c", coordinator=True)
    intruder = Client()
    password_login(intruder, user)
    intruder_secret = shown_secret(intruder.get(reverse("security:mfa_enrol")))
    password_login(client, user)
    secret = shown_secret(client.get(reverse("security:mfa_enrol")))
    assert secret != intruder_secret
    # A reload in the same session shows the same secret, so a scanned app keeps working.
    assert shown_secret(client.get(reverse("security:mfa_enrol"))) == secret
    assert shown_secret(intruder.get(reverse("security:mfa_enrol"))) == intruder_secret
    # The real user's app confirms their own device; the intruder's device is gone.
    device = TOTPDevice.objects.get(pk=client.session[mfa.ENROLMENT_DEVICE])
    response = client.post(reverse("security:mfa_enrol"), {"code": code_for(device)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=user)) == [device]
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    assert mfa.ENROLMENT_DEVICE not in client.session


def test_an_expired_enrolment_is_refused_with_a_message_and_a_new_secret(client):
    user = UserFactory(username="c", coordinator=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_login(client, user)
        old_secret = shown_secret(client.get(reverse("security:mfa_enrol")))
        old = TOTPDevice.objects.get(user=user)
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        # Keep the session alive: the idle timeout is not what this test is about.
        session = client.session
        session[sessions.SEEN_AT] = timezone.now().timestamp()
        session.save()
        response = client.post(reverse("security:mfa_enrol"), {"code": code_for(old)})
    assert response.status_code == 422
    assert "verlopen" in response.text
    assert shown_secret(response) != old_secret
    new = TOTPDevice.objects.get(user=user)
    assert new.pk != old.pk and not new.confirmed
    assert not mfa.has_second_factor(user)


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_an_enrolment_code_that_is_not_six_digits_is_a_form_error(client, typed):
    client.force_login(UserFactory(username="c", coordinator=True))
    response = client.post(reverse("security:mfa_enrol"), {"code": typed})
    assert response.status_code == 422
    assert "Er ging iets mis" in response.text


def test_a_user_with_an_app_is_sent_to_verification_not_enrolment(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    enrol(user)
    response = password_login(client, user, next_url=reverse("cases:queue"))
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == reverse("security:mfa_verify") + "?next=%2Fzaken%2Fwerkvoorraad%2F"
    # Enrolling another app without passing the second factor is not possible.
    enrol_page = client.get(reverse("security:mfa_enrol"))
    assert enrol_page.status_code == 302
    assert enrol_page.url.startswith(reverse("security:mfa_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_verification_with_the_app_code_lands_on_next_under_a_new_session_id(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    device, _codes = enrol(user)
    password_login(client, user)
    key_before = client.session.session_key
    response = client.post(
        reverse("security:mfa_verify"), {"code": code_for(device), "next": "/zaken/werkvoorraad/"}
    )
    assert response.status_code == 302
    assert response.url == "/zaken/werkvoorraad/"
    assert client.session.session_key != key_before
    assert client.get("/zaken/werkvoorraad/").status_code == 200


def test_verification_refuses_an_outside_next(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    device, _codes = enrol(user)
    password_login(client, user)
    response = client.post(
        reverse("security:mfa_verify"), {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_a_wrong_code_on_verification_is_a_dutch_error_not_a_500(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    device, _codes = enrol(user)
    password_login(client, user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("security:mfa_verify"), {"code": wrong, "next": "/zaken/"})
    assert response.status_code == 422
    assert "Deze code klopt niet" in response.text
    assert f'value="{wrong}"' in response.text
    assert 'name="next" value="/zaken/"' in response.text
    assert client.get(reverse("cases:case_list")).status_code == 302  # still not verified


def test_a_recovery_code_logs_in_once(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    _device, codes = enrol(user)
    password_login(client, user)
    response = client.post(reverse("security:mfa_verify"), {"code": codes[0]}, follow=True)
    assert response.status_code == 200
    assert "Je hebt een herstelcode gebruikt" in response.text
    assert "Je hebt nog 9 herstelcodes" in response.text
    assert client.get(reverse("cases:case_list")).status_code == 200

    client.post(reverse("logout"))
    password_login(client, user)
    response = client.post(reverse("security:mfa_verify"), {"code": codes[0]})
    assert response.status_code == 422
    assert "Deze code klopt niet" in response.text


def test_a_verified_user_makes_new_recovery_codes(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    device, old_codes = enrol(user)
    password_login(client, user)
    client.post(reverse("security:mfa_verify"), {"code": code_for(device)})
    overview = client.get(reverse("security:mfa_overview"))
    assert "Je hebt nog 10 herstelcodes" in overview.text
    response = client.post(reverse("security:recovery_codes_replace"), follow=True)
    new_codes = re.findall(r'<code class="utrecht-code">([a-z2-7-]{11})</code>', response.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert mfa.recovery_codes_left(user) == 10


def test_an_unverified_user_cannot_make_new_recovery_codes(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    _device, codes = enrol(user)
    password_login(client, user)
    response = client.post(reverse("security:recovery_codes_replace"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:mfa_verify"))
    # The old codes still work.
    assert client.post(reverse("security:mfa_verify"), {"code": codes[0]}).status_code == 302


def test_a_verified_user_links_a_new_phone_and_the_old_app_stops_working(client, enrol):
    user = ProfessionalFactory(user__username="p").user
    old, _codes = enrol(user)
    password_login(client, user)
    client.post(reverse("security:mfa_verify"), {"code": code_for(old)})
    page = client.get(reverse("security:mfa_enrol"))
    assert page.status_code == 200
    assert "Nieuwe authenticator-app koppelen" in page.text
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("security:mfa_enrol"), {"code": code_for(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert client.get(reverse("cases:my_cases")).status_code == 200


def test_the_admin_deleting_the_devices_sends_the_user_back_to_enrolment(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    device, _codes = enrol(user)
    password_login(client, user)
    client.post(reverse("security:mfa_verify"), {"code": code_for(device)})
    assert client.get(reverse("cases:case_list")).status_code == 200
    TOTPDevice.objects.filter(user=user).delete()
    user.staticdevice_set.all().delete()
    response = client.get(reverse("cases:case_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:mfa_enrol"))


def test_with_mfa_off_a_password_login_lands_on_the_home_page(client, settings):
    settings.MFA_REQUIRED = False
    user = UserFactory(username="c", coordinator=True)
    response = password_login(client, user)
    assert client.get(response.url, follow=True).redirect_chain[-1][0] == reverse("cases:case_list")


def test_the_totp_code_helper_matches_django_otp(enrol):
    device, _codes = enrol(UserFactory(username="c"))
    assert int(code_for(device)) == totp(device.bin_key)
