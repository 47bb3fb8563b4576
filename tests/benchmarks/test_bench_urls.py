"""The benchmark's yardstick pages (benchmarks/bench/urls.py, never in the product's URLs)."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from benchmarks.bench import urls as bench_urls
from tests.factories import CaseFactory, ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.bench.urls")]


def case_numbers(html: str) -> list[str]:
    return re.findall(r'id="case-\d+"', html)


@pytest.fixture(autouse=True)
def fresh_floor():
    bench_urls._contexts.clear()
    yield
    bench_urls._contexts.clear()


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


def second_request_queries(client, path):
    """The floor page's response and queries on its second request (the first reads)."""
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, [query["sql"] for query in queries.captured_queries]


def only_the_frame(sql: list[str]) -> bool:
    """The queries of every page for a professional: the session, the user with their groups
    and the header's count of follow-ups due (cases/agenda.py)."""
    session, user, due_count = sql
    return (
        '"django_session"' in session
        and user.startswith('SELECT "auth_user"."id"')
        and due_count.startswith('SELECT (COALESCE((SELECT COUNT(*) AS "n" FROM "cases_case"')
    )


def test_the_case_file_floor_is_the_case_file_without_its_queries(client_for, professional):
    contact = ContactFactory(case__professional=professional, summary="Gesprek met moeder")
    client = client_for(professional.user)
    page = client.get(f"/zaken/{contact.case_id}/")

    floor, sql = second_request_queries(client, f"/bench/case-floor/{contact.case_id}/")

    assert floor.status_code == 200
    assert "Gesprek met moeder" in floor.text
    assert contact.case.number in floor.text
    assert floor.text.count("<form") == page.text.count("<form")
    assert only_the_frame(sql), sql


def test_the_case_file_floor_keeps_the_access_rule(client_for, other_professional):
    case = CaseFactory(assigned=True)
    response = client_for(other_professional.user).get(f"/bench/case-floor/{case.pk}/")
    assert response.status_code == 404


def test_the_my_cases_floor_is_mijn_zaken_without_its_queries(client_for, professional):
    cases = CaseFactory.create_batch(3, professional=professional)
    client = client_for(professional.user)
    page = client.get("/zaken/mijn-zaken/")

    floor, sql = second_request_queries(client, "/bench/my-cases-floor/")

    assert floor.status_code == 200
    for case in cases:
        assert case.number in floor.text
    assert case_numbers(floor.text) == case_numbers(page.text)
    assert only_the_frame(sql), sql


@pytest.mark.parametrize(
    "path", ["/bench/list-floor/", "/bench/case-floor/1/", "/bench/my-cases-floor/"]
)
def test_the_yardsticks_are_not_in_the_products_urls(client_for, coordinator, path):
    with override_settings(ROOT_URLCONF="bip.urls"):
        assert client_for(coordinator).get(path).status_code == 404
