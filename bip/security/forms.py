from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


class LoginForm(AuthenticationForm):
    """The login form, refusing an over-long user name before anything is looked up.

    Django's AuthenticationForm does not validate the user name's length, so any text reached
    authenticate() and django-axes' failure log, whose column holds 255 characters: on
    PostgreSQL the INSERT failed and the login page answered 500.
    """

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        field = User._meta.get_field(User.USERNAME_FIELD)
        limit = field.max_length if isinstance(field, models.CharField) else None
        if limit is not None and len(username) > limit:
            raise forms.ValidationError(
                _("Een gebruikersnaam heeft hoogstens %(limit)s tekens.") % {"limit": limit},
                code="max_length",
            )
        return username


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login page, with the same length check as LoginForm."""

    clean_username = LoginForm.clean_username


class PasswordResetRequestForm(forms.Form):
    """The e-mail address to send a password link to."""

    email = forms.EmailField(
        label=_("E-mailadres"),
        help_text=_("Het e-mailadres dat bij je account hoort."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class MFAResetForm(forms.Form):
    """Why someone's second factor is reset: required, kept in the change history."""

    reason = forms.CharField(
        label=_("Reden"),
        help_text=_(
            "Bijvoorbeeld: telefoon kwijt, gemeld door de gebruiker zelf op 3 maart. Dit komt "
            "in de wijzigingsgeschiedenis; noem geen gegevens van kinderen."
        ),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Geef een reden op.")},
    )


class PasswordSetForm(SetPasswordForm):
    """Django's form for a new password (the reset link), with a Dutch "too short" message.

    Django 6.1 changed that message's text and its Dutch translation has not caught up, so the
    user would read English on an otherwise Dutch page.
    """

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        # clean() runs inside full_clean(), after the fields: `errors` does not validate again.
        errors = self.errors.get("new_password2")
        if errors is None:
            return cleaned_data
        for index, error in enumerate(errors.data):
            if isinstance(error, forms.ValidationError) and error.code == "password_too_short":
                minimum = (error.params or {}).get("min_length", 0)
                errors.data[index] = forms.ValidationError(
                    ngettext(
                        "Dit wachtwoord is te kort: gebruik minstens %(minimum)s teken.",
                        "Dit wachtwoord is te kort: gebruik minstens %(minimum)s tekens.",
                        minimum,
                    )
                    % {"minimum": minimum},
                    code="password_too_short",
                )
        return cleaned_data
