"""The functional administrator answers "who has looked at this child's file?" and produces
the inzage, after a professional opened the case."""

import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.factory_history,
]


def test_administrator_finds_who_looked_and_makes_the_inzage(
    page, live_server, login, assert_accessible, csp_errors
):
    professional = ProfessionalFactory(bip=True, user__username="bip1")
    case = CaseFactory(professional=professional, child=ChildFactory(first_name="Noor"))
    UserFactory(username="beheerder", administrator=True)

    login("bip1")
    page.goto(f"{live_server.url}/zaken/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")

    login("beheerder")
    page.goto(f"{live_server.url}/toegangslog/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegangslog")
    expect(page.get_by_role("cell", name="bip1").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inzage").click()
    page.get_by_label("BSN, onderwijsnummer of zaaknummer").fill(case.child.bsn)
    page.get_by_role("button", name="Wie heeft het dossier bekeken?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie heeft het dossier bekeken?")
    assert case.child.bsn not in page.url
    people = page.get_by_role("table", name="Personen die het dossier van het kind bekeken")
    expect(people.get_by_role("row", name="bip1")).to_contain_text("Professional")
    assert_accessible(page)

    page.get_by_role("link", name="Inzageoverzicht van dit kind").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzageoverzicht (AVG artikel 15)")
    expect(page.get_by_text(case.number).first).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als JSON").click()
    assert download.value.suggested_filename.startswith(f"inzage-kind-{case.child_id}-")
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
