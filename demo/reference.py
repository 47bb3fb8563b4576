"""The demo world's reference data: organisations, the 15 demo accounts, schools, and the
extra schools and professionals a scaled world adds. Idempotent by natural key.

Also the pools of names and places both the small and the scaled world draw from.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from cases.constants import SchoolLevel, Stage
from cases.models import School
from professionals.constants import StaffGroup
from professionals.models import Organisation, Professional, Qualification
from roles.constants import ChainRole

DEMO_PASSWORD = "ketenkameleon-demo"  # noqa: S105 - the documented demo password
DEFAULT_CASES = 300
DEFAULT_SEED = 2018
PILOT_START = datetime.date(2018, 8, 1)
# One professional per this many referrals in the window keeps open caseloads near 10-20.
CASES_PER_PROFESSIONAL = 250
CASES_PER_SCHOOL = 150

_L, _H, _R = Stage.LEERPLICHT, Stage.HALT, Stage.RVDK

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


class BaseSchool(NamedTuple):
    brin: str
    name: str
    level: SchoolLevel
    city: str


# Invented schools in and around Haarlem.
SCHOOLS = (
    BaseSchool("12KL", "Het Spaarnestede Lyceum", SchoolLevel.VO, "Haarlem"),
    BaseSchool("14RX", "Kenau Hasselaer College", SchoolLevel.VO, "Haarlem"),
    BaseSchool("16JP", "Het Laurens Janszoon Lyceum", SchoolLevel.VO, "Haarlem"),
    BaseSchool("21WD", "Scholengemeenschap De Waarden", SchoolLevel.VO, "Haarlem"),
    BaseSchool("23BL", "Het Bolwerk Lyceum", SchoolLevel.VO, "Haarlem"),
    BaseSchool("25GH", "Groot Heiligland College", SchoolLevel.VO, "Haarlem"),
    BaseSchool("27SB", "Het Schoterbos Lyceum", SchoolLevel.VO, "Haarlem"),
    BaseSchool("31LV", "Het Leidsevaart Lyceum", SchoolLevel.VO, "Heemstede"),
    BaseSchool("33VM", "Het Van Merlen College", SchoolLevel.VO, "Heemstede"),
    BaseSchool("35DR", "Het Duinrand College", SchoolLevel.VO, "Zandvoort"),
    BaseSchool("37HF", "Hofland Scholengemeenschap", SchoolLevel.VO, "Bloemendaal"),
    BaseSchool("41KD", "Het Kennemerduin College", SchoolLevel.VO, "IJmuiden"),
    BaseSchool("43ZP", "Basisschool De Zeepaardjes", SchoolLevel.PO, "Zandvoort"),
    BaseSchool("45KB", "Openbare Basisschool Het Klaverblad", SchoolLevel.PO, "Haarlem"),
    BaseSchool("47VB", "Daltonschool De Vlinderboom", SchoolLevel.PO, "Heemstede"),
    BaseSchool("51MW", "Jenaplanschool De Molenwiek", SchoolLevel.PO, "Haarlem"),
    BaseSchool("53DP", "School voor speciaal onderwijs De Duinpieper", SchoolLevel.SO, "Haarlem"),
    BaseSchool("55ZH", "Het Zuiderhout, school voor vso", SchoolLevel.SO, "Haarlem"),
    BaseSchool("57KV", "Kennemer Vakcollege", SchoolLevel.MBO, "Haarlem"),
    BaseSchool("61ST", "Spaarne Techniek mbo", SchoolLevel.MBO, "Haarlem"),
)


class City(NamedTuple):
    """Real postcode ranges, invented addresses; `weight` is the city's share of households."""

    name: str
    first_postcode: int
    last_postcode: int
    weight: int


REGION_CITIES = (
    City("Haarlem", 2011, 2037, 10),
    City("Heemstede", 2101, 2106, 2),
    City("Zandvoort", 2041, 2042, 1),
    City("Bloemendaal", 2061, 2061, 1),
    City("IJmuiden", 1971, 1976, 2),
    City("Hoofddorp", 2131, 2135, 2),
)
NATIONAL_CITIES = REGION_CITIES + (
    City("Amsterdam", 1011, 1109, 14),
    City("Rotterdam", 3011, 3089, 10),
    City("Den Haag", 2491, 2597, 8),
    City("Utrecht", 3511, 3585, 6),
    City("Eindhoven", 5611, 5658, 4),
    City("Groningen", 9711, 9747, 4),
    City("Tilburg", 5011, 5049, 3),
    City("Almere", 1311, 1363, 3),
    City("Zwolle", 8011, 8043, 2),
    City("Arnhem", 6811, 6846, 2),
    City("Leeuwarden", 8911, 8941, 2),
    City("Maastricht", 6211, 6229, 2),
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
# Reference data
# --------------------------------------------------------------------------------------------


class StaffMember(NamedTuple):
    professional_id: int
    user_id: int
    is_bip: bool


@dataclass
class StaffPools:
    """The ids the case generator needs: who registers, who can take which case."""

    coordinator_user_id: int
    bips: list[StaffMember]
    control: dict[str, list[StaffMember]]  # organisation kind -> its control-arm staff
    all_professionals: list[StaffMember]


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
            city = pick.choices(cities, [c.weight for c in cities])[0].name
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
    for professional_id, organisation_kind, is_bip in created:
        for role in kinds if is_bip else (ChainRole(organisation_kind),):
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
    bips: list[StaffMember] = []
    control: dict[str, list[StaffMember]] = {kind: [] for kind in ChainRole.values}
    everyone = []
    for professional_id, user_id, is_bip, kind in rows:
        member = StaffMember(professional_id, user_id, is_bip)
        everyone.append(member)
        (bips if is_bip else control[kind]).append(member)
    return StaffPools(
        coordinator_user_id=user_model.objects.get(username="coordinator").pk,
        bips=bips,
        control=control,
        all_professionals=everyone,
    )
