"""Export round trip: read the CSV, XLSX and SAV files back and check their figures against the
stored three-month measurements (the data the report is computed from)."""

import statistics
import zipfile

import pytest
from django.db.models import Count, Q, Sum

from cases.constants import OutcomeCategory, Stage
from evaluation.constants import Arm, ExportDataset, RespondentType, SurveyItem
from evaluation.definitions import DEFINITIONS, MeasurementStatus
from evaluation.exports import services
from evaluation.exports.datasets import get_dataset
from evaluation.models import Measurement, SurveyAnswer, SurveyResponse
from evaluation.report import ReportPeriod, evaluation_report
from evaluation.statistics import wilson_interval
from tests.factories import CaseFactory, ContactFactory, SurveyInvitationFactory

from .conftest import measure
from .readers import read_codebook, read_export, read_sav, unpack

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx", "sav"]


@pytest.fixture
def world(db):
    """13 measured cases, 2 censored, 2 not yet measured; contacts and client surveys."""
    for index in range(13):
        arm = Arm.BIP if index % 2 == 0 else Arm.CONTROL
        case = CaseFactory(arm=arm, assigned=True)
        suitable = index % 3 != 0
        measure(
            case,
            suitable=suitable,
            outcome_category=(OutcomeCategory.CARE if suitable else OutcomeCategory.NOT_SUITABLE),
            days_to_outcome=20 + index if suitable else None,
            days_to_first_contact=index % 5 if index != 4 else None,
            distinct_professionals=1 if arm == Arm.BIP else 1 + index % 3,
            handovers=0 if arm == Arm.BIP else index % 3,
            contacts=index,
            furthest_stage=[Stage.LEERPLICHT, Stage.HALT, Stage.RVDK][index % 3],
            km_days=20 + index if suitable else 90,
            km_event=suitable,
        )
        for _ in range(index % 3):
            ContactFactory(case=case)
        invitation = SurveyInvitationFactory(case=case)
        response = SurveyResponse.objects.create(
            invitation=invitation,
            respondent_type=RespondentType.PARENT,
            arm=arm,
            grade=5 + index % 5,
        )
        SurveyAnswer.objects.create(
            response=response, item=SurveyItem.STORY_ONCE, score=1 + index % 5
        )
    for arm in (Arm.BIP, Arm.CONTROL):
        measure(
            CaseFactory(arm=arm),
            status=MeasurementStatus.CENSORED,
            suitable=None,
            outcome_category="",
            days_to_outcome=None,
            km_event=False,
        )
        CaseFactory(arm=arm)


def run_export(user, dataset, file_format, tmp_path):
    export = services.export_create(user=user, dataset=dataset, file_format=file_format)
    export = services.export_run(export_id=export.pk, chunk_size=4)
    assert export.status == "klaar", export.error
    zip_path = services.export_path(export)
    return export, zip_path, read_export(zip_path, tmp_path / file_format, file_format)


def decode_categories(rows, dataset_key, file_format):
    """SAV holds categories as numbers: turn them back into the codes CSV and XLSX hold."""
    if file_format != "sav":
        return rows
    decode = {
        variable.name: {number: code for code, number in variable.spss_codes().items()}
        for variable in get_dataset(dataset_key).variables
        if variable.kind == "category"
    }
    return [
        {key: decode[key].get(value, value) if key in decode and value is not None else value
         for key, value in row.items()}
        for row in rows
    ]  # fmt: skip


def report_figures_from_measurements() -> dict:
    per_arm = {
        row["arm"]: row
        for row in Measurement.objects.filter(status=MeasurementStatus.MEASURED)
        .values("arm")
        .annotate(
            n=Count("pk"),
            suitable=Count("pk", filter=Q(suitable=True)),
            professionals=Sum("distinct_professionals"),
            handovers=Sum("handovers"),
        )
    }
    for arm, row in per_arm.items():
        row["median_first_contact_weeks"] = statistics.median(
            days // 7
            for days in Measurement.objects.filter(
                status=MeasurementStatus.MEASURED, arm=arm, days_to_first_contact__isnull=False
            ).values_list("days_to_first_contact", flat=True)
        )
        row.pop("arm")
    return per_arm


def figures_from_rows(rows) -> dict:
    figures = {}
    for arm in (Arm.BIP, Arm.CONTROL):
        measured = [r for r in rows if r["arm"] == arm and r["meting_status"] == "gemeten"]
        figures[arm] = {
            "n": len(measured),
            "suitable": sum(1 for r in measured if r["passend"] == 1),
            "professionals": sum(r["aantal_professionals"] for r in measured),
            "handovers": sum(r["aantal_overdrachten"] for r in measured),
            "median_first_contact_weeks": statistics.median(
                r["weken_tot_eerste_contact"]
                for r in measured
                if r["weken_tot_eerste_contact"] >= 0  # -3: no contact
            ),
        }
    return figures


@pytest.mark.parametrize("file_format", FORMATS)
def test_cases_export_reproduces_the_measured_figures(researcher, world, tmp_path, file_format):
    export, _zip, rows = run_export(researcher, ExportDataset.CASES, file_format, tmp_path)
    rows = decode_categories(rows, ExportDataset.CASES, file_format)

    assert export.row_count == len(rows) == 17
    assert figures_from_rows(rows) == report_figures_from_measurements()
    statuses = sorted(r["meting_status"] for r in rows)
    assert statuses.count("gemeten") == 13
    assert statuses.count("gecensureerd") == 2
    assert statuses.count("niet_gemeten") == 2


@pytest.mark.parametrize("file_format", FORMATS)
def test_contacts_and_surveys_export_every_row(researcher, world, tmp_path, file_format):
    _export, _zip, contacts = run_export(researcher, ExportDataset.CONTACTS, file_format, tmp_path)
    contacts = decode_categories(contacts, ExportDataset.CONTACTS, file_format)
    assert len(contacts) == 12
    assert sum(1 for r in contacts if r["arm"] == Arm.BIP) == 6

    _export, _zip, responses = run_export(
        researcher, ExportDataset.SURVEYS, file_format, tmp_path / "enquetes"
    )
    grades = sorted(r["rapportcijfer"] for r in responses)
    assert grades == sorted(SurveyResponse.objects.values_list("grade", flat=True))
    assert sum(r["verhaal_een_keer"] for r in responses) == sum(
        SurveyAnswer.objects.values_list("score", flat=True)
    )


def test_sav_opens_with_dutch_variable_labels_and_value_labels(researcher, world, tmp_path):
    _export, zip_path, _rows = run_export(researcher, ExportDataset.CASES, "sav", tmp_path)
    files = unpack(zip_path, tmp_path / "again")
    _rows, meta = read_sav(files["zaken.sav"])
    labels = meta.column_names_to_labels
    assert labels["arm"] == "Onderzoeksarm"
    assert labels["passend"] == "Passende uitkomst binnen drie maanden"
    assert labels["leeftijd_bij_melding"] == "Leeftijd bij de melding (jaren)"
    assert meta.variable_value_labels["arm"] == {1: "BIP-arm", 2: "Controlearm"}
    assert meta.variable_value_labels["passend"] == {
        0: "nee",
        1: "ja",
        -1: "niet gemeten",
        -2: "gecensureerd",
    }
    assert meta.missing_ranges["passend"] == [{"lo": -2, "hi": -1}]
    assert meta.variable_measure["melding_maand"] == "ordinal"
    assert meta.variable_measure["leeftijdsgroep"] == "ordinal"
    assert meta.variable_value_labels["verste_ketenstap"] == {
        1: "Leerplicht",
        2: "Halt",
        3: "Raad voor de Kinderbescherming",
        -1: "niet gemeten",
    }
    assert meta.variable_value_labels["meting_status"][3] == "Nog niet gemeten"
    assert meta.readstat_variable_types["zaak_pseudoniem"] == "string"
    assert meta.readstat_variable_types["aantal_professionals"] == "double"


def test_codebook_quotes_the_definitions_for_every_measure(researcher, world, tmp_path):
    _export, zip_path, rows = run_export(researcher, ExportDataset.CASES, "csv", tmp_path)
    codebook = {row["variabele"]: row for row in read_codebook(zip_path)}
    assert list(codebook) == list(rows[0])  # one entry per column, in column order
    for variable, key in [
        ("passend", "suitable"),
        ("uitkomst", "outcome_category"),
        ("weken_tot_uitkomst", "days_to_outcome"),
        ("weken_tot_eerste_contact", "days_to_first_contact"),
        ("aantal_professionals", "distinct_professionals"),
        ("aantal_overdrachten", "handovers"),
        ("aantal_contacten", "contacts"),
        ("verste_ketenstap", "furthest_stage"),
        ("km_weken", "km_days"),
        ("km_gebeurtenis", "km_event"),
    ]:
        assert codebook[variable]["definitie"].startswith(str(DEFINITIONS[key])), variable
    assert str(DEFINITIONS["measured_on"]) in codebook["meting_status"]["definitie"]
    assert codebook["arm"]["type"] == "categorie"
    assert codebook["arm"]["waarden"] == "bip = BIP-arm (SPSS 1); controle = Controlearm (SPSS 2)"
    assert codebook["passend"]["waarden"] == "1 = ja; 0 = nee"
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read("codebook.txt").decode("utf-8")
    assert "Studie: bip-test" in text
    assert "Aantal rijen: 17" in text
    assert "passend – Passende uitkomst binnen drie maanden" in text


@pytest.mark.parametrize(
    ("file_format", "data_file"),
    [("csv", "zaken.csv"), ("xlsx", "zaken.xlsx"), ("sav", "zaken.sav")],
)
def test_the_codebook_describes_the_data_file_in_the_zip(
    researcher, world, tmp_path, file_format, data_file
):
    _export, zip_path, _rows = run_export(researcher, ExportDataset.CASES, file_format, tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        assert data_file in archive.namelist()
        text = " ".join(archive.read("codebook.txt").decode("utf-8").split())
    described = {
        "zaken.csv": "zaken.csv (puntkomma's, UTF-8 met BOM, voor Excel)",
        "zaken.xlsx": "zaken.xlsx (Excel; ten hoogste 1.000.000 rijen per blad, daarna de "
        "bladen data_2, data_3, …)",
        "zaken.sav": "zaken.sav (SPSS)",
    }
    assert described[data_file] in text


@pytest.mark.parametrize("file_format", FORMATS)
def test_every_report_figure_per_arm_is_reproduced_from_the_export(
    researcher, world, tmp_path, file_format
):
    """The researcher's own analysis of the file gives the report's figures, arm by arm."""
    _export, _zip, rows = run_export(researcher, ExportDataset.CASES, file_format, tmp_path)
    rows = decode_categories(rows, ExportDataset.CASES, file_format)
    report = evaluation_report(ReportPeriod(None, None))

    for arm_report in report.arms:
        mine = [r for r in rows if r["arm"] == arm_report.arm]
        measured = [r for r in mine if r["meting_status"] == "gemeten"]
        # The report suppresses (primary and secondary) what could reveal a count under 5;
        # every figure it shows must match the file.
        assert arm_report.allocated.value in (None, len(mine))
        assert arm_report.measured.value in (None, len(measured))
        assert arm_report.censored.value is None  # 1 censored case per arm: suppressed (< 5)

        suitable = wilson_interval(sum(r["passend"] == 1 for r in measured), len(measured))
        if arm_report.suitable.value is not None:
            assert arm_report.suitable.value == pytest.approx(suitable.value)
            assert arm_report.suitable.low == pytest.approx(suitable.low)
            assert arm_report.suitable.high == pytest.approx(suitable.high)

        # Days to first contact are exported in whole weeks (no date can be rebuilt), so the
        # report's median in days is not reproducible to the day; see figures_from_rows.
        for key, column in (
            ("distinct_professionals", "aantal_professionals"),
            ("handovers", "aantal_overdrachten"),
            ("contacts", "aantal_contacten"),
        ):
            if arm_report.means[key].value is not None:
                assert arm_report.means[key].value == pytest.approx(
                    statistics.mean(r[column] for r in measured)
                ), key
    shown = [arm.allocated.value for arm in report.arms]
    assert any(value is not None for value in shown)  # something is compared
