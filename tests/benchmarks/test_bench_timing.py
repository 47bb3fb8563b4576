"""The benchmark's Server-Timing split (benchmarks/bench/timing.py) and the evidence it gives
the goals' table (benchmarks/bench/__main__.py)."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from benchmarks.bench.__main__ import floor_evidence, split
from benchmarks.bench.timing import ServerTimingMiddleware, parse


def view_with_queries(count):
    def view(request):
        with connection.cursor() as cursor:
            for _ in range(count):
                cursor.execute("SELECT 1")
        return HttpResponse("ok")

    return view


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 3])
def test_the_header_counts_the_requests_queries_and_their_time(count):
    response = ServerTimingMiddleware(view_with_queries(count))(RequestFactory().get("/"))

    timing = parse(response["Server-Timing"])
    assert timing["queries"] == count
    assert timing["app"] >= timing["sql"] >= 0
    if count == 0:
        assert timing["sql"] == 0


@pytest.mark.django_db
def test_queries_after_the_response_are_not_counted():
    ServerTimingMiddleware(view_with_queries(1))(RequestFactory().get("/"))
    response = ServerTimingMiddleware(view_with_queries(0))(RequestFactory().get("/"))

    assert parse(response["Server-Timing"])["queries"] == 0


def test_parse_reads_durations_and_the_query_count():
    assert parse('app;dur=12.41, sql;dur=3.02, queries;desc="5"') == {
        "app": 12.41,
        "sql": 3.02,
        "queries": 5.0,
    }
    assert parse("") == {}


def row(p50, app, sql, queries=4):
    return {"p50_ms": p50, "app_p50_ms": app, "sql_p50_ms": sql, "queries": queries}


def test_a_request_without_a_successful_answer_has_no_split():
    assert split({"p50_ms": 0.0, "requests": 0}) == "no successful answer"


def test_split_adds_up_to_the_clients_time():
    assert (
        split(row(30.0, 25.0, 5.0, 7)) == "30.0 ms = 5.0 HTTP + 20.0 Python + 5.0 SQL (7 queries)"
    )
    assert split({"p50_ms": 9.0}) == "9.0 ms (no Server-Timing)"


def test_the_admin_goal_is_shown_out_of_reach_when_a_fifth_of_the_admin_is_below_the_floor():
    single = {
        "bare": row(6.0, 2.0, 0.5),
        "list_first": row(28.0, 22.0, 4.0),
        "admin_first": row(54.0, 50.0, 8.0),
        "list_professional": row(33.0, 27.0, 3.0),
        "list_name_jan": row(30.0, 25.0, 3.0),
        "admin_professional": row(33.0, 29.0, 4.0),
        "case_file": row(40.0, 35.0, 6.0),
        "my_cases": row(32.0, 27.0, 5.0),
    }
    mixed = {"all": row(300.0, 40.0, 10.0)}
    evidence = floor_evidence(
        single, {}, mixed, "list_professional", {"list_first": 1.93, "list_professional": 1.0}
    )

    # 54 / 5 = 10.8 ms is above bare + own SQL (10.0): possible in principle.
    assert "first: 5x the admin's 54.0 ms is 10.8 ms, 10.0 ms of it is" in evidence["admin"]
    # 33 / 5 = 6.6 ms is below bare + own SQL (9.0): out of reach.
    assert "professional: 5x the admin's 33.0 ms is 6.6 ms, below" in evidence["admin"]
    # Two cores at 22 ms of server time per first page: at most 91 per second.
    assert "at most 91 such requests/s" in evidence["load"]
    assert "2 workers serve at most 50 requests/s" in evidence["mixed"]
    assert evidence["name_search"].startswith("list_name_jan: 30.0 ms = 5.0 HTTP")
    # Without the floor page in the run, the list evidence says nothing about it.
    assert "from memory" not in evidence["list_p50"]


def test_the_list_evidence_gives_the_page_without_its_queries():
    single = {
        "bare": row(6.0, 2.0, 0.5),
        "floor_list": row(20.0, 15.0, 0.5),
        "list_first": row(28.0, 22.0, 4.0),
        "list_name_jan": row(30.0, 25.0, 3.0),
        "case_file": row(40.0, 35.0, 6.0),
        "my_cases": row(32.0, 27.0, 5.0),
    }
    single["admin_first"] = row(54.0, 50.0, 8.0)
    single["floor_case_file"] = row(25.0, 20.0, 0.5, 3)
    evidence = floor_evidence(single, {}, {"all": row(1, 1, 0)}, "list_first", {"list_first": 1.93})
    assert evidence["list_p50"].endswith(
        "without its queries: 20.0 ms = 5.0 HTTP + 14.5 Python + 0.5 SQL (4 queries)"
    )
    # 54 / 5 = 10.8 ms is below the list's floor (20 ms) plus its own SQL (4 ms).
    assert evidence["admin"] == (
        "first: 5x the admin's 54.0 ms is 10.8 ms, below the list's HTML from memory plus "
        "this page's own SQL (24.0 ms)"
    )
    assert (
        "the case file from memory, without its queries: 25.0 ms = 5.0 HTTP + 19.5 Python"
        in evidence["case_file"]
    )
    assert "Mijn zaken from memory" not in evidence["case_file"]


def test_a_request_without_a_successful_answer_is_left_out_of_the_admin_ratios():
    from benchmarks.bench.__main__ import evaluate

    def summary(p50, requests=10):
        return row(p50, p50 - 5, 2.0) | {"requests": requests, "req_per_s": 1.0, "p95_ms": p50}

    single = {
        "bare": summary(6.0),
        "list_first": summary(28.0),
        "admin_first": summary(150.0),
        "list_page_200": summary(30.0),
        "admin_page_200": summary(0.0, requests=0),  # page 200 of a small world: no answer
        "list_name_jan": summary(30.0),
        "case_file": summary(40.0),
        "my_cases": summary(30.0),
    }
    mixed = {name: summary(100.0) | {"errors": 0} for name in ("all", "write")}
    goals = evaluate(single, {"list_first": summary(28.0)}, mixed)

    assert goals["admin"]["measured"] == "first 5.36x"
    assert goals["admin"]["met"]
