from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffGroup(models.TextChoices):
    """The four user groups. The value is the Group name stored in the database."""

    COORDINATOR = "Coördinator", _("Coördinator")
    PROFESSIONAL = "Professional", _("Professional")
    RESEARCHER = "Onderzoeker", _("Onderzoeker")
    ADMINISTRATOR = "Functioneel beheerder", _("Functioneel beheerder")


DEFAULT_MAX_CASELOAD = 25
