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
    kind = forms.IntegerField(
        label=_("Kind-id"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Het interne nummer van het kind. Zoeken op BSN kan via ‘Kind opzoeken’."),
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
    """A child by BSN or onderwijsnummer, sent by POST so that it never appears in a URL."""

    nummer = forms.CharField(
        label=_("BSN of onderwijsnummer"),
        max_length=20,
        help_text=_("Negen cijfers. Spaties en punten mogen."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # Which submit button was pressed: the access overview or the inzage.
    doel = forms.ChoiceField(
        choices=[("toegang", _("Toegang")), ("inzage", _("Inzage"))], required=False
    )

    def clean_nummer(self) -> str:
        number = re.sub(r"[\s.-]", "", self.cleaned_data["nummer"])
        if not re.fullmatch(r"\d{8,9}", number):
            raise forms.ValidationError(_("Vul negen cijfers in."))
        return number.zfill(9)  # an old eight-digit BSN is stored with a leading zero

    def clean_doel(self) -> str:
        return self.cleaned_data.get("doel") or "toegang"


def day_start(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the local time zone (the log stores UTC)."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
