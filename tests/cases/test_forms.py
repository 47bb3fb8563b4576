"""cases/forms.py at the boundary: Dutch URL values in, English members out (issue 11)."""

import pytest

from cases.constants import CaseOrdering, DeadlineWindow
from cases.forms import (
    DEADLINE_PARAMETERS,
    SORT_PARAMETERS,
    CaseFilterForm,
    MyCasesFilterForm,
)
from cases.selectors import CASE_LIST_ORDERINGS, MY_CASES_ORDERINGS


def test_every_ordering_has_one_url_value():
    assert sorted(SORT_PARAMETERS.values()) == sorted(CaseOrdering)
    assert set(CASE_LIST_ORDERINGS) == set(CaseOrdering)


@pytest.mark.parametrize(
    ("value", "ordering"),
    [
        ("-ontvangen", CaseOrdering.NEWEST_FIRST),
        ("ontvangen", CaseOrdering.OLDEST_FIRST),
        ("termijn", CaseOrdering.DEADLINE_FIRST),
        ("-termijn", CaseOrdering.DEADLINE_LAST),
        ("nummer", CaseOrdering.NUMBER_ASCENDING),
        ("-nummer", CaseOrdering.NUMBER_DESCENDING),
    ],
)
def test_the_case_list_keeps_its_dutch_sort_values(value, ordering):
    assert CaseFilterForm({"sort": value}).ordering() == ordering


@pytest.mark.parametrize("value", ["", "newest_first", "onbekend"])
def test_an_unknown_sort_value_falls_back_to_the_default(value):
    assert CaseFilterForm({"sort": value}).ordering() == CaseOrdering.NEWEST_FIRST
    assert MyCasesFilterForm({"sort": value}).ordering() == CaseOrdering.DEADLINE_FIRST


def test_mijn_zaken_offers_only_its_own_orderings():
    offered = {
        SORT_PARAMETERS[value] for value, _label in MyCasesFilterForm().fields["sort"].choices
    }
    assert offered == set(MY_CASES_ORDERINGS)
    assert MyCasesFilterForm({"sort": "nummer"}).ordering() == CaseOrdering.DEADLINE_FIRST


@pytest.mark.parametrize(("value", "window"), DEADLINE_PARAMETERS.items())
def test_the_deadline_filter_keeps_its_dutch_values(value, window):
    form = CaseFilterForm({"deadline": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["deadline"] == window
    assert isinstance(form.cleaned_data["deadline"], DeadlineWindow)


def test_the_intake_labels_say_when_an_optional_looking_field_is_required():
    from django.template.loader import render_to_string

    from cases.forms import NewChildForm

    form = NewChildForm()
    html = render_to_string("_field.html", {"field": form["street"]})
    assert "verplicht zonder BSN van broer of zus" in html
    assert "optioneel" not in html
    html = render_to_string("_field.html", {"field": form["bsn"]})
    assert "verplicht zonder onderwijsnummer" in html


@pytest.mark.django_db
def test_a_reassignment_requires_its_note_and_a_first_assignment_does_not():
    from cases.forms import AssignForm

    handover = AssignForm(data={"version": "1"}, is_reassignment=True)
    first = AssignForm(data={"version": "1"}, is_reassignment=False)
    assert handover.fields["note"].required is True
    assert first.fields["note"].required is False
    handover.is_valid()
    assert handover.errors["note"] == [
        "Licht toe waarom de zaak naar een andere professional gaat."
    ]
