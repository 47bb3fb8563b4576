import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_logs_in_and_opens_a_case_from_the_list(
    page, live_server, login, assert_accessible, csp_errors
):
    UserFactory(username="coordinator", coordinator=True)
    bip = ProfessionalFactory(bip=True, user__first_name="Fatima", user__last_name="Yazami")
    case = CaseFactory(
        professional=bip, child=ChildFactory(first_name="Noor", last_name="Bakker"), arm="bip"
    )
    for _ in range(3):
        CaseFactory()

    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/inloggen/?next=/")
    assert_accessible(page)

    login("coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaken")
    assert_accessible(page)

    page.get_by_role("textbox", name="Zoeken").fill("Bakker")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    expect(page.locator("#results tbody tr")).to_have_count(1)

    page.get_by_role("link", name=case.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {case.number}")
    expect(page.get_by_text("Noor Bakker")).to_be_visible()
    assert_accessible(page)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
