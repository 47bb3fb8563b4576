import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, ImportBatch
from tests.cases.test_imports import csv_bytes, melding
from tests.factories import SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def recent_melding(**overrides) -> dict[str, str]:
    """A valid row dated relative to today: the live server runs on the real clock."""
    today = timezone.localdate()
    return melding(
        meldingsdatum=(today - datetime.timedelta(days=3)).isoformat(),
        verzuim_vanaf=(today - datetime.timedelta(days=31)).isoformat(),
        verzuim_tot_en_met=(today - datetime.timedelta(days=4)).isoformat(),
        geboortedatum=today.replace(year=today.year - 13, day=1).isoformat(),
        **overrides,
    )


def test_coordinator_uploads_previews_confirms_and_reads_the_report(
    page, live_server, login, assert_accessible, csp_errors, tmp_path
):
    UserFactory(username="coordinator", coordinator=True)
    SchoolFactory(brin="12KL")
    rows = [recent_melding(voornamen="Noor"), recent_melding(bsn="123"), recent_melding()]
    good_file = tmp_path / "meldingen.csv"
    good_file.write_bytes(csv_bytes(rows))
    comma_file = tmp_path / "komma.csv"
    comma_file.write_bytes(csv_bytes(rows, delimiter=","))

    login("coordinator")
    page.goto(f"{live_server.url}/zaken/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen importeren")
    assert_accessible(page)

    # A file with commas is refused on the form, and nothing is stored.
    page.get_by_label("CSV-bestand met verzuimmeldingen").set_input_files(comma_file)
    page.get_by_role("button", name="Uploaden en controleren").click()
    expect(page.get_by_role("alert")).to_contain_text("Verkeerd scheidingsteken")
    assert_accessible(page)
    assert not ImportBatch.objects.exists()

    page.get_by_label("CSV-bestand met verzuimmeldingen").set_input_files(good_file)
    page.get_by_role("button", name="Uploaden en controleren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voorvertoning import")
    expect(page.locator("#regel-2")).to_contain_text("Noor")
    expect(page.locator("#regel-2")).to_contain_text("Nieuw kind")
    expect(page.locator("#regel-3")).to_contain_text("Dit is geen geldig BSN")
    assert "meldingen.csv" in page.content()
    assert_accessible(page)
    assert not Case.objects.exists()

    page.get_by_role("button", name="2 meldingen importeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importverslag")
    expect(page.get_by_role("status").first).to_contain_text("2 zaken aangemaakt")
    numbers = list(Case.objects.order_by("pk").values_list("number", flat=True))
    assert len(numbers) == 2
    expect(page.locator("#regel-2").get_by_role("link", name=numbers[0])).to_be_visible()
    expect(page.locator("#regel-3")).to_contain_text("Overgeslagen")
    assert_accessible(page)

    page.locator("#regel-4").get_by_role("link", name=numbers[1]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {numbers[1]}")
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
