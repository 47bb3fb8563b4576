"""ProfessionalChoiceField: the same choices as a ModelChoiceField, from one values query."""

import re

import pytest
from django import forms

from professionals.forms import ProfessionalChoiceField
from professionals.models import Professional
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def options(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', str(html))


@pytest.fixture
def professionals():
    return [
        ProfessionalFactory(user__first_name="Zoë", user__last_name="Aalders"),
        ProfessionalFactory(user__first_name="Ada", user__last_name="de Vries"),
        ProfessionalFactory(user__first_name="", user__last_name="", user__username="nonaam"),
        ProfessionalFactory(user__first_name="Inactief", is_active=False),
    ]


def test_same_options_in_the_same_order_as_a_model_choice_field(professionals):
    class Fast(forms.Form):
        professional = ProfessionalChoiceField(required=False, empty_label="Alle")

    class Plain(forms.Form):
        professional = forms.ModelChoiceField(
            Professional.objects.filter(is_active=True), required=False, empty_label="Alle"
        )

    fast = options(Fast()["professional"])
    assert fast == options(Plain()["professional"])
    assert fast[0] == ("", "Alle")
    labels = [label for _, label in fast[1:]]
    assert "nonaam" in labels  # no name: the user name
    assert "Inactief" not in " ".join(labels)  # only active professionals
    assert len(fast) == 4


def test_rendering_thousands_takes_one_query(professionals, django_assert_num_queries):
    class Fast(forms.Form):
        professional = ProfessionalChoiceField(required=False)

    with django_assert_num_queries(1):
        str(Fast()["professional"])


def test_the_choice_is_checked_and_returned_as_a_professional(professionals):
    class Fast(forms.Form):
        professional = ProfessionalChoiceField(required=False)

    chosen = Fast({"professional": str(professionals[1].pk)})
    assert chosen.is_valid()
    assert chosen.cleaned_data["professional"] == professionals[1]
    assert f'<option value="{professionals[1].pk}" selected>' in str(chosen["professional"])

    inactive = Fast({"professional": str(professionals[3].pk)})
    assert not inactive.is_valid()
    assert "professional" in inactive.errors
