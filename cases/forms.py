from django import forms
from django.utils.translation import gettext_lazy as _

from professionals.models import Professional

from .constants import CaseStatus, MeldingType, Stage
from .models import School
from .selectors import CASE_LIST_ORDERINGS, DEFAULT_CASE_ORDERING, MY_CASES_ORDERINGS

ANY = [("", _("Alle"))]


class CaseFilterForm(forms.Form):
    """The coordinator's search and filters. Invalid values show an error, never a 500."""

    q = forms.CharField(
        label=_("Zoeken"),
        required=False,
        max_length=100,
        help_text=_("BSN, zaaknummer of naam van het kind."),
    )
    stage = forms.ChoiceField(label=_("Ketenstap"), choices=ANY + Stage.choices, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ANY + CaseStatus.choices, required=False)
    arm = forms.ChoiceField(
        label=_("Onderzoeksarm"),
        choices=ANY
        + [
            ("bip", _("BIP-arm")),
            ("controle", _("Controlearm")),
            ("geen", _("Nog niet toegewezen")),
        ],
        required=False,
    )
    melding_type = forms.ChoiceField(
        label=_("Soort melding"), choices=ANY + MeldingType.choices, required=False
    )
    professional = forms.ModelChoiceField(
        label=_("Professional"),
        queryset=Professional.objects.select_related("user").filter(is_active=True),
        required=False,
        empty_label=_("Alle"),
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.all(), required=False, empty_label=_("Alle")
    )
    deadline = forms.ChoiceField(
        label=_("Termijn"),
        choices=ANY + [("verlopen", _("Termijn verlopen")), ("binnenkort", _("Binnen 14 dagen"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sorteren op"),
        choices=[
            ("-ontvangen", _("Nieuwste melding eerst")),
            ("ontvangen", _("Oudste melding eerst")),
            ("termijn", _("Termijn, eerst verlopend")),
            ("-termijn", _("Termijn, laatst verlopend")),
            ("nummer", _("Zaaknummer oplopend")),
            ("-nummer", _("Zaaknummer aflopend")),
        ],
        required=False,
    )

    def ordering(self) -> str:
        value = self.cleaned_data.get("sort") if self.is_valid() else ""
        return value if value in CASE_LIST_ORDERINGS else DEFAULT_CASE_ORDERING


class MyCasesFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Ketenstap"), choices=ANY + Stage.choices, required=False)
    deadline = forms.ChoiceField(
        label=_("Termijn"),
        choices=ANY + [("verlopen", _("Termijn verlopen")), ("binnenkort", _("Binnen 14 dagen"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sorteren op"),
        choices=[
            ("termijn", _("Termijn, eerst verlopend")),
            ("-termijn", _("Termijn, laatst verlopend")),
            ("-ontvangen", _("Nieuwste melding eerst")),
            ("ontvangen", _("Oudste melding eerst")),
        ],
        required=False,
    )

    def ordering(self) -> str:
        value = self.cleaned_data.get("sort") if self.is_valid() else ""
        return value if value in MY_CASES_ORDERINGS else "termijn"
