"""The coordinator's case list: filtering with htmx, opening a case, and Back (issue 14, #1);
at phone width the filters sit behind a disclosure (#17)."""

import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, ProfessionalFactory, UserFactory

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


def test_an_invalid_filter_shows_its_error_and_a_corrected_search_clears_it(
    page, live_server, login, assert_accessible, page_problems
):
    """With script the search swaps only the results; an error in the form must still show,
    with the focus on the summary, the typed value kept and the field marked invalid."""
    UserFactory(username="coordinator", coordinator=True)
    case = CaseFactory(arm="bip")
    login("coordinator")
    page.goto(f"{live_server.url}/zaken/")
    filters = page.get_by_role("search", name="Zaken zoeken en filteren")
    filters.get_by_label("School (BRIN)").fill("XX!!")
    filters.get_by_label("Ketenstap").select_option("leerplicht")
    filters.get_by_role("button", name="Zoeken").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("School (BRIN)")
    expect(summary).to_be_focused()
    # Above the fields, across the whole form, not squeezed into one field's grid cell.
    form_width = page.get_by_role("search", name="Zaken zoeken en filteren").bounding_box()["width"]
    assert summary.bounding_box()["width"] > 0.9 * form_width
    school = page.get_by_label("School (BRIN)")
    expect(school).to_have_value("XX!!")
    expect(school).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Ketenstap")).to_have_value("leerplicht")
    expect(page.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    assert_accessible(page)

    school.fill("")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("School (BRIN)")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    page_problems.assert_clean()


def test_the_professional_filter_suggests_names_while_typing_and_lists_an_ambiguous_name(
    page, live_server, login, assert_accessible, page_problems
):
    UserFactory(username="coordinator", coordinator=True)
    zwaan = ProfessionalFactory(user__first_name="Ilse", user__last_name="Zwaan")
    first_vera = ProfessionalFactory(user__first_name="Vera", user__last_name="Bakker")
    ProfessionalFactory(user__first_name="Vera", user__last_name="Smit")
    zwaan_case = CaseFactory(professional=zwaan, arm="bip")
    vera_case = CaseFactory(professional=first_vera, arm="bip")
    login("coordinator")
    page.goto(f"{live_server.url}/zaken/")
    name = page.get_by_label("Professional (optioneel)", exact=True)

    # Typing asks for suggestions; choosing one filters on that professional.
    name.press_sequentially("zwa")
    suggestion = page.get_by_role("button", name="Ilse Zwaan")
    expect(suggestion).to_be_visible()
    assert_accessible(page)
    suggestion.click()
    expect(page.get_by_role("link", name=vera_case.number, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name=zwaan_case.number, exact=True)).to_be_visible()
    expect(name).to_have_value("Ilse Zwaan")

    # A name that two professionals share is an error that lists both to choose from.
    name.fill("vera")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Meer dan één professional")
    expect(page.get_by_role("button", name="Vera Smit")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Vera Bakker").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("link", name=vera_case.number, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=zwaan_case.number, exact=True)).to_have_count(0)
    page_problems.assert_clean()
