"""Two-factor authentication with django-otp: a TOTP app and ten one-time recovery codes.

Services (writes) and the few reads the views need. Verification goes through the devices'
own `verify_token`, so django-otp's throttling (exponential back-off after a wrong code) and
its replay protection (a TOTP code works once) apply.

Recovery codes: django-otp stores static tokens as they are. Here a StaticToken holds a keyed
digest of the code instead (HMAC-SHA256 with SECRET_KEY, 64 bits), so a copy of the database
does not give away anyone's second factor. The codes themselves are shown to the user once.
Rotating SECRET_KEY invalidates them; users then ask for new ones (a verified session can).
"""

import datetime
import logging
import math
import re
import secrets
from base64 import b32encode
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RECOVERY_CODE_LENGTH = 10
TOTP_CODE = re.compile(r"\d{6}")
RECOVERY_CODE = re.compile(rf"[a-z2-7]{{{RECOVERY_CODE_LENGTH}}}")
_DIGEST_SALT = "ketenkameleon.security.recovery-code"
# An enrolment (QR code shown, first code not yet typed) must be confirmed within this time.
ENROLMENT_MINUTES = 30
ENROLMENT_LIFETIME = datetime.timedelta(minutes=ENROLMENT_MINUTES)
# The session key holding the id of the session's own unconfirmed TOTP device.
ENROLMENT_DEVICE = "kk_mfa_enrolment_device"


class MFAError(Exception):
    """A refused code, with a message the user can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def normalise_code(code: str) -> str:
    """Codes are typed with spaces or hyphens ("123 456", "abcde-fghij"); drop them."""
    return re.sub(r"[\s-]", "", code).lower()


def recovery_code_digest(code: str) -> str:
    """What a StaticToken stores for a recovery code (fits StaticToken.token, 16 chars)."""
    return salted_hmac(_DIGEST_SALT, normalise_code(code), algorithm="sha256").hexdigest()[:16]


def format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: User) -> bool:
    """Whether the user has a confirmed app or unused recovery codes: then they verify, else
    they enrol (a user without either could not pass the verification page)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def mfa_step(user: User) -> str:
    """The URL name of the MFA step a user who has not passed the second factor goes to."""
    return "security:mfa_verify" if has_second_factor(user) else "security:mfa_enrol"


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(device: TOTPDevice) -> str:
    """The base32 secret for typing into an app by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The device's otpauth:// URL as an inline SVG QR code (no image service, no network)."""
    import qrcode

    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(device.config_url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return format_html(
        '<svg class="kk-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="kk-qr-title"><title id="kk-qr-title">{}</title>'
        '<rect width="100%" height="100%" fill="#fff"/><path d="{}" fill="#000"/></svg>',
        size,
        size,
        title,
        path,
    )


def totp_enrolment_device(*, user: User, session: MutableMapping[str, Any]) -> TOTPDevice:
    """The unconfirmed TOTP device this session's enrolment page shows (created on first view).

    The device belongs to the session, not to the user: its id is kept in `session`, so a
    reload shows the same secret (a code from an app that already scanned it keeps working),
    while another session (someone else who knows the password) gets a secret of its own and
    never sees this one. A device older than ENROLMENT_LIFETIME is not shown again: expired
    devices of the user are deleted and a fresh one is made.
    """
    device_id = session.get(ENROLMENT_DEVICE)
    if device_id is not None:
        device = _unexpired_enrolment_devices(user).filter(pk=device_id).first()
        if device is not None:
            return device
    with transaction.atomic():
        _expired_enrolment_devices(user).delete()
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator-app"), confirmed=False)
    session[ENROLMENT_DEVICE] = device.pk
    return device


def totp_enrolment_forget(session: MutableMapping[str, Any]) -> None:
    """Drop the session's enrolment device id (after confirming, or at a reset)."""
    session.pop(ENROLMENT_DEVICE, None)


def _enrolment_cutoff() -> datetime.datetime:
    return timezone.now() - ENROLMENT_LIFETIME


def _unexpired_enrolment_devices(user: User) -> QuerySet[TOTPDevice]:
    return TOTPDevice.objects.filter(
        user=user, confirmed=False, created_at__gte=_enrolment_cutoff()
    )


def _expired_enrolment_devices(user: User) -> QuerySet[TOTPDevice]:
    # created_at is NULL only for devices made before django-otp recorded it: expired too.
    return TOTPDevice.objects.filter(user=user, confirmed=False).exclude(
        created_at__gte=_enrolment_cutoff()
    )


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them in plain text."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Herstelcodes"), confirmed=True)
    codes = [
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_digest(code)) for code in codes
    )
    return [format_recovery_code(code) for code in codes]


def _verify(device: Device, token: str) -> str | None:
    """Check a token on a device (locked by the caller); the refusal message, or None if valid."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        until = (details or {}).get("locked_until")
        seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1
        return ngettext(
            "Te veel onjuiste codes achter elkaar. Wacht %(seconds)s seconde en probeer het "
            "opnieuw.",
            "Te veel onjuiste codes achter elkaar. Wacht %(seconds)s seconden en probeer het "
            "opnieuw.",
            seconds,
        ) % {"seconds": seconds}
    if not device.verify_token(token):
        return _("Deze code klopt niet. Controleer de code en probeer het opnieuw.")
    return None


def totp_enrolment_confirm(
    *, user: User, device_id: int | None, code: str, replace: bool = False
) -> Enrolment:
    """Confirm this session's new TOTP device (`device_id`) with a code from the app.

    On success the device is confirmed, every other TOTP device of the user is deleted (the
    unconfirmed ones of other sessions, and with `replace` the previous app) and ten recovery
    codes are issued. With `replace` (a verified user linking a new phone) the previous app
    stops working; without it a user who already has an app is refused, so nobody adds an app
    without passing the second factor first.
    Raises MFAError when the code is wrong (or throttled), when the session has no device to
    confirm, or when the device is older than ENROLMENT_LIFETIME (it is deleted then, and the
    page shows a new secret). A wrong code still counts for the device's throttling: the
    failure is committed.
    """
    code = normalise_code(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False, pk=device_id)
            .first()
            if device_id is not None
            else None
        )
        has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        problem: str | None
        if device is None or (has_app and not replace):
            problem = _("Er is geen app om te bevestigen. Open de pagina opnieuw.")
        elif device.created_at is None or device.created_at < _enrolment_cutoff():
            device.delete()
            problem = ngettext(
                "Deze QR-code is verlopen: een koppeling moet binnen %(minutes)s minuut "
                "bevestigd zijn. Verwijder het account in je app en scan de nieuwe QR-code.",
                "Deze QR-code is verlopen: een koppeling moet binnen %(minutes)s minuten "
                "bevestigd zijn. Verwijder het account in je app en scan de nieuwe QR-code.",
                ENROLMENT_MINUTES,
            ) % {"minutes": ENROLMENT_MINUTES}
        else:
            problem = _verify(device, code)
            if problem is None:
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
    if problem is not None:
        logger.warning("MFA enrolment refused for user %s", user.pk)
        raise MFAError(problem)
    logger.info("MFA enrolled for user %s", user.pk)
    return Enrolment(device=device, recovery_codes=codes)


def mfa_verify(*, user: User, code: str) -> Device:
    """The device that accepts this code: a TOTP code (6 digits) or an unused recovery code.

    A recovery code is used up. Raises MFAError with a readable message otherwise; the failed
    attempt is committed so that django-otp's back-off applies to the next one.
    """
    code = normalise_code(code)
    with transaction.atomic():
        if TOTP_CODE.fullmatch(code):
            devices = TOTPDevice.objects.filter(user=user, confirmed=True)
            token = code
        else:
            devices = StaticDevice.objects.filter(user=user, confirmed=True)
            token = recovery_code_digest(code)
        device = devices.select_for_update().order_by("pk").first()
        problem: str | None
        if device is None:
            problem = _("Deze code klopt niet. Controleer de code en probeer het opnieuw.")
        else:
            problem = _verify(device, token)
    if problem is not None:
        logger.warning("MFA verification refused for user %s", user.pk)
        raise MFAError(problem)
    logger.info("MFA verified for user %s with %s", user.pk, type(device).__name__)
    return device


def recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
    logger.info("MFA recovery codes replaced for user %s", user.pk)
    return codes


@dataclass(frozen=True)
class MFAReset:
    devices_deleted: int
    sessions_ended: int


@dataclass(frozen=True)
class SecondFactorRemoved:
    apps: int
    recovery_code_sets: int
    sessions_ended: int


def second_factor_remove(user: User) -> SecondFactorRemoved:
    """Delete the user's authenticator apps and recovery codes and end all their sessions, so
    they log in with their password again and then link a new app.

    Plumbing of the MFA reset (professionals.accounts.mfa_reset, which checks who may reset,
    locks the user and writes the history): runs in the caller's transaction.
    """
    apps = TOTPDevice.objects.filter(user=user)
    code_sets = StaticDevice.objects.filter(user=user)
    had_apps, had_code_sets = apps.count(), code_sets.count()
    apps.delete()
    code_sets.delete()
    return SecondFactorRemoved(
        apps=had_apps, recovery_code_sets=had_code_sets, sessions_ended=_end_sessions(user)
    )


def _end_sessions(user: User) -> int:
    """Delete every stored session of the user; the number deleted.

    The database session store keeps no index by user, so the unexpired sessions are decoded
    one by one; sessions last at most SESSION_ABSOLUTE_TIMEOUT, which keeps that number small.
    """
    from django.contrib.sessions.models import Session

    user_id = str(user.pk)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
