from django import forms
from django.utils.translation import gettext_lazy as _

from .mfa import RECOVERY_CODE, TOTP_CODE, normalise_code


class EnrolmentForm(forms.Form):
    """The first code from the app, which proves it was set up with the right secret."""

    code = forms.CharField(
        label=_("Code uit de app"),
        help_text=_("De 6 cijfers die de app nu laat zien."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not TOTP_CODE.fullmatch(code):
            raise forms.ValidationError(_("Vul de 6 cijfers in die de app nu laat zien."))
        return code


class VerificationForm(forms.Form):
    """A code from the app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_(
            "De 6 cijfers uit je authenticator-app. Heb je je telefoon niet bij je? "
            "Vul dan een van je herstelcodes in."
        ),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not (TOTP_CODE.fullmatch(code) or RECOVERY_CODE.fullmatch(code)):
            raise forms.ValidationError(
                _("Vul de 6 cijfers uit de app in, of een herstelcode van 10 tekens.")
            )
        return code
