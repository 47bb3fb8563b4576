"""ChoiceLabels gives what Django's get_<field>_display() gives, in either language."""

import pytest
from django.db import models
from django.utils.translation import override

from bip.lib.models import ChoiceLabels
from cases.models import Case, Contact

# The models shown in long lists.
MODELS = [Case, Contact]


def choice_fields(model):
    return [field for field in model._meta.concrete_fields if field.choices]


def test_the_list_models_use_it():
    for model in MODELS:
        assert issubclass(model, ChoiceLabels)
        assert choice_fields(model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_choice_and_odd_values_read_as_in_django(model, language):
    instance = model()
    with override(language):
        for field in choice_fields(model):
            display = getattr(instance, f"get_{field.name}_display")
            for value in [*(value for value, _label in field.flatchoices), "onbekend", "", None]:
                setattr(instance, field.attname, value)
                expected = models.Model._get_FIELD_display(instance, field)
                assert display() == expected, (field.name, value)
                assert type(display()) is type(expected)


def test_the_label_follows_the_active_language():
    case = Case(melding_type="luxe")
    with override("nl"):
        dutch = case.get_melding_type_display()
    with override("en"):
        english = case.get_melding_type_display()
    assert (dutch, english) == ("Luxe verzuim", "Unauthorised holiday absence")
