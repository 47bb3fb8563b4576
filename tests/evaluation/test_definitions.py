"""The three-month definitions on hand-built cases (evaluation.definitions)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.constants import AssignmentReason, CaseStatus, OutcomeCategory, Stage
from cases.models import Assignment
from evaluation.constants import Arm
from evaluation.definitions import (
    DEFINITIONS,
    MeasurementStatus,
    measurable,
    measure_case,
    measure_live,
)
from evaluation.models import Measurement
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    OutcomeFactory,
    ProfessionalFactory,
    StageChangeFactory,
)

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
D = datetime.date


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=AMSTERDAM)


def case_received(day: datetime.date, **kwargs):
    kwargs.setdefault("arm", Arm.BIP)
    return CaseFactory(date_received=day, **kwargs)


def reopen(case, day):
    StageChangeFactory(
        case=case,
        from_stage=case.stage,
        to_stage=case.stage,
        from_status=CaseStatus.CLOSED,
        to_status=CaseStatus.OPEN,
        reason="Heropend",
        changed_at=at(day),
    )


# ------------------------------------------------------------ the measurement date


@pytest.mark.parametrize(
    ("received", "measured_on"),
    [
        (D(2024, 1, 15), D(2024, 4, 15)),
        (D(2023, 1, 31), D(2023, 4, 30)),  # month end: April has 30 days
        (D(2023, 11, 30), D(2024, 2, 29)),  # leap day
        (D(2022, 11, 30), D(2023, 2, 28)),  # no leap day
        (D(2024, 12, 31), D(2025, 3, 31)),
    ],
)
def test_measurement_date_is_three_calendar_months_later(received, measured_on):
    assert measure_case(case_received(received)).measured_on == measured_on


def test_outcome_on_the_measurement_date_counts():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, category=OutcomeCategory.OTHER_SCHOOL, achieved_on=D(2024, 4, 15))
    measure = measure_case(case)
    assert measure.status == MeasurementStatus.MEASURED
    assert measure.suitable is True
    assert measure.outcome_category == OutcomeCategory.OTHER_SCHOOL
    assert measure.days_to_outcome == 91
    assert (measure.km_days, measure.km_event) == (91, True)


def test_outcome_the_day_after_does_not_count():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, achieved_on=D(2024, 4, 16))
    measure = measure_case(case)
    assert measure.suitable is False
    assert measure.outcome_category == ""
    assert measure.days_to_outcome is None
    assert (measure.km_days, measure.km_event) == (91, False)


def test_leap_day_deadline_counts_contacts_to_its_last_minute():
    professional = ProfessionalFactory()
    case = case_received(D(2023, 11, 30), professional=professional)
    ContactFactory(case=case, occurred_at=at(D(2024, 2, 29), 23, 50))
    ContactFactory(case=case, occurred_at=at(D(2024, 3, 1), 0, 10))
    OutcomeFactory(case=case, achieved_on=D(2024, 2, 29))
    measure = measure_case(case)
    assert measure.measured_on == D(2024, 2, 29)
    assert measure.contacts == 1
    assert measure.days_to_first_contact == 91
    assert measure.suitable is True and measure.days_to_outcome == 91


def test_month_end_deadline_31_january_to_30_april():
    case = case_received(D(2023, 1, 31), closed=True)
    OutcomeFactory(case=case, achieved_on=D(2023, 4, 30))
    assert measure_case(case).suitable is True
    later = case_received(D(2023, 1, 31), closed=True)
    OutcomeFactory(case=later, achieved_on=D(2023, 5, 1))
    assert measure_case(later).suitable is False


def test_unsuitable_outcome_is_not_suitable_but_is_the_category():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, category=OutcomeCategory.NOT_SUITABLE, achieved_on=D(2024, 2, 1))
    measure = measure_case(case)
    assert measure.suitable is False
    assert measure.outcome_category == OutcomeCategory.NOT_SUITABLE
    assert measure.km_event is False and measure.km_days == 91


# ------------------------------------------------------------ reopened cases


def test_reopened_before_the_date_is_not_suitable():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, achieved_on=D(2024, 2, 20), recorded_at=at(D(2024, 2, 20)))
    reopen(case, D(2024, 3, 10))
    measure = measure_case(case)
    assert measure.suitable is False
    assert measure.outcome_category == ""
    assert measure.km_event is False


def test_reopened_after_the_date_stays_suitable():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, achieved_on=D(2024, 2, 20))
    reopen(case, D(2024, 4, 16))
    measure = measure_case(case)
    assert measure.suitable is True
    assert measure.days_to_outcome == 36


def test_reopened_and_closed_again_counts_the_second_outcome():
    case = case_received(D(2024, 1, 15), closed=True)
    OutcomeFactory(case=case, category=OutcomeCategory.NOT_SUITABLE, achieved_on=D(2024, 2, 1))
    reopen(case, D(2024, 2, 10))
    OutcomeFactory(case=case, category=OutcomeCategory.CARE, achieved_on=D(2024, 3, 1))
    measure = measure_case(case)
    assert measure.suitable is True
    assert measure.outcome_category == OutcomeCategory.CARE
    assert measure.days_to_outcome == 46


# ------------------------------------------------------------ censoring


def test_open_case_at_the_study_end_is_censored():
    case = case_received(D(2024, 3, 1))
    measure = measure_case(case, study_end=D(2024, 4, 30))
    assert measure.status == MeasurementStatus.CENSORED
    assert measure.measured_on == D(2024, 6, 1)
    assert measure.suitable is None
    assert measure.outcome_category == ""
    assert (measure.km_days, measure.km_event) == (60, False)


def test_censored_case_with_an_outcome_before_the_study_end_is_an_event():
    case = case_received(D(2024, 3, 1), closed=True)
    OutcomeFactory(case=case, achieved_on=D(2024, 3, 31))
    measure = measure_case(case, study_end=D(2024, 4, 30))
    assert measure.status == MeasurementStatus.CENSORED
    assert measure.suitable is None
    assert (measure.km_days, measure.km_event) == (30, True)


def test_study_end_on_or_after_the_date_measures_normally():
    case = case_received(D(2024, 3, 1))
    assert measure_case(case, study_end=D(2024, 6, 1)).status == MeasurementStatus.MEASURED


def test_measurable_selects_passed_and_censored_cases_of_the_study():
    passed = case_received(D(2024, 1, 15))  # measured on 15 April
    on_the_day = case_received(D(2024, 1, 16))  # measured on 16 April: not yet passed
    beyond_the_end = case_received(D(2024, 3, 1))  # measured 1 June, after the study end
    after_the_study = case_received(D(2024, 5, 15))  # referred after the study end
    case_received(D(2024, 1, 10), arm="")  # never allocated
    assert set(measurable(D(2024, 4, 16))) == {passed}
    assert set(measurable(D(2024, 5, 20), study_end=D(2024, 4, 30))) == {
        passed,
        on_the_day,
        beyond_the_end,
    }
    assert after_the_study not in measurable(D(2025, 1, 1), study_end=D(2024, 4, 30))


# ------------------------------------------------------------ professionals and the chain


def test_bip_case_with_one_professional_against_control_case_with_three():
    bip = ProfessionalFactory(bip=True)
    bip_case = case_received(D(2024, 1, 15), professional=bip)
    for day in (D(2024, 1, 17), D(2024, 2, 1), D(2024, 3, 1)):
        ContactFactory(case=bip_case, professional=bip, occurred_at=at(day))

    leerplicht, halt, rvdk = (ProfessionalFactory() for _ in range(3))
    control_case = case_received(D(2024, 1, 15), arm=Arm.CONTROL, professional=leerplicht)
    ContactFactory(case=control_case, professional=leerplicht, occurred_at=at(D(2024, 1, 20)))
    ContactFactory(
        case=control_case, professional=halt, with_whom="leerling", occurred_at=at(D(2024, 2, 5))
    )
    ContactFactory(case=control_case, professional=rvdk, occurred_at=at(D(2024, 3, 5)))
    # Spoke only with the parents, with the school, or after the date: not "met the child".
    ContactFactory(
        case=control_case,
        professional=ProfessionalFactory(),
        with_whom="ouders",
        occurred_at=at(D(2024, 1, 18)),
    )
    ContactFactory(
        case=control_case,
        professional=ProfessionalFactory(),
        with_whom="school",
        occurred_at=at(D(2024, 1, 16)),
    )
    ContactFactory(
        case=control_case, professional=ProfessionalFactory(), occurred_at=at(D(2024, 4, 20))
    )

    bip_measure, control_measure = measure_case(bip_case), measure_case(control_case)
    assert bip_measure.distinct_professionals == 1
    assert control_measure.distinct_professionals == 3
    assert bip_measure.contacts == 3
    assert control_measure.contacts == 5  # everyone up to the date, the school included
    assert bip_measure.days_to_first_contact == 2
    # The parents on 18 January are the first client contact; the school does not count.
    assert control_measure.days_to_first_contact == 3


def test_no_contact_within_three_months():
    professional = ProfessionalFactory()
    case = case_received(D(2024, 1, 15), professional=professional)
    ContactFactory(case=case, occurred_at=at(D(2024, 4, 16)))
    measure = measure_case(case)
    assert measure.days_to_first_contact is None
    assert measure.contacts == 0 and measure.distinct_professionals == 0


def test_handovers_up_to_the_date():
    first, second, third = (ProfessionalFactory() for _ in range(3))
    case = case_received(D(2024, 1, 15), professional=first)  # the intake assignment
    Assignment.objects.filter(case=case).update(
        started_at=at(D(2024, 1, 15)), ended_at=at(D(2024, 2, 1))
    )
    Assignment.objects.create(
        case=case,
        professional=second,
        started_at=at(D(2024, 2, 1)),
        ended_at=at(D(2024, 4, 15), 16),
        reason=AssignmentReason.STAGE_HANDOVER,
        is_handover=True,
        assigned_by=first.user,
    )
    Assignment.objects.create(
        case=case,
        professional=third,
        started_at=at(D(2024, 4, 16)),
        reason=AssignmentReason.WORKLOAD,
        is_handover=True,
        assigned_by=first.user,
    )
    assert measure_case(case).handovers == 1


def test_furthest_stage():
    case = case_received(D(2024, 1, 15))
    assert measure_case(case).furthest_stage == Stage.LEERPLICHT
    StageChangeFactory(
        case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.HALT, changed_at=at(D(2024, 2, 1))
    )
    StageChangeFactory(
        case=case, from_stage=Stage.HALT, to_stage=Stage.LEERPLICHT, changed_at=at(D(2024, 3, 1))
    )
    assert measure_case(case).furthest_stage == Stage.HALT
    StageChangeFactory(
        case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK, changed_at=at(D(2024, 4, 20))
    )
    assert measure_case(case).furthest_stage == Stage.HALT  # the RvdK came after the date
    StageChangeFactory(
        case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK, changed_at=at(D(2024, 4, 15))
    )
    assert measure_case(case).furthest_stage == Stage.RVDK


def test_live_computation_equals_the_single_case_one():
    professional = ProfessionalFactory()
    cases = [case_received(D(2024, 1, 15) + datetime.timedelta(days=i)) for i in range(5)]
    for case in cases[::2]:
        ContactFactory(case=case, professional=professional, occurred_at=at(D(2024, 2, 1)))
    live = list(measure_live(measurable(D(2024, 6, 1)), chunk_size=2))
    assert [m.case_id for m in live] == [c.pk for c in cases]
    assert live == [measure_case(c) for c in cases]


def test_every_measurement_column_has_a_definition():
    """The codebook quotes DEFINITIONS: each measured variable needs its text."""
    measured = {
        f.name
        for f in Measurement._meta.get_fields()
        if f.name
        not in {"case", "arm", "date_received", "definitions_version", "computed_at", "study_end"}
    }
    assert measured <= set(DEFINITIONS)


# ------------------------------------------------------------ issue 12: hand-built cases
# A case received on 15 January 2024 is measured on 15 April (day 91). Times are Dutch.

JAN15 = D(2024, 1, 15)


def day(n: int) -> datetime.date:
    """Day n after the referral of 15 January 2024."""
    return JAN15 + datetime.timedelta(days=n)


def close(case, category, achieved_on, recorded_at):
    """A closure as case_close writes it: the outcome and its stage change, both at
    `recorded_at`."""
    OutcomeFactory(case=case, category=category, achieved_on=achieved_on, recorded_at=recorded_at)
    StageChangeFactory(
        case=case,
        from_stage=case.stage,
        to_stage=case.stage,
        from_status=CaseStatus.OPEN,
        to_status=CaseStatus.CLOSED,
        reason="Gesloten",
        changed_at=recorded_at,
    )


def reopen_at(case, moment):
    StageChangeFactory(
        case=case,
        from_stage=case.stage,
        to_stage=case.stage,
        from_status=CaseStatus.CLOSED,
        to_status=CaseStatus.OPEN,
        reason="Heropend",
        changed_at=moment,
    )


def test_reopened_and_closed_again_the_same_day_is_suitable():
    """Closed suitable on day 20, reopened on day 30 at 09:00 and closed again (suitable,
    dated day 30) at 12:00: the second closure was recorded last, so it holds."""
    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.BACK_TO_SCHOOL, day(20), at(day(20)))
    reopen_at(case, at(day(30), 9))
    close(case, OutcomeCategory.OTHER_SCHOOL, day(30), at(day(30), 12))
    measure = measure_case(case)
    assert measure.suitable is True
    assert measure.outcome_category == OutcomeCategory.OTHER_SCHOOL
    assert measure.days_to_outcome == 30


def test_closed_again_with_an_outcome_backdated_before_the_reopening_is_suitable():
    """The second closure (recorded on day 30 at 12:00) carries an outcome dated day 25,
    before the reopening at 09:00: it is still the last event recorded."""
    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.BACK_TO_SCHOOL, day(20), at(day(20)))
    reopen_at(case, at(day(30), 9))
    close(case, OutcomeCategory.CARE, day(25), at(day(30), 12))
    measure = measure_case(case)
    assert measure.suitable is True
    assert measure.outcome_category == OutcomeCategory.CARE
    assert measure.days_to_outcome == 25


def test_reopened_after_the_last_closure_stays_open():
    """The reverse order still works: closed, then reopened (recorded later) with no new
    closure before the measurement date: open, not suitable."""
    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.BACK_TO_SCHOOL, day(20), at(day(20)))
    reopen_at(case, at(day(30), 9))
    close(case, OutcomeCategory.CARE, day(95), at(day(95)))  # after the measurement date
    measure = measure_case(case)
    assert measure.suitable is False
    assert measure.outcome_category == ""


def test_rvdk_after_three_months_is_not_the_furthest_stage(coordinator):
    """Registered through referral_register (which now writes the initial stage change),
    moved to the RvdK on day 100: within three months the case only reached Leerplicht."""
    from cases.constants import CaseSource, MeldingType
    from cases.services import referral_register

    child = ChildFactory(date_of_birth=D(2010, 6, 1))
    case = referral_register(
        actor=coordinator,
        child=child,
        date_received=JAN15,
        source=CaseSource.DUO,
        melding_type=MeldingType.ZESTIEN_UUR,
        hours_absent=18,
        times_late=0,
        period_start=D(2023, 12, 1),
        period_end=D(2024, 1, 10),
    )
    StageChangeFactory(
        case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK, changed_at=at(day(100))
    )
    case.stage = Stage.RVDK
    case.save(update_fields=["stage"])
    assert measure_case(case).furthest_stage == Stage.LEERPLICHT


def test_rvdk_after_three_months_without_an_initial_row_is_not_the_furthest_stage():
    """Even a case registered before the initial row existed is not measured at its current
    stage: the stage it started in is the from-stage of its first change."""
    case = case_received(JAN15, stage=Stage.RVDK)
    StageChangeFactory(
        case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK, changed_at=at(day(100))
    )
    assert measure_case(case).furthest_stage == Stage.LEERPLICHT


def test_moved_away_is_censored_at_the_date_of_the_move():
    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.MOVED, day(40), at(day(40)))
    measure = measure_case(case)
    assert measure.status == MeasurementStatus.MOVED
    assert measure.suitable is None  # not a failure: out of the share of suitable outcomes
    assert measure.outcome_category == OutcomeCategory.MOVED
    assert (measure.km_days, measure.km_event) == (40, False)
    assert "verhuisd" in str(DEFINITIONS["status"]).lower()


def test_moved_away_after_the_measurement_date_does_not_censor():
    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.MOVED, day(95), at(day(95)))
    measure = measure_case(case)
    assert measure.status == MeasurementStatus.MEASURED
    assert measure.suitable is False


def test_an_outcome_recorded_late_counts_only_for_records_present():
    """Dated day 85, recorded on day 100: measured as of day 92 (the day after the
    measurement date) it is not there yet; measured as of day 101 it is."""
    from evaluation.definitions import measure_many

    case = case_received(JAN15, closed=True)
    close(case, OutcomeCategory.BACK_TO_SCHOOL, day(85), at(day(100)))
    before = measure_many([case], recorded_by=at(day(92)))[0]
    after = measure_many([case], recorded_by=at(day(101)))[0]
    assert before.suitable is False
    assert after.suitable is True and after.days_to_outcome == 85
