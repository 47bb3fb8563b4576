"""Issue 16 (§1, 2, 6, 7) in the browser: a BIP adds a guardian, logs a contact and corrects
it, prints the case file, closes the case, hands the survey over on paper (the household has
no e-mail address) and finds the case under closed cases. axe on every page, desktop width."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AccessLogEntry
from cases.constants import CaseStatus
from cases.models import Case, Contact, ContactCorrection, Guardian
from evaluation.models import SurveyInvitation
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def printed_count(page, expected: int) -> None:
    """Wait until window.print was called `expected` times (evaluated by the test tool: the
    page's CSP forbids wait_for_function's string evaluation)."""
    for _ in range(50):
        if page.evaluate("() => window.kkPrinted || 0") == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"window.print was not called {expected} time(s)")


def test_bip_works_a_case_to_its_closure_and_finds_it_again(
    page, live_server, login, assert_accessible, page_problems, settings
):
    settings.SITE_URL = live_server.url
    page.set_viewport_size(DESKTOP)
    bip = ProfessionalFactory(bip=True, user__username="bip1", user__first_name="Fatima")
    today = timezone.localdate()
    case = CaseFactory(
        professional=bip,
        arm="bip",
        date_received=today - datetime.timedelta(days=10),
        child=ChildFactory(
            first_name="Noor",
            last_name="Bakker",
            date_of_birth=today.replace(year=today.year - 14) - datetime.timedelta(days=30),
        ),
    )
    case_url = f"{live_server.url}/zaken/{case.pk}/"
    # The print dialog cannot be tested: count the calls instead (on every page, injected by
    # the test tool, so the CSP does not apply).
    page.add_init_script(
        "window.print = () => { window.kkPrinted = (window.kkPrinted || 0) + 1; };"
    )

    login("bip1")
    page.goto(case_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {case.number}")
    assert_accessible(page)

    # 1. A guardian, without an e-mail address (so the survey will go on paper).
    page.get_by_role("link", name="Ouders en verzorgers toevoegen of wijzigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ouders en verzorgers")
    assert_accessible(page)
    page.get_by_label("Naam", exact=True).fill("Anna Bakker")
    page.get_by_label("Relatie tot het kind").select_option("moeder")
    page.get_by_label("Telefoon").fill("06 12345678")
    page.get_by_role("button", name="Toevoegen").click()
    expect(page.locator("#guardians-panel")).to_contain_text("Anna Bakker")
    expect(page.locator("#guardians-panel")).to_contain_text("06 12345678")
    assert_accessible(page)
    guardian = Guardian.objects.get()
    assert (guardian.household_id, guardian.phone) == (case.child.household_id, "+31612345678")
    page.goto(case_url)
    expect(page.locator("#guardians")).to_contain_text("geen: uitnodigingen op papier")

    # 2. A contact, then a correction of it.
    form = page.locator("#contact-form")
    form.get_by_label("Rol in dit contact").select_option("leerplicht")
    form.get_by_label("Soort contact").select_option("verzuimgesprek")
    form.get_by_label("Met wie").select_option("leerling_en_ouders")
    form.get_by_label("Samenvatting").fill("Gesprek met Noor en moeder.")
    form.get_by_role("button", name="Contact opslaan").click()
    expect(page.get_by_text("Contact vastgelegd in de rol Leerplicht.")).to_be_visible()
    contact = Contact.objects.get(case=case)
    page.goto(case_url)
    page.locator(f"#contact-{contact.pk}").get_by_role("link", name="Contact corrigeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact corrigeren")
    assert_accessible(page)
    page.get_by_label("Duur in minuten").fill("50")
    page.get_by_label("Samenvatting").fill("Gesprek met Noor en moeder; afspraken over rooster.")
    page.get_by_role("button", name="Correctie opslaan").click()
    entry = page.locator(f"#contact-{contact.pk}")
    expect(entry).to_contain_text("gecorrigeerd op")
    expect(entry).to_contain_text("afspraken over rooster")
    assert_accessible(page)
    correction = ContactCorrection.objects.get(contact=contact)
    assert correction.before["summary"] == "Gesprek met Noor en moeder."

    # 3. Print the case file: the POST is logged as an export, the print stylesheet is linked.
    with page.expect_response(re.compile(rf"/zaken/{case.pk}/afdrukken/$")) as printed:
        page.get_by_role("button", name="Afdrukken").click()
    assert printed.value.request.method == "POST"
    assert printed.value.status == 204
    expect(page.locator("link[rel=stylesheet][media=print]")).to_have_attribute(
        "href", re.compile(r"css/print.*\.css")
    )
    printed_count(page, 1)
    export = AccessLogEntry.objects.get(action="export", object_id=str(case.pk))
    assert export.details == {"format": "print"}

    # 4. The case is closed with its outcome.
    page.get_by_role("link", name="Zaak sluiten met uitkomst").click()
    # Wait for the new page: axe on a page still navigating finds no document.
    page.wait_for_url(re.compile(rf"/zaken/{case.pk}/sluiten/$"))
    assert_accessible(page)
    page.get_by_label(re.compile("^Uitkomst")).select_option("terug_op_school")
    page.get_by_label("Datum uitkomst").fill(today.isoformat())
    page.get_by_label("Reden", exact=True).fill("Noor gaat weer naar school.")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("De zaak is gesloten.")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    # Read-only for its professional now: no contact form, no correction link.
    expect(page.locator("#contact-form")).to_have_count(0)
    expect(page.get_by_role("link", name="Contact corrigeren")).to_have_count(0)
    assert_accessible(page)

    # 5. No e-mail address: the survey is listed to hand over on paper.
    page.goto(f"{live_server.url}/zaken/mijn-zaken/")
    page.get_by_role("link", name="Enquêtes op papier").click()
    expect(page.locator(f"#paper-case-{case.pk}")).to_contain_text("Nog niet gemaakt")
    assert_accessible(page)
    page.locator(f"#paper-case-{case.pk}").get_by_role(
        "link", name=re.compile("Papieren uitnodiging maken")
    ).click()
    page.wait_for_url(re.compile(rf"/zaken/{case.pk}/enquete-op-papier/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Maak papieren uitnodiging").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Papieren uitnodiging gemaakt")
    expect(page.locator(".kk-paper-invitation svg.kk-qr")).to_have_count(2)  # parent, child
    assert_accessible(page)
    link = page.locator(".kk-paper-invitation__link").first.inner_text()
    assert SurveyInvitation.objects.filter(case=case, used_at__isnull=True).count() == 2
    page.get_by_role("button", name="Afdrukken").click()
    printed_count(page, 1)
    # The printed link opens the survey (no login needed).
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/evaluatie/enquete/" in page.url

    # 6. The closed case is found under closed cases (a tab of Mijn zaken), and by search.
    page.goto(f"{live_server.url}/zaken/mijn-zaken/")
    expect(page.locator(f"a[href='/zaken/{case.pk}/']")).to_have_count(0)
    page.get_by_role("link", name="Gesloten zaken en zoeken").click()
    expect(page.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("textbox", name="Zoeken").fill("Bakker")
    page.get_by_role("button", name="Zoeken in open en gesloten zaken").click()
    expect(page.locator("#results")).to_contain_text("Noor Bakker")
    page.get_by_role("link", name=case.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {case.number}")
    assert_accessible(page)
    page_problems.assert_clean()
