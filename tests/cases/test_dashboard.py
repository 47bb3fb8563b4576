"""The dashboard's aggregates, each on a hand-built dataset with hand-computed answers.

CI runs this file on SQLite and on PostgreSQL, so both waiting-time implementations (ORDER BY
+ OFFSET on SQLite, percentile_cont on PostgreSQL) are checked against the same numbers.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import dashboard
from cases.constants import Stage
from cases.models import Assignment
from evaluation.constants import Arm
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2025, 11, 19)  # a Wednesday
WINDOW_START = datetime.date(2024, 11, 25)  # the Monday 51 weeks before this week's Monday


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(datetime.datetime(2025, 11, 19, 12, 0, tzinfo=AMSTERDAM), tick=False):
        yield


def local(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=AMSTERDAM)


# ------------------------------------------------------------------ weekly inflow


def test_window_is_52_weeks_ending_with_this_week():
    assert dashboard.inflow_window_start(TODAY) == WINDOW_START
    assert dashboard.inflow_window_start(datetime.date(2025, 11, 17)) == WINDOW_START  # Monday
    assert dashboard.inflow_window_start(datetime.date(2025, 11, 23)) == WINDOW_START  # Sunday


def test_weekly_inflow_counts_per_week_and_arm_with_empty_weeks_and_the_boundary():
    CaseFactory(date_received=WINDOW_START - datetime.timedelta(days=1), arm=Arm.BIP)  # outside
    CaseFactory(date_received=WINDOW_START, arm=Arm.BIP)  # first day of the first week
    CaseFactory(date_received=datetime.date(2025, 9, 8), arm=Arm.BIP)  # Monday
    CaseFactory(date_received=datetime.date(2025, 9, 14), arm=Arm.CONTROL)  # Sunday, same week
    CaseFactory(date_received=datetime.date(2025, 9, 10), closed=True, arm=Arm.CONTROL)
    CaseFactory(date_received=TODAY, arm="")  # this week, no arm yet

    weeks = dashboard.weekly_inflow(today=TODAY)

    assert len(weeks) == 52
    assert weeks[0].start == WINDOW_START
    assert weeks[-1].start == datetime.date(2025, 11, 17)
    assert [week.is_current for week in weeks].count(True) == 1 and weeks[-1].is_current
    assert all(
        later.start - earlier.start == datetime.timedelta(weeks=1)
        for earlier, later in zip(weeks, weeks[1:], strict=False)
    )
    by_start = {week.start: week for week in weeks}
    first = by_start[WINDOW_START]
    assert (first.bip, first.control, first.unallocated, first.total) == (1, 0, 0, 1)
    september = by_start[datetime.date(2025, 9, 8)]
    assert (september.bip, september.control, september.unallocated) == (1, 2, 0)
    assert (weeks[-1].bip, weeks[-1].control, weeks[-1].unallocated) == (0, 0, 1)
    assert sum(week.total for week in weeks) == 5
    empty = [week for week in weeks if week.total == 0]
    assert len(empty) == 49
    assert all((w.bip, w.control, w.unallocated) == (0, 0, 0) for w in empty)


def test_no_cases_gives_52_empty_weeks():
    weeks = dashboard.weekly_inflow(today=TODAY)
    assert len(weeks) == 52
    assert sum(week.total for week in weeks) == 0
    assert dashboard.peak_summary(weeks).busiest is None


@pytest.mark.parametrize(
    ("monday", "autumn"),
    [
        (datetime.date(2025, 8, 25), False),  # Thursday 28 August
        (datetime.date(2025, 9, 1), True),  # Thursday 4 September
        (datetime.date(2024, 12, 23), True),  # Thursday 26 December
        (datetime.date(2024, 12, 30), False),  # Thursday 2 January
        (datetime.date(2025, 11, 17), True),
    ],
)
def test_a_week_is_autumn_when_its_thursday_falls_in_september_to_december(monday, autumn):
    week = dashboard.InflowWeek(start=monday, bip=0, control=0, unallocated=0, is_current=False)
    assert week.is_autumn is autumn


def test_peak_summary_compares_autumn_with_the_other_weeks():
    def week(start, total, current=False):
        return dashboard.InflowWeek(
            start=start, bip=total, control=0, unallocated=0, is_current=current
        )

    weeks = [
        week(datetime.date(2025, 8, 18), 2),
        week(datetime.date(2025, 8, 25), 4),
        week(datetime.date(2025, 9, 1), 10),
        week(datetime.date(2025, 9, 8), 6),
        week(datetime.date(2025, 9, 15), 30, current=True),  # running: not in the averages
    ]
    summary = dashboard.peak_summary(weeks)
    assert summary.autumn_average == 8
    assert summary.other_average == 3
    assert summary.busiest.start == datetime.date(2025, 9, 15)


# ---------------------------------------------------------- waiting to first contact


def make_case_with_waits(professional, *, arm, received, waits, extra_contact=True):
    """One case per wait (None: no contact yet). The first contact is at 00:30 local time,
    which is still the previous day in UTC, so the day count must use the local date."""
    for wait in waits:
        case = CaseFactory(date_received=received, professional=professional, arm=arm)
        if wait is None:
            continue
        first_day = received + datetime.timedelta(days=wait)
        ContactFactory(case=case, occurred_at=local(first_day, 0, 30))
        if extra_contact:
            ContactFactory(case=case, occurred_at=local(first_day + datetime.timedelta(days=5)))


def test_waiting_times_median_and_p90_per_arm_against_hand_computed_values():
    professional = ProfessionalFactory(bip=True)
    received = datetime.date(2025, 10, 1)
    # BIP: 1 2 3 4 10 → median 3; p90 at position 0.9 × 4 = 3.6 → 4 + 0.6 × (10 − 4) = 7.6
    make_case_with_waits(professional, arm=Arm.BIP, received=received, waits=[4, 10, 1, 3, 2, None])
    # Control: 2 4 6 8 → median at 1.5 → 5; p90 at 2.7 → 6 + 0.7 × 2 = 7.4
    make_case_with_waits(
        professional, arm=Arm.CONTROL, received=received, waits=[8, 2, None, 6, 4, None]
    )
    make_case_with_waits(professional, arm="", received=received, waits=[None])
    # Received before the window: left out altogether.
    make_case_with_waits(
        professional, arm=Arm.BIP, received=WINDOW_START - datetime.timedelta(days=1), waits=[90]
    )

    waiting = {row.arm: row for row in dashboard.waiting_times(since=WINDOW_START)}

    assert [row.arm for row in dashboard.waiting_times(since=WINDOW_START)] == [
        Arm.BIP,
        Arm.CONTROL,
        "",
    ]
    bip = waiting[Arm.BIP]
    assert (bip.referrals, bip.with_contact, bip.without_contact) == (6, 5, 1)
    assert bip.median_days == pytest.approx(3)
    assert bip.p90_days == pytest.approx(7.6)
    control = waiting[Arm.CONTROL]
    assert (control.referrals, control.with_contact, control.without_contact) == (6, 4, 2)
    assert control.median_days == pytest.approx(5)
    assert control.p90_days == pytest.approx(7.4)
    no_arm = waiting[""]
    assert (no_arm.referrals, no_arm.with_contact, no_arm.without_contact) == (1, 0, 1)
    assert no_arm.median_days is None and no_arm.p90_days is None


@pytest.mark.parametrize(
    ("waits", "median", "p90"),
    [
        ([5], 5, 5),
        ([0, 10], 5, 9),
        ([0, 0, 0, 7], 0, 4.9),  # p90 at position 2.7 → 0 + 0.7 × 7
    ],
)
def test_waiting_time_percentiles_on_small_groups(waits, median, p90):
    professional = ProfessionalFactory(bip=True)
    make_case_with_waits(
        professional, arm=Arm.BIP, received=datetime.date(2025, 10, 1), waits=waits
    )
    bip = dashboard.waiting_times(since=WINDOW_START)[0]
    assert bip.median_days == pytest.approx(median)
    assert bip.p90_days == pytest.approx(p90)


def test_waiting_times_without_any_case():
    rows = dashboard.waiting_times(since=WINDOW_START)
    assert [(row.referrals, row.with_contact, row.median_days) for row in rows] == [
        (0, 0, None)
    ] * 3


def test_waiting_times_run_a_fixed_number_of_queries():
    professional = ProfessionalFactory(bip=True)
    received = datetime.date(2025, 10, 1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            dashboard.waiting_times(since=WINDOW_START)
        return len(captured.captured_queries)

    for arm in (Arm.BIP, Arm.CONTROL, ""):
        make_case_with_waits(professional, arm=arm, received=received, waits=[1, None])
    small = queries()
    for arm in (Arm.BIP, Arm.CONTROL, ""):
        make_case_with_waits(professional, arm=arm, received=received, waits=[3, 5, 8, 13, None])
    assert queries() == small
    # PostgreSQL: one query. SQLite: one count plus two percentile reads per arm.
    assert small == (1 if connection.vendor == "postgresql" else 7)


# ------------------------------------------------------------------------ caseload


def test_caseload_counts_open_and_new_cases_sorted_by_load():
    full = ProfessionalFactory(max_caseload=2, user__last_name="Aarts")
    exact = ProfessionalFactory(max_caseload=4, user__last_name="Bos")
    roomy = ProfessionalFactory(max_caseload=10, user__last_name="Claes")
    idle = ProfessionalFactory(max_caseload=25, user__last_name="Dekker")
    gone = ProfessionalFactory(inactive=True, max_caseload=1)
    for _ in range(3):
        CaseFactory(professional=full)
    CaseFactory(professional=full, closed=True)  # closed: not in the caseload
    for _ in range(4):
        CaseFactory(professional=exact)
    for _ in range(2):
        CaseFactory(professional=roomy)
    CaseFactory(professional=gone)
    # Every CaseFactory above wrote an assignment starting now. Two more for `roomy`, on both
    # sides of the 28-day boundary (local midnight of 23 October).
    old_case = CaseFactory(closed=True)
    for started_at in (
        local(datetime.date(2025, 10, 23), 0, 0),
        local(datetime.date(2025, 10, 22), 23, 59),
    ):
        Assignment.objects.create(
            case=old_case,
            professional=roomy,
            started_at=started_at,
            ended_at=started_at,
            reason="intake",
            assigned_by=roomy.user,
        )

    rows = dashboard.caseload(today=TODAY)

    assert [row.professional for row in rows] == [full, exact, roomy, idle]
    assert [(row.open_cases, row.max_caseload, row.new_cases) for row in rows] == [
        (3, 2, 4),
        (4, 4, 4),
        (2, 10, 3),
        (0, 25, 0),
    ]
    assert [row.load_percent for row in rows] == [150, 100, 20, 0]
    assert [row.over_capacity for row in rows] == [True, False, False, False]
    assert [row.at_capacity for row in rows] == [False, True, False, False]
    assert (rows[0].excess, rows[2].room) == (1, 8)

    assert dashboard.caseload(today=TODAY, limit=2) == rows[:2]
    assert dashboard.caseload_totals(today=TODAY) == {
        "professionals": 4,
        "over_capacity": 1,
        "open_cases": 9,
        "capacity": 41,
    }


def test_caseload_totals_without_professionals():
    assert dashboard.caseload_totals(today=TODAY) == {
        "professionals": 0,
        "over_capacity": 0,
        "open_cases": 0,
        "capacity": 0,
    }


# ---------------------------------------------------------------- open per stage


def test_open_cases_per_stage_in_chain_order_with_arms_and_overdue():
    CaseFactory(
        stage=Stage.LEERPLICHT, arm=Arm.BIP, date_received=TODAY - datetime.timedelta(days=100)
    )
    CaseFactory(stage=Stage.LEERPLICHT, arm=Arm.BIP)
    CaseFactory(stage=Stage.LEERPLICHT, arm="")
    CaseFactory(stage=Stage.HALT, arm=Arm.CONTROL)
    CaseFactory(stage=Stage.HALT, arm=Arm.CONTROL, closed=True)  # closed: not counted
    CaseFactory(stage=Stage.RVDK, arm=Arm.BIP, closed=True)

    with CaptureQueriesContext(connection) as captured:
        rows = dashboard.open_cases_per_stage(today=TODAY)

    assert len(captured.captured_queries) == 1
    assert [
        (row.stage, row.total, row.bip, row.control, row.unallocated, row.overdue) for row in rows
    ] == [
        (Stage.LEERPLICHT, 3, 2, 0, 1, 1),
        (Stage.HALT, 1, 0, 1, 0, 0),
        (Stage.RVDK, 0, 0, 0, 0, 0),
    ]
