"""Forms of issue 16's casework: guardians, correcting or withdrawing a contact, the closed
cases search. Each checks what it can; the services check everything again."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roles.acts import kinds_for_role
from roles.constants import ChainRole, ContactWith

from .constants import GuardianLanguage, GuardianRelation
from .models import MAX_CONTACT_MINUTES, Contact, Guardian
from .phones import normalise_phone
from .services.guardians import GuardianDetails


class GuardianForm(forms.Form):
    """A parent or carer of the household. The phone number is checked with phonenumbers."""

    name = forms.CharField(label=_("Naam"), max_length=200)
    relation = forms.ChoiceField(label=_("Relatie tot het kind"), choices=GuardianRelation.choices)
    has_custody = forms.BooleanField(
        label=_("Heeft gezag"),
        required=False,
        initial=True,
        help_text=_("Ouderlijk gezag of voogdij: beslist mee over de aanpak."),
    )
    phone = forms.CharField(
        label=_("Telefoon"),
        required=False,
        max_length=30,
        help_text=_("Bijvoorbeeld 06 12345678; een buitenlands nummer met landcode."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        help_text=_("Voor de uitnodiging voor de oudervragenlijst. Zonder e-mail: op papier."),
        error_messages={"invalid": _("Dit is geen geldig e-mailadres, zoals naam@voorbeeld.nl.")},
    )
    preferred_language = forms.ChoiceField(
        label=_("Voorkeurstaal"), choices=GuardianLanguage.choices, initial=GuardianLanguage.DUTCH
    )
    street = forms.CharField(
        label=_("Straat en huisnummer"),
        required=False,
        max_length=200,
        help_text=_("Alleen als de ouder of verzorger ergens anders woont dan het kind."),
    )
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=7)
    city = forms.CharField(label=_("Plaats"), required=False, max_length=100)

    @classmethod
    def for_guardian(cls, guardian: Guardian, data: Any = None) -> "GuardianForm":
        initial = {name: getattr(guardian, name) for name in cls.base_fields}
        initial["phone"] = guardian.phone_display
        return cls(data, initial=initial)

    def clean_phone(self) -> str:
        # Checked here for the message on the field; stored as E.164 by the service.
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def details(self) -> GuardianDetails:
        return GuardianDetails(**{name: self.cleaned_data[name] for name in self.fields})


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactCorrectionForm(forms.Form):
    """Correct a contact: its kind (within its role), with whom, when, how long, the summary."""

    kind = forms.ChoiceField(label=_("Soort contact"))
    with_whom = forms.ChoiceField(label=_("Met wie"), choices=ContactWith.choices)
    occurred_on = forms.DateField(label=_("Datum"), widget=_date_input())
    occurred_time = forms.TimeField(
        label=_("Tijd"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(
        label=_("Duur in minuten"), min_value=1, max_value=MAX_CONTACT_MINUTES
    )
    summary = forms.CharField(
        label=_("Samenvatting"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    caution_given = forms.BooleanField(
        label=_("De cautie is gegeven (verplicht bij een verhoor)"), required=False
    )

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            local = timezone.localtime(contact.occurred_at)
            kwargs["initial"] = {
                "kind": contact.kind,
                "with_whom": contact.with_whom,
                "occurred_on": local.date(),
                "occurred_time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": contact.duration_minutes,
                "summary": contact.summary,
                "caution_given": contact.caution_given,
            }
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        # The role stays: only the kinds that role allows (roles/acts.py).
        kind_field.choices = [
            (kind.value, kind.label) for kind in kinds_for_role(ChainRole(contact.role))
        ]

    def occurred_at(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(
                self.cleaned_data["occurred_on"], self.cleaned_data["occurred_time"]
            )
        )


class ContactWithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden van intrekking"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Het proces-verbaal of verhoor blijft zichtbaar, gemarkeerd als ingetrokken."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Geef de reden van de intrekking."))
        return reason


class ClosedCasesSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Zoeken"),
        required=False,
        max_length=100,
        help_text=_("Op naam van het kind, BSN of zaaknummer."),
    )
