"""One data line of a DUO file as a Django form: ImportRowForm.

The form checks what needs no database: presence, format, identifiers, dates and counts. Its
fields take their limits from the intake forms (ReferralForm, NewChildForm) and run the same
validators (cases.validators), so a rule changed there is changed here. What differs is the
input: DUO's column names, DD-MM-YYYY dates next to YYYY-MM-DD, and identifiers that are
normalised before they are validated.

Each error becomes one Dutch message per line that names the column and never repeats the
cell's content (`ImportRowForm.line_errors`): no name, BSN or date of birth ends up on screen,
in the kept report or in a log.
"""

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from ..constants import MeldingType
from ..forms import NewChildForm, ReferralForm
from ..validators import (
    MAX_IDENTIFIER_LENGTH,
    normalise_brin,
    normalise_bsn,
    normalise_postcode,
    validate_brin,
    validate_bsn,
    validate_onderwijsnummer,
)

# The intake forms' fields: the import reuses their limits and choices.
_REFERRAL = ReferralForm.base_fields
_CHILD = NewChildForm.base_fields

# DUO writes YYYY-MM-DD; a file saved from a Dutch spreadsheet has DD-MM-YYYY.
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
# Longer cells cannot be a count; they are refused before int() (see CountField).
MAX_COUNT_CHARS = 20


def _limit(fields: Mapping[str, forms.Field], name: str, attribute: str) -> int:
    """A limit (max_length, min_value, max_value) of an intake form's field."""
    value = getattr(fields[name], attribute)
    assert isinstance(value, int), (name, attribute)
    return value


def _choices(fields: Mapping[str, forms.Field], name: str) -> list[tuple[str, str]]:
    """The choices of an intake form's choice field (its empty "choose" option included:
    a required field refuses an empty value before it looks at the choices)."""
    field = fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return list(field.choices)  # type: ignore[arg-type]


def _compact_onderwijsnummer(value: str) -> str:
    return stdnum_onderwijsnummer.compact(value)


def _normalise_brin(value: str) -> str:
    return normalise_brin(value).upper()


class DuoDateField(forms.DateField):
    """A date in either of DUO's formats (a regular expression is several times faster than
    strptime, which matters at 20,000 lines)."""

    def to_python(self, value: Any) -> datetime.date | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        parsed = parse_duo_date(text)
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def parse_duo_date(value: str) -> datetime.date | None:
    """YYYY-MM-DD or DD-MM-YYYY (one-digit days and months allowed); None if not a date."""
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _DUTCH_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


class IdentifierField(forms.CharField):
    """A BSN, onderwijsnummer or BRIN: normalised, refused when far too long (before the
    validator, which converts digits with int()), then checked by the intake's validator."""

    def __init__(
        self, *, normalise: Callable[[str], str], shown_max_length: int, **kwargs: Any
    ) -> None:
        self.normalise = normalise
        self.shown_max_length = shown_max_length  # the length a valid value has, for messages
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return self.normalise(text) if text else text

    def run_validators(self, value: Any) -> None:
        if value and len(value) > MAX_IDENTIFIER_LENGTH:
            raise ValidationError("too long", code="too_long")
        super().run_validators(value)


class CountField(forms.IntegerField):
    """A whole number of ASCII digits; empty is 0. No sign, decimals or other digits, and no
    int() on thousands of digits (Python refuses more than 4,300 and raises ValueError)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return 0
        if len(text) > MAX_COUNT_CHARS or not (text.isascii() and text.isdigit()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class MeldingTypeField(forms.ChoiceField):
    """The kind of report, in any case."""

    def to_python(self, value: Any) -> str:
        return super().to_python(value).lower()


class ImportRowForm(forms.Form):
    """The cells of one data line, by DUO column name. Bound to a row's cells; see line_errors.

    The address is not checked here: only a new child needs one (see checks.py), which takes
    the limits of `straat` and `plaats` from this form.
    """

    meldingsdatum = DuoDateField()
    bsn = IdentifierField(normalise=normalise_bsn, shown_max_length=9, validators=[validate_bsn])
    onderwijsnummer = IdentifierField(
        normalise=_compact_onderwijsnummer,
        shown_max_length=9,
        validators=[validate_onderwijsnummer],
    )
    tussenvoegsel = forms.CharField(
        required=False, max_length=_limit(_CHILD, "tussenvoegsel", "max_length")
    )
    achternaam = forms.CharField(max_length=_limit(_CHILD, "last_name", "max_length"))
    voornamen = forms.CharField(max_length=_limit(_CHILD, "first_name", "max_length"))
    geboortedatum = DuoDateField()
    soort_verzuim = MeldingTypeField(choices=_choices(_REFERRAL, "melding_type"))
    brin = IdentifierField(
        normalise=_normalise_brin, shown_max_length=6, validators=[validate_brin]
    )
    verzuim_vanaf = DuoDateField()
    verzuim_tot_en_met = DuoDateField()
    uren_verzuim = CountField(
        min_value=_limit(_REFERRAL, "hours_absent", "min_value"),
        max_value=_limit(_REFERRAL, "hours_absent", "max_value"),
    )
    keer_te_laat = CountField(
        min_value=_limit(_REFERRAL, "times_late", "min_value"),
        max_value=_limit(_REFERRAL, "times_late", "max_value"),
    )
    # Taken as they are (see the class docstring); the postcode normalised.
    straat = forms.CharField(required=False)
    postcode = forms.CharField(required=False)
    plaats = forms.CharField(required=False)

    # A new child's address, checked in checks.py, has the intake's limits.
    ADDRESS_MAX_LENGTHS = {
        "straat": _limit(_CHILD, "street", "max_length"),
        "plaats": _limit(_CHILD, "city", "max_length"),
    }

    def __init__(self, cells: Mapping[str, str], *, today: datetime.date | None = None) -> None:
        super().__init__(data=cells)
        self.today = today or timezone.localdate()
        self.parsed_date_of_birth: datetime.date | None = None

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    # The messages of the errors raised here are chosen by line_errors, by their code.

    def clean_geboortedatum(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["geboortedatum"]
        # Kept even when refused: the referral rules still judge the age (checks.py).
        self.parsed_date_of_birth = value
        if value > self.today:
            raise ValidationError("in the future", code="future")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        # On the raw cells, as a person reads the file.
        if not self.data.get("bsn") and not self.data.get("onderwijsnummer"):
            self.add_error("onderwijsnummer", ValidationError("missing", code="no_identifier"))
        melding_type = self.data.get("soort_verzuim", "").lower()
        if not self.data.get("brin") and melding_type and melding_type != MeldingType.ABSOLUUT:
            self.add_error("brin", ValidationError("missing", code="brin_missing"))
        return data

    def line_errors(self) -> list[str]:
        """The errors as per-line messages, in the order of the form's fields (the kind of
        report before the BRIN, whose absence depends on it)."""
        errors = self.errors.as_data()
        # By field, not by when the error was found: clean() adds to earlier columns.
        return [
            _line_message(column, field, error)
            for column, field in self.fields.items()
            for error in errors.get(column, ())
        ]


def _line_message(column: str, field: forms.Field, error: ValidationError) -> str:
    """One error of one cell, in words that name the column but not the cell's content."""
    code = error.code
    if code == "required":
        return _("%(column)s ontbreekt: dit veld is verplicht.") % {"column": column}
    if code == "no_identifier":
        return _("bsn en onderwijsnummer ontbreken: vul er minstens één in.")
    if code == "brin_missing":
        return _("brin ontbreekt: alleen bij absoluut verzuim mag de school leeg zijn.")
    if code == "future":
        return _("geboortedatum ligt in de toekomst.")
    if isinstance(field, DuoDateField):
        return _("%(column)s is geen geldige datum: gebruik JJJJ-MM-DD of DD-MM-JJJJ.") % {
            "column": column
        }
    if isinstance(field, CountField):
        return _("%(column)s moet een geheel getal van 0 tot en met %(max)s zijn.") % {
            "column": column,
            "max": field.max_value,
        }
    if isinstance(field, MeldingTypeField):
        return _("soort_verzuim is onbekend: kies uit %(choices)s.") % {
            "choices": ", ".join(MeldingType.values)
        }
    if isinstance(field, IdentifierField):
        if code == "too_long":
            return _("%(column)s is te lang: een geldig nummer heeft hoogstens %(max)s tekens.") % {
                "column": column,
                "max": field.shown_max_length,
            }
        # The validators' messages (cases.validators) name no value.
        return _("%(column)s: %(message)s") % {"column": column, "message": error.messages[0]}
    if code == "max_length" and isinstance(field, forms.CharField):
        return _("%(column)s is te lang: hoogstens %(max)s tekens.") % {
            "column": column,
            "max": field.max_length,
        }
    # A rule without its own message here: the field's own message, which names no value.
    return _("%(column)s: %(message)s") % {"column": column, "message": error.messages[0]}


class _SharedFields(dict[str, forms.Field]):
    """The row form's fields, shared by the forms of all rows instead of deep-copied for each
    (as Django does for every form): no row's form changes its fields, and copying fifteen
    fields per line would take as long as checking the line."""

    def __deepcopy__(self, memo: dict[int, Any]) -> "_SharedFields":
        return self


ImportRowForm.base_fields = _SharedFields(ImportRowForm.base_fields)
