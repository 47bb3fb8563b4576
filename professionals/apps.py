from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProfessionalsConfig(AppConfig):
    name = "professionals"
    verbose_name = _("Professionals en organisaties")

    def ready(self) -> None:
        from .groups import grant_group_permissions

        # Permissions exist only after migrate has run; grant them to the groups then.
        post_migrate.connect(grant_group_permissions, sender=self)
