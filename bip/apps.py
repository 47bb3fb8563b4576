from django.apps import AppConfig


class BipConfig(AppConfig):
    name = "bip"
    verbose_name = "Ketenkameleon"

    def ready(self) -> None:
        from django.contrib.admin import ModelAdmin

        from .lib.admin import lookup_safe_changelist

        # Set on the base class, not per admin: the admins of django-axes, django-otp and
        # auditlog are not ours to subclass, and their changelists crashed the same way.
        # mypy refuses any assignment to a method, and reads the stub's explicit `self` twice.
        ModelAdmin.get_changelist = lookup_safe_changelist  # type: ignore[method-assign,assignment]
