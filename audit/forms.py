"""Forms of the functional administrator's pages: filtering the log, finding a child."""

import datetime
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import Action

ANY = [("", _("Alle"))]
CASE_NUMBER = re.compile(r"\d{4}-\d{6}")
# The period filter's bounds. The log starts with the pilot and is kept seven years; a date far
# outside (0001-01-01, 9999-12-31) is a typing error, and would overflow the conversion to
# UTC and the "day after" of the end date.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilterForm(forms.Form):
    """Filters of the log. The child is its internal id: a BSN never goes into a URL."""

    gebruiker = forms.CharField(
        label=_("Gebruikersnaam"), required=False, max_length=150, strip=True
    )
    # Set by the child's access page ("Filteren in het toegangslog"), not typed: the page shows
    # it as "één kind" and offers a BSN or case number search through ‘Kind opzoeken’ instead.
    kind = forms.IntegerField(
        label=_("Kind"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.HiddenInput,
    )
    zaak = forms.CharField(
        label=_("Zaaknummer"),
        required=False,
        max_length=20,
        help_text=_("Bijvoorbeeld 2025-000123."),
    )
    actie = forms.ChoiceField(label=_("Actie"), choices=ANY + Action.choices, required=False)
    van = forms.DateField(label=_("Vanaf"), required=False, widget=_date_input())
    tot = forms.DateField(label=_("Tot en met"), required=False, widget=_date_input())

    def clean_zaak(self) -> str:
        number = self.cleaned_data["zaak"].strip()
        if number and not CASE_NUMBER.fullmatch(number):
            raise forms.ValidationError(
                _("Een zaaknummer is een jaartal, een streepje en zes cijfers: 2025-000123.")
            )
        return number

    def clean_van(self) -> datetime.date | None:
        return _within_bounds(self.cleaned_data["van"])

    def clean_tot(self) -> datetime.date | None:
        return _within_bounds(self.cleaned_data["tot"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("van"), data.get("tot")
        if start and end and end < start:
            self.add_error("tot", _("De einddatum ligt vóór de begindatum."))
        return data


def _within_bounds(day: datetime.date | None) -> datetime.date | None:
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise forms.ValidationError(
            _("Kies een datum tussen %(earliest)s en %(latest)s."),
            params={
                "earliest": EARLIEST_DATE.strftime("%d-%m-%Y"),
                "latest": LATEST_DATE.strftime("%d-%m-%Y"),
            },
        )
    return day


class FindChildForm(forms.Form):
    """A child by BSN, onderwijsnummer or case number, sent by POST so that it never appears
    in a URL."""

    nummer = forms.CharField(
        label=_("BSN, onderwijsnummer of zaaknummer"),
        max_length=20,
        help_text=_(
            "Negen cijfers (spaties en punten mogen), of een zaaknummer zoals 2025-000123."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Which submit button was pressed: the access overview or the inzage.
    doel = forms.ChoiceField(
        choices=[("toegang", _("Toegang")), ("inzage", _("Inzage"))], required=False
    )

    def clean_nummer(self) -> str:
        """Nine digits (a BSN or onderwijsnummer), or a case number as it is written."""
        typed = self.cleaned_data["nummer"].strip()
        if CASE_NUMBER.fullmatch(typed):
            return typed
        number = re.sub(r"[\s.-]", "", typed)
        if not re.fullmatch(r"\d{8,9}", number):
            raise forms.ValidationError(
                _("Vul negen cijfers in, of een zaaknummer zoals 2025-000123.")
            )
        return number.zfill(9)  # an old eight-digit BSN is stored with a leading zero

    def is_case_number(self) -> bool:
        return bool(CASE_NUMBER.fullmatch(self.cleaned_data.get("nummer", "")))

    def clean_doel(self) -> str:
        return self.cleaned_data.get("doel") or "toegang"


def day_start(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the local time zone (the log stores UTC)."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
