"""Report and export periods: whole calendar months, from a first to a last month (inclusive).

Day-level periods let two requests that differ by one day be subtracted from each other (1-25
August against 1-26 August revealed one referral's outcome). Whole months make the smallest
difference between two periods a month; `evaluation.disclosure` handles what is left.

`MonthPeriodFormMixin` gives a form the two month inputs `van` and `tot` with their
validation; the report form and the export request form both use it, so a report and an
export always cover the same kind of period.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Any, Protocol

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from .study import study_period

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Without a STUDY_START, the default period reaches this many months back (the last included).
DEFAULT_MONTHS_WITHOUT_START = 12


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after (or before, negative) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def parse_month(value: str) -> datetime.date:
    """ "YYYY-MM" -> the first day of that month. ValueError on anything else."""
    match = _MONTH.match((value or "").strip())
    if not match:
        raise ValueError(f"Not a month as YYYY-MM: {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= year <= 9999):
        raise ValueError(f"Not a month as YYYY-MM: {value!r}")
    return datetime.date(year, month, 1)


class DatePeriod(Protocol):
    """Anything that filters rows by a date field: a MonthPeriod, the report's ReportPeriod."""

    def q(self, field_name: str) -> Q: ...

    @property
    def first_day(self) -> datetime.date | None: ...

    @property
    def last_day(self) -> datetime.date | None: ...


@dataclass(frozen=True)
class MonthPeriod:
    """Referrals received from the first day of `first_month` up to and including the last
    day of `last_month`. Both are the first day of their month."""

    first_month: datetime.date
    last_month: datetime.date

    def __post_init__(self) -> None:
        if self.first_month.day != 1 or self.last_month.day != 1:
            raise ValueError("A month period starts and ends on the first day of a month.")
        if self.last_month < self.first_month:
            raise ValueError("The last month lies before the first month.")

    @property
    def first_day(self) -> datetime.date:
        return self.first_month

    @property
    def last_day(self) -> datetime.date:
        days = calendar.monthrange(self.last_month.year, self.last_month.month)[1]
        return self.last_month.replace(day=days)

    @property
    def months(self) -> int:
        return (
            (self.last_month.year - self.first_month.year) * 12
            + self.last_month.month
            - self.first_month.month
            + 1
        )

    def label(self) -> str:
        """In the active language, e.g. "jan. 2026 – mrt. 2026" (one month: "jan. 2026")."""
        first = date_format(self.first_month, "N Y")
        if self.months == 1:
            return first
        return f"{first} – {date_format(self.last_month, 'N Y')}"

    def q(self, field_name: str) -> Q:
        """Rows whose date `field_name` lies in the period."""
        return Q(**{f"{field_name}__gte": self.first_day, f"{field_name}__lte": self.last_day})

    def key(self) -> str:
        """A stable text key, e.g. for a cache key or a file name: "2026-01_2026-03"."""
        return f"{self.first_month:%Y-%m}_{self.last_month:%Y-%m}"

    @classmethod
    def parse(cls, from_value: str, to_value: str) -> MonthPeriod:
        """From two "YYYY-MM" strings. ValueError on bad input or a reversed period."""
        return cls(first_month=parse_month(from_value), last_month=parse_month(to_value))

    @classmethod
    def containing(cls, first_day: datetime.date, last_day: datetime.date) -> MonthPeriod:
        """The whole months that contain the days from `first_day` to `last_day`."""
        return cls(first_month=first_of_month(first_day), last_month=first_of_month(last_day))


def current_month() -> datetime.date:
    return first_of_month(timezone.localdate())


def earliest_month() -> datetime.date | None:
    """The first month a period may start in: the month of STUDY_START, or None (no bound)."""
    start = study_period().start
    return first_of_month(start) if start else None


def default_period() -> MonthPeriod:
    """The whole study: from STUDY_START's month (or, without one, the last
    DEFAULT_MONTHS_WITHOUT_START months) to STUDY_END's month, never after this month."""
    study = study_period()
    last = current_month()
    if study.end:
        last = min(last, first_of_month(study.end))
    first = (
        first_of_month(study.start)
        if study.start
        else add_months(last, 1 - DEFAULT_MONTHS_WITHOUT_START)
    )
    return MonthPeriod(first_month=min(first, last), last_month=last)


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.Field):
    """A month as <input type="month">; cleans to the first day of that month."""

    widget = MonthInput
    default_error_messages = {
        "invalid": _("Vul een maand in als jaar-maand, bijvoorbeeld 2026-01."),
    }

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return first_of_month(value)
        try:
            return parse_month(str(value))
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class MonthPeriodFormMixin(forms.Form):
    """Two month inputs, `van` and `tot` (both included). Empty: the bound of
    `default_period()`. After is_valid(), `month_period()` gives the MonthPeriod.

    Validates: `tot` not before `van`, `van` not before the study start's month, neither
    after the current month.
    """

    van = MonthField(
        label=_("Van maand"),
        required=False,
        help_text=_("Leeg: de eerste maand van de studie."),
    )
    tot = MonthField(
        label=_("Tot en met maand"),
        required=False,
        help_text=_("Leeg: de laatste maand van de studie, hoogstens deze maand."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = default_period()
        self.fields["van"].initial = default.first_month
        self.fields["tot"].initial = default.last_month
        now = current_month()
        for name in ("van", "tot"):
            self.fields[name].widget.attrs["max"] = f"{now:%Y-%m}"
            earliest = earliest_month()
            if earliest:
                self.fields[name].widget.attrs["min"] = f"{earliest:%Y-%m}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        now = current_month()
        earliest = earliest_month()
        for name in ("van", "tot"):
            month = cleaned.get(name)
            if month is None:
                continue
            if month > now:
                self.add_error(
                    name,
                    _(
                        "Kies een maand tot en met %(month)s; "
                        "latere maanden hebben nog geen gegevens."
                    )
                    % {"month": date_format(now, "N Y")},
                )
            elif earliest and month < earliest:
                self.add_error(
                    name,
                    _("De studie begon in %(month)s. Kies die maand of een latere.")
                    % {"month": date_format(earliest, "N Y")},
                )
        first, last = cleaned.get("van"), cleaned.get("tot")
        if first and last and last < first and "tot" not in self.errors:
            self.add_error(
                "tot",
                _("De laatste maand ligt vóór de eerste. Kies %(month)s of later.")
                % {"month": date_format(first, "N Y")},
            )
        return cleaned

    def month_period(self) -> MonthPeriod:
        """The chosen period, empty bounds filled from `default_period()`; after is_valid()."""
        default = default_period()
        cleaned = getattr(self, "cleaned_data", {})
        first = cleaned.get("van") or default.first_month
        last = cleaned.get("tot") or default.last_month
        if last < first:  # one bound given, the default other one lies on its wrong side
            first, last = (first, first) if cleaned.get("van") else (last, last)
        return MonthPeriod(first_month=first, last_month=last)
