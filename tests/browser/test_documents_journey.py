"""A BIP uploads the school's absence overview, previews and generates an invitation letter,
finds the follow-up on Mijn agenda and downloads the .ics. axe on every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Document
from tests.cases.document_samples import xlsx_bytes
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    ProfessionalFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bip_uploads_writes_a_letter_and_uses_the_agenda(
    page, live_server, login, assert_accessible, page_problems, tmp_path
):
    bip = ProfessionalFactory(bip=True, user__username="bip1", user__first_name="Fatima")
    today = timezone.localdate()
    case = CaseFactory(
        professional=bip,
        child=ChildFactory(first_name="Noor", last_name="Bakker"),
    )
    GuardianFactory(child=case.child, name="Anna Bakker")
    ContactFactory(case=case, follow_up_on=today)
    overview = tmp_path / "verzuimoverzicht.xlsx"
    overview.write_bytes(xlsx_bytes())

    login("bip1")
    page.goto(f"{live_server.url}/zaken/{case.pk}/")
    assert_accessible(page)

    # 1. Upload the school's absence overview.
    page.get_by_role("link", name="Documenten van deze zaak").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Documenten van zaak {case.number}")
    assert_accessible(page)
    page.get_by_label("Soort document").select_option("schoolverzuimoverzicht")
    page.get_by_label("Bestand").set_input_files(str(overview))
    page.get_by_role("button", name="Toevoegen").click()
    expect(
        page.get_by_text("Document verzuimoverzicht.xlsx toegevoegd aan de zaak.")
    ).to_be_visible()
    assert_accessible(page)

    # 2. An invitation letter: preview first, then generate and store as PDF.
    page.get_by_role("link", name="Brief maken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Brief maken bij zaak {case.number}")
    assert_accessible(page)
    page.get_by_label("Brief", exact=True).select_option("uitnodiging")
    page.get_by_label("Rol waarin je de brief verstuurt").select_option("leerplicht")
    page.get_by_label("Datum van het gesprek").fill(
        (today + datetime.timedelta(days=7)).isoformat()
    )
    page.get_by_label("Tijdstip van het gesprek").fill("10:30")
    page.get_by_label("Plaats van het gesprek").fill("Stadhuis Haarlem")
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    preview = page.locator(".kk-letter-preview")
    expect(preview).to_contain_text("Anna Bakker")
    expect(preview).to_contain_text("Stadhuis Haarlem")
    assert_accessible(page)
    page.get_by_role("button", name="Brief maken en bewaren als PDF").click()
    expect(page.get_by_text(re.compile("Brief uitnodiging verzuimgesprek gemaakt"))).to_be_visible()
    assert Document.objects.filter(case=case, letter="uitnodiging").exists()
    with page.expect_download() as letter_download:
        page.get_by_role("link", name=re.compile(r"uitnodiging-verzuimgesprek-.*\.pdf")).click()
    assert letter_download.value.suggested_filename.endswith(".pdf")
    page.goto(f"{live_server.url}/zaken/{case.pk}/")
    expect(page.locator("#timeline")).to_contain_text(
        "Brief Uitnodiging verzuimgesprek verstuurd, rol Leerplicht"
    )

    # 3. The follow-up on Mijn agenda, and the calendar file.
    page.get_by_role("link", name=re.compile("^Mijn agenda")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn agenda")
    expect(page.locator("#agenda-due-count")).to_have_text(re.compile("^1"))
    expect(page.get_by_role("link", name=case.number).first).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as calendar_download:
        page.get_by_role("link", name="Agenda downloaden (.ics)").click()
    ics = calendar_download.value.path().read_text(encoding="utf-8")
    assert f"SUMMARY:{case.number}: Vervolgafspraak" in ics
    assert "Noor" not in ics and "Bakker" not in ics

    page_problems.assert_clean()
