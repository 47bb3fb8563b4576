import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseStatus, Stage
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory

URL = reverse("cases:case_list")


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


def test_lists_all_cases_newest_first(logged_in):
    old = CaseFactory(date_received=timezone.localdate() - datetime.timedelta(days=60))
    new = CaseFactory(date_received=timezone.localdate() - datetime.timedelta(days=5))
    response = logged_in.get(URL)
    assert response.status_code == 200
    assert numbers(response) == [new.number, old.number]


def test_search_by_bsn_name_and_number(logged_in):
    anna = CaseFactory(child=ChildFactory(first_name="Anna", last_name="Jansen"))
    bram = CaseFactory(child=ChildFactory(first_name="Bram", last_name="de Vries"))
    assert numbers(logged_in.get(URL, {"q": anna.child.bsn})) == [anna.number]
    assert numbers(logged_in.get(URL, {"q": "jan"})) == [anna.number]
    assert numbers(logged_in.get(URL, {"q": "Bram de"})) == [bram.number]
    assert numbers(logged_in.get(URL, {"q": bram.number})) == [bram.number]


def test_filters_combine(logged_in):
    prof = ProfessionalFactory()
    match = CaseFactory(stage=Stage.HALT, professional=prof, arm="bip")
    CaseFactory(stage=Stage.HALT, arm="controle")
    CaseFactory(stage=Stage.LEERPLICHT, professional=prof, arm="bip")
    CaseFactory(closed=True, stage=Stage.HALT, arm="bip", professional=prof)
    response = logged_in.get(
        URL, {"stage": "halt", "arm": "bip", "status": "open", "professional": prof.pk}
    )
    assert numbers(response) == [match.number]


def test_deadline_filter(logged_in):
    today = timezone.localdate()
    overdue = CaseFactory(date_received=today - datetime.timedelta(days=100))
    soon = CaseFactory(date_received=today - datetime.timedelta(days=85))
    CaseFactory(date_received=today - datetime.timedelta(days=10))
    assert numbers(logged_in.get(URL, {"deadline": "verlopen"})) == [overdue.number]
    assert numbers(logged_in.get(URL, {"deadline": "binnenkort"})) == [soon.number]


def test_invalid_filter_values_show_errors_not_500(logged_in):
    CaseFactory()
    response = logged_in.get(URL, {"stage": "bestaat-niet", "professional": "abc", "pagina": "x"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "stage" in form.errors and "professional" in form.errors
    assert len(numbers(response)) == 1


def test_an_htmx_search_with_an_invalid_filter_loads_the_page_that_shows_the_error(logged_in):
    """htmx swaps only the results; the error summary, the field's message and aria-invalid are
    in the form. So the search loads the whole page of the same URL, as without script, and
    that page's form searches without htmx until the error is gone."""
    CaseFactory()
    answer = logged_in.get(URL, {"school": "XX!!", "stage": "halt"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "<table" not in answer.text
    assert answer["HX-Redirect"] == f"{URL}?school=XX%21%21&stage=halt"
    page = logged_in.get(answer["HX-Redirect"])
    assert "school" in page.context["form"].errors
    assert 'value="XX!!"' in page.text and 'aria-invalid="true"' in page.text
    assert f'hx-get="{URL}"' not in page.text
    valid = logged_in.get(URL, {"school": "05KD"}, headers={"HX-Request": "true"})
    assert "HX-Redirect" not in valid and "<html" not in valid.text
    assert f'hx-get="{URL}"' in logged_in.get(URL, {"school": "05KD"}).text


def test_empty_state(logged_in):
    response = logged_in.get(URL, {"q": "niemand"})
    assert "Geen zaken gevonden" in response.text


def test_htmx_request_renders_only_the_results(logged_in):
    CaseFactory()
    response = logged_in.get(URL, headers={"HX-Request": "true"})
    assert response.status_code == 200
    # The form swaps this into #results (innerHTML, so the live region stays): the fragment
    # must not bring a second #results of its own, nested inside the first.
    assert 'id="results"' not in response.text
    assert "<table" in response.text
    assert "<html" not in response.text


def test_pagination_keeps_filters(logged_in, settings):
    settings.PAGE_SIZE = 2
    for _ in range(5):
        CaseFactory(status=CaseStatus.OPEN)
    response = logged_in.get(URL, {"status": "open", "pagina": 2})
    assert response.context["page"].number == 2
    assert "status=open" in response.text


def test_query_count_does_not_grow_with_the_data(logged_in, django_assert_max_num_queries):
    def build(n):
        for _ in range(n):
            CaseFactory(professional=ProfessionalFactory(), arm="bip")

    build(3)
    with django_assert_max_num_queries(12) as small:
        logged_in.get(URL, {"status": "open"})
    build(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = logged_in.get(URL, {"status": "open"})
    assert len(response.context["page"].object_list) == 25


def test_filter_by_school_brin(logged_in):
    from tests.factories import SchoolFactory

    match = CaseFactory(child=ChildFactory(school=SchoolFactory(brin="05KD")))
    CaseFactory(child=ChildFactory(school=SchoolFactory(brin="12AB")))
    assert numbers(logged_in.get(URL, {"school": "05kd"})) == [match.number]
    response = logged_in.get(URL, {"school": "XYZ"})
    assert "school" in response.context["form"].errors


def test_a_name_search_counts_up_to_its_own_lower_limit(logged_in, settings):
    """A search stops counting at SEARCH_COUNT_LIMIT; the unfiltered list at LIST_COUNT_LIMIT."""
    settings.SEARCH_COUNT_LIMIT = 2
    settings.LIST_COUNT_LIMIT = 5
    settings.PAGE_SIZE = 2
    for _ in range(4):
        CaseFactory(child=ChildFactory(first_name="Jan"))
    searched = logged_in.get(reverse("cases:case_list"), {"q": "jan"})
    assert searched.context["page"].paginator.count_limit == 2
    assert "meer dan 2 resultaten" in searched.content.decode()
    assert len(numbers(searched)) == 2

    listed = logged_in.get(reverse("cases:case_list"))
    assert listed.context["page"].paginator.count_limit == 5
    assert "meer dan" not in listed.content.decode()
