"""The study period, read from the settings STUDY_START and STUDY_END (YYYY-MM-DD or empty)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True, slots=True)
class StudyPeriod:
    """Referral dates that belong to the study. `None` is an open bound."""

    start: datetime.date | None
    end: datetime.date | None


def _parse(name: str, value: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} must be a date as YYYY-MM-DD or empty, not {value!r}."
        ) from error


def study_period() -> StudyPeriod:
    """The configured study period. Raises ImproperlyConfigured on a bad or reversed value."""
    start = _parse("STUDY_START", settings.STUDY_START)
    end = _parse("STUDY_END", settings.STUDY_END)
    if start and end and end < start:
        raise ImproperlyConfigured("STUDY_END lies before STUDY_START.")
    return StudyPeriod(start=start, end=end)


def study_end() -> datetime.date | None:
    """The end of the study: cases whose three-month date lies after it are censored."""
    return study_period().end
