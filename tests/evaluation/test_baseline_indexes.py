"""PostgreSQL: Table 1's "earlier referrals of the child" is one index probe per case.

evaluation/baseline.py counts, for each case of the period, the child's cases received before
it: a correlated subquery. The index on (child, date_received) answers it on its own (an
index-only scan); the foreign key's own index on child alone would read every case of the
child from the table to compare its date (3.1 -> 2.6 s for Table 1 at 1,000,000 cases).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.baseline import baseline_counts
from evaluation.periods import MonthPeriod
from tests.factories import CaseFactory, ChildFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the plan is PostgreSQL's (EXPLAIN)"
    ),
]


def test_the_earlier_referrals_are_counted_from_the_index_alone():
    for n in range(30):
        child = ChildFactory()
        for month in range(1, 2 + n % 3):
            CaseFactory(child=child, date_received=datetime.date(2026, month, 10), bip_arm=True)
    period = MonthPeriod(datetime.date(2026, 1, 1), datetime.date(2026, 12, 1))
    with CaptureQueriesContext(connection) as queries:
        counts = baseline_counts(period)
    [query] = queries.captured_queries

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using case_child_received_idx" in plan, plan
    # 30 children with 1, 2 or 3 cases: 30 without an earlier one, 20 with one, 10 with two.
    earlier = {key[1]: n for key, n in counts.items() if key[0] == "earlier" and key[2] == "bip"}
    assert list(earlier.values()) == [30, 20, 10]
