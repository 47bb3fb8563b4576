from django.apps import AppConfig


class BipConfig(AppConfig):
    name = "bip"
    verbose_name = "Ketenkameleon"

    def ready(self) -> None:
        from django.contrib.admin import ModelAdmin
        from django.db.models import fields
        from django.utils.translation import gettext_lazy as _

        from .admin_site import name_apps_in_dutch
        from .formats import install_month_abbreviations
        from .lib.admin import lookup_safe_changelist

        # Set on the base class, not per admin: the admins of django-axes, django-otp and
        # auditlog are not ours to subclass, and their changelists crashed the same way.
        # mypy refuses any assignment to a method, and reads the stub's explicit `self` twice.
        ModelAdmin.get_changelist = lookup_safe_changelist  # type: ignore[method-assign,assignment]

        # Django 6.1's empty choice of a select box, "- Select an option -", has no Dutch
        # translation in Django; Django reads this module attribute when it builds choices.
        fields.BLANK_CHOICE_LABEL = _("- Kies een optie -")
        install_month_abbreviations()
        name_apps_in_dutch()
