"""PostgreSQL: every sort and filter of the coordinator's case list is served by an index.

The plans are taken of the exact SQL the case list runs (selectors.case_list_filter and
case_list_rows, one page of rows). Sequential scans and sorts are switched off for the planner,
so a plan that still holds a Sort node (or a sequential scan of the cases) shows that no index fits
that SQL: PostgreSQL then falls back to the disabled path instead of failing. With an index, the
page is read in index order and the scan stops after PAGE_SIZE rows, whatever the table's size.

Filters that keep a large share of the cases (status, stage, arm, melding type, overdue) are
read through the ordering's index and stop after PAGE_SIZE matches: a bounded scan of about
PAGE_SIZE / share rows. The selective filters (one professional, a school, no arm yet, due soon)
must find their rows through an index on the filtered column instead.
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from cases import selectors
from cases.access import cases_visible_to
from cases.constants import Arm, CaseOrdering, CaseStatus, MeldingType, Stage
from cases.forms import SORT_PARAMETERS, CaseFilterForm
from cases.models import Case, Child, three_month_deadline
from tests.factories import HouseholdFactory, ProfessionalFactory, SchoolFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the plans are PostgreSQL's (EXPLAIN)"
    ),
]

SORT_INDEXES = {
    CaseOrdering.NEWEST_FIRST: "case_received_idx",
    CaseOrdering.OLDEST_FIRST: "case_received_idx",
    CaseOrdering.DEADLINE_FIRST: "case_deadline_idx",
    CaseOrdering.DEADLINE_LAST: "case_deadline_idx",
    CaseOrdering.NUMBER_ASCENDING: "cases_case_number",
    CaseOrdering.NUMBER_DESCENDING: "cases_case_number",
}


def plan_of(queryset, *, allow_sort: bool = False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not allow_sort:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def full_sorts(plan: str) -> list[str]:
    """The plan's Sort nodes. An Incremental Sort (rows arrive in index order on the leading
    key, ties sorted in small groups) still stops after a page and is not one of them."""
    return [
        line
        for line in plan.splitlines()
        if line.strip().removeprefix("->  ").startswith("Sort  (")
    ]


def case_list_page(user, params: dict[str, str]):
    """The first page's query of the case list for `params`, as the view builds it."""
    form = CaseFilterForm(params)
    assert form.is_valid(), form.errors
    cases = selectors.case_list_filter(
        cases_visible_to(user), form.cleaned_data, today=timezone.localdate()
    )
    return selectors.case_list_rows(cases, ordering=form.ordering())[:25]


WORLD_CASES = 4000


@pytest.fixture
def world(db):
    """4,000 cases in national proportions: 200 professionals (20 cases each), 40 schools, a
    few cases without an arm or with a rare melding type; then the planner's statistics."""
    professionals = [ProfessionalFactory() for _ in range(200)]
    schools = [SchoolFactory() for _ in range(40)]
    household = HouseholdFactory()
    today = timezone.localdate()
    born = today.replace(day=1) - datetime.timedelta(days=14 * 365)
    children = Child.objects.bulk_create(
        Child(
            first_name=f"Kind{n}",
            last_name=f"Achternaam{n}",
            date_of_birth=born,
            school=schools[n % 40],
            household=household,
        )
        for n in range(WORLD_CASES)
    )
    melding_types = [MeldingType.ZESTIEN_UUR, MeldingType.LRV, MeldingType.OVERIG]
    cases = []
    for n, child in enumerate(children):
        received = today - datetime.timedelta(days=n % 700)
        case = Case(
            number=f"2099-{n:06d}",
            child=child,
            date_received=received,
            period_start=received - datetime.timedelta(days=28),
            period_end=received - datetime.timedelta(days=2),
            melding_type=MeldingType.ABSOLUUT if n % 100 == 0 else melding_types[n % 3],
            stage=[Stage.LEERPLICHT, Stage.HALT, Stage.RVDK][n % 3],
            status=CaseStatus.OPEN if n % 4 == 0 else CaseStatus.CLOSED,
            closed_on=None if n % 4 == 0 else received,
            professional=professionals[n % 200],
            arm="" if n % 200 == 0 else [Arm.BIP, Arm.CONTROL][n % 2],
            three_month_deadline=three_month_deadline(received),
        )
        cases.append(case)
    Case.objects.bulk_create(cases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"professional": professionals[3], "school": schools[4]}


def test_the_deadline_index_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_deadline_idx'")
        (definition,) = cursor.fetchone()
    # A full index (no WHERE): the partial open-cases index cannot order closed cases.
    assert "(three_month_deadline, id)" in definition
    assert "WHERE" not in definition


def test_every_sort_reads_the_page_in_index_order(world, coordinator):
    for sort in SORT_PARAMETERS:
        plan = plan_of(case_list_page(coordinator, {"sort": sort}))
        assert not full_sorts(plan), (sort, plan)
        assert "Incremental Sort" not in plan, (sort, plan)
        assert "Seq Scan on cases_case" not in plan, (sort, plan)
        assert SORT_INDEXES[SORT_PARAMETERS[sort]] in plan, (sort, plan)


def test_every_ordering_of_the_selector_is_covered():
    # A new ordering needs its index (and a line in SORT_INDEXES).
    assert set(selectors.CASE_LIST_ORDERINGS) == set(SORT_INDEXES)


BROAD_FILTERS = [
    {"stage": "halt"},
    {"status": "closed"},
    {"arm": "bip"},
    {"melding_type": "lrv"},
    {"deadline": "verlopen"},
    {"stage": "rvdk", "sort": "termijn"},
    {"status": "open", "sort": "-nummer"},
]


def test_broad_filters_stop_after_a_page_in_index_order(world, coordinator):
    for params in BROAD_FILTERS:
        plan = plan_of(case_list_page(coordinator, params))
        assert not full_sorts(plan), (params, plan)
        assert "Seq Scan on cases_case" not in plan, (params, plan)
        assert plan.startswith("Limit"), (params, plan)


def test_a_rare_melding_type_is_found_through_its_index(world, coordinator):
    plan = plan_of(case_list_page(coordinator, {"melding_type": "absoluut"}), allow_sort=True)
    assert "case_melding_idx" in plan, plan


def test_one_professional_is_found_through_the_professional_index(world, coordinator):
    params = {"professional": str(world["professional"].pk)}
    plan = plan_of(case_list_page(coordinator, params), allow_sort=True)
    assert f"Index Cond: (professional_id = {world['professional'].pk})" in plan, plan
    assert "Seq Scan on cases_case" not in plan, plan


def test_one_school_is_found_through_its_children(world, coordinator):
    plan = plan_of(case_list_page(coordinator, {"school": world["school"].brin}), allow_sort=True)
    assert "cases_child_school_id" in plan, plan
    assert "cases_case_child_id" in plan, plan
    assert "Seq Scan on cases_case" not in plan, plan


def test_cases_without_an_arm_are_found_through_the_arm_index(world, coordinator):
    plan = plan_of(case_list_page(coordinator, {"arm": "geen"}), allow_sort=True)
    assert "case_arm_status_idx" in plan, plan


def test_the_capped_count_is_bounded(world, coordinator, settings):
    """The page's count reads at most LIST_COUNT_LIMIT + 1 rows, whatever the filter."""
    form = CaseFilterForm({"stage": "halt"})
    assert form.is_valid()
    cases = selectors.case_list_filter(
        cases_visible_to(coordinator), form.cleaned_data, today=timezone.localdate()
    )
    sql, params = cases.order_by()[: settings.LIST_COUNT_LIMIT + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Limit" in plan, plan
