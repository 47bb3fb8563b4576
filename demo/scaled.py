"""The demo world's cases, generated: `manage.py seed_demo` and `seed_demo --cases N`.

The generator draws the course of each referral (who is referred, the route through the chain,
the contacts of each stage, the outcome) from one `random.Random(seed)` and today's date, so one
seed on one day gives one world. It decides with the product's own rules rather than copies of
them:

- stage moves: `STAGE_TRANSITIONS` (cases/constants.py); a route the map refuses stops the seed;
- contacts: every contact is checked with `roles.acts.act_violations` (memoised per combination);
  a contact the rules refuse stops the seed;
- study arms: `evaluation.services.SequenceCursor` and `stratum_key`, continuing the app's
  own randomisation sequences (so ALLOCATION_SECRET and ALLOCATION_BLOCK_SIZES apply);
- case numbers: `case_numbers_reserve`; deadlines: `three_month_deadline`; ages: `age_on`;
  the registration reason: `cases.services.referrals.REGISTERED_REASON`.

A small world (up to SERVICE_MAX_CASES) is not written but replayed through the services
(demo/replay.py). Referrals are generated in date order, so case numbers and randomisation
positions run with the calendar, and a larger world is written in chunks with primary keys
assigned here (demo/rows.py): COPY on PostgreSQL, executemany elsewhere. `demo/checks.py`
replays a sample of the written cases through the same rule functions; the tests run it on
every generated world.
"""

from __future__ import annotations

import datetime
import gc
import hashlib
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from cases.constants import (
    HALT_HOURS,
    HALT_MAX_AGE,
    HALT_MIN_AGE,
    HALT_PARENT_CONSENT_BELOW_AGE,
    HALT_TIMES_LATE,
    MAX_SCHOOL_AGE,
    STAGE_TRANSITIONS,
    SUITABLE_OUTCOMES,
    AssignmentReason,
    CaseSource,
    CaseStatus,
    GuardianRelation,
    HaltResult,
    MeldingType,
    OutcomeCategory,
    PlanChangeKind,
    PlanOwner,
    SchoolLevel,
    Stage,
)
from cases.models import Case, Child, School, age_on, three_month_deadline
from cases.names import split_tussenvoegsel
from cases.services.numbers import case_numbers_reserve
from cases.services.referrals import REGISTERED_REASON
from evaluation.constants import (
    CLIENT_ITEMS,
    STAFF_ITEMS,
    AllocationMethod,
    Arm,
    RespondentType,
    SurveyItem,
)
from evaluation.services import (
    Draw,
    SequenceCursor,
    sequence_cursors_load,
    sequence_cursors_save,
    stratum_key,
)
from roles.acts import MIN_AGE_PUPIL_HEARD, act_violations
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

from .reference import (
    BOY_NAMES,
    FATHER_NAMES,
    GIRL_NAMES,
    LAST_NAMES,
    MOTHER_NAMES,
    NATIONAL_CITIES,
    REGION_CITIES,
    REGIONAL_MAX_CASES,
    STREETS,
    StaffMember,
    StaffPools,
    ensure_reference_data,
    ensure_scaled_reference_data,
    staff_pools,
)
from .replay import ServiceReplay, mail_in_memory
from .rows import (
    AllocationDrawRow,
    AllocationRow,
    AssignmentRow,
    CaseRow,
    ChildRow,
    ContactRow,
    GuardianRow,
    HouseholdPlanRow,
    HouseholdRow,
    OutcomeRow,
    PlanActionRow,
    PlanChangeRow,
    PlanGoalRow,
    RowSink,
    SeedError,
    Sink,
    StageChangeRow,
    SurveyAnswerRow,
    SurveyInvitationRow,
    SurveyResponseRow,
    reset_case_world,
)

DEFAULT_CASES = 300
# Up to this many cases the world is built through the services (demo/replay.py): the real
# history, audit and allocation rows, at about 25 cases a second; a larger one is bulk-written.
SERVICE_MAX_CASES = 1_000
DEFAULT_SEED = 2018
CHUNK_CASES = 50_000
# From this size on PostgreSQL, indexes and foreign keys are rebuilt after loading.
BULK_LOAD_MIN_CASES = 20_000

_L, _H, _R = Stage.LEERPLICHT, Stage.HALT, Stage.RVDK
UTC = datetime.UTC

# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------

# Relative referral volume per calendar month: a sharp autumn peak, quiet summer.
MONTH_WEIGHTS = {
    1: 1.0, 2: 0.8, 3: 0.9, 4: 0.6, 5: 0.7, 6: 0.6, 7: 0.15, 8: 0.2,
    9: 2.0, 10: 2.4, 11: 2.4, 12: 1.5,
}  # fmt: skip
AUTUMN = frozenset({9, 10, 11, 12})

MELDING_WEIGHTS = (
    (MeldingType.ZESTIEN_UUR, 42),
    (MeldingType.OVERIG, 22),
    (MeldingType.LRV, 15),
    (MeldingType.LUXE, 14),
    (MeldingType.ABSOLUUT, 7),
)
LEVEL_WEIGHTS: dict[str, tuple[tuple[SchoolLevel, int], ...]] = {
    MeldingType.ZESTIEN_UUR: ((SchoolLevel.VO, 62), (SchoolLevel.MBO, 18), (SchoolLevel.PO, 10),
                              (SchoolLevel.SO, 10)),
    MeldingType.OVERIG: ((SchoolLevel.VO, 60), (SchoolLevel.PO, 20), (SchoolLevel.MBO, 12),
                         (SchoolLevel.SO, 8)),
    MeldingType.LUXE: ((SchoolLevel.PO, 45), (SchoolLevel.VO, 45), (SchoolLevel.MBO, 5),
                       (SchoolLevel.SO, 5)),
    MeldingType.LRV: ((SchoolLevel.VO, 55), (SchoolLevel.SO, 20), (SchoolLevel.MBO, 15),
                      (SchoolLevel.PO, 10)),
}  # fmt: skip
# Age at referral per school level (absolute absence: no school).
AGES = {
    SchoolLevel.PO: (5, 6, 7, 8, 8, 9, 9, 10, 10, 11, 11, 11),
    SchoolLevel.VO: (12, 13, 13, 14, 14, 14, 15, 15, 15, 16, 16, 17),
    SchoolLevel.SO: (6, 8, 10, 11, 12, 13, 14, 14, 15, 15, 16, 17),
    SchoolLevel.MBO: (16, 16, 17),
    None: (6, 9, 12, 13, 14, 15, 15, 16, 16, 17, 17),
}
SOURCE_WEIGHTS = ((CaseSource.DUO, 80), (CaseSource.SCHOOL, 12), (CaseSource.KETENPARTNER, 5),
                  (CaseSource.OVERIG, 3))  # fmt: skip
# Chance that a referral leads to a PV and the RvdK without a Halt attempt first.
RVDK_CHANCE: dict[str, float] = {
    MeldingType.LRV: 0.22,
    MeldingType.ABSOLUUT: 0.12,
    MeldingType.ZESTIEN_UUR: 0.06,
    MeldingType.LUXE: 0.05,
    MeldingType.OVERIG: 0.04,
}
SUITABLE_WEIGHTS = ((OutcomeCategory.BACK_TO_SCHOOL, 55), (OutcomeCategory.OTHER_SCHOOL, 15),
                    (OutcomeCategory.CARE, 22), (OutcomeCategory.EXEMPTION, 8))  # fmt: skip
UNSUITABLE_WEIGHTS = ((OutcomeCategory.NOT_SUITABLE, 60), (OutcomeCategory.MOVED, 40))
# Client statements the BIP approach is meant to move: one story, one contact person.
BIP_CLIENT_BONUS = frozenset({SurveyItem.STORY_ONCE, SurveyItem.KNEW_CONTACT})
# Mean staff score per statement: (control, BIP). BIPs learn more but find their role less clear.
STAFF_MEANS = {
    SurveyItem.WORKLOAD: (3.0, 3.3),
    SurveyItem.JOB_SATISFACTION: (3.6, 4.0),
    SurveyItem.LEARNING: (3.2, 4.1),
    SurveyItem.ROLE_CLARITY: (4.2, 3.6),
}

CLOSING_REASONS: dict[str, str] = {
    OutcomeCategory.BACK_TO_SCHOOL: "Zaak afgesloten: de leerling gaat weer naar school.",
    OutcomeCategory.OTHER_SCHOOL: "Zaak afgesloten: passende plek op een andere school.",
    OutcomeCategory.CARE: "Zaak afgesloten: passende hulp is gestart.",
    OutcomeCategory.EXEMPTION: "Zaak afgesloten: vrijstelling met passend traject.",
    OutcomeCategory.NOT_SUITABLE: "Zaak afgesloten zonder passend onderwijs of zorg.",
    OutcomeCategory.MOVED: "Zaak afgesloten: het gezin is buiten de regio verhuisd.",
    OutcomeCategory.CRIMINAL: "Zaak afgesloten: strafrechtelijk afgedaan door het OM.",
}
STAGE_REASONS: dict[tuple[str, str], str] = {
    (_L, _H): "Verwezen naar Halt: leerling en ouders stemmen in met de Halt-afdoening.",
    (_H, _L): "Halt-afdoening niet gelukt: terug naar Leerplicht.",
    (_L, _R): "Proces-verbaal opgemaakt; kopie naar de Raad voor de Kinderbescherming.",
}
HANDOVER_NOTES: dict[str, str] = {
    _L: "Terug naar Leerplicht na de Halt-afdoening.",
    _H: "Overdracht aan Halt na verwijzing door Leerplicht.",
    _R: "Overdracht aan de Raad na het proces-verbaal.",
}

SUMMARIES = {
    ContactKind.VERZUIMGESPREK: (
        "Verzuim besproken; afspraken gemaakt over aanwezigheid.",
        "Oorzaak van het verzuim in kaart gebracht.",
        "Gesprek over schoolgang en thuissituatie.",
    ),
    ContactKind.HUISBEZOEK: ("Huisbezoek afgelegd; situatie thuis besproken.",),
    ContactKind.SCHOOLOVERLEG: (
        "Afgestemd met mentor en zorgcoördinator.",
        "Aanwezigheid en rooster besproken met school.",
    ),
    ContactKind.WAARSCHUWING: ("Schriftelijke waarschuwing gegeven.",),
    ContactKind.VERHOOR: ("Verhoor afgenomen; cautie gegeven.",),
    ContactKind.PROCES_VERBAAL: ("Proces-verbaal opgemaakt en ingestuurd naar het OM.",),
    ContactKind.ZORGMELDING: ("Zorgmelding gedaan.",),
    ContactKind.VRIJWILLIGE_HULP: ("Toeleiding naar vrijwillige hulp besproken en ingezet.",),
    ContactKind.HALT_INTAKE: ("Intake met leerling en ouders; Halt-afspraken vastgelegd.",),
    ContactKind.LEEROPDRACHT: ("Leeropdracht over schoolverzuim uitgevoerd.",),
    ContactKind.HALT_GESPREK: ("Gesprek over de voortgang van de Halt-afdoening.",),
    ContactKind.WERKOPDRACHT: ("Werkopdracht uitgevoerd.",),
    ContactKind.EXCUSES: ("Excuses aangeboden aan school.",),
    ContactKind.HALT_AFSLUITING: ("Halt-afdoening besproken en afgesloten.",),
    ContactKind.RAADSONDERZOEK_GESPREK: (
        "Gesprek in het kader van het raadsonderzoek.",
        "Informatie verzameld voor het raadsonderzoek.",
    ),
    ContactKind.STRAFADVIES: ("Strafadvies uitgebracht.",),
    ContactKind.BESCHERMINGSONDERZOEK: ("Gesprek beschermingsonderzoek.",),
    ContactKind.TELEFONISCH_CONTACT: ("Kort telefonisch contact.", "Afspraak bevestigd."),
    ContactKind.KETENOVERLEG: ("Casus besproken in het ketenoverleg.",),
}
# (minimum, maximum) minutes per kind.
DURATIONS = {
    ContactKind.VERZUIMGESPREK: (30, 60),
    ContactKind.HUISBEZOEK: (45, 90),
    ContactKind.SCHOOLOVERLEG: (15, 45),
    ContactKind.WAARSCHUWING: (15, 30),
    ContactKind.VERHOOR: (30, 75),
    ContactKind.PROCES_VERBAAL: (30, 90),
    ContactKind.ZORGMELDING: (20, 45),
    ContactKind.VRIJWILLIGE_HULP: (30, 60),
    ContactKind.HALT_INTAKE: (45, 75),
    ContactKind.LEEROPDRACHT: (60, 240),
    ContactKind.HALT_GESPREK: (30, 60),
    ContactKind.WERKOPDRACHT: (120, 300),
    ContactKind.EXCUSES: (15, 45),
    ContactKind.HALT_AFSLUITING: (30, 45),
    ContactKind.RAADSONDERZOEK_GESPREK: (45, 90),
    ContactKind.STRAFADVIES: (60, 120),
    ContactKind.BESCHERMINGSONDERZOEK: (60, 120),
    ContactKind.TELEFONISCH_CONTACT: (5, 20),
    ContactKind.KETENOVERLEG: (30, 60),
}
CHANNELS = {
    ContactKind.SCHOOLOVERLEG: (Channel.IN_PERSON, Channel.PHONE, Channel.VIDEO),
    ContactKind.WAARSCHUWING: (Channel.WRITTEN, Channel.IN_PERSON),
    ContactKind.PROCES_VERBAAL: (Channel.WRITTEN,),
    ContactKind.ZORGMELDING: (Channel.WRITTEN, Channel.PHONE),
    ContactKind.STRAFADVIES: (Channel.WRITTEN,),
    ContactKind.TELEFONISCH_CONTACT: (Channel.PHONE,),
    ContactKind.KETENOVERLEG: (Channel.VIDEO, Channel.IN_PERSON),
}
DEFAULT_CHANNELS = (Channel.IN_PERSON,) * 5 + (Channel.VIDEO,)
# Mobile numbers 06-10000000 up to here are valid Dutch numbers (06-7x and up are not issued,
# and guardian_add refuses them).
MOBILE_END = 60_000_000

PLAN_GOALS = (
    "Alle kinderen gaan weer elke dag naar school.",
    "Een vast ochtendritme in het gezin.",
    "Passende hulp voor de ouders bij opvoedvragen.",
    "Schuldhulp is gestart en de stress thuis neemt af.",
    "Een passende school- of zorgplek voor de oudste.",
    "Goede afspraken tussen school en ouders over ziekmelden.",
)
PLAN_ACTIONS = (
    (PlanOwner.PROFESSIONAL, "Overleg plannen met school en ouders."),
    (PlanOwner.PROFESSIONAL, "Aanmelding bij het wijkteam regelen."),
    (PlanOwner.PARENTS, "Ziekmeldingen voortaan vóór 8.30 uur doorgeven aan school."),
    (PlanOwner.PARENTS, "Afspraak maken met de huisarts."),
    (PlanOwner.CHILD, "Elke ochtend om 7.30 uur opstaan en op tijd vertrekken."),
    (PlanOwner.SCHOOL, "Wekelijks aanwezigheidsoverzicht delen met het gezin."),
    (PlanOwner.OTHER, "Intake bij jeugdhulpaanbieder."),
)

# --------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------


class _NumberSource:
    """Unique, valid nine-digit numbers with the 11-proef, in a seed-dependent random order.

    The eight digits before the check digit are a fixed `prefix` plus free digits. A counter
    runs through the free digits' range and a keyed Feistel permutation (a bijection on that
    range) scrambles it, so the numbers look random yet never repeat and no set of issued
    numbers is kept. The weighted digit sum comes from two lookup tables.
    """

    ROUNDS = 4

    def __init__(self, *, prefix: str, remainder: int, key: int, taken: set[str]) -> None:
        weights = range(9, 1, -1)
        free = 8 - len(prefix)
        if free % 2:
            raise ValueError("The free digits must split into two halves.")
        self.prefix = prefix
        self.free = free
        self.half = 10 ** (free // 2)
        self.keys = [(key >> (8 * i)) & 0xFFFF for i in range(self.ROUNDS)]
        self.counter = 0
        self.remainder = remainder
        self.taken = taken
        self.prefix_sum = sum(w * int(d) for w, d in zip(weights, prefix, strict=False))
        middle = len(prefix) + free // 2
        self.high_table = self._table(weights[len(prefix) : middle])
        self.low_table = self._table(weights[middle:])

    @staticmethod
    def _table(weights: range) -> list[int]:
        size = len(weights)
        return [
            sum(w * int(d) for w, d in zip(weights, f"{n:0{size}d}", strict=True))
            for n in range(10**size)
        ]

    def next(self) -> str:
        half = self.half
        while True:
            if self.counter >= half * half:
                raise SeedError("De nummerruimte voor BSN's of onderwijsnummers is op.")
            high, low = divmod(self.counter, half)
            self.counter += 1
            for round_key in self.keys:
                high, low = low, (high + (low * 40_503 + round_key) % 65_521) % half
            check = (
                self.prefix_sum + self.high_table[high] + self.low_table[low] - self.remainder
            ) % 11
            if check > 9:
                continue
            number = f"{self.prefix}{high * half + low:0{self.free}d}{check}"
            if number[0] == "0" or number in self.taken:
                continue
            return number


def _mail_name(name: str) -> str:
    """The first name as the local part of an address: 'Ayşe Yılmaz' -> 'ayse' (an address
    with 'ş' is refused by guardian_add's e-mail check)."""
    first = unicodedata.normalize("NFKD", name.split(" ")[0].lower())
    return first.encode("ascii", "ignore").decode()


def _postcode(randint: Callable[[int, int], int], low: int, high: int) -> str:
    """A valid postcode in a city's range (stdnum rejects SA, SD and SS)."""
    while True:
        letters = chr(65 + randint(0, 25)) + chr(65 + randint(0, 25))
        if letters not in ("SA", "SD", "SS"):
            return f"{randint(low, high)} {letters}"


# --------------------------------------------------------------------------------------------
# The case world
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Child:
    id: int
    first_name: str
    date_of_birth: datetime.date
    school_id: int | None
    level: str | None
    last_received: datetime.date
    had_halt: bool = False


@dataclass(slots=True)
class _Household:
    id: int
    last_name: str
    mother: str
    father: str | None
    phone: str
    children: list[_Child]
    bip_professional: StaffMember | None = None
    has_plan: bool = False


class _Segment(NamedTuple):
    """One stage of a course: when the case enters it and the span of its contacts."""

    stage: str
    entered_on: datetime.date
    first_contact_day: datetime.date
    last_contact_day: datetime.date


@dataclass(slots=True)
class _Referral:
    """The facts of a referral its course depends on."""

    case_id: int
    registered_at: datetime.datetime
    melding: str
    hours_absent: int
    times_late: int
    arm: str


@dataclass(slots=True)
class _CaseState:
    """The case columns its course changes; written once the course is known."""

    updated_at: datetime.datetime
    stage: str = _L
    status: str = CaseStatus.OPEN
    professional_id: int | None = None
    closed_on: datetime.date | None = None
    version: int = 1
    handover_requested_at: datetime.datetime | None = None


@dataclass
class SeedReport:
    cases: int
    counts: dict[str, int]  # rows written per model label
    skipped: bool = False


def thousands(number: int) -> str:
    """1234567 -> '1.234.567', the Dutch way."""
    return f"{number:,}".replace(",", ".")


def _school_year_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def window_start(today: datetime.date) -> datetime.date:
    """The first referral date: 1 August two school years before the current one.

    The world holds the last two complete school years (for year-on-year evaluation figures)
    and the current school year up to today (for open cases and the coordinator's queue).
    """
    current = _school_year_start(today)
    return current.replace(year=current.year - 2)


def birth_date(day: datetime.date, *, age: int, days_before: int) -> datetime.date:
    """A date of birth that makes a child `age` on `day`: `days_before` (0-364) days before
    their `age`th birthday falling on `day`.

    29 February has no anniversary in most years, so it counts from 28 February; every other
    day keeps its date. (An earlier version moved every 29th to the 28th, so a child could be
    referred on their 18th birthday, which `referral_problems` refuses: demo/checks.py found it.)
    """
    leap_day = (day.month, day.day) == (2, 29)
    anniversary = day.replace(year=day.year - age, day=28 if leap_day else day.day)
    return anniversary - datetime.timedelta(days=days_before)


def _weighted(pairs: Iterable[tuple[Any, float]]) -> tuple[tuple, tuple]:
    """(values, cumulative weights) for random.choices."""
    listed = tuple(pairs)
    values = tuple(value for value, _ in listed)
    cumulative: list[float] = []
    total = 0.0
    for _, weight in listed:
        total += weight
        cumulative.append(total)
    return values, tuple(cumulative)


class _WorldBuilder:
    """Generates the referrals day by day and hands rows to the sink in chunks."""

    RESERVOIR = 50_000  # households that later referrals can draw siblings from

    def __init__(
        self,
        *,
        rng: random.Random,
        case_count: int,
        pools: StaffPools,
        sink: Sink,
        progress: Callable[[str], None],
        reserve_case_numbers: bool = True,
    ) -> None:
        self.rng = rng
        uniform = rng.random

        # random.randint and random.choice cost ~1.5 us each in pure Python; these draw from
        # the same generator (so the world stays reproducible) at a tenth of the cost.
        def randint(low: int, high: int) -> int:
            return low + int(uniform() * (high - low + 1))

        def choice(options: Sequence[Any]) -> Any:
            return options[int(uniform() * len(options))]

        self.randint = randint
        self.choice = choice
        self.deadlines: dict[datetime.date, datetime.date] = {}
        self.case_count = case_count
        self.pools = pools
        self.sink = sink
        self.progress = progress
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.yesterday = self.today - datetime.timedelta(days=1)
        self.first_day = window_start(self.today)
        self.cities = REGION_CITIES if case_count <= REGIONAL_MAX_CASES else NATIONAL_CITIES
        self.city_weights = _weighted((city, city.weight) for city in self.cities)
        self.reservoir: list[_Household] = []
        self.households_seen = 0
        # Study-arm allocation continues the app's own randomisation sequences.
        self.sequences: dict[str, SequenceCursor] = sequence_cursors_load()
        # Case numbers are reserved here for the bulk path; through the services the
        # registration draws each one itself (CaseRow.number stays empty).
        self.reserve_case_numbers = reserve_case_numbers
        self.case_numbers: dict[int, Iterator[str]] = {}
        self.cases_written = 0
        self.cases_generated = 0
        self.allowed_acts: set[tuple[str, str, str, bool, int]] = set()

        schools: dict[str | None, list[int]] = {level: [] for level in SchoolLevel.values}
        for school_id, level in School.objects.order_by("id").values_list("id", "level"):
            schools[level].append(school_id)
        if not all(schools.values()):
            raise SeedError("Er is geen school voor elke onderwijssoort.")
        self.schools = schools

        taken_bsn = {number for number in Child.objects.values_list("bsn", flat=True) if number}
        taken_onr = {
            number for number in Child.objects.values_list("onderwijsnummer", flat=True) if number
        }
        self.bsns = _NumberSource(prefix="", remainder=0, key=rng.getrandbits(32), taken=taken_bsn)
        # An onderwijsnummer starts with 10 and its 11-proef leaves remainder 5.
        self.onderwijsnummers = _NumberSource(
            prefix="10", remainder=5, key=rng.getrandbits(32), taken=taken_onr
        )

        self.meldingen = _weighted(MELDING_WEIGHTS)
        self.levels = {melding: _weighted(pairs) for melding, pairs in LEVEL_WEIGHTS.items()}
        self.sources = _weighted(SOURCE_WEIGHTS)
        self.suitable = _weighted(SUITABLE_WEIGHTS)
        self.unsuitable = _weighted(UNSUITABLE_WEIGHTS)

        # Row buffers, looked up once.
        self.households = sink.rows(HouseholdRow)
        self.children = sink.rows(ChildRow)
        self.guardians = sink.rows(GuardianRow)
        self.cases = sink.rows(CaseRow)
        self.allocations = sink.rows(AllocationRow)
        self.allocation_draws = sink.rows(AllocationDrawRow)
        self.stage_changes = sink.rows(StageChangeRow)
        self.assignments = sink.rows(AssignmentRow)
        self.contacts = sink.rows(ContactRow)
        self.outcomes = sink.rows(OutcomeRow)
        self.plans = sink.rows(HouseholdPlanRow)
        self.goals = sink.rows(PlanGoalRow)
        self.actions = sink.rows(PlanActionRow)
        self.plan_changes = sink.rows(PlanChangeRow)
        self.invitations = sink.rows(SurveyInvitationRow)
        self.responses = sink.rows(SurveyResponseRow)
        self.answers = sink.rows(SurveyAnswerRow)

    # -- calendar ------------------------------------------------------------------------------

    def _referral_days(self) -> list[tuple[datetime.date, int]]:
        """How many referrals arrive on each working day of the window, autumn-heavy."""
        days, weights = [], []
        day = self.first_day
        while day <= self.today:
            if day.weekday() < 5:
                days.append(day)
                weights.append(MONTH_WEIGHTS[day.month])
            day += datetime.timedelta(days=1)
        per_day = Counter(self.rng.choices(range(len(days)), weights, k=self.case_count))
        return [(days[i], per_day[i]) for i in sorted(per_day)]

    def _reserve_case_numbers(self, schedule: list[tuple[datetime.date, int]]) -> None:
        per_year: Counter[int] = Counter()
        for day, count in schedule:
            per_year[day.year] += count
        for year, count in sorted(per_year.items()):
            self.case_numbers[year] = iter(case_numbers_reserve(year=year, count=count))

    def _deadline(self, day: datetime.date) -> datetime.date:
        deadline = self.deadlines.get(day)
        if deadline is None:
            deadline = self.deadlines[day] = three_month_deadline(day)
        return deadline

    def _pick(self, weighted: tuple[tuple, tuple]) -> Any:
        values, cumulative = weighted
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def _at(self, day: datetime.date, earliest: int = 390, latest: int = 930) -> datetime.datetime:
        """A moment on `day` between two UTC minute marks (06:30-15:30 UTC by default)."""
        minute = self.randint(earliest, latest)
        return datetime.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=UTC
        )

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> None:
        started = time.monotonic()
        schedule = self._referral_days()
        if self.reserve_case_numbers:
            self._reserve_case_numbers(schedule)
        # The newest referrals wait in the coordinator's queue, whatever the season.
        self.queue_from = self.case_count - max(3, self.case_count // 100)
        self.allocated_until = self.case_count - max(1, self.case_count // 1000)
        pending = 0
        latest = self.now - datetime.timedelta(minutes=5)
        for day, count in schedule:
            # A day's referrals are registered in the order they are generated, so the
            # case numbers and the study-arm draws run with the clock (demo/replay.py
            # registers them through the services in time order and must draw the same arms).
            moments = sorted(min(self._at(day, 360, 600), latest) for _ in range(count))
            for registered_at in moments:
                self._referral(day, registered_at)
            pending += count
            if pending >= CHUNK_CASES:
                self._flush(started)
                pending = 0
        self._staff_surveys()
        self._flush(started)

    def _flush(self, started: float) -> None:
        written = len(self.cases)
        self.sink.flush()
        self.cases_written += written
        if self.case_count >= CHUNK_CASES:
            self.progress(
                f"  {thousands(self.cases_written):>9} / {thousands(self.case_count)} zaken "
                f"({time.monotonic() - started:.0f} s)"
            )

    # -- who is referred -----------------------------------------------------------------------

    def _referral(self, day: datetime.date, registered_at: datetime.datetime) -> None:
        rng = self.rng
        household = child = None
        melding = None
        pick = rng.random()
        if pick < 0.05 and self.reservoir:
            household = self.choice(self.reservoir)
            child = self._repeat_child(household, day)
            if child is None:
                household = None
            else:
                melding = self._pick(self.meldingen)
                if melding == MeldingType.ABSOLUUT:
                    melding = MeldingType.ZESTIEN_UUR
        elif pick < 0.20 and self.reservoir:
            household = self.choice(self.reservoir)
            if len(household.children) >= 3:
                household = None
        if melding is None:
            melding = self._pick(self.meldingen)
        if household is None:
            household = self._new_household(day)
        if child is None:
            child = self._new_child(household, day, melding)
        self._case(household, child, day, melding, registered_at)

    def _repeat_child(self, household: _Household, day: datetime.date) -> _Child | None:
        for child in household.children:
            if (
                child.school_id is not None
                and (day - child.last_received).days > 150
                and age_on(child.date_of_birth, day) <= MAX_SCHOOL_AGE
            ):
                return child
        return None

    def _new_household(self, day: datetime.date) -> _Household:
        rng = self.rng
        household_id = self.sink.new_id(HouseholdRow)
        city = self._pick(self.city_weights)
        last_name = self.choice(LAST_NAMES)
        household = _Household(
            id=household_id,
            last_name=last_name,
            mother=f"{self.choice(MOTHER_NAMES)} {self.choice(LAST_NAMES)}",
            father=f"{self.choice(FATHER_NAMES)} {last_name}" if rng.random() < 0.75 else None,
            phone=f"06-{rng.randrange(10_000_000, MOBILE_END)}",
            children=[],
        )
        self.households.append(
            HouseholdRow(
                id=household_id,
                street=f"{self.choice(STREETS)} {self.randint(1, 220)}",
                postcode=_postcode(self.randint, city.first_postcode, city.last_postcode),
                city=city.name,
                created_at=self._at(day, 360, 480),
            )
        )
        # Reservoir sampling keeps a bounded, uniform pool of earlier households.
        self.households_seen += 1
        if len(self.reservoir) < self.RESERVOIR:
            self.reservoir.append(household)
        else:
            slot = rng.randrange(self.households_seen)
            if slot < self.RESERVOIR:
                self.reservoir[slot] = household
        return household

    def _new_child(self, household: _Household, day: datetime.date, melding: str) -> _Child:
        rng = self.rng
        if melding == MeldingType.ABSOLUUT:
            level, school_id = None, None
        else:
            level = self._pick(self.levels[melding])
            school_id = self.choice(self.schools[level])
        for _attempt in range(3):
            age = self.choice(AGES[level])
            date_of_birth = birth_date(day, age=age, days_before=self.randint(0, 364))
            # Siblings are born at least nine months apart.
            if all(
                abs((date_of_birth - sibling.date_of_birth).days) > 270
                for sibling in household.children
            ):
                break
        first_name = self.choice(GIRL_NAMES if rng.random() < 0.47 else BOY_NAMES)
        last_name = household.last_name
        if household.father is None and household.children and rng.random() < 0.3:
            last_name = household.mother.split(" ", 1)[1]  # a half-sibling
        child = _Child(
            id=self.sink.new_id(ChildRow),
            first_name=first_name,
            date_of_birth=date_of_birth,
            school_id=school_id,
            level=level,
            last_received=day,
        )
        roll = rng.random()
        bsn = onderwijsnummer = None
        if roll < 0.96:
            bsn = self.bsns.next()
        elif roll < 0.99:
            onderwijsnummer = self.onderwijsnummers.next()
        self.children.append(
            ChildRow(
                id=child.id,
                first_name=first_name,
                # "de Vries" -> "de", "Vries": the tussenvoegsel is its own field.
                tussenvoegsel=split_tussenvoegsel(last_name)[0],
                last_name=split_tussenvoegsel(last_name)[1],
                date_of_birth=date_of_birth,
                bsn=bsn,
                onderwijsnummer=onderwijsnummer,
                school_id=school_id,
                household_id=household.id,
                created_at=self._at(day, 390, 600),
            )
        )
        self._guardians(household, child.id)
        household.children.append(child)
        return child

    def _guardians(self, household: _Household, child_id: int) -> None:
        rng = self.rng
        new_id = self.sink.new_id
        if rng.random() < 0.03:
            self.guardians.append(
                GuardianRow(
                    id=new_id(GuardianRow),
                    household_id=household.id,
                    child_id=child_id,
                    relation=GuardianRelation.GUARDIAN,
                    has_custody=True,
                    name="Jeugdbescherming Noord-Holland (voogd)",
                    phone="023-0000000",
                    email="",
                )
            )
            return
        email = f"{_mail_name(household.mother)}.{household.id}@mail.example"
        self.guardians.append(
            GuardianRow(
                id=new_id(GuardianRow),
                household_id=household.id,
                child_id=child_id,
                relation=GuardianRelation.MOTHER,
                has_custody=True,
                name=household.mother,
                phone=household.phone,
                email=email if rng.random() < 0.6 else "",
            )
        )
        if household.father is not None:
            self.guardians.append(
                GuardianRow(
                    id=new_id(GuardianRow),
                    household_id=household.id,
                    child_id=child_id,
                    relation=GuardianRelation.FATHER,
                    has_custody=rng.random() < 0.9,
                    name=household.father,
                    phone=f"06-{rng.randrange(10_000_000, MOBILE_END)}",
                    email="",
                )
            )
        elif rng.random() < 0.1:
            self.guardians.append(
                GuardianRow(
                    id=new_id(GuardianRow),
                    household_id=household.id,
                    child_id=child_id,
                    relation=GuardianRelation.CARER,
                    has_custody=False,
                    name=f"{self.choice(FATHER_NAMES)} {self.choice(LAST_NAMES)}",
                    phone="",
                    email="",
                )
            )

    # -- the referral and its course -----------------------------------------------------------

    def _allocate(self, stratum: str) -> Draw:
        """The next draw of the stratum's sequence, by evaluation.services' own cursor."""
        cursor = self.sequences.get(stratum)
        if cursor is None:
            cursor = self.sequences[stratum] = SequenceCursor(stratum=stratum)
        return cursor.draw()

    def save_sequences(self) -> None:
        """Advance the randomisation sequences past the positions used here, so allocations
        made in the app continue where the demo world stopped."""
        sequence_cursors_save(list(self.sequences.values()))

    def _absence(
        self, melding: str, day: datetime.date
    ) -> tuple[int, int, datetime.date, datetime.date]:
        days = datetime.timedelta
        period_end = day - days(days=self.randint(0, 5))
        if melding == MeldingType.ZESTIEN_UUR:
            hours, late, span = self.randint(16, 40), self.randint(0, 6), 27
        elif melding == MeldingType.LRV:
            hours, late, span = self.randint(80, 400), 0, self.randint(30, 120)
        elif melding == MeldingType.LUXE:
            hours, late, span = self.randint(8, 45), 0, self.randint(2, 12)
        elif melding == MeldingType.OVERIG:
            hours, late, span = self.randint(0, 15), self.randint(10, 45), self.randint(14, 60)
        else:
            hours, late, span = 0, 0, self.randint(7, 60)
        return hours, late, period_end - days(days=span), period_end

    def _case(
        self,
        household: _Household,
        child: _Child,
        day: datetime.date,
        melding: str,
        registered_at: datetime.datetime,
    ) -> None:
        rng = self.rng
        sink = self.sink
        case_id = sink.new_id(CaseRow)
        number = next(self.case_numbers[day.year]) if self.reserve_case_numbers else ""
        coordinator = self.pools.coordinator_user_id
        hours, late, period_start, period_end = self._absence(melding, day)
        child.last_received = day
        days_ago = (self.today - day).days

        stratum = stratum_key(melding, child.level)
        assign_day = day + datetime.timedelta(days=self.choice((0, 0, 1, 1, 2, 3)))
        unassigned = (
            assign_day > self.yesterday
            or self.cases_generated >= self.queue_from
            or (days_ago <= 14 and rng.random() < 0.5)
        )
        self.cases_generated += 1
        # The newest referrals (and some of the last two days) are not yet allocated to an arm.
        allocated = self.cases_generated <= self.allocated_until and not (
            unassigned and days_ago <= 2 and rng.random() < 0.5
        )
        arm = ""
        if allocated:
            draw = self._allocate(stratum)
            arm = draw.arm
            allocation_id = sink.new_id(AllocationRow)
            self.allocations.append(
                AllocationRow(
                    id=allocation_id,
                    case_id=case_id,
                    arm=arm,
                    method=AllocationMethod.BLOCK_RANDOM,
                    reason="",
                    supersedes_id=None,
                    after_measurement=False,
                    actor_id=coordinator,
                    created_at=registered_at + datetime.timedelta(minutes=self.randint(1, 30)),
                )
            )
            self.allocation_draws.append(
                AllocationDrawRow(
                    id=sink.new_id(AllocationDrawRow),
                    allocation_id=allocation_id,
                    stratum=stratum,
                    sequence_position=draw.position,
                    block_number=draw.block_number,
                    block_size=draw.block_size,
                    seed=draw.seed,
                )
            )
        self.stage_changes.append(
            StageChangeRow(
                id=sink.new_id(StageChangeRow),
                case_id=case_id,
                from_stage="",
                to_stage=_L,
                from_status="",
                to_status=CaseStatus.OPEN,
                reason=REGISTERED_REASON,
                halt_result="",
                pupil_consent=None,
                parent_consent=None,
                eligibility_override=False,
                actor_id=coordinator,
                changed_at=registered_at,
            )
        )
        source = self._pick(self.sources)
        state = _CaseState(updated_at=registered_at)
        if not unassigned:
            self._course(
                state,
                _Referral(case_id, registered_at, melding, hours, late, arm),
                household,
                child,
                day,
                assign_day,
            )
        self.cases.append(
            CaseRow(
                id=case_id,
                number=number,
                child_id=child.id,
                date_received=day,
                source=source,
                melding_type=melding,
                hours_absent=hours,
                times_late=late,
                period_start=period_start,
                period_end=period_end,
                stage=state.stage,
                status=state.status,
                professional_id=state.professional_id,
                arm=arm,
                three_month_deadline=self._deadline(day),
                closed_on=state.closed_on,
                version=state.version,
                created_at=registered_at,
                updated_at=state.updated_at,
                handover_requested_at=state.handover_requested_at,
            )
        )

    def _route(
        self, child: _Child, day: datetime.date, melding: str, hours: int, late: int
    ) -> tuple[tuple[str, ...], str]:
        """The stages a referral will pass (MAS 2017), and how a Halt step ends."""
        rng = self.rng
        halt_ok = (
            age_on(child.date_of_birth, day) >= HALT_MIN_AGE
            # Still young enough when the referral to Halt is made, weeks later.
            and age_on(child.date_of_birth, day + datetime.timedelta(days=90)) <= HALT_MAX_AGE
            and not child.had_halt
            and melding in (MeldingType.ZESTIEN_UUR, MeldingType.OVERIG)
            and (
                HALT_HOURS[0] <= hours <= HALT_HOURS[1]
                or HALT_TIMES_LATE[0] <= late <= HALT_TIMES_LATE[1]
            )
        )
        if halt_ok and rng.random() < 0.45:
            child.had_halt = True
            if rng.random() < 0.9:  # "more than 90 % end positively"
                return (_L, _H), HaltResult.POSITIVE
            result = HaltResult.NEGATIVE if rng.random() < 0.7 else HaltResult.CONSENT_WITHDRAWN
            return ((_L, _H, _L, _R) if rng.random() < 0.6 else (_L, _H, _L)), result
        if rng.random() < RVDK_CHANCE[melding]:
            return (_L, _R), ""
        return (_L,), ""

    def _contact_day(
        self, first_day: datetime.date, last_day: datetime.date, offset: int
    ) -> datetime.date:
        """A working day `offset` days into a stage, kept inside the stage."""
        day = first_day + datetime.timedelta(days=offset)
        weekday = day.weekday()
        if weekday > 4:
            monday = day + datetime.timedelta(days=7 - weekday)
            friday = day - datetime.timedelta(days=weekday - 4)
            if monday <= last_day:
                day = monday
            elif friday >= first_day:
                day = friday
        return day

    def _after(self, day: datetime.date, previous: datetime.datetime) -> datetime.datetime:
        """A working-hours moment on `day`, later than `previous` (the case's last event)."""
        moment = self._at(day, 390, 840)
        if moment <= previous:
            moment = previous + datetime.timedelta(minutes=15)
        return moment

    def _course(
        self,
        state: _CaseState,
        referral: _Referral,
        household: _Household,
        child: _Child,
        day: datetime.date,
        assign_day: datetime.date,
    ) -> None:
        """Assignment, stages, contacts and closure of an assigned referral, cut off at today.

        Writes what the services write: every move a StageChange (along STAGE_TRANSITIONS); in
        the control arm a move into another organisation's stage waits (handover_requested_at)
        until the coordinator hands the case over (a new Assignment with is_handover, the
        previous one ended); contacts are logged by the case's professional in the stage's role
        and pass `act_violations`; closing writes the Outcome and a closing StageChange. The
        current assignment stays open on a closed case. Updates `state` in place.
        """
        rng = self.rng
        randint = self.randint
        sink = self.sink
        td = datetime.timedelta
        arm = referral.arm
        is_bip = arm == Arm.BIP
        case_id = referral.case_id
        cutoff = self.yesterday
        coordinator = self.pools.coordinator_user_id
        date_of_birth = child.date_of_birth
        path, halt_result = self._route(
            child, day, referral.melding, referral.hours_absent, referral.times_late
        )

        # The timeline. BIPs absorb the autumn peak; the control arm waits longer for its first
        # contact and loses days at every handover.
        speed = 0.85 if is_bip else 1.0
        wait = randint(1, 5) if is_bip else randint(2, 10)
        if not is_bip and day.month in AUTUMN:
            wait += randint(0, 10)
        segments: list[_Segment] = []
        start = assign_day + td(days=wait)
        entered = day
        for index, stage in enumerate(path):
            final = index == len(path) - 1
            if stage == _H:
                length = randint(25, 60)
            elif stage == _R:
                length = randint(40, 120)
            elif index == 0 and not final:
                length = randint(7, 28) if path[1] == _H else randint(20, 60)
            elif index == 0:
                length = 10 + min(int(rng.expovariate(1 / 40)), 200)
            else:
                length = randint(5, 25)
            end = start + td(days=max(1, int(length * speed)))
            segments.append(_Segment(stage, entered, start, end))
            entered = end
            start = end + td(days=randint(0, 3) if is_bip else randint(3, 14))
        closed_on = segments[-1].last_contact_day + td(days=randint(0, 5))

        # The first professional: a BIP (preferably the household's own) or Leerplicht staff.
        reason = AssignmentReason.INTAKE
        if is_bip:
            if household.bip_professional is not None and rng.random() < 0.8:
                holder = household.bip_professional
                reason = AssignmentReason.CONTINUITY
            else:
                holder = self.choice(self.pools.bips)
            household.bip_professional = holder
        else:
            holder = self.choice(self.pools.control[_L])
        first_holder = holder
        # After registration and the allocation minutes later.
        last_event = max(self._at(assign_day, 420, 600), referral.registered_at + td(minutes=35))
        assignment = AssignmentRow(
            id=sink.new_id(AssignmentRow),
            case_id=case_id,
            professional_id=holder.professional_id,
            started_at=last_event,
            ended_at=None,
            reason=reason,
            note="",
            is_handover=False,
            assigned_by_id=coordinator,
        )
        version = 2
        stage = _L
        waiting_since = None
        first_contact_day = None
        complete = True
        for index, segment in enumerate(segments):
            if index > 0:
                if segment.entered_on > cutoff:
                    complete = False
                    break
                to_stage = segment.stage
                if to_stage not in STAGE_TRANSITIONS[Stage(stage)]:
                    raise SeedError(f"Geen route van {stage} naar {to_stage} (STAGE_TRANSITIONS).")
                last_event = max(self._at(segment.entered_on, 935, 965), last_event + td(minutes=5))
                pupil_consent = parent_consent = None
                result = ""
                if to_stage == _H:
                    pupil_consent = True
                    if age_on(date_of_birth, segment.entered_on) < HALT_PARENT_CONSENT_BELOW_AGE:
                        parent_consent = True
                elif stage == _H:
                    result = halt_result
                self.stage_changes.append(
                    StageChangeRow(
                        id=sink.new_id(StageChangeRow),
                        case_id=case_id,
                        from_stage=stage,
                        to_stage=to_stage,
                        from_status=CaseStatus.OPEN,
                        to_status=CaseStatus.OPEN,
                        reason=STAGE_REASONS[(stage, to_stage)],
                        halt_result=result,
                        pupil_consent=pupil_consent,
                        parent_consent=parent_consent,
                        eligibility_override=False,
                        actor_id=holder.user_id,
                        changed_at=last_event,
                    )
                )
                version += 1
                stage = to_stage
                if not is_bip:
                    # Control arm: wait for the coordinator to hand over to the next organisation.
                    handover_on = segment.entered_on + td(days=randint(1, 2))
                    if handover_on > cutoff:
                        waiting_since = last_event
                        complete = False
                        break
                    last_event = self._at(handover_on, 420, 600)
                    holder = (
                        first_holder
                        if to_stage == _L
                        else self.choice(self.pools.control[to_stage])
                    )
                    self.assignments.append(assignment._replace(ended_at=last_event))
                    assignment = AssignmentRow(
                        id=sink.new_id(AssignmentRow),
                        case_id=case_id,
                        professional_id=holder.professional_id,
                        started_at=last_event,
                        ended_at=None,
                        reason=AssignmentReason.STAGE_HANDOVER,
                        note=HANDOVER_NOTES[to_stage],
                        is_handover=True,
                        assigned_by_id=coordinator,
                    )
                    version += 1

            # The contacts of this stage, by the case's professional, in the stage's role.
            next_stage = segments[index + 1].stage if index + 1 < len(segments) else None
            first_day, last_day = segment.first_contact_day, segment.last_contact_day
            script = self._script(
                stage, index, next_stage, child, first_day, referral.melding, halt_result
            )
            span = (last_day - first_day).days
            extra = len(script) - 1
            if span >= extra:
                offsets = sorted(rng.sample(range(1, span + 1), extra)) if extra else []
            else:
                offsets = sorted(randint(0, span) for _ in range(extra))
            for (kind, with_whom), offset in zip(script, [0, *offsets], strict=True):
                contact_day = self._contact_day(first_day, last_day, offset)
                if contact_day > cutoff:
                    complete = False
                    break
                caution_given = kind == ContactKind.VERHOOR
                self._check_act(
                    stage, kind, with_whom, caution_given, age_on(date_of_birth, contact_day)
                )
                occurred_at = self._after(contact_day, last_event)
                low, high = DURATIONS[kind]
                duration = randint(low, high)
                self.contacts.append(
                    ContactRow(
                        id=sink.new_id(ContactRow),
                        case_id=case_id,
                        professional_id=holder.professional_id,
                        role=stage,
                        kind=kind,
                        with_whom=with_whom,
                        channel=self.choice(CHANNELS.get(kind, DEFAULT_CHANNELS)),
                        occurred_at=occurred_at,
                        duration_minutes=duration,
                        summary=self.choice(SUMMARIES[kind]),
                        caution_given=caution_given,
                        follow_up_on=None,
                        created_at=occurred_at + td(minutes=duration + randint(5, 120)),
                        created_by_id=holder.user_id,
                    )
                )
                last_event = occurred_at
                if first_contact_day is None:
                    first_contact_day = contact_day
            if not complete:
                break
        self.assignments.append(assignment)

        state.stage = stage
        state.professional_id = holder.professional_id
        state.handover_requested_at = waiting_since
        if complete and closed_on <= cutoff:
            category = self._outcome(is_bip, stage)
            closed_at = max(self._at(closed_on, 840, 960), last_event + td(minutes=5))
            self.outcomes.append(
                OutcomeRow(
                    id=sink.new_id(OutcomeRow),
                    case_id=case_id,
                    category=category,
                    achieved_on=max(day, closed_on - td(days=randint(0, 7))),
                    recorded_by_id=holder.user_id,
                    recorded_at=closed_at,
                )
            )
            self.stage_changes.append(
                StageChangeRow(
                    id=sink.new_id(StageChangeRow),
                    case_id=case_id,
                    from_stage=stage,
                    to_stage=stage,
                    from_status=CaseStatus.OPEN,
                    to_status=CaseStatus.CLOSED,
                    reason=CLOSING_REASONS[category],
                    halt_result=HaltResult.POSITIVE if stage == _H else "",
                    pupil_consent=None,
                    parent_consent=None,
                    eligibility_override=False,
                    actor_id=holder.user_id,
                    changed_at=closed_at,
                )
            )
            state.status = CaseStatus.CLOSED
            state.closed_on = closed_on
            version += 1
            last_event = closed_at
            if closed_on <= self.today - td(days=3) and rng.random() < 0.35:
                self._client_surveys(case_id, arm, child, closed_on, category)
        elif (
            first_contact_day is not None
            and self.contacts[-1].case_id == case_id
            and waiting_since is None
            and rng.random() < 0.7
        ):
            # An open case has a follow-up planned after its latest contact (some overdue).
            last_contact = self.contacts[-1]
            self.contacts[-1] = last_contact._replace(
                follow_up_on=last_contact.occurred_at.date() + td(days=randint(7, 21))
            )
        state.version = version
        state.updated_at = max(last_event, referral.registered_at)

        if (
            first_contact_day is not None
            and not household.has_plan
            and rng.random() < (0.6 if len(household.children) > 1 else 0.08)
        ):
            self._plan(household, first_contact_day, first_holder)

    def _check_act(
        self, role: str, kind: str, with_whom: str, caution_given: bool, pupil_age: int
    ) -> None:
        """Refuse a contact `roles.acts.act_violations` refuses. Memoised: the combinations are
        few, the contacts millions. Demo professionals are sworn exactly in the Leerplicht role
        (reference.py), as `contact_log` reads from their qualifications."""
        key = (role, kind, with_whom, caution_given, pupil_age)
        if key in self.allowed_acts:
            return
        violations = act_violations(
            role=role,
            kind=kind,
            sworn=role == ChainRole.LEERPLICHT,
            caution_given=caution_given,
            with_whom=with_whom,
            pupil_age=pupil_age,
        )
        if violations:
            raise SeedError(f"Het demoscript maakt een contact dat niet mag: {key}: {violations}")
        self.allowed_acts.add(key)

    def _script(
        self,
        stage: str,
        index: int,
        next_stage: str | None,
        child: _Child,
        first_day: datetime.date,
        melding: str,
        halt_result: str,
    ) -> list[tuple[ContactKind, ContactWith]]:
        """The contacts of one stage: (kind, with whom), in order.

        The pupil is heard only from age 12 (roles/acts.py); younger, the parents are.
        """
        rng = self.rng
        K, W = ContactKind, ContactWith
        old_enough = age_on(child.date_of_birth, first_day) >= MIN_AGE_PUPIL_HEARD
        pupil = W.PUPIL_AND_PARENTS if old_enough else W.PARENTS
        heard = W.PUPIL if old_enough else W.PARENTS
        script = []
        if stage == _L and index == 0:
            script.append((K.VERZUIMGESPREK, W.PARENTS if melding == MeldingType.LUXE else pupil))
            if rng.random() < 0.5:
                script.append((K.SCHOOLOVERLEG, W.SCHOOL))
            if rng.random() < 0.25:
                script.append((K.HUISBEZOEK, W.PARENTS))
            if next_stage is None:
                roll = rng.random()
                if melding == MeldingType.LUXE and roll < 0.5:
                    script.append((K.WAARSCHUWING, W.PARENTS))
                elif roll < 0.15:
                    script.append((K.VRIJWILLIGE_HULP, W.PARENTS))
                elif roll < 0.2:
                    script.append((K.ZORGMELDING, W.PARTNER))
                elif roll < 0.5:
                    script.append((K.TELEFONISCH_CONTACT, W.PARENTS))
            elif next_stage == _H:
                script.append((K.TELEFONISCH_CONTACT, W.PARTNER))
            else:
                script.append((K.VERHOOR, heard))
                script.append((K.PROCES_VERBAAL, heard))
        elif stage == _L:
            # Back from Halt: a hearing and a PV, or a last attempt at voluntary help.
            script.append((K.TELEFONISCH_CONTACT, W.PARENTS))
            if next_stage == _R:
                script.append((K.VERHOOR, W.PUPIL))
                script.append((K.PROCES_VERBAAL, W.PUPIL))
            else:
                script.append((K.VRIJWILLIGE_HULP, W.PUPIL_AND_PARENTS))
        elif stage == _H:
            script.append((K.HALT_INTAKE, W.PUPIL_AND_PARENTS))
            script.append((K.LEEROPDRACHT, W.PUPIL))
            if rng.random() < 0.5:
                script.append((K.HALT_GESPREK, W.PUPIL))
            if halt_result == HaltResult.POSITIVE:
                if rng.random() < 0.3:
                    script.append((K.WERKOPDRACHT, W.PUPIL))
                if rng.random() < 0.6:
                    script.append((K.EXCUSES, W.SCHOOL))
            script.append((K.HALT_AFSLUITING, W.PUPIL_AND_PARENTS))
        else:
            script.append((K.RAADSONDERZOEK_GESPREK, pupil))
            if rng.random() < 0.5:
                script.append((K.RAADSONDERZOEK_GESPREK, W.SCHOOL))
            if rng.random() < 0.3:
                script.append((K.HUISBEZOEK, W.PARENTS))
            if rng.random() < 0.15:
                script.append((K.BESCHERMINGSONDERZOEK, W.PARENTS))
            script.append((K.STRAFADVIES, W.PARTNER))
        return script

    def _outcome(self, is_bip: bool, stage: str) -> str:
        rng = self.rng
        if stage == _H or rng.random() < (0.88 if is_bip else 0.78):
            return self._pick(self.suitable)
        if stage == _R and rng.random() < 0.5:
            return OutcomeCategory.CRIMINAL
        return self._pick(self.unsuitable)

    # -- plans and surveys ---------------------------------------------------------------------

    def _plan(self, household: _Household, day: datetime.date, holder: StaffMember) -> None:
        rng = self.rng
        sink = self.sink
        td = datetime.timedelta
        household.has_plan = True
        plan_id = sink.new_id(HouseholdPlanRow)
        created_at = self._at(day, 780, 900)
        last_change = created_at
        changes = []
        goals = rng.sample(range(len(PLAN_GOALS)), self.randint(1, 3))
        goal_ids = []
        for position, goal in enumerate(goals, start=1):
            goal_id = sink.new_id(PlanGoalRow)
            goal_ids.append(goal_id)
            self.goals.append(
                PlanGoalRow(
                    id=goal_id,
                    plan_id=plan_id,
                    description=PLAN_GOALS[goal],
                    position=position,
                    created_at=created_at,
                )
            )
            changes.append((PlanChangeKind.GOAL_ADDED, PLAN_GOALS[goal], created_at))
        for action in rng.sample(range(len(PLAN_ACTIONS)), self.randint(2, 4)):
            owner, description = PLAN_ACTIONS[action]
            due_on = day + td(days=self.randint(14, 60))
            done_on = None
            if due_on < self.today and rng.random() < 0.7:
                done_on = min(max(day, due_on - td(days=self.randint(0, 10))), self.yesterday)
            self.actions.append(
                PlanActionRow(
                    id=sink.new_id(PlanActionRow),
                    plan_id=plan_id,
                    goal_id=self.choice(goal_ids),
                    description=description,
                    owner=owner,
                    owner_professional_id=(
                        holder.professional_id if owner == PlanOwner.PROFESSIONAL else None
                    ),
                    due_on=due_on,
                    done_on=done_on,
                )
            )
            changes.append((PlanChangeKind.ACTION_ADDED, description, created_at))
            if done_on is not None:
                done_at = self._at(done_on, 900, 960)
                changes.append((PlanChangeKind.ACTION_DONE, description, done_at))
                last_change = max(last_change, done_at)
        for kind, description, changed_at in changes:
            self.plan_changes.append(
                PlanChangeRow(
                    id=sink.new_id(PlanChangeRow),
                    plan_id=plan_id,
                    kind=kind,
                    description=description,
                    actor_id=holder.user_id,
                    changed_at=changed_at,
                )
            )
        self.plans.append(
            HouseholdPlanRow(
                id=plan_id,
                household_id=household.id,
                created_at=created_at,
                updated_at=last_change,
                version=1 + len(changes),
            )
        )

    def _invitation_times(
        self, day: datetime.date
    ) -> tuple[datetime.datetime, datetime.datetime, datetime.datetime | None]:
        """(created_at, expires_at, submitted_at or None) of an invitation sent on `day`."""
        rng = self.rng
        created_at = self._at(day, 420, 480)
        expires_at = created_at + datetime.timedelta(days=28)
        submitted_at = None
        if rng.random() < 0.6:
            submitted_at = created_at + datetime.timedelta(minutes=self.randint(30, 14 * 24 * 60))
            if submitted_at > self.now - datetime.timedelta(hours=1):
                submitted_at = None
        return created_at, expires_at, submitted_at

    def _token_hash(self) -> str:
        # The token itself is thrown away: demo invitations cannot be opened.
        return hashlib.sha256(self.rng.randbytes(32)).hexdigest()

    def _client_surveys(
        self, case_id: int, arm: str, child: _Child, closed_on: datetime.date, category: str
    ) -> None:
        rng = self.rng
        sink = self.sink
        respondents = [RespondentType.PARENT]
        if age_on(child.date_of_birth, closed_on) >= 12:
            respondents.append(RespondentType.CHILD)
        is_bip = arm == Arm.BIP
        good = category in SUITABLE_OUTCOMES
        for respondent in respondents:
            sent_on = closed_on + datetime.timedelta(days=self.randint(1, 3))
            if sent_on > self.yesterday:
                return
            created_at, expires_at, submitted_at = self._invitation_times(sent_on)
            invitation_id = sink.new_id(SurveyInvitationRow)
            self.invitations.append(
                SurveyInvitationRow(
                    id=invitation_id,
                    respondent_type=respondent,
                    case_id=case_id,
                    professional_id=None,
                    period_start=None,
                    period_end=None,
                    token_hash=self._token_hash(),
                    created_at=created_at,
                    expires_at=expires_at,
                    used_at=submitted_at,
                )
            )
            if submitted_at is None:
                continue
            base = (7.6 if is_bip else 6.9) + (0.6 if good else -1.4)
            grade = min(10, max(1, round(rng.gauss(base, 1.2))))
            response_id = sink.new_id(SurveyResponseRow)
            self.responses.append(
                SurveyResponseRow(
                    id=response_id,
                    invitation_id=invitation_id,
                    respondent_type=respondent,
                    arm=arm,
                    grade=grade,
                    comment="",
                    submitted_at=submitted_at,
                )
            )
            for item in CLIENT_ITEMS:
                mean = 3.6 + (0.4 if good else -0.6)
                if is_bip and item in BIP_CLIENT_BONUS:
                    mean += 0.7
                score = min(5, max(1, round(rng.gauss(mean, 0.9))))
                self.answers.append(
                    SurveyAnswerRow(
                        id=sink.new_id(SurveyAnswerRow),
                        response_id=response_id,
                        item=item,
                        score=score,
                    )
                )

    def _staff_surveys(self) -> None:
        """Twice a year every professional is asked about workload, learning and roles."""
        rng = self.rng
        sink = self.sink
        periods = []  # (first day, last day); the invitation goes out the day after
        start = self.first_day
        for year in range(self.first_day.year, self.today.year + 1):
            for month, day in ((1, 31), (6, 30)):
                end = datetime.date(year, month, day)
                if start < end < self.yesterday:
                    periods.append((start, end))
                    start = end + datetime.timedelta(days=1)
        for member in self.pools.all_professionals:
            is_bip = member.is_bip
            arm = Arm.BIP if is_bip else Arm.CONTROL
            for start, end in periods:
                created_at, expires_at, submitted_at = self._invitation_times(
                    end + datetime.timedelta(days=1)
                )
                invitation_id = sink.new_id(SurveyInvitationRow)
                self.invitations.append(
                    SurveyInvitationRow(
                        id=invitation_id,
                        respondent_type=RespondentType.STAFF,
                        case_id=None,
                        professional_id=member.professional_id,
                        period_start=start,
                        period_end=end,
                        token_hash=self._token_hash(),
                        created_at=created_at,
                        expires_at=expires_at,
                        used_at=submitted_at,
                    )
                )
                if submitted_at is None:
                    continue
                response_id = sink.new_id(SurveyResponseRow)
                grade = min(10, max(1, round(rng.gauss(7.4 if is_bip else 7.0, 1.0))))
                self.responses.append(
                    SurveyResponseRow(
                        id=response_id,
                        invitation_id=invitation_id,
                        respondent_type=RespondentType.STAFF,
                        arm=arm,
                        grade=grade,
                        comment="",
                        submitted_at=submitted_at,
                    )
                )
                for item in STAFF_ITEMS:
                    mean = STAFF_MEANS[item][is_bip]
                    score = min(5, max(1, round(rng.gauss(mean, 0.8))))
                    self.answers.append(
                        SurveyAnswerRow(
                            id=sink.new_id(SurveyAnswerRow),
                            response_id=response_id,
                            item=item,
                            score=score,
                        )
                    )


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def seed_demo(
    *,
    case_count: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    progress: Callable[[str], None] = lambda message: None,
    through_services: bool | None = None,
) -> SeedReport:
    """Create the demo world; see the module docstring and `manage.py seed_demo --help`.

    Reference data is always brought up to date. Cases are generated only into a database
    without cases, or after `reset` empties the case world, in the same transaction: a run
    that fails leaves the previous world as it was.

    Up to SERVICE_MAX_CASES cases (or with `through_services`) the world is built through the
    product's services (demo/replay.py); a larger one is written in bulk.
    """
    ensure_reference_data()
    if through_services is None:
        through_services = case_count <= SERVICE_MAX_CASES
    if through_services:
        return _seed_through_services(
            case_count=case_count, seed=seed, reset=reset, progress=progress
        )
    with transaction.atomic():
        if reset:
            progress("Bestaande zaken en alles wat eraan hangt verwijderen ...")
            reset_case_world()
        elif Case.objects.exists():
            return SeedReport(cases=0, counts={}, skipped=True)
        started = time.monotonic()
        ensure_scaled_reference_data(case_count)
        sink = RowSink()
        builder = _WorldBuilder(
            rng=random.Random(seed),  # noqa: S311 - demo data, not security
            case_count=case_count,
            pools=staff_pools(case_count),
            sink=sink,
            progress=progress,
        )
        bulk_load = sink.is_postgres and case_count >= BULK_LOAD_MIN_CASES
        if bulk_load:
            progress("Indexen en verwijzende sleutels tijdelijk verwijderen ...")
            sink.drop_secondary_structures()
        # The generated rows hold no reference cycles, but millions of them stay alive until a
        # chunk is written: with the collector on, each full collection walks all of them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            builder.run()
        finally:
            if collecting:
                gc.enable()
            sink.close()
        builder.save_sequences()
        if bulk_load:
            progress(
                f"Indexen en sleutels opnieuw opbouwen ({time.monotonic() - started:.0f} s) ..."
            )
            sink.restore_secondary_structures()
        sink.reset_sequences()
    return SeedReport(cases=case_count, counts=sink.counts())


def _seed_through_services(
    *, case_count: int, seed: int, reset: bool, progress: Callable[[str], None]
) -> SeedReport:
    """The small world: the generator's decisions replayed through the services.

    The cases, their history and the survey invitations are one transaction, as in bulk. The
    invitation mails go out when it commits; the answers the generator decided are then given
    through the survey links, in a second transaction (a failure there leaves the world
    without its answers, and says so).
    """
    with mail_in_memory() as mails, transaction.atomic():
        if reset:
            progress("Bestaande zaken en alles wat eraan hangt verwijderen ...")
            reset_case_world()
        elif Case.objects.exists():
            return SeedReport(cases=0, counts={}, skipped=True)
        ensure_scaled_reference_data(case_count)
        pools = staff_pools(case_count)
        replay = ServiceReplay(coordinator_user_id=pools.coordinator_user_id)
        builder = _WorldBuilder(
            rng=random.Random(seed),  # noqa: S311 - demo data, not security
            case_count=case_count,
            pools=pools,
            sink=replay,
            progress=progress,
            reserve_case_numbers=False,
        )
        builder.run()
    replay.answer_mailed_surveys(mails, now=builder.now)
    return SeedReport(cases=case_count, counts=replay.counts())
