"""Domain errors with messages a user can read. Views turn them into form errors, never a 500."""

from django.utils.translation import gettext_lazy as _


class CaseError(Exception):
    """A refused change. `errors` maps form field names (or None) to readable messages."""

    def __init__(self, message=None, *, errors: dict | None = None):
        self.errors = dict(errors or {})
        if message is not None:
            self.errors.setdefault(None, message)
        super().__init__("; ".join(str(m) for m in self.errors.values()))


class TransitionNotAllowed(CaseError):
    """The chain has no legal route for this change."""


class RuleViolation(CaseError):
    """A contact, plan change or referral breaks a rule of the chain."""


class ConcurrentEdit(CaseError):
    """Someone else changed the record after this user opened it."""

    def __init__(self):
        super().__init__(
            _(
                "Iemand anders heeft deze zaak gewijzigd nadat je de pagina opende. Je invoer is "
                "bewaard: bekijk de actuele gegevens en verstuur opnieuw."
            )
        )
