"""Whole-month periods (evaluation.periods) and their form inputs."""

import datetime

import pytest
import time_machine
from django import forms
from django.utils import translation

from evaluation.periods import MonthPeriod, MonthPeriodFormMixin, add_months, default_period

D = datetime.date


def test_period_days_and_months():
    period = MonthPeriod(first_month=D(2024, 1, 1), last_month=D(2024, 2, 1))
    assert period.first_day == D(2024, 1, 1)
    assert period.last_day == D(2024, 2, 29)  # leap year
    assert period.months == 2
    assert MonthPeriod(first_month=D(2025, 11, 1), last_month=D(2026, 2, 1)).months == 4
    assert MonthPeriod(first_month=D(2025, 12, 1), last_month=D(2025, 12, 1)).last_day == D(
        2025, 12, 31
    )


def test_period_rejects_days_and_reversal():
    with pytest.raises(ValueError):
        MonthPeriod(first_month=D(2024, 1, 2), last_month=D(2024, 2, 1))
    with pytest.raises(ValueError):
        MonthPeriod(first_month=D(2024, 3, 1), last_month=D(2024, 2, 1))


def test_label_is_dutch():
    with translation.override("nl"):
        assert MonthPeriod.parse("2026-01", "2026-03").label() == "jan. 2026 – mrt. 2026"
        assert MonthPeriod.parse("2026-05", "2026-05").label() == "mei 2026"


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2026-1", "2026-03"),
        ("2026-13", "2026-12"),
        ("", "2026-01"),
        ("2026-03", "2026-01"),
        ("2026-01-01", "2026-02"),
        ("abcd-ef", "2026-01"),
    ],
)
def test_parse_rejects_bad_input(first, last):
    with pytest.raises(ValueError):
        MonthPeriod.parse(first, last)


def test_parse_and_key():
    period = MonthPeriod.parse("2025-11", " 2026-02 ")
    assert (period.first_month, period.last_month) == (D(2025, 11, 1), D(2026, 2, 1))
    assert period.key() == "2025-11_2026-02"


def test_add_months():
    assert add_months(D(2025, 11, 1), 3) == D(2026, 2, 1)
    assert add_months(D(2025, 1, 1), -1) == D(2024, 12, 1)


class PeriodForm(MonthPeriodFormMixin, forms.Form):
    pass


@pytest.fixture(autouse=False)
def march_2026():
    with time_machine.travel(datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.usefixtures("march_2026")
class TestForm:
    def test_month_inputs(self, settings):
        settings.STUDY_START = "2025-08-14"
        html = str(PeriodForm()["van"])
        assert 'type="month"' in html and 'min="2025-08"' in html and 'max="2026-03"' in html
        assert 'type="date"' not in str(PeriodForm())

    def test_valid_period(self, settings):
        settings.STUDY_START = "2025-08-14"
        form = PeriodForm({"van": "2025-08", "tot": "2026-01"})
        assert form.is_valid(), form.errors
        assert form.month_period() == MonthPeriod.parse("2025-08", "2026-01")

    def test_empty_is_the_study(self, settings):
        settings.STUDY_START, settings.STUDY_END = "2025-08-14", ""
        form = PeriodForm({"van": "", "tot": ""})
        assert form.is_valid()
        assert form.month_period() == MonthPeriod.parse("2025-08", "2026-03")
        assert default_period() == form.month_period()

    def test_study_end_caps_default(self, settings):
        settings.STUDY_START, settings.STUDY_END = "2025-08-14", "2025-12-31"
        assert default_period() == MonthPeriod.parse("2025-08", "2025-12")

    def test_reversed(self, settings):
        settings.STUDY_START = ""
        form = PeriodForm({"van": "2026-02", "tot": "2026-01"})
        assert not form.is_valid()
        assert "vóór de eerste" in form.errors["tot"][0]
        assert form["van"].value() == "2026-02"  # keeps what was typed

    def test_before_study_start(self, settings):
        settings.STUDY_START = "2025-08-14"
        form = PeriodForm({"van": "2025-07", "tot": "2025-09"})
        assert not form.is_valid()
        assert "De studie begon in aug. 2025" in form.errors["van"][0]

    def test_after_current_month(self, settings):
        settings.STUDY_START = ""
        form = PeriodForm({"van": "2026-01", "tot": "2026-04"})
        assert not form.is_valid()
        assert "tot en met mrt. 2026" in form.errors["tot"][0]

    @pytest.mark.parametrize("value", ["2026-13", "maart", "2026-03-01", "99999-01"])
    def test_invalid_month(self, settings, value):
        settings.STUDY_START = ""
        form = PeriodForm({"van": value, "tot": ""})
        assert not form.is_valid()
        assert "jaar-maand" in form.errors["van"][0]
