"""PostgreSQL: the name search of the case list can use the prefix indexes of migration 0006.

The planner is told not to scan the table, so the plan shows whether an index fits the exact
SQL Django writes for `case_search` (UPPER("last_name"::text) LIKE 'JAN%'); a mismatch in the
index expression would leave only the sequential scan.
"""

import pytest
from django.db import connection

from cases.models import Case, Child
from cases.selectors import case_search
from tests.factories import CaseFactory, ChildFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the prefix indexes exist on PostgreSQL only"
    ),
]


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_prefix_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'cases_child'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"child_last_name_prefix_idx", "child_first_name_prefix_idx"} <= names


def test_the_name_search_uses_both_indexes():
    for name in ("Jansen", "Janneke", "Pieters", "Bakker"):
        CaseFactory(child=ChildFactory(last_name=name, first_name=name[::-1]))
    children = Child.objects.filter(
        pk__in=case_search(Case.objects.all(), "jan").values("child_id")
    )
    assert {c.last_name for c in children} == {"Jansen", "Janneke"}

    plan = plan_of(case_search(Case.objects.all(), "jan").values("id"))
    assert "child_last_name_prefix_idx" in plan, plan
    assert "child_first_name_prefix_idx" in plan, plan
