import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import Stage
from tests.factories import CaseFactory, ContactFactory

URL = reverse("cases:my_cases")


@pytest.fixture
def logged_in(client, professional):
    client.force_login(professional.user)
    return client


def test_shows_only_own_open_cases_soonest_deadline_first(logged_in, professional):
    today = timezone.localdate()
    later = CaseFactory(professional=professional, date_received=today - datetime.timedelta(days=5))
    sooner = CaseFactory(
        professional=professional, date_received=today - datetime.timedelta(days=50)
    )
    CaseFactory(professional=professional, closed=True)
    CaseFactory()  # someone else's
    response = logged_in.get(URL)
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].object_list] == [sooner.pk, later.pk]


def test_deadline_in_words_and_state(logged_in, professional):
    today = timezone.localdate()
    CaseFactory(professional=professional, date_received=today - datetime.timedelta(days=100))
    response = logged_in.get(URL)
    assert "kk-deadline--overdue" in response.text
    assert "over de termijn" in response.text


def test_follow_ups_due_come_from_the_latest_contact(logged_in, professional):
    today = timezone.localdate()
    due = CaseFactory(professional=professional)
    ContactFactory(case=due, follow_up_on=today - datetime.timedelta(days=1))
    not_due = CaseFactory(professional=professional)
    ContactFactory(case=not_due, follow_up_on=today + datetime.timedelta(days=3))
    response = logged_in.get(URL)
    assert [c.pk for c in response.context["follow_ups"]] == [due.pk]


def test_filter_by_stage(logged_in, professional):
    halt = CaseFactory(professional=professional, stage=Stage.HALT)
    CaseFactory(professional=professional, stage=Stage.LEERPLICHT)
    response = logged_in.get(URL, {"stage": "halt"})
    assert [c.pk for c in response.context["page"].object_list] == [halt.pk]


def test_empty_state(logged_in):
    response = logged_in.get(URL)
    assert "Je hebt geen open zaken" in response.text


def test_query_count_does_not_grow_with_the_data(
    logged_in, professional, django_assert_max_num_queries
):
    def build(n):
        for _ in range(n):
            case = CaseFactory(professional=professional)
            ContactFactory(case=case, follow_up_on=timezone.localdate())

    build(2)
    with django_assert_max_num_queries(12) as small:
        logged_in.get(URL)
    build(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        logged_in.get(URL)


@pytest.mark.parametrize("url_name", ["cases:my_cases", "cases:my_closed_cases"])
def test_htmx_fragment_fills_the_results_region_without_nesting_it(logged_in, url_name):
    """The filter form swaps the fragment into #results (innerHTML): one #results on the
    page after the swap, so the fragment has none of its own."""
    full = logged_in.get(reverse(url_name))
    fragment = logged_in.get(reverse(url_name), headers={"HX-Request": "true"})
    assert full.text.count('id="results"') == 1
    assert fragment.status_code == 200
    assert 'id="results"' not in fragment.text and "<html" not in fragment.text


@pytest.mark.parametrize(
    ("url_name", "invalid"),
    [("cases:my_cases", {"stage": "bestaat-niet"}), ("cases:my_closed_cases", {"q": "x" * 101})],
)
def test_an_htmx_search_with_an_invalid_filter_loads_the_page_that_shows_the_error(
    logged_in, url_name, invalid
):
    """The error lives in the form, outside the swapped results: the whole page comes instead,
    and its form searches without htmx, so the next search clears the error too."""
    url = reverse(url_name)
    answer = logged_in.get(url, invalid, headers={"HX-Request": "true"})
    assert answer["HX-Redirect"].startswith(f"{url}?")
    page = logged_in.get(answer["HX-Redirect"])
    assert page.context["form"].errors
    assert 'aria-invalid="true"' in page.text and "kk-error-summary" in page.text
    assert f'hx-get="{url}"' not in page.text
    assert f'hx-get="{url}"' in logged_in.get(url).text
