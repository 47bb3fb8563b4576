"""The three research datasets: their variables, and their rows streamed in chunks.

A dataset is a list of `Variable`s and a generator of row chunks (lists of tuples in variable
order). Rows are read with `values_list(...).iterator(chunk_size=...)`, so memory holds one
chunk, whatever the number of cases.

What a row holds (and never holds):
- pseudonyms instead of ids (see `pseudonyms`);
- the referral as year and month, other moments as whole days since the referral, the age in
  years at the referral;
- codes of choices (the codebook gives their labels), counts and days;
- never a name, BSN, onderwijsnummer, address, postcode, phone number, e-mail address, free
  text (summaries, reasons, survey comments) or an exact date.

Value conventions in a row: a category is its code (e.g. "bip"), a yes/no variable is True or
False, a number is an int, and a missing value is None.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.constants import CaseSource, CaseStatus, MeldingType, OutcomeCategory, SchoolLevel
from cases.models import Case, Contact, age_on
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

from ..arms import allocated_arm, allocation_method, has_deviation, was_corrected
from ..constants import (
    CLIENT_ITEMS,
    CLIENT_RESPONDENTS,
    INITIAL_ALLOCATION_METHODS,
    ExportDataset,
    RespondentType,
    SurveyItem,
)
from ..constants import Arm as ArmChoice
from ..definitions import DEFINITIONS, MeasurementStatus
from ..models import SurveyAnswer, SurveyResponse
from ..report import response_arm
from . import pseudonyms
from .pseudonyms import Pseudonymiser

DEFAULT_CHUNK_SIZE = 5000

TEXT = "text"
INTEGER = "integer"
CATEGORY = "category"
BOOLEAN = "boolean"

NOT_MEASURED = "niet_gemeten"
# In this order so the SPSS codes of earlier exports stay the same (verhuisd came later).
MEASUREMENT_STATUS_CHOICES = (
    (MeasurementStatus.MEASURED, MeasurementStatus.MEASURED.label),
    (MeasurementStatus.CENSORED, MeasurementStatus.CENSORED.label),
    (NOT_MEASURED, _("Nog niet gemeten")),
    (MeasurementStatus.MOVED, MeasurementStatus.MOVED.label),
)
# The 5-point scale of the survey statements; the score itself is the code.
SCORE_CHOICES = (
    (1, _("Helemaal oneens")),
    (2, _("Oneens")),
    (3, _("Niet eens, niet oneens")),
    (4, _("Eens")),
    (5, _("Helemaal eens")),
)

Row = tuple
Chunk = list[Row]


@dataclass(frozen=True)
class Variable:
    """One column of a dataset, as the codebook describes it.

    `choices` are (code, label) pairs of a category. SPSS gets the numbers 1, 2, ... in this
    order (for the chain stages that is the chain's order); a category whose codes are numbers
    (the 5-point scores) keeps them. `values` describes the allowed
    values of a number in words; `definition` is quoted in the codebook.
    """

    name: str
    label: Promise | str
    kind: str
    choices: tuple[tuple[str | int, Promise | str], ...] = ()
    values: Promise | str = ""
    definition: Promise | str = ""

    def spss_codes(self) -> dict[str | int, int]:
        """Category code -> its numeric SPSS code."""
        int_codes = [code for code, _label in self.choices if isinstance(code, int)]
        if len(int_codes) == len(self.choices):
            return {code: code for code in int_codes}
        return {code: number for number, (code, _label) in enumerate(self.choices, start=1)}


@dataclass(frozen=True)
class Dataset:
    key: str
    label: Promise | str
    description: Promise | str
    variables: tuple[Variable, ...]
    queryset: Callable[[], QuerySet]
    # chunks(pseudonymise, chunk_size, freeze=None): `freeze` (a DataFreeze) is where the
    # cases dataset takes its measurements from; None is the daily snapshot.
    chunks: Callable[..., Iterator[Chunk]]

    def expected_rows(self) -> int:
        """The number of rows the export will have (counted before streaming)."""
        return self.queryset().count()

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]


def _category(name, label, choices, definition="") -> Variable:
    return Variable(name, label, CATEGORY, choices=tuple(choices), definition=definition)


def _integer(name, label, values, definition="") -> Variable:
    return Variable(name, label, INTEGER, values=values, definition=definition)


def _boolean(name, label, definition="") -> Variable:
    return Variable(name, label, BOOLEAN, definition=definition)


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _batched(rows, size: int) -> Iterator[list]:
    for batch in itertools.batched(rows, size):
        yield list(batch)


STAGE_CHOICES = ChainRole.choices  # Leerplicht (1) < Halt (2) < RvdK (3), the chain's order
ZERO_OR_MORE = _("0 of meer")

CASE_PSEUDONYM = Variable(
    "zaak_pseudoniem",
    _("Pseudoniem van de zaak"),
    TEXT,
    values=_("16 hexadecimale tekens"),
    definition=_(
        "HMAC-SHA256 van het zaaknummer in de database met de geheime sleutel van deze studie "
        "(eerste 16 tekens). Dezelfde zaak heeft in elke export van deze studie hetzelfde "
        "pseudoniem; met een andere studie of sleutel is het niet te koppelen."
    ),
)
CHILD_PSEUDONYM = Variable(
    "kind_pseudoniem",
    _("Pseudoniem van het kind"),
    TEXT,
    values=_("16 hexadecimale tekens"),
    definition=_(
        "HMAC-SHA256 van het kind met de geheime sleutel van deze studie (eerste 16 tekens). "
        "Zaken van hetzelfde kind (een nieuwe melding, jaren later) hebben hetzelfde pseudoniem."
    ),
)
PROFESSIONAL_PSEUDONYM = Variable(
    "professional_pseudoniem",
    _("Pseudoniem van de professional"),
    TEXT,
    values=_("16 hexadecimale tekens"),
    definition=_(
        "HMAC-SHA256 van de professional met de geheime sleutel van deze studie (eerste 16 "
        "tekens). Dezelfde professional heeft in elke export van deze studie hetzelfde "
        "pseudoniem."
    ),
)
ARM = _category(
    "arm",
    _("Onderzoeksarm"),
    ArmChoice.choices,
    _(
        "De arm van de eerste toewijzing van de zaak: door loting (blokrandomisatie) of, met "
        "een reden, handmatig. Verandert nooit, ook niet na een correctie; het rapport en elke "
        "dataset tellen de zaak in deze arm."
    ),
)
AS_TREATED_ARM = _category(
    "arm_zoals_behandeld",
    _("Onderzoeksarm zoals behandeld"),
    ArmChoice.choices,
    _(
        "De arm na de laatste correctie: de arm waarin de zaak werkelijk is behandeld. Gelijk "
        "aan arm als de toewijzing nooit is gecorrigeerd."
    ),
)
ALLOCATION_VARIABLES = (
    _category(
        "toewijzing",
        _("Hoe de arm is toegewezen"),
        [(method.value, method.label) for method in INITIAL_ALLOCATION_METHODS],
        _(
            "blokrandomisatie: gerandomiseerd (verborgen permuterende blokken van wisselende "
            "grootte per stratum); handmatig: door de coördinator gekozen, met een reden, dus "
            "niet gerandomiseerd."
        ),
    ),
    _boolean(
        "arm_gecorrigeerd",
        _("Arm gecorrigeerd"),
        _("Waar als de arm na de eerste toewijzing ooit is gecorrigeerd (met een reden)."),
    ),
    _boolean(
        "afwijking_na_meetdatum",
        _("Arm gecorrigeerd na de meetdatum"),
        _(
            "Waar als een correctie van de arm is gedaan na de meetdatum van de zaak: een "
            "afwijking van het protocol, per arm geteld in het stroomschema van het rapport."
        ),
    ),
    AS_TREATED_ARM,
)


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

CASE_VARIABLES = (
    CASE_PSEUDONYM,
    CHILD_PSEUDONYM,
    ARM,
    *ALLOCATION_VARIABLES,
    _integer("melding_jaar", _("Jaar van de melding"), _("jaartal")),
    _integer("melding_maand", _("Maand van de melding"), _("1 tot en met 12")),
    _integer(
        "leeftijd_bij_melding",
        _("Leeftijd bij de melding (jaren)"),
        _("5 tot en met 17"),
        _("Leeftijd van het kind in hele jaren op de datum van de melding."),
    ),
    _category("soort_melding", _("Soort melding"), MeldingType.choices),
    _category(
        "onderwijssoort",
        _("Onderwijssoort van de school"),
        SchoolLevel.choices,
        _("Leeg als het kind niet op een school staat ingeschreven (absoluut verzuim)."),
    ),
    _category("bron", _("Bron van de melding"), CaseSource.choices),
    _category(
        "ketenstap_nu",
        _("Ketenstap bij de export"),
        STAGE_CHOICES,
        _("De ketenstap waarin de zaak zich bevond toen de export werd gemaakt."),
    ),
    _category(
        "status_nu",
        _("Status bij de export"),
        CaseStatus.choices,
        _("Open of gesloten op het moment dat de export werd gemaakt."),
    ),
    _category(
        "meting_status",
        _("Status van de driemaandsmeting"),
        MEASUREMENT_STATUS_CHOICES,
        format_lazy(
            "{} {} {}",
            DEFINITIONS["measured_on"],
            DEFINITIONS["status"],
            _(
                "Nog niet gemeten: er is voor de zaak nog geen driemaandsmeting opgeslagen "
                "(meestal omdat de meetdatum nog niet voorbij is); de meetvariabelen hieronder "
                "zijn dan leeg."
            ),
        ),
    ),
    _boolean("passend", _("Passende uitkomst binnen drie maanden"), DEFINITIONS["suitable"]),
    _category(
        "uitkomst",
        _("Uitkomst op de meetdatum"),
        OutcomeCategory.choices,
        DEFINITIONS["outcome_category"],
    ),
    _integer(
        "dagen_tot_uitkomst",
        _("Dagen tot de passende uitkomst"),
        ZERO_OR_MORE,
        DEFINITIONS["days_to_outcome"],
    ),
    _integer(
        "dagen_tot_eerste_contact",
        _("Dagen tot het eerste contact"),
        ZERO_OR_MORE,
        DEFINITIONS["days_to_first_contact"],
    ),
    _integer(
        "aantal_professionals",
        _("Aantal verschillende professionals"),
        ZERO_OR_MORE,
        DEFINITIONS["distinct_professionals"],
    ),
    _integer(
        "aantal_overdrachten", _("Aantal overdrachten"), ZERO_OR_MORE, DEFINITIONS["handovers"]
    ),
    _integer("aantal_contacten", _("Aantal contacten"), ZERO_OR_MORE, DEFINITIONS["contacts"]),
    _category(
        "verste_ketenstap",
        _("Verste ketenstap binnen drie maanden"),
        STAGE_CHOICES,
        DEFINITIONS["furthest_stage"],
    ),
    _integer("km_dagen", _("Kaplan-Meier: dagen"), ZERO_OR_MORE, DEFINITIONS["km_days"]),
    _boolean("km_gebeurtenis", _("Kaplan-Meier: uitkomst bereikt"), DEFINITIONS["km_event"]),
    _integer(
        "versie_definities",
        _("Versie van de definities"),
        _("1 of hoger"),
        _("De versie van de definities waarmee de driemaandsmeting is berekend."),
    ),
)

# Measurement fields in the order of the measure variables above (status first).
MEASURE_FIELDS = (
    "suitable",
    "outcome_category",
    "days_to_outcome",
    "days_to_first_contact",
    "distinct_professionals",
    "handovers",
    "contacts",
    "furthest_stage",
    "km_days",
    "km_event",
    "definitions_version",
)


def cases_queryset() -> QuerySet:
    return Case.objects.exclude(arm="")


def _frozen_measures(freeze, case_ids: list[int]) -> dict[int, tuple]:
    """The freeze's rows for these cases, as (status, *MEASURE_FIELDS) like the join gives."""
    from ..models import FrozenMeasurement

    fields = [field for field in MEASURE_FIELDS if field != "definitions_version"]
    rows = FrozenMeasurement.objects.filter(freeze=freeze, case_id__in=case_ids).values_list(
        "case_id", "status", *fields
    )
    return {row[0]: (*row[1:], freeze.definitions_version) for row in rows}


def case_chunks(pseudonymise: Pseudonymiser, chunk_size: int = DEFAULT_CHUNK_SIZE, *, freeze=None):
    """The cases, with their measurement from `freeze` (one query per chunk), or from the
    daily snapshot (joined) when `freeze` is None. A case the source has not measured is
    `niet_gemeten`."""
    measurement_columns = (
        ()
        if freeze is not None
        else ("measurement__status", *(f"measurement__{field}" for field in MEASURE_FIELDS))
    )
    rows = (
        cases_queryset()
        .annotate(
            itt_arm=allocated_arm(),
            itt_method=allocation_method(),
            corrected=was_corrected(),
            deviation=has_deviation(),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "child_id",
            "itt_arm",
            "itt_method",
            "corrected",
            "deviation",
            "arm",
            "date_received",
            "child__date_of_birth",
            "melding_type",
            "child__school__level",
            "source",
            "stage",
            "status",
            *measurement_columns,
        )
        .iterator(chunk_size=chunk_size)
    )
    no_measures = (None,) * len(MEASURE_FIELDS)
    for batch in _batched(rows, chunk_size):
        frozen = _frozen_measures(freeze, [row[0] for row in batch]) if freeze else {}
        chunk = []
        for row in batch:
            case_id, child_id = row[:2]
            allocation = row[2:7]  # arm, method, corrected, deviation, as-treated arm
            received, born = row[7:9]
            case_categories = row[9:14]  # melding type, school level, source, stage, status
            measured = frozen.get(case_id, (None,)) if freeze else row[14:]
            measurement_status = measured[0]
            measures = measured[1:] if measurement_status else no_measures
            if measures[1] == "":  # no outcome in force on the measurement date
                measures = (measures[0], None, *measures[2:])
            chunk.append(
                (
                    pseudonymise(pseudonyms.CASE, case_id),
                    pseudonymise(pseudonyms.CHILD, child_id),
                    *allocation,
                    received.year,
                    received.month,
                    age_on(born, received),
                    *case_categories,
                    measurement_status or NOT_MEASURED,
                    *measures,
                )
            )
        yield chunk


# --------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------

CONTACT_VARIABLES = (
    CASE_PSEUDONYM,
    PROFESSIONAL_PSEUDONYM,
    ARM,
    AS_TREATED_ARM,
    _category(
        "thuisorganisatie",
        _("Thuisorganisatie van de professional"),
        ChainRole.choices,
        _("De organisatie waar de professional in dienst is (soort organisatie)."),
    ),
    _category(
        "rol",
        _("Rol in dit contact"),
        ChainRole.choices,
        _("De ketenrol waarin de professional dit contact had."),
    ),
    _category("soort_contact", _("Soort contact"), ContactKind.choices),
    _category("met_wie", _("Met wie"), ContactWith.choices),
    _category("kanaal", _("Kanaal"), Channel.choices),
    _integer("duur_minuten", _("Duur in minuten"), _("1 tot en met 480")),
    _integer(
        "dagen_sinds_melding",
        _("Dagen sinds de melding"),
        _("geheel getal"),
        _("Dagen van de datum van de melding tot de dag van het contact (Nederlandse tijd)."),
    ),
    _boolean("cautie", _("Cautie gegeven")),
)


def contacts_queryset() -> QuerySet:
    return Contact.objects.exclude(case__arm="")


def contact_chunks(
    pseudonymise: Pseudonymiser, chunk_size: int = DEFAULT_CHUNK_SIZE, *, freeze=None
):
    rows = (
        contacts_queryset()
        .annotate(itt_arm=allocated_arm("case"))
        .order_by("pk")
        .values_list(
            "case_id",
            "professional_id",
            "itt_arm",
            "case__arm",
            "professional__organisation__kind",
            "role",
            "kind",
            "with_whom",
            "channel",
            "duration_minutes",
            "occurred_at",
            "case__date_received",
            "caution_given",
        )
        .iterator(chunk_size=chunk_size)
    )
    for batch in _batched(rows, chunk_size):
        yield [
            (
                pseudonymise(pseudonyms.CASE, case_id),
                pseudonymise(pseudonyms.PROFESSIONAL, professional_id),
                arm,
                as_treated,
                organisation,
                role,
                kind,
                with_whom,
                channel,
                duration,
                (_local_date(occurred_at) - received).days,
                caution,
            )
            for (
                case_id,
                professional_id,
                arm,
                as_treated,
                organisation,
                role,
                kind,
                with_whom,
                channel,
                duration,
                occurred_at,
                received,
                caution,
            ) in batch
        ]


# --------------------------------------------------------------------------------------------
# Survey responses
# --------------------------------------------------------------------------------------------

SURVEY_ITEMS = tuple(SurveyItem)

SURVEY_VARIABLES = (
    Variable(
        "antwoord_pseudoniem",
        _("Pseudoniem van het enquêteantwoord"),
        TEXT,
        values=_("16 hexadecimale tekens"),
        definition=_("HMAC-SHA256 van het antwoord met de geheime sleutel van deze studie."),
    ),
    Variable(
        CASE_PSEUDONYM.name,
        CASE_PSEUDONYM.label,
        TEXT,
        values=CASE_PSEUDONYM.values,
        definition=_(
            "Bij een kind of ouder: het pseudoniem van de zaak, zoals in de dataset zaken. Leeg "
            "bij een medewerker: de medewerkersenquête is anoniem en wordt niet aan een "
            "professional gekoppeld."
        ),
    ),
    _category("respondent", _("Respondent"), RespondentType.choices),
    _category(
        "arm",
        _("Onderzoeksarm"),
        ArmChoice.choices,
        _(
            "Bij een kind of ouder: de arm van de eerste toewijzing van de zaak "
            "(intention-to-treat), zoals in de dataset zaken, ook als de arm later is "
            "gecorrigeerd. Bij een medewerker: BIP-professional of niet, bij het invullen."
        ),
    ),
    _integer("rapportcijfer", _("Rapportcijfer"), _("1 tot en met 10")),
    *(
        Variable(
            item.value,
            item.label,
            CATEGORY,
            choices=SCORE_CHOICES,
            definition=(
                _("Stelling voor kinderen en ouders. Leeg bij medewerkers of zonder antwoord.")
                if item in CLIENT_ITEMS
                else _("Stelling voor medewerkers. Leeg bij kinderen en ouders of zonder antwoord.")
            ),
        )
        for item in SURVEY_ITEMS
    ),
    _integer(
        "dagen_sinds_melding",
        _("Dagen van de melding tot het invullen"),
        ZERO_OR_MORE,
        _("Bij een kind of ouder: dagen van de datum van de melding tot de dag van invullen."),
    ),
    _integer("ingevuld_jaar", _("Jaar van invullen"), _("jaartal")),
    _integer("ingevuld_maand", _("Maand van invullen"), _("1 tot en met 12")),
)


def survey_queryset() -> QuerySet:
    return SurveyResponse.objects.all()


def survey_chunks(
    pseudonymise: Pseudonymiser, chunk_size: int = DEFAULT_CHUNK_SIZE, *, freeze=None
):
    """Survey responses; a child's or parent's response counts in the case's allocated
    (intention-to-treat) arm, as in the report, not in the arm at submission."""
    rows = (
        survey_queryset()
        .annotate(study_arm=response_arm())
        .order_by("pk")
        .values_list(
            "pk",
            "respondent_type",
            "study_arm",
            "grade",
            "submitted_at",
            "invitation__case_id",
            "invitation__case__date_received",
        )
        .iterator(chunk_size=chunk_size)
    )
    for batch in _batched(rows, chunk_size):
        scores: dict[int, dict[str, int]] = defaultdict(dict)
        for response_id, item, score in SurveyAnswer.objects.filter(
            response_id__in=[row[0] for row in batch]
        ).values_list("response_id", "item", "score"):
            scores[response_id][item] = score
        chunk = []
        for response_id, respondent, arm, grade, submitted_at, case_id, received in batch:
            is_client = respondent in CLIENT_RESPONDENTS
            submitted_on = _local_date(submitted_at)
            answers = scores.get(response_id, {})
            chunk.append(
                (
                    pseudonymise(pseudonyms.RESPONSE, response_id),
                    pseudonymise(pseudonyms.CASE, case_id) if is_client else None,
                    respondent,
                    arm,
                    grade,
                    *(answers.get(item.value) for item in SURVEY_ITEMS),
                    (submitted_on - received).days if is_client and received else None,
                    submitted_on.year,
                    submitted_on.month,
                )
            )
        yield chunk


DATASETS: dict[str, Dataset] = {
    ExportDataset.CASES: Dataset(
        key=ExportDataset.CASES,
        label=ExportDataset.CASES.label,
        description=_("Eén rij per zaak die aan een onderzoeksarm is toegewezen."),
        variables=CASE_VARIABLES,
        queryset=cases_queryset,
        chunks=case_chunks,
    ),
    ExportDataset.CONTACTS: Dataset(
        key=ExportDataset.CONTACTS,
        label=ExportDataset.CONTACTS.label,
        description=_("Eén rij per contact over een zaak die aan een onderzoeksarm is toegewezen."),
        variables=CONTACT_VARIABLES,
        queryset=contacts_queryset,
        chunks=contact_chunks,
    ),
    ExportDataset.SURVEYS: Dataset(
        key=ExportDataset.SURVEYS,
        label=ExportDataset.SURVEYS.label,
        description=_("Eén rij per ingevulde enquête (kinderen, ouders en medewerkers)."),
        variables=SURVEY_VARIABLES,
        queryset=survey_queryset,
        chunks=survey_chunks,
    ),
}


def get_dataset(key: str) -> Dataset:
    return DATASETS[key]
