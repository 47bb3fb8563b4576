"""PostgreSQL: the name search is served by the trigram index of migration 0011.

The planner is told not to scan the table nor walk another index, so the plan shows whether
the index fits the exact SQL Django writes for the search (search_key LIKE '% jan%'); a
mismatch in the index's column or operator class would leave only the sequential scan. The
prefix indexes of migration 0006 remain for other lookups on the raw names.
"""

import pytest
from django.db import connection

from cases.models import Case, Child
from cases.selectors import case_search, name_search
from tests.factories import CaseFactory, ChildFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only"
    ),
]


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Nor to walk another index and filter: with statistics from earlier tests (autovacuum
        # analyses the tables they filled) a tiny table may be read through its primary key.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_indexes_and_the_extension_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'cases_child'")
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
    assert {
        "child_search_key_trgm_idx",
        "child_dob_idx",
        "child_last_name_prefix_idx",
        "child_first_name_prefix_idx",
    } <= names


def test_the_name_search_uses_the_trigram_index():
    for first, prefix, last in [
        ("Eva", "de", "Vries"),
        ("Jan", "", "Jansen"),
        ("Elif", "", "Öztürk"),
        ("Daan", "van", "Beek"),
    ]:
        CaseFactory(child=ChildFactory(first_name=first, tussenvoegsel=prefix, last_name=last))

    children = name_search(Child.objects.all(), "de vries")
    assert [c.last_name for c in children] == ["Vries"]
    plan = plan_of(children.values("id"))
    assert "child_search_key_trgm_idx" in plan, plan

    plan = plan_of(name_search(Case.objects.all(), "ozturk", prefix="child__").values("id"))
    assert "child_search_key_trgm_idx" in plan, plan

    assert [c.child.first_name for c in case_search(Case.objects.all(), "jan")] == ["Jan"]


def test_the_search_key_has_a_finer_statistics_sample():
    """Migration 0014: 1,000 histogram buckets for search_key, so a common name is not
    estimated as a rare one (see the migration's text for the plan it avoids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'cases_child'::regclass AND attname = 'search_key'"
        )
        assert cursor.fetchone()[0] == 1000
