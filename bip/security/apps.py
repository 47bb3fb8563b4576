from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Two-factor authentication (django-otp), lockout (django-axes), session limits, headers.

    An app without models: it exists for its admin overrides, its login signal and its
    reaction to a new account (the mail to set a password).
    """

    name = "bip.security"
    label = "security"
    verbose_name = _("Beveiliging")

    def ready(self) -> None:
        from professionals.signals import account_created

        from .reactions import on_account_created
        from .sessions import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="kk_security_stamp_login")
        account_created.connect(on_account_created, dispatch_uid="kk_security_account_created")
