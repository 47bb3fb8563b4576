"""Choices of the access log: what was done, to what kind of record, with which result."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What the user did. Logins are not here: django-axes logs every login attempt."""

    READ = "read", _("Inzien")
    SEARCH = "search", _("Zoeken of lijst bekijken")
    CHANGE = "change", _("Wijzigen")
    EXPORT = "export", _("Exporteren")
    DOWNLOAD = "download", _("Downloaden")
    INZAGE = "inzage", _("Inzageverzoek (AVG art. 15)")


class ObjectType(models.TextChoices):
    CASE = "case", _("Zaak")
    CHILD = "child", _("Kind")
    HOUSEHOLD = "household", _("Huishouden")
    CASE_LIST = "case_list", _("Lijst van zaken")
    IMPORT_BATCH = "import_batch", _("Import van meldingen")
    EXPORT = "export", _("Export")
    ACCESS_LOG = "access_log", _("Toegangslog")
    ADMIN_RECORD = "admin_record", _("Record in het beheer")


class Result(models.TextChoices):
    SUCCESS = "success", _("Gelukt")
    # 403, or 404 on a record that exists but is not visible to the user, or not logged in.
    REFUSED = "refused", _("Geweigerd")
    # 404 on a record that does not exist.
    NOT_FOUND = "not_found", _("Niet gevonden")
    # Any other 4xx: a form with errors, a stale version. Nothing was changed.
    INVALID = "invalid", _("Ongeldige invoer")
    ERROR = "error", _("Fout")


# Stands in for every value that could identify a child: a BSN, a name, a birth date.
MASK = "***"
