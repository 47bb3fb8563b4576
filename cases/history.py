"""Change history (before and after values) of case data, kept with django-auditlog.

Registered here, and imported from CasesConfig.ready(), rather than listed in
AUDITLOG_INCLUDE_TRACKING_MODELS: the list of tracked models and their excluded fields lives
next to the models, and settings stay free of model knowledge.

Every `save()` and `delete()` of a registered model writes a `auditlog.LogEntry` with the
changed fields as {field: [before, after]}. `HistoryMiddleware` (auditlog's middleware) sets
the actor and client address for changes made in a request. Writes that bypass signals
(`bulk_create`, `QuerySet.update()`) are either avoided in the services or logged explicitly
with `log_bulk_create()`, as the CSV import does. The functional administrator reads the
history in the admin (auditlog's LogEntryAdmin, read-only).

Not logged on purpose:
- `version` and `updated_at`: bumped by every service write, they carry no information.
- `Case.arm` (the as-treated arm): written only by `evaluation.services._case_arm_write`, which
  bumps the version and writes its own "arm: before -> after" entry with the actor; the
  append-only `evaluation.Allocation` log holds every allocation and correction with reason.
- StageChange and PlanChange: they are history rows themselves, written once and never changed.
- The demo seed (`seed_demo`) writes with COPY/executemany: generated data, not changes.
- `manage.py apply_retention` disables the history while it anonymises and then deletes the
  entries of the objects it anonymised or deleted, because they hold the removed values.
"""

import datetime
import ipaddress
import json
from collections.abc import Sequence

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.encoding import smart_str

from .models import (
    Assignment,
    Case,
    Child,
    Contact,
    Document,
    Guardian,
    Household,
    HouseholdPlan,
    Melding,
    Outcome,
    PlanAction,
    PlanGoal,
)

NOISY_FIELDS = ["version", "updated_at"]
# Set only by apply_retention with QuerySet.update(), which then deletes the object's history.
RETENTION_FIELDS = ["anonymised_at"]

# Model -> fields left out of its history.
TRACKED_MODELS: dict[type[models.Model], list[str]] = {
    Case: [*NOISY_FIELDS, *RETENTION_FIELDS, "arm"],
    # search_key is computed by the database from the names, which are logged themselves.
    Child: [*RETENTION_FIELDS, "search_key"],
    Household: RETENTION_FIELDS,
    Guardian: [],
    Contact: [],
    HouseholdPlan: NOISY_FIELDS,
    PlanGoal: [],
    PlanAction: [],
    Assignment: [],
    Outcome: [],
    # A melding added to an open case (cases.services.meldingen): who added it and when.
    Melding: [],
    # Written once by cases.services.documents; the history records who added it and when.
    Document: [],
}


def tracked_fields(model: type[models.Model]) -> list[str]:
    """The model's own columns minus the excluded ones.

    Listed explicitly because auditlog otherwise also diffs reverse relations: a created case
    would record "contacts: None -> cases.Contact.None" and query its reverse one-to-one
    `measurement` on every save.
    """
    excluded = set(TRACKED_MODELS[model])
    return [field.name for field in model._meta.concrete_fields if field.name not in excluded]


def register_history() -> None:
    """Connect auditlog's signals for the tracked models. Safe to call more than once."""
    for model in TRACKED_MODELS:
        if not auditlog.contains(model):
            auditlog.register(model, include_fields=tracked_fields(model))


class HistoryMiddleware(AuditlogMiddleware):
    """auditlog's middleware, with the client address the access log and lockout use.

    auditlog's own takes the leftmost X-Forwarded-For entry, which the client can forge; this
    one trusts only REVERSE_PROXY_COUNT proxies (bip.security.lockout.client_ip), and records
    no port (X-Forwarded-Port is as forgeable). It also clears auditlog's context after the
    request: auditlog leaves it set, and log_bulk_create would otherwise find a finished
    request's actor and address in the same thread.
    """

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = auditlog_value.set({})
        try:
            return super().__call__(request)
        finally:
            auditlog_value.reset(token)

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        from bip.security.lockout import client_ip

        try:
            return str(ipaddress.ip_address(client_ip(request) or ""))
        except ValueError:
            return None

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> None:
        return None


def _request_context() -> dict:
    """Actor and remote address that AuditlogMiddleware set for this request, if any."""
    try:
        return auditlog_value.get()
    except LookupError:
        return {}


def _created_changes(instance: models.Model, fields: Sequence[models.Field]) -> dict | None:
    """What auditlog's diff stores for a new object: {field: ["None", value]} per set field.

    The same values as `auditlog.diff.model_instance_diff(None, instance)` in its default text
    mode (AUDITLOG_STORE_JSON_CHANGES off), a foreign key as its id and a datetime as naive
    UTC, but about twenty times faster: the import logs 30,000 objects in one transaction.
    One difference: auditlog also records an empty datetime field as "None -> None"; that
    says nothing and is left out here.
    """
    changes = {}
    for field in fields:
        value = field.value_from_object(instance)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.make_naive(value, datetime.UTC)
        text = smart_str(value)
        if text != "None":
            changes[field.name] = ["None", text]
    return changes or None


# The columns log_bulk_create writes; the others (remote_port, serialized_data,
# additional_data) stay NULL, as auditlog leaves them for a plain save.
_BULK_COLUMNS = (
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes_text",
    "changes",
    "actor_id",
    "actor_email",
    "remote_addr",
    "cid",
    "timestamp",
)


# From this many entries on, PostgreSQL gets them by COPY. A COPY takes three round trips
# where an INSERT takes one, so the two entries of one API referral go faster as an INSERT.
COPY_FROM_ROWS = 20


def log_bulk_create(
    instances: Sequence[models.Model], *, actor: User | None, batch_size: int = 1000
) -> int:
    """Write the "created" history entries for objects saved with `bulk_create()`.

    `bulk_create` sends no signals, so auditlog sees nothing; this writes the entries its
    post_save receiver would (every tracked field as None -> value), with the actor and the
    request's client address. The instances must have their primary keys. Returns the number
    of entries written.

    COPY on PostgreSQL (from COPY_FROM_ROWS entries on) and multi-row INSERTs otherwise,
    rather than LogEntry.objects.bulk_create: for the 30,000 entries of a 10,000-line import
    the ORM's per-object overhead took four times as long.
    """
    if not instances:
        return 0
    model = type(instances[0])
    content_type_id = ContentType.objects.get_for_model(model).pk
    concrete = {field.name: field for field in model._meta.concrete_fields}
    fields = [concrete[name] for name in tracked_fields(model)]
    context = _request_context()
    connection = connections[router.db_for_write(LogEntry)]
    ops = connection.ops
    shared = {
        "actor_id": getattr(actor, "pk", None),
        "actor_email": getattr(actor, "email", None),
        "remote_addr": ops.adapt_ipaddressfield_value(context.get("remote_addr")),
        "cid": get_cid(),
        "timestamp": ops.adapt_datetimefield_value(timezone.now()),
    }
    rows = []
    for instance in instances:
        changes = _created_changes(instance, fields)
        entry = shared | {
            "content_type_id": content_type_id,
            "object_pk": str(instance.pk),
            "object_id": instance.pk,
            "object_repr": smart_str(instance),
            "action": LogEntry.Action.CREATE,
            "changes_text": "",
            "changes": None if changes is None else json.dumps(changes),
        }
        rows.append([entry[column] for column in _BULK_COLUMNS])
    quote = ops.quote_name
    table = quote(LogEntry._meta.db_table)
    columns = ", ".join(quote(column) for column in _BULK_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM_ROWS:
            # COPY: three to four times faster than multi-row INSERTs into a table with ten
            # indexes (measured: 30,000 entries).
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        # Quoted identifiers and placeholders only: no value is in the SQL text.
        insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        one_row = "(" + ", ".join(["%s"] * len(_BULK_COLUMNS)) + ")"
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                insert + ", ".join([one_row] * len(batch)),
                [value for row in batch for value in row],
            )
    return len(rows)
