from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Toegangslog")

    def ready(self) -> None:
        # The functional administrator reads the log in the admin too. Granted here, after
        # this app's permissions exist, so professionals.groups needs no knowledge of it.
        post_migrate.connect(grant_view_permission, sender=self, dispatch_uid="kk_audit_view")
        # Account events of earlier apps, logged in the sender's transaction (audit/reactions.py).
        from bip.security.signals import mfa_reset_done
        from professionals.signals import role_changed

        from .reactions import on_mfa_reset, on_role_changed

        mfa_reset_done.connect(on_mfa_reset, dispatch_uid="kk_audit_mfa_reset")
        role_changed.connect(on_role_changed, dispatch_uid="kk_audit_role_changed")


def grant_view_permission(**kwargs: Any) -> None:
    from django.contrib.auth.models import Group, Permission

    from professionals.constants import StaffGroup

    group, _created = Group.objects.get_or_create(name=StaffGroup.ADMINISTRATOR)
    permission = Permission.objects.filter(
        content_type__app_label="audit", codename="view_accesslogentry"
    ).first()
    if permission is not None:
        group.permissions.add(permission)
