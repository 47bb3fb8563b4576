"""The dataset rows: what each variable holds, which rows are in, and what is left out."""

import datetime
import re

import pytest

from cases.constants import MeldingType, OutcomeCategory, SchoolLevel, Stage
from evaluation.constants import AllocationMethod, Arm, ExportDataset, RespondentType, SurveyItem
from evaluation.definitions import DEFINITIONS_VERSION, MeasurementStatus
from evaluation.exports import pseudonyms
from evaluation.exports.datasets import (
    BOOLEAN,
    CENSORED_CODE,
    DATASETS,
    NOT_APPLICABLE_CODE,
    NOT_MEASURED,
    NOT_MEASURED_CODE,
    get_dataset,
)
from evaluation.exports.pseudonyms import Pseudonymiser
from evaluation.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from roles.constants import ChainRole, ContactWith
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    ContactFactory,
    ProfessionalFactory,
    SurveyInvitationFactory,
)

from .conftest import at, measure

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


def export_rows(key: str, chunk_size: int = 5000, k: int = 1) -> list[dict]:
    """The rows; k-anonymity with k=1 (nothing generalised) unless asked, so the few cases
    of a test show their values (tests/evaluation/exports/test_disclosure.py covers k=5)."""
    dataset = get_dataset(key)
    plan = dataset.plan(None, k=k) if dataset.plan else None
    return [
        dict(zip(dataset.names, row, strict=True))
        for chunk in dataset.chunks(Pseudonymiser(), chunk_size, plan=plan)
        for row in chunk
    ]


def is_yes_no(value) -> int:
    """A yes/no cell as every file writes it: the int 1 or 0, not True or False (which the
    CSV would spell out as "True")."""
    assert type(value) is int and value in (0, 1), repr(value)
    return value


def test_every_dataset_row_matches_its_variables():
    for dataset in DATASETS.values():
        names = dataset.names
        assert len(names) == len(set(names)), dataset.key
        assert all(name.isidentifier() and len(name) <= 64 for name in names)


def test_cases_row_has_pseudonyms_month_year_age_and_the_measurement():
    child = ChildFactory(date_of_birth=datetime.date(2011, 2, 1))
    case = CaseFactory(child=child, arm=Arm.BIP, date_received=datetime.date(2025, 1, 31))
    measure(case, days_to_outcome=40, distinct_professionals=1, handovers=0, km_days=40)

    (row,) = export_rows(ExportDataset.CASES)

    assert row["zaak_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.CASE, case.pk)
    assert row["kind_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.CHILD, child.pk)
    assert (row["melding_jaar"], row["melding_kwartaal"], row["melding_maand"]) == (2025, 1, 1)
    assert row["leeftijdsgroep"] == "12-13"
    assert row["leeftijd_bij_melding"] == 13  # the 14th birthday is the next day
    assert row["arm"] == "bip"
    assert row["soort_melding"] == MeldingType.ZESTIEN_UUR
    assert row["onderwijssoort"] == SchoolLevel.VO
    assert row["meting_status"] == MeasurementStatus.MEASURED
    assert is_yes_no(row["passend"]) == 1
    assert row["uitkomst"] == OutcomeCategory.BACK_TO_SCHOOL
    assert row["weken_tot_uitkomst"] == 5  # 40 days: 5 whole weeks
    assert row["km_weken"] == 5
    assert row["aantal_professionals"] == 1
    assert is_yes_no(row["km_gebeurtenis"]) == 1
    assert row["versie_definities"] == DEFINITIONS_VERSION
    # A keyed hash, not the id: 16 hex characters. (Not "the id's digits do not occur in it":
    # a hex string holds any short digit run by chance.)
    assert re.fullmatch(r"[0-9a-f]{16}", row["zaak_pseudoniem"])
    assert row["zaak_pseudoniem"] != str(case.pk)


def test_unmeasured_case_has_empty_measures_and_unallocated_cases_are_left_out():
    CaseFactory(arm="")  # not allocated: not in the study
    case = CaseFactory(arm=Arm.CONTROL)

    (row,) = export_rows(ExportDataset.CASES)

    assert row["zaak_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.CASE, case.pk)
    assert row["meting_status"] == NOT_MEASURED
    for name in ("passend", "uitkomst", "weken_tot_uitkomst", "aantal_contacten", "km_weken"):
        assert row[name] == NOT_MEASURED_CODE, name


def test_censored_case_has_no_outcome_and_no_suitable():
    case = CaseFactory(arm=Arm.BIP)
    measure(
        case,
        status=MeasurementStatus.CENSORED,
        suitable=None,
        outcome_category="",
        days_to_outcome=None,
        km_event=False,
    )
    (row,) = export_rows(ExportDataset.CASES)
    assert row["meting_status"] == MeasurementStatus.CENSORED
    assert row["passend"] == CENSORED_CODE
    assert row["uitkomst"] == CENSORED_CODE
    assert row["weken_tot_uitkomst"] == CENSORED_CODE
    assert is_yes_no(row["km_gebeurtenis"]) == 0


def test_the_allocated_arm_is_exported_not_the_corrected_one():
    # Intention-to-treat: a correction (to control) after the snapshot changes the as-treated
    # arm only; the arm column stays the first allocation's, as in the report.
    case = CaseFactory(arm=Arm.CONTROL)
    first = AllocationFactory(case=case, arm=Arm.BIP)
    AllocationFactory(case=case, arm=Arm.CONTROL, supersedes=first, correction=True)
    measure(case, arm=Arm.BIP)
    (row,) = export_rows(ExportDataset.CASES)
    assert row["arm"] == Arm.BIP
    assert row["arm_zoals_behandeld"] == Arm.CONTROL
    assert row["toewijzing"] == AllocationMethod.BLOCK_RANDOM
    assert is_yes_no(row["arm_gecorrigeerd"]) == 1


def test_a_re_referred_child_keeps_one_child_pseudonym():
    child = ChildFactory()
    first = CaseFactory(child=child, arm=Arm.BIP, closed=True)
    second = CaseFactory(child=child, arm=Arm.BIP)
    other = CaseFactory(arm=Arm.BIP)
    rows = export_rows(ExportDataset.CASES)
    by_case = {row["zaak_pseudoniem"]: row["kind_pseudoniem"] for row in rows}
    case_pseudonym = Pseudonymiser()
    assert (
        by_case[case_pseudonym(pseudonyms.CASE, first.pk)]
        == by_case[case_pseudonym(pseudonyms.CASE, second.pk)]
    )
    assert (
        by_case[case_pseudonym(pseudonyms.CASE, other.pk)]
        != by_case[case_pseudonym(pseudonyms.CASE, first.pk)]
    )


def test_absolute_absence_without_school_has_no_school_level():
    CaseFactory(arm=Arm.BIP, child__school=None, melding_type=MeldingType.ABSOLUUT)
    (row,) = export_rows(ExportDataset.CASES)
    assert row["onderwijssoort"] == NOT_APPLICABLE_CODE
    assert row["school_pseudoniem"] is None


def test_rows_come_in_chunks_of_the_given_size():
    CaseFactory.create_batch(5, arm=Arm.BIP)
    dataset = get_dataset(ExportDataset.CASES)
    sizes = [len(chunk) for chunk in dataset.chunks(Pseudonymiser(), 2)]  # plan computed inside
    assert sizes == [2, 2, 1]
    assert dataset.expected_rows() == 5


def test_contact_row_counts_weeks_since_referral_in_dutch_time():
    professional = ProfessionalFactory(organisation__kind=ChainRole.HALT, bip=True)
    case = CaseFactory(
        arm=Arm.BIP, professional=professional, date_received=datetime.date(2025, 1, 31)
    )
    # 00:30 in Amsterdam is still 2 February in UTC: the Dutch day counts.
    ContactFactory(
        case=case,
        professional=professional,
        occurred_at=at(2025, 2, 3, 0, 30),
        role=ChainRole.LEERPLICHT,
        with_whom=ContactWith.PUPIL,
        duration_minutes=30,
        summary="Vrije tekst die niet mee mag",
    )
    ContactFactory(case=CaseFactory(arm="", assigned=True))  # not in the study

    (row,) = export_rows(ExportDataset.CONTACTS)

    assert row["zaak_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.CASE, case.pk)
    assert row["professional_pseudoniem"] == pseudonyms.pseudonym(
        pseudonyms.PROFESSIONAL, professional.pk
    )
    assert row["weken_sinds_melding"] == 0  # 3 days: no whole week yet
    assert row["thuisorganisatie"] == ChainRole.HALT
    assert row["rol"] == ChainRole.LEERPLICHT
    assert row["met_wie"] == ContactWith.PUPIL
    assert row["duur_minuten"] == 30
    assert is_yes_no(row["cautie"]) == 0
    assert "Vrije tekst die niet mee mag" not in row.values()


def test_every_yes_no_variable_of_every_dataset_holds_1_0_or_a_missing_code():
    """The writers write the chunks as they are: a True in a chunk would become "True" in the
    CSV. Both values of each yes/no field, and its missing codes, in every dataset."""
    for arm, suitable, event in ((Arm.BIP, True, True), (Arm.CONTROL, False, False)):
        case = CaseFactory(arm=arm, assigned=True)
        measure(case, suitable=suitable, km_event=event)
        ContactFactory(case=case, caution_given=suitable)
        AllocationFactory(case=case, arm=arm)
    censored = CaseFactory(arm=Arm.BIP)
    measure(censored, status=MeasurementStatus.CENSORED, suitable=None, km_event=False)
    CaseFactory(arm=Arm.CONTROL)  # not measured
    seen = 0
    for dataset in DATASETS.values():
        booleans = [v for v in dataset.variables if v.kind == BOOLEAN]
        for row in export_rows(dataset.key):
            for variable in booleans:
                value = row[variable.name]
                if value in variable.missing:
                    assert type(value) is int, (variable.name, value)
                else:
                    is_yes_no(value)
                seen += 1
    assert seen >= 4 * 4 + 2


def test_survey_rows_link_clients_to_their_case_but_not_staff_to_a_professional():
    case = CaseFactory(arm=Arm.BIP, closed=True, date_received=datetime.date(2025, 1, 10))
    parent = SurveyInvitationFactory(case=case, respondent_type=RespondentType.PARENT)
    client = SurveyResponse.objects.create(
        invitation=parent,
        respondent_type=RespondentType.PARENT,
        arm=Arm.BIP,
        grade=8,
        comment="Mevrouw De Vries was heel fijn",
        submitted_at=at(2025, 4, 1),
    )
    SurveyAnswer.objects.create(response=client, item=SurveyItem.STORY_ONCE, score=5)
    SurveyAnswer.objects.create(response=client, item=SurveyItem.RESPECT, score=4)
    professional = ProfessionalFactory()
    staff_invitation = SurveyInvitation.objects.create(
        respondent_type=RespondentType.STAFF,
        professional=professional,
        token_hash="0" * 64,
        expires_at=at(2025, 8, 1),
        created_at=at(2025, 7, 1),
    )
    staff = SurveyResponse.objects.create(
        invitation=staff_invitation,
        respondent_type=RespondentType.STAFF,
        arm=Arm.CONTROL,
        grade=6,
        submitted_at=at(2025, 7, 2),
    )
    SurveyAnswer.objects.create(response=staff, item=SurveyItem.WORKLOAD, score=2)

    client_row, staff_row = export_rows(ExportDataset.SURVEYS)

    assert client_row["antwoord_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.RESPONSE, client.pk)
    assert client_row["zaak_pseudoniem"] == pseudonyms.pseudonym(pseudonyms.CASE, case.pk)
    assert client_row["respondent"] == RespondentType.PARENT
    assert client_row["rapportcijfer"] == 8
    assert client_row["verhaal_een_keer"] == 5
    assert client_row["respect"] == 4
    assert client_row["werkdruk"] is None
    assert client_row["weken_sinds_melding"] == 11  # 81 days
    assert (client_row["ingevuld_jaar"], client_row["ingevuld_maand"]) == (2025, 4)
    assert "Mevrouw De Vries was heel fijn" not in client_row.values()

    assert staff_row["zaak_pseudoniem"] is None
    assert staff_row["respondent"] == RespondentType.STAFF
    assert staff_row["werkdruk"] == 2
    assert staff_row["verhaal_een_keer"] is None
    assert staff_row["weken_sinds_melding"] == NOT_APPLICABLE_CODE
    assert pseudonyms.pseudonym(pseudonyms.PROFESSIONAL, professional.pk) not in staff_row.values()


def test_furthest_stage_and_current_stage_use_stage_codes():
    case = CaseFactory(arm=Arm.CONTROL, rvdk=True)
    measure(case, furthest_stage=Stage.HALT)
    (row,) = export_rows(ExportDataset.CASES)
    assert row["ketenstap_nu"] == Stage.RVDK
    assert row["verste_ketenstap"] == Stage.HALT


def test_the_database_counts_the_quasi_identifiers_as_age_on_does():
    """The k-anonymity counts are grouped in SQL; the age there must be `age_on`'s, also on
    and around the birthday and for a child born on 29 February."""
    from collections import Counter

    from cases.models import age_on
    from evaluation.exports.datasets import cases_identifier_counts

    births_and_referrals = [
        (datetime.date(2012, 2, 29), datetime.date(2025, 2, 28)),  # 12, not yet 13
        (datetime.date(2012, 2, 29), datetime.date(2025, 3, 1)),  # 13
        (datetime.date(2011, 6, 15), datetime.date(2025, 6, 14)),  # day before the birthday
        (datetime.date(2011, 6, 15), datetime.date(2025, 6, 15)),  # on the birthday
        (datetime.date(2011, 6, 15), datetime.date(2025, 5, 20)),  # earlier month
        (datetime.date(2011, 6, 15), datetime.date(2025, 7, 1)),  # later month
    ]
    cases = [
        CaseFactory(
            arm=Arm.BIP,
            date_received=received,
            child=ChildFactory(date_of_birth=born, school=None) if index == 0 else
            ChildFactory(date_of_birth=born),
        )
        for index, (born, received) in enumerate(births_and_referrals)
    ]  # fmt: skip
    CaseFactory(arm="")  # not allocated: not exported, not counted
    expected = Counter(
        (
            age_on(case.child.date_of_birth, case.date_received),
            case.child.school.level if case.child.school else "",
            case.date_received.year,
            case.date_received.month,
            case.melding_type,
            case.source,
        )
        for case in cases
    )
    assert cases_identifier_counts() == expected
    assert sorted(key[0] for key in expected) == [12, 13, 13, 13, 14, 14]
