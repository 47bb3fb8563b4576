"""Field validators for Dutch identifiers, backed by python-stdnum. Messages are Dutch."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import brin, bsn, onderwijsnummer, postcode

# A BSN or onderwijsnummer is 9 digits; with the spaces, dots and dashes people type it stays
# well under this. Longer input is refused before stdnum sees it: stdnum converts the digits
# with int(), which raises ValueError (a 500) beyond Python's 4,300-digit limit.
MAX_IDENTIFIER_LENGTH = 20


def validate_bsn(value: str) -> None:
    try:
        if len(value) > MAX_IDENTIFIER_LENGTH:
            raise InvalidLength
        bsn.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Dit is geen geldig BSN: het moet 9 cijfers hebben en voldoen aan de elfproef."),
            code="invalid_bsn",
        ) from None


def validate_onderwijsnummer(value: str) -> None:
    try:
        if len(value) > MAX_IDENTIFIER_LENGTH:
            raise InvalidLength
        onderwijsnummer.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Dit is geen geldig onderwijsnummer (9 cijfers, beginnend met 10, elfproef)."),
            code="invalid_onderwijsnummer",
        ) from None


def validate_brin(value: str) -> None:
    try:
        brin.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Dit is geen geldig BRIN-nummer: twee cijfers en twee letters, zoals 05KD."),
            code="invalid_brin",
        ) from None


def validate_postcode(value: str) -> None:
    try:
        postcode.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Dit is geen geldige postcode: vier cijfers en twee letters, zoals 2011 AB."),
            code="invalid_postcode",
        ) from None


def normalise_bsn(value: str) -> str:
    return bsn.compact(value) if value else value


def normalise_brin(value: str) -> str:
    return brin.compact(value) if value else value


def is_valid_postcode(value: str) -> bool:
    return postcode.is_valid(value)


def normalise_postcode(value: str) -> str:
    """'2011ab' -> '2011 AB'. Returns the input unchanged when it cannot be read."""
    try:
        return postcode.validate(value)
    except StdnumError:
        return value
