from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProfessionalsConfig(AppConfig):
    name = "professionals"
    verbose_name = _("Professionals en organisaties")

    def ready(self) -> None:
        from bip.security.reactions import on_account_created

        from .groups import grant_group_permissions
        from .signals import account_created

        # Permissions exist only after migrate has run; grant them to the groups then. No sender:
        # post_migrate fires per app in INSTALLED_APPS order, and the cases and evaluation
        # permissions are created only when their own apps' signals run, after this app's.
        post_migrate.connect(grant_group_permissions, dispatch_uid="kk_grant_group_permissions")
        # A new account's user gets the mail to set a password (login security, plumbing in
        # bip/security that imports no app, so the connection is made here).
        account_created.connect(on_account_created, dispatch_uid="kk_security_account_created")
