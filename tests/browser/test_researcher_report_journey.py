"""The researcher opens the evaluation report: chooses a month range and a data freeze, sees
BIP against control with the effect estimates, Table 1 and the forest plot, and opens the
printable recommendation report."""

import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from evaluation.constants import Arm
from evaluation.freezes import freeze_create
from evaluation.snapshots import measurements_snapshot
from tests.factories import CaseFactory, OutcomeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_compares_the_arms(
    page, live_server, login, assert_accessible, page_problems, settings
):
    settings.STUDY_START, settings.STUDY_END = "2024-01-01", "2024-12-31"
    researcher = UserFactory(username="researcher", researcher=True)
    received = datetime.date(2024, 3, 4)
    for index in range(20):
        for arm in (Arm.BIP, Arm.CONTROL):
            case = CaseFactory(
                arm=arm, date_received=received + datetime.timedelta(days=index), closed=True
            )
            if index % (2 if arm == Arm.BIP else 3) == 0:
                OutcomeFactory(
                    case=case, achieved_on=case.date_received + datetime.timedelta(days=20 + index)
                )
    for index in range(5):  # May: censored in freeze T1 (its study ended before August)
        for arm in (Arm.BIP, Arm.CONTROL):
            CaseFactory(arm=arm, date_received=datetime.date(2024, 5, 10 + index))
    measurements_snapshot(datetime.date(2024, 8, 1), datetime.date(2024, 12, 31))
    freeze_create(label="T1", actor=researcher, study_end=datetime.date(2024, 7, 31))

    login("researcher")
    expect(page.get_by_role("heading", level=1)).to_contain_text("BIP-arm tegenover controlearm")

    # April-May asked, on freeze T1: April belongs to March's block (March-April), so the
    # report shows March-May, and says so.
    page.get_by_label("Van maand").fill("2024-04")
    page.get_by_label("Tot en met maand").fill("2024-05")
    page.get_by_label("Metingen uit").select_option(label="Datafreeze T1")
    page.get_by_role("button", name="Rapport tonen").click()
    expect(page.locator("#period-widened")).to_contain_text("het rapport toont")
    expect(page.get_by_label("Van maand")).to_have_value("2024-04")

    flow = page.get_by_role("table", name="Aantal zaken per stap en arm")
    measured = flow.get_by_role("row", name="Gemeten op drie maanden").get_by_role("cell")
    expect(measured).to_have_text(["20", "20"])
    estimates = page.get_by_role("table", name="Effectschattingen BIP tegenover controle (ITT)")
    # 10/20 - 7/20 = 15 points.
    expect(estimates.get_by_role("row", name="risicoverschil")).to_contain_text("15,0 procentpunt")
    expect(estimates.get_by_role("row", name="hazard ratio")).to_be_visible()
    expect(
        page.get_by_text("ITT (naar toegewezen arm), metingen: datafreeze T1.").first
    ).to_be_visible()
    expect(page.get_by_role("table", name="Tabel 1: kenmerken bij de melding")).to_be_visible()
    forest = page.get_by_role("img", name="Forest plot")
    expect(forest).to_be_visible()
    expect(page.get_by_role("table", name="Passende uitkomst per lotingsstratum")).to_contain_text(
        "Alle strata samen"
    )
    expect(page.get_by_role("img", name="Kaplan-Meiercurve")).to_be_visible()
    # A freeze's figures were computed with it, and are not computed again.
    expect(page.locator("#report-as-of")).to_contain_text("toen de datafreeze werd vastgelegd")
    expect(page.get_by_role("button", name="Cijfers nu opnieuw berekenen")).to_have_count(0)
    assert_accessible(page)

    # The printable recommendation report for the same months and freeze.
    page.get_by_role("link", name="Adviesrapport voor deze periode").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Adviesrapport BIP-pilot")
    expect(page.locator("#recommendation-source")).to_contain_text("Datafreeze T1")
    expect(page.get_by_role("table", name="Tabel 1: kenmerken bij de melding")).to_be_visible()
    expect(page.get_by_role("img", name="Forest plot")).to_be_visible()
    expect(page.get_by_role("table", name="Tevredenheid: Ouder")).to_be_visible()
    expect(page.get_by_role("heading", name="Definities")).to_be_visible()
    assert page.locator('link[href$="print-report.css"][media="print"]').count() == 1
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Adviesrapport tonen")).to_be_hidden()
    page.emulate_media(media="screen")

    # A reversed period on the report: the error summary, no figures, the typed months stay.
    page.get_by_role("link", name="Terug naar het evaluatierapport").click()
    page.get_by_label("Van maand").fill("2024-06")
    page.get_by_label("Tot en met maand").fill("2024-01")
    page.get_by_role("button", name="Rapport tonen").click()
    expect(page.get_by_role("alert")).to_contain_text("De laatste maand ligt vóór de eerste")
    expect(page.get_by_label("Tot en met maand")).to_have_value("2024-01")
    expect(page.get_by_role("link", name="Naar de definities")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Hele studieperiode").click()
    page.get_by_role("link", name="Naar de definities").click()
    expect(page.locator("#definitie-km_event")).to_be_visible()
    # The daily snapshot has no stored figures yet: computed live. The researcher asks for a
    # computation; the worker makes it, and the page then says as of when.
    page.get_by_label("Metingen uit").select_option(
        label="Dagelijkse driemaandsmeting (geen freeze)"
    )
    page.get_by_role("button", name="Rapport tonen").click()
    expect(page.locator("#report-as-of")).to_contain_text("zojuist berekend uit de actuele")
    page.get_by_role("button", name="Cijfers nu opnieuw berekenen").click()
    expect(page.get_by_text("De cijfers worden opnieuw berekend.")).to_be_visible()
    expect(page.get_by_label("Van maand")).to_have_value("2024-01")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    page.reload()
    expect(page.locator("#report-as-of")).to_contain_text("na de volgende berekening")
    assert_accessible(page)

    # The reversed period is answered with 400 on purpose; nothing else may go wrong.
    page_problems.assert_clean(allow=("status of 400",))
