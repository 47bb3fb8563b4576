from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProfessionalsConfig(AppConfig):
    name = "professionals"
    verbose_name = _("Professionals en organisaties")

    def ready(self) -> None:
        from .groups import grant_group_permissions

        # Permissions exist only after migrate has run; grant them to the groups then. No sender:
        # post_migrate fires per app in INSTALLED_APPS order, and the cases and evaluation
        # permissions are created only when their own apps' signals run, after this app's.
        post_migrate.connect(grant_group_permissions, dispatch_uid="kk_grant_group_permissions")
