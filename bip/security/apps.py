from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Two-factor authentication (django-otp), lockout (django-axes), session limits, headers.

    An app without models: it exists for its admin overrides and its login signal. Its
    reaction to a new account (the mail to set a password, bip/security/reactions.py) is
    connected by professionals/apps.py: bip is plumbing and imports no app.
    """

    name = "bip.security"
    label = "security"
    verbose_name = _("Beveiliging")

    def ready(self) -> None:
        from .sessions import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="kk_security_stamp_login")
