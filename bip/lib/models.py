"""Model building blocks shared by the apps."""

import functools
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Bulk update and delete would bypass the model's guards, so they are refused too."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ValidationError(_("Deze records kunnen niet worden gewijzigd."))

    def delete(self) -> NoReturn:
        raise ValidationError(_("Deze records kunnen niet worden verwijderd."))


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(_("Dit record kan niet worden gewijzigd."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValidationError(_("Dit record kan niet worden verwijderd."))


@functools.cache
def _choice_labels(field: models.Field) -> dict[Any, Any]:
    """A fixed choice list as {value: label}, labels still lazy (translated when shown)."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class ChoiceLabels(models.Model):
    """`get_<field>_display()` from a dict built once per field, for models shown in long lists.

    Django's own builds a dict of all the field's choices on every call, hashing each lazy
    label, which translates it: 17 % of rendering a case-list row. Same result (tested against
    Django's for every choice field of the models that use it); a field whose choices are
    computed per call (a callable) keeps Django's.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:  # noqa: N802 - Django's name
        if not isinstance(field.choices, list | tuple):
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        value = make_hashable(getattr(self, field.attname))
        return force_str(_choice_labels(field).get(value, value), strings_only=True)
