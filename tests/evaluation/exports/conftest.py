import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.constants import OutcomeCategory, Stage
from evaluation.definitions import DEFINITIONS_VERSION, MeasurementStatus
from evaluation.models import Measurement

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PSEUDONYM_KEY = "test-pseudonym-key-with-more-than-32-characters"
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture(autouse=True)
def export_settings(settings, tmp_path):
    """Exports run inline (ImmediateBackend) and write to a temporary EXPORT_ROOT."""
    settings.RESEARCH_PSEUDONYM_KEY = PSEUDONYM_KEY
    settings.STUDY_ID = "bip-test"
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_RETENTION_DAYS = 7
    settings.TASKS = IMMEDIATE_TASKS
    return settings


def measure(case, **values) -> Measurement:
    """Store a three-month measurement for `case` with explicit figures."""
    defaults = {
        "arm": case.arm,
        "date_received": case.date_received,
        "measured_on": case.three_month_deadline,
        "status": MeasurementStatus.MEASURED,
        "suitable": True,
        "outcome_category": OutcomeCategory.BACK_TO_SCHOOL,
        "days_to_outcome": 40,
        "days_to_first_contact": 3,
        "distinct_professionals": 1,
        "handovers": 0,
        "contacts": 4,
        "furthest_stage": Stage.LEERPLICHT,
        "km_days": 40,
        "km_event": True,
        "definitions_version": DEFINITIONS_VERSION,
    }
    return Measurement.objects.create(case=case, **(defaults | values))


def at(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)
