"""The survey responses' rows from PostgreSQL's COPY (evaluation.exports.postgres_rows
`survey_rows_sql`) against `datasets.survey_chunks`, the definition: the same CSV files byte
for byte, the same SPSS data and the same Excel cells."""

import datetime
import random

import pytest
from django.db import connection

from evaluation.constants import (
    CLIENT_ITEMS,
    STAFF_ITEMS,
    Arm,
    ExportDataset,
    ExportFormat,
    RespondentType,
)
from evaluation.exports import postgres_rows, writers
from evaluation.exports.datasets import NOT_APPLICABLE_CODE, get_dataset, survey_chunks
from evaluation.models import SurveyAnswer, SurveyResponse
from evaluation.periods import MonthPeriod
from tests.evaluation.exports.copy_checks import (
    PSEUDONYMISE,
    assert_the_copy_writes_the_python_rows_file,
)
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ProfessionalFactory,
    SurveyInvitationFactory,
)

# The COPY runs on a connection of its own, which sees committed rows only.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

D = datetime.date
# UTC times on either side of midnight in Dutch time, in winter and in summer.
TIMES = (datetime.time(22, 59), datetime.time(23, 0), datetime.time(21, 59), datetime.time(9, 0))


def _respond(invitation, respondent_type, arm, submitted_at, grade, items, rng) -> None:
    response = SurveyResponse.objects.create(
        invitation=invitation,
        respondent_type=respondent_type,
        arm=arm,
        grade=grade,
        submitted_at=submitted_at,
    )
    for item in items:
        if rng.random() < 0.8:  # some statements left unanswered
            SurveyAnswer.objects.create(response=response, item=item, score=rng.randint(1, 5))


def build_responses(seed: int = 5, cases: int = 18) -> int:
    """Child and parent responses over 2024 (some cases corrected to the other arm, so the
    allocated arm differs from the arm at submission; some before the referral's week is
    out), staff responses of BIP and other professionals, grades missing, answers missing.
    Returns the number of responses."""
    rng = random.Random(seed)
    count = 0
    for index in range(cases):
        received = D(2024, 1 + index % 12, 1 + rng.randint(0, 27))
        arm = Arm.BIP if index % 2 else Arm.CONTROL
        case = CaseFactory(arm=arm, date_received=received)
        if index % 4 == 0:
            drawn = AllocationFactory(case=case, arm=arm)
            other = Arm.CONTROL if arm == Arm.BIP else Arm.BIP
            AllocationFactory(correction=True, case=case, arm=other, supersedes=drawn)
        for respondent_type in (RespondentType.CHILD, RespondentType.PARENT):
            if rng.random() < 0.3:
                continue
            day = received + datetime.timedelta(days=rng.randint(0, 100))
            moment = datetime.datetime.combine(day, rng.choice(TIMES), tzinfo=datetime.UTC)
            invitation = SurveyInvitationFactory(case=case, respondent_type=respondent_type)
            grade = None if rng.random() < 0.15 else rng.randint(1, 10)
            _respond(invitation, respondent_type, case.arm, moment, grade, CLIENT_ITEMS, rng)
            count += 1
    for index in range(8):
        is_bip = index % 2 == 0
        day = D(2024, 2 + index, 28)
        invitation = SurveyInvitationFactory(
            respondent_type=RespondentType.STAFF,
            case=None,
            professional=ProfessionalFactory(is_bip=is_bip),
            period_start=day.replace(day=1),
            period_end=day,
        )
        moment = datetime.datetime.combine(day, rng.choice(TIMES), tzinfo=datetime.UTC)
        arm = Arm.BIP if is_bip else Arm.CONTROL
        _respond(
            invitation, RespondentType.STAFF, arm, moment, rng.randint(1, 10), STAFF_ITEMS, rng
        )
        count += 1
    return count


@pytest.mark.parametrize(
    "period", [None, MonthPeriod(first_month=D(2024, 3, 1), last_month=D(2024, 8, 1))]
)
def test_postgres_writes_the_survey_csv_files_the_python_rows_give(tmp_path, period):
    responses = build_responses()
    dataset = get_dataset(ExportDataset.SURVEYS)
    files = {}
    sources = {
        "python": survey_chunks(PSEUDONYMISE, 4, period=period),
        "postgres": postgres_rows.survey_copy_blocks(PSEUDONYMISE, period=period, block_rows=5),
    }
    for name, chunks in sources.items():
        excel, plain = tmp_path / f"{name}.csv", tmp_path / f"{name}_r.csv"
        rows = writers.write_csv(excel, dataset.variables, chunks, r_path=plain)
        files[name] = (rows, excel.read_bytes(), plain.read_bytes())
    rows, excel, _plain = files["postgres"]
    assert rows > 10 and (period is not None or rows == responses)
    assert files["postgres"] == files["python"]
    # Staff rows have no case and no weeks; both kinds occur.
    lines = [line.split(b";") for line in excel.splitlines()[1:]]
    staff = [line for line in lines if line[2] == b"medewerker"]
    assert staff and all(line[1] == b"" for line in staff)
    assert {line[-3] for line in staff} == {str(NOT_APPLICABLE_CODE).encode()}
    assert len(staff) < len(lines)


@pytest.mark.parametrize("file_format", [ExportFormat.SAV, ExportFormat.XLSX])
def test_the_survey_export_from_the_copy_is_the_export_from_the_python_rows(tmp_path, file_format):
    """The whole export service: the SPSS data byte for byte, the Excel cells value for value."""
    build_responses()
    rows = assert_the_copy_writes_the_python_rows_file(tmp_path, ExportDataset.SURVEYS, file_format)
    assert rows > 10
