"""The demo world behind `manage.py seed_demo`.

Two parts:

- Reference data, idempotent by natural key: the three organisations, the 15 demo accounts
  (six BIPs, six control-arm professionals, coordinator, researcher, functional administrator)
  and about 20 schools. A scaled run (`--cases N`) adds schools and professionals
  (`prof0001`, ... with unusable passwords) in proportion, so caseloads stay realistic.
- The case world: households, children, guardians, referrals with their allocation, stage
  history, assignments, contacts, outcomes, household plans and surveys. It is generated only
  into a database without cases (or after `reset_case_world()`).

Everything comes from one `random.Random(seed)` and today's date, so one seed on one day gives
one world. (The study arms are drawn exactly as evaluation.services draws them, so they also
follow ALLOCATION_SECRET and ALLOCATION_BLOCK_SIZES, and the randomisation sequences continue
from where the demo world stops.) Referrals are generated in date order, so case numbers and
randomisation positions run with the calendar, and written in chunks with primary keys
assigned here: COPY on PostgreSQL, executemany elsewhere. Bulk writes skip `save()`, so every
derived column (`three_month_deadline`, `arm`, `closed_on`) is computed here and every check
constraint is respected by construction.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone

from evaluation.constants import (
    CLIENT_ITEMS,
    STAFF_ITEMS,
    AllocationMethod,
    Arm,
    RespondentType,
    SurveyItem,
)
from evaluation.models import (
    Allocation,
    AllocationDraw,
    AllocationSequence,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from evaluation.services import SequenceCursor, sequence_cursors_load, sequence_cursors_save
from professionals.constants import StaffGroup
from professionals.models import Organisation, Professional, Qualification
from roles.acts import MIN_AGE_PUPIL_HEARD
from roles.constants import ChainRole, Channel, ContactKind, ContactWith

from .constants import (
    HALT_HOURS,
    HALT_MAX_AGE,
    HALT_MIN_AGE,
    HALT_PARENT_CONSENT_BELOW_AGE,
    HALT_TIMES_LATE,
    MAX_SCHOOL_AGE,
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
from .models import (
    Assignment,
    Case,
    CaseNumberCounter,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    School,
    StageChange,
    three_month_deadline,
)
from .services import case_numbers_reserve

DEMO_PASSWORD = "ketenkameleon-demo"  # noqa: S105 - the documented demo password
DEFAULT_CASES = 300
DEFAULT_SEED = 2018
PILOT_START = datetime.date(2018, 8, 1)
CHUNK_CASES = 50_000
# From this size on PostgreSQL, indexes and foreign keys are rebuilt after loading.
BULK_LOAD_MIN_CASES = 20_000
# One professional per this many referrals in the window keeps open caseloads near 10-20.
CASES_PER_PROFESSIONAL = 250
CASES_PER_SCHOOL = 150

_L, _H, _R = Stage.LEERPLICHT, Stage.HALT, Stage.RVDK
UTC = datetime.UTC

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

ORGANISATIONS = (
    (ChainRole.LEERPLICHT, "Leerplicht Haarlem"),
    (ChainRole.HALT, "Halt Kennemerland"),
    (ChainRole.RVDK, "Raad voor de Kinderbescherming Haarlem"),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    group: StaffGroup
    organisation: ChainRole | None = None
    is_bip: bool = False
    is_staff: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("bip1", "Marieke", "de Vries", StaffGroup.PROFESSIONAL, _L, is_bip=True),
    DemoAccount("bip2", "Jeroen", "Bakker", StaffGroup.PROFESSIONAL, _L, is_bip=True),
    DemoAccount("bip3", "Samira", "El Idrissi", StaffGroup.PROFESSIONAL, _H, is_bip=True),
    DemoAccount("bip4", "Thomas", "van der Linden", StaffGroup.PROFESSIONAL, _H, is_bip=True),
    DemoAccount("bip5", "Annelies", "Kok", StaffGroup.PROFESSIONAL, _R, is_bip=True),
    DemoAccount("bip6", "Rik", "Hoogendoorn", StaffGroup.PROFESSIONAL, _R, is_bip=True),
    DemoAccount("regular1", "Ingrid", "Smit", StaffGroup.PROFESSIONAL, _L),
    DemoAccount("regular2", "Koen", "Verbeek", StaffGroup.PROFESSIONAL, _L),
    DemoAccount("regular3", "Fatma", "Yıldız", StaffGroup.PROFESSIONAL, _H),
    DemoAccount("regular4", "Pieter", "Mulder", StaffGroup.PROFESSIONAL, _H),
    DemoAccount("regular5", "Esther", "de Graaf", StaffGroup.PROFESSIONAL, _R),
    DemoAccount("regular6", "Wouter", "Jansen", StaffGroup.PROFESSIONAL, _R),
    DemoAccount("coordinator", "Hanneke", "Dijkstra", StaffGroup.COORDINATOR),
    DemoAccount("researcher", "Joost", "van Leeuwen", StaffGroup.RESEARCHER),
    DemoAccount("beheerder", "Sandra", "Visser", StaffGroup.ADMINISTRATOR, is_staff=True),
)

# Invented schools in and around Haarlem. (BRIN, name, level, city)
SCHOOLS = (
    ("12KL", "Het Spaarnestede Lyceum", SchoolLevel.VO, "Haarlem"),
    ("14RX", "Kenau Hasselaer College", SchoolLevel.VO, "Haarlem"),
    ("16JP", "Het Laurens Janszoon Lyceum", SchoolLevel.VO, "Haarlem"),
    ("21WD", "Scholengemeenschap De Waarden", SchoolLevel.VO, "Haarlem"),
    ("23BL", "Het Bolwerk Lyceum", SchoolLevel.VO, "Haarlem"),
    ("25GH", "Groot Heiligland College", SchoolLevel.VO, "Haarlem"),
    ("27SB", "Het Schoterbos Lyceum", SchoolLevel.VO, "Haarlem"),
    ("31LV", "Het Leidsevaart Lyceum", SchoolLevel.VO, "Heemstede"),
    ("33VM", "Het Van Merlen College", SchoolLevel.VO, "Heemstede"),
    ("35DR", "Het Duinrand College", SchoolLevel.VO, "Zandvoort"),
    ("37HF", "Hofland Scholengemeenschap", SchoolLevel.VO, "Bloemendaal"),
    ("41KD", "Het Kennemerduin College", SchoolLevel.VO, "IJmuiden"),
    ("43ZP", "Basisschool De Zeepaardjes", SchoolLevel.PO, "Zandvoort"),
    ("45KB", "Openbare Basisschool Het Klaverblad", SchoolLevel.PO, "Haarlem"),
    ("47VB", "Daltonschool De Vlinderboom", SchoolLevel.PO, "Heemstede"),
    ("51MW", "Jenaplanschool De Molenwiek", SchoolLevel.PO, "Haarlem"),
    ("53DP", "School voor speciaal onderwijs De Duinpieper", SchoolLevel.SO, "Haarlem"),
    ("55ZH", "Het Zuiderhout, school voor vso", SchoolLevel.SO, "Haarlem"),
    ("57KV", "Kennemer Vakcollege", SchoolLevel.MBO, "Haarlem"),
    ("61ST", "Spaarne Techniek mbo", SchoolLevel.MBO, "Haarlem"),
)

# (city, first postcode digits, last postcode digits): real ranges, invented addresses.
REGION_CITIES = (
    ("Haarlem", 2011, 2037, 10),
    ("Heemstede", 2101, 2106, 2),
    ("Zandvoort", 2041, 2042, 1),
    ("Bloemendaal", 2061, 2061, 1),
    ("IJmuiden", 1971, 1976, 2),
    ("Hoofddorp", 2131, 2135, 2),
)
NATIONAL_CITIES = REGION_CITIES + (
    ("Amsterdam", 1011, 1109, 14),
    ("Rotterdam", 3011, 3089, 10),
    ("Den Haag", 2491, 2597, 8),
    ("Utrecht", 3511, 3585, 6),
    ("Eindhoven", 5611, 5658, 4),
    ("Groningen", 9711, 9747, 4),
    ("Tilburg", 5011, 5049, 3),
    ("Almere", 1311, 1363, 3),
    ("Zwolle", 8011, 8043, 2),
    ("Arnhem", 6811, 6846, 2),
    ("Leeuwarden", 8911, 8941, 2),
    ("Maastricht", 6211, 6229, 2),
)
# Above this many cases the world is a national rollout rather than the Haarlem pilot.
REGIONAL_MAX_CASES = 5_000

# fmt: off
STREETS = (
    "Rijksstraatweg", "Schoterweg", "Kleverparkweg", "Zijlweg", "Leidsevaart", "Amsterdamstraat",
    "Gedempte Oude Gracht", "Kennemerstraat", "Spaarnwouderstraat", "Zaanenlaan", "Westergracht",
    "Van Oosten de Bruynstraat", "Lorentzplein", "Molenstraat", "Binnenweg", "Raadhuisstraat",
    "Haltestraat", "Kerkstraat", "Dorpsstraat", "Duinweg", "Stationsweg", "Julianalaan",
    "Wilhelminastraat", "Prinses Beatrixlaan", "Parklaan", "Vondelweg", "Marnixstraat",
    "Esdoornlaan", "Lindenlaan", "Bosrand", "Zeeweg", "Kanaalstraat", "Merelstraat",
    "Lijsterstraat", "Goudsbloemlaan", "Tulpenstraat",
)
GIRL_NAMES = (
    "Emma", "Julia", "Sophie", "Tess", "Zoë", "Sara", "Noor", "Eva", "Lotte", "Fleur", "Anna",
    "Lisa", "Yasmina", "Aya", "Sanne", "Mila", "Nina", "Fenna", "Isa", "Roos", "Lina", "Amira",
    "Esra", "Elif", "Maud", "Femke", "Jasmijn", "Iris", "Lieke", "Olivia", "Nora", "Sofia",
)
BOY_NAMES = (
    "Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Thijs", "Jesse", "Bram", "Noah", "Luuk",
    "Mohamed", "Adam", "Ryan", "Sven", "Ruben", "Jayden", "Stijn", "Mees", "Tim", "Youssef",
    "Emre", "Kevin", "Dylan", "Julian", "Gijs", "Jens", "Tygo", "Hamza", "Bilal", "Owen", "Sam",
)
MOTHER_NAMES = (
    "Mariska", "Sandra", "Linda", "Esther", "Petra", "Nicole", "Fatima", "Khadija", "Ayşe",
    "Monique", "Anouk", "Marloes", "Kim", "Jolanda", "Saskia", "Naima", "Denise", "Ilse",
)
FATHER_NAMES = (
    "Mark", "Dennis", "Patrick", "Erik", "Jeroen", "Martijn", "Mohammed", "Ahmed", "Mustafa",
    "Bas", "Ronald", "Sander", "Vincent", "Rachid", "Hakan", "Michel", "Arjen", "Robin",
)
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
    "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
    "van den Broek", "de Bruijn", "van der Heijden", "Schouten", "van Beek", "Willems",
    "van Vliet", "Hoekstra", "Maas", "Verhoeven", "Koster", "Prins", "Kramer", "Postma", "Kuipers",
    "Yılmaz", "Öztürk", "Kaya", "El Amrani", "Bouzid", "Benali", "Haddou", "Ait Taleb", "Pinas",
    "Martina", "Nguyen", "Kowalski", "Rodrigues",
)
# fmt: on
SCHOOL_NAME_PARTS = (
    ("Het", "De", "Scholengemeenschap", "Openbare school", "Christelijk College"),
    (
        "Linden",
        "Duinzicht",
        "Meander",
        "Polder",
        "Vaart",
        "Berken",
        "Horizon",
        "Kompas",
        "Regenboog",
        "Waterlelie",
        "Eikenhorst",
        "Singel",
        "Sterrenwacht",
        "Veste",
        "Haven",
    ),
)
SCHOOL_KIND_NAMES = {
    SchoolLevel.PO: "Basisschool",
    SchoolLevel.VO: "College",
    SchoolLevel.SO: "school voor speciaal onderwijs",
    SchoolLevel.MBO: "Vakcollege",
}

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
LEVEL_WEIGHTS = {
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
RVDK_CHANCE = {
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

CLOSING_REASONS = {
    OutcomeCategory.BACK_TO_SCHOOL: "Zaak afgesloten: de leerling gaat weer naar school.",
    OutcomeCategory.OTHER_SCHOOL: "Zaak afgesloten: passende plek op een andere school.",
    OutcomeCategory.CARE: "Zaak afgesloten: passende hulp is gestart.",
    OutcomeCategory.EXEMPTION: "Zaak afgesloten: vrijstelling met passend traject.",
    OutcomeCategory.NOT_SUITABLE: "Zaak afgesloten zonder passend onderwijs of zorg.",
    OutcomeCategory.MOVED: "Zaak afgesloten: het gezin is buiten de regio verhuisd.",
    OutcomeCategory.CRIMINAL: "Zaak afgesloten: strafrechtelijk afgedaan door het OM.",
}
STAGE_REASONS = {
    (_L, _H): "Verwezen naar Halt: leerling en ouders stemmen in met de Halt-afdoening.",
    (_H, _L): "Halt-afdoening niet gelukt: terug naar Leerplicht.",
    (_L, _R): "Proces-verbaal opgemaakt; kopie naar de Raad voor de Kinderbescherming.",
}
REGISTERED_REASON = "Verzuimmelding geregistreerd."
HANDOVER_NOTES = {
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
# Reference data
# --------------------------------------------------------------------------------------------


@dataclass
class StaffPools:
    """The ids the case generator needs: who registers, who can take which case."""

    coordinator_user_id: int
    bips: list[tuple[int, int]]  # (professional id, user id)
    control: dict[str, list[tuple[int, int]]]  # organisation kind -> [(professional, user)]
    all_professionals: list[tuple[int, int, bool]]  # (professional, user, is_bip)


def ensure_reference_data() -> None:
    """Create the organisations, the 15 demo accounts and the base schools where missing.

    Existing rows are kept as they are (a changed password or name survives a re-run); only
    missing group memberships, professional records and qualifications are added.
    """
    user_model = get_user_model()
    with transaction.atomic():
        organisations = {
            kind: Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]
            for kind, name in ORGANISATIONS
        }
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in StaffGroup.values}
        existing = user_model.objects.in_bulk(
            [account.username for account in DEMO_ACCOUNTS], field_name="username"
        )
        password_hash = None
        for account in DEMO_ACCOUNTS:
            user = existing.get(account.username)
            if user is None:
                if password_hash is None:
                    # One slow hash for all accounts: they share the demo password.
                    password_hash = make_password(DEMO_PASSWORD)
                user = user_model.objects.create(
                    username=account.username,
                    first_name=account.first_name,
                    last_name=account.last_name,
                    email=f"{account.username}@ketenkameleon.example",
                    password=password_hash,
                    is_staff=account.is_staff,
                )
            user.groups.add(groups[account.group])
            if account.organisation is None:
                continue
            professional, _ = Professional.objects.get_or_create(
                user=user,
                defaults={
                    "organisation": organisations[account.organisation],
                    "is_bip": account.is_bip,
                },
            )
            roles = tuple(ChainRole) if account.is_bip else (account.organisation,)
            for role in roles:
                Qualification.objects.get_or_create(
                    professional=professional,
                    role=role,
                    valid_from=PILOT_START,
                    defaults={"is_sworn": role == ChainRole.LEERPLICHT},
                )
        for brin, name, level, city in SCHOOLS:
            School.objects.get_or_create(
                brin=brin, defaults={"name": name, "level": level, "city": city}
            )


def scaled_professional_count(case_count: int) -> int:
    """How many `profNNNN` professionals a world of `case_count` referrals adds to the 12."""
    return max(0, math.ceil(case_count / CASES_PER_PROFESSIONAL) - 12)


def scaled_school_count(case_count: int) -> int:
    return max(0, case_count // CASES_PER_SCHOOL - len(SCHOOLS))


def _extra_brin(index: int) -> str:
    # A fixed bijection of the 67,600 two-digit-two-letter codes, so extra schools keep
    # their BRIN from run to run whatever the seed.
    code = (index * 7919 + 4_321) % 67_600
    digits, letters = divmod(code, 676)
    return f"{digits:02d}{chr(65 + letters // 26)}{chr(65 + letters % 26)}"


def ensure_scaled_reference_data(case_count: int) -> None:
    """Add the extra schools and professionals a world of `case_count` referrals needs.

    Deterministic by index (not by seed) and idempotent: existing ones are skipped.
    """
    user_model = get_user_model()
    school_count = scaled_school_count(case_count)
    if school_count:
        cities = REGION_CITIES if case_count <= REGIONAL_MAX_CASES else NATIONAL_CITIES
        base = {brin for brin, *_ in SCHOOLS}
        taken = set(School.objects.values_list("brin", flat=True))
        new_schools = []
        index = issued = 0
        while issued < school_count:
            index += 1
            brin = _extra_brin(index)
            if brin in base:
                continue
            issued += 1
            if brin in taken:
                continue  # created by an earlier run (or by hand): keep it
            pick = random.Random(f"school-{index}")  # noqa: S311 - demo data, not security
            level = pick.choices(
                (SchoolLevel.VO, SchoolLevel.PO, SchoolLevel.MBO, SchoolLevel.SO),
                (30, 55, 5, 10),
            )[0]
            city = pick.choices(cities, [c[3] for c in cities])[0][0]
            prefix, stem = pick.choice(SCHOOL_NAME_PARTS[0]), pick.choice(SCHOOL_NAME_PARTS[1])
            name = f"{prefix} {stem} {SCHOOL_KIND_NAMES[level]} {city}"
            new_schools.append(School(brin=brin, name=name, level=level, city=city))
        School.objects.bulk_create(new_schools, batch_size=2_000)

    professional_count = scaled_professional_count(case_count)
    if not professional_count:
        return
    usernames = [f"prof{i:04d}" for i in range(1, professional_count + 1)]
    existing = set(
        user_model.objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    missing = [(i, name) for i, name in enumerate(usernames, start=1) if name not in existing]
    if not missing:
        return
    organisations = {org.kind: org for org in Organisation.objects.all()}
    kinds = tuple(ChainRole)
    unusable = make_password(None)
    users = []
    for _, username in missing:
        pick = random.Random(username)  # noqa: S311 - demo data, not security
        first = pick.choice(GIRL_NAMES + BOY_NAMES + MOTHER_NAMES + FATHER_NAMES)
        users.append(
            user_model(
                username=username,
                first_name=first,
                last_name=pick.choice(LAST_NAMES),
                email=f"{username}@ketenkameleon.example",
                password=unusable,
            )
        )
    user_model.objects.bulk_create(users, batch_size=2_000)
    user_ids = dict(
        user_model.objects.filter(username__in=[name for _, name in missing]).values_list(
            "username", "id"
        )
    )
    professional_group = Group.objects.get_or_create(name=StaffGroup.PROFESSIONAL)[0]
    user_model.groups.through.objects.bulk_create(
        [
            user_model.groups.through(user_id=user_ids[name], group_id=professional_group.pk)
            for _, name in missing
        ],
        batch_size=5_000,
    )
    professionals = []
    for i, username in missing:
        kind = kinds[i % 3]
        professionals.append(
            Professional(
                user_id=user_ids[username],
                organisation=organisations[kind],
                is_bip=(i // 3) % 2 == 0,
            )
        )
    Professional.objects.bulk_create(professionals, batch_size=2_000)
    created = Professional.objects.filter(user_id__in=user_ids.values()).values_list(
        "id", "organisation__kind", "is_bip"
    )
    qualifications = []
    for professional_id, kind, is_bip in created:
        for role in kinds if is_bip else (kind,):
            qualifications.append(
                Qualification(
                    professional_id=professional_id,
                    role=role,
                    valid_from=PILOT_START,
                    is_sworn=role == ChainRole.LEERPLICHT,
                )
            )
    Qualification.objects.bulk_create(qualifications, batch_size=5_000)


def staff_pools(case_count: int) -> StaffPools:
    """The professionals a world of `case_count` referrals draws from."""
    user_model = get_user_model()
    usernames = [a.username for a in DEMO_ACCOUNTS if a.organisation is not None] + [
        f"prof{i:04d}" for i in range(1, scaled_professional_count(case_count) + 1)
    ]
    rows = (
        Professional.objects.filter(user__username__in=usernames)
        .order_by("user__username")
        .values_list("id", "user_id", "is_bip", "organisation__kind")
    )
    bips, control = [], {kind: [] for kind in ChainRole.values}
    everyone = []
    for professional_id, user_id, is_bip, kind in rows:
        everyone.append((professional_id, user_id, is_bip))
        if is_bip:
            bips.append((professional_id, user_id))
        else:
            control[kind].append((professional_id, user_id))
    return StaffPools(
        coordinator_user_id=user_model.objects.get(username="coordinator").pk,
        bips=bips,
        control=control,
        all_professionals=everyone,
    )


# --------------------------------------------------------------------------------------------
# Writing rows
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    model: type[models.Model]
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    written: int = 0
    next_id: int = 0


# Written in this order, parents before children.
TABLE_COLUMNS: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Household, ("id", "street", "postcode", "city", "created_at")),
    (
        Child,
        ("id", "first_name", "last_name", "date_of_birth", "bsn", "onderwijsnummer",
         "school_id", "household_id", "created_at"),
    ),
    (Guardian, ("id", "child_id", "relation", "has_custody", "name", "phone", "email")),
    (
        Case,
        ("id", "number", "child_id", "date_received", "source", "melding_type", "hours_absent",
         "times_late", "period_start", "period_end", "stage", "status", "professional_id", "arm",
         "three_month_deadline", "closed_on", "version", "created_at", "updated_at",
         "handover_requested_at"),
    ),
    (
        Allocation,
        ("id", "case_id", "arm", "method", "reason", "supersedes_id", "after_measurement",
         "actor_id", "created_at"),
    ),
    (
        AllocationDraw,
        ("id", "allocation_id", "stratum", "sequence_position", "block_number", "block_size",
         "seed"),
    ),
    (
        StageChange,
        ("id", "case_id", "from_stage", "to_stage", "from_status", "to_status", "reason",
         "halt_result", "pupil_consent", "parent_consent", "eligibility_override", "actor_id",
         "changed_at"),
    ),
    (
        Assignment,
        ("id", "case_id", "professional_id", "started_at", "ended_at", "reason", "note",
         "is_handover", "assigned_by_id"),
    ),
    (
        Contact,
        ("id", "case_id", "professional_id", "role", "kind", "with_whom", "channel",
         "occurred_at", "duration_minutes", "summary", "caution_given", "follow_up_on",
         "created_at", "created_by_id"),
    ),
    (Outcome, ("id", "case_id", "category", "achieved_on", "recorded_by_id", "recorded_at")),
    (HouseholdPlan, ("id", "household_id", "created_at", "updated_at", "version")),
    (PlanGoal, ("id", "plan_id", "description", "position", "created_at")),
    (
        PlanAction,
        ("id", "plan_id", "goal_id", "description", "owner", "owner_professional_id", "due_on",
         "done_on"),
    ),
    (PlanChange, ("id", "plan_id", "kind", "description", "actor_id", "changed_at")),
    (
        SurveyInvitation,
        ("id", "respondent_type", "case_id", "professional_id", "period_start", "period_end",
         "token_hash", "created_at", "expires_at", "used_at"),
    ),
    (
        SurveyResponse,
        ("id", "invitation_id", "respondent_type", "arm", "grade", "comment", "submitted_at"),
    ),
    (SurveyAnswer, ("id", "response_id", "item", "score")),
)  # fmt: skip

# Emptied by reset_case_world(), children before parents, with the counters the case world
# advances. Models elsewhere that point at these are found by _case_world_dependants().
CASE_WORLD_MODELS = tuple(model for model, _ in reversed(TABLE_COLUMNS)) + (
    CaseNumberCounter,
    AllocationSequence,
)


class SeedError(Exception):
    """The demo world cannot be written; the message says why."""


class _RowSink:
    """Buffers rows per table and writes them: COPY on PostgreSQL, executemany elsewhere.

    On PostgreSQL a background thread streams each chunk with COPY while the next chunk is
    generated, so the database and Python work on the two cores at once. The thread uses the
    same psycopg connection, and so the same transaction; the main thread does not touch the
    database until `close()`.
    """

    def __init__(self) -> None:
        self.is_postgres = connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], _Table] = {}
        for model, columns in TABLE_COLUMNS:
            self._check_columns(model, columns)
            table = _Table(model, columns)
            table.next_id = (model.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
            self.tables[model] = table
        self._queue: queue.Queue | None = None
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._restore_sql: list[str] = []

    @staticmethod
    def _check_columns(model: type[models.Model], columns: tuple[str, ...]) -> None:
        # A field added to a model later must either be written here or fill itself.
        for model_field in model._meta.concrete_fields:
            if model_field.attname in columns:
                continue
            if not (model_field.null or model_field.has_db_default()):
                raise SeedError(
                    f"seed_demo schrijft {model._meta.label}.{model_field.name} niet; "
                    "werk cases/demo.py bij."
                )

    def rows(self, model: type[models.Model]) -> list:
        return self.tables[model].rows

    def new_id(self, model: type[models.Model]) -> int:
        table = self.tables[model]
        table.next_id += 1
        return table.next_id - 1

    # -- writing -------------------------------------------------------------------------------

    def flush(self) -> None:
        """Hand the buffered rows to the writer and empty the buffers."""
        batch = []
        for table in self.tables.values():
            if table.rows:
                batch.append((table, table.rows[:]))
                table.written += len(table.rows)
                table.rows.clear()
        if not batch:
            return
        if not self.is_postgres:
            for table, rows in batch:
                self._insert(table, rows)
            return
        if self._writer is None:
            raw_connection = connection.connection
            self._queue = queue.Queue(maxsize=1)  # at most one chunk waits: bounded memory
            self._writer = threading.Thread(
                target=self._copy_loop, args=(raw_connection,), name="seed-demo-copy"
            )
            self._writer.start()
        self._raise_writer_error()
        self._queue.put(batch)

    def close(self) -> None:
        """Wait until every row is written; re-raise a failure of the writer thread."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        self._raise_writer_error()

    def _raise_writer_error(self) -> None:
        if self._error is not None:
            raise SeedError(f"Schrijven naar de database mislukt: {self._error}") from self._error

    def _copy_loop(self, raw_connection) -> None:
        quote = connection.ops.quote_name
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain the queue so the main thread never blocks
            try:
                with raw_connection.cursor() as cursor:
                    for table, rows in batch:
                        columns = ", ".join(quote(column) for column in table.columns)
                        sql = f"COPY {quote(table.model._meta.db_table)} ({columns}) FROM STDIN"
                        with cursor.copy(sql) as copy:
                            write_row = copy.write_row
                            for row in rows:
                                write_row(row)
            except BaseException as error:  # handed to the main thread by close()
                self._error = error

    def _insert(self, table: _Table, rows: list) -> None:
        quote = connection.ops.quote_name
        model_fields = [table.model._meta.get_field(column) for column in table.columns]
        columns = ", ".join(quote(column) for column in table.columns)
        placeholders = ", ".join(["%s"] * len(table.columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(table.model._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES ({placeholders})",
                [
                    [
                        f.get_db_prep_save(value, connection)
                        for f, value in zip(model_fields, row, strict=True)
                    ]
                    for row in rows
                ],
            )

    # -- PostgreSQL bulk load ------------------------------------------------------------------

    def drop_secondary_structures(self) -> None:
        """Drop the foreign keys, unique constraints and indexes (not the primary keys) of the
        tables written here, remembering how to rebuild them.

        PostgreSQL's own advice for populating a database: checking millions of deferred
        foreign keys row by row at commit and maintaining a dozen indexes per inserted row
        costs more than building each index once and validating each key with one join. It
        all happens inside the seeding transaction, so a failure restores everything.
        """
        tables = [table.model._meta.db_table for table in self.tables.values()]
        with connection.cursor() as cursor:
            _fire_deferred_constraint_checks(cursor)
            cursor.execute(
                """
                SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass,
                              c.conname),
                       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass,
                              c.conname, pg_get_constraintdef(c.oid)),
                       c.contype
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::text[]::regclass[])
                  AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (
                        SELECT 1 FROM pg_constraint f
                        WHERE f.contype = 'f' AND f.conindid = c.conindid)))
                """,
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT format('DROP INDEX %%s', i.indexrelid::regclass),
                       pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::text[]::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            # Foreign keys go first (a unique constraint may not be dropped under one) and
            # come back last, after the indexes they can use.
            ordered = sorted(constraints, key=lambda row: row[2] != "f")
            for drop, _, _ in ordered:
                cursor.execute(drop)
            for drop, _ in indexes:
                cursor.execute(drop)
        self._restore_sql = (
            [create for _, create in indexes]
            + [add for _, add, kind in constraints if kind == "u"]
            + [add for _, add, kind in constraints if kind == "f"]
        )

    def restore_secondary_structures(self) -> None:
        if not self._restore_sql:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in self._restore_sql:
                cursor.execute(sql)
            for table in self.tables.values():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table.model._meta.db_table)}")
        self._restore_sql = []

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    def counts(self) -> dict[str, int]:
        return {table.model._meta.label: table.written for table in self.tables.values()}


def _fire_deferred_constraint_checks(cursor) -> None:
    """Run the foreign-key checks still pending in this transaction (PostgreSQL).

    TRUNCATE and ALTER TABLE refuse tables with pending trigger events, which rows written
    earlier in the same transaction leave behind (in a test, for instance).
    """
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _case_world_dependants():
    """Models outside the case world with a foreign key into it, split by what deleting the
    case world means for them (their on_delete): rows to delete, columns to set to NULL."""
    world = set(CASE_WORLD_MODELS)
    to_delete: list[type[models.Model]] = []
    to_null: list[tuple[type[models.Model], str]] = []
    pending = list(CASE_WORLD_MODELS)
    while pending:
        for relation in pending.pop()._meta.get_fields(include_hidden=True):
            # Reverse relations only, hidden ones (related_name="+") included.
            if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
                continue
            dependant = relation.related_model
            if dependant in world:
                continue
            if relation.on_delete is models.CASCADE:
                world.add(dependant)
                to_delete.insert(0, dependant)
                pending.append(dependant)
            elif relation.on_delete is models.SET_NULL:
                to_null.append((dependant, relation.field.column))
            else:
                raise SeedError(
                    f"{dependant._meta.label} verwijst naar {relation.model._meta.label} en "
                    "houdt zo zaken vast; --reset kan die zaken niet verwijderen."
                )
    return to_delete, to_null


def reset_case_world() -> None:
    """Delete every case and everything that hangs off it: children, households, contacts,
    plans, allocations, surveys (staff surveys too), case-number counters and randomisation
    sequences. Rows elsewhere that point at a case follow their on_delete. Accounts,
    organisations, qualifications and schools stay."""
    quote = connection.ops.quote_name
    to_delete, to_null = _case_world_dependants()
    tables = [quote(model._meta.db_table) for model in (*to_delete, *CASE_WORLD_MODELS)]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, column in to_null:
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = NULL "  # noqa: S608
                f"WHERE {quote(column)} IS NOT NULL"
            )
        if connection.vendor == "postgresql":
            _fire_deferred_constraint_checks(cursor)
            if not to_null:
                # Fast, but refused while any other table has a foreign key into these.
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
                return
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


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
    bip_professional: tuple[int, int] | None = None
    has_plan: bool = False


@dataclass
class SeedReport:
    cases: int
    counts: dict[str, int]  # rows written per model label
    skipped: bool = False


def thousands(number: int) -> str:
    """1234567 -> '1.234.567', the Dutch way."""
    return f"{number:,}".replace(",", ".")


def _age(date_of_birth: datetime.date, day: datetime.date) -> int:
    # Same rule as cases.models.age_on: born 29 February, one year older on 1 March.
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )


def _school_year_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def window_start(today: datetime.date) -> datetime.date:
    """The first referral date: 1 August two school years before the current one.

    The world holds the last two complete school years (for year-on-year evaluation figures)
    and the current school year up to today (for open cases and the coordinator's queue).
    """
    current = _school_year_start(today)
    return current.replace(year=current.year - 2)


def _weighted(pairs) -> tuple[tuple, tuple]:
    """(values, cumulative weights) for random.choices."""
    pairs = tuple(pairs)
    values = tuple(value for value, _ in pairs)
    cumulative, total = [], 0
    for _, weight in pairs:
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
        sink: _RowSink,
        progress: Callable[[str], None],
    ) -> None:
        self.rng = rng
        uniform = rng.random

        # random.randint and random.choice cost ~1.5 us each in pure Python; these draw from
        # the same generator (so the world stays reproducible) at a tenth of the cost.
        def randint(low: int, high: int) -> int:
            return low + int(uniform() * (high - low + 1))

        def choice(options):
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
        self.city_weights = _weighted((city, city[3]) for city in self.cities)
        self.reservoir: list[_Household] = []
        self.households_seen = 0
        # Study-arm allocation continues the app's own randomisation sequences.
        self.sequences: dict[str, SequenceCursor] = sequence_cursors_load()
        self.case_numbers: dict[int, int] = {}
        self.cases_written = 0
        self.cases_generated = 0

        schools: dict[str | None, list[int]] = {level: [] for level in SchoolLevel.values}
        for school_id, level in School.objects.order_by("id").values_list("id", "level"):
            schools[level].append(school_id)
        if not all(schools.values()):
            raise SeedError("Er is geen school voor elke onderwijssoort.")
        self.schools = schools

        taken_bsn = set(Child.objects.exclude(bsn=None).values_list("bsn", flat=True))
        taken_onr = set(
            Child.objects.exclude(onderwijsnummer=None).values_list("onderwijsnummer", flat=True)
        )
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
        self.households = sink.rows(Household)
        self.children = sink.rows(Child)
        self.guardians = sink.rows(Guardian)
        self.cases = sink.rows(Case)
        self.allocations = sink.rows(Allocation)
        self.allocation_draws = sink.rows(AllocationDraw)
        self.stage_changes = sink.rows(StageChange)
        self.assignments = sink.rows(Assignment)
        self.contacts = sink.rows(Contact)
        self.outcomes = sink.rows(Outcome)
        self.plans = sink.rows(HouseholdPlan)
        self.goals = sink.rows(PlanGoal)
        self.actions = sink.rows(PlanAction)
        self.plan_changes = sink.rows(PlanChange)
        self.invitations = sink.rows(SurveyInvitation)
        self.responses = sink.rows(SurveyResponse)
        self.answers = sink.rows(SurveyAnswer)

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
            first = case_numbers_reserve(year=year, count=count)[0]
            self.case_numbers[year] = int(first.split("-")[1])

    def _deadline(self, day: datetime.date) -> datetime.date:
        deadline = self.deadlines.get(day)
        if deadline is None:
            deadline = self.deadlines[day] = three_month_deadline(day)
        return deadline

    def _pick(self, weighted: tuple[tuple, tuple]):
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
        self._reserve_case_numbers(schedule)
        # The newest referrals wait in the coordinator's queue, whatever the season.
        self.queue_from = self.case_count - max(3, self.case_count // 100)
        self.allocated_until = self.case_count - max(1, self.case_count // 1000)
        pending = 0
        for day, count in schedule:
            for _ in range(count):
                self._referral(day)
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

    def _referral(self, day: datetime.date) -> None:
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
        self._case(household, child, day, melding)

    def _repeat_child(self, household: _Household, day: datetime.date) -> _Child | None:
        for child in household.children:
            if (
                child.school_id is not None
                and (day - child.last_received).days > 150
                and _age(child.date_of_birth, day) <= MAX_SCHOOL_AGE
            ):
                return child
        return None

    def _new_household(self, day: datetime.date) -> _Household:
        rng = self.rng
        household_id = self.sink.new_id(Household)
        city, low, high, _ = self._pick(self.city_weights)
        last_name = self.choice(LAST_NAMES)
        household = _Household(
            id=household_id,
            last_name=last_name,
            mother=f"{self.choice(MOTHER_NAMES)} {self.choice(LAST_NAMES)}",
            father=f"{self.choice(FATHER_NAMES)} {last_name}" if rng.random() < 0.75 else None,
            phone=f"06-{rng.randrange(10_000_000, 99_999_999)}",
            children=[],
        )
        self.households.append(
            (
                household_id,
                f"{self.choice(STREETS)} {self.randint(1, 220)}",
                _postcode(self.randint, low, high),
                city,
                self._at(day, 360, 480),
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
            anchor = day.replace(year=day.year - age, day=28 if day.day == 29 else day.day)
            date_of_birth = anchor - datetime.timedelta(days=self.randint(0, 364))
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
            id=self.sink.new_id(Child),
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
            (
                child.id,
                first_name,
                last_name,
                date_of_birth,
                bsn,
                onderwijsnummer,
                school_id,
                household.id,
                self._at(day, 390, 600),
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
                (new_id(Guardian), child_id, GuardianRelation.GUARDIAN, True,
                 "Jeugdbescherming Noord-Holland (voogd)", "023-0000000", "")
            )  # fmt: skip
            return
        email = f"{household.mother.split(' ')[0].lower()}.{household.id}@mail.example"
        self.guardians.append(
            (new_id(Guardian), child_id, GuardianRelation.MOTHER, True, household.mother,
             household.phone, email if rng.random() < 0.6 else "")
        )  # fmt: skip
        if household.father is not None:
            self.guardians.append(
                (new_id(Guardian), child_id, GuardianRelation.FATHER, rng.random() < 0.9,
                 household.father, f"06-{rng.randrange(10_000_000, 99_999_999)}", "")
            )  # fmt: skip
        elif rng.random() < 0.1:
            self.guardians.append(
                (new_id(Guardian), child_id, GuardianRelation.CARER, False,
                 f"{self.choice(FATHER_NAMES)} {self.choice(LAST_NAMES)}", "", "")
            )  # fmt: skip

    # -- the referral and its course -----------------------------------------------------------

    def _allocate(self, stratum: str):
        """The next draw of the stratum's sequence, by evaluation.services' own cursor."""
        cursor = self.sequences.get(stratum)
        if cursor is None:
            cursor = self.sequences[stratum] = SequenceCursor(stratum=stratum)
        return cursor.draw()

    def save_sequences(self) -> None:
        """Advance the randomisation sequences past the positions used here, so allocations
        made in the app continue where the demo world stopped."""
        sequence_cursors_save(list(self.sequences.values()))

    def _absence(self, melding: str, day: datetime.date):
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

    def _case(self, household: _Household, child: _Child, day: datetime.date, melding: str):
        rng = self.rng
        sink = self.sink
        case_id = sink.new_id(Case)
        number = self.case_numbers[day.year]
        self.case_numbers[day.year] = number + 1
        registered_at = min(self._at(day, 360, 600), self.now - datetime.timedelta(minutes=5))
        coordinator = self.pools.coordinator_user_id
        hours, late, period_start, period_end = self._absence(melding, day)
        child.last_received = day
        days_ago = (self.today - day).days

        stratum = f"{melding}/{child.level or 'geen'}"
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
            allocation_id = sink.new_id(Allocation)
            self.allocations.append(
                (allocation_id, case_id, arm, AllocationMethod.BLOCK_RANDOM, "", None, False,
                 coordinator, registered_at + datetime.timedelta(minutes=self.randint(1, 30)))
            )  # fmt: skip
            self.allocation_draws.append(
                (sink.new_id(AllocationDraw), allocation_id, stratum, draw.position,
                 draw.block_number, draw.block_size, draw.seed)
            )  # fmt: skip
        self.stage_changes.append(
            (sink.new_id(StageChange), case_id, "", _L, "", CaseStatus.OPEN, REGISTERED_REASON,
             "", None, None, False, coordinator, registered_at)
        )  # fmt: skip
        case_row = [
            case_id, f"{day.year}-{number:06d}", child.id, day,
            self._pick(self.sources), melding, hours, late, period_start, period_end,
            _L, CaseStatus.OPEN, None, arm, self._deadline(day), None, 1, registered_at,
            registered_at, None,
        ]  # fmt: skip
        if not unassigned:
            self._course(case_row, household, child, day, melding, arm, assign_day)
        self.cases.append(tuple(case_row))

    def _route(self, child: _Child, day: datetime.date, melding: str, hours: int, late: int):
        """The stages a referral will pass (MAS 2017), and how a Halt step ends."""
        rng = self.rng
        halt_ok = (
            _age(child.date_of_birth, day) >= HALT_MIN_AGE
            # Still young enough when the referral to Halt is made, weeks later.
            and _age(child.date_of_birth, day + datetime.timedelta(days=90)) <= HALT_MAX_AGE
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

    def _contact_day(self, first_day, last_day, offset):
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

    def _course(self, case_row, household, child, day, melding, arm, assign_day):
        """Assignment, stages, contacts and closure of an assigned referral, cut off at today.

        Mirrors the services: every move writes a StageChange; in the control arm a move into
        another organisation's stage waits (handover_requested_at) until the coordinator hands
        the case over (a new Assignment with is_handover, the previous one ended); contacts are
        logged by the case's professional in the stage's role; closing writes the Outcome and
        a closing StageChange. The current assignment stays open on a closed case.
        """
        rng = self.rng
        randint = self.randint
        sink = self.sink
        td = datetime.timedelta
        is_bip = arm == Arm.BIP
        case_id = case_row[0]
        cutoff = self.yesterday
        coordinator = self.pools.coordinator_user_id
        date_of_birth = child.date_of_birth
        path, halt_result = self._route(child, day, melding, case_row[6], case_row[7])

        # The timeline. BIPs absorb the autumn peak; the control arm waits longer for its first
        # contact and loses days at every handover.
        speed = 0.85 if is_bip else 1.0
        wait = randint(1, 5) if is_bip else randint(2, 10)
        if not is_bip and day.month in AUTUMN:
            wait += randint(0, 10)
        segments = []  # (stage, entered on, first contact day, last contact day)
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
            segments.append((stage, entered, start, end))
            entered = end
            start = end + td(days=randint(0, 3) if is_bip else randint(3, 14))
        closed_on = segments[-1][3] + td(days=randint(0, 5))

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
        # After registration (case_row[17]) and the allocation minutes later.
        last_event = max(self._at(assign_day, 420, 600), case_row[17] + td(minutes=35))
        assignment = [
            sink.new_id(Assignment), case_id, holder[0], last_event, None, reason, "", False,
            coordinator,
        ]  # fmt: skip
        version = 2
        stage = _L
        waiting_since = None
        last_contact = None
        first_contact_day = None
        complete = True
        for index, (seg_stage, entered_on, first_day, last_day) in enumerate(segments):
            if index > 0:
                if entered_on > cutoff:
                    complete = False
                    break
                last_event = max(self._at(entered_on, 935, 965), last_event + td(minutes=5))
                pupil_consent = parent_consent = None
                result = ""
                if seg_stage == _H:
                    pupil_consent = True
                    if _age(date_of_birth, entered_on) < HALT_PARENT_CONSENT_BELOW_AGE:
                        parent_consent = True
                elif stage == _H:
                    result = halt_result
                self.stage_changes.append(
                    (sink.new_id(StageChange), case_id, stage, seg_stage, CaseStatus.OPEN,
                     CaseStatus.OPEN, STAGE_REASONS[(stage, seg_stage)], result, pupil_consent,
                     parent_consent, False, holder[1], last_event)
                )  # fmt: skip
                version += 1
                stage = seg_stage
                if not is_bip:
                    # Control arm: wait for the coordinator to hand over to the next organisation.
                    handover_on = entered_on + td(days=randint(1, 2))
                    if handover_on > cutoff:
                        waiting_since = last_event
                        complete = False
                        break
                    last_event = self._at(handover_on, 420, 600)
                    holder = (
                        first_holder
                        if seg_stage == _L
                        else self.choice(self.pools.control[seg_stage])
                    )
                    assignment[4] = last_event
                    self.assignments.append(assignment)
                    assignment = [
                        sink.new_id(Assignment), case_id, holder[0], last_event, None,
                        AssignmentReason.STAGE_HANDOVER, HANDOVER_NOTES[seg_stage], True,
                        coordinator,
                    ]  # fmt: skip
                    version += 1

            # The contacts of this stage, by the case's professional, in the stage's role.
            next_stage = segments[index + 1][0] if index + 1 < len(segments) else None
            script = self._script(stage, index, next_stage, child, first_day, melding, halt_result)
            span = (last_day - first_day).days
            extra = len(script) - 1
            if span >= extra:
                offsets = sorted(rng.sample(range(1, span + 1), extra)) if extra else []
            else:
                offsets = sorted(randint(0, span) for _ in range(extra))
            professional_id, user_id = holder
            for (kind, with_whom), offset in zip(script, [0, *offsets], strict=True):
                contact_day = self._contact_day(first_day, last_day, offset)
                if contact_day > cutoff:
                    complete = False
                    break
                occurred_at = self._after(contact_day, last_event)
                low, high = DURATIONS[kind]
                duration = randint(low, high)
                last_contact = [
                    sink.new_id(Contact), case_id, professional_id, stage, kind, with_whom,
                    self.choice(CHANNELS.get(kind, DEFAULT_CHANNELS)), occurred_at, duration,
                    self.choice(SUMMARIES[kind]), kind == ContactKind.VERHOOR, None,
                    occurred_at + td(minutes=duration + randint(5, 120)), user_id,
                ]  # fmt: skip
                self.contacts.append(last_contact)
                last_event = occurred_at
                if first_contact_day is None:
                    first_contact_day = contact_day
            if not complete:
                break
        self.assignments.append(assignment)

        case_row[10] = stage
        case_row[12] = holder[0]
        case_row[19] = waiting_since
        if complete and closed_on <= cutoff:
            category = self._outcome(is_bip, stage)
            closed_at = max(self._at(closed_on, 840, 960), last_event + td(minutes=5))
            self.outcomes.append(
                (sink.new_id(Outcome), case_id, category,
                 max(day, closed_on - td(days=randint(0, 7))), holder[1], closed_at)
            )  # fmt: skip
            self.stage_changes.append(
                (sink.new_id(StageChange), case_id, stage, stage, CaseStatus.OPEN,
                 CaseStatus.CLOSED, CLOSING_REASONS[category],
                 HaltResult.POSITIVE if stage == _H else "", None, None, False, holder[1],
                 closed_at)
            )  # fmt: skip
            case_row[11] = CaseStatus.CLOSED
            case_row[15] = closed_on
            version += 1
            last_event = closed_at
            if closed_on <= self.today - td(days=3) and rng.random() < 0.35:
                self._client_surveys(case_id, arm, child, closed_on, category)
        elif last_contact is not None and waiting_since is None and rng.random() < 0.7:
            # An open case has a follow-up planned after its latest contact (some overdue).
            last_contact[11] = last_contact[7].date() + td(days=randint(7, 21))
        case_row[16] = version
        case_row[18] = max(last_event, case_row[17])

        if (
            first_contact_day is not None
            and not household.has_plan
            and rng.random() < (0.6 if len(household.children) > 1 else 0.08)
        ):
            self._plan(household, first_contact_day, first_holder)

    def _script(self, stage, index, next_stage, child: _Child, first_day, melding, halt_result):
        """The contacts of one stage: (kind, with whom), in order.

        The pupil is heard only from age 12 (roles/acts.py); younger, the parents are.
        """
        rng = self.rng
        K, W = ContactKind, ContactWith
        old_enough = _age(child.date_of_birth, first_day) >= MIN_AGE_PUPIL_HEARD
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

    def _plan(self, household: _Household, day: datetime.date, holder: tuple[int, int]):
        rng = self.rng
        sink = self.sink
        td = datetime.timedelta
        household.has_plan = True
        plan_id = sink.new_id(HouseholdPlan)
        created_at = self._at(day, 780, 900)
        last_change = created_at
        changes = []
        goals = rng.sample(range(len(PLAN_GOALS)), self.randint(1, 3))
        goal_ids = []
        for position, goal in enumerate(goals, start=1):
            goal_id = sink.new_id(PlanGoal)
            goal_ids.append(goal_id)
            self.goals.append((goal_id, plan_id, PLAN_GOALS[goal], position, created_at))
            changes.append((PlanChangeKind.GOAL_ADDED, PLAN_GOALS[goal], created_at))
        for action in rng.sample(range(len(PLAN_ACTIONS)), self.randint(2, 4)):
            owner, description = PLAN_ACTIONS[action]
            due_on = day + td(days=self.randint(14, 60))
            done_on = None
            if due_on < self.today and rng.random() < 0.7:
                done_on = min(max(day, due_on - td(days=self.randint(0, 10))), self.yesterday)
            self.actions.append(
                (sink.new_id(PlanAction), plan_id, self.choice(goal_ids), description, owner,
                 holder[0] if owner == PlanOwner.PROFESSIONAL else None, due_on, done_on)
            )  # fmt: skip
            changes.append((PlanChangeKind.ACTION_ADDED, description, created_at))
            if done_on is not None:
                done_at = self._at(done_on, 900, 960)
                changes.append((PlanChangeKind.ACTION_DONE, description, done_at))
                last_change = max(last_change, done_at)
        for kind, description, changed_at in changes:
            self.plan_changes.append(
                (sink.new_id(PlanChange), plan_id, kind, description, holder[1], changed_at)
            )
        self.plans.append((plan_id, household.id, created_at, last_change, 1 + len(changes)))

    def _invitation_times(self, day: datetime.date):
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

    def _client_surveys(self, case_id, arm, child: _Child, closed_on, category) -> None:
        rng = self.rng
        sink = self.sink
        respondents = [RespondentType.PARENT]
        if _age(child.date_of_birth, closed_on) >= 12:
            respondents.append(RespondentType.CHILD)
        is_bip = arm == Arm.BIP
        good = category in SUITABLE_OUTCOMES
        for respondent in respondents:
            sent_on = closed_on + datetime.timedelta(days=self.randint(1, 3))
            if sent_on > self.yesterday:
                return
            created_at, expires_at, submitted_at = self._invitation_times(sent_on)
            invitation_id = sink.new_id(SurveyInvitation)
            self.invitations.append(
                (invitation_id, respondent, case_id, None, None, None, self._token_hash(),
                 created_at, expires_at, submitted_at)
            )  # fmt: skip
            if submitted_at is None:
                continue
            base = (7.6 if is_bip else 6.9) + (0.6 if good else -1.4)
            grade = min(10, max(1, round(rng.gauss(base, 1.2))))
            response_id = sink.new_id(SurveyResponse)
            self.responses.append(
                (response_id, invitation_id, respondent, arm, grade, "", submitted_at)
            )
            for item in CLIENT_ITEMS:
                mean = 3.6 + (0.4 if good else -0.6)
                if is_bip and item in BIP_CLIENT_BONUS:
                    mean += 0.7
                score = min(5, max(1, round(rng.gauss(mean, 0.9))))
                self.answers.append((sink.new_id(SurveyAnswer), response_id, item, score))

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
        for professional_id, _user_id, is_bip in self.pools.all_professionals:
            arm = Arm.BIP if is_bip else Arm.CONTROL
            for start, end in periods:
                created_at, expires_at, submitted_at = self._invitation_times(
                    end + datetime.timedelta(days=1)
                )
                invitation_id = sink.new_id(SurveyInvitation)
                self.invitations.append(
                    (invitation_id, RespondentType.STAFF, None, professional_id, start, end,
                     self._token_hash(), created_at, expires_at, submitted_at)
                )  # fmt: skip
                if submitted_at is None:
                    continue
                response_id = sink.new_id(SurveyResponse)
                grade = min(10, max(1, round(rng.gauss(7.4 if is_bip else 7.0, 1.0))))
                self.responses.append(
                    (response_id, invitation_id, RespondentType.STAFF, arm, grade, "",
                     submitted_at)
                )  # fmt: skip
                for item in STAFF_ITEMS:
                    mean = STAFF_MEANS[item][is_bip]
                    score = min(5, max(1, round(rng.gauss(mean, 0.8))))
                    self.answers.append((sink.new_id(SurveyAnswer), response_id, item, score))


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def seed_demo(
    *,
    case_count: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> SeedReport:
    """Create the demo world; see the module docstring and `manage.py seed_demo --help`.

    Reference data is always brought up to date. Cases are generated only into a database
    without cases, or after `reset` empties the case world, in the same transaction: a run
    that fails leaves the previous world as it was.
    """
    ensure_reference_data()
    with transaction.atomic():
        if reset:
            progress("Bestaande zaken en alles wat eraan hangt verwijderen ...")
            reset_case_world()
        elif Case.objects.exists():
            return SeedReport(cases=0, counts={}, skipped=True)
        started = time.monotonic()
        ensure_scaled_reference_data(case_count)
        sink = _RowSink()
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
        try:
            builder.run()
        finally:
            sink.close()
        builder.save_sequences()
        if bulk_load:
            progress(
                f"Indexen en sleutels opnieuw opbouwen ({time.monotonic() - started:.0f} s) ..."
            )
            sink.restore_secondary_structures()
        sink.reset_sequences()
    return SeedReport(cases=case_count, counts=sink.counts())
