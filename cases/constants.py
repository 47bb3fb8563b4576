"""Choices and the allowed-transition map for cases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from roles.constants import ChainRole

# A case's stage is the chain role whose step it is in.
Stage = ChainRole

DEADLINE_MONTHS = 3
DEADLINE_WARNING_DAYS = 14
# Compulsory education from 5; qualification duty to 18. A referral is for a child of 5-17.
MIN_SCHOOL_AGE = 5
MAX_SCHOOL_AGE = 17


class Arm(models.TextChoices):
    """The study arm a case is allocated to. Cases owns it (`Case.arm`); evaluation decides
    the allocation and re-exports this class from evaluation.constants."""

    BIP = "bip", _("BIP-arm")
    CONTROL = "controle", _("Controlearm")


class CaseOrdering(models.TextChoices):
    """How a case list is sorted. The URL's `sort` values stay Dutch (users see and bookmark
    them); cases/forms.py maps them to these members at the form boundary."""

    NEWEST_FIRST = "newest_first", _("Nieuwste melding eerst")
    OLDEST_FIRST = "oldest_first", _("Oudste melding eerst")
    DEADLINE_FIRST = "deadline_first", _("Termijn, eerst verlopend")
    DEADLINE_LAST = "deadline_last", _("Termijn, laatst verlopend")
    NUMBER_ASCENDING = "number_ascending", _("Zaaknummer oplopend")
    NUMBER_DESCENDING = "number_descending", _("Zaaknummer aflopend")


class DeadlineWindow(models.TextChoices):
    """The deadline filter of the case lists; the URL values stay Dutch, as with CaseOrdering."""

    OVERDUE = "overdue", _("Termijn verlopen")
    DUE_SOON = "due_soon", _("Binnen 14 dagen")


class SchoolLevel(models.TextChoices):
    PO = "po", _("Primair onderwijs (po)")
    VO = "vo", _("Voortgezet onderwijs (vo)")
    SO = "so", _("(Voortgezet) speciaal onderwijs (so)")
    MBO = "mbo", _("Middelbaar beroepsonderwijs (mbo)")


class MeldingType(models.TextChoices):
    """The DUO verzuimmelding types."""

    ZESTIEN_UUR = "16_uur", _("16 uur in 4 weken")
    LRV = "lrv", _("Langdurig relatief verzuim (LRV)")
    LUXE = "luxe", _("Luxe verzuim")
    OVERIG = "overig", _("Overig verzuim")
    ABSOLUUT = "absoluut", _("Absoluut verzuim")


class CaseSource(models.TextChoices):
    DUO = "duo", _("DUO-verzuimregister")
    SCHOOL = "school", _("School, rechtstreeks")
    KETENPARTNER = "ketenpartner", _("Ketenpartner")
    OVERIG = "overig", _("Overig")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Gesloten")


class GuardianRelation(models.TextChoices):
    MOTHER = "moeder", _("Moeder")
    FATHER = "vader", _("Vader")
    CARER = "verzorger", _("Verzorger")
    GUARDIAN = "voogd", _("Voogd")
    OTHER = "overig", _("Overig")


class GuardianLanguage(models.TextChoices):
    """The language a guardian prefers for letters and conversations."""

    DUTCH = "nl", _("Nederlands")
    ENGLISH = "en", _("Engels")
    ARABIC = "ar", _("Arabisch")
    TURKISH = "tr", _("Turks")
    POLISH = "pl", _("Pools")
    OTHER = "overig", _("Andere taal (tolk nodig)")


class AssignmentReason(models.TextChoices):
    INTAKE = "intake", _("Eerste toewijzing")
    STAGE_HANDOVER = "ketenstap", _("Overdracht bij ketenstap")
    WORKLOAD = "werkdruk", _("Verdeling werkdruk")
    ABSENCE = "afwezigheid", _("Afwezigheid professional")
    CONTINUITY = "continuiteit", _("Continuïteit huishouden")
    OTHER = "overig", _("Overig")


class OutcomeCategory(models.TextChoices):
    """How a case ended. The first four count as suitable education or care."""

    BACK_TO_SCHOOL = "terug_op_school", _("Terug op school, verzuim gestopt")
    OTHER_SCHOOL = "andere_school", _("Passende plek op een andere school")
    CARE = "passende_zorg", _("Passende zorg of hulp gestart")
    EXEMPTION = "vrijstelling", _("Vrijstelling of passend traject (dagbesteding, werk)")
    NOT_SUITABLE = "geen_passend_aanbod", _("Geen passend onderwijs of zorg bereikt")
    MOVED = "verhuisd", _("Verhuisd buiten de regio")
    CRIMINAL = "strafrechtelijk", _("Strafrechtelijk afgedaan zonder passend aanbod")


SUITABLE_OUTCOMES = frozenset(
    {
        OutcomeCategory.BACK_TO_SCHOOL,
        OutcomeCategory.OTHER_SCHOOL,
        OutcomeCategory.CARE,
        OutcomeCategory.EXEMPTION,
    }
)


class PlanOwner(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    PARENTS = "ouders", _("Ouder(s)")
    CHILD = "kind", _("Kind")
    SCHOOL = "school", _("School")
    OTHER = "overig", _("Anders")


class PlanChangeKind(models.TextChoices):
    GOAL_ADDED = "doel_toegevoegd", _("Doel toegevoegd")
    GOAL_CHANGED = "doel_gewijzigd", _("Doel gewijzigd")
    ACTION_ADDED = "actie_toegevoegd", _("Actie toegevoegd")
    ACTION_CHANGED = "actie_gewijzigd", _("Actie gewijzigd")
    ACTION_DONE = "actie_afgerond", _("Actie afgerond")
    ACTION_REOPENED = "actie_heropend", _("Actie heropend")


class HaltResult(models.TextChoices):
    """How a Halt referral ended (Halt approach to school absence)."""

    POSITIVE = "positief", _("Positief afgerond")
    NEGATIVE = "negatief", _("Negatief afgerond")
    CONSENT_WITHDRAWN = "toestemming_ingetrokken", _("Toestemming ingetrokken of geweigerd")


class DocumentKind(models.TextChoices):
    """What a document on a case is (cases.Document)."""

    SCHOOLVERZUIMOVERZICHT = "schoolverzuimoverzicht", _("Schoolverzuimoverzicht")
    DUO_MELDING = "duo_melding", _("DUO-melding")
    SIGNED_PV = "ondertekend_pv", _("Ondertekend proces-verbaal")
    REPORT = "rapport", _("Rapport")
    LETTER = "brief", _("Brief")
    OTHER = "overig", _("Overig")


class LetterKind(models.TextChoices):
    """The letters generated from a case as PDF (cases.letters)."""

    INVITATION = "uitnodiging", _("Uitnodiging verzuimgesprek")
    WARNING = "waarschuwing", _("Waarschuwingsbrief")
    HALT_REFERRAL = "verwijzing_halt", _("Verwijzing naar Halt")
    RVDK_REQUEST = "verzoek_raad", _("Verzoek tot onderzoek aan de Raad")
    DRAFT_PV = "concept_pv", _("Concept proces-verbaal")


# Halt eligibility for school absence.
HALT_MIN_AGE = 12
HALT_MAX_AGE = 17
HALT_HOURS = (9, 60)
HALT_TIMES_LATE = (12, 60)
# Below this age the parents' consent is needed too.
HALT_PARENT_CONSENT_BELOW_AGE = 16

# The chain's legal routes between stages (MAS 2017). Closing and reopening change the status,
# not the stage, and are checked separately: a case closes from any stage with an outcome.
STAGE_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.LEERPLICHT: frozenset({Stage.HALT, Stage.RVDK}),
    Stage.HALT: frozenset({Stage.LEERPLICHT}),
    Stage.RVDK: frozenset(),
}


class ImportStatus(models.TextChoices):
    """An import batch: checking -> preview -> confirming -> imported, or cancelled; once.

    Checking and confirming run as background tasks (cases.tasks). A check that crashes ends
    in failed; a confirmation that fails goes back to preview (nothing was imported: it is one
    transaction), so it can be confirmed again.
    """

    CHECKING = "checking", _("Wordt gecontroleerd")
    PREVIEW = "preview", _("Voorvertoning")
    CONFIRMING = "confirming", _("Wordt geïmporteerd")
    IMPORTED = "imported", _("Geïmporteerd")
    CANCELLED = "cancelled", _("Geannuleerd")
    FAILED = "failed", _("Mislukt")


# The states in which a batch is not finished: no finished_at yet.
IMPORT_OPEN_STATUSES = (ImportStatus.CHECKING, ImportStatus.PREVIEW, ImportStatus.CONFIRMING)


class ImportRowStatus(models.TextChoices):
    VALID = "valid", _("Klaar voor import")
    ERROR = "error", _("Fout")
    IMPORTED = "imported", _("Geïmporteerd")
    SKIPPED = "skipped", _("Overgeslagen")
