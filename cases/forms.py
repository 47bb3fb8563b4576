import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from professionals.models import Professional
from roles.acts import kinds_for_role
from roles.constants import ChainRole, Channel, ContactWith

from . import selectors
from .constants import (
    HALT_PARENT_CONSENT_BELOW_AGE,
    AssignmentReason,
    CaseOrdering,
    CaseSource,
    CaseStatus,
    DeadlineWindow,
    HaltResult,
    MeldingType,
    OutcomeCategory,
    PlanOwner,
    Stage,
)
from .models import MAX_CONTACT_MINUTES, Child, Household, HouseholdPlan, PlanGoal, School
from .selectors import (
    CASE_LIST_ORDERINGS,
    DEFAULT_CASE_ORDERING,
    DEFAULT_MY_CASES_ORDERING,
    MY_CASES_ORDERINGS,
)
from .services.intake import NewChild
from .validators import (
    normalise_brin,
    normalise_bsn,
    validate_brin,
    validate_bsn,
    validate_onderwijsnummer,
    validate_postcode,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ANY = [("", _("Alle"))]

# The URL values of the case lists' filters and sorting stay Dutch: users see and bookmark them.
# The forms map them to English members here, at the boundary; code past the form uses those.
DEADLINE_PARAMETERS = {"verlopen": DeadlineWindow.OVERDUE, "binnenkort": DeadlineWindow.DUE_SOON}
SORT_PARAMETERS = {
    "-ontvangen": CaseOrdering.NEWEST_FIRST,
    "ontvangen": CaseOrdering.OLDEST_FIRST,
    "termijn": CaseOrdering.DEADLINE_FIRST,
    "-termijn": CaseOrdering.DEADLINE_LAST,
    "nummer": CaseOrdering.NUMBER_ASCENDING,
    "-nummer": CaseOrdering.NUMBER_DESCENDING,
}
SORT_PARAMETER_OF = {ordering: parameter for parameter, ordering in SORT_PARAMETERS.items()}


def _sort_field(orderings: Iterable[CaseOrdering]) -> forms.TypedChoiceField:
    """A `sort` field offering `orderings` (in this order) under their Dutch URL values, cleaned
    to a CaseOrdering."""
    return forms.TypedChoiceField(
        label=_("Sorteren op"),
        choices=[(SORT_PARAMETER_OF[ordering], ordering.label) for ordering in orderings],
        coerce=SORT_PARAMETERS.__getitem__,
        empty_value=None,
        required=False,
    )


def _deadline_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Termijn"),
        choices=ANY + [(value, window.label) for value, window in DEADLINE_PARAMETERS.items()],
        coerce=DEADLINE_PARAMETERS.__getitem__,
        empty_value=None,
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
    # "geen" in the URL: no arm yet, the empty arm. Cleaned to None when no arm is filtered on.
    arm = forms.TypedChoiceField(
        label=_("Onderzoeksarm"),
        choices=ANY
        + [
            ("bip", _("BIP-arm")),
            ("controle", _("Controlearm")),
            ("geen", _("Nog niet toegewezen")),
        ],
        coerce=lambda value: "" if value == "geen" else value,
        empty_value=None,
        required=False,
    )
    melding_type = forms.ChoiceField(
        label=_("Soort melding"), choices=ANY + MeldingType.choices, required=False
    )
    # Thousands of professionals nationally: no list of them in the page. The name is typed
    # (htmx suggests matches from cases:professional_lookup); `professional` carries the chosen
    # one's id, and `choose_professional` is the id a suggestion button submits. clean() resolves.
    professional = forms.ModelChoiceField(
        queryset=Professional.objects.filter(is_active=True).select_related("user"),
        required=False,
        widget=forms.HiddenInput,
    )
    professional_name = forms.CharField(
        label=_("Professional"),
        required=False,
        max_length=100,
        help_text=_("Typ (een deel van) de naam en kies uit de suggesties."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "hx-get": reverse_lazy("cases:professional_lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#professional-suggestions",
                "hx-swap": "outerHTML",
                "hx-push-url": "false",
                "hx-sync": "this:replace",
                "aria-controls": "professional-suggestions",
            }
        ),
    )
    # A BRIN rather than a list: nationally there are thousands of schools.
    school = forms.CharField(
        label=_("School (BRIN)"),
        required=False,
        max_length=8,
        validators=[validate_brin],
        help_text=_("Bijvoorbeeld 05KD."),
    )
    deadline = _deadline_field()
    sort = _sort_field(CASE_LIST_ORDERINGS)

    # The suggestions shown under the professional field when a typed name is ambiguous.
    professional_matches: list[Professional]

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        chosen = data.get("choose_professional") if data is not None else None
        if data is not None and chosen:
            # A suggestion button: its id wins over the earlier choice and the typed text.
            data = data.copy()
            data["professional"] = chosen
            data.pop("professional_name", None)
        super().__init__(data, **kwargs)
        self.professional_matches = []

    def clean_school(self) -> str:
        return normalise_brin(self.cleaned_data["school"].strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        professional = cleaned.get("professional")
        name = (cleaned.get("professional_name") or "").strip()
        if "professional_name" in self.errors:
            return cleaned
        if professional is not None and (
            not name or selectors.professional_matches_text(professional, name)
        ):
            if not name and "professional_name" in self.data:
                cleaned["professional"] = None  # the name was cleared: no filter
            else:
                self._show_professional_name(professional)
            return cleaned
        cleaned["professional"] = None
        if not name:
            return cleaned
        matches = selectors.professionals_matching(name, limit=selectors.PROFESSIONAL_MATCHES + 1)
        if len(matches) == 1:
            cleaned["professional"] = matches[0]
            self._show_professional_name(matches[0])
        elif not matches:
            self.add_error("professional_name", _("Geen professional gevonden met deze naam."))
        else:
            self.professional_matches = matches[: selectors.PROFESSIONAL_MATCHES]
            self.add_error(
                "professional_name",
                _("Meer dan één professional heeft deze naam. Kies er een uit de lijst."),
            )
        return cleaned

    def _show_professional_name(self, professional: Professional) -> None:
        """Render the chosen professional's full name and id, so that the next search keeps
        the choice."""
        # A QueryDict from the request (a dict in some tests): copy keeps every value.
        data = self.data.copy() if isinstance(self.data, QueryDict | dict) else dict(self.data)
        data["professional"] = str(professional.pk)
        data["professional_name"] = str(professional)
        self.data = data

    def ordering(self) -> CaseOrdering:
        value = self.cleaned_data.get("sort") if self.is_valid() else None
        return value if value in CASE_LIST_ORDERINGS else DEFAULT_CASE_ORDERING


class MyCasesFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Ketenstap"), choices=ANY + Stage.choices, required=False)
    deadline = _deadline_field()
    sort = _sort_field(MY_CASES_ORDERINGS)

    def ordering(self) -> CaseOrdering:
        value = self.cleaned_data.get("sort") if self.is_valid() else None
        return value if value in MY_CASES_ORDERINGS else DEFAULT_MY_CASES_ORDERING


class VersionedForm(forms.Form):
    """A form that changes a case carries the version the user saw, to detect a concurrent edit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def refresh_version(self, version: int) -> None:
        """After a conflict: keep what the user typed, but let a resubmit apply to the new state."""
        # A QueryDict when bound to a request (a dict in some tests): copy keeps every value.
        data = self.data.copy() if isinstance(self.data, QueryDict | dict) else dict(self.data)
        data["version"] = str(version)
        self.data = data


class ContactForm(forms.Form):
    """Log a contact. The role list offers only the roles the professional may act in, and the
    kind list only the kinds of the chosen role (roles/acts.py): the posted role, else the
    default role (the case's current stage), else the first role."""

    role = forms.ChoiceField(label=_("Rol in dit contact"))
    kind = forms.ChoiceField(
        label=_("Soort contact"),
        error_messages={
            "invalid_choice": _(
                "Deze soort contact hoort niet bij de gekozen rol. Kies een soort uit de lijst."
            )
        },
    )
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

    def __init__(
        self,
        *args: Any,
        roles: list[ChainRole],
        default_role: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The declared field types: Form.fields is typed as plain Field.
        role_field = cast(forms.ChoiceField, self.fields["role"])
        kind_field = cast(forms.ChoiceField, self.fields["kind"])
        role_field.choices = [(r.value, r.label) for r in roles]
        if default_role in roles and "role" not in self.initial:
            self.initial["role"] = default_role
        elif roles and "role" not in self.initial:
            self.initial["role"] = roles[0].value
        self.chosen_role = self._chosen_role(roles)
        # The service checks the combination too, whatever is posted.
        kind_field.choices = (
            [(kind.value, kind.label) for kind in kinds_for_role(self.chosen_role)]
            if self.chosen_role is not None
            else []
        )

    def _chosen_role(self, roles: list[ChainRole]) -> ChainRole | None:
        """The role whose kinds the kind list offers: the posted one if it is allowed, else the
        initial one."""
        value = self.data.get(self.add_prefix("role")) if self.is_bound else None
        if value not in roles:
            value = self.initial.get("role")
        if value in roles:
            return ChainRole(value)
        return roles[0] if roles else None

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
        label=format_lazy(
            _("De ouders geven toestemming (verplicht onder {age} jaar)"),
            age=HALT_PARENT_CONSENT_BELOW_AGE,
        ),
        required=False,
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


# A field whose value changes which other fields apply: on change, htmx posts the form to its
# own page with this flag, and swaps in the form as it applies now (no errors yet, no write).
REFRESH_FORM = "ververs_formulier"
REFRESH_ON_CHANGE = {
    "hx-post": "",
    "hx-trigger": "change",
    "hx-vals": f'{{"{REFRESH_FORM}": "1"}}',
    "hx-target": "#stage-form",
    "hx-select": "#stage-form",
    "hx-swap": "outerHTML",
}


def require_when(field: forms.Field, condition: "StrOrPromise") -> None:
    """Mark an optional field as required in a state the form cannot know yet: its label then
    says `condition` ("verplicht bij ...") instead of "(optioneel)" (templates/_field.html)."""
    field.required_when = condition  # type: ignore[attr-defined]


def hide_field(field: forms.Field) -> None:
    """Leave out a field that does not apply in the form's current state (it posts empty)."""
    field.required = False
    field.widget = forms.HiddenInput()


class HaltResultForm(ReasonForm):
    """The outcome of the case and its date are required after a positive Halt result and do
    not apply after another: the labels say which, in the state the user sees (the page
    re-renders the form through htmx when the result changes)."""

    result = forms.ChoiceField(
        label=_("Uitkomst Halt"),
        choices=HaltResult.choices,
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(
        label=_("Uitkomst van de zaak"),
        choices=[("", _("Kies een uitkomst"))] + OutcomeCategory.choices,
        required=False,
    )
    achieved_on = forms.DateField(
        label=_("Datum uitkomst"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    field_order = ["result", "category", "achieved_on", "reason", "version"]
    outcome_fields = ("category", "achieved_on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choosing a result re-renders the form (cases/views/stages.py, REFRESH_FORM).
        self.fields["result"].widget.attrs.update(REFRESH_ON_CHANGE)
        result = self.data.get("result") if self.is_bound else self.initial.get("result")
        for name in self.outcome_fields:
            field = self.fields[name]
            if result == HaltResult.POSITIVE:
                field.required = True
            elif result in HaltResult.values:
                hide_field(field)
            else:
                require_when(field, _("verplicht bij positief afgerond"))


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

    def __init__(
        self,
        *args: Any,
        plan: HouseholdPlan | None,
        professionals: QuerySet[Professional],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The declared field types: Form.fields is typed as plain Field.
        goal_field = cast(forms.ModelChoiceField, self.fields["goal"])
        owner_field = cast(forms.ModelChoiceField, self.fields["owner_professional"])
        goal_field.queryset = plan.goals.all() if plan else PlanGoal.objects.none()
        owner_field.queryset = professionals


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


def _date_input() -> forms.DateInput:
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
    last_name = forms.CharField(
        label=_("Achternaam"),
        required=False,
        max_length=150,
        help_text=_("Met of zonder tussenvoegsel: “de Vries” of “Vries”."),
    )
    date_of_birth = forms.DateField(label=_("Geboortedatum"), required=False, widget=_date_input())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
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


class MeldingForm(ReferralForm, VersionedForm):
    """A new melding added to the child's open case (cases.services.meldingen.melding_add)."""

    note = forms.CharField(
        label=_("Toelichting"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bijvoorbeeld wat de school bij deze melding schreef."),
    )


class NewChildForm(forms.Form):
    first_name = forms.CharField(label=_("Voornaam"), max_length=100)
    tussenvoegsel = forms.CharField(
        label=_("Tussenvoegsel"),
        required=False,
        max_length=20,
        help_text=_("Bijvoorbeeld “de” of “van der”; leeg als er geen is."),
    )
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

    def clean_bsn(self) -> str:
        value = normalise_bsn(self.cleaned_data["bsn"])
        if value and Child.objects.filter(bsn=value).exists():
            raise forms.ValidationError(
                _("Er is al een kind met dit BSN. Zoek het kind op en maak de melding daar.")
            )
        return value

    def clean_onderwijsnummer(self) -> str:
        value = self.cleaned_data["onderwijsnummer"]
        if value and Child.objects.filter(onderwijsnummer=value).exists():
            raise forms.ValidationError(_("Er is al een kind met dit onderwijsnummer."))
        return value

    def clean_school_brin(self) -> School | None:
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

    def clean_sibling_bsn(self) -> Child | None:
        value = normalise_bsn(self.cleaned_data["sibling_bsn"])
        if not value:
            return None
        sibling = Child.objects.select_related("household").filter(bsn=value).first()
        if sibling is None:
            raise forms.ValidationError(_("Er is geen kind met dit BSN bekend."))
        return sibling

    def __init__(self, *args: Any, households: Iterable[Household] = (), **kwargs: Any) -> None:
        """`households`: the households at the posted address, proposed for the child. The
        choices are set before validation: otherwise no posted choice is valid."""
        super().__init__(*args, **kwargs)
        # Required in a state the form cannot know beforehand (clean() checks it): the labels
        # say so instead of "(optioneel)".
        require_when(self.fields["bsn"], _("verplicht zonder onderwijsnummer"))
        require_when(self.fields["onderwijsnummer"], _("verplicht zonder BSN"))
        for name in ("street", "postcode", "city"):
            require_when(self.fields[name], _("verplicht zonder BSN van broer of zus"))
        self.households = {f"bestaand-{household.pk}": household for household in households}
        # The declared field type: Form.fields is typed as plain Field.
        cast(forms.ChoiceField, self.fields["household_choice"]).choices = [
            (
                value,
                _("Bestaand huishouden op dit adres, met %(names)s")
                % {"names": ", ".join(c.first_name for c in household.children.all())},
            )
            for value, household in self.households.items()
        ] + [("nieuw", _("Nieuw huishouden"))]

    def household_chosen(self) -> bool:
        """After validation: whether the child's household is settled. With households at the
        address and no sibling given, the coordinator must choose; else the error says so."""
        data = self.cleaned_data
        if not self.households or data.get("sibling_bsn") or data.get("household_choice"):
            return True
        self.add_error(
            "household_choice",
            _("Er woont al een gezin op dit adres. Kies of het kind daarbij hoort."),
        )
        return False

    def new_child(self) -> NewChild:
        """The validated child for services.intake.referral_intake."""
        data = self.cleaned_data
        if data.get("sibling_bsn"):
            household = data["sibling_bsn"].household
        else:
            household = self.households.get(data.get("household_choice") or "")
        return NewChild(
            first_name=data["first_name"],
            tussenvoegsel=data["tussenvoegsel"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            bsn=data["bsn"] or None,
            onderwijsnummer=data["onderwijsnummer"] or None,
            school=data["school_brin"],
            household=household,
            street=data["street"],
            postcode=data["postcode"],
            city=data["city"],
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
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
    reason = forms.ChoiceField(
        label=_("Reden"),
        choices=[("", _("Kies een reden"))] + AssignmentReason.choices,
        error_messages={"required": _("Kies een reden.")},
    )
    note = forms.CharField(
        label=_("Toelichting"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Verplicht bij overdracht aan een andere professional."),
    )

    def __init__(self, *args: Any, is_reassignment: bool, **kwargs: Any) -> None:
        """`is_reassignment`: the case has a professional. Its reason is then a handover's
        own reason: "Eerste toewijzing" is not offered, and nothing is chosen beforehand."""
        super().__init__(*args, **kwargs)
        note = self.fields["note"]
        if is_reassignment:
            # A handover needs its note (cases.services.assignments refuses it without one).
            note.required = True
            note.help_text = _("Waarom gaat de zaak naar een andere professional?")
            note.error_messages["required"] = _(
                "Licht toe waarom de zaak naar een andere professional gaat."
            )
        else:
            note.help_text = ""
        if is_reassignment:
            reasons = [
                (value, label)
                for value, label in AssignmentReason.choices
                if value != AssignmentReason.INTAKE
            ]
            # The declared field type: Form.fields is typed as plain Field.
            cast(forms.ChoiceField, self.fields["reason"]).choices = [
                ("", _("Kies een reden")),
                *reasons,
            ]
