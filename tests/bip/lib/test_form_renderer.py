"""FastWidgetRenderer writes, in Python, exactly the HTML Django's widget templates write."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from bip.lib.form_renderer import PYTHON_WIDGETS, FastWidgetRenderer

DJANGO = DjangoTemplates()
FAST = FastWidgetRenderer()

AWKWARD = ["", "Anna", "<b>\"Bert\" & 'Co'</b>", mark_safe("<i>veilig</i>"), gettext_lazy("Alle")]
ATTRS = [
    None,
    {"id": "id_x", "class": "utrecht-textbox"},
    {"required": True, "disabled": False, "aria-invalid": "true", "maxlength": 100},
    {"placeholder": '<"&>', "data-x": mark_safe("<safe>"), "hx-get": gettext_lazy("Zaken")},
]
CHOICES = [
    ("", "---------"),
    ("a", "Anna"),
    (1, 1000),
    ("<x>", '<b>"label"</b>'),
    ("d", datetime.date(2026, 12, 7)),
    ("Groep", [("g1", "In een groep"), ("g2", mark_safe("<em>veilig</em>"))]),
]


def both(widget: forms.Widget, name: str, value: object, attrs: dict | None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=DJANGO),
        widget.render(name, value, attrs=attrs, renderer=FAST),
    )


INPUTS = [
    forms.TextInput(),
    forms.NumberInput(),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.DateInput(),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.CheckboxInput(),
    forms.FileInput(),
    forms.Textarea(),
]
VALUES = [
    None,
    *AWKWARD,
    0,
    12345,
    Decimal("1234.50"),
    True,
    datetime.date(2026, 12, 7),
    datetime.datetime(2026, 12, 7, 10, 30),
    datetime.time(10, 30),
]


@pytest.mark.parametrize("widget", INPUTS, ids=lambda w: type(w).__name__)
def test_inputs_and_textarea_are_djangos_html(widget):
    for value in VALUES:
        for attrs in ATTRS:
            django_html, fast_html = both(widget, "veld", value, attrs)
            assert fast_html == django_html, (value, attrs)


@pytest.mark.parametrize(
    "widget",
    [forms.Select(choices=CHOICES), forms.SelectMultiple(choices=CHOICES)],
    ids=lambda w: type(w).__name__,
)
def test_selects_are_djangos_html(widget):
    for value in [None, "", "a", 1, "1", ["a", "g2"], "<x>", True, "onbekend"]:
        for attrs in ATTRS:
            django_html, fast_html = both(widget, "keuze", value, attrs)
            assert fast_html == django_html, (value, attrs)


def test_the_yes_no_select_is_djangos_html():
    for value in [None, True, False, "unknown", "true", "2"]:
        django_html, fast_html = both(forms.NullBooleanSelect(), "ja_nee", value, ATTRS[1])
        assert fast_html == django_html, value


@pytest.mark.parametrize("widget_class", [forms.RadioSelect, forms.CheckboxSelectMultiple])
@pytest.mark.parametrize("wrap_label", [False, True])
@pytest.mark.parametrize("value", [None, "a", ["a", "<x>"]])
def test_radio_and_checkbox_options_are_djangos_html(widget_class, wrap_label, value):
    """BoundWidget.tag() renders each option through the renderer (the Utrecht fields do)."""
    field_class = (
        forms.MultipleChoiceField
        if widget_class is forms.CheckboxSelectMultiple
        else forms.ChoiceField
    )
    form_class = type(
        "OneField", (forms.Form,), {"k": field_class(choices=CHOICES[:5], widget=widget_class)}
    )
    bound = form_class(data={"k": value} if value else None)
    options = {}
    for name, renderer in (("django", DJANGO), ("fast", FAST)):
        bound.renderer = renderer
        options[name] = [option.tag(wrap_label=wrap_label) for option in bound["k"].subwidgets]
    assert options["fast"] == options["django"]
    assert len(options["fast"]) == 5


def test_a_select_whose_options_use_another_template_goes_through_the_templates():
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Fancy(choices=[("a", "A")])
    assert widget.render("k", "a", renderer=FAST) == widget.render("k", "a", renderer=DJANGO)
    assert "<input" in widget.render("k", "a", renderer=FAST)


def test_other_templates_are_rendered_by_django():
    widget = forms.SplitDateTimeWidget()
    value = datetime.datetime(2026, 12, 7, 10, 30)
    assert widget.render("k", value, renderer=FAST) == widget.render("k", value, renderer=DJANGO)
    assert "django/forms/widgets/multiwidget.html" not in PYTHON_WIDGETS


def test_the_labels_are_localised_as_in_a_template():
    widget = forms.Select(choices=[(1, 1234567), (2, datetime.date(2026, 12, 7))])
    with override("nl"):
        django_html, fast_html = both(widget, "k", 1, None)
    assert fast_html == django_html
    assert "7 dec. 2026" in fast_html


def test_the_project_uses_it():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)


@given(
    value=st.one_of(st.none(), st.text(max_size=20), st.integers()),
    attr=st.text(max_size=20),
    label=st.text(max_size=20),
)
def test_any_text_renders_as_django_renders_it(value, attr, label):
    for widget in (forms.TextInput(), forms.Textarea(), forms.HiddenInput()):
        django_html, fast_html = both(widget, "veld", value, {"title": attr})
        assert fast_html == django_html
    select = forms.Select(choices=[(attr, label), ("x", "X")])
    assert (
        both(select, "keuze", value, {"title": label})[1]
        == both(select, "keuze", value, {"title": label})[0]
    )
