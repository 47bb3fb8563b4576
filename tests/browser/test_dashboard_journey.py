import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOON = datetime.time(12)


def test_coordinator_opens_the_peak_dashboard(
    page, live_server, login, assert_accessible, csp_errors
):
    UserFactory(username="coordinator", coordinator=True)
    bip = ProfessionalFactory(bip=True, max_caseload=2, user__last_name="Yazami")
    regular = ProfessionalFactory(user__last_name="Jansen")
    today = timezone.localdate()
    for weeks_ago, arm, professional in [
        (1, "bip", bip),
        (3, "controle", regular),
        (10, "bip", bip),
        (20, "controle", regular),
        (30, "bip", bip),
    ]:
        case = CaseFactory(
            professional=professional,
            arm=arm,
            date_received=today - datetime.timedelta(weeks=weeks_ago),
        )
        # Two days after the referral, at noon: "now minus n weeks" at 23:30 in winter is 00:30
        # the next day in summer time, which made the wait 3 days late in the evening.
        contact_day = today - datetime.timedelta(weeks=weeks_ago, days=-2)
        ContactFactory(
            case=case,
            occurred_at=timezone.make_aware(datetime.datetime.combine(contact_day, NOON)),
        )
    CaseFactory(arm="")  # not yet allocated, no contact

    login("coordinator")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")

    chart = page.get_by_role("img", name="Nieuwe meldingen per week, afgelopen 52 weken")
    expect(chart).to_be_visible()
    inflow_table = page.get_by_role(
        "table", name="Nieuwe meldingen per week en arm, nieuwste week bovenaan"
    )
    expect(inflow_table).to_be_visible()
    expect(inflow_table.locator("tbody tr")).to_have_count(52)
    expect(inflow_table.get_by_text("sep.–dec.").first).to_be_attached()

    waiting = page.get_by_role("table", name="Wachttijd van melding tot eerste contact per arm")
    expect(waiting.get_by_role("row", name="BIP-arm")).to_contain_text("2")
    caseload = page.get_by_role("region", name="Actieve professionals op belasting")
    expect(caseload.get_by_role("row").nth(1)).to_contain_text("Boven capaciteit")
    expect(page.get_by_role("table", name="Open zaken per ketenstap en arm")).to_be_visible()

    assert_accessible(page)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
