from django.db import models
from django.utils.translation import gettext_lazy as _

# Re-exported: cases owns Arm (Case.arm, the earlier app); older imports keep working.
from cases.constants import Arm as Arm


class AllocationMethod(models.TextChoices):
    BLOCK_RANDOM = "blokrandomisatie", _("Blokrandomisatie (gestratificeerd)")
    MANUAL = "handmatig", _("Handmatig, met reden")
    CORRECTION = "correctie", _("Correctie van een eerdere toewijzing")


class RespondentType(models.TextChoices):
    CHILD = "kind", _("Kind")
    PARENT = "ouder", _("Ouder")
    STAFF = "medewerker", _("Medewerker")


CLIENT_RESPONDENTS = frozenset({RespondentType.CHILD, RespondentType.PARENT})


class SurveyItem(models.TextChoices):
    """Statements scored on a 5-point scale (1 = helemaal oneens ... 5 = helemaal eens)."""

    # Clients (child and parent)
    STORY_ONCE = "verhaal_een_keer", _("Ik hoefde mijn verhaal maar één keer te vertellen")
    KNEW_CONTACT = "wist_contactpersoon", _("Ik wist wie mijn contactpersoon was")
    RESPECT = "respect", _("Ik werd met respect behandeld")
    HELP_FITTED = "hulp_paste", _("De hulp paste bij mijn situatie")
    ROLE_CLEAR = "rol_duidelijk", _("Het was duidelijk in welke rol de professional met mij sprak")
    LISTENED = "gehoord", _("Er werd naar mij geluisterd")
    # Staff
    WORKLOAD = "werkdruk", _("Mijn werkdruk is goed te doen")
    JOB_SATISFACTION = "werkplezier", _("Ik heb plezier in mijn werk")
    LEARNING = "leren", _("Ik leer genoeg in mijn werk")
    ROLE_CLARITY = "rolhelderheid", _("Het is mij duidelijk in welke rol ik werk")


CLIENT_ITEMS = (
    SurveyItem.STORY_ONCE,
    SurveyItem.KNEW_CONTACT,
    SurveyItem.RESPECT,
    SurveyItem.HELP_FITTED,
    SurveyItem.ROLE_CLEAR,
    SurveyItem.LISTENED,
)
STAFF_ITEMS = (
    SurveyItem.WORKLOAD,
    SurveyItem.JOB_SATISFACTION,
    SurveyItem.LEARNING,
    SurveyItem.ROLE_CLARITY,
)


class ExportDataset(models.TextChoices):
    CASES = "zaken", _("Zaken")
    CONTACTS = "contacten", _("Contacten")
    SURVEYS = "enquetes", _("Enquêteantwoorden")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (UTF-8)")
    XLSX = "xlsx", _("Excel (XLSX)")
    SAV = "sav", _("SPSS (.sav)")


class ExportStatus(models.TextChoices):
    QUEUED = "wachtrij", _("In de wachtrij")
    RUNNING = "bezig", _("Bezig")
    DONE = "klaar", _("Klaar")
    FAILED = "mislukt", _("Mislukt")
    EXPIRED = "verlopen", _("Verlopen en verwijderd")


class ExportEventKind(models.TextChoices):
    REQUESTED = "aangevraagd", _("Aangevraagd")
    COMPLETED = "gereed", _("Gereed")
    DOWNLOADED = "gedownload", _("Gedownload")
    DELETED = "verwijderd", _("Verwijderd")


# The first allocation of a case: the arm it keeps for the intention-to-treat analysis.
INITIAL_ALLOCATION_METHODS = (AllocationMethod.BLOCK_RANDOM, AllocationMethod.MANUAL)
