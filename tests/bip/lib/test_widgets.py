"""LargeSelect renders exactly what Django's Select renders, without a template per option."""

import re

import pytest
from django import forms

from bip.lib.widgets import LargeSelect
from professionals.models import Professional
from tests.factories import ProfessionalFactory


def tags(html: str) -> str:
    """The markup without the whitespace between tags (Django's templates add newlines)."""
    return re.sub(r">\s+<", "><", str(html)).strip()


CHOICES = [("", "Alle"), ("1", "Anna"), ("2", "<script>Bert & Co</script>"), ("10", "Chris")]


@pytest.mark.parametrize("value", [None, "", "1", "10", 2, ["2"], "onbekend"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_professional", "class": "utrecht-select"},
        {"aria-describedby": "x_error", "aria-invalid": "true", "required": True},
    ],
)
def test_same_html_as_djangos_select(value, attrs):
    expected = forms.Select(choices=CHOICES).render("professional", value, attrs=attrs)
    fast = LargeSelect(choices=CHOICES).render("professional", value, attrs=attrs)
    assert tags(fast) == tags(expected)


def test_labels_are_escaped_and_one_option_selected():
    html = LargeSelect(choices=CHOICES).render("p", "10")
    assert "<script>" not in html and "&lt;script&gt;Bert &amp; Co&lt;/script&gt;" in html
    assert html.count(" selected") == 1 and '<option value="10" selected>Chris</option>' in html
    assert '<option value="1">Anna</option>' in html  # "1" is not selected by "10"


@pytest.mark.django_db
def test_model_choices_as_a_bound_field_render_like_djangos():
    chosen = ProfessionalFactory(user__first_name="Zoë", user__last_name="de Vries")
    ProfessionalFactory.create_batch(3)

    class Fast(forms.Form):
        professional = forms.ModelChoiceField(
            Professional.objects.order_by("pk"), required=False, widget=LargeSelect
        )

    class Slow(forms.Form):
        professional = forms.ModelChoiceField(Professional.objects.order_by("pk"), required=False)

    data = {"professional": str(chosen.pk)}
    fast, slow = Fast(data), Slow(data)
    assert fast.is_valid() and slow.is_valid()
    assert tags(fast["professional"]) == tags(slow["professional"])
    assert f'<option value="{chosen.pk}" selected>' in str(fast["professional"])
