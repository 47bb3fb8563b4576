"""Two-factor authentication in Chromium: enrolment at the first login, verification later.

The code an authenticator app would show is computed from the secret on the enrolment page
(the same RFC 6238 computation as the app), so the journey needs no phone.
"""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.mfa,
    pytest.mark.django_db(transaction=True),
]


STEP = 30  # seconds per code, as in the app and django-otp


def current_step() -> int:
    return int(time.time()) // STEP


def app_code(secret: str, *, step: int | None = None) -> str:
    """The code the app shows at `step` (by default the current 30-second step)."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")), step=STEP)
    totp.time = (current_step() if step is None else step) * STEP
    return f"{totp.token():06d}"


def wait_for_a_fresh_step(margin: float = 5.0) -> None:
    """Sleep past the next step boundary when fewer than `margin` seconds are left.

    A code typed just before the boundary and checked just after it is accepted one step
    late; django-otp then records a drift of -1 for the device, and the journey's later
    code would fall outside the window it allows.
    """
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.1)


def test_enrol_at_first_login_then_verify_at_the_next(
    page, live_server, login, assert_accessible, csp_errors, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off wait after the deliberate wrong code
    UserFactory(username="coordinator", coordinator=True)

    # First login: password, then the enrolment page.
    login("coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweestapsverificatie instellen")
    expect(
        page.get_by_role("img", name="QR-code om de authenticator-app te koppelen")
    ).to_be_visible()
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)
    assert_accessible(page)
    secret = page.locator("#mfa-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", secret)

    # A wrong code: an error on the field, the page stays usable.
    wrong = "000000" if app_code(secret) != "000000" else "111111"
    page.get_by_label("Code uit de app").fill(wrong)
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("alert")).to_contain_text("Deze code klopt niet")
    assert_accessible(page)

    wait_for_a_fresh_step()
    enrolled_at = current_step()
    page.get_by_label("Code uit de app").fill(app_code(secret, step=enrolled_at))
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je herstelcodes")
    codes = page.get_by_role("list", name="Herstelcodes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="Ik heb de codes bewaard, ga verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaken")

    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")

    # Next login: password, then a code from the app (the next one: a code works once).
    login("coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code invullen")
    assert_accessible(page)
    # A code of a later step than the enrolment's: the current one, or the next if the
    # clock has not moved on yet (django-otp allows one step either side).
    page.get_by_label("Code", exact=True).fill(
        app_code(secret, step=max(current_step(), enrolled_at + 1))
    )
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaken")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()

    page.get_by_role("link", name="Tweestapsverificatie").click()
    expect(page.get_by_text("Je hebt nog 10 herstelcodes.")).to_be_visible()
    assert_accessible(page)
    # The only console error is the wrong code's 422; no CSP or Permissions-Policy complaints.
    assert [e for e in csp_errors if "422" not in e] == [], csp_errors
