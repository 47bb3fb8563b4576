"""Disclosure control of the exports: k-anonymity on the quasi-identifiers, and no exact
referral date rebuildable from the exported columns. Every check reads the real files back."""

import datetime
import json
import random
import zipfile
from collections import Counter

import pytest

from cases.models import three_month_deadline
from evaluation.constants import Arm, ExportDataset
from evaluation.definitions import MeasurementStatus
from evaluation.exports import kanonymity, services
from evaluation.exports.datasets import QUASI_IDENTIFIERS, WITHHELD_CODE
from evaluation.periods import MonthPeriod
from tests.factories import CaseFactory, ChildFactory

from .conftest import measure
from .readers import read_export
from .test_round_trip import decode_categories

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

FORMATS = ["csv", "xlsx", "sav"]
STUDY_END = datetime.date(2025, 6, 30)


def run(researcher, tmp_path, file_format, dataset=ExportDataset.CASES, **options):
    export = services.export_create(
        user=researcher, dataset=dataset, file_format=file_format, **options
    )
    export = services.export_run(export_id=export.pk, chunk_size=37)
    assert export.status == "klaar", export.error
    zip_path = services.export_path(export)
    rows = decode_categories(read_export(zip_path, tmp_path / file_format, file_format),
                             dataset, file_format)  # fmt: skip
    with zipfile.ZipFile(zip_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        codebook = archive.read("codebook.txt").decode()
    return rows, manifest, codebook


def released(row) -> tuple:
    return tuple(row[name] for name in QUASI_IDENTIFIERS)


@pytest.fixture
def pilot_world(db):
    """300 cases, the size of the real pilot, spread like referrals are: most rows are rare."""
    rng = random.Random(13)
    for _index in range(300):
        received = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(150))
        born = received - datetime.timedelta(days=rng.randrange(5 * 365, 17 * 365))
        CaseFactory(
            arm=rng.choice([Arm.BIP, Arm.CONTROL]),
            date_received=received,
            child=ChildFactory(date_of_birth=born),
            melding_type=rng.choice(["16_uur", "lrv", "luxe", "overig"]),
        )


@pytest.mark.slow
@pytest.mark.parametrize("file_format", FORMATS)
def test_every_released_combination_occurs_at_least_five_times_in_the_pilot_world(
    researcher, pilot_world, tmp_path, file_format
):
    rows, manifest, codebook = run(researcher, tmp_path, file_format)
    assert len(rows) == 300
    classes = Counter(released(row) for row in rows)
    assert min(classes.values()) >= kanonymity.K
    summary = manifest["k_anonymity"]
    generalised = sum(1 for row in rows if row["leeftijd_bij_melding"] == WITHHELD_CODE)
    assert summary["rows_generalised"] == generalised > 0
    assert summary["rows"] == 300
    assert f"{generalised} van de 300 rijen zijn gegeneraliseerd" in codebook


@pytest.mark.slow
def test_k_anonymity_plan_in_a_larger_world():
    """50,000 synthetic rows: every released class holds at least k, most rows stay exact."""
    rng = random.Random(5)
    counts = Counter(
        (
            rng.randrange(5, 18),
            rng.choice(["po", "vo", "so", "mbo", ""]),
            rng.choice([2024, 2025]),
            rng.randrange(1, 13),
            rng.choice(["16_uur", "lrv", "luxe", "overig", "absoluut"]),
            rng.choice(["duo", "school", "ketenpartner", "overig"]),
        )
        for _row in range(50_000)
    )
    plan = kanonymity.plan_generalisation(counts)
    released_rows = Counter()
    for identifiers, rows in counts.items():
        released_rows[kanonymity.generalised(identifiers, plan.level(identifiers))] += rows
    assert min(released_rows.values()) >= kanonymity.K
    assert plan.rows == 50_000
    assert 0 < plan.generalised_rows < 50_000


def test_too_few_fully_suppressed_rows_take_a_whole_group_with_them():
    counts = Counter(
        {(12, "vo", 2025, 1, "lrv", "duo"): 6, (7, "po", 2024, 3, "luxe", "school"): 1}
    )
    plan = kanonymity.plan_generalisation(counts)
    assert plan.rows_per_level[kanonymity.FULLY_SUPPRESSED] == 7  # never a class of 1
    assert kanonymity.plan_generalisation(Counter()).rows == 0


@pytest.fixture
def date_world(db):
    """Month-end referrals followed the full three months without a suitable outcome (89 to 92
    days), and referrals censored by the study end, five of each kind per month so k-anonymity
    keeps their months."""
    child_born = datetime.date(2012, 6, 1)
    for received in [
        datetime.date(2025, 1, 31),
        datetime.date(2025, 2, 28),
        datetime.date(2025, 1, 29),
        datetime.date(2025, 2, 26),
    ]:
        for _index in range(5):
            case = CaseFactory(
                arm=Arm.BIP, date_received=received, child=ChildFactory(date_of_birth=child_born)
            )
            measure(
                case,
                suitable=False,
                outcome_category="",
                days_to_outcome=None,
                km_days=(three_month_deadline(received) - received).days,
                km_event=False,
            )
    for received in [datetime.date(2025, 5, 3), datetime.date(2025, 5, 29)]:
        for _index in range(5):
            case = CaseFactory(
                arm=Arm.CONTROL,
                date_received=received,
                child=ChildFactory(date_of_birth=child_born),
            )
            measure(
                case,
                status=MeasurementStatus.CENSORED,
                suitable=None,
                outcome_category="",
                days_to_outcome=None,
                km_days=(STUDY_END - received).days,
                km_event=False,
            )


def candidate_referral_dates(row) -> set[datetime.date]:
    """What an attacker can narrow the referral date to: every day of the released month that
    is consistent with the follow-up time read as exact (STUDY_END − weeks, or the measurement
    date − weeks for a case followed the full three months)."""
    year, month = row["melding_jaar"], row["melding_maand"]
    first = datetime.date(year, month, 1)
    days = [first + datetime.timedelta(days=n) for n in range(31)]
    days = [day for day in days if day.month == month]
    weeks = row["km_weken"]
    if row["meting_status"] == MeasurementStatus.CENSORED:
        return {day for day in days if (STUDY_END - day).days // 7 == weeks}
    if row["km_gebeurtenis"] == 0:
        return {day for day in days if (three_month_deadline(day) - day).days // 7 == weeks}
    return set(days)


@pytest.mark.parametrize("file_format", FORMATS)
def test_no_export_lets_an_exact_referral_date_be_rebuilt(
    researcher, date_world, tmp_path, file_format
):
    rows, _manifest, _codebook = run(researcher, tmp_path, file_format)
    assert len(rows) == 30
    for row in rows:
        assert not any("dag" in name for name in row), "no column counts days"
        assert row["melding_maand"] != WITHHELD_CODE  # five per month: the month is kept
        if row["meting_status"] == MeasurementStatus.MEASURED:
            assert len(candidate_referral_dates(row)) != 1, row
    followed = [row for row in rows if row["meting_status"] == MeasurementStatus.MEASURED]
    assert len(followed) == 20
    assert {row["km_weken"] for row in followed} == {13}  # top-coded, not 89-92 days
    censored = [row for row in rows if row["meting_status"] == MeasurementStatus.CENSORED]
    assert len(censored) == 10
    # Referred on 3 and on 29 May, censored at the study end: the same 4 whole weeks (from
    # the end of May), so STUDY_END − km_weken says nothing about the day in May.
    assert {row["km_weken"] for row in censored} == {4}
    assert len({(row["melding_maand"], row["km_weken"]) for row in censored}) == 1


def test_the_export_covers_whole_months_and_says_which(researcher, date_world, tmp_path):
    period = MonthPeriod.parse("2025-02", "2025-02")
    rows, manifest, codebook = run(researcher, tmp_path, "csv", period=period)
    assert len(rows) == 10
    assert {row["melding_maand"] for row in rows} == {2}
    assert manifest["period"] == {"first_day": "2025-02-01", "last_day": "2025-02-28"}
