"""The beheerder's daily path (issue 14, item 9): log in, land on the start page, reach the
accounts, the access log and the inzage from it, and find an admin in Dutch. At desktop and
phone width, with no console error, CSP violation or axe violation."""

import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, ProfessionalFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.factory_history,
]


@pytest.mark.parametrize("width", [1280, 390])
def test_beheerder_starts_on_the_start_page_and_reaches_every_task(
    page, live_server, login, assert_accessible, page_problems, width
):
    page.set_viewport_size({"width": width, "height": 900})
    case = CaseFactory(professional=ProfessionalFactory(bip=True), number="2026-000321")
    UserFactory(username="beheerder", administrator=True)

    login("beheerder")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beheer")
    assert page.url == f"{live_server.url}/beheerder/"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)

    page.locator("#main").get_by_role("link", name="Toegangslog", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegangslog")
    page.go_back()

    page.locator("#main").get_by_role("link", name="Inzage", exact=True).click()
    page.get_by_label("BSN, onderwijsnummer of zaaknummer").fill(case.number)
    page.get_by_role("button", name="Wie heeft het dossier bekeken?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie heeft het dossier bekeken?")
    assert case.number not in page.url
    page.goto(f"{live_server.url}/beheerder/")

    page.get_by_role("link", name="Alle beheerschermen").click()
    main = page.locator("#content-main")
    expect(main.get_by_role("link", name="Blokkades na mislukte inlogpogingen")).to_be_visible()
    for english in ("Access attempts", "TOTP devices", "Axes", "Task Results"):
        expect(main.get_by_text(english, exact=True)).to_have_count(0)

    page_problems.assert_clean()
