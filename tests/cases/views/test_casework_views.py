"""Issue 16's pages: guardians, contact corrections, closed cases and search, printing, the
school lookup. Response, then database, then history or access-log row."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from cases.models import Case, Child, Contact, ContactCorrection, Guardian
from cases.services import case_assign
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory, SchoolFactory

pytestmark = pytest.mark.django_db

GUARDIAN = {
    "name": "Karin Smit",
    "relation": "moeder",
    "has_custody": "on",
    "phone": "06 12345678",
    "email": "k.smit@example.nl",
    "preferred_language": "nl",
}


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional)


@pytest.fixture
def closed_case(professional):
    return CaseFactory(professional=professional, closed=True)


def test_adding_a_guardian_stores_e164_and_shows_it_on_the_case_page(
    client_for, professional, case
):
    client = client_for(professional.user)
    response = client.post(reverse("cases:guardians", args=[case.pk]), GUARDIAN)
    assert response.status_code == 302
    guardian = Guardian.objects.get()
    assert (guardian.household_id, guardian.phone) == (case.child.household_id, "+31612345678")
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Karin Smit" in page and "06 12345678" in page


def test_htmx_gets_the_panel_only(client_for, professional, case):
    response = client_for(professional.user).post(
        reverse("cases:guardians", args=[case.pk]), GUARDIAN, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'id="guardians-panel"' in response.content
    assert b"<html" not in response.content


def test_a_bad_phone_number_is_refused_in_dutch_and_nothing_saved(client_for, professional, case):
    response = client_for(professional.user).post(
        reverse("cases:guardians", args=[case.pk]), GUARDIAN | {"phone": "123", "email": "x@"}
    )
    assert response.status_code == 422
    assert "geen geldig telefoonnummer" in response.content.decode()
    assert "geen geldig e-mailadres" in response.content.decode()
    assert 'value="123"' in response.content.decode()  # what the user typed stays
    assert not Guardian.objects.exists()


def test_editing_a_guardian(client_for, professional, case):
    client = client_for(professional.user)
    client.post(reverse("cases:guardians", args=[case.pk]), GUARDIAN)
    guardian = Guardian.objects.get()
    url = reverse("cases:guardian_edit", args=[case.pk, guardian.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, GUARDIAN | {"email": "", "phone": "+32 470 12 34 56"})
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.email, guardian.phone) == ("", "+32470123456")


def test_a_closed_case_is_readable_but_read_only_for_its_professional(
    client_for, professional, closed_case
):
    client = client_for(professional.user)
    assert client.get(reverse("cases:case_detail", args=[closed_case.pk])).status_code == 200
    assert client.get(reverse("cases:guardians", args=[closed_case.pk])).status_code == 200
    assert (
        client.post(reverse("cases:guardians", args=[closed_case.pk]), GUARDIAN).status_code == 403
    )
    assert client.get(reverse("cases:plan_goal_create", args=[closed_case.pk])).status_code == 403
    assert not Guardian.objects.exists()


def test_closed_cases_tab_and_search_over_open_and_closed(
    client_for, professional, case, closed_case
):
    other = CaseFactory(closed=True, professional=ProfessionalFactory())
    client = client_for(professional.user)
    page = client.get(reverse("cases:my_closed_cases")).content.decode()
    assert closed_case.number in page and case.number not in page and other.number not in page
    found = client.get(reverse("cases:my_closed_cases"), {"q": case.child.last_name}).content
    assert case.number.encode() in found
    found = client.get(reverse("cases:my_closed_cases"), {"q": closed_case.number}).content
    assert closed_case.number.encode() in found
    assert client.get(reverse("cases:my_cases")).content.count(b"Gesloten zaken") == 1


def test_closed_cases_page_has_a_constant_query_count(
    client_for, professional, django_assert_max_num_queries
):
    client = client_for(professional.user)
    CaseFactory.create_batch(3, professional=professional, closed=True)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("cases:my_closed_cases"))
    CaseFactory.create_batch(12, professional=professional, closed=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("cases:my_closed_cases"))


def test_a_handover_ends_the_read_access_to_a_closed_case(
    client_for, coordinator, professional, case
):
    successor = ProfessionalFactory(bip=True)
    # A surname no member of staff has: the page names the successor and the user, and a
    # random Dutch surname of theirs could be the child's.
    Child.objects.filter(pk=case.child_id).update(last_name="Zwerfkeijzer-Testkind")
    case.child.refresh_from_db()
    case_assign(
        case=case,
        professional=successor,
        actor=coordinator,
        reason="overig",
        note="Collega neemt het dossier over.",
        expected_version=case.version,
    )
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=timezone.localdate())
    client = client_for(professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    # 404, or only the "overgedragen aan ..." line: never the case file itself.
    assert case.child.last_name.encode() not in response.content
    assert case.number.encode() not in client.get(reverse("cases:my_closed_cases")).content
    assert client.get(reverse("cases:guardians", args=[case.pk])).status_code == 404


def test_correcting_a_contact_through_the_page(client_for, professional, case):
    contact = ContactFactory(case=case, occurred_at=timezone.now() - datetime.timedelta(hours=1))
    client = client_for(professional.user)
    url = reverse("cases:contact_correction", args=[case.pk, contact.pk])
    local = timezone.localtime(contact.occurred_at)
    response = client.post(
        url,
        {
            "kind": contact.kind,
            "with_whom": contact.with_whom,
            "occurred_on": local.date().isoformat(),
            "occurred_time": local.strftime("%H:%M"),
            "duration_minutes": 90,
            "summary": "Gecorrigeerd.",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.duration_minutes == 90
    assert ContactCorrection.objects.filter(contact=contact).exists()
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "gecorrigeerd op" in page


def test_a_late_correction_is_explained_not_shown(client_for, professional, case):
    contact = ContactFactory(case=case)
    Contact.objects.filter(pk=contact.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=15)
    )
    response = client_for(professional.user).post(
        reverse("cases:contact_correction", args=[case.pk, contact.pk]), {"duration_minutes": 5}
    )
    assert response.status_code == 403
    assert "14 dagen" in response.content.decode()
    contact.refresh_from_db()
    assert contact.duration_minutes == 45


def test_printing_is_logged_as_an_export(client_for, professional, closed_case):
    response = client_for(professional.user).post(
        reverse("cases:case_print", args=[closed_case.pk]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 204
    entry = AccessLogEntry.objects.get(action="export")
    assert entry.object_id == str(closed_case.pk)
    assert entry.details.get("format") == "print"


def test_printing_needs_post(client_for, professional, case):
    response = client_for(professional.user).get(reverse("cases:case_print", args=[case.pk]))
    assert response.status_code == 405


def test_schools_are_found_by_name_and_place(client_for, coordinator):
    SchoolFactory(name="Het Spaarne College", city="Haarlem")
    SchoolFactory(name="Kennemer Lyceum", city="Overveen")
    client = client_for(coordinator)
    by_place = client.get(reverse("cases:school_lookup"), {"school_zoek": "haarlem"}).content
    assert b"Spaarne" in by_place and b"Kennemer" not in by_place
    by_name = client.get(
        reverse("cases:school_lookup"),
        {"school_zoek": "kennemer", "veld": 'x"><'},
        HTTP_HX_REQUEST="true",
    ).content
    assert b"Kennemer" in by_name and b'name="school"' in by_name
