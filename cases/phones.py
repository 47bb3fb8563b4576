"""Telephone numbers of guardians: checked with `phonenumbers`, stored as E.164, shown national.

A number without a country code is read as Dutch ("06 12345678" -> "+31612345678"). A foreign
number needs its country code ("+32 470 12 34 56").
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "NL"


def normalise_phone(raw: str) -> str:
    """`raw` as E.164, or "" when empty. Raises ValidationError with a Dutch message."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if len(raw) > 30:
        raise ValidationError(_("Een telefoonnummer heeft hooguit 30 tekens."), code="too_long")
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "Dit is geen geldig telefoonnummer. Gebruik bijvoorbeeld 06 12345678 of "
                "023 5551234; een buitenlands nummer met landcode, zoals +32 470 12 34 56."
            ),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str) -> str:
    """A stored number for people: Dutch numbers nationally (06 12345678), others with their
    country code. A number stored before the check (demo data, old rows) is shown as it is."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
