"""Data freezes (evaluation.freezes), their command, and the STUDY_END guard of the daily
snapshot (evaluation.snapshots, `snapshot_measurements --restate --reason`)."""

import datetime
import hashlib
import time
import tracemalloc
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cases.constants import CaseStatus, OutcomeCategory
from cases.exceptions import RuleViolation
from evaluation.constants import Arm
from evaluation.definitions import DEFINITIONS_VERSION, measure_many
from evaluation.freezes import (
    CANONICAL_FIELDS,
    canonical_row,
    freeze_create,
    freeze_diff,
    freeze_hash,
    freeze_previous,
    freeze_verify,
    latest_freeze,
)
from evaluation.models import DataFreeze, FrozenMeasurement, Measurement, MeasurementRestatement
from evaluation.snapshots import StudyEndChanged, measurements_snapshot
from tests.factories import CaseFactory, OutcomeFactory, StageChangeFactory, UserFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
D = datetime.date
JAN15 = D(2024, 1, 15)  # measured on 15 April 2024


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=AMSTERDAM)


def day(n: int) -> datetime.date:
    return JAN15 + datetime.timedelta(days=n)


def close(case, category, achieved_on, recorded_at):
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


def cases_in_both_arms():
    with time_machine.travel(at(JAN15), tick=False):
        bip = [CaseFactory(date_received=JAN15, arm=Arm.BIP, closed=True) for _ in range(3)]
        control = [CaseFactory(date_received=JAN15, arm=Arm.CONTROL) for _ in range(2)]
    return bip, control


def freeze_at(moment: datetime.datetime, label: str, **kwargs) -> DataFreeze:
    with time_machine.travel(moment, tick=False):
        return freeze_create(label=label, actor=None, study_end=None, **kwargs)


# ------------------------------------------------------------------ making a freeze


def test_freeze_stores_rows_per_arm_and_the_hash_of_its_canonical_rows():
    bip, control = cases_in_both_arms()
    close(bip[0], OutcomeCategory.BACK_TO_SCHOOL, day(30), at(day(30)))
    freeze = freeze_at(at(day(120)), "T1", chunk_size=2)

    freeze.refresh_from_db()
    assert (freeze.row_count, freeze.rows_bip, freeze.rows_control) == (5, 3, 2)
    assert freeze.as_of == at(day(120))
    assert freeze.definitions_version == DEFINITIONS_VERSION
    rows = FrozenMeasurement.objects.filter(freeze=freeze)
    assert rows.count() == 5
    assert rows.get(case=bip[0]).suitable is True
    # The hash, recomputed here by the documented rule from the live measures.
    measures = measure_many(sorted([*bip, *control], key=lambda c: c.pk))
    expected = hashlib.sha256()
    for measure in measures:
        line = "\t".join(
            ""
            if (value := getattr(measure, name)) is None
            else ("1" if value else "0")
            if isinstance(value, bool)
            else value.isoformat()
            if isinstance(value, datetime.date)
            else str(value)
            for name in CANONICAL_FIELDS
        )
        expected.update((line + "\n").encode())
    assert freeze.sha256 == expected.hexdigest()
    assert freeze_verify(freeze)


def test_canonical_row_format():
    row = (7, "bip", D(2024, 1, 15), D(2024, 4, 15), "gemeten", True, "", None, 3, 1, 0, 4,
           "halt", 91, False)  # fmt: skip
    assert (
        canonical_row(row)
        == b"7\tbip\t2024-01-15\t2024-04-15\tgemeten\t1\t\t\t3\t1\t0\t4\thalt\t91\t0\n"
    )


def test_a_changed_row_no_longer_matches_the_hash():
    cases_in_both_arms()
    freeze = freeze_at(at(day(120)), "T1")
    FrozenMeasurement.objects.filter(freeze=freeze).update(contacts=99)
    assert not freeze_verify(freeze)
    assert freeze_hash(freeze) != freeze.sha256


def test_existing_label_is_refused_and_nothing_changes():
    cases_in_both_arms()
    first = freeze_at(at(day(120)), "T1")
    with pytest.raises(RuleViolation) as refused:
        freeze_at(at(day(130)), " t1 ")
    assert "T1" in refused.value.errors["label"] or "t1" in refused.value.errors["label"]
    assert "al een datafreeze" in refused.value.errors["label"]
    assert list(DataFreeze.objects.values_list("pk", flat=True)) == [first.pk]
    assert FrozenMeasurement.objects.count() == 5


def test_blank_label_is_refused():
    with pytest.raises(RuleViolation) as refused:
        freeze_create(label="  ", actor=None, study_end=None)
    assert "label" in refused.value.errors
    assert not DataFreeze.objects.exists()


# ------------------------------------------------------------------ late records


def test_an_outcome_recorded_late_is_counted_in_the_next_freeze_and_the_diff_shows_it():
    """Dated day 85, recorded on day 100, after the daily snapshot (day 92) and freeze T1
    (day 95): the snapshot and T1 say not suitable, T2 (day 110) counts it, and the diff
    names one changed case and the measures that changed."""
    bip, _control = cases_in_both_arms()
    late_case = bip[1]
    with time_machine.travel(at(day(92), 2), tick=False):
        measurements_snapshot(day(92), None)
    t1 = freeze_at(at(day(95)), "T1")
    close(late_case, OutcomeCategory.OTHER_SCHOOL, day(85), at(day(100)))
    t2 = freeze_at(at(day(110)), "T2")

    assert Measurement.objects.get(case=late_case).suitable is False  # never changed
    assert FrozenMeasurement.objects.get(freeze=t1, case=late_case).suitable is False
    frozen = FrozenMeasurement.objects.get(freeze=t2, case=late_case)
    assert frozen.suitable is True and frozen.days_to_outcome == 85
    assert freeze_previous(t2) == t1 and freeze_previous(t1) is None
    assert latest_freeze() == t2

    diff = freeze_diff(freeze=t2, previous=t1, chunk_size=2)
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 1)
    changed = dict(diff.changed_measures)
    assert changed["suitable"] == 1 and changed["outcome_category"] == 1
    assert changed["km_event"] == 1 and "arm" not in changed
    assert t1.sha256 != t2.sha256


def test_freeze_counts_only_records_present_at_its_moment():
    """A freeze made as of an earlier moment ignores what was recorded after it."""
    bip, _control = cases_in_both_arms()
    close(bip[0], OutcomeCategory.CARE, day(10), at(day(200)))
    freeze = freeze_at(at(day(210)), "T1", as_of=at(day(150)))
    assert FrozenMeasurement.objects.get(freeze=freeze, case=bip[0]).suitable is False


def test_diff_counts_cases_added_and_removed():
    bip, _control = cases_in_both_arms()
    t1 = freeze_at(at(day(120)), "T1")
    with time_machine.travel(at(day(5)), tick=False):
        CaseFactory(date_received=day(5), arm=Arm.BIP)
    FrozenMeasurement.objects.filter(freeze=t1, case=bip[2]).delete()
    DataFreeze.objects.filter(pk=t1.pk).update(row_count=4)
    t1.refresh_from_db()
    t2 = freeze_at(at(day(125)), "T2")
    diff = freeze_diff(freeze=t2, previous=t1)
    assert (diff.added, diff.removed, diff.changed) == (2, 0, 0)
    reverse = freeze_diff(freeze=t1, previous=t2)
    assert (reverse.added, reverse.removed) == (0, 2)


# ------------------------------------------------------------------ the command


def test_command_makes_a_freeze_and_reports_the_diff():
    bip, _control = cases_in_both_arms()
    out = StringIO()
    with time_machine.travel(at(day(100)), tick=False):
        call_command("freeze_measurements", "--label", "T1", stdout=out)
    assert "Datafreeze T1: 5 rijen (BIP 3, controle 2)" in out.getvalue()
    close(bip[0], OutcomeCategory.CARE, day(50), at(day(101)))
    out = StringIO()
    with time_machine.travel(at(day(102)), tick=False):
        call_command("freeze_measurements", "--label", "T2", stdout=out)
    assert "Ten opzichte van T1: 0 zaken erbij, 0 eruit, 1 gewijzigd" in out.getvalue()


def test_command_refuses_an_existing_label_without_changing_anything():
    cases_in_both_arms()
    with time_machine.travel(at(day(100)), tick=False):
        call_command("freeze_measurements", "--label", "T1", stdout=StringIO())
        before = list(FrozenMeasurement.objects.values_list("pk", flat=True))
        with pytest.raises(CommandError, match="Er is al een datafreeze met het label"):
            call_command("freeze_measurements", "--label", "T1", stdout=StringIO())
    assert DataFreeze.objects.count() == 1
    assert list(FrozenMeasurement.objects.values_list("pk", flat=True)) == before


# ------------------------------------------------------------------ STUDY_END


def test_snapshot_stores_the_study_end_and_refuses_another_one():
    cases_in_both_arms()
    measurements_snapshot(day(120), D(2024, 12, 31))
    assert set(Measurement.objects.values_list("study_end", flat=True)) == {D(2024, 12, 31)}
    with time_machine.travel(at(day(5)), tick=False):
        CaseFactory(date_received=day(5), arm=Arm.BIP)
    with pytest.raises(StudyEndChanged) as refused:
        measurements_snapshot(day(130), D(2024, 3, 1))
    assert "2024-12-31" in str(refused.value) and "--restate" in str(refused.value)
    assert Measurement.objects.count() == 5  # nothing written


def test_changing_study_end_is_refused_by_the_command_until_a_reasoned_restate(settings):
    """STUDY_END moved from 31 December to 1 March 2024 (before the measurement date): the
    daily run refuses; --restate without a reason refuses; with a reason it deletes the
    snapshot, records why, and measures every case again, censored at the new end."""
    settings.STUDY_START, settings.STUDY_END = "2024-01-01", "2024-12-31"
    cases_in_both_arms()
    with time_machine.travel(at(day(120)), tick=False):
        call_command("snapshot_measurements", stdout=StringIO())
    assert Measurement.objects.filter(status="gemeten").count() == 5

    settings.STUDY_END = "2024-03-01"
    with time_machine.travel(at(day(121)), tick=False):
        with pytest.raises(CommandError, match="STUDY_END is gewijzigd"):
            call_command("snapshot_measurements", stdout=StringIO())
        with pytest.raises(CommandError, match="vraagt een reden"):
            call_command("snapshot_measurements", "--restate", stdout=StringIO())
        with pytest.raises(CommandError, match="vraagt een reden"):
            call_command("snapshot_measurements", "--restate", "--reason", "  ", stdout=StringIO())
        with pytest.raises(CommandError, match="hoort bij --restate"):
            call_command("snapshot_measurements", "--reason", "x", stdout=StringIO())
        assert not MeasurementRestatement.objects.exists()
        assert set(Measurement.objects.values_list("study_end", flat=True)) == {D(2024, 12, 31)}

        out = StringIO()
        call_command(
            "snapshot_measurements",
            "--restate",
            "--reason",
            "Studie eerder beëindigd (besluit stuurgroep)",
            stdout=out,
        )
    restatement = MeasurementRestatement.objects.get()
    assert restatement.reason == "Studie eerder beëindigd (besluit stuurgroep)"
    assert restatement.previous_study_ends == "2024-12-31"
    assert restatement.study_end == D(2024, 3, 1) and restatement.deleted == 5
    assert set(Measurement.objects.values_list("study_end", flat=True)) == {D(2024, 3, 1)}
    assert Measurement.objects.filter(status="gecensureerd").count() == 5
    assert "5 metingen verwijderd" in out.getvalue()


# ------------------------------------------------------------------ performance


@pytest.mark.slow
@pytest.mark.parametrize("n", [3000])
def test_freeze_of_a_few_thousand_cases_in_chunks(n, capsys):
    """Bounded memory: the freeze holds one chunk at a time. Prints the timing (see the
    report of issue 12)."""
    from cases.models import Case
    from tests.factories import ChildFactory

    user = UserFactory()
    child = ChildFactory()
    with time_machine.travel(at(JAN15), tick=False):
        Case.objects.bulk_create(
            [
                Case(
                    number=f"2024-{i:06d}",
                    child=child,
                    date_received=JAN15,
                    melding_type="16_uur",
                    hours_absent=16,
                    times_late=0,
                    period_start=D(2023, 12, 1),
                    period_end=D(2024, 1, 10),
                    arm=Arm.BIP if i % 2 else Arm.CONTROL,
                    three_month_deadline=D(2024, 4, 15),
                )
                for i in range(n)
            ]
        )
    assert user.pk
    tracemalloc.start()
    started = time.perf_counter()
    freeze = freeze_at(at(day(120)), "T1", chunk_size=500)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert freeze.row_count == n
    with capsys.disabled():
        print(f"\nfreeze of {n} cases: {elapsed:.2f} s, peak {peak / 1e6:.1f} MB")
