"""The bulk writer of the scaled demo world: one named row type per table, and a sink that
writes them with COPY (PostgreSQL) or executemany (elsewhere).

Each row type's fields are the table's columns in COPY order, so a row is built by name
(`CaseRow(id=..., number=...)`) and written as the tuple it is. `RowSink` checks at start that
every NOT NULL column without a database default is among them, so a field added to a model
later fails loudly here rather than in the middle of a million-row load.
"""

from __future__ import annotations

import datetime
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel

from cases.models import (
    Assignment,
    Case,
    CaseNumberCounter,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    StageChange,
)
from evaluation.models import (
    Allocation,
    AllocationDraw,
    AllocationSequence,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)

Moment = datetime.datetime
Day = datetime.date


class HouseholdRow(NamedTuple):
    id: int
    street: str
    postcode: str
    city: str
    created_at: Moment


class ChildRow(NamedTuple):
    id: int
    first_name: str
    tussenvoegsel: str
    last_name: str
    date_of_birth: Day
    bsn: str | None
    onderwijsnummer: str | None
    school_id: int | None
    household_id: int
    created_at: Moment


class GuardianRow(NamedTuple):
    id: int
    household_id: int
    child_id: int
    relation: str
    has_custody: bool
    name: str
    phone: str
    email: str


class CaseRow(NamedTuple):
    id: int
    number: str
    child_id: int
    date_received: Day
    source: str
    melding_type: str
    hours_absent: int
    times_late: int
    period_start: Day
    period_end: Day
    stage: str
    status: str
    professional_id: int | None
    arm: str
    three_month_deadline: Day
    closed_on: Day | None
    version: int
    created_at: Moment
    updated_at: Moment
    handover_requested_at: Moment | None


class AllocationRow(NamedTuple):
    id: int
    case_id: int
    arm: str
    method: str
    reason: str
    supersedes_id: int | None
    after_measurement: bool
    actor_id: int
    created_at: Moment


class AllocationDrawRow(NamedTuple):
    id: int
    allocation_id: int
    stratum: str
    sequence_position: int
    block_number: int
    block_size: int
    seed: str


class StageChangeRow(NamedTuple):
    id: int
    case_id: int
    from_stage: str
    to_stage: str
    from_status: str
    to_status: str
    reason: str
    halt_result: str
    pupil_consent: bool | None
    parent_consent: bool | None
    eligibility_override: bool
    actor_id: int
    changed_at: Moment


class AssignmentRow(NamedTuple):
    id: int
    case_id: int
    professional_id: int
    started_at: Moment
    ended_at: Moment | None
    reason: str
    note: str
    is_handover: bool
    assigned_by_id: int


class ContactRow(NamedTuple):
    id: int
    case_id: int
    professional_id: int
    role: str
    kind: str
    with_whom: str
    channel: str
    occurred_at: Moment
    duration_minutes: int
    summary: str
    caution_given: bool
    follow_up_on: Day | None
    created_at: Moment
    created_by_id: int


class OutcomeRow(NamedTuple):
    id: int
    case_id: int
    category: str
    achieved_on: Day
    recorded_by_id: int
    recorded_at: Moment


class HouseholdPlanRow(NamedTuple):
    id: int
    household_id: int
    created_at: Moment
    updated_at: Moment
    version: int


class PlanGoalRow(NamedTuple):
    id: int
    plan_id: int
    description: str
    position: int
    created_at: Moment


class PlanActionRow(NamedTuple):
    id: int
    plan_id: int
    goal_id: int
    description: str
    owner: str
    owner_professional_id: int | None
    due_on: Day
    done_on: Day | None


class PlanChangeRow(NamedTuple):
    id: int
    plan_id: int
    kind: str
    description: str
    actor_id: int
    changed_at: Moment


class SurveyInvitationRow(NamedTuple):
    id: int
    respondent_type: str
    case_id: int | None
    professional_id: int | None
    period_start: Day | None
    period_end: Day | None
    token_hash: str
    created_at: Moment
    expires_at: Moment
    used_at: Moment | None


class SurveyResponseRow(NamedTuple):
    id: int
    invitation_id: int
    respondent_type: str
    arm: str
    grade: int
    comment: str
    submitted_at: Moment


class SurveyAnswerRow(NamedTuple):
    id: int
    response_id: int
    item: str
    score: int


# Written in this order, parents before children.
ROW_TYPES: tuple[tuple[type[models.Model], type[tuple]], ...] = (
    (Household, HouseholdRow),
    (Child, ChildRow),
    (Guardian, GuardianRow),
    (Case, CaseRow),
    (Allocation, AllocationRow),
    (AllocationDraw, AllocationDrawRow),
    (StageChange, StageChangeRow),
    (Assignment, AssignmentRow),
    (Contact, ContactRow),
    (Outcome, OutcomeRow),
    (HouseholdPlan, HouseholdPlanRow),
    (PlanGoal, PlanGoalRow),
    (PlanAction, PlanActionRow),
    (PlanChange, PlanChangeRow),
    (SurveyInvitation, SurveyInvitationRow),
    (SurveyResponse, SurveyResponseRow),
    (SurveyAnswer, SurveyAnswerRow),
)


@dataclass
class _Table:
    model: type[models.Model]
    columns: tuple[str, ...]
    rows: list[Any] = field(default_factory=list)
    written: int = 0
    next_id: int = 0


# Emptied by reset_case_world(), children before parents, with the counters the case world
# advances. Models elsewhere that point at these are found by _case_world_dependants().
CASE_WORLD_MODELS = tuple(model for model, _ in reversed(ROW_TYPES)) + (
    CaseNumberCounter,
    AllocationSequence,
)


class SeedError(Exception):
    """The demo world cannot be written; the message says why."""


class Sink(Protocol):
    """Where the world builder (demo/scaled.py) puts its rows: `RowSink` writes them in bulk,
    `demo.replay.ServiceReplay` replays them through the product's services."""

    def rows(self, row_type: type[tuple]) -> list[Any]: ...

    def new_id(self, row_type: type[tuple]) -> int: ...

    def flush(self) -> None: ...


class RowSink:
    """Buffers rows per table and writes them: COPY on PostgreSQL, executemany elsewhere.

    On PostgreSQL a background thread streams each chunk with COPY while the next chunk is
    generated, so the database and Python work on the two cores at once. The thread uses the
    same psycopg connection, and so the same transaction; the main thread does not touch the
    database until `close()`.
    """

    def __init__(self) -> None:
        self.is_postgres = connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], _Table] = {}
        self._by_row_type: dict[type[tuple], _Table] = {}
        for model, row_type in ROW_TYPES:
            columns = row_type._fields  # type: ignore[attr-defined]
            self._check_columns(model, columns)
            table = _Table(model, columns)
            top = model._default_manager.aggregate(top=models.Max("id"))["top"]
            table.next_id = (top or 0) + 1
            self.tables[model] = table
            self._by_row_type[row_type] = table
        self._queue: queue.Queue | None = None
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._restore_sql: list[str] = []

    @staticmethod
    def _check_columns(model: type[models.Model], columns: tuple[str, ...]) -> None:
        # A field added to a model later must either be written here or fill itself.
        for model_field in model._meta.concrete_fields:
            if model_field.attname in columns or model_field.generated:
                continue  # a generated column (Child.search_key) the database computes
            if not (model_field.null or model_field.has_db_default()):
                raise SeedError(
                    f"seed_demo schrijft {model._meta.label}.{model_field.name} niet; "
                    "werk demo/rows.py bij."
                )

    def rows(self, row_type: type[tuple]) -> list[Any]:
        """The buffer that rows of `row_type` are appended to until the next flush."""
        return self._by_row_type[row_type].rows

    def new_id(self, row_type: type[tuple]) -> int:
        """The primary key of the next row of `row_type` (ids are assigned here, not by the
        database, so children can point at parents before either is written)."""
        table = self._by_row_type[row_type]
        table.next_id += 1
        return table.next_id - 1

    # -- writing -------------------------------------------------------------------------------

    def flush(self) -> None:
        """Hand the buffered rows to the writer and empty the buffers."""
        batch = []
        for table in self.tables.values():
            if table.rows:
                batch.append((table, table.rows[:]))
                table.written += len(table.rows)
                table.rows.clear()
        if not batch:
            return
        if not self.is_postgres:
            for table, rows in batch:
                self._insert(table, rows)
            return
        if self._writer is None:
            raw_connection = connection.connection
            self._queue = queue.Queue(maxsize=1)  # at most one chunk waits: bounded memory
            self._writer = threading.Thread(
                target=self._copy_loop, args=(raw_connection,), name="seed-demo-copy"
            )
            self._writer.start()
        self._raise_writer_error()
        assert self._queue is not None  # started with the writer above
        self._queue.put(batch)

    def close(self) -> None:
        """Wait until every row is written; re-raise a failure of the writer thread."""
        if self._writer is not None and self._queue is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        self._raise_writer_error()

    def _raise_writer_error(self) -> None:
        if self._error is not None:
            raise SeedError(f"Schrijven naar de database mislukt: {self._error}") from self._error

    def _copy_loop(self, raw_connection: Any) -> None:
        quote = connection.ops.quote_name
        assert self._queue is not None  # created before the thread starts
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain the queue so the main thread never blocks
            try:
                with raw_connection.cursor() as cursor:
                    for table, rows in batch:
                        columns = ", ".join(quote(column) for column in table.columns)
                        sql = f"COPY {quote(table.model._meta.db_table)} ({columns}) FROM STDIN"
                        with cursor.copy(sql) as copy:
                            write_row = copy.write_row
                            for row in rows:
                                write_row(row)
            except BaseException as error:  # handed to the main thread by close()
                self._error = error

    def _insert(self, table: _Table, rows: list) -> None:
        quote = connection.ops.quote_name
        model_fields: list[models.Field] = []
        for column in table.columns:
            model_field = table.model._meta.get_field(column)
            assert isinstance(model_field, models.Field)  # a column, not a reverse relation
            model_fields.append(model_field)
        columns = ", ".join(quote(column) for column in table.columns)
        placeholders = ", ".join(["%s"] * len(table.columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(table.model._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES ({placeholders})",
                [
                    [
                        f.get_db_prep_save(value, connection)
                        for f, value in zip(model_fields, row, strict=True)
                    ]
                    for row in rows
                ],
            )

    # -- PostgreSQL bulk load ------------------------------------------------------------------

    def drop_secondary_structures(self) -> None:
        """Drop the foreign keys, unique constraints and indexes (not the primary keys) of the
        tables written here, remembering how to rebuild them.

        PostgreSQL's own advice for populating a database: checking millions of deferred
        foreign keys row by row at commit and maintaining a dozen indexes per inserted row
        costs more than building each index once and validating each key with one join. It
        all happens inside the seeding transaction, so a failure restores everything.
        """
        tables = [table.model._meta.db_table for table in self.tables.values()]
        with connection.cursor() as cursor:
            _fire_deferred_constraint_checks(cursor)
            cursor.execute(
                """
                SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass,
                              c.conname),
                       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass,
                              c.conname, pg_get_constraintdef(c.oid)),
                       c.contype
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::text[]::regclass[])
                  AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (
                        SELECT 1 FROM pg_constraint f
                        WHERE f.contype = 'f' AND f.conindid = c.conindid)))
                """,
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT format('DROP INDEX %%s', i.indexrelid::regclass),
                       pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%s::text[]::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            # Foreign keys go first (a unique constraint may not be dropped under one) and
            # come back last, after the indexes they can use.
            ordered = sorted(constraints, key=lambda row: row[2] != "f")
            for drop, _, _ in ordered:
                cursor.execute(drop)
            for drop, _ in indexes:
                cursor.execute(drop)
        self._restore_sql = (
            [create for _, create in indexes]
            + [add for _, add, kind in constraints if kind == "u"]
            + [add for _, add, kind in constraints if kind == "f"]
        )

    def restore_secondary_structures(self) -> None:
        if not self._restore_sql:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in self._restore_sql:
                cursor.execute(sql)
            for table in self.tables.values():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table.model._meta.db_table)}")
        self._restore_sql = []

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    def counts(self) -> dict[str, int]:
        return {table.model._meta.label: table.written for table in self.tables.values()}


def _fire_deferred_constraint_checks(cursor: Any) -> None:
    """Run the foreign-key checks still pending in this transaction (PostgreSQL).

    TRUNCATE and ALTER TABLE refuse tables with pending trigger events, which rows written
    earlier in the same transaction leave behind (in a test, for instance).
    """
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _case_world_dependants() -> tuple[
    list[type[models.Model]], list[tuple[type[models.Model], str]]
]:
    """Models outside the case world with a foreign key into it, split by what deleting the
    case world means for them (their on_delete): rows to delete, columns to set to NULL."""
    world = set(CASE_WORLD_MODELS)
    to_delete: list[type[models.Model]] = []
    to_null: list[tuple[type[models.Model], str]] = []
    pending = list(CASE_WORLD_MODELS)
    while pending:
        for relation in pending.pop()._meta.get_fields(include_hidden=True):
            # Reverse relations only, hidden ones (related_name="+") included.
            if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
                continue
            dependant = relation.related_model
            if dependant in world:
                continue
            if relation.on_delete is models.CASCADE:
                world.add(dependant)
                to_delete.insert(0, dependant)
                pending.append(dependant)
            elif relation.on_delete is models.SET_NULL:
                to_null.append((dependant, str(relation.field.column)))
            else:
                raise SeedError(
                    f"{dependant._meta.label} verwijst naar {relation.model._meta.label} en "
                    "houdt zo zaken vast; --reset kan die zaken niet verwijderen."
                )
    return to_delete, to_null


def reset_case_world() -> None:
    """Delete every case and everything that hangs off it: children, households, contacts,
    plans, allocations, surveys (staff surveys too), case-number counters and randomisation
    sequences. Rows elsewhere that point at a case follow their on_delete. Accounts,
    organisations, qualifications and schools stay."""
    quote = connection.ops.quote_name
    to_delete, to_null = _case_world_dependants()
    tables = [quote(model._meta.db_table) for model in (*to_delete, *CASE_WORLD_MODELS)]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, column in to_null:
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = NULL "  # noqa: S608
                f"WHERE {quote(column)} IS NOT NULL"
            )
        if connection.vendor == "postgresql":
            _fire_deferred_constraint_checks(cursor)
            if not to_null:
                # Fast, but refused while any other table has a foreign key into these.
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
                return
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
