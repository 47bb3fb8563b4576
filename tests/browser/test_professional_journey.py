import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.constants import CaseStatus, Stage
from cases.models import Case, Contact
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bip_carries_a_case_through_the_chain(
    page, live_server, login, assert_accessible, page_problems
):
    bip = ProfessionalFactory(bip=True, user__username="bip1", user__first_name="Fatima")
    today = timezone.localdate()
    case = CaseFactory(
        professional=bip,
        arm="bip",
        hours_absent=24,
        date_received=today - datetime.timedelta(days=10),
        child=ChildFactory(
            first_name="Noor",
            last_name="Bakker",
            date_of_birth=today.replace(year=today.year - 14) - datetime.timedelta(days=30),
        ),
    )

    login("bip1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn zaken")
    assert_accessible(page)
    page.get_by_role("link", name=case.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {case.number}")
    assert_accessible(page)

    # 1. A contact in the Leerplicht role, through the htmx form.
    form = page.locator("#contact-form")
    form.get_by_label("Rol in dit contact").select_option("leerplicht")
    form.get_by_label("Soort contact").select_option("verzuimgesprek")
    form.get_by_label("Met wie").select_option("leerling_en_ouders")
    form.get_by_label("Samenvatting").fill("Eerste verzuimgesprek met Noor en moeder.")
    form.get_by_role("button", name="Contact opslaan").click()
    expect(page.get_by_text("Contact vastgelegd in de rol Leerplicht.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Rol: Leerplicht")
    # Focus lands on the confirmation, not at the top of the page (issue 14, #16).
    expect(page.locator("#contact-form [role=status]")).to_be_focused()
    assert_accessible(page)

    # 2. Refer to Halt.
    page.get_by_role("link", name="Doorverwijzen naar Halt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doorverwijzen naar Halt")
    assert_accessible(page)
    page.get_by_label("Reden", exact=True).fill(
        "Eerste keer verzuim, leerling en ouders willen meewerken."
    )
    page.get_by_label("De leerling geeft toestemming").check()
    page.get_by_label("De ouders geven toestemming").check()
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("De zaak is doorverwezen naar Halt.")).to_be_visible()
    expect(page.locator(".kk-chain-track [aria-current=step]")).to_contain_text("Halt")

    # 3. A contact in the Halt role: the same professional, another capacity.
    form = page.locator("#contact-form")
    # The case is in the Halt step now: the role follows it, and only Halt's kinds are offered.
    expect(form.get_by_label("Rol in dit contact")).to_have_value("halt")
    expect(
        form.get_by_label("Soort contact").locator("option[value=verzuimgesprek]")
    ).to_have_count(0)
    # Choosing another role fetches that role's kinds (htmx), and back.
    form.get_by_label("Rol in dit contact").select_option("leerplicht")
    expect(
        form.get_by_label("Soort contact").locator("option[value=verzuimgesprek]")
    ).to_have_count(1)
    form.get_by_label("Rol in dit contact").select_option("halt")
    form.get_by_label("Soort contact").select_option("halt_gesprek")
    form.get_by_label("Met wie").select_option("leerling")
    form.get_by_role("button", name="Contact opslaan").click()
    expect(page.get_by_text("Contact vastgelegd in de rol Halt.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Rol: Halt")

    # 4. Close with a positive Halt result and an outcome.
    page.get_by_role("link", name="Halt-uitkomst vastleggen").click()
    # Wait for the new page: axe on a page still navigating finds no document.
    page.wait_for_url(re.compile(r"/halt-uitkomst/$"))
    assert_accessible(page)
    expect(page.locator("label[for=id_category]")).to_contain_text("verplicht bij positief")
    page.get_by_role("radio", name="Positief afgerond").check()
    # After a positive result the outcome is simply required: the label says so (htmx).
    expect(page.locator("label[for=id_category]")).to_have_text("Uitkomst van de zaak")
    # No error styling before the first submit (issue 14, #11).
    reason_border = page.get_by_label("Reden", exact=True).evaluate(
        "element => getComputedStyle(element).borderColor"
    )
    date_border = page.get_by_label("Datum uitkomst").evaluate(
        "element => getComputedStyle(element).borderColor"
    )
    assert reason_border == date_border, (reason_border, date_border)
    page.get_by_label("Uitkomst van de zaak").select_option("terug_op_school")
    page.get_by_label("Datum uitkomst").fill(today.isoformat())
    page.get_by_label("Reden", exact=True).fill("Leeropdracht gedaan, Noor gaat weer naar school.")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("De Halt-uitkomst is vastgelegd.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Zaak gesloten")
    assert_accessible(page)

    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.CLOSED
    assert case.stage == Stage.HALT
    assert case.professional == bip
    assert list(
        Contact.objects.filter(case=case)
        .order_by("occurred_at", "id")
        .values_list("role", flat=True)
    ) == ["leerplicht", "halt"]
    assert case.outcomes.get().category == "terug_op_school"
    assert not case.assignments.filter(is_handover=True).exists()
    page_problems.assert_clean()


def test_a_refused_contact_keeps_the_input_and_explains(page, live_server, login, page_problems):
    regular = ProfessionalFactory(user__username="regular1")  # Leerplicht, not a BIP
    regular.qualifications.update(is_sworn=False)
    case = CaseFactory(professional=regular)
    login("regular1")
    page.goto(f"{live_server.url}/zaken/{case.pk}/")
    form = page.locator("#contact-form")
    expect(form.get_by_label("Rol in dit contact").locator("option")).to_have_count(1)
    form.get_by_label("Soort contact").select_option("verhoor")
    form.get_by_label("Samenvatting").fill("Verhoor gepland")
    form.get_by_role("button", name="Contact opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("BOA")
    expect(form.get_by_label("Samenvatting")).to_have_value("Verhoor gepland")
    # Focus moves to the error summary (issue 14, #16).
    expect(page.locator("#contact-form .kk-error-summary")).to_be_focused()
    assert not Contact.objects.filter(case=case).exists()
    # The refusal is a 422 on purpose; Chromium logs every 4xx answer.
    page_problems.assert_clean(allow=("status of 422",))
