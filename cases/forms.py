import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.constants import Arm
from professionals.forms import ProfessionalChoiceField
from professionals.models import Professional
from roles.acts import kinds_for_role
from roles.constants import ChainRole, Channel, ContactWith

from .constants import (
    AssignmentReason,
    CaseSource,
    CaseStatus,
    HaltResult,
    MeldingType,
    OutcomeCategory,
    PlanOwner,
    Stage,
)
from .models import MAX_CONTACT_MINUTES, Child, PlanGoal, School
from .selectors import CASE_LIST_ORDERINGS, DEFAULT_CASE_ORDERING, MY_CASES_ORDERINGS
from .validators import (
    normalise_brin,
    normalise_bsn,
    validate_brin,
    validate_bsn,
    validate_onderwijsnummer,
    validate_postcode,
)

ANY = [("", _("Alle"))]
DEADLINE_FILTER = forms.ChoiceField(
    label=_("Termijn"),
    choices=ANY + [("verlopen", _("Termijn verlopen")), ("binnenkort", _("Binnen 14 dagen"))],
    required=False,
)


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
    # Thousands of professionals nationally: a field that renders them fast.
    professional = ProfessionalChoiceField(
        label=_("Professional"), required=False, empty_label=_("Alle")
    )
    # A BRIN rather than a list: nationally there are thousands of schools.
    school = forms.CharField(
        label=_("School (BRIN)"),
        required=False,
        max_length=8,
        validators=[validate_brin],
        help_text=_("Bijvoorbeeld 05KD."),
    )
    deadline = DEADLINE_FILTER
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

    def clean_school(self):
        return normalise_brin(self.cleaned_data["school"].strip())

    def ordering(self) -> str:
        value = self.cleaned_data.get("sort") if self.is_valid() else ""
        return value if value in CASE_LIST_ORDERINGS else DEFAULT_CASE_ORDERING


class MyCasesFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Ketenstap"), choices=ANY + Stage.choices, required=False)
    deadline = DEADLINE_FILTER
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


class PlanGoalEditForm(PlanGoalForm, VersionedForm):
    """Change a goal's text; carries the plan version the user saw."""


class PlanActionEditForm(PlanActionForm, VersionedForm):
    """Change an action; carries the plan version the user saw."""


class PlanActionDoneForm(forms.Form):
    done = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def apply_service_errors(form: forms.Form, errors: dict) -> None:
    """Put a service's {field: message} errors on the form; unknown fields become non-field."""
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IntakeSearchForm(forms.Form):
    """Find the child first, so that no duplicate is made."""

    bsn = forms.CharField(
        label=_("BSN"),
        required=False,
        max_length=12,
        validators=[validate_bsn],
        help_text=_("Zoek op BSN, of op achternaam en geboortedatum."),
    )
    last_name = forms.CharField(label=_("Achternaam"), required=False, max_length=150)
    date_of_birth = forms.DateField(label=_("Geboortedatum"), required=False, widget=_date_input())

    def clean(self):
        data = super().clean()
        searchable = data.get("bsn") or (data.get("last_name") and data.get("date_of_birth"))
        if not searchable and not self.errors:
            raise forms.ValidationError(
                _("Vul een BSN in, of een achternaam én een geboortedatum.")
            )
        return data


class ReferralForm(forms.Form):
    date_received = forms.DateField(label=_("Datum melding ontvangen"), widget=_date_input())
    source = forms.ChoiceField(label=_("Bron"), choices=CaseSource.choices, initial=CaseSource.DUO)
    melding_type = forms.ChoiceField(
        label=_("Soort melding"), choices=[("", _("Kies een soort"))] + MeldingType.choices
    )
    period_start = forms.DateField(label=_("Verzuim vanaf"), widget=_date_input())
    period_end = forms.DateField(label=_("Verzuim tot en met"), widget=_date_input())
    hours_absent = forms.IntegerField(
        label=_("Uren verzuim"), min_value=0, max_value=2000, initial=0
    )
    times_late = forms.IntegerField(label=_("Keer te laat"), min_value=0, max_value=1000, initial=0)


class NewChildForm(forms.Form):
    first_name = forms.CharField(label=_("Voornaam"), max_length=100)
    last_name = forms.CharField(label=_("Achternaam"), max_length=150)
    date_of_birth = forms.DateField(label=_("Geboortedatum"), widget=_date_input())
    bsn = forms.CharField(label=_("BSN"), required=False, max_length=12, validators=[validate_bsn])
    onderwijsnummer = forms.CharField(
        label=_("Onderwijsnummer"),
        required=False,
        max_length=9,
        validators=[validate_onderwijsnummer],
        help_text=_("Alleen als het kind geen BSN heeft."),
    )
    school_brin = forms.CharField(
        label=_("BRIN van de school"),
        required=False,
        max_length=8,
        help_text=_("Leeg laten bij absoluut verzuim (niet ingeschreven)."),
    )
    sibling_bsn = forms.CharField(
        label=_("BSN van een broer of zus"),
        required=False,
        max_length=12,
        validators=[validate_bsn],
        help_text=_("Het kind komt dan in hetzelfde huishouden."),
    )
    street = forms.CharField(label=_("Straat en huisnummer"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode"), max_length=7, required=False, validators=[validate_postcode]
    )
    city = forms.CharField(label=_("Plaats"), max_length=100, required=False)
    household_choice = forms.ChoiceField(
        label=_("Huishouden"), required=False, widget=forms.RadioSelect, choices=[]
    )

    def clean_bsn(self):
        value = normalise_bsn(self.cleaned_data["bsn"])
        if value and Child.objects.filter(bsn=value).exists():
            raise forms.ValidationError(
                _("Er is al een kind met dit BSN. Zoek het kind op en maak de melding daar.")
            )
        return value

    def clean_onderwijsnummer(self):
        value = self.cleaned_data["onderwijsnummer"]
        if value and Child.objects.filter(onderwijsnummer=value).exists():
            raise forms.ValidationError(_("Er is al een kind met dit onderwijsnummer."))
        return value

    def clean_school_brin(self):
        value = normalise_brin(self.cleaned_data["school_brin"].strip())
        if not value:
            return None
        validate_brin(value)
        school = School.objects.filter(brin=value).first()
        if school is None:
            raise forms.ValidationError(
                _("Er is geen school met BRIN %(brin)s bekend. De beheerder voegt scholen toe.")
                % {"brin": value}
            )
        return school

    def clean_sibling_bsn(self):
        value = normalise_bsn(self.cleaned_data["sibling_bsn"])
        if not value:
            return None
        sibling = Child.objects.select_related("household").filter(bsn=value).first()
        if sibling is None:
            raise forms.ValidationError(_("Er is geen kind met dit BSN bekend."))
        return sibling

    def clean(self):
        data = super().clean()
        if not data.get("bsn") and not data.get("onderwijsnummer") and not self.errors.get("bsn"):
            self.add_error("bsn", _("Vul een BSN of een onderwijsnummer in."))
        if not data.get("sibling_bsn") and not self.errors.get("sibling_bsn"):
            for field in ("street", "postcode", "city"):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, _("Vul het adres in, of het BSN van een broer of zus."))
        return data


class AssignForm(VersionedForm):
    professional = forms.ModelChoiceField(
        label=_("Professional"),
        # Only working professionals (record and account active), as in the suggestions.
        queryset=Professional.objects.active(),
        error_messages={"required": _("Kies een professional.")},
    )
    reason = forms.ChoiceField(label=_("Reden"), choices=AssignmentReason.choices)
    note = forms.CharField(
        label=_("Toelichting"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Verplicht bij overdracht aan een andere professional."),
    )


class AllocationForm(forms.Form):
    arm = forms.ChoiceField(label=_("Arm"), choices=Arm.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reden"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Een handmatige toewijzing of correctie wordt met deze reden gelogd."),
    )
