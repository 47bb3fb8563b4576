"""E-mail about the login: a password link, and the notice that the second factor was reset.

Dutch, plain text, and never a secret beyond the one-time password link itself. Sent on
commit or from a background task, never while a request waits for an SMTP server.
"""

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def password_reset_link(user: User) -> str:
    """The one-time link on which `user` sets a new password (valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def password_reset_recipients(email: str) -> list[User]:
    """The active accounts with this e-mail address (case-insensitive).

    Unlike Django's PasswordResetForm, accounts without a usable password are included: a new
    account gets an unusable password and its user sets one through this mail.
    """
    email = email.strip()
    if not email:
        return []
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
        if user.email.casefold() == email.casefold()
    ]


def _send(user: User, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        # A mail server that is down must not turn a committed change into an error page.
        logger.exception("Mail to user %s could not be sent", user.pk)


def send_password_reset_mails(email: str) -> int:
    """Send the password link to each active account with this address; how many were sent."""
    users = password_reset_recipients(email)
    for user in users:
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Ketenkameleon: nieuw wachtwoord instellen")
            body = _(
                "Beste %(name)s,\n\nJe hebt gevraagd om een nieuw wachtwoord voor Ketenkameleon "
                "(gebruikersnaam: %(username)s). Stel het in via deze link:\n\n%(link)s\n\n"
                "De link werkt één keer en is %(days)s dagen geldig. Na het instellen log je in "
                "met je nieuwe wachtwoord en daarna, zoals altijd, met de code uit je "
                "authenticator-app.\n\nHeb je hier niet om gevraagd? Dan hoef je niets te doen: "
                "je wachtwoord blijft zoals het was."
            ) % {
                "name": user.first_name or user.get_username(),
                "username": user.get_username(),
                "link": password_reset_link(user),
                "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            }
        _send(user, subject, body)
    return len(users)


def send_account_welcome_mail(user_id: int) -> bool:
    """Tell a new account's user to set their password (the link); False when not sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Ketenkameleon: je account staat klaar")
        body = _(
            "Beste %(name)s,\n\nEr is een account voor je aangemaakt in Ketenkameleon "
            "(gebruikersnaam: %(username)s). Stel eerst je wachtwoord in via deze link:\n\n"
            "%(link)s\n\nDe link werkt één keer en is %(days)s dagen geldig. Is hij verlopen? "
            "Kies dan op de inlogpagina voor 'Wachtwoord vergeten?'. Bij je eerste inlog koppel "
            "je ook een authenticator-app op je telefoon."
        ) % {
            "name": user.first_name or user.get_username(),
            "username": user.get_username(),
            "link": password_reset_link(user),
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        }
    _send(user, subject, body)
    return True


def send_mfa_reset_mail(user_id: int) -> bool:
    """Tell the user their second factor was reset (no reason, no secret); False when not sent."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Ketenkameleon: je tweestapsverificatie is opnieuw ingesteld")
        body = _(
            "Beste %(name)s,\n\nDe functioneel beheerder heeft de tweestapsverificatie van je "
            "Ketenkameleon-account (gebruikersnaam: %(username)s) opnieuw ingesteld. Je oude "
            "authenticator-app en herstelcodes werken niet meer en je bent overal uitgelogd.\n\n"
            "Log opnieuw in met je wachtwoord en koppel daarna een authenticator-app: "
            "%(link)s\n\nHeb je hier niet om gevraagd? Neem dan direct contact op met de "
            "functioneel beheerder."
        ) % {
            "name": user.first_name or user.get_username(),
            "username": user.get_username(),
            "link": settings.SITE_URL.rstrip("/") + reverse("login"),
        }
    _send(user, subject, body)
    return True
