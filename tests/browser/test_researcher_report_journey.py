"""The researcher opens the evaluation report: both arms, the Kaplan-Meier chart, a filter."""

import datetime

import pytest
from playwright.sync_api import expect

from evaluation.constants import Arm
from evaluation.snapshots import measurements_snapshot
from tests.factories import CaseFactory, OutcomeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_compares_the_arms(page, live_server, login, assert_accessible, csp_errors):
    UserFactory(username="researcher", researcher=True)
    received = datetime.date(2024, 3, 4)
    for index in range(12):
        for arm in (Arm.BIP, Arm.CONTROL):
            case = CaseFactory(
                arm=arm, date_received=received + datetime.timedelta(days=index), closed=True
            )
            if index % (2 if arm == Arm.BIP else 3) == 0:
                OutcomeFactory(
                    case=case, achieved_on=case.date_received + datetime.timedelta(days=20 + index)
                )
    CaseFactory(arm=Arm.BIP, date_received=datetime.date(2024, 9, 2))  # a small cell
    measurements_snapshot(datetime.date(2024, 8, 1), None)

    login("researcher")
    expect(page.get_by_role("heading", level=1)).to_contain_text("BIP-arm tegenover controlearm")
    flow = page.get_by_role("table", name="Aantal zaken per stap en arm")
    expect(flow.get_by_role("row", name="Toegewezen (n)")).to_contain_text("13")
    expect(flow.get_by_role("row", name="Gemeten op drie maanden")).to_contain_text("12")
    expect(flow.get_by_role("row", name="Nog niet gemeten")).to_contain_text("< 5")
    outcome = page.get_by_role("table", name="Passende uitkomst binnen drie maanden per arm")
    expect(outcome.get_by_role("row", name="BIP-arm")).to_contain_text("50,0 %")
    expect(outcome.get_by_role("row", name="Controlearm")).to_contain_text("33,3 %")
    chart = page.get_by_role("img", name="Kaplan-Meiercurve")
    expect(chart).to_be_visible()
    expect(chart.locator("path.kk-km__line")).to_have_count(2)
    expect(page.get_by_role("table", name="Aandeel met passende uitkomst")).to_be_visible()
    assert_accessible(page)

    # A period without referrals: the empty state, and the typed dates stay.
    page.get_by_label("Meldingen vanaf").fill("2025-01-01")
    page.get_by_label("Meldingen tot en met").fill("2025-03-31")
    page.get_by_role("button", name="Rapport tonen").click()
    expect(page.get_by_text("Er zijn geen meldingen in deze periode")).to_be_visible()
    expect(page.get_by_label("Meldingen vanaf")).to_have_value("2025-01-01")

    # A reversed period: the error summary, no figures.
    page.get_by_label("Meldingen vanaf").fill("2024-06-01")
    page.get_by_label("Meldingen tot en met").fill("2024-01-01")
    page.get_by_role("button", name="Rapport tonen").click()
    expect(page.get_by_role("alert")).to_contain_text("De einddatum ligt vóór de begindatum")
    assert_accessible(page)

    expect(page.get_by_role("link", name="Naar de definities")).to_have_count(0)
    page.get_by_role("link", name="Hele studieperiode").click()
    page.get_by_role("link", name="Naar de definities").click()
    expect(page.locator("#definitie-km_event")).to_be_visible()
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
