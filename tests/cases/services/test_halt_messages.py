"""The Halt criteria's message states the limits from cases/constants.py, not copies of them."""

import pytest
from django.utils import timezone

from cases.services import stages
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_the_absence_message_follows_the_halt_limits(monkeypatch):
    monkeypatch.setattr(stages, "HALT_HOURS", (11, 55))
    monkeypatch.setattr(stages, "HALT_TIMES_LATE", (13, 44))
    case = CaseFactory(hours_absent=2, times_late=1)

    problems = stages.halt_eligibility_problems(case, today=timezone.localdate())

    assert "11 tot en met 55 uur verzuim" in problems["absence"]
    assert "13 tot en met 44 keer te laat" in problems["absence"]
    assert "deze zaak heeft 2 uur en 1 keer te laat" in problems["absence"]
