"""Forms of the evaluation: the client and staff survey, a case's manual arm allocation."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import Arm, ExportDataset, ExportFormat, RespondentType
from .periods import MonthPeriod, MonthPeriodFormMixin
from .surveys import COMMENT_MAX_LENGTH, GRADES, item_text, items_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import DataFreeze

# The 5-point scale in words. The child's version in plain language.
SCALE = [
    (1, _("Helemaal mee oneens")),
    (2, _("Mee oneens")),
    (3, _("Niet mee eens en niet mee oneens")),
    (4, _("Mee eens")),
    (5, _("Helemaal mee eens")),
]
CHILD_SCALE = [
    (1, _("Nee, helemaal niet")),
    (2, _("Nee")),
    (3, _("Een beetje")),
    (4, _("Ja")),
    (5, _("Ja, helemaal")),
]

GRADE_LABELS: "dict[str, StrOrPromise]" = {
    RespondentType.CHILD: _("Je cijfer voor de hulp"),
    RespondentType.PARENT: _("Uw rapportcijfer voor de hulp"),
    RespondentType.STAFF: _("Je rapportcijfer voor je werk in deze periode"),
}
GRADE_HELP: "dict[str, StrOrPromise]" = {
    RespondentType.CHILD: _("1 is heel slecht, 10 is heel goed."),
    RespondentType.PARENT: _("1 is heel slecht, 10 is uitstekend."),
    RespondentType.STAFF: _("1 is heel slecht, 10 is uitstekend."),
}
COMMENT_LABELS: "dict[str, StrOrPromise]" = {
    RespondentType.CHILD: _("Je opmerking"),
    RespondentType.PARENT: _("Uw opmerking"),
    RespondentType.STAFF: _("Je opmerking"),
}
COMMENT_HELP: "dict[str, StrOrPromise]" = {
    RespondentType.CHILD: _("Wil je nog iets zeggen? Schrijf het hier. Je mag dit ook leeg laten."),
    RespondentType.PARENT: _(
        "Wilt u nog iets kwijt? Bijvoorbeeld wat goed ging of wat beter kan. Noem geen namen."
    ),
    RespondentType.STAFF: _(
        "Wil je nog iets kwijt? Bijvoorbeeld wat goed ging of wat beter kan. Noem geen namen."
    ),
}
CHOOSE_ANSWER: "dict[str, StrOrPromise]" = {
    RespondentType.CHILD: _("Kies een antwoord."),
    RespondentType.PARENT: _("Kies een antwoord bij deze stelling."),
    RespondentType.STAFF: _("Kies een antwoord bij deze stelling."),
}
CHOOSE_GRADE = _("Kies een cijfer van 1 tot en met 10.")


class SurveyForm(forms.Form):
    """The survey of one respondent type: a 5-point score per statement, a grade 1-10 and an
    optional comment. Every statement and the grade are required.

    The statements' field names are the SurveyItem values; `scores()` gives them as a dict.
    """

    def __init__(self, respondent_type: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.respondent_type = respondent_type
        self.items = items_for(respondent_type)
        scale = CHILD_SCALE if respondent_type == RespondentType.CHILD else SCALE
        choose = CHOOSE_ANSWER[respondent_type]
        for item in self.items:
            self.fields[item.value] = forms.TypedChoiceField(
                label=item_text(item, respondent_type),
                choices=scale,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": choose, "invalid_choice": choose},
            )
        self.fields["grade"] = forms.TypedChoiceField(
            label=GRADE_LABELS[respondent_type],
            help_text=GRADE_HELP[respondent_type],
            choices=[(grade, str(grade)) for grade in GRADES],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": CHOOSE_GRADE, "invalid_choice": CHOOSE_GRADE},
        )
        self.fields["comment"] = forms.CharField(
            label=COMMENT_LABELS[respondent_type],
            help_text=COMMENT_HELP[respondent_type],
            required=False,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 5}),
            error_messages={
                "max_length": _("Gebruik maximaal %(limit_value)d tekens (nu %(show_value)d).")
            },
        )

    def statement_fields(self) -> list[forms.BoundField]:
        return [self[item.value] for item in self.items]

    def scores(self) -> dict[str, int]:
        return {item.value: self.cleaned_data[item.value] for item in self.items}


# ------------------------------------------------------------------ data freezes

# The choice for the daily snapshot in a freeze picker (a freeze is chosen by its id).
DAILY_SNAPSHOT = "dagelijks"


class FreezeCreateForm(forms.Form):
    """The researcher's button for a data freeze: only its label."""

    label = forms.CharField(
        label=_("Label van de datafreeze"),
        max_length=40,
        help_text=_("Bijvoorbeeld T1. Uniek: een freeze wordt nooit overschreven."),
        error_messages={
            "required": _("Geef de datafreeze een label, bijvoorbeeld T1."),
            "max_length": _("Een label is hoogstens %(limit_value)d tekens lang."),
        },
    )


class FreezeChoiceForm(forms.Form):
    """Which measurements a report or export reads: a freeze (default the latest) or, by
    choice or when there is no freeze, the daily snapshot. `freezes` is newest first."""

    freeze = forms.ChoiceField(
        label=_("Metingen uit"),
        required=False,
        error_messages={"invalid_choice": _("Kies een van de datafreezes.")},
    )

    def __init__(self, *args: Any, freezes: "Iterable[DataFreeze]", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.freezes = {str(freeze.pk): freeze for freeze in freezes}
        field = self.fields["freeze"]
        assert isinstance(field, forms.ChoiceField)  # declared above
        field.choices = [
            *(
                (key, _("Datafreeze %(label)s") % {"label": freeze.label})
                for key, freeze in self.freezes.items()
            ),
            (DAILY_SNAPSHOT, _("Dagelijkse driemaandsmeting (geen freeze)")),
        ]
        field.initial = next(iter(self.freezes), DAILY_SNAPSHOT)

    def chosen(self) -> "DataFreeze | None":
        """The chosen DataFreeze, or None for the daily snapshot; call after is_valid()."""
        key = self.cleaned_data.get("freeze") or next(iter(self.freezes), DAILY_SNAPSHOT)
        return self.freezes.get(key)


class ReportPeriodForm(MonthPeriodFormMixin, forms.Form):
    """The report's period: whole months `van` to `tot` (both included); empty bounds are the
    study's. The report widens it to whole disclosure blocks (`disclosure.period_blocks`)."""


class AllocationForm(forms.Form):
    arm = forms.ChoiceField(label=_("Arm"), choices=Arm.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reden"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Een handmatige toewijzing of correctie wordt met deze reden gelogd."),
        error_messages={
            "required": _(
                "Geef een reden: een handmatige toewijzing of correctie wordt met de reden gelogd."
            )
        },
    )


class ExportRequestForm(MonthPeriodFormMixin, forms.Form):
    """Dataset, file format and the referral months (whole months, as in the report; both
    empty: every month)."""

    dataset = forms.ChoiceField(
        label=_("Dataset"),
        choices=ExportDataset.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies een dataset."),
            "invalid_choice": _("Kies een van de datasets."),
        },
    )
    file_format = forms.ChoiceField(
        label=_("Bestandsformaat"),
        choices=ExportFormat.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies een bestandsformaat."),
            "invalid_choice": _("Kies een van de bestandsformaten."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Unlike the report, an export without months covers every referral.
        for name in ("van", "tot"):
            self.fields[name].initial = None
        self.fields["van"].help_text = _("Leeg: vanaf de eerste melding.")
        self.fields["tot"].help_text = _("Leeg: tot en met de laatste melding.")

    def period(self) -> MonthPeriod | None:
        """The chosen whole months, or None (every month) when both are empty."""
        if not (self.cleaned_data.get("van") or self.cleaned_data.get("tot")):
            return None
        return self.month_period()
