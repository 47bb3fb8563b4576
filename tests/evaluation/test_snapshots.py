"""The three-month snapshot (evaluation.snapshots) and its command."""

import datetime
from dataclasses import replace
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from evaluation import snapshots
from evaluation.constants import Arm
from evaluation.definitions import DEFINITIONS_VERSION, MeasurementStatus
from evaluation.models import Measurement
from evaluation.snapshots import measurements_snapshot
from evaluation.study import study_period
from tests.factories import CaseFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def snapshot_rows():
    return list(Measurement.objects.order_by("pk").values())


def test_snapshot_stores_passed_cases_once():
    due = [CaseFactory(date_received=D(2024, 1, 10) + datetime.timedelta(days=i), arm=Arm.BIP)
           for i in range(5)]  # fmt: skip
    OutcomeFactory(case=due[0], achieved_on=D(2024, 2, 1))
    not_due = CaseFactory(date_received=D(2024, 3, 1), arm=Arm.CONTROL)
    CaseFactory(date_received=D(2024, 1, 1), arm="")  # not allocated: never measured

    counts = measurements_snapshot(D(2024, 4, 20), None, chunk_size=2)
    assert (counts.created, counts.already_present, counts.censored) == (5, 0, 0)
    assert set(Measurement.objects.values_list("case_id", flat=True)) == {c.pk for c in due}
    assert not Measurement.objects.filter(case=not_due).exists()
    first = Measurement.objects.get(case=due[0])
    assert first.status == MeasurementStatus.MEASURED
    assert first.suitable is True and first.days_to_outcome == 22
    assert first.definitions_version == DEFINITIONS_VERSION
    assert first.arm == Arm.BIP and first.measured_on == D(2024, 4, 10)


def test_second_run_creates_nothing_and_changes_nothing():
    case = CaseFactory(date_received=D(2024, 1, 10), arm=Arm.BIP)
    measurements_snapshot(D(2024, 4, 20), None)
    before = snapshot_rows()
    # The case changes after its snapshot: the stored measurement must not follow.
    OutcomeFactory(case=case, achieved_on=D(2024, 2, 1))
    again = measurements_snapshot(D(2024, 4, 21), None)
    assert (again.created, again.already_present, again.censored) == (0, 1, 0)
    assert snapshot_rows() == before


def test_snapshot_skips_a_row_written_meanwhile(monkeypatch):
    """ignore_conflicts: a row a concurrent run stored first is kept, and no error raised."""
    cases = [CaseFactory(date_received=D(2024, 1, 10), arm=Arm.BIP) for _ in range(2)]
    real_measure_live = snapshots.measure_live

    def concurrent_run_wins(queryset, study_end, chunk_size):
        measures = list(real_measure_live(queryset, study_end, chunk_size=chunk_size))
        # Another run stores the first case between our read and our write.
        snapshots.Measurement.objects.bulk_create(
            [snapshots._measurement(replace(measures[0], contacts=99), timezone.now())]
        )
        yield from measures

    monkeypatch.setattr(snapshots, "measure_live", concurrent_run_wins)
    measurements_snapshot(D(2024, 4, 20), None)
    assert Measurement.objects.get(case=cases[0]).contacts == 99
    assert Measurement.objects.get(case=cases[1]).contacts == 0


def test_censoring_after_the_study_end():
    measured = CaseFactory(date_received=D(2024, 1, 10), arm=Arm.BIP)
    open_at_end = CaseFactory(date_received=D(2024, 4, 1), arm=Arm.CONTROL)
    after_end = CaseFactory(date_received=D(2024, 5, 10), arm=Arm.CONTROL)
    study_end = D(2024, 4, 30)

    # Before the study end: only the passed case.
    early = measurements_snapshot(D(2024, 4, 15), study_end)
    assert (early.created, early.censored) == (1, 0)
    # After it: the open case is censored at the study end; the later referral is left out.
    late = measurements_snapshot(D(2024, 5, 15), study_end)
    assert (late.created, late.already_present, late.censored) == (1, 1, 1)
    censored = Measurement.objects.get(case=open_at_end)
    assert censored.status == MeasurementStatus.CENSORED
    assert censored.suitable is None
    assert (censored.km_days, censored.km_event) == (29, False)
    assert Measurement.objects.get(case=measured).status == MeasurementStatus.MEASURED
    assert not Measurement.objects.filter(case=after_end).exists()


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_command_prints_the_counts(settings):
    settings.STUDY_END = ""
    CaseFactory(date_received=D(2024, 1, 10), arm=Arm.BIP)
    out = StringIO()
    call_command("snapshot_measurements", stdout=out)
    assert (
        "Peildatum 2024-04-20: 1 metingen vastgelegd (waarvan 0 gecensureerd), 0 waren er al"
        in (out.getvalue())
    )
    out = StringIO()
    call_command("snapshot_measurements", "--as-of", "2024-04-19", stdout=out)
    assert "0 metingen vastgelegd" in out.getvalue() and "1 waren er al" in out.getvalue()


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_command_uses_the_study_end(settings):
    settings.STUDY_END = "2024-03-31"
    CaseFactory(date_received=D(2024, 3, 1), arm=Arm.BIP)
    out = StringIO()
    call_command("snapshot_measurements", stdout=out)
    assert "1 metingen vastgelegd (waarvan 1 gecensureerd)" in out.getvalue()


@time_machine.travel(datetime.datetime(2024, 4, 20, 9, tzinfo=datetime.UTC), tick=False)
def test_command_refuses_a_future_or_bad_date():
    with pytest.raises(CommandError, match="toekomst"):
        call_command("snapshot_measurements", "--as-of", "2024-04-21")
    with pytest.raises(CommandError, match="geen geldige datum"):
        call_command("snapshot_measurements", "--as-of", "20-04-2024")
    assert not Measurement.objects.exists()


def test_study_period_settings(settings):
    settings.STUDY_START, settings.STUDY_END = "2024-01-01", " 2025-06-30 "
    assert study_period().start == D(2024, 1, 1)
    assert study_period().end == D(2025, 6, 30)
    settings.STUDY_START = settings.STUDY_END = ""
    assert study_period().start is None and study_period().end is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("1-1-2024", "", "STUDY_START"), ("", "2024-02-30", "STUDY_END"),
     ("2024-06-01", "2024-01-01", "before")],
)  # fmt: skip
def test_study_period_refuses_bad_values(settings, start, end, message):
    settings.STUDY_START, settings.STUDY_END = start, end
    with pytest.raises(ImproperlyConfigured, match=message):
        study_period()


@pytest.mark.slow
def test_seed_demo_stores_the_measurements(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", "--cases", "60", stdout=out)
    created = Measurement.objects.count()
    assert created > 0
    assert f"{created} driemaandsmetingen vastgelegd" in out.getvalue()
    assert measurements_snapshot(timezone.localdate(), None).created == 0
