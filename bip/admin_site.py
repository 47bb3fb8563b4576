"""The admin in Dutch: the beheerder's names for the apps and models of installed packages.

Django's own apps and ours have Dutch names already. The packages (django-axes, django-otp,
django-auditlog, django-tasks-db) name theirs in English without a Dutch catalogue, and those
names reach every admin page: the index, the breadcrumbs, the page titles ("Selecteer access
attempt om te wijzigen"), the add button and the messages.

So the names are set on the apps' configs and the models' options when the app registry is
ready (bip/apps.py). That asks for no migration inside the packages: a migration records a
model's options as declared in its Meta (Options.original_attrs), which stays as it was.
django-axes also names each record in English ("Access Log for … @ …"), which the admin puts
in the title, breadcrumbs and confirmations of a record's pages; those records get a Dutch
__str__ the same way (a method, no migration state either). tests/bip/test_administrator_home.py
checks both (every admin page title, and makemigrations finding nothing).
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

APP_NAMES: dict[str, Promise] = {
    "axes": _("Inlogpogingen en blokkades"),
    "otp_totp": _("Tweestapsverificatie: authenticator-apps"),
    "otp_static": _("Tweestapsverificatie: herstelcodes"),
    "auditlog": _("Wijzigingslog"),
    "django_tasks_database": _("Achtergrondtaken"),
}

# (app label, model name) -> (singular, plural), lower case as Django's own names: the admin
# capitalises them where a sentence starts.
MODEL_NAMES: dict[tuple[str, str], tuple[Promise, Promise]] = {
    ("axes", "accessattempt"): (
        _("blokkade na mislukte inlogpogingen"),
        _("blokkades na mislukte inlogpogingen"),
    ),
    ("axes", "accessfailurelog"): (_("mislukte inlogpoging"), _("mislukte inlogpogingen")),
    ("axes", "accesslog"): (_("inlogsessie"), _("inlogsessies")),
    ("otp_totp", "totpdevice"): (_("authenticator-app"), _("authenticator-apps")),
    ("otp_static", "staticdevice"): (_("set herstelcodes"), _("sets herstelcodes")),
    ("auditlog", "logentry"): (_("wijziging"), _("wijzigingen")),
    ("django_tasks_database", "dbtaskresult"): (
        _("resultaat van een achtergrondtaak"),
        _("resultaten van achtergrondtaken"),
    ),
}


def _moment(value: datetime.datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def _access_attempt(record: Any) -> str:
    return gettext("Blokkadeteller van %(username)s, laatste poging %(moment)s") % {
        "username": record.username,
        "moment": _moment(record.attempt_time),
    }


def _access_failure(record: Any) -> str:
    label = gettext("Mislukte inlogpoging van %(username)s op %(moment)s vanaf %(ip)s") % {
        "username": record.username,
        "moment": _moment(record.attempt_time),
        "ip": record.ip_address,
    }
    return label + (" " + gettext("(geblokkeerd)") if record.locked_out else "")


def _access_log(record: Any) -> str:
    return gettext("Inlogsessie van %(username)s op %(moment)s") % {
        "username": record.username,
        "moment": _moment(record.attempt_time),
    }


# (app label, model name) -> how the admin names one record, where the package says it in English.
RECORD_NAMES: dict[tuple[str, str], Callable[[Any], str]] = {
    ("axes", "accessattempt"): _access_attempt,
    ("axes", "accessfailurelog"): _access_failure,
    ("axes", "accesslog"): _access_log,
}


def name_apps_in_dutch() -> None:
    """Give the packages' apps and models their Dutch names (called from bip/apps.py)."""
    for label, name in APP_NAMES.items():
        config = apps.app_configs.get(label)
        if config is not None:
            config.verbose_name = name  # type: ignore[assignment]
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        if label not in apps.app_configs:
            continue
        options = apps.get_model(label, model_name)._meta
        # Not original_attrs: that is what a migration records, and it stays the package's.
        options.verbose_name = singular
        options.verbose_name_plural = plural
    for (label, model_name), record_name in RECORD_NAMES.items():
        if label in apps.app_configs:
            setattr(apps.get_model(label, model_name), "__str__", record_name)  # noqa: B010


class KetenAdminSite(AdminSite):
    """The default admin site, with Ketenkameleon's titles."""

    site_header = _("Ketenkameleon – beheer")
    site_title = _("Ketenkameleon")
    index_title = _("Beheer")


class KetenAdminConfig(AdminConfig):
    """django.contrib.admin with KetenAdminSite as `admin.site` (INSTALLED_APPS)."""

    default_site = "bip.admin_site.KetenAdminSite"
