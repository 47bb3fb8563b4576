"""The benchmark's yardstick pages (benchmarks/bench/urls.py, never in the product's URLs)."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from benchmarks.bench import urls as bench_urls
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.bench.urls")]


def case_numbers(html: str) -> list[str]:
    return re.findall(r'id="case-\d+"', html)


@pytest.fixture(autouse=True)
def fresh_floor():
    bench_urls._first_page.clear()
    yield
    bench_urls._first_page.clear()


@override_settings(PAGE_SIZE=5)
def test_the_list_floor_is_the_first_page_without_its_queries(client_for, coordinator):
    CaseFactory.create_batch(7, assigned=True)
    client = client_for(coordinator)

    listed = client.get("/zaken/")
    client.get("/bench/list-floor/")  # reads the rows once
    with CaptureQueriesContext(connection) as floor_queries:
        floor = client.get("/bench/list-floor/")
    with CaptureQueriesContext(connection) as list_queries:
        client.get("/zaken/")

    assert floor.status_code == 200
    assert case_numbers(floor.text) == case_numbers(listed.text)
    assert len(case_numbers(floor.text)) == 5
    assert "7 resultaten" in floor.text
    assert "pagina=2" in floor.text
    # What is left is the session and the user. The list adds its count, its rows and its
    # access-log entry (a /bench/ page is not audited).
    floor_sql = [query["sql"] for query in floor_queries.captured_queries]
    list_sql = [query["sql"] for query in list_queries.captured_queries]
    assert [sql.split(" FROM ")[1][:20] for sql in floor_sql] == [
        sql.split(" FROM ")[1][:20] for sql in list_sql[:2]
    ]
    assert not any("cases_case" in sql for sql in floor_sql)
    assert [sql.split()[0] for sql in list_sql[2:]] == ["SELECT", "SELECT", "INSERT"]


def test_the_yardsticks_are_not_in_the_products_urls(client_for, coordinator):
    with override_settings(ROOT_URLCONF="bip.urls"):
        assert client_for(coordinator).get("/bench/list-floor/").status_code == 404
