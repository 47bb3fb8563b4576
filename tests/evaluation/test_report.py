"""The evaluation report's figures (evaluation.report) against hand-computed values."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.constants import Arm, RespondentType, SurveyItem
from evaluation.definitions import MeasurementStatus
from evaluation.models import Measurement, SurveyAnswer, SurveyResponse
from evaluation.report import (
    KM_TABLE_DAYS,
    ReportPeriod,
    data_stamp,
    evaluation_report,
    evaluation_report_cached,
    proportion_figure,
)
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ProfessionalFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
PERIOD = ReportPeriod(date_from=D(2024, 1, 1), date_to=D(2024, 6, 30))
IN_PERIOD = D(2024, 2, 1)


def measurement(
    arm,
    *,
    received=IN_PERIOD,
    status=MeasurementStatus.MEASURED,
    km_days=91,
    km_event=False,
    first_contact=None,
    professionals=1,
    handovers=0,
    contacts=1,
):
    case = CaseFactory(arm=arm, date_received=received)
    return Measurement.objects.create(
        case=case,
        arm=arm,
        date_received=received,
        measured_on=case.three_month_deadline,
        status=status,
        suitable=None if status == MeasurementStatus.CENSORED else km_event,
        days_to_outcome=km_days if km_event else None,
        days_to_first_contact=first_contact,
        distinct_professionals=professionals,
        handovers=handovers,
        contacts=contacts,
        furthest_stage="leerplicht",
        km_days=km_days,
        km_event=km_event,
        definitions_version=1,
    )


def client_response(case, respondent_type, grade, scores=None):
    invitation = SurveyInvitationFactory(case=case, respondent_type=respondent_type)
    response = SurveyResponse.objects.create(
        invitation=invitation, respondent_type=respondent_type, arm=case.arm, grade=grade
    )
    for item, score in (scores or {}).items():
        SurveyAnswer.objects.create(response=response, item=item, score=score)
    return response


STAFF_PERIOD = (D(2024, 1, 1), D(2024, 1, 31))


def staff_response(is_bip, grade, period=STAFF_PERIOD):
    period_start, period_end = period
    invitation = SurveyInvitationFactory(
        respondent_type=RespondentType.STAFF,
        case=None,
        professional=ProfessionalFactory(is_bip=is_bip),
        period_start=period_start,
        period_end=period_end,
    )
    return SurveyResponse.objects.create(
        invitation=invitation,
        respondent_type=RespondentType.STAFF,
        arm=Arm.BIP if is_bip else Arm.CONTROL,
        grade=grade,
    )


@pytest.fixture
def world():
    """BIP: 10 measured (8 suitable) and 2 censored, 1 pending. Control: 6 measured (3
    suitable), 5 pending. 2 unallocated referrals. Plus cases outside the period."""
    bip_rows = [  # km_days, event, first contact, contacts
        (10, True, 1), (20, True, 2), (20, True, 2), (30, True, 3), (40, True, 4),
        (50, True, 5), (60, True, 6), (70, True, 8), (91, False, None), (91, False, None),
    ]  # fmt: skip
    bip = [
        measurement(Arm.BIP, km_days=days, km_event=event, first_contact=contact, contacts=5)
        for days, event, contact in bip_rows
    ]
    for days in (25, 45):
        measurement(Arm.BIP, status=MeasurementStatus.CENSORED, km_days=days, first_contact=3)
    CaseFactory(arm=Arm.BIP, date_received=D(2024, 6, 1))

    control_rows = [  # km_days, event, first contact, professionals, handovers, contacts
        (30, True, 3, 1, 0, 3), (60, True, 5, 2, 1, 4), (80, True, 7, 3, 2, 5),
        (91, False, 9, 3, 2, 6), (90, False, 11, 3, 1, 7), (89, False, None, 2, 0, 8),
    ]  # fmt: skip
    control = [
        measurement(
            Arm.CONTROL,
            km_days=days,
            km_event=event,
            first_contact=contact,
            professionals=professionals,
            handovers=handovers,
            contacts=contacts,
        )
        for days, event, contact, professionals, handovers, contacts in control_rows
    ]
    for _ in range(5):
        CaseFactory(arm=Arm.CONTROL, date_received=D(2024, 6, 1))
    CaseFactory(arm="", date_received=IN_PERIOD)
    CaseFactory(arm="", date_received=IN_PERIOD)

    # Outside the period: never counted.
    for _ in range(5):
        outside = measurement(Arm.BIP, received=D(2023, 12, 31), km_days=5, km_event=True)
        client_response(outside.case, RespondentType.PARENT, 1)
    staff_response(True, 1, (D(2023, 7, 1), D(2023, 12, 31)))

    # Client surveys: BIP parents 5 responses (+3 unanswered), BIP children 2, control 3.
    for case_measure, grade, score in zip(bip, [8, 7, 9, 6, 10], [5, 4, 4, 5, 3], strict=False):
        client_response(
            case_measure.case, RespondentType.PARENT, grade, {SurveyItem.STORY_ONCE: score}
        )
    for case_measure in bip[5:8]:
        SurveyInvitationFactory(case=case_measure.case, respondent_type=RespondentType.PARENT)
    for case_measure in bip[:2]:
        client_response(case_measure.case, RespondentType.CHILD, 9)
    for case_measure in control[:3]:
        client_response(case_measure.case, RespondentType.PARENT, 6)
    # Staff: 5 BIP respondents, 4 control respondents.
    for grade in (7, 7, 8, 8, 9):
        staff_response(True, grade)
    for grade in (6, 7, 7, 8):
        staff_response(False, grade)


def test_flow(world):
    report = evaluation_report(PERIOD)
    bip, control = report.arms
    assert (bip.arm, control.arm) == (Arm.BIP, Arm.CONTROL)
    assert report.referred.value == 26
    assert report.unallocated.suppressed  # 2
    # Secondary suppression: referred - BIP - control would give the 2 not allocated, so the
    # smaller arm (11) is hidden too.
    assert bip.allocated.value == 13 and control.allocated.suppressed
    # BIP: pending 1 + censored 2 = 13 - measured; hidden together they would sum to 3, so
    # measured (10) is hidden with them.
    assert bip.measured.suppressed and control.measured.value == 6
    assert bip.censored.suppressed and control.censored.suppressed  # 2 and 0
    assert bip.not_yet_measured.suppressed  # 1
    assert control.not_yet_measured.value == 5
    assert bip.surveyed.value == 5
    assert control.surveyed.suppressed  # 3


def test_suitable_outcome_with_wilson_interval(world):
    bip, control = evaluation_report(PERIOD).arms
    # On the page: BIP 8 of 10 leaves 2 without a suitable outcome, control 3 of 6: hidden.
    assert bip.suitable.suppressed and control.suitable.suppressed
    figure = proportion_figure(8, 10)
    assert figure.value == 0.8 and figure.n == 10
    assert figure.low == pytest.approx(0.4902, abs=1e-4)
    assert figure.high == pytest.approx(0.9433, abs=1e-4)


def test_first_contact_and_means(world):
    bip, control = evaluation_report(PERIOD).arms
    assert bip.first_contact_median.value == 3.5  # 1 2 2 3 | 4 5 6 8
    assert bip.no_contact.suppressed  # 2
    assert control.first_contact_median.value == 7  # 3 5 7 9 11
    assert control.no_contact.suppressed  # 1

    # BIP's measured count is hidden (secondary), so are its means (they print n).
    assert all(figure.suppressed for figure in bip.means.values())
    professionals = control.means["distinct_professionals"]
    assert professionals.value == pytest.approx(14 / 6)
    assert (professionals.low, professionals.high) == pytest.approx((1.47646, 3.19020), abs=1e-5)
    handovers = control.means["handovers"]
    assert handovers.value == 1
    assert (handovers.low, handovers.high) == pytest.approx((0.06135, 1.93865), abs=1e-5)
    contacts = control.means["contacts"]
    assert contacts.value == 5.5
    assert (contacts.low, contacts.high) == pytest.approx((3.53667, 7.46333), abs=1e-5)


def test_kaplan_meier(world):
    bip, control = evaluation_report(PERIOD).arms
    assert bip.curve.n == 12
    # Drawn only while at least five cases are followed: up to day 50 (at risk 5).
    assert [step.time for step in bip.curve.steps] == [10, 20, 25, 30, 40, 45, 50]
    assert [round(step.cumulative_incidence, 5) for step in bip.curve.steps] == [
        0.08333, 0.25, 0.25, 0.34375, 0.4375, 0.4375, 0.55
    ]  # fmt: skip
    table = dict(zip(KM_TABLE_DAYS, bip.curve.table, strict=True))
    assert (table[7].value, table[7].n) == (0, 12)
    assert (table[14].value, table[14].n) == (pytest.approx(1 / 12), 11)
    assert (table[21].value, table[21].n) == (pytest.approx(0.25), 9)
    assert (table[42].value, table[42].n) == (pytest.approx(0.4375), 6)
    assert (table[49].value, table[49].n) == (pytest.approx(0.4375), 5)
    assert table[56].suppressed and table[89].suppressed

    assert [step.time for step in control.curve.steps] == [30, 60]
    control_table = dict(zip(KM_TABLE_DAYS, control.curve.table, strict=True))
    assert control_table[35].value == pytest.approx(1 / 6)
    assert control_table[56].n == 5
    assert control_table[63].suppressed


def test_satisfaction_and_response_rates(world):
    report = evaluation_report(PERIOD)
    tables = {table.respondent_type: table for table in report.satisfaction}

    parents = tables[RespondentType.PARENT]
    assert parents.respondents[0].value == 5 and parents.respondents[1].suppressed
    grade = parents.rows[0].cells[0]
    assert grade.value == 8
    assert (grade.low, grade.high) == pytest.approx((6.03678, 9.96322), abs=1e-5)
    assert parents.rows[0].cells[1].suppressed
    story = next(row for row in parents.rows if row.key == SurveyItem.STORY_ONCE)
    assert story.cells[0].value == pytest.approx(4.2)
    assert tables[RespondentType.CHILD].rows[0].cells[0].suppressed  # 2 children

    staff = tables[RespondentType.STAFF]
    assert [row.key for row in staff.rows][1:] == [
        SurveyItem.WORKLOAD, SurveyItem.JOB_SATISFACTION, SurveyItem.LEARNING,
        SurveyItem.ROLE_CLARITY,
    ]  # fmt: skip
    assert staff.respondents[0].value == 5
    assert staff.rows[0].cells[0].value == pytest.approx(7.8)
    assert staff.respondents[1].suppressed and staff.rows[0].cells[1].suppressed  # 4

    rates = {rate.respondent_type: rate for rate in report.response_rates}
    bip_parents = rates[RespondentType.PARENT].arms[0]
    # 8 invited, 5 responded: the 3 who did not would follow, so the 5 and the rate are hidden.
    assert bip_parents.invited.value == 8 and bip_parents.responded.suppressed
    assert bip_parents.rate.suppressed
    assert rates[RespondentType.PARENT].arms[1].rate.suppressed  # 3 invitations
    assert rates[RespondentType.STAFF].arms[0].invited.value == 5
    assert rates[RespondentType.STAFF].arms[1].invited.suppressed


def test_open_period_includes_everything(world):
    report = evaluation_report(ReportPeriod(None, None))
    narrow = evaluation_report(PERIOD)
    assert report.referred.value > narrow.referred.value


def test_small_arm_is_suppressed_everywhere():
    for _ in range(4):
        measurement(Arm.BIP, km_days=20, km_event=True, first_contact=2)
    for _ in range(5):
        measurement(Arm.CONTROL, km_days=91, first_contact=4)
    bip, control = evaluation_report(PERIOD).arms
    assert bip.measured.suppressed and bip.allocated.suppressed
    assert bip.suitable.suppressed and bip.suitable.value is None
    assert bip.first_contact_median.suppressed
    assert all(figure.suppressed for figure in bip.means.values())
    assert not bip.curve.drawn and bip.curve.steps == []
    assert all(cell.suppressed for cell in bip.curve.table)
    # Five is enough for a count; 0 of 5 suitable is a count under 5, so the rate is hidden.
    assert control.measured.value == 5 and control.suitable.suppressed
    assert control.curve.drawn


def test_empty_period():
    report = evaluation_report(PERIOD)
    assert not report.has_data
    assert all(arm.measured.suppressed for arm in report.arms)


def _add_cases(count: int, received: datetime.date):
    for index in range(count):
        arm = Arm.BIP if index % 2 else Arm.CONTROL
        row = measurement(
            arm,
            received=received,
            km_days=10 + index,
            km_event=bool(index % 3),
            first_contact=index,
        )
        client_response(row.case, RespondentType.PARENT, 1 + index % 10, {SurveyItem.RESPECT: 3})
        staff_response(bool(index % 2), 7)


def test_query_count_does_not_grow_with_the_data():
    _add_cases(6, IN_PERIOD)
    with CaptureQueriesContext(connection) as small:
        evaluation_report(PERIOD)
    _add_cases(40, D(2024, 3, 1))
    with CaptureQueriesContext(connection) as large:
        report = evaluation_report(PERIOD)
    assert report.arms[0].measured.value == 23
    # The ten queries of `report_inputs.collect_inputs`: the figures, the effect estimates and
    # Table 1 are added up from their rows.
    assert len(small.captured_queries) == len(large.captured_queries) == 10


def test_the_cached_report_is_reused_until_new_data_arrives():
    for _ in range(6):
        measurement(Arm.BIP, km_event=True)
    first = evaluation_report_cached(PERIOD)
    with CaptureQueriesContext(connection) as again:
        second = evaluation_report_cached(PERIOD)
    assert len(again.captured_queries) == 1  # only the data stamp
    assert second.arms[0].measured.value == first.arms[0].measured.value == 6

    # A new measurement, response or allocation changes the stamp, so the figures follow.
    row = measurement(Arm.BIP, km_event=False)
    assert evaluation_report_cached(PERIOD).arms[0].measured.value == 7
    before = data_stamp()
    client_response(row.case, RespondentType.PARENT, 8)
    after_response = data_stamp()
    assert after_response != before
    AllocationFactory(case=row.case)
    assert data_stamp() != after_response


def test_the_cache_key_separates_periods():
    measurement(Arm.BIP)
    for _ in range(5):
        measurement(Arm.BIP, received=D(2024, 5, 1))
    assert evaluation_report_cached(PERIOD).arms[0].measured.value == 6
    may = ReportPeriod(date_from=D(2024, 5, 1), date_to=D(2024, 5, 31))
    assert evaluation_report_cached(may).arms[0].measured.value == 5


def test_not_yet_measured_is_a_structural_zero_once_follow_up_has_closed():
    """Every referral of the first half of 2024 passed its measurement date long ago: 0 not yet
    measured is known by design and is shown. With the period left open (no last measurement
    date), the same 0 is an ordinary small count and is hidden."""
    for arm in (Arm.BIP, Arm.CONTROL):
        for index in range(10):
            measurement(arm, km_days=30, km_event=index % 2 == 0, first_contact=index + 1)
        for _ in range(12):
            measurement(arm, status=MeasurementStatus.CENSORED, km_days=40)
    for arm in evaluation_report(PERIOD).arms:
        assert arm.not_yet_measured.value == 0

    for arm in evaluation_report(ReportPeriod(D(2024, 1, 1), None)).arms:
        assert arm.not_yet_measured.suppressed


def test_not_yet_measured_is_an_ordinary_count_while_follow_up_runs():
    """Referrals of this month cannot all be measured yet: their 0 is a count like any other."""
    from django.utils import timezone

    today = timezone.localdate()
    this_month = ReportPeriod(today.replace(day=1), today)
    for arm in (Arm.BIP, Arm.CONTROL):
        for _ in range(6):
            measurement(arm, received=today.replace(day=1), km_days=30)
    bip, _control = evaluation_report(this_month).arms
    assert bip.not_yet_measured.suppressed
