"""The case timeline a page at a time in Chromium: "Oudere gebeurtenissen tonen" adds the next
25 events below the ones shown, by keyboard, and the focus goes to them; without JavaScript the
same link opens the older events as a page of their own. axe on each state."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import DEMO_PASSWORD, CaseFactory, ContactFactory, ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_case():
    bip = ProfessionalFactory(bip=True, user__username="bip1")
    case = CaseFactory(professional=bip)  # its assignment (now) is the newest event
    for number in range(1, 61):
        ContactFactory(
            case=case,
            summary=f"Gesprek {number:02d}",
            occurred_at=timezone.now() - datetime.timedelta(hours=number),
        )
    return case


def test_older_events_are_added_below_and_take_the_focus(
    page, live_server, login, assert_accessible, page_problems, long_case
):
    login("bip1")
    page.goto(f"{live_server.url}/zaken/{long_case.pk}/")
    events = page.locator("#timeline .kk-timeline__item")
    expect(events).to_have_count(25)
    older = page.get_by_role("link", name="Oudere gebeurtenissen tonen")

    older.focus()
    page.keyboard.press("Enter")

    expect(events).to_have_count(50)
    expect(page.get_by_text("Gesprek 49", exact=True)).to_be_visible()
    # The page did not change: the events came in place of the link, and the focus is on them.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {long_case.number}")
    expect(page.get_by_role("list", name="Oudere gebeurtenissen")).to_be_focused()
    assert_accessible(page)

    older.click()  # the next link, in its place
    expect(events).to_have_count(61)
    expect(older).to_have_count(0)  # the last page
    expect(page.get_by_text("Gesprek 60", exact=True)).to_be_visible()

    # The same older events as a page of their own (the link's address, opened directly).
    page.goto(f"{live_server.url}/zaken/{long_case.pk}/")
    page.goto(live_server.url + older.get_attribute("href"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Tijdlijn van zaak {long_case.number}"
    )
    expect(page.locator(".kk-timeline__item")).to_have_count(25)
    assert_accessible(page)
    page_problems.assert_clean()


def test_without_javascript_the_link_opens_the_older_events_as_a_page(
    browser, browser_context_args, live_server, long_case
):
    """axe needs JavaScript: the first journey checks this page with it."""
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill("bip1")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"{live_server.url}/zaken/{long_case.pk}/")
    page.get_by_role("link", name="Oudere gebeurtenissen tonen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Tijdlijn van zaak {long_case.number}"
    )
    expect(page.locator(".kk-timeline__item")).to_have_count(25)
    expect(page.get_by_text("Gesprek 25", exact=True)).to_be_visible()
    page.get_by_role("link", name="Oudere gebeurtenissen tonen").click()
    expect(page.locator(".kk-timeline__item")).to_have_count(11)
    expect(page.get_by_role("link", name="Oudere gebeurtenissen tonen")).to_have_count(0)
    page.get_by_role("link", name=f"Terug naar zaak {long_case.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {long_case.number}")
    context.close()
