"""The report's rows computed ahead of time (evaluation.aggregates): stored per source, added up
per period to the very report the live queries give, and what stores and discards them."""

import dataclasses
import datetime
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluation.aggregates import (
    latest_aggregate,
    report_aggregate_store,
    stored_inputs,
)
from evaluation.constants import Arm, RespondentType, SurveyItem
from evaluation.definitions import MeasurementStatus
from evaluation.freezes import freeze_create
from evaluation.models import ReportAggregate
from evaluation.report import (
    ReportPeriod,
    evaluation_report,
    evaluation_report_cached,
    referral_blocks,
)
from evaluation.report_inputs import ReportInputs, collect_inputs
from evaluation.snapshots import measurements_restate
from tests.evaluation.test_report import client_response, measurement, staff_response
from tests.factories import AllocationFactory, CaseFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

D = datetime.date
MONTHS = [
    D(2024, month, 1) + datetime.timedelta(days=day) for month in (1, 2, 3, 4) for day in (0, 14)
]


def _world() -> None:
    """Eight referral dates over four months, both arms, every kind of row the report reads:
    measured and censored, with and without contact, client and staff surveys (staff periods
    that cross months), outcomes on time and late, a correction after the measurement date,
    unallocated referrals."""
    for index, received in enumerate(MONTHS):
        for arm_index in range(7):
            arm = Arm.BIP if (index + arm_index) % 2 else Arm.CONTROL
            status = MeasurementStatus.CENSORED if arm_index == 6 else MeasurementStatus.MEASURED
            row = measurement(
                arm,
                received=received,
                status=status,
                km_days=10 + 11 * arm_index,
                km_event=arm_index % 3 == 0 and status == MeasurementStatus.MEASURED,
                first_contact=None if arm_index == 5 else arm_index + index,
                professionals=1 + arm_index % 3,
                handovers=arm_index % 2,
                contacts=2 + index,
            )
            if arm_index < 4:
                client_response(
                    row.case,
                    RespondentType.PARENT if arm_index % 2 else RespondentType.CHILD,
                    4 + (index + arm_index) % 7,
                    {SurveyItem.RESPECT: 1 + arm_index % 5},
                )
            if arm_index in (1, 2):
                late = arm_index == 2
                OutcomeFactory(
                    case=row.case,
                    achieved_on=received + datetime.timedelta(days=20),
                    recorded_at=timezone.make_aware(
                        datetime.datetime.combine(
                            received + datetime.timedelta(days=40 if late else 21),
                            datetime.time(12),
                        )
                    ),
                )
        CaseFactory(arm="", date_received=received)
        CaseFactory(arm=Arm.BIP, date_received=received)  # allocated, not yet measured
        start = received.replace(day=1)
        staff_response(index % 2 == 0, 3 + index, (start, start + datetime.timedelta(days=45)))
    corrected = measurement(Arm.BIP, received=D(2024, 3, 2)).case
    drawn = AllocationFactory(case=corrected, arm=Arm.BIP)
    AllocationFactory(
        correction=True, case=corrected, arm=Arm.CONTROL, supersedes=drawn, after_measurement=True
    )


PERIODS = [
    ReportPeriod(None, None),
    ReportPeriod(D(2024, 1, 1), D(2024, 1, 31)),
    ReportPeriod(D(2024, 2, 1), D(2024, 3, 31)),
    ReportPeriod(D(2024, 3, 1), None),
    ReportPeriod(None, D(2024, 2, 29)),
    ReportPeriod(D(2024, 5, 1), D(2024, 5, 31)),  # no referrals
]


def _without_as_of(report):
    return dataclasses.replace(report, as_of=None)


def test_the_stored_rows_add_up_to_the_live_report_for_every_period():
    _world()
    aggregate = report_aggregate_store()
    inputs = stored_inputs(aggregate)
    for period in PERIODS:
        live = evaluation_report(period)
        stored = evaluation_report(period, inputs=inputs, as_of=aggregate.computed_at)
        assert stored.as_of == aggregate.computed_at and live.as_of is None
        assert _without_as_of(stored) == live, period
    # The world is not trivial: both arms have measurements, outcomes (4 of 8 late, hidden as
    # a small cell), a deviation in the flow rows.
    whole = evaluation_report(ReportPeriod(None, None), inputs=inputs)
    assert whole.effects is not None
    assert whole.effects.estimates.n_bip == 25 and whole.effects.estimates.n_control == 24
    assert [row.outcomes.value for row in whole.late_entry] == [8, 8]
    assert sum(row[-1] for row in inputs.flow if row[3]) == 1


def test_the_stored_rows_survive_the_database_and_the_cache_unchanged():
    _world()
    aggregate = report_aggregate_store()
    cache.clear()
    from_database = stored_inputs(aggregate)
    assert from_database == collect_inputs(ReportPeriod(None, None))
    assert ReportInputs.from_json(from_database.as_json()) == from_database


def test_within_keeps_the_months_of_the_period_and_the_staff_surveys_overlapping_it():
    _world()
    inputs = collect_inputs(ReportPeriod(None, None))
    february = ReportPeriod(D(2024, 2, 1), D(2024, 2, 29))
    kept = inputs.within(february)
    assert {row[0] for row in kept.flow} == {"2024-02-01"}
    staff = [row for row in kept.grades if row[3] == RespondentType.STAFF]
    # January's survey runs 45 days, into February; February's own; not March's or April's.
    assert sorted({row[1] for row in staff}) == ["2024-01-01", "2024-02-01"]
    assert kept == collect_inputs(february)


def test_the_page_adds_up_the_stored_rows_and_says_as_of_when(client_for, researcher):
    for _ in range(6):
        measurement(Arm.BIP, received=D(2024, 2, 1))
    report_aggregate_store()
    measurement(Arm.BIP, received=D(2024, 2, 1))  # after the computation
    cache.clear()
    client = client_for(researcher)
    url = "/evaluatie/?van=2024-01&tot=2024-06&freeze=dagelijks"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.arms[0].measured.value == 6  # the seventh came later
    assert report.as_of is not None
    assert "Stand van de cijfers:" in response.content.decode()
    # No query aggregates cases, measurements or surveys: the figures are the stored rows'.
    sql = [query["sql"] for query in queries.captured_queries]
    report_tables = ("cases_case", 'evaluation_measurement"."arm', "evaluation_survey")
    assert not [query for query in sql if any(table in query for table in report_tables)]
    assert any("evaluation_reportaggregate" in query for query in sql)

    report_aggregate_store()  # the next run counts the seventh
    assert client.get(url).context["report"].arms[0].measured.value == 7


def test_without_stored_rows_the_page_computes_live(client_for, researcher):
    for _ in range(6):
        measurement(Arm.BIP, received=D(2024, 2, 1))
    response = client_for(researcher).get("/evaluatie/?van=2024-01&tot=2024-06&freeze=dagelijks")
    assert response.context["report"].arms[0].measured.value == 6
    assert response.context["report"].as_of is None
    assert "zojuist berekend uit de actuele gegevens" in response.content.decode()


def test_the_blocks_come_from_the_same_rows_as_the_figures():
    _world()
    aggregate = report_aggregate_store()
    assert referral_blocks(aggregate) == referral_blocks()
    for arm in (Arm.BIP, Arm.CONTROL) * 5:
        CaseFactory(arm=arm, date_received=D(2024, 6, 20))
    cache.clear()
    stored = referral_blocks(aggregate)
    live = referral_blocks()
    assert stored != live  # the new referral counts live, not in the stored rows


def test_the_cached_report_follows_a_new_computation():
    for _ in range(6):
        measurement(Arm.CONTROL, received=D(2024, 2, 1))
    period = ReportPeriod(D(2024, 1, 1), D(2024, 6, 30))
    first = evaluation_report_cached(period, None, report_aggregate_store())
    measurement(Arm.CONTROL, received=D(2024, 2, 1))
    again = evaluation_report_cached(period, None, latest_aggregate())
    assert first.arms[1].measured.value == again.arms[1].measured.value == 6
    newer = evaluation_report_cached(period, None, report_aggregate_store())
    assert newer.arms[1].measured.value == 7


def test_the_snapshot_command_stores_the_rows_and_a_restatement_discards_them():
    CaseFactory(arm=Arm.BIP, date_received=D(2024, 1, 10))
    out = StringIO()
    call_command("snapshot_measurements", stdout=out)
    assert "Rapportcijfers per maand berekend" in out.getvalue()
    aggregate = latest_aggregate()
    assert aggregate is not None and aggregate.source == ReportAggregate.SNAPSHOT
    assert [row[0] for row in stored_inputs(aggregate).flow] == ["2024-01-01"]
    call_command("snapshot_measurements", stdout=StringIO())
    assert ReportAggregate.objects.count() == 1  # replaced, not added

    measurements_restate(reason="Nieuwe definitie.", study_end=None)
    assert latest_aggregate() is None  # no figures of a deleted snapshot


def test_a_freeze_stores_its_own_rows(researcher):
    for _ in range(5):
        CaseFactory(arm=Arm.BIP, date_received=D(2024, 1, 10))
    freeze = freeze_create(label="T1", actor=researcher, study_end=None)
    aggregate = latest_aggregate(freeze)
    assert aggregate is not None and aggregate.freeze == freeze
    assert latest_aggregate() is None  # the daily snapshot has none of its own
    inputs = stored_inputs(aggregate)
    assert inputs == collect_inputs(ReportPeriod(None, None), freeze)
    assert sum(row[-1] for row in inputs.measurements) == freeze.row_count == 5
