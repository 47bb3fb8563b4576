"""The coordinator imports a CSV file: upload, the worker checks it while the page shows the
progress, preview, confirm, the worker imports it, and the report.

The check and the import are queued in the database (django-tasks-db); the test runs the worker
(`db_worker --batch`) while the page is open, so the page's htmx polling sees each task finish
and reloads the page.
"""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, ImportBatch
from tests.cases.test_imports import csv_bytes, melding
from tests.factories import SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


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
    expect(page.get_by_role("heading", level=1)).to_have_text("Controle van het bestand")
    progress = page.get_by_role("progressbar", name="Bezig met controleren … 0%")
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_role("link", name="Vernieuwen")).to_be_visible()
    assert_accessible(page)

    # The worker checks the file; the polling page reloads itself with the preview.
    run_worker()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Voorvertoning import", timeout=10_000
    )
    expect(page.locator("#regel-2")).to_contain_text("Noor")
    expect(page.locator("#regel-2")).to_contain_text("Nieuw kind")
    expect(page.locator("#regel-3")).to_contain_text("Dit is geen geldig BSN")
    assert "meldingen.csv" in page.content()
    assert_accessible(page)
    assert not Case.objects.exists()

    page.get_by_role("button", name="2 meldingen importeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import wordt uitgevoerd")
    expect(page.get_by_text("Bezig met importeren … 0%")).to_be_visible()
    assert not Case.objects.exists()

    run_worker()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importverslag", timeout=10_000)
    expect(page.locator(".utrecht-alert--ok")).to_contain_text("2 zaken aangemaakt")
    numbers = list(Case.objects.order_by("pk").values_list("number", flat=True))
    assert len(numbers) == 2
    expect(page.locator("#regel-2").get_by_role("link", name=numbers[0])).to_be_visible()
    expect(page.locator("#regel-3")).to_contain_text("Overgeslagen")
    assert_accessible(page)

    page.locator("#regel-4").get_by_role("link", name=numbers[1]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {numbers[1]}")
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors


def test_coordinator_imports_then_assigns_by_suggestion_and_reassigns_with_a_reason(
    page, live_server, login, assert_accessible, tmp_path, mailoutbox
):
    from cases.models import Assignment
    from tests.factories import OrganisationFactory, ProfessionalFactory

    UserFactory(username="coordinator", coordinator=True)
    SchoolFactory(brin="12KL")
    leerplicht = OrganisationFactory(kind="leerplicht", name="Leerplicht Haarlem")
    bips = [
        ProfessionalFactory(bip=True, organisation=leerplicht, user__first_name=name)
        for name in ("Fatima", "Bas")
    ]
    regulars = [
        ProfessionalFactory(organisation=leerplicht, user__first_name=name)
        for name in ("Els", "Joost")
    ]
    upload = tmp_path / "meldingen.csv"
    upload.write_bytes(csv_bytes([recent_melding(), recent_melding()]))

    login("coordinator")
    page.goto(f"{live_server.url}/zaken/import/")
    page.get_by_label("CSV-bestand met verzuimmeldingen").set_input_files(upload)
    page.get_by_role("button", name="Uploaden en controleren").click()
    run_worker()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Voorvertoning import", timeout=10_000
    )
    page.get_by_role("button", name="2 meldingen importeren").click()
    run_worker()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importverslag", timeout=10_000)
    first, second = Case.objects.order_by("pk")

    # Assign the first case using the suggestion the page ranks first and preselects.
    page.get_by_role("link", name="Werkvoorraad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Werkvoorraad")
    assert_accessible(page)
    page.get_by_role("link", name=f"Toewijzen {first.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaak {first.number} toewijzen")
    assert_accessible(page)
    suggested = page.locator("input[name=professional]:checked")
    expect(suggested).to_have_count(1)
    suggested_pk = int(suggested.get_attribute("value"))
    expected = bips if first.arm == "bip" else regulars
    assert suggested_pk in {p.pk for p in expected}
    page.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_text(f"Zaak {first.number} is toegewezen")).to_be_visible()
    first.refresh_from_db()
    assert first.professional_id == suggested_pk

    # Assign the second, then reassign it: refused without a reason, a handover with one.
    page.goto(f"{live_server.url}/zaken/{second.pk}/toewijzen/")
    page.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_text(f"Zaak {second.number} is toegewezen")).to_be_visible()
    second.refresh_from_db()
    page.goto(f"{live_server.url}/zaken/{second.pk}/toewijzen/")
    other = next(p for p in bips + regulars if p.pk != second.professional_id)
    page.locator(f"input[name=professional][value='{other.pk}']").check()
    page.get_by_label("Reden").select_option("werkdruk")
    page.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_role("alert")).to_contain_text("Licht toe waarom")
    assert_accessible(page)
    page.get_by_label("Toelichting").fill("Verdeling van de herfstpiek.")
    page.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_text(f"Zaak {second.number} is toegewezen")).to_be_visible()
    handover = Assignment.objects.get(case=second, ended_at__isnull=True)
    assert handover.professional == other
    assert handover.is_handover
    assert handover.note == "Verdeling van de herfstpiek."
