"""Inzage (GDPR article 15): everything held about one child, and who accessed it.

`child_file(child_id)` builds one plain dict that both the HTML page and the JSON download
render, so the two can never differ. Its query count is fixed, whatever the number of cases,
contacts or log entries (prefetching; tested).

What is in it: the child, school, household and the household's guardians (shared by its
children, wherever they were first recorded); every case with its stage changes,
assignments, contacts (with summaries), outcomes, study-arm allocations, survey invitations
(never the token, not even its hash) and answers, and the three-month measurement; the
household plan with goals, actions and changes; the change history (django-auditlog) of all
of these; and the access log: entries about the child's own file, and views of a sibling's
file, whose household panel shows this child as well, both by logged-in users only (an old
entry for a request that was not logged in saw nothing; see audit.selectors.looks_at_child).

Left out on purpose: the siblings' own data (their own inzage covers it), the staff's IP
addresses and browsers in the access log (personal data of staff, not of the child), the
randomisation internals (block, position, seed), and the CSV import's cells (deleted once an
import is confirmed or cancelled).
"""

import datetime
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Assignment,
    Case,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    School,
    StageChange,
)
from evaluation.models import (
    Allocation,
    Measurement,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)

from .models import AccessLogEntry
from .selectors import looks_at_child, looks_via_household

FORMAT_VERSION = 1

CHILD_FIELDS = [
    "first_name",
    "tussenvoegsel",
    "last_name",
    "date_of_birth",
    "bsn",
    "onderwijsnummer",
    "created_at",
]
SCHOOL_FIELDS = ["brin", "name", "level", "city"]
HOUSEHOLD_FIELDS = ["street", "postcode", "city", "created_at"]
# Everything held about a guardian (shared by the household: cases.models.Guardian). Not the
# child in whose file they were first recorded: that may be a sibling.
GUARDIAN_FIELDS = [
    "name",
    "relation",
    "has_custody",
    "phone",
    "email",
    "street",
    "postcode",
    "city",
    "preferred_language",
]
CASE_FIELDS = [
    "number",
    "date_received",
    "source",
    "melding_type",
    "hours_absent",
    "times_late",
    "period_start",
    "period_end",
    "stage",
    "status",
    "professional",
    "arm",
    "three_month_deadline",
    "handover_requested_at",
    "closed_on",
    "created_at",
]
STAGE_CHANGE_FIELDS = [
    "changed_at",
    "from_stage",
    "to_stage",
    "from_status",
    "to_status",
    "reason",
    "halt_result",
    "pupil_consent",
    "parent_consent",
    "eligibility_override",
    "actor",
]
ASSIGNMENT_FIELDS = [
    "started_at",
    "ended_at",
    "professional",
    "reason",
    "note",
    "is_handover",
    "assigned_by",
]
CONTACT_FIELDS = [
    "occurred_at",
    "professional",
    "role",
    "kind",
    "with_whom",
    "channel",
    "duration_minutes",
    "summary",
    "caution_given",
    "follow_up_on",
    "created_at",
    "created_by",
]
OUTCOME_FIELDS = ["category", "achieved_on", "recorded_by", "recorded_at"]
ALLOCATION_FIELDS = ["created_at", "arm", "method", "reason", "actor"]
INVITATION_FIELDS = ["respondent_type", "created_at", "expires_at", "used_at"]
RESPONSE_FIELDS = ["submitted_at", "grade", "comment"]
MEASUREMENT_FIELDS = [
    "measured_on",
    "status",
    "suitable",
    "outcome_category",
    "days_to_outcome",
    "days_to_first_contact",
    "distinct_professionals",
    "handovers",
    "contacts",
    "furthest_stage",
]
GOAL_FIELDS = ["description", "created_at"]
ACTION_FIELDS = ["description", "goal", "owner", "owner_professional", "due_on", "done_on"]
PLAN_CHANGE_FIELDS = ["changed_at", "kind", "description", "actor"]

# Labels for the keys that are not a model field (the model fields use their verbose_name).
EXTRA_LABELS = {
    "id": _("id"),
    "answers": _("scores per stelling"),
    "response": _("antwoord"),
    "model": _("soort gegeven"),
    "object_id": _("record-id"),
    "action": _("actie"),
    "changes": _("wijzigingen (oud → nieuw)"),
    "actor": _("door"),
    "timestamp": _("tijdstip"),
    "occurred_at": _("tijdstip"),
    "user": _("gebruiker"),
    "role": _("rol"),
    "acting_on_behalf_of": _("namens"),
    "object_type": _("soort record"),
    "case_number": _("zaak"),
    "result": _("resultaat"),
}
# django-auditlog's actions (create, update, delete, access), in Dutch.
HISTORY_ACTIONS = {
    0: _("aangemaakt"),
    1: _("gewijzigd"),
    2: _("verwijderd"),
    3: _("ingezien"),
}
# Keys holding nested records: the HTML page shows them under their own heading.
NESTED_KEYS = frozenset(
    {
        "stage_changes",
        "assignments",
        "contacts",
        "outcomes",
        "allocations",
        "survey_invitations",
        "measurement",
        "response",
        "goals",
        "actions",
    }
)
# Where the other keys' labels come from, in this order.
LABEL_MODELS = (
    Case,
    Child,
    School,
    Household,
    Guardian,
    Contact,
    StageChange,
    Assignment,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    Allocation,
    SurveyInvitation,
    SurveyResponse,
    Measurement,
)


def child_file(child_id: int) -> dict[str, Any] | None:
    """The complete file of child `child_id` as plain data, or None if there is no such child."""
    child = Child.objects.select_related("school", "household").filter(pk=child_id).first()
    if child is None:
        return None
    guardians = list(Guardian.objects.of_household(child.household_id))
    cases = list(_cases_of(child))
    plan = (
        HouseholdPlan.objects.filter(household_id=child.household_id)
        .prefetch_related(
            Prefetch("goals", queryset=PlanGoal.objects.order_by("position", "id")),
            Prefetch(
                "actions",
                queryset=PlanAction.objects.select_related(
                    "goal", "owner_professional__user", "owner_professional__organisation"
                ).order_by("due_on", "id"),
            ),
            Prefetch(
                "changes",
                queryset=PlanChange.objects.select_related("actor").order_by("changed_at", "id"),
            ),
        )
        .first()
    )
    household = child.household
    return {
        "format_version": FORMAT_VERSION,
        "produced_at": timezone.now(),
        "child": {"id": child.pk, **_values(child, CHILD_FIELDS)},
        "school": _values(child.school, SCHOOL_FIELDS) if child.school else None,
        "household": {"id": household.pk, **_values(household, HOUSEHOLD_FIELDS)},
        "guardians": [_values(guardian, GUARDIAN_FIELDS) for guardian in guardians],
        "cases": [_case_record(case) for case in cases],
        "household_plan": _plan_record(plan) if plan else None,
        "change_history": _change_history(child, guardians, cases, plan),
        "access_log": [
            _access_record(entry)
            for entry in looks_at_child(child.pk)
            .select_related("actor")
            .order_by("occurred_at", "id")
        ],
        "access_log_via_household": [
            _access_record(entry)
            for entry in looks_via_household(household.pk, child_id=child.pk)
            .select_related("actor")
            .order_by("occurred_at", "id")
        ],
    }


def label(key: str) -> str:
    """The Dutch label of a key in the file, for the HTML page."""
    if key in EXTRA_LABELS:
        return str(EXTRA_LABELS[key])
    for model in LABEL_MODELS:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        # A reverse relation (not a Field) has no label.
        if isinstance(field, models.Field) and (not field.auto_created or field.concrete):
            return str(field.verbose_name)
    return key


def _cases_of(child: Child) -> models.QuerySet[Case]:
    person = ["professional__user", "professional__organisation"]
    return (
        Case.objects.filter(child=child)
        .select_related(*person, "measurement")
        .prefetch_related(
            Prefetch(
                "stage_changes",
                queryset=StageChange.objects.select_related("actor").order_by("changed_at", "id"),
            ),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related(*person, "assigned_by").order_by(
                    "started_at", "id"
                ),
            ),
            Prefetch(
                "contacts",
                queryset=Contact.objects.select_related(*person, "created_by").order_by(
                    "occurred_at", "id"
                ),
            ),
            Prefetch(
                "outcomes",
                queryset=Outcome.objects.select_related("recorded_by").order_by(
                    "recorded_at", "id"
                ),
            ),
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("actor").order_by("created_at", "id"),
            ),
            Prefetch(
                "survey_invitations",
                queryset=SurveyInvitation.objects.select_related("response")
                .prefetch_related(
                    Prefetch("response__answers", queryset=SurveyAnswer.objects.order_by("item"))
                )
                .order_by("created_at", "id"),
            ),
        )
        .order_by("date_received", "id")
    )


def _case_record(case: Case) -> dict[str, Any]:
    measurement = getattr(case, "measurement", None) if _has_measurement(case) else None
    return {
        "id": case.pk,
        **_values(case, CASE_FIELDS),
        "stage_changes": [_values(row, STAGE_CHANGE_FIELDS) for row in case.stage_changes.all()],
        "assignments": [_values(row, ASSIGNMENT_FIELDS) for row in case.assignments.all()],
        "contacts": [_values(row, CONTACT_FIELDS) for row in case.contacts.all()],
        "outcomes": [_values(row, OUTCOME_FIELDS) for row in case.outcomes.all()],
        "allocations": [_values(row, ALLOCATION_FIELDS) for row in case.allocations.all()],
        "survey_invitations": [
            _invitation_record(invitation) for invitation in case.survey_invitations.all()
        ],
        "measurement": _values(measurement, MEASUREMENT_FIELDS) if measurement else None,
    }


def _has_measurement(case: Case) -> bool:
    try:
        case.measurement  # noqa: B018 - loaded by select_related; absent raises
    except models.ObjectDoesNotExist:
        return False
    return True


def _invitation_record(invitation: SurveyInvitation) -> dict[str, Any]:
    record = _values(invitation, INVITATION_FIELDS)
    response = getattr(invitation, "response", None) if _has_response(invitation) else None
    record["response"] = (
        {
            **_values(response, RESPONSE_FIELDS),
            "answers": {
                answer.get_item_display(): answer.score for answer in response.answers.all()
            },
        }
        if response
        else None
    )
    return record


def _has_response(invitation: SurveyInvitation) -> bool:
    try:
        invitation.response  # noqa: B018
    except models.ObjectDoesNotExist:
        return False
    return True


def _plan_record(plan: HouseholdPlan) -> dict[str, Any]:
    return {
        "created_at": plan.created_at,
        "goals": [_values(goal, GOAL_FIELDS) for goal in plan.goals.all()],
        "actions": [_values(action, ACTION_FIELDS) for action in plan.actions.all()],
        "changes": [_values(change, PLAN_CHANGE_FIELDS) for change in plan.changes.all()],
    }


def _change_history(
    child: Child, guardians: list[Guardian], cases: list[Case], plan: HouseholdPlan | None
) -> list[dict[str, Any]]:
    """The before and after values (django-auditlog) of every record in the file. One query."""
    if not apps.is_installed("auditlog"):
        return []
    from auditlog.models import LogEntry

    objects: dict[type[models.Model], list[int]] = {
        Child: [child.pk],
        Household: [child.household_id],
        Guardian: [guardian.pk for guardian in guardians],
        Case: [case.pk for case in cases],
        Contact: [row.pk for case in cases for row in case.contacts.all()],
        Assignment: [row.pk for case in cases for row in case.assignments.all()],
        Outcome: [row.pk for case in cases for row in case.outcomes.all()],
    }
    if plan is not None:
        objects[HouseholdPlan] = [plan.pk]
        objects[PlanGoal] = [goal.pk for goal in plan.goals.all()]
        objects[PlanAction] = [action.pk for action in plan.actions.all()]
    content_types = ContentType.objects.get_for_models(*objects)
    condition = Q()
    for model, pks in objects.items():
        if pks:
            condition |= Q(content_type=content_types[model], object_pk__in=[str(pk) for pk in pks])
    entries = (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("timestamp", "id")
    )
    return [
        {
            "timestamp": entry.timestamp,
            "model": str(entry.content_type.model_class()._meta.verbose_name)
            if entry.content_type.model_class()
            else entry.content_type.model,
            "object_id": entry.object_pk,
            "action": str(HISTORY_ACTIONS.get(entry.action, entry.get_action_display())),
            "changes": {
                field: [None if value == "None" else value for value in values]
                if isinstance(values, list)
                else values
                for field, values in (entry.changes or {}).items()
            },
            "actor": _person(entry.actor),
        }
        for entry in entries
    ]


def _access_record(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "occurred_at": entry.occurred_at,
        "user": _person(entry.actor) if entry.actor else entry.actor_username,
        "role": entry.actor_role,
        "acting_on_behalf_of": entry.acting_on_behalf_of,
        "action": entry.get_action_display(),
        "object_type": entry.get_object_type_display(),
        "case_id": entry.case_id,
        "result": entry.get_result_display(),
    }


def _values(obj: models.Model, names: list[str]) -> dict[str, Any]:
    """The named fields of `obj`: choice labels, people by name, the rest as stored."""
    record: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        if field.is_relation or not isinstance(field, models.Field):
            related = getattr(obj, name)
            record[name] = _person(related) if related is not None else None
        elif field.choices and getattr(obj, field.attname) not in ("", None):
            record[name] = str(getattr(obj, f"get_{name}_display")())
        else:
            value = getattr(obj, field.attname)
            record[name] = value if value != "" else None
    return record


def _person(obj: object) -> str | None:
    """A user or professional by name; other related records by their own description."""
    if obj is None:
        return None
    user_model = apps.get_model("auth", "User")
    if isinstance(obj, user_model):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()
    organisation = getattr(obj, "organisation", None)
    if organisation is not None and hasattr(obj, "user"):
        return f"{_person(obj.user)}, {organisation.name}"
    return str(obj)


def as_json_ready(value: Any) -> Any:
    """Dates as ISO 8601 (aware datetimes in UTC), for the JSON download."""
    if isinstance(value, dict):
        return {key: as_json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json_ready(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
