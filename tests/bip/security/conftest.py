import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bip.security import mfa


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for this device now (or `steps_ahead` steps on).

    A TOTP code is accepted once; a second login in the same 30 seconds uses the next step
    (the device accepts one step of clock drift).
    """
    value = totp(device.bin_key, device.step, device.t0, device.digits, steps_ahead)
    return f"{value:0{device.digits}d}"


@pytest.fixture
def enrol():
    """enrol(user) -> (confirmed TOTP device, the ten recovery codes in plain text)."""

    def make(user):
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        return device, mfa.recovery_codes_replace(user=user)

    return make
