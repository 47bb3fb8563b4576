"""The coordinator's intake in Chromium (issue 14 #2 and #8): "vries" finds Eva de Vries on the
case list; at intake the search step finds her open case and offers to add the new melding to
it, before any form is filled in; the melding then shows in the case's timeline. axe runs on
every page, and no Content Security Policy violation may occur."""

import datetime

import pytest
from playwright.sync_api import expect

from cases.models import Melding
from tests.factories import CaseFactory, ChildFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_duplicate_referral_is_added_to_the_open_case(
    page, live_server, login, assert_accessible, csp_errors
):
    UserFactory(username="coordinator", coordinator=True)
    eva = ChildFactory(
        first_name="Eva",
        tussenvoegsel="de",
        last_name="Vries",
        date_of_birth=datetime.date(2012, 5, 4),
    )
    case = CaseFactory(child=eva)
    CaseFactory(child=ChildFactory(first_name="Noor", last_name="Bakker"))

    login("coordinator")
    # The case list finds her without the tussenvoegsel.
    page.get_by_role("textbox", name="Zoeken").fill("vries")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results tbody tr")).to_contain_text("Eva de Vries")

    # Intake: the search step finds the open case and offers the melding (htmx swap).
    page.goto(live_server.url + "/zaken/aanmelden/")
    page.get_by_role("textbox", name="Achternaam").fill("de vries")
    page.get_by_label("Geboortedatum").fill("2012-05-04")
    page.get_by_role("button", name="Zoeken").click()
    offer = page.get_by_role("link", name=f"Voeg de melding toe aan zaak {case.number}")
    expect(offer).to_be_visible()
    expect(page.locator("#intake-matches")).to_contain_text("Eva de Vries")
    assert_accessible(page)

    offer.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Melding toevoegen aan zaak {case.number}"
    )
    assert_accessible(page)
    page.get_by_label("Soort melding").select_option("overig")
    page.get_by_label("Verzuim vanaf").fill("2026-01-05")
    page.get_by_label("Verzuim tot en met").fill("2026-01-09")
    page.get_by_label("Datum melding ontvangen").fill("2026-01-12")
    page.get_by_label("Uren verzuim").fill("6")
    page.get_by_role("button", name="Melding toevoegen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {case.number}")
    expect(page.locator(".kk-timeline")).to_contain_text("Nieuwe melding: Overig verzuim")
    assert Melding.objects.filter(case=case).count() == 1
    assert_accessible(page)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors


def test_a_search_with_an_invalid_bsn_shows_the_error_at_the_field(
    page, live_server, login, assert_accessible, csp_errors
):
    UserFactory(username="coordinator", coordinator=True)
    login("coordinator")
    page.goto(live_server.url + "/zaken/aanmelden/")
    search = page.get_by_role("search", name="Kind zoeken")
    search.get_by_label("BSN", exact=False).fill("123456789")
    search.get_by_role("textbox", name="Achternaam").fill("de Vries")
    search.get_by_role("button", name="Zoeken").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("BSN")
    bsn = page.get_by_role("search", name="Kind zoeken").get_by_label("BSN", exact=False)
    expect(bsn).to_have_attribute("aria-invalid", "true")
    expect(bsn).to_have_value("123456789")
    assert_accessible(page)
    assert not csp_errors
