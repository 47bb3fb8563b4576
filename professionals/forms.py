"""Form fields for choosing a professional."""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils.functional import Promise

from bip.lib.widgets import LargeSelect

from .models import Professional, professional_label


class _LabelIterator(ModelChoiceIterator):
    """The choices as (id, label) from one values_list query: no model instances, which cost
    about 30 µs each (two per professional with the user) and dominate a list of thousands."""

    # Plain ids rather than Django's ModelChoiceIteratorValue (which needs the instance):
    # LargeSelect renders only the value and the label.
    def __iter__(self) -> Iterator[tuple[int | str, str | Promise]]:  # type: ignore[override]
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list(
            "pk", "user__first_name", "user__last_name", "user__username"
        )
        for pk, first_name, last_name, username in rows.iterator(chunk_size=2000):
            yield (pk, professional_label(first_name, last_name, username))


class ProfessionalChoiceField(forms.ModelChoiceField):
    """A <select> of professionals that stays fast with thousands of them (LargeSelect, one
    values query). The chosen value is still checked against the queryset and returned as a
    Professional."""

    iterator = _LabelIterator
    widget = LargeSelect

    def __init__(self, queryset: QuerySet[Professional] | None = None, **kwargs: Any) -> None:
        if queryset is None:
            queryset = Professional.objects.filter(is_active=True)
        super().__init__(queryset, **kwargs)
