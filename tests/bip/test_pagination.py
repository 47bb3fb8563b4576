import pytest

from bip.lib.pagination import CappedPaginator, paginate
from cases.models import School
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools():
    SchoolFactory.create_batch(7)
    return School.objects.order_by("pk")


@pytest.mark.parametrize(
    ("limit", "count", "capped"),
    [(10, 7, False), (7, 7, False), (6, 7, True), (3, 4, True)],
)
def test_capped_paginator_counts_at_most_limit_plus_one(schools, limit, count, capped):
    paginator = CappedPaginator(schools, 2, count_limit=limit)
    assert paginator.count == count
    assert paginator.is_capped is capped


def test_capped_count_is_limited_in_sql(schools, django_assert_num_queries):
    paginator = CappedPaginator(schools, 2, count_limit=3)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 4
    assert "LIMIT 4" in captured.captured_queries[0]["sql"].upper()


def test_the_count_does_not_sort(schools, django_assert_num_queries):
    paginator = CappedPaginator(schools.order_by("-name", "pk"), 2, count_limit=3)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 4
    assert "ORDER BY" not in captured.captured_queries[0]["sql"].upper()
    # The pages keep the ordering.
    assert list(paginator.page(1)) == list(School.objects.order_by("-name", "pk")[:2])


def test_capped_paginator_defaults_to_the_setting(schools, settings):
    settings.LIST_COUNT_LIMIT = 5
    paginator = CappedPaginator(schools, 2)
    assert paginator.count_limit == 5
    assert paginator.count == 6
    assert paginator.is_capped


def test_capped_paginator_pages_hold_the_right_rows(schools):
    paginator = CappedPaginator(schools, 3, count_limit=100)
    assert paginator.num_pages == 3
    assert list(paginator.page(2)) == list(schools)[3:6]


@pytest.mark.parametrize(
    ("page", "number"),
    [(None, 1), ("", 1), ("2", 2), ("abc", 1), ("9999", 4)],
)
def test_paginate_gives_a_valid_page_for_any_page_parameter(rf, schools, page, number):
    request = rf.get("/zaken/", {} if page is None else {"pagina": page})
    result = paginate(request, schools, per_page=2)
    assert result.number == number
    assert list(result) == list(schools)[(number - 1) * 2 : number * 2]


def test_paginate_uses_page_size_setting(rf, schools, settings):
    settings.PAGE_SIZE = 3
    result = paginate(rf.get("/"), schools)
    assert len(result) == 3
    assert result.paginator.num_pages == 3


def test_paginate_too_high_page_of_a_capped_list_gives_the_last_counted_page(rf, schools, settings):
    settings.LIST_COUNT_LIMIT = 3
    result = paginate(rf.get("/", {"pagina": "9999"}), schools, per_page=2)
    assert result.paginator.is_capped
    assert result.number == 2


def test_paginate_empty_list_with_a_high_page(rf):
    result = paginate(rf.get("/", {"pagina": "9999"}), School.objects.all(), per_page=2)
    assert result.number == 1
    assert list(result) == []


def test_a_deep_page_walks_the_ids_then_reads_only_its_rows(schools, django_assert_num_queries):
    """Past the first page: one query for the page's ids (with the OFFSET, selecting the
    primary key only), one for its rows (no OFFSET); the order is the list's."""
    ordered = schools.select_related().order_by("-name", "pk")
    expected = list(ordered.all())
    paginator = CappedPaginator(ordered, 3, count_limit=100)
    paginator.count  # noqa: B018 - counted beforehand, as the page template does
    with django_assert_num_queries(2) as captured:
        rows = list(paginator.page(2))
    ids_sql, rows_sql = (query["sql"].upper() for query in captured.captured_queries)
    assert "OFFSET 3" in ids_sql and '"CASES_SCHOOL"."NAME"' not in ids_sql.split("FROM")[0]
    assert "OFFSET" not in rows_sql and "IN (" in rows_sql
    assert rows == expected[3:6]
    with django_assert_num_queries(1):  # the first page reads its rows at once
        assert list(paginator.page(1)) == expected[:3]
