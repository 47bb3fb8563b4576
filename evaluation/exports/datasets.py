"""The three research datasets: their variables, and their rows streamed in chunks.

A dataset is a list of `Variable`s and a generator of row chunks (lists of tuples in variable
order). Rows are read with `values_list(...).iterator(chunk_size=...)`, so memory holds one
chunk, whatever the number of cases. The variables are the single source of the column
definitions: the codebook, the SPSS metadata, the Frictionless `datapackage.json` and the R and
SPSS syntax are all written from them.

What a row holds (and never holds):
- pseudonyms instead of ids (see `pseudonyms`), also for the clusters (professional, school,
  household) so multilevel models can be fitted;
- the referral as year, quarter and month, other moments as whole weeks since the referral,
  the age in years at the referral; rows whose combination of quasi-identifiers is rarer than
  five are generalised (see `kanonymity`);
- codes of choices (the codebook gives their labels), counts, bands and weeks;
- never a name, BSN, onderwijsnummer, address, postcode, phone number, e-mail address, free
  text (summaries, reasons, survey comments), an exact date, or a number of days from which a
  date could be rebuilt.

Value conventions in a row, which every file format writes as it is: a category is its code
(e.g. "bip"), a yes/no variable is 1 or 0 (never True or False, which a CSV would spell out),
a number is an int. Why a value is missing is a negative code (see MISSING_CODES), the same in
every file format; None (an empty cell) only where no reason applies.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.constants import (
    HALT_HOURS,
    HALT_TIMES_LATE,
    CaseSource,
    CaseStatus,
    MeldingType,
    OutcomeCategory,
    SchoolLevel,
)
from cases.models import Case, Contact, age_on
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

from ..arms import (
    allocated_arm,
    allocation_method,
    has_deviation,
    was_corrected,
    with_initial_allocation,
)
from ..constants import (
    CLIENT_ITEMS,
    CLIENT_RESPONDENTS,
    INITIAL_ALLOCATION_METHODS,
    ExportDataset,
    RespondentType,
    SurveyItem,
)
from ..constants import Arm as ArmChoice
from ..definitions import CENSORED_STATUSES, DEFINITIONS, MeasurementStatus
from ..models import SurveyAnswer, SurveyResponse
from ..report_inputs import response_arm
from . import kanonymity, pseudonyms
from .kanonymity import AGE_BANDS, GeneralisationPlan, Identifiers, age_band
from .pseudonyms import Pseudonymiser

if TYPE_CHECKING:
    from ..models import DataFreeze
    from ..periods import MonthPeriod

DEFAULT_CHUNK_SIZE = 5000

TEXT = "text"
INTEGER = "integer"
CATEGORY = "category"
BOOLEAN = "boolean"

# SPSS measurement levels (pyreadstat's names).
NOMINAL = "nominal"
ORDINAL = "ordinal"
SCALE = "scale"

# Why a value is missing: the same negative code in CSV, Excel and SPSS (user-missing there).
NOT_MEASURED_CODE = -1
CENSORED_CODE = -2
NOT_APPLICABLE_CODE = -3
WITHHELD_CODE = -4
MISSING_CODES: dict[int, Promise] = {
    NOT_MEASURED_CODE: _("niet gemeten"),
    CENSORED_CODE: _("gecensureerd"),
    NOT_APPLICABLE_CODE: _("niet van toepassing"),
    WITHHELD_CODE: _("weggelaten voor k-anonimiteit"),
}
MISSING_DEFINITIONS: dict[int, Promise] = {
    NOT_MEASURED_CODE: _("er is (nog) geen driemaandsmeting van de zaak"),
    CENSORED_CODE: _(
        "de waarneming eindigde vóór de meetdatum (einde studie of verhuizing), dus onbekend"
    ),
    NOT_APPLICABLE_CODE: _("de vraag geldt niet voor deze zaak (bijvoorbeeld geen uitkomst)"),
    WITHHELD_CODE: _(
        "de waarde is weggelaten zodat elke combinatie van kenmerken minstens vijf keer voorkomt"
    ),
}

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

# A case followed for the whole three months without a suitable outcome has this many weeks
# (top-coded): its real number of days (89 to 92, by the calendar) would pin a month's end.
KM_FULL_WEEKS = 13

Row = tuple
Chunk = list[Row]


@dataclass(frozen=True)
class Variable:
    """One column of a dataset, as the codebook describes it.

    `choices` are (code, label) pairs of a category. SPSS gets the numbers 1, 2, ... in this
    order (for the chain stages that is the chain's order); a category whose codes are numbers
    (the 5-point scores) keeps them. `values` describes the allowed values of a number in
    words; `definition` is quoted in the codebook. `missing` are the MISSING_CODES the variable
    may hold; `measure` the SPSS measurement level (derived from the kind when empty); `width`
    the fixed length of a text (pseudonyms: 16).
    """

    name: str
    label: Promise | str
    kind: str
    choices: tuple[tuple[str | int, Promise | str], ...] = ()
    values: Promise | str = ""
    definition: Promise | str = ""
    missing: tuple[int, ...] = ()
    measure: str = ""
    width: int = 0

    def spss_codes(self) -> dict[str | int, int]:
        """Category code -> its numeric SPSS code."""
        int_codes = [code for code, _label in self.choices if isinstance(code, int)]
        if len(int_codes) == len(self.choices):
            return {code: code for code in int_codes}
        return {code: number for number, (code, _label) in enumerate(self.choices, start=1)}

    @property
    def measure_level(self) -> str:
        if self.measure:
            return self.measure
        if self.kind == INTEGER:
            return SCALE
        if self.kind == CATEGORY and all(isinstance(code, int) for code, _ in self.choices):
            return ORDINAL
        return NOMINAL


@dataclass(frozen=True)
class Dataset:
    key: str
    label: Promise | str
    description: Promise | str
    variables: tuple[Variable, ...]
    # queryset(period=None): the rows' source, narrowed to referrals in `period` (a whole-month
    # period with first_day and last_day).
    queryset: Callable[..., QuerySet]
    # chunks(pseudonymise, chunk_size, freeze=None, period=None, plan=None): `freeze` (a
    # DataFreeze) is where the cases dataset takes its measurements from; None is the daily
    # snapshot. `plan` is the k-anonymity plan (cases only).
    chunks: Callable[..., Iterator[Chunk]]
    # plan(period=None): the k-anonymity plan of the rows, for a dataset with quasi-identifiers.
    plan: Callable[..., GeneralisationPlan] | None = None

    def expected_rows(self, period: MonthPeriod | None = None) -> int:
        """The number of rows the export will have (counted before streaming)."""
        return self.queryset(period).count()

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]


def _category(
    name: str,
    label: Promise | str,
    choices: Iterable[tuple[str | int, Promise | str]],
    definition: Promise | str = "",
    *,
    missing: tuple[int, ...] = (),
    measure: str = "",
) -> Variable:
    return Variable(
        name,
        label,
        CATEGORY,
        choices=tuple(choices),
        definition=definition,
        missing=missing,
        measure=measure,
    )


def _integer(
    name: str,
    label: Promise | str,
    values: Promise | str,
    definition: Promise | str = "",
    *,
    missing: tuple[int, ...] = (),
    measure: str = "",
) -> Variable:
    return Variable(
        name, label, INTEGER, values=values, definition=definition, missing=missing, measure=measure
    )


def _boolean(
    name: str,
    label: Promise | str,
    definition: Promise | str = "",
    *,
    missing: tuple[int, ...] = (),
) -> Variable:
    return Variable(name, label, BOOLEAN, definition=definition, missing=missing)


def _pseudonym(name: str, label: Promise | str, definition: Promise | str) -> Variable:
    return Variable(name, label, TEXT, values=_("16 hexadecimale tekens"), definition=definition,
                    width=pseudonyms.PSEUDONYM_HEX_CHARS)  # fmt: skip


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    for batch in itertools.batched(rows, size):
        yield list(batch)


def _in_period(queryset: QuerySet, received_field: str, period: MonthPeriod | None) -> QuerySet:
    if period is None:
        return queryset
    return queryset.filter(
        **{f"{received_field}__gte": period.first_day, f"{received_field}__lte": period.last_day}
    )


def weeks(days: int) -> int:
    """Whole weeks in a number of days (rounded down, also before the referral)."""
    return days // 7


STAGE_CHOICES = ChainRole.choices  # Leerplicht (1) < Halt (2) < RvdK (3), the chain's order
ZERO_OR_MORE = _("0 of meer")
MEASURE_MISSING = (NOT_MEASURED_CODE,)
QUASI_MISSING = (WITHHELD_CODE,)

CASE_PSEUDONYM = _pseudonym(
    "zaak_pseudoniem",
    _("Pseudoniem van de zaak"),
    _(
        "HMAC-SHA256 van het interne id van de zaak in de database (niet het zaaknummer) met de "
        "geheime sleutel van deze studie (eerste 16 tekens). Dezelfde zaak heeft in elke export "
        "van deze studie hetzelfde pseudoniem; met een andere studie of sleutel is het niet te "
        "koppelen."
    ),
)
CHILD_PSEUDONYM = _pseudonym(
    "kind_pseudoniem",
    _("Pseudoniem van het kind"),
    _(
        "HMAC-SHA256 van het interne id van het kind met de geheime sleutel van deze studie "
        "(eerste 16 tekens). Zaken van hetzelfde kind (een nieuwe melding, jaren later) hebben "
        "hetzelfde pseudoniem."
    ),
)
PROFESSIONAL_PSEUDONYM = _pseudonym(
    "professional_pseudoniem",
    _("Pseudoniem van de professional"),
    _(
        "HMAC-SHA256 van het interne id van de professional met de geheime sleutel van deze "
        "studie (eerste 16 tekens). Dezelfde professional heeft in elke export van deze studie "
        "hetzelfde pseudoniem."
    ),
)
ARM = _category(
    "arm",
    _("Onderzoeksarm"),
    ArmChoice.choices,
    _(
        "De gerandomiseerde arm: de arm van de eerste toewijzing van de zaak, door loting "
        "(blokrandomisatie) of, met een reden, handmatig. Verandert nooit, ook niet na een "
        "correctie; het rapport en elke dataset tellen de zaak in deze arm."
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

# Hours absent and times late at the referral, in bands along the chain's own thresholds: Halt
# takes 9 to 60 hours or 12 to 60 times late; a 16-hour melding starts at 16.
HOURS_ABSENT_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-8", 1, 8),
    ("9-15", 9, 15),
    ("16-30", 16, 30),
    ("31-60", 31, 60),
    ("61+", 61, None),
)
TIMES_LATE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-11", 1, 11),
    ("12-60", 12, 60),
    ("61+", 61, None),
)


def band(value: int, bands: tuple[tuple[str, int, int | None], ...]) -> str:
    for code, low, high in bands:
        if value >= low and (high is None or value <= high):
            return code
    return bands[0][0]


def _band_choices(
    bands: tuple[tuple[str, int, int | None], ...], unit: Promise | str
) -> list[tuple[str, str]]:
    return [(code, f"{code} {unit}") for code, _low, _high in bands]


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

# The quasi-identifiers, in the order of kanonymity.Identifiers.
QUASI_IDENTIFIERS = (
    "leeftijd_bij_melding",
    "leeftijdsgroep",
    "onderwijssoort",
    "melding_jaar",
    "melding_kwartaal",
    "melding_maand",
    "soort_melding",
    "bron",
)
K_ANONYMITY_DEFINITION = _(
    "Onderdeel van de k-anonimiteit: elke combinatie van leeftijd, leeftijdsgroep, "
    "onderwijssoort, jaar, kwartaal en maand van de melding, soort melding en bron komt minstens "
    "vijf keer voor. Zaken met een zeldzamere combinatie krijgen stap voor stap minder detail "
    "(leeftijdsgroep in plaats van leeftijd, kwartaal in plaats van maand, alleen het jaar, "
    "dan zonder onderwijssoort en soort melding, ten slotte niets); een weggelaten waarde is -4."
)

CASE_VARIABLES = (
    CASE_PSEUDONYM,
    CHILD_PSEUDONYM,
    _pseudonym(
        "huishouden_pseudoniem",
        _("Pseudoniem van het huishouden"),
        _(
            "Clustervariabele: HMAC-SHA256 van het interne id van het huishouden met een eigen, "
            "van de studiesleutel afgeleide sleutel (eerste 16 tekens). Broers en zussen hebben "
            "hetzelfde pseudoniem."
        ),
    ),
    _pseudonym(
        "school_pseudoniem",
        _("Pseudoniem van de school"),
        _(
            "Clustervariabele: HMAC-SHA256 van het interne id van de school met een eigen, van "
            "de studiesleutel afgeleide sleutel (eerste 16 tekens). Leeg als het kind niet op een "
            "school staat ingeschreven."
        ),
    ),
    Variable(
        PROFESSIONAL_PSEUDONYM.name,
        PROFESSIONAL_PSEUDONYM.label,
        TEXT,
        values=PROFESSIONAL_PSEUDONYM.values,
        definition=format_lazy(
            "{} {}",
            PROFESSIONAL_PSEUDONYM.definition,
            _(
                "Clustervariabele: de professional aan wie de zaak bij de export is toegewezen; "
                "hetzelfde pseudoniem als in de dataset contacten. Leeg zonder toewijzing."
            ),
        ),
        width=pseudonyms.PSEUDONYM_HEX_CHARS,
    ),
    ARM,
    *ALLOCATION_VARIABLES,
    _integer(
        "melding_jaar",
        _("Jaar van de melding"),
        _("jaartal"),
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
        measure=ORDINAL,
    ),
    _integer(
        "melding_kwartaal",
        _("Kwartaal van de melding"),
        _("1 tot en met 4"),
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
        measure=ORDINAL,
    ),
    _integer(
        "melding_maand",
        _("Maand van de melding"),
        _("1 tot en met 12"),
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
        measure=ORDINAL,
    ),
    _integer(
        "leeftijd_bij_melding",
        _("Leeftijd bij de melding (jaren)"),
        _("5 tot en met 18"),
        format_lazy(
            "{} {}",
            _("Leeftijd van het kind in hele jaren op de datum van de melding."),
            K_ANONYMITY_DEFINITION,
        ),
        missing=QUASI_MISSING,
    ),
    _category(
        "leeftijdsgroep",
        _("Leeftijdsgroep bij de melding"),
        [(code, _("%(band)s jaar") % {"band": code}) for code, _low, _high in AGE_BANDS],
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
        measure=ORDINAL,
    ),
    _category(
        "soort_melding",
        _("Soort melding"),
        MeldingType.choices,
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
    ),
    _category(
        "onderwijssoort",
        _("Onderwijssoort van de school"),
        SchoolLevel.choices,
        format_lazy(
            "{} {}",
            _("Niet van toepassing (-3) als het kind niet op een school staat ingeschreven."),
            K_ANONYMITY_DEFINITION,
        ),
        missing=(NOT_APPLICABLE_CODE, WITHHELD_CODE),
    ),
    _category(
        "bron",
        _("Bron van de melding"),
        CaseSource.choices,
        K_ANONYMITY_DEFINITION,
        missing=QUASI_MISSING,
    ),
    _category(
        "uren_verzuim_klasse",
        _("Uren ongeoorloofd verzuim bij de melding (klasse)"),
        _band_choices(HOURS_ABSENT_BANDS, _("uur")),
        format_lazy(
            _(
                "Uren verzuim zoals gemeld, in klassen langs de grenzen van de keten (Halt: "
                "{low} tot en met {high} uur; melding {sixteen_hours})."
            ),
            low=HALT_HOURS[0],
            high=HALT_HOURS[1],
            sixteen_hours=MeldingType.ZESTIEN_UUR.label,
        ),
        measure=ORDINAL,
    ),
    _category(
        "te_laat_klasse",
        _("Keer te laat bij de melding (klasse)"),
        _band_choices(TIMES_LATE_BANDS, _("keer")),
        format_lazy(
            _(
                "Keer te laat zoals gemeld, in klassen langs de grens van Halt ({low} tot en met "
                "{high})."
            ),
            low=HALT_TIMES_LATE[0],
            high=HALT_TIMES_LATE[1],
        ),
        measure=ORDINAL,
    ),
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
                "zijn dan -1 (niet gemeten)."
            ),
        ),
    ),
    _boolean(
        "passend",
        _("Passende uitkomst binnen drie maanden"),
        DEFINITIONS["suitable"],
        missing=(NOT_MEASURED_CODE, CENSORED_CODE),
    ),
    _category(
        "uitkomst",
        _("Uitkomst op de meetdatum"),
        OutcomeCategory.choices,
        DEFINITIONS["outcome_category"],
        missing=(NOT_MEASURED_CODE, CENSORED_CODE, NOT_APPLICABLE_CODE),
    ),
    _integer(
        "weken_tot_uitkomst",
        _("Weken tot de passende uitkomst"),
        _("0 tot en met 13"),
        format_lazy(
            "{} {}",
            DEFINITIONS["days_to_outcome"],
            _("In hele weken (dagen gedeeld door 7, naar beneden afgerond)."),
        ),
        missing=(NOT_MEASURED_CODE, CENSORED_CODE, NOT_APPLICABLE_CODE),
    ),
    _integer(
        "weken_tot_eerste_contact",
        _("Weken tot het eerste contact"),
        _("0 tot en met 13"),
        format_lazy(
            "{} {}",
            DEFINITIONS["days_to_first_contact"],
            _(
                "In hele weken (dagen gedeeld door 7, naar beneden afgerond). Geen contact: niet "
                "van toepassing (-3), of gecensureerd (-2) als de waarneming eerder eindigde."
            ),
        ),
        missing=(NOT_MEASURED_CODE, CENSORED_CODE, NOT_APPLICABLE_CODE),
    ),
    _integer(
        "aantal_professionals",
        _("Aantal verschillende professionals"),
        ZERO_OR_MORE,
        DEFINITIONS["distinct_professionals"],
        missing=MEASURE_MISSING,
    ),
    _integer(
        "aantal_overdrachten",
        _("Aantal overdrachten"),
        ZERO_OR_MORE,
        DEFINITIONS["handovers"],
        missing=MEASURE_MISSING,
    ),
    _integer(
        "aantal_contacten",
        _("Aantal contacten"),
        ZERO_OR_MORE,
        DEFINITIONS["contacts"],
        missing=MEASURE_MISSING,
    ),
    _category(
        "verste_ketenstap",
        _("Verste ketenstap binnen drie maanden"),
        STAGE_CHOICES,
        DEFINITIONS["furthest_stage"],
        missing=MEASURE_MISSING,
    ),
    _integer(
        "km_weken",
        _("Kaplan-Meier: weken"),
        _("0 tot en met 13"),
        format_lazy(
            "{} {}",
            DEFINITIONS["km_days"],
            _(
                "In hele weken (naar beneden afgerond). Zonder passende uitkomst na de volle "
                "drie maanden: 13 (afgetopt, want 89 tot 92 dagen zou het einde van de maand "
                "van de melding verraden). Gecensureerd door het einde van de studie: de hele "
                "weken van het einde van de uitgegeven meldperiode (maand, kwartaal of jaar) tot "
                "het einde van de studie, zodat de datum van de melding niet terug te rekenen "
                "is; de zaak wordt dus iets eerder gecensureerd dan werkelijk."
            ),
        ),
        missing=MEASURE_MISSING,
    ),
    _boolean(
        "km_gebeurtenis",
        _("Kaplan-Meier: uitkomst bereikt"),
        DEFINITIONS["km_event"],
        missing=MEASURE_MISSING,
    ),
    _integer(
        "versie_definities",
        _("Versie van de definities"),
        _("1 of hoger"),
        _("De versie van de definities waarmee de driemaandsmeting is berekend."),
        missing=MEASURE_MISSING,
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
CASE_IDENTIFIER_FIELDS = (
    "date_received",
    "child__date_of_birth",
    "child__school__level",
    "melding_type",
    "source",
)


def cases_queryset(period: MonthPeriod | None = None) -> QuerySet:
    return _in_period(Case.objects.exclude(arm=""), "date_received", period)


def cases_identifier_counts(period: MonthPeriod | None = None) -> Counter[Identifiers]:
    """How many cases in `period` have each combination of quasi-identifiers, counted by the
    database (GROUP BY): the age at the referral is computed in SQL the way `age_on` does it
    (a year younger before the birthday's month and day), so no row travels to Python."""
    grouped = _identifier_groups(period)
    counts: Counter[Identifiers] = Counter()
    for age, school_level, year, month, melding_type, source, rows in grouped:
        counts[(age, school_level or "", year, month, melding_type, source)] += rows
    return counts


IDENTIFIER_GROUP = (
    "age",
    "child__school__level",
    "received_year",
    "received_month",
    "melding_type",
    "source",
)


def _identifier_groups(period: MonthPeriod | None) -> QuerySet:
    """The cases in `period` grouped by their quasi-identifiers, with the rows in each."""
    before_birthday = SqlCase(
        When(
            Q(received_month__lt=F("born_month"))
            | Q(received_month=F("born_month"), received_day__lt=F("born_day")),
            then=Value(1),
        ),
        default=Value(0),
    )
    return (
        cases_queryset(period)
        .annotate(
            received_year=Cast(ExtractYear("date_received"), IntegerField()),
            received_month=Cast(ExtractMonth("date_received"), IntegerField()),
            received_day=Cast(ExtractDay("date_received"), IntegerField()),
            born_year=Cast(ExtractYear("child__date_of_birth"), IntegerField()),
            born_month=Cast(ExtractMonth("child__date_of_birth"), IntegerField()),
            born_day=Cast(ExtractDay("child__date_of_birth"), IntegerField()),
        )
        .annotate(age=F("received_year") - F("born_year") - before_birthday)
        .values(*IDENTIFIER_GROUP)
        .annotate(rows=Count("pk"))
        .order_by()
        .values_list(*IDENTIFIER_GROUP, "rows")
    )


def cases_plan(period: MonthPeriod | None = None, *, k: int = kanonymity.K) -> GeneralisationPlan:
    """The k-anonymity plan of the cases in `period`, from their combinations' counts."""
    return kanonymity.plan_generalisation(cases_identifier_counts(period), k)


def released_identifiers(identifiers: Identifiers, level: int) -> tuple:
    """The quasi-identifier columns of a row released at `level`, in QUASI_IDENTIFIERS order;
    a withheld value is WITHHELD_CODE, no school is NOT_APPLICABLE_CODE."""
    age, school_level, year, month, melding_type, source = identifiers
    withheld = WITHHELD_CODE
    school = school_level or NOT_APPLICABLE_CODE
    if level >= kanonymity.FULLY_SUPPRESSED:
        return (withheld,) * len(QUASI_IDENTIFIERS)
    return (
        age if level == 0 else withheld,
        age_band(age),
        school if level <= 3 else withheld,
        year,
        kanonymity.quarter(month) if level <= 2 else withheld,
        month if level <= 1 else withheld,
        melding_type if level <= 3 else withheld,
        source,
    )


def released_period_end(identifiers: Identifiers, level: int) -> datetime.date | None:
    """The last day of the referral period as released: month, quarter or year (None when
    even the year is withheld)."""
    _age, _school, year, month, *_rest = identifiers
    if level >= kanonymity.FULLY_SUPPRESSED:
        return None
    if level <= 1:
        last_month = month
    elif level == 2:
        last_month = kanonymity.quarter(month) * 3
    else:
        last_month = 12
    return datetime.date(year, last_month, calendar.monthrange(year, last_month)[1])


def _frozen_measures(freeze: DataFreeze, case_ids: list[int]) -> dict[int, tuple]:
    """The freeze's rows for these cases, as (status, *MEASURE_FIELDS) like the join gives."""
    from ..models import FrozenMeasurement

    fields = [field for field in MEASURE_FIELDS if field != "definitions_version"]
    rows = FrozenMeasurement.objects.filter(freeze=freeze, case_id__in=case_ids).values_list(
        "case_id", "status", *fields
    )
    return {row[0]: (*row[1:], freeze.definitions_version) for row in rows}


def exported_measures(status: str | None, measures: tuple, received: datetime.date,
                      period_end: datetime.date | None) -> tuple:  # fmt: skip
    """The measure columns of a case as exported: weeks instead of days, missing codes, and no
    follow-up time that pins the referral date."""
    if not status:
        return (NOT_MEASURED, *(NOT_MEASURED_CODE,) * len(MEASURE_FIELDS))
    (suitable, outcome, days_to_outcome, days_to_contact, professionals, handovers, contacts,
     furthest, km_days, km_event, version) = measures  # fmt: skip
    censored = status in CENSORED_STATUSES
    unknown = CENSORED_CODE if censored else NOT_APPLICABLE_CODE
    if km_event:
        km_weeks = weeks(km_days)
    elif status == MeasurementStatus.MEASURED:
        km_weeks = KM_FULL_WEEKS
    elif status == MeasurementStatus.CENSORED:
        # Censored at the study end: received + km_days. Count from the end of the released
        # referral period instead of the referral date, which the study end would give away.
        study_end = received + datetime.timedelta(days=km_days)
        km_weeks = 0 if period_end is None else max(0, weeks((study_end - period_end).days))
    else:  # moved away: the date of the move is not known outside the case file
        km_weeks = weeks(km_days)
    return (
        status,
        CENSORED_CODE if suitable is None else int(suitable),
        outcome or unknown,
        unknown if days_to_outcome is None else weeks(days_to_outcome),
        unknown if days_to_contact is None else weeks(days_to_contact),
        professionals,
        handovers,
        contacts,
        furthest,
        km_weeks,
        int(km_event),
        version,
    )


def case_source_rows(period: MonthPeriod | None, freeze: DataFreeze | None) -> QuerySet:
    """The cases in `period` as they come from the database, in id order: ids, arms,
    quasi-identifiers, counts, stage and status, and (when `freeze` is None) the daily
    snapshot's measurement, joined (CASE_SOURCE_COLUMNS)."""
    measurement_columns = (
        ()
        if freeze is not None
        else ("measurement__status", *(f"measurement__{field}" for field in MEASURE_FIELDS))
    )
    return (
        with_initial_allocation(cases_queryset(period))
        .annotate(
            itt_arm=allocated_arm(),
            itt_method=allocation_method(),
            corrected=was_corrected(),
            deviation=has_deviation(),
        )
        .order_by("pk")
        .values_list(*(lookup for _name, lookup in CASE_SOURCE_FIELDS), *measurement_columns)
    )


# The columns of `case_source_rows` as (name, lookup), in order; then, without a freeze, the
# measurement's status and MEASURE_FIELDS.
CASE_SOURCE_FIELDS = (
    ("case_id", "pk"),
    ("child_id", "child_id"),
    ("household_id", "child__household_id"),
    ("school_id", "child__school_id"),
    ("professional_id", "professional_id"),
    ("itt_arm", "itt_arm"),
    ("itt_method", "itt_method"),
    ("corrected", "corrected"),
    ("deviation", "deviation"),
    ("arm", "arm"),
    *zip(("received", "born", "school_level", "melding_type", "source"), CASE_IDENTIFIER_FIELDS,
         strict=True),
    ("hours_absent", "hours_absent"),
    ("times_late", "times_late"),
    ("stage", "stage"),
    ("status", "status"),
)  # fmt: skip
CASE_SOURCE_COLUMNS = tuple(name for name, _lookup in CASE_SOURCE_FIELDS)
_SOURCE_WIDTH = len(CASE_SOURCE_FIELDS)


def _case_rows(
    period: MonthPeriod | None, chunk_size: int, freeze: DataFreeze | None
) -> Iterator[Row]:
    """`case_source_rows`, read `chunk_size` rows at a time."""
    return case_source_rows(period, freeze).iterator(chunk_size=chunk_size)


# The pseudonym kinds of a case row's five id columns (the first five of CASE_SOURCE_FIELDS).
CASE_PSEUDONYM_KINDS = (
    pseudonyms.CASE,
    pseudonyms.CHILD,
    pseudonyms.HOUSEHOLD,
    pseudonyms.SCHOOL,
    pseudonyms.PROFESSIONAL,
)


class _CaseRowContext(NamedTuple):
    """What every chunk of one cases export shares: how to pseudonymise, where the
    measurements come from, the k-anonymity levels, and what is worked out only once."""

    pseudonymise: Pseudonymiser
    freeze: DataFreeze | None
    levels: dict[Identifiers, int]
    # Per combination of quasi-identifiers: its released columns and period end. There are far
    # fewer combinations than rows, and so few hour and lateness counts: work them out once.
    released: dict[Identifiers, tuple[tuple, datetime.date | None]]
    hours_bands: dict[int, str]
    late_bands: dict[int, str]


def release(
    identifiers: Identifiers, levels: dict[Identifiers, int]
) -> tuple[tuple, datetime.date | None]:
    """The released columns and period end of a combination of quasi-identifiers."""
    level = levels.get(identifiers, kanonymity.FULLY_SUPPRESSED)
    return released_identifiers(identifiers, level), released_period_end(identifiers, level)


def _case_chunk(batch: list[Row], context: _CaseRowContext) -> Chunk:
    """A batch of `_case_rows` as exported rows, with the measurement from the freeze (one
    query for the batch) or, without a freeze, from the row itself."""
    pseudonymise, freeze, levels, released, hours_bands, late_bands = context
    frozen = _frozen_measures(freeze, [row[0] for row in batch]) if freeze else {}
    (
        case_pseudonym,
        child_pseudonym,
        household_pseudonym,
        school_pseudonym,
        professional_pseudonym,
    ) = (pseudonymise.of_kind(kind) for kind in CASE_PSEUDONYM_KINDS)
    chunk: list[tuple] = []
    append = chunk.append
    for row in batch:
        (case_id, child_id, household_id, school_id, professional_id,
         itt_arm, itt_method, corrected, deviation, arm,
         received, born, school_level, melding_type, source,
         hours_absent, times_late, stage, status) = row[:_SOURCE_WIDTH]  # fmt: skip
        identifiers = (
            age_on(born, received), school_level or "", received.year, received.month,
            melding_type, source,
        )  # fmt: skip
        known = released.get(identifiers)
        if known is None:
            known = released[identifiers] = release(identifiers, levels)
        quasi, period_end = known
        hours = hours_bands.get(hours_absent)
        if hours is None:
            hours = hours_bands[hours_absent] = band(hours_absent, HOURS_ABSENT_BANDS)
        late = late_bands.get(times_late)
        if late is None:
            late = late_bands[times_late] = band(times_late, TIMES_LATE_BANDS)
        measured = frozen.get(case_id, (None,)) if freeze else row[_SOURCE_WIDTH:]
        # QUASI_IDENTIFIERS order: age, age group, school, year, quarter, month, melding
        # type, source; the row's order: year, quarter, month, age, age group, melding
        # type, school, source.
        append(
            (
                case_pseudonym(case_id),
                child_pseudonym(child_id),
                household_pseudonym(household_id),
                school_pseudonym(school_id),
                professional_pseudonym(professional_id),
                itt_arm,
                itt_method,
                int(corrected),
                int(deviation),
                arm,
                quasi[3],
                quasi[4],
                quasi[5],
                quasi[0],
                quasi[1],
                quasi[6],
                quasi[2],
                quasi[7],
                hours,
                late,
                stage,
                status,
                *exported_measures(measured[0], measured[1:], received, period_end),
            )
        )
    return chunk


def case_chunks(
    pseudonymise: Pseudonymiser,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    freeze: DataFreeze | None = None,
    period: MonthPeriod | None = None,
    plan: GeneralisationPlan | None = None,
) -> Iterator[Chunk]:
    """The cases in `period`, with their measurement from `freeze` (one query per chunk), or
    from the daily snapshot (joined) when `freeze` is None. A case the source has not measured
    is `niet_gemeten`. The quasi-identifiers are released as `plan` says (computed here when
    not given)."""
    if plan is None:
        plan = cases_plan(period)
    rows = _case_rows(period, chunk_size, freeze)
    context = _CaseRowContext(pseudonymise, freeze, plan.levels, {}, {}, {})
    for batch in _batched(rows, chunk_size):
        yield _case_chunk(batch, context)


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
        "weken_sinds_melding",
        _("Weken sinds de melding"),
        _("geheel getal"),
        _(
            "Hele weken van de datum van de melding tot de dag van het contact (Nederlandse "
            "tijd; dagen gedeeld door 7, naar beneden afgerond)."
        ),
    ),
    _boolean("cautie", _("Cautie gegeven")),
)


def contacts_queryset(period: MonthPeriod | None = None) -> QuerySet:
    return _in_period(Contact.objects.exclude(case__arm=""), "case__date_received", period)


# The columns of a contact as the export reads them (after its id), in `contact_chunks`' order.
CONTACT_SOURCE_COLUMNS = (
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


def contact_source_rows(period: MonthPeriod | None) -> QuerySet:
    """The contacts about cases referred in `period` in id order, with the case's allocated
    arm: the id, then CONTACT_SOURCE_COLUMNS. The COPY of the contacts on PostgreSQL
    (`postgres_rows.contact_rows_sql`) selects from it too."""
    return (
        with_initial_allocation(contacts_queryset(period), "case")
        .annotate(itt_arm=allocated_arm("case"))
        .order_by("pk")
        .values_list("pk", *CONTACT_SOURCE_COLUMNS)
    )


def _contact_rows(period: MonthPeriod | None, chunk_size: int) -> Iterator[Row]:
    """The rows of `contact_source_rows` without their id. Read `chunk_size` at a time."""
    return (row[1:] for row in contact_source_rows(period).iterator(chunk_size=chunk_size))


def contact_chunks(
    pseudonymise: Pseudonymiser,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    freeze: DataFreeze | None = None,
    period: MonthPeriod | None = None,
    plan: GeneralisationPlan | None = None,
) -> Iterator[Chunk]:
    rows = _contact_rows(period, chunk_size)
    case_pseudonym = pseudonymise.of_kind(pseudonyms.CASE)
    professional_pseudonym = pseudonymise.of_kind(pseudonyms.PROFESSIONAL)
    for batch in _batched(rows, chunk_size):
        yield [
            (
                case_pseudonym(case_id),
                professional_pseudonym(professional_id),
                arm,
                as_treated,
                organisation,
                role,
                kind,
                with_whom,
                channel,
                duration,
                weeks((_local_date(occurred_at) - received).days),
                int(caution),
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
        definition=_(
            "HMAC-SHA256 van het interne id van het antwoord met de geheime sleutel van deze "
            "studie."
        ),
        width=pseudonyms.PSEUDONYM_HEX_CHARS,
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
        width=pseudonyms.PSEUDONYM_HEX_CHARS,
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
        "weken_sinds_melding",
        _("Weken van de melding tot het invullen"),
        ZERO_OR_MORE,
        _(
            "Bij een kind of ouder: hele weken van de datum van de melding tot de dag van "
            "invullen (naar beneden afgerond). Niet van toepassing (-3) bij een medewerker."
        ),
        missing=(NOT_APPLICABLE_CODE,),
    ),
    _integer("ingevuld_jaar", _("Jaar van invullen"), _("jaartal"), measure=ORDINAL),
    _integer("ingevuld_maand", _("Maand van invullen"), _("1 tot en met 12"), measure=ORDINAL),
)


def survey_queryset(period: MonthPeriod | None = None) -> QuerySet:
    """Responses of children and parents whose case was referred in `period`, and staff
    responses submitted in it."""
    responses = SurveyResponse.objects.all()
    if period is None:
        return responses
    start, end = period.first_day, period.last_day
    return responses.filter(
        Q(invitation__case__date_received__gte=start, invitation__case__date_received__lte=end)
        | Q(
            respondent_type=RespondentType.STAFF,
            submitted_at__date__gte=start,
            submitted_at__date__lte=end,
        )
    )


# The columns of a response as the export reads them, in `survey_chunks`' order.
SURVEY_SOURCE_COLUMNS = (
    "pk",
    "respondent_type",
    "study_arm",
    "grade",
    "submitted_at",
    "invitation__case_id",
    "invitation__case__date_received",
)


def survey_source_rows(period: MonthPeriod | None) -> QuerySet:
    """The responses of `survey_queryset` in id order with the arm they count in:
    SURVEY_SOURCE_COLUMNS. The COPY of the responses on PostgreSQL
    (`postgres_rows.survey_rows_sql`) selects from it too."""
    return (
        with_initial_allocation(survey_queryset(period), "invitation__case")
        .annotate(study_arm=response_arm())
        .order_by("pk")
        .values_list(*SURVEY_SOURCE_COLUMNS)
    )


def survey_chunks(
    pseudonymise: Pseudonymiser,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    freeze: DataFreeze | None = None,
    period: MonthPeriod | None = None,
    plan: GeneralisationPlan | None = None,
) -> Iterator[Chunk]:
    """Survey responses; a child's or parent's response counts in the case's allocated
    (intention-to-treat) arm, as in the report, not in the arm at submission."""
    rows = survey_source_rows(period).iterator(chunk_size=chunk_size)
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
                    weeks((submitted_on - received).days)
                    if is_client and received
                    else NOT_APPLICABLE_CODE,
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
        plan=cases_plan,
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
