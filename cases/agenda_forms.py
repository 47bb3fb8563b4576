"""Forms for Mijn agenda and the coordinator's bulk reassignment (cases/agenda.py)."""

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from professionals.models import Professional

from .agenda import Reassignment
from .constants import AssignmentReason


class AgendaPeriodForm(forms.Form):
    """?datum=YYYY-MM-DD&weergave=week|dag. Bad values fall back to this week."""

    datum = forms.DateField(label=_("Datum"), required=False)
    weergave = forms.ChoiceField(
        label=_("Weergave"),
        required=False,
        choices=[("week", _("Week")), ("dag", _("Dag"))],
    )

    def period(self, today: datetime.date) -> tuple[datetime.date, bool]:
        """The day asked for and whether a week is shown."""
        if not self.is_valid():
            return today, True
        day = self.cleaned_data.get("datum") or today
        if not 2000 <= day.year <= 2100:
            day = today
        return day, self.cleaned_data.get("weergave") != "dag"


class BulkReassignForm(forms.Form):
    """One professional per open case (suggested first; empty: keep the case), and one reason
    and note for all the handovers."""

    reason = forms.ChoiceField(
        label=_("Reden"),
        choices=[("", "---------")] + list(AssignmentReason.choices),
        initial=AssignmentReason.ABSENCE,
    )
    note = forms.CharField(
        label=_("Toelichting"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Komt bij elke overdracht, bijvoorbeeld: ziekte van de professional."),
    )

    def __init__(self, *args: Any, plan: list[Reassignment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        # Every case offers the same team (the working professionals but the absent one):
        # the choices are built once, from the plan's own rows, with no query per case.
        team = sorted(plan[0].suggestions, key=lambda p: str(p)) if plan else []
        self.team: dict[int, Professional] = {
            professional.pk: professional for professional in team
        }
        options = [("", str(_("– niet overdragen –")))] + [
            (professional.pk, str(professional)) for professional in team
        ]
        for item in plan:
            case = item.case
            self.fields[f"case_{case.pk}"] = forms.TypedChoiceField(
                choices=options,
                coerce=int,
                empty_value=None,
                required=False,
                label=_("Nieuwe professional voor zaak %(number)s") % {"number": case.number},
                initial=item.suggested.pk if item.suggested is not None else None,
            )
            self.fields[f"version_{case.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=case.version, min_value=1, max_value=2**31 - 1
            )

    def case_fields(self) -> list[tuple[Reassignment, forms.BoundField]]:
        return [(item, self[f"case_{item.case.pk}"]) for item in self.plan]

    def choices(self) -> list[tuple[Any, Professional, int]]:
        """(case, new professional, version the coordinator saw) for every case to hand over."""
        chosen = []
        for item in self.plan:
            professional_pk = self.cleaned_data.get(f"case_{item.case.pk}")
            if professional_pk is not None:
                version = self.cleaned_data[f"version_{item.case.pk}"]
                chosen.append((item.case, self.team[professional_pk], version))
        return chosen

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.plan and not any(cleaned.get(f"case_{item.case.pk}") for item in self.plan):
            raise forms.ValidationError(_("Kies voor minstens één zaak een nieuwe professional."))
        return cleaned
