"""melding_add: a new melding joins the child's open case (issue 14 #8)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry

from cases.constants import CaseSource, MeldingType
from cases.exceptions import ConcurrentEdit, RuleViolation
from cases.models import Melding
from cases.services.meldingen import melding_add
from cases.timeline import case_timeline
from tests.factories import CaseFactory, UserFactory

NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
TODAY = NOW.date()

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def melding(**overrides):
    return {
        "date_received": TODAY - datetime.timedelta(days=2),
        "source": CaseSource.SCHOOL,
        "melding_type": MeldingType.OVERIG,
        "hours_absent": 6,
        "times_late": 4,
        "period_start": TODAY - datetime.timedelta(days=20),
        "period_end": TODAY - datetime.timedelta(days=3),
        "note": "  Vaak te laat na de meivakantie.  ",
    } | overrides


def test_adds_the_melding_bumps_the_version_and_writes_history():
    case = CaseFactory()
    actor = UserFactory(coordinator=True)

    added = melding_add(case=case, actor=actor, expected_version=case.version, **melding())

    case.refresh_from_db()
    assert case.version == 2
    assert added.case == case
    assert added.created_by == actor
    assert added.note == "Vaak te laat na de meivakantie."
    assert (added.hours_absent, added.times_late) == (6, 4)
    entry = LogEntry.objects.get_for_object(added).get()
    assert entry.action == LogEntry.Action.CREATE
    # It shows in the case's timeline, as a melding.
    assert [e["item"] for e in case_timeline(case).entries if e["kind"] == "melding"] == [added]


def test_a_closed_case_takes_no_melding():
    case = CaseFactory(closed=True)

    with pytest.raises(RuleViolation) as refused:
        melding_add(case=case, actor=UserFactory(), expected_version=None, **melding())

    assert "gesloten" in str(refused.value.errors[None])
    assert not Melding.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_received": TODAY + datetime.timedelta(days=1)}, "date_received"),
        ({"period_end": TODAY - datetime.timedelta(days=30)}, "period_end"),
        ({"period_end": TODAY - datetime.timedelta(days=1)}, "period_end"),
        ({"melding_type": "onzin"}, "melding_type"),
        ({"hours_absent": 2001}, "hours_absent"),
    ],
)
def test_a_wrong_melding_is_refused_and_nothing_changes(overrides, field):
    case = CaseFactory()

    with pytest.raises(RuleViolation) as refused:
        melding_add(case=case, actor=UserFactory(), expected_version=1, **melding(**overrides))

    assert field in refused.value.errors
    case.refresh_from_db()
    assert case.version == 1
    assert not Melding.objects.exists()


def test_a_stale_form_is_a_concurrent_edit():
    case = CaseFactory(version=3)

    with pytest.raises(ConcurrentEdit):
        melding_add(case=case, actor=UserFactory(), expected_version=2, **melding())

    assert not Melding.objects.exists()
