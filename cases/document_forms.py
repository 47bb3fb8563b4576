"""Forms for documents and letters on a case. The rules themselves live in the services
(cases.services.documents, cases.letters); these forms only read the input."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from roles.constants import ChainRole

from .constants import DocumentKind, LetterKind
from .letters import LANGUAGES, LetterRequest
from .services.documents import MAX_DOCUMENT_BYTES

UPLOAD_ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx"


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Soort document"),
        choices=[("", "---------")]
        + [(value, label) for value, label in DocumentKind.choices if value != DocumentKind.LETTER],
    )
    file = forms.FileField(
        label=_("Bestand"),
        help_text=_("PDF, PNG, JPEG, DOCX of XLSX, hooguit %(mb)s MB.")
        % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
        allow_empty_file=True,  # the service says why an empty file is refused
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LetterForm(forms.Form):
    """Which letter, in which role and language; for an invitation also when and where."""

    letter = forms.ChoiceField(
        label=_("Brief"),
        choices=LetterKind.choices,
        help_text=_("Een concept-proces-verbaal alleen als beëdigd BOA, in de rol Leerplicht."),
    )
    role = forms.ChoiceField(label=_("Rol waarin je de brief verstuurt"))
    language = forms.ChoiceField(
        label=_("Taal van de brief"),
        choices=list(LANGUAGES.items()),
        initial="nl",
        help_text=_("Brieven aan ouders bestaan ook in het Engels."),
    )
    appointment_on = forms.DateField(
        label=_("Datum van het gesprek"),
        required=False,
        widget=_date_input(),
        help_text=_("Alleen voor een uitnodiging."),
    )
    appointment_time = forms.TimeField(
        label=_("Tijdstip van het gesprek"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Alleen voor een uitnodiging."),
    )
    location = forms.CharField(
        label=_("Plaats van het gesprek"),
        required=False,
        max_length=200,
        help_text=_("Alleen voor een uitnodiging, bijvoorbeeld het adres van het stadhuis."),
    )

    def __init__(self, *args: object, roles: list[ChainRole], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role.value, role.label) for role in roles]
        if len(roles) == 1:
            role_field.initial = roles[0].value

    def clean_appointment_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("appointment_on")
        if day is not None and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Vul een datum in tussen 2000 en 2100."))
        return day

    def letter_request(self) -> LetterRequest:
        data = self.cleaned_data
        return LetterRequest(
            letter=data["letter"],
            role=data["role"],
            language=data["language"],
            appointment_on=data.get("appointment_on"),
            appointment_time=data.get("appointment_time"),
            location=data.get("location") or "",
        )
