"""bip/security/mfa.py: enrolment, verification, recovery codes."""

import base64
import datetime

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from bip.security import mfa
from tests.bip.security.conftest import code_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(username="bip1")


def enrolment_device(user, session=None):
    """A new enrolment device of its own session (a dict stands in for the session)."""
    return mfa.totp_enrolment_device(user=user, session={} if session is None else session)


def confirm(user, device, code, **kwargs):
    return mfa.totp_enrolment_confirm(user=user, device_id=device.pk, code=code, **kwargs)


def test_the_enrolment_device_is_reused_within_its_session_until_confirmed(user):
    session = {}
    first = mfa.totp_enrolment_device(user=user, session=session)
    assert session[mfa.ENROLMENT_DEVICE] == first.pk
    assert mfa.totp_enrolment_device(user=user, session=session) == first
    assert not first.confirmed
    assert not mfa.has_second_factor(user)


def test_another_session_gets_a_fresh_secret_and_never_the_unconfirmed_one(user):
    """Someone who knows the password before the first login must not learn the secret the
    real user will be shown (the device was tied to the user, not the session)."""
    intruder = mfa.totp_enrolment_device(user=user, session={})
    real = mfa.totp_enrolment_device(user=user, session={})
    assert real != intruder
    assert real.bin_key != intruder.bin_key
    # The intruder's code does not confirm the real user's device, nor does a missing id.
    with pytest.raises(mfa.MFAError):
        confirm(user, real, code_for(intruder))
    with pytest.raises(mfa.MFAError, match="geen app om te bevestigen"):
        mfa.totp_enrolment_confirm(user=user, device_id=None, code=code_for(real))


def test_confirming_deletes_the_other_sessions_unconfirmed_devices(user):
    other = enrolment_device(user)
    mine = enrolment_device(user)
    confirm(user, mine, code_for(mine))
    assert list(TOTPDevice.objects.filter(user=user)) == [mine]
    assert not TOTPDevice.objects.filter(pk=other.pk).exists()


def test_an_unconfirmed_device_expires_after_thirty_minutes(user):
    start = timezone.now()
    session = {}
    with time_machine.travel(start, tick=False):
        old = mfa.totp_enrolment_device(user=user, session=session)
        other_session = enrolment_device(user)
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        with pytest.raises(mfa.MFAError, match="verlopen"):
            confirm(user, old, code_for(old))
        assert not TOTPDevice.objects.filter(pk=old.pk).exists()
        # The page then shows a new secret; the other session's expired device is gone too.
        new = mfa.totp_enrolment_device(user=user, session=session)
    assert new.pk != old.pk and new.bin_key != old.bin_key
    assert session[mfa.ENROLMENT_DEVICE] == new.pk
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert not TOTPDevice.objects.filter(pk=other_session.pk).exists()


def test_an_enrolment_device_within_thirty_minutes_still_confirms(user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        device = enrolment_device(user)
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert confirm(user, device, code_for(device)).device == device


def test_confirming_with_the_app_code_confirms_the_device_and_issues_ten_codes(user):
    device = enrolment_device(user)
    enrolment = confirm(user, device, code_for(device))
    device.refresh_from_db()
    assert device.confirmed
    assert enrolment.device == device
    assert len(enrolment.recovery_codes) == 10
    assert len(set(enrolment.recovery_codes)) == 10
    assert all(mfa.RECOVERY_CODE.fullmatch(mfa.normalise_code(c)) for c in enrolment.recovery_codes)
    assert mfa.recovery_codes_left(user) == 10
    assert mfa.has_second_factor(user)


def test_recovery_codes_are_stored_as_digests_not_as_typed(user):
    codes = mfa.recovery_codes_replace(user=user)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    plain = {mfa.normalise_code(code) for code in codes}
    assert not stored & plain
    assert stored == {mfa.recovery_code_digest(code) for code in codes}


def test_a_wrong_enrolment_code_is_refused_and_leaves_the_device_unconfirmed(user):
    device = enrolment_device(user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(mfa.MFAError, match="klopt niet"):
        confirm(user, device, wrong)
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # committed despite the refusal
    assert not StaticToken.objects.filter(device__user=user).exists()


def test_a_user_with_an_app_cannot_add_one_without_replace(user, enrol):
    old, _codes = enrol(user)
    new = enrolment_device(user)
    with pytest.raises(mfa.MFAError):
        confirm(user, new, code_for(new))
    assert TOTPDevice.objects.get(pk=old.pk).confirmed
    confirm(user, new, code_for(new), replace=True)
    assert list(TOTPDevice.objects.filter(user=user)) == [new]


def test_verify_accepts_the_app_code_once(user, enrol):
    device, _codes = enrol(user)
    code = code_for(device)
    assert mfa.mfa_verify(user=user, code=code) == device
    with pytest.raises(mfa.MFAError):
        mfa.mfa_verify(user=user, code=code)  # replay of the same code


def test_a_recovery_code_works_once_whatever_the_spacing(user, enrol):
    _device, codes = enrol(user)
    typed = codes[3].upper().replace("-", " ")
    verified = mfa.mfa_verify(user=user, code=typed)
    assert verified.persistent_id.startswith("otp_static")
    assert mfa.recovery_codes_left(user) == 9
    with pytest.raises(mfa.MFAError, match="klopt niet"):
        mfa.mfa_verify(user=user, code=codes[3])


def test_another_users_code_does_not_work(user, enrol):
    other = UserFactory(username="bip2")
    other_device, other_codes = enrol(other)
    enrol(user)
    with pytest.raises(mfa.MFAError):
        mfa.mfa_verify(user=user, code=other_codes[0])
    with pytest.raises(mfa.MFAError):
        mfa.mfa_verify(user=user, code=code_for(other_device))
    assert mfa.recovery_codes_left(other) == 10


def test_after_a_wrong_code_the_next_attempt_must_wait(user, enrol):
    device, _codes = enrol(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with pytest.raises(mfa.MFAError):
            mfa.mfa_verify(user=user, code="000000" if code_for(device) != "000000" else "111111")
        with pytest.raises(mfa.MFAError, match="Wacht 1 seconde en"):
            mfa.mfa_verify(user=user, code=code_for(device))
    with time_machine.travel(start + datetime.timedelta(seconds=2), tick=False):
        assert mfa.mfa_verify(user=user, code=code_for(device)) == device


def test_new_recovery_codes_replace_the_old_ones(user, enrol):
    _device, old_codes = enrol(user)
    new_codes = mfa.recovery_codes_replace(user=user)
    assert not set(old_codes) & set(new_codes)
    start = timezone.now()
    with time_machine.travel(start, tick=False), pytest.raises(mfa.MFAError):
        mfa.mfa_verify(user=user, code=old_codes[0])
    with time_machine.travel(start + datetime.timedelta(seconds=2), tick=False):
        assert mfa.mfa_verify(user=user, code=new_codes[0])


def test_a_user_whose_codes_are_used_up_and_without_app_must_enrol(user):
    codes = mfa.recovery_codes_replace(user=user)
    assert mfa.has_second_factor(user)
    for code in codes:
        mfa.mfa_verify(user=user, code=code)
    assert not mfa.has_second_factor(user)


def test_the_qr_code_is_an_inline_svg_with_a_title(user):
    device = enrolment_device(user)
    svg = str(mfa.totp_qr_svg(device, title="QR <code>"))
    assert svg.startswith('<svg class="kk-qr"')
    assert 'role="img"' in svg
    assert '<title id="kk-qr-title">QR &lt;code&gt;</title>' in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_the_secret_is_the_device_key_in_base32_groups(user):
    device = enrolment_device(user)
    secret = mfa.totp_secret(device)
    assert all(len(group) == 4 for group in secret.split(" "))
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
