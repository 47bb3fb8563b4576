"""Every dataset's CSV rows made by PostgreSQL itself (COPY ... TO STDOUT, CSV).

On PostgreSQL the export of the cases does not bring a million rows into Python as tuples to
turn them into text again: one SELECT computes the exported columns (the released
quasi-identifiers, the bands, weeks and missing codes) and COPY writes them as CSV. Python
replaces the five ids at the start of each line by their pseudonyms and passes the text on to
the files (`writers.write_csv`); the SPSS export reads the same text back into its frame
(`writers.spss_frame_of_copy`), the Excel export into its cells (`writers.records_of_copy`).
The contacts (`contact_rows_sql`: two ids, the weeks from the referral) and the survey
responses (`survey_rows_sql`: each response with its answers as one column per statement) go
the same way. SQLite, and an export inside a transaction, use the rows of `datasets`
(`case_chunks`, `contact_chunks`, `survey_chunks`), which stay the definition: the SQL here
follows them column for column, and the tests compare the files of both, byte for byte, on
worlds that reach every branch (freeze or daily snapshot, every measurement status, every
k-anonymity level, no school, no professional, leap-day birthdays, contacts and responses around
midnight in Dutch time, staff responses without a case, unanswered statements).

The pseudonyms stay in Python (`Pseudonymiser.of_kind`, as for every other export): their key,
or anything that stands for it, is never sent to the database, where a statement log or
pg_stat_activity would show it next to the ids it links.

What the SQL takes from Python rather than restating it:
- the released quasi-identifier columns and period end of every combination in the plan,
  computed by `datasets.release` and passed as one JSON object that each row looks its
  combination up in (a combination missing from the plan is fully withheld, as
  `GeneralisationPlan.level` says);
- the bands, the missing codes, the censored statuses and the top-coded weeks, from the same
  constants.

One COPY reads all rows, on a connection of its own (see `case_copy_blocks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from ..constants import CLIENT_RESPONDENTS
from ..definitions import CENSORED_STATUSES, MeasurementStatus
from .datasets import (
    CASE_PSEUDONYM_KINDS,
    CASE_SOURCE_COLUMNS,
    CENSORED_CODE,
    CONTACT_SOURCE_COLUMNS,
    HOURS_ABSENT_BANDS,
    KM_FULL_WEEKS,
    MEASURE_FIELDS,
    NOT_APPLICABLE_CODE,
    NOT_MEASURED,
    NOT_MEASURED_CODE,
    SURVEY_ITEMS,
    SURVEY_SOURCE_COLUMNS,
    TIMES_LATE_BANDS,
    WITHHELD_CODE,
    case_source_rows,
    contact_source_rows,
    release,
    survey_source_rows,
)
from .kanonymity import GeneralisationPlan, Identifiers
from .pseudonyms import CASE, PROFESSIONAL, RESPONSE

if TYPE_CHECKING:
    from ..models import DataFreeze
    from ..periods import MonthPeriod
    from .pseudonyms import Pseudonymiser

# Rows per block: the export's progress is written after each.
DEFAULT_BLOCK_ROWS = 5_000

# The five id columns a line starts with; CASE_PSEUDONYM_KINDS are their pseudonyms' kinds.
_ID_COLUMNS = CASE_SOURCE_COLUMNS[: len(CASE_PSEUDONYM_KINDS)]
# The released quasi-identifiers in the exported row's order (year, quarter, month, age, age
# group, melding type, school, source) as indexes into `datasets.release`'s columns (which
# are in QUASI_IDENTIFIERS order).
_RELEASED_ORDER = (3, 4, 5, 0, 1, 6, 2, 7)


@dataclass(frozen=True)
class CopyBlock:
    """Rows as PostgreSQL's COPY wrote them: CSV with `;` and LF line ends, no header."""

    text: str
    rows: int

    def __len__(self) -> int:
        return self.rows


_CODE = re.compile(r"[A-Za-z0-9_+\- ]*")


def _code(value: str) -> str:
    """One of our own codes ('gemeten', '1-8') as an SQL string literal. Only letters, digits,
    '_', '+', '-' and spaces pass, so nothing can leave the quotes; anything else is refused."""
    if not _CODE.fullmatch(value):
        raise ValueError(f"not a code: {value!r}")
    return f"'{value}'"


def _band(column: str, bands: tuple[tuple[str, int, int | None], ...]) -> str:
    """`datasets.band` in SQL: the first band the value falls in, else the first band."""
    whens = []
    for code, low, high in bands:
        upper = "" if high is None else f" AND {column} <= {int(high)}"
        whens.append(f"WHEN {column} >= {int(low)}{upper} THEN {_code(code)}")
    return f"CASE {' '.join(whens)} ELSE {_code(bands[0][0])} END"


def _weeks(days: str) -> str:
    """`datasets.weeks`: whole weeks, rounded down (also below zero, unlike SQL's division)."""
    return f"floor(({days})::numeric / 7)::int"


def _measures(m: dict[str, str], period_end: str) -> list[str]:
    """`datasets.exported_measures` in SQL, over the measurement columns named in `m`."""
    status = m["status"]
    measured = f"NULLIF({status}, '') IS NOT NULL"
    censored = f"{status} IN ({', '.join(_code(code) for code in CENSORED_STATUSES)})"
    unknown = f"(CASE WHEN {censored} THEN {CENSORED_CODE} ELSE {NOT_APPLICABLE_CODE} END)"
    km_weeks = (
        f"CASE WHEN {m['km_event']} THEN {_weeks(m['km_days'])} "
        f"WHEN {status} = {_code(MeasurementStatus.MEASURED)} "
        f"THEN {KM_FULL_WEEKS} "
        f"WHEN {status} = {_code(MeasurementStatus.CENSORED)} THEN "
        f"CASE WHEN {period_end} IS NULL THEN 0 ELSE greatest(0, "
        f"{_weeks(f's.received + {m["km_days"]} - {period_end}')}) END "
        f"ELSE {_weeks(m['km_days'])} END"
    )
    columns = [
        f"CASE WHEN {m['suitable']} IS NULL THEN {CENSORED_CODE} ELSE {m['suitable']}::int END",
        f"COALESCE(NULLIF({m['outcome_category']}, ''), {unknown}::text)",
        f"CASE WHEN {m['days_to_outcome']} IS NULL THEN {unknown} "
        f"ELSE {_weeks(m['days_to_outcome'])} END",
        f"CASE WHEN {m['days_to_first_contact']} IS NULL THEN {unknown} "
        f"ELSE {_weeks(m['days_to_first_contact'])} END",
        m["distinct_professionals"],
        m["handovers"],
        m["contacts"],
        f"NULLIF({m['furthest_stage']}, '')",
        km_weeks,
        f"{m['km_event']}::int",
        m["definitions_version"],
    ]
    return [f"CASE WHEN {measured} THEN {status} ELSE {_code(NOT_MEASURED)} END"] + [
        f"CASE WHEN {measured} THEN ({column})::text ELSE '{NOT_MEASURED_CODE}' END"
        for column in columns
    ]


def plan_key(identifiers: Identifiers) -> str:
    """A combination of quasi-identifiers as one text, as `_PLAN_KEY` spells it in SQL."""
    return "|".join(str(value) for value in identifiers)


def _day_number(column: str) -> str:
    """A date as the number YYYYMMDD (date_part: a float, cheaper than extract's numeric)."""
    return (
        f"(date_part('year', {column}) * 10000 + date_part('month', {column}) * 100"
        f" + date_part('day', {column}))::int"
    )


# The key of a row's combination: age at the referral (whole years between the YYYYMMDD
# numbers: a year younger before the birthday's month and day, as `age_on`), school level (''
# without a school), year and month of the referral, melding type and source.
_PLAN_KEY = (
    f"((({_day_number('s.received')} - {_day_number('s.born')}) / 10000)::text"
    " || '|' || COALESCE(s.school_level, '') || '|' || date_part('year', s.received)::int::text"
    " || '|' || date_part('month', s.received)::int::text || '|' || s.melding_type"
    " || '|' || s.source)"
)


def _released_object(plan: GeneralisationPlan) -> str:
    """The plan as a JSON object: per combination's key, its eight released columns in the
    exported row's order (as text, as the CSV writes them) and its period end."""
    released = {}
    for identifiers in plan.levels:
        columns, period_end = release(identifiers, plan.levels)
        released[plan_key(identifiers)] = [
            *(str(columns[index]) for index in _RELEASED_ORDER),
            None if period_end is None else period_end.isoformat(),
        ]
    return json.dumps(released, separators=(",", ":"))


def case_rows_sql(
    *,
    plan: GeneralisationPlan,
    freeze: DataFreeze | None,
    period: MonthPeriod | None,
) -> tuple[str, list]:
    """The SELECT of the exported case rows, in id order, and its parameters. The first five
    columns are the ids that `case_copy_blocks` replaces by their pseudonyms."""
    source_sql, source_params = case_source_rows(period, freeze).query.sql_with_params()
    source_columns = list(CASE_SOURCE_COLUMNS)
    if freeze is None:
        source_columns += ["m_status", *(f"m_{field}" for field in MEASURE_FIELDS)]
        m = {"status": "s.m_status", **{field: f"s.m_{field}" for field in MEASURE_FIELDS}}
    else:
        m = {"status": "f.status", **{field: f"f.{field}" for field in MEASURE_FIELDS}}
        m["definitions_version"] = str(int(freeze.definitions_version))
    withheld = _code(str(WITHHELD_CODE))
    released = [
        f"COALESCE(s.released ->> {index}, {withheld})" for index in range(len(_RELEASED_ORDER))
    ]
    select = [
        *(f"s.{column}" for column in _ID_COLUMNS),
        "NULLIF(s.itt_arm, '')",
        "NULLIF(s.itt_method, '')",
        "s.corrected::int",
        "s.deviation::int",
        "NULLIF(s.arm, '')",
        *released,
        _band("s.hours_absent", HOURS_ABSENT_BANDS),
        _band("s.times_late", TIMES_LATE_BANDS),
        "NULLIF(s.stage, '')",
        "NULLIF(s.status, '')",
        *_measures(m, f"(s.released ->> {len(_RELEASED_ORDER)})::date"),
    ]
    # Built from our own column expressions and codes (see _code); values are parameters.
    # Each row looks its combination up in the plan (a JSON object) in place of a join, so the
    # rows stay in id order, unsorted. OFFSET 0 keeps the lookup in its subquery: once per row,
    # not once per column that reads it. The subquery's own ORDER BY tells the planner that its
    # rows come in id order already (they do: the source is merge-joined on the case id), so
    # the outer ORDER BY takes no sort: without it, PostgreSQL sorted all rows (1M rows: 190 MB
    # on disk) before the first one came out, and the export waited for them.
    text = (
        f"SELECT {', '.join(select)} FROM (SELECT s.*, %s::jsonb -> {_PLAN_KEY} AS released"  # noqa: S608
        f" FROM ({source_sql}) AS s({', '.join(source_columns)}) ORDER BY s.case_id OFFSET 0)"
        " AS s"
    )
    params = [_released_object(plan), *source_params]
    if freeze is not None:
        text += (
            " LEFT JOIN evaluation_frozenmeasurement f"
            f" ON f.case_id = s.case_id AND f.freeze_id = {int(freeze.pk)}"
        )
    text += " ORDER BY s.case_id"
    return text, params


def case_copy_blocks(
    pseudonymise: Pseudonymiser,
    *,
    plan: GeneralisationPlan,
    freeze: DataFreeze | None = None,
    period: MonthPeriod | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Iterator[CopyBlock]:
    """The exported case rows as CSV text, `block_rows` rows per block, from one COPY, with
    the ids replaced by their pseudonyms.

    The COPY runs on a connection of its own, so that the export can write its progress on
    Django's connection between two blocks (a connection with a COPY in progress takes no other
    statement). That connection sees only committed rows: call this outside a transaction
    (`datasets.case_chunks` reads uncommitted rows too).
    """
    text, params = case_rows_sql(plan=plan, freeze=freeze, period=period)
    return _copy_blocks(text, params, _pseudonymised_line(pseudonymise), block_rows)


def contact_rows_sql(period: MonthPeriod | None) -> tuple[str, list]:
    """The SELECT of the exported contact rows (`datasets.contact_chunks`), in id order, and
    its parameters. The first two columns are the case and professional ids that
    `contact_copy_blocks` replaces by their pseudonyms."""
    source_sql, source_params = contact_source_rows(period).query.sql_with_params()
    names = ["id", *(column.replace("__", "_") for column in CONTACT_SOURCE_COLUMNS)]
    texts = ("itt_arm", "case_arm", "professional_organisation_kind", "role", "kind")
    select = [
        "s.case_id",
        "s.professional_id",
        *(f"NULLIF(s.{name}, '')" for name in (*texts, "with_whom", "channel")),
        "s.duration_minutes",
        # Whole weeks from the referral to the contact's day in Dutch time (`_local_date`).
        _weeks("(s.occurred_at AT TIME ZONE %s)::date - s.case_date_received"),
        "s.caution_given::int",
    ]
    # Built from our own column names; values are parameters.
    text = (
        f"SELECT {', '.join(select)} FROM ({source_sql}) AS s({', '.join(names)})"  # noqa: S608
        " ORDER BY s.id"
    )
    return text, [settings.TIME_ZONE, *source_params]


def contact_copy_blocks(
    pseudonymise: Pseudonymiser,
    *,
    period: MonthPeriod | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Iterator[CopyBlock]:
    """The exported contact rows as CSV text, as `case_copy_blocks` gives the cases'."""
    text, params = contact_rows_sql(period)
    pseudonymised = _leading_ids_pseudonymised(pseudonymise, (CASE, PROFESSIONAL))
    return _copy_blocks(text, params, pseudonymised, block_rows)


def survey_rows_sql(period: MonthPeriod | None) -> tuple[str, list]:
    """The SELECT of the exported survey responses (`datasets.survey_chunks`), in id order,
    and its parameters: each response with its answers as one column per statement. The first
    two columns are the response id and, for a child or parent, the case id, which
    `survey_copy_blocks` replaces by their pseudonyms."""
    source_sql, source_params = survey_source_rows(period).query.sql_with_params()
    names = [column.replace("__", "_") for column in SURVEY_SOURCE_COLUMNS]
    client = (
        f"s.respondent_type IN ({', '.join(_code(str(t)) for t in sorted(CLIENT_RESPONDENTS))})"
    )
    local = "(s.submitted_at AT TIME ZONE %s)"
    answers = ", ".join(
        f"max(a.score) FILTER (WHERE a.item = {_code(item.value)})" for item in SURVEY_ITEMS
    )
    select = [
        "s.pk",
        f"CASE WHEN {client} THEN s.invitation_case_id END",
        "NULLIF(s.respondent_type, '')",
        "NULLIF(s.study_arm, '')",
        "s.grade",
        *(f"a.scores[{index}]" for index in range(1, len(SURVEY_ITEMS) + 1)),
        f"CASE WHEN {client} AND s.invitation_case_date_received IS NOT NULL THEN "
        f"{_weeks(f'{local}::date - s.invitation_case_date_received')} "
        f"ELSE {NOT_APPLICABLE_CODE} END",
        f"date_part('year', {local})::int",
        f"date_part('month', {local})::int",
    ]
    # Built from our own column names and codes (see _code); values are parameters. The
    # answers of each response are read through the index on (response, item).
    text = (
        f"SELECT {', '.join(select)} FROM ({source_sql}) AS s({', '.join(names)})"  # noqa: S608
        f" LEFT JOIN LATERAL (SELECT ARRAY[{answers}] AS scores"
        " FROM evaluation_surveyanswer a WHERE a.response_id = s.pk) a ON true"
        " ORDER BY s.pk"
    )
    # The time zone's three placeholders (weeks, year, month) come before the source's.
    return text, [settings.TIME_ZONE] * 3 + list(source_params)


def survey_copy_blocks(
    pseudonymise: Pseudonymiser,
    *,
    period: MonthPeriod | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Iterator[CopyBlock]:
    """The exported survey responses as CSV text, as `case_copy_blocks` gives the cases'."""
    text, params = survey_rows_sql(period)
    pseudonymised = _leading_ids_pseudonymised(pseudonymise, (RESPONSE, CASE))
    return _copy_blocks(text, params, pseudonymised, block_rows)


def _leading_ids_pseudonymised(
    pseudonymise: Pseudonymiser, kinds: tuple[str, str]
) -> Callable[[str], str]:
    """A function that replaces the two ids a line starts with (never quoted: numbers, or
    empty for none) by their pseudonyms of `kinds` (empty for none)."""
    first, second = (pseudonymise.of_kind(kind) for kind in kinds)

    def replace(line: str) -> str:
        first_id, second_id, rest = line.split(";", 2)
        return (
            f"{first(first_id) if first_id else ''};{second(second_id) if second_id else ''};{rest}"
        )

    return replace


def _copy_blocks(
    text: str, params: list, pseudonymised: Callable[[str], str], block_rows: int
) -> Iterator[CopyBlock]:
    """COPY of `text` as CSV on a connection of its own, each line through `pseudonymised`,
    `block_rows` lines a block."""
    if connection.in_atomic_block:
        raise RuntimeError("a COPY on its own connection cannot see this transaction's rows")
    statement = f"COPY ({text}) TO STDOUT WITH (FORMAT csv, DELIMITER ';')"
    return _copied(statement, params, pseudonymised, block_rows)


def _copied(
    statement: str, params: list, pseudonymised: Callable[[str], str], block_rows: int
) -> Iterator[CopyBlock]:
    own = connection.get_new_connection(connection.get_connection_params())
    try:
        with own.cursor() as cursor, cursor.copy(statement, params) as copy:
            lines: list[str] = []
            for line in copy:
                lines.append(pseudonymised(bytes(line).decode()))
                if len(lines) == block_rows:
                    yield CopyBlock("".join(lines), len(lines))
                    lines = []
            if lines:
                yield CopyBlock("".join(lines), len(lines))
    finally:
        own.close()


def _pseudonymised_line(pseudonymise: Pseudonymiser) -> Callable[[str], str]:
    """A function that replaces the five ids a line starts with (never quoted: numbers, or
    empty for none) by their pseudonyms (empty for none), as `datasets.case_chunks` does."""
    case, child, household, school, professional = (
        pseudonymise.of_kind(kind) for kind in CASE_PSEUDONYM_KINDS
    )

    def replace(line: str) -> str:
        case_id, child_id, household_id, school_id, professional_id, rest = line.split(";", 5)
        return (
            f"{case(case_id)};{child(child_id)};{household(household_id) if household_id else ''}"
            f";{school(school_id) if school_id else ''}"
            f";{professional(professional_id) if professional_id else ''};{rest}"
        )

    return replace
