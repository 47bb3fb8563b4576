"""The privacy scan: export every dataset in every format from a world full of known
identifying values, unpack everything, and search every byte and every cell for each value.

Nothing may be found: no name, BSN, onderwijsnummer, street, postcode, phone number, e-mail
address, free text, case number, and no personal date (ISO or Dutch day-month-year).
"""

import datetime
import zipfile

import pytest
import time_machine
from django.utils import timezone

from cases.constants import CaseStatus, MeldingType, OutcomeCategory
from evaluation.constants import Arm, ExportDataset, ExportFormat, RespondentType, SurveyItem
from evaluation.exports import services
from evaluation.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdFactory,
    OutcomeFactory,
    ProfessionalFactory,
    SchoolFactory,
    StageChangeFactory,
)

from .conftest import at, measure
from .readers import read_csv, read_sav, read_xlsx

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 16, 10, 0)


def date_forms(day: datetime.date) -> set[str]:
    return {
        day.isoformat(),
        day.strftime("%d-%m-%Y"),
        f"{day.day}-{day.month}-{day.year}",
        day.strftime("%Y%m%d"),
    }


@pytest.fixture
def world(db):
    """Two households with everything a case file holds; returns every value that must not leak."""
    secrets_ = set()
    school = SchoolFactory(brin="99XY", name="Lyceum De Vuurtoren")
    professional = ProfessionalFactory(
        bip=True,
        user__username="hzwanenburg",
        user__first_name="Hendrikus",
        user__last_name="Zwanenburg",
        user__email="h.zwanenburg@leerplicht.example.nl",
    )
    secrets_ |= {"hzwanenburg", "Hendrikus", "Zwanenburg", "h.zwanenburg@leerplicht.example.nl"}
    secrets_ |= {"99XY", "Lyceum De Vuurtoren"}
    children = [
        ("Xanthippe", "Quackenbusch", datetime.date(2011, 3, 14), "111222333", None),
        ("Barendina", "Oosterhuis-Vlamings", datetime.date(2012, 7, 29), None, "109876543"),
    ]
    for index, (first, last, born, bsn, onderwijsnummer) in enumerate(children):
        household = HouseholdFactory(
            street=f"Zonnebloemstraat {17 + index}",
            postcode=f"2011 Z{'QR'[index]}",
            city="Spaarnwoude",
        )
        child = ChildFactory(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            bsn=bsn,
            onderwijsnummer=onderwijsnummer,
            school=school,
            household=household,
        )
        guardian = GuardianFactory(
            child=child,
            name=f"Gerritje {last}",
            phone=f"06-8765432{index}",
            email=f"ouder{index}.{last.lower()}@voorbeeld.nl",
        )
        received = datetime.date(2025, 1, 31) + datetime.timedelta(days=37 * index)
        case = CaseFactory(
            number=f"2025-0042{index}",
            child=child,
            arm=[Arm.BIP, Arm.CONTROL][index],
            date_received=received,
            melding_type=MeldingType.LRV,
            professional=professional,
            status=CaseStatus.CLOSED,
            closed_on=received + datetime.timedelta(days=41),
        )
        contact = ContactFactory(
            case=case,
            professional=professional,
            occurred_at=at(received.year, received.month, received.day, 9)
            + datetime.timedelta(days=5),
            summary=f"Vertrouwelijk: moeder vertelde over schulden bij {last}",
            follow_up_on=received + datetime.timedelta(days=12),
        )
        StageChangeFactory(case=case, reason=f"Reden met geheim detail {index}xq")
        OutcomeFactory(
            case=case,
            category=OutcomeCategory.OTHER_SCHOOL,
            achieved_on=received + datetime.timedelta(days=40),
        )
        measure(case, arm=case.arm, days_to_outcome=40)
        invitation = SurveyInvitation.objects.create(
            respondent_type=RespondentType.PARENT,
            case=case,
            token_hash=f"{index}" * 64,
            created_at=at(2025, 6, 1),
            expires_at=at(2025, 7, 1),
        )
        submitted = at(2025, 6, 3 + index, 20, 15)
        response = SurveyResponse.objects.create(
            invitation=invitation,
            respondent_type=RespondentType.PARENT,
            arm=case.arm,
            grade=8,
            comment=f"Meneer Pietersen was erg behulpzaam, groet {last}",
            submitted_at=submitted,
        )
        SurveyAnswer.objects.create(response=response, item=SurveyItem.RESPECT, score=4)
        secrets_ |= {first, last, household.street, household.postcode, "2011Z" + "QR"[index]}
        secrets_ |= {guardian.name, guardian.phone, guardian.email, "Spaarnwoude"}
        secrets_ |= {case.number, contact.summary, response.comment, f"geheim detail {index}xq"}
        secrets_ |= {bsn or onderwijsnummer}
        for day in (
            born,
            received,
            case.period_start,
            case.period_end,
            case.three_month_deadline,
            case.closed_on,
            received + datetime.timedelta(days=40),
            received + datetime.timedelta(days=12),
            timezone.localdate(contact.occurred_at),
            timezone.localdate(submitted),
        ):
            secrets_ |= date_forms(day)
    staff_invitation = SurveyInvitation.objects.create(
        respondent_type=RespondentType.STAFF,
        professional=professional,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 6, 30),
        token_hash="f" * 64,
        created_at=at(2025, 7, 1),
        expires_at=at(2025, 8, 1),
    )
    SurveyResponse.objects.create(
        invitation=staff_invitation,
        respondent_type=RespondentType.STAFF,
        arm=Arm.BIP,
        grade=7,
        comment="Werkdruk door collega Zwanenburg",
        submitted_at=at(2025, 7, 2),
    )
    secrets_ |= {"Werkdruk door collega Zwanenburg"}
    secrets_ |= date_forms(datetime.date(2025, 6, 30)) | date_forms(datetime.date(2025, 7, 2))
    # Values shorter than this would match by accident (a year, a digit); none of ours is.
    assert all(len(value) >= 4 for value in secrets_)
    return sorted(secrets_)


def texts_of(zip_path, tmp_path) -> dict[str, bytes | str]:
    """Every byte and every value in the export: the ZIP, its members, the members of an XLSX,
    and each cell as the researcher's tools read it."""
    found: dict[str, bytes | str] = {"zip (raw)": zip_path.read_bytes()}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            found[name] = content
            found[f"{name} (decoded)"] = content.decode("utf-8", errors="replace")
            (tmp_path / name).write_bytes(content)
            if name.endswith(".xlsx"):
                with zipfile.ZipFile(tmp_path / name) as workbook:
                    for part in workbook.namelist():
                        found[f"{name}/{part}"] = workbook.read(part).decode("utf-8")
                found[f"{name} (cells)"] = repr(read_xlsx(tmp_path / name))
            elif name.endswith(".sav"):
                rows, meta = read_sav(tmp_path / name)
                found[f"{name} (cells)"] = repr(rows)
                found[f"{name} (metadata)"] = repr(vars(meta))
            elif name.endswith(".csv"):
                found[f"{name} (cells)"] = repr(read_csv(tmp_path / name))
    return found


def leaks(found: dict[str, bytes | str], values: list[str]) -> list[tuple[str, str]]:
    hits = []
    for where, content in found.items():
        haystack = content.lower() if isinstance(content, str) else content.lower()
        for value in values:
            needle = value.lower() if isinstance(content, str) else value.lower().encode()
            if needle in haystack:
                hits.append((where, value))
    return hits


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("file_format", ExportFormat.values)
@pytest.mark.parametrize("dataset", ExportDataset.values)
def test_no_identifying_value_in_any_export(researcher, world, tmp_path, dataset, file_format):
    export = services.export_create(user=researcher, dataset=dataset, file_format=file_format)
    export = services.export_run(export_id=export.pk)
    assert export.status == "klaar", export.error
    assert export.row_count >= 2

    found = texts_of(services.export_path(export), tmp_path)

    assert leaks(found, world) == []


def test_the_scan_finds_a_value_that_is_there(world, tmp_path):
    """The scan itself works: a planted birth date, name and BSN are found in every form."""
    planted = tmp_path / "planted.zip"
    with zipfile.ZipFile(planted, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", "naam,geboren,bsn\nXanthippe,14-03-2011,111222333\n")
    found = texts_of(planted, tmp_path)
    assert {value for _where, value in leaks(found, world)} >= {
        "Xanthippe",
        "14-03-2011",
        "111222333",
    }
    assert "2011-03-14" in world and "14-3-2011" in world


def test_the_world_holds_every_kind_of_identifying_value(world):
    for value in (
        "Quackenbusch",
        "111222333",
        "109876543",
        "2011 ZQ",
        "06-87654320",
        "Zonnebloemstraat 17",
        "2011-03-14",
        "31-01-2025",
    ):
        assert value in world, value  # fmt: skip
