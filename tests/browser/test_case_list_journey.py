"""The coordinator's case list: filtering with htmx, opening a case, and Back (issue 14, #1);
at phone width the filters sit behind a disclosure (#17)."""

import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_back_after_filtering_and_opening_a_case_shows_the_styled_filtered_page(
    page, live_server, login, assert_accessible, page_problems
):
    UserFactory(username="coordinator", coordinator=True)
    halt_case = CaseFactory(halt=True, arm="bip")
    leerplicht_case = CaseFactory(arm="bip")
    login("coordinator")
    page.goto(f"{live_server.url}/zaken/")
    expect(page.get_by_role("link", name=leerplicht_case.number, exact=True)).to_be_visible()

    filters = page.get_by_role("search", name="Zaken zoeken en filteren")
    filters.get_by_label("Ketenstap").select_option("halt")
    with page.expect_response(lambda r: "stage=halt" in r.url) as answer:
        filters.get_by_role("button", name="Zoeken").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    assert "HX-Request" in answer.value.headers["vary"]
    assert "no-store" in answer.value.headers["cache-control"]
    expect(page).to_have_url(f"{live_server.url}/zaken/?{answer.value.url.split('?')[1]}")
    expect(page.get_by_role("link", name=leerplicht_case.number, exact=True)).to_have_count(0)

    page.get_by_role("link", name=halt_case.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(halt_case.number)

    page.go_back()
    # The full page, not the htmx fragment the browser saw last under this URL: the header,
    # the styles (the page header is dark), the filter form with the chosen stage, the results.
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaken")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    header_background = page.locator("header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert header_background not in ("rgba(0, 0, 0, 0)", "transparent"), header_background
    expect(page.get_by_label("Ketenstap")).to_have_value("halt")
    expect(page.get_by_role("link", name=halt_case.number, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=leerplicht_case.number, exact=True)).to_have_count(0)
    assert_accessible(page)
    page_problems.assert_clean()


def test_on_a_phone_the_filters_are_closed_and_open_on_request(
    page, live_server, login, assert_accessible, page_problems
):
    UserFactory(username="coordinator", coordinator=True)
    cases = CaseFactory.create_batch(3, arm="bip")
    page.set_viewport_size({"width": 390, "height": 844})
    login("coordinator")
    page.goto(f"{live_server.url}/zaken/")

    expect(page.get_by_label("Ketenstap")).to_be_hidden()
    # The first result is on the first screen, not 1,300 px down.
    first_result = page.get_by_role("link", name=cases[0].number, exact=True)
    expect(first_result).to_be_in_viewport()
    assert_accessible(page)

    page.get_by_text("Zoeken en filteren").click()
    expect(page.get_by_label("Ketenstap")).to_be_visible()

    # A filter with an error stays open, so the error shows.
    page.goto(f"{live_server.url}/zaken/?school=%21%21")
    expect(page.get_by_label("School (BRIN)")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    page_problems.assert_clean()


def test_on_a_desktop_the_filters_are_open(page, live_server, login):
    UserFactory(username="coordinator", coordinator=True)
    login("coordinator")
    page.goto(f"{live_server.url}/zaken/")
    expect(page.get_by_label("Ketenstap")).to_be_visible()
