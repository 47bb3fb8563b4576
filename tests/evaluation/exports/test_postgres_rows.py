"""The cases CSV that PostgreSQL writes itself is the file the Python rows give, byte for byte,
and the SPSS data read from the same COPY is the Python rows' data, value for value.

`postgres_rows` restates `datasets.case_chunks` in SQL. These tests build a world that reaches
every branch of a case row (every measurement status, with and without a suitable outcome,
outcome and days; no school, no professional, no allocation log, corrections after the
measurement date; hours and lateness on both sides of every band edge; ages around the
birthday and outside the age bands; siblings) and compare the two CSV files of both paths:
without and with a data freeze, for all months and for a period, with and without
generalisation, and with a combination the plan has not seen.
"""

import datetime
import io
import json
import random
import zipfile

import pandas as pd
import pytest
from django.db import connection, transaction
from openpyxl import load_workbook
from psycopg import ClientCursor

from cases.constants import CaseSource, MeldingType, OutcomeCategory, SchoolLevel, Stage
from evaluation.constants import AllocationMethod, Arm, ExportDataset, ExportFormat
from evaluation.definitions import DEFINITIONS_VERSION, MeasurementStatus
from evaluation.exports import postgres_rows, pseudonyms, services, writers
from evaluation.exports.datasets import TEXT, WITHHELD_CODE, case_chunks, cases_plan, get_dataset
from evaluation.exports.pseudonyms import Pseudonymiser
from evaluation.models import DataFreeze, FrozenMeasurement, Measurement
from evaluation.periods import MonthPeriod
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    HouseholdFactory,
    ProfessionalFactory,
    SchoolFactory,
)

from .conftest import measure

# The COPY runs on a connection of its own, which sees committed rows only.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY and sha256() are PostgreSQL's"
    ),
]

D = datetime.date
HOURS = (0, 1, 8, 9, 15, 16, 30, 31, 60, 61, 400)
LATE = (0, 1, 11, 12, 60, 61, 300)


def _measurement(rng: random.Random) -> dict | None:
    """The figures of one case's measurement, or None (not measured)."""
    status = rng.choice(
        [None, MeasurementStatus.MEASURED, MeasurementStatus.CENSORED, MeasurementStatus.MOVED]
    )
    if status is None:
        return None
    event = status == MeasurementStatus.MEASURED and rng.random() < 0.6
    return {
        "status": status,
        "suitable": rng.choice([None, True, False]),
        "outcome_category": rng.choice(["", OutcomeCategory.BACK_TO_SCHOOL, OutcomeCategory.CARE]),
        "days_to_outcome": rng.choice([None, 0, 6, 7, 45]),
        "days_to_first_contact": rng.choice([None, 0, 13, 14]),
        "distinct_professionals": rng.randint(0, 3),
        "handovers": rng.randint(0, 2),
        "contacts": rng.randint(0, 9),
        "furthest_stage": rng.choice(list(Stage)),
        "km_days": rng.choice([0, 6, 7, 30, 89, 92, 120]),
        "km_event": event,
    }


def build_world(seed: int = 7, cases: int = 70) -> list:
    rng = random.Random(seed)
    schools = [SchoolFactory(level=level) for level in SchoolLevel]
    professionals = [ProfessionalFactory() for _ in range(3)]
    households = [HouseholdFactory() for _ in range(cases // 3)]
    made = []
    for _ in range(cases):
        received = D(2024, rng.randint(1, 12), rng.randint(1, 28))
        age = rng.choice([3, 5, 9, 12, 14, 16, 19])
        born = received.replace(year=received.year - age) + datetime.timedelta(
            days=rng.choice([-1, 0, 1, 40])
        )
        child = ChildFactory(
            date_of_birth=born,
            school=rng.choice([None, *schools]),
            household=rng.choice(households),
        )
        case = CaseFactory(
            child=child,
            date_received=received,
            melding_type=rng.choice(list(MeldingType)),
            source=rng.choice(list(CaseSource)),
            hours_absent=rng.choice(HOURS),
            times_late=rng.choice(LATE),
            stage=rng.choice(list(Stage)),
            closed=rng.random() < 0.3,
            professional=rng.choice([None, *professionals]),
            arm=rng.choice([Arm.BIP, Arm.CONTROL]),
        )
        method = rng.choice([None, AllocationMethod.BLOCK_RANDOM, AllocationMethod.MANUAL])
        if method is not None:
            first = AllocationFactory(case=case, arm=case.arm, method=method, reason="Gekozen.")
            if rng.random() < 0.3:
                AllocationFactory(
                    case=case,
                    arm=Arm.CONTROL if case.arm == Arm.BIP else Arm.BIP,
                    supersedes=first,
                    correction=True,
                    after_measurement=rng.random() < 0.5,
                )
        figures = _measurement(rng)
        if figures is not None:
            measure(case, **figures)
        made.append(case)
    # A leap-day child, the day before and on its birthday, and in a year without 29 February.
    for received in (D(2024, 2, 28), D(2024, 2, 29), D(2023, 2, 28), D(2023, 3, 1)):
        child = ChildFactory(date_of_birth=D(2012, 2, 29), school=schools[0])
        made.append(CaseFactory(child=child, date_received=received, arm=Arm.BIP))
    CaseFactory(arm="")  # not allocated: in neither file
    return made


def freeze_of_snapshot() -> DataFreeze:
    """A freeze holding the snapshot's rows of every other case, and another definitions
    version, so the two sources of a row's measurement differ."""
    freeze = DataFreeze.objects.create(
        label="T1",
        as_of=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
        definitions_version=DEFINITIONS_VERSION + 1,
        row_count=0,
        rows_bip=0,
        rows_control=0,
        sha256="0" * 64,
    )
    fields = [
        field.name
        for field in FrozenMeasurement._meta.get_fields()
        if field.concrete and field.name not in ("id", "freeze", "case")
    ]
    FrozenMeasurement.objects.bulk_create(
        FrozenMeasurement(
            freeze=freeze, case_id=row.case_id, **{name: getattr(row, name) for name in fields}
        )
        for row in Measurement.objects.order_by("case_id")[::2]
    )
    return freeze


def both_files(tmp_path, *, plan, freeze=None, period=None, block_rows=7) -> dict:
    """The Dutch and the R CSV from the Python rows and from PostgreSQL's COPY, as bytes."""
    dataset = get_dataset(ExportDataset.CASES)
    pseudonymise = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")
    sources = {
        "python": case_chunks(pseudonymise, 5, freeze=freeze, period=period, plan=plan),
        "postgres": postgres_rows.case_copy_blocks(
            pseudonymise, plan=plan, freeze=freeze, period=period, block_rows=block_rows
        ),
    }
    files = {}
    for name, chunks in sources.items():
        excel, plain = tmp_path / f"{name}.csv", tmp_path / f"{name}_r.csv"
        rows = writers.write_csv(excel, dataset.variables, chunks, r_path=plain)
        files[name] = (rows, excel.read_bytes(), plain.read_bytes())
    return files


@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("with_freeze", [False, True])
@pytest.mark.parametrize(
    "period", [None, MonthPeriod(first_month=D(2024, 3, 1), last_month=D(2024, 8, 1))]
)
def test_postgres_writes_the_csv_files_the_python_rows_give(tmp_path, k, with_freeze, period):
    build_world()
    freeze = freeze_of_snapshot() if with_freeze else None
    files = both_files(tmp_path, plan=cases_plan(period, k=k), freeze=freeze, period=period)
    rows, excel, plain = files["postgres"]
    assert rows > 10
    assert excel.count(b"\r\n") == rows + 1
    assert files["postgres"] == files["python"]


def both_frames(*, plan, freeze=None, period=None, block_rows=7):
    """The SPSS frame of the Python rows and of PostgreSQL's COPY, all chunks together."""
    dataset = get_dataset(ExportDataset.CASES)
    pseudonymise = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")
    python = [
        writers.spss_frame(dataset.variables, chunk)
        for chunk in case_chunks(pseudonymise, 5, freeze=freeze, period=period, plan=plan)
    ]
    copied = [
        writers.spss_frame_of_copy(dataset.variables, block)
        for block in postgres_rows.case_copy_blocks(
            pseudonymise, plan=plan, freeze=freeze, period=period, block_rows=block_rows
        )
    ]
    # Each chunk pads its first text to the column's width (writers._text_column) and the two
    # paths cut their chunks differently: compare the texts without trailing blanks, which
    # SPSS ignores. The file-level test below compares the written bytes.
    whole = [pd.concat(frames, ignore_index=True) for frames in (python, copied)]
    for frame in whole:
        for variable in dataset.variables:
            if variable.kind == TEXT:
                frame[variable.name] = frame[variable.name].str.rstrip(" ")
    return whole


@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("with_freeze", [False, True])
@pytest.mark.parametrize(
    "period", [None, MonthPeriod(first_month=D(2024, 3, 1), last_month=D(2024, 8, 1))]
)
def test_postgres_gives_the_spss_data_the_python_rows_give(k, with_freeze, period):
    """The SAV export reads the same COPY: its frame, the values pyreadstat writes, must be
    the Python rows' frame, value for value and type for type."""
    build_world()
    freeze = freeze_of_snapshot() if with_freeze else None
    python, copied = both_frames(plan=cases_plan(period, k=k), freeze=freeze, period=period)
    assert len(copied) > 10
    pd.testing.assert_frame_equal(copied, python)


def test_the_sav_export_from_the_copy_is_the_sav_export_from_the_python_rows(tmp_path):
    """The whole export service: outside a transaction the SAV is written from the COPY,
    inside one from the Python rows; the two ZIPs hold the same data, byte for byte, and the
    same dictionary (the header's creation time aside)."""
    build_world()
    dataset = get_dataset(ExportDataset.CASES)
    pseudonymise = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")
    arguments = {"dataset": dataset, "file_format": ExportFormat.SAV, "export_number": 1,
                 "pseudonymise": pseudonymise, "expected_rows": 0, "chunk_size": 9}  # fmt: skip
    assert services._copied_by_database(dataset, ExportFormat.SAV)
    (tmp_path / "copy").mkdir(), (tmp_path / "python").mkdir()
    copied = services.write_export_zip(directory=tmp_path / "copy", **arguments)
    with transaction.atomic():
        assert not services._copied_by_database(dataset, ExportFormat.SAV)
        python = services.write_export_zip(directory=tmp_path / "python", **arguments)
    assert copied.row_count == python.row_count > 10
    files = []
    for written in (copied, python):
        with zipfile.ZipFile(written.path) as archive:
            files.append(archive.read("zaken.sav"))
    start, _count_at = writers._dictionary_end(files[0])
    assert writers._dictionary_end(files[1])[0] == start
    assert files[0][start:] == files[1][start:]
    # The header's creation date and time (bytes 92 to 109: "dd mmm yy", "hh:mm:ss") are the
    # only other difference.
    assert files[0][:92] + files[0][109:start] == files[1][:92] + files[1][109:start]


def test_the_xlsx_export_from_the_copy_holds_the_cells_of_the_python_rows(tmp_path):
    """The whole export service, as for the SAV: outside a transaction the workbook is written
    from the COPY, inside one from the Python rows; every cell has the same value and type."""
    build_world()
    dataset = get_dataset(ExportDataset.CASES)
    pseudonymise = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")
    arguments = {"dataset": dataset, "file_format": ExportFormat.XLSX, "export_number": 1,
                 "pseudonymise": pseudonymise, "expected_rows": 0, "chunk_size": 9}  # fmt: skip
    (tmp_path / "copy").mkdir(), (tmp_path / "python").mkdir()
    copied = services.write_export_zip(directory=tmp_path / "copy", **arguments)
    with transaction.atomic():
        python = services.write_export_zip(directory=tmp_path / "python", **arguments)
    assert copied.row_count == python.row_count > 10
    cells = []
    for written in (copied, python):
        with zipfile.ZipFile(written.path) as archive:
            sheet = load_workbook(io.BytesIO(archive.read("zaken.xlsx")))["data"]
        cells.append([[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()])
    assert len(cells[0]) == copied.row_count + 1
    assert cells[0] == cells[1]
    # Numbers, texts and blanks all occur, so the comparison covers each kind of cell.
    assert {kind for row in cells[0][1:] for _value, kind in row} == {"n", "s"}
    assert any(value is None for row in cells[0][1:] for value, _kind in row)


def test_a_combination_the_plan_has_not_seen_is_withheld_in_both(tmp_path):
    build_world(cases=20)
    plan = cases_plan(None, k=1)
    late = CaseFactory(arm=Arm.BIP, date_received=D(2023, 2, 3))  # after the plan was made
    files = both_files(tmp_path, plan=plan, block_rows=1000)
    assert files["postgres"] == files["python"]
    pseudonym = Pseudonymiser(key="een-sleutel-van-de-studie", study_id="bip-pg")(
        pseudonyms.CASE, late.pk
    )
    lines = files["postgres"][1].splitlines()
    (line,) = [line for line in lines if line.startswith(pseudonym.encode())]
    # year, quarter, month, age, age group, melding type and school: all withheld
    assert line.split(b";")[10:17] == [str(WITHHELD_CODE).encode()] * 7


def test_no_key_material_and_no_pseudonym_is_sent_to_the_database():
    """The statement as psycopg sends it (parameters bound in) holds neither the key, nor its
    HMAC pads, nor a pseudonym: Python pseudonymises the ids that COPY returns."""
    cases = build_world(cases=12)
    key = "een-sleutel-van-de-studie"
    pseudonymise = Pseudonymiser(key=key, study_id="bip-pg")
    text, params = postgres_rows.case_rows_sql(plan=cases_plan(None, k=1), freeze=None, period=None)
    with connection.cursor() as cursor:
        sent = ClientCursor(cursor.connection).mogrify(text, params)
    secrets = [key]
    for kind in (pseudonyms.CASE, *pseudonyms.DERIVED_KEY_KINDS):
        secrets += [pad.hex() for pad in pseudonymise.pads(kind)]
    for case in cases:
        secrets.append(pseudonymise(pseudonyms.CASE, case.pk))
        secrets.append(pseudonymise(pseudonyms.CHILD, case.child_id))
        secrets.append(pseudonymise(pseudonyms.HOUSEHOLD, case.child.household_id))
        if case.child.school_id:
            secrets.append(pseudonymise(pseudonyms.SCHOOL, case.child.school_id))
    assert "sha256" not in sent and "hmac" not in sent.lower()
    for secret in secrets:
        assert secret not in sent, secret


def test_blocks_of_the_given_size_and_none_without_cases():
    cases = CaseFactory.create_batch(5, arm=Arm.BIP)
    pseudonymise = Pseudonymiser(key="k", study_id="s")
    plan = cases_plan(None, k=1)
    blocks = list(postgres_rows.case_copy_blocks(pseudonymise, plan=plan, block_rows=2))
    assert [len(block) for block in blocks] == [2, 2, 1]
    assert "".join(block.text for block in blocks).count("\n") == len(cases)
    for case in cases:
        case.delete()
    assert list(postgres_rows.case_copy_blocks(pseudonymise, plan=plan)) == []


def test_inside_a_transaction_the_rows_come_from_python_not_from_a_copy():
    """The COPY's connection would not see the transaction's own rows: refused, and the
    export service takes the Python rows there."""
    CaseFactory(arm=Arm.BIP)
    plan = cases_plan(None, k=1)
    dataset = get_dataset(ExportDataset.CASES)
    with transaction.atomic():
        assert not services._copied_by_database(dataset, ExportFormat.CSV)
        with pytest.raises(RuntimeError):
            list(postgres_rows.case_copy_blocks(Pseudonymiser(key="k"), plan=plan))


def test_the_export_service_takes_the_database_csv_for_every_dataset_outside_a_transaction():
    for key in ExportDataset:
        for file_format in ExportFormat:
            assert services._copied_by_database(get_dataset(key), file_format)
            with transaction.atomic():  # the COPY's own connection would not see its rows
                assert not services._copied_by_database(get_dataset(key), file_format)


def test_the_rows_stream_in_id_order_without_a_sort_of_all_of_them():
    """The outer ORDER BY is met by the subquery's order: no Sort at the top of the plan. A
    Sort there holds back the first row until all are sorted (4.4 s at 1M cases, 190 MB on
    disk), and the export waits for it."""
    CaseFactory.create_batch(3, arm=Arm.BIP)
    text, params = postgres_rows.case_rows_sql(plan=cases_plan(None, k=1), freeze=None, period=None)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {text}", params)
        (plan,) = cursor.fetchone()
    top = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    assert top["Node Type"] != "Sort", top["Node Type"]
    assert top["Node Type"] == "Subquery Scan"
