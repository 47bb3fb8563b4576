"""Domain errors with messages a user can read. Views turn them into form errors, never a 500."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Type-checking only: django-stubs-ext is a development dependency.
    from django_stubs_ext import StrOrPromise


class CaseError(Exception):
    """A refused change. `errors` maps form field names (or None) to readable messages."""

    def __init__(
        self,
        message: "StrOrPromise | None" = None,
        *,
        errors: "Mapping[str, StrOrPromise] | Mapping[str | None, StrOrPromise] | None" = None,
    ) -> None:
        self.errors: dict[str | None, StrOrPromise] = dict((errors or {}).items())
        if message is not None:
            self.errors.setdefault(None, message)
        super().__init__("; ".join(str(m) for m in self.errors.values()))


class TransitionNotAllowed(CaseError):
    """The chain has no legal route for this change."""


class RuleViolation(CaseError):
    """A contact, plan change or referral breaks a rule of the chain."""


class ConcurrentEdit(CaseError):
    """Someone else changed the record after this user opened it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Iemand anders heeft deze zaak gewijzigd nadat je de pagina opende. Je invoer is "
                "bewaard: bekijk de actuele gegevens en verstuur opnieuw."
            )
        )
