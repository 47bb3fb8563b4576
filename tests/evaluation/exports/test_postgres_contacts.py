"""The contacts dataset's rows from PostgreSQL's COPY (evaluation.exports.postgres_rows
`contact_rows_sql`) against `datasets.contact_chunks`, the definition: the same CSV files byte
for byte, the same SPSS data and the same Excel cells."""

import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from evaluation.constants import Arm, ExportDataset, ExportFormat
from evaluation.exports import postgres_rows, writers
from evaluation.exports.datasets import contact_chunks, get_dataset
from evaluation.periods import MonthPeriod
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.evaluation.exports.copy_checks import (
    PSEUDONYMISE,
    assert_the_copy_writes_the_python_rows_file,
)
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ContactFactory,
    OrganisationFactory,
    ProfessionalFactory,
)

# The COPY runs on a connection of its own, which sees committed rows only.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

D = datetime.date
AMSTERDAM = datetime.timezone(datetime.timedelta(hours=1))
# Minutes around midnight in Dutch time, in winter (UTC+1) and summer (UTC+2), and in the day.
TIMES = (
    datetime.time(22, 59),
    datetime.time(23, 0),
    datetime.time(23, 30),
    datetime.time(21, 59),
    datetime.time(22, 0),
    datetime.time(10, 15),
)


# Any role may log these; a hearing and an official report are Leerplicht's (a BOA's) alone.
ORDINARY_KINDS = [
    kind for kind in ContactKind if kind not in (ContactKind.VERHOOR, ContactKind.PROCES_VERBAAL)
]


def build_contacts(seed: int = 11, cases: int = 24) -> int:
    """Cases of both arms (some corrected, so the as-treated arm differs) over 2024, each with
    0 to 4 contacts at UTC times that fall on another Dutch day, some before the referral; one
    case without an arm (left out). Returns the number of contacts exported."""
    rng = random.Random(seed)
    professionals = [
        ProfessionalFactory(organisation=OrganisationFactory(kind=kind))
        for kind in (ChainRole.LEERPLICHT, ChainRole.HALT, ChainRole.RVDK)
    ]
    exported = 0
    for index in range(cases):
        received = D(2024, 1 + index % 12, 1 + rng.randint(0, 27))
        arm = Arm.BIP if index % 2 else Arm.CONTROL
        case = CaseFactory(arm=arm, date_received=received, assigned=True)
        if index % 5 == 0:
            drawn = AllocationFactory(case=case, arm=arm)
            other = Arm.CONTROL if arm == Arm.BIP else Arm.BIP
            AllocationFactory(correction=True, case=case, arm=other, supersedes=drawn)
        for _ in range(rng.randint(0, 4)):
            day = received + datetime.timedelta(days=rng.randint(-3, 120))
            moment = datetime.datetime.combine(day, rng.choice(TIMES), tzinfo=datetime.UTC)
            role = rng.choice(list(ChainRole))
            verhoor = role == ChainRole.LEERPLICHT and rng.random() < 0.3
            ContactFactory(
                case=case,
                professional=rng.choice(professionals),
                role=role,
                kind=ContactKind.VERHOOR if verhoor else rng.choice(ORDINARY_KINDS),
                caution_given=verhoor,
                with_whom=rng.choice(list(ContactWith)),
                channel=rng.choice(list(Channel)),
                occurred_at=moment,
                duration_minutes=rng.randint(1, 480),
            )
            exported += 1
    ContactFactory(case=CaseFactory(arm="", assigned=True))  # no arm: not in the dataset
    return exported


@pytest.mark.parametrize(
    "period", [None, MonthPeriod(first_month=D(2024, 3, 1), last_month=D(2024, 8, 1))]
)
def test_postgres_writes_the_contact_csv_files_the_python_rows_give(tmp_path, period):
    exported = build_contacts()
    dataset = get_dataset(ExportDataset.CONTACTS)
    files = {}
    sources = {
        "python": contact_chunks(PSEUDONYMISE, 5, period=period),
        "postgres": postgres_rows.contact_copy_blocks(PSEUDONYMISE, period=period, block_rows=7),
    }
    for name, chunks in sources.items():
        excel, plain = tmp_path / f"{name}.csv", tmp_path / f"{name}_r.csv"
        rows = writers.write_csv(excel, dataset.variables, chunks, r_path=plain)
        files[name] = (rows, excel.read_bytes(), plain.read_bytes())
    rows, excel, _plain = files["postgres"]
    assert rows > 10 and (period is not None or rows == exported)
    assert excel.count(b"\r\n") == rows + 1
    assert files["postgres"] == files["python"]


def test_the_weeks_count_the_dutch_day_of_the_contact():
    """23:30 UTC on 31 January is 00:30 on 1 February in Dutch time: a week after a referral
    of 25 January, where the UTC date would give 6 days, week 0."""
    case = CaseFactory(arm=Arm.BIP, date_received=D(2024, 1, 25), assigned=True)
    ContactFactory(
        case=case, occurred_at=datetime.datetime(2024, 1, 31, 23, 30, tzinfo=datetime.UTC)
    )
    assert timezone.localdate(case.contacts.get().occurred_at) == D(2024, 2, 1)
    (block,) = postgres_rows.contact_copy_blocks(PSEUDONYMISE)
    assert block.text.rstrip("\n").split(";")[-2] == "1"


@pytest.mark.parametrize("file_format", [ExportFormat.SAV, ExportFormat.XLSX])
def test_the_contact_export_from_the_copy_is_the_export_from_the_python_rows(tmp_path, file_format):
    """The whole export service: the SPSS data byte for byte, the Excel cells value for value."""
    build_contacts()
    rows = assert_the_copy_writes_the_python_rows_file(
        tmp_path, ExportDataset.CONTACTS, file_format
    )
    assert rows > 10
