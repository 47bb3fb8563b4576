import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from professionals.models import Professional
from roles.acts import kinds_for_role
from roles.constants import ChainRole, Channel, ContactWith

from .constants import CaseStatus, HaltResult, MeldingType, OutcomeCategory, PlanOwner, Stage
from .models import MAX_CONTACT_MINUTES, PlanGoal, School
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


class VersionedForm(forms.Form):
    """A form that changes a case carries the version the user saw, to detect a concurrent edit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def refresh_version(self, version: int) -> None:
        """After a conflict: keep what the user typed, but let a resubmit apply to the new state."""
        data = self.data.copy()
        data["version"] = str(version)
        self.data = data


class ContactForm(forms.Form):
    """Log a contact. The role list offers only the roles the professional may act in."""

    role = forms.ChoiceField(label=_("Rol in dit contact"))
    kind = forms.ChoiceField(label=_("Soort contact"))
    with_whom = forms.ChoiceField(label=_("Met wie"), choices=ContactWith.choices)
    channel = forms.ChoiceField(label=_("Kanaal"), choices=Channel.choices)
    occurred_on = forms.DateField(
        label=_("Datum"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
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
    follow_up_on = forms.DateField(
        label=_("Vervolgafspraak op"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Verschijnt in Mijn zaken zodra de datum er is."),
    )

    def __init__(self, *args, roles: list[ChainRole], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]
        # Kinds grouped per role; the service checks the combination whatever is posted.
        self.fields["kind"].choices = [
            (role.label, [(kind.value, kind.label) for kind in kinds_for_role(role)])
            for role in roles
        ]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0].value

    def occurred_at(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(
                self.cleaned_data["occurred_on"], self.cleaned_data["occurred_time"]
            )
        )


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reden"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class HaltReferralForm(ReasonForm):
    pupil_consent = forms.BooleanField(label=_("De leerling geeft toestemming"), required=False)
    parent_consent = forms.BooleanField(
        label=_("De ouders geven toestemming (verplicht onder 16 jaar)"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reden om de toelatingscriteria bewust te overschrijven"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_(
            "Alleen invullen als de leerling niet aan leeftijd, verzuimuren of eerdere "
            "verwijzing voldoet en je toch doorverwijst. Dit komt in de geschiedenis."
        ),
    )


class OutcomeFields(forms.Form):
    category = forms.ChoiceField(
        label=_("Uitkomst"), choices=[("", _("Kies een uitkomst"))] + OutcomeCategory.choices
    )
    achieved_on = forms.DateField(
        label=_("Datum uitkomst"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class CloseForm(ReasonForm, OutcomeFields):
    field_order = ["category", "achieved_on", "reason", "version"]


class HaltResultForm(ReasonForm):
    result = forms.ChoiceField(
        label=_("Uitkomst Halt"),
        choices=HaltResult.choices,
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(
        label=_("Uitkomst van de zaak (bij positief afgerond)"),
        choices=[("", _("Kies een uitkomst"))] + OutcomeCategory.choices,
        required=False,
    )
    achieved_on = forms.DateField(
        label=_("Datum uitkomst (bij positief afgerond)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    field_order = ["result", "category", "achieved_on", "reason", "version"]


class PlanGoalForm(forms.Form):
    description = forms.CharField(label=_("Doel"), max_length=500)


class PlanActionForm(forms.Form):
    description = forms.CharField(label=_("Actie"), max_length=500)
    goal = forms.ModelChoiceField(
        label=_("Bij doel"),
        queryset=PlanGoal.objects.none(),
        required=False,
        empty_label=_("Geen specifiek doel"),
    )
    owner = forms.ChoiceField(label=_("Wie voert de actie uit"), choices=PlanOwner.choices)
    owner_professional = forms.ModelChoiceField(
        label=_("Welke professional"),
        queryset=Professional.objects.none(),
        required=False,
        help_text=_("Alleen als een professional de actie uitvoert."),
    )
    due_on = forms.DateField(
        label=_("Klaar op"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, plan, professionals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = plan.goals.all() if plan else PlanGoal.objects.none()
        self.fields["owner_professional"].queryset = professionals


class PlanActionDoneForm(forms.Form):
    done = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def apply_service_errors(form: forms.Form, errors: dict) -> None:
    """Put a service's {field: message} errors on the form; unknown fields become non-field."""
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)
