"""Model building blocks shared by the apps."""

from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import models
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
