"""The letter page: form, HTML preview, then the PDF stored on the case."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Document
from professionals.models import Qualification
from tests.factories import CaseFactory, GuardianFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()


@pytest.fixture
def case():
    case = CaseFactory(professional=ProfessionalFactory(bip=True))
    GuardianFactory(child=case.child, name="Anna Jansen")
    return case


def url(case):
    return reverse("cases:letter_create", args=[case.pk])


def invitation(action):
    return {
        "letter": "uitnodiging",
        "role": "leerplicht",
        "language": "nl",
        "appointment_on": TOMORROW,
        "appointment_time": "10:30",
        "location": "Stadhuis",
        "action": action,
    }


def test_preview_then_generate(client, case):
    client.force_login(case.professional.user)
    assert client.get(url(case)).status_code == 200

    preview = client.post(url(case), invitation("voorbeeld"))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Voorbeeld van de brief" in html
    assert "Anna Jansen" in html
    assert "Stadhuis" in html
    assert 'value="maken"' in html
    assert not Document.objects.exists()

    response = client.post(url(case), invitation("maken"))
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.letter, document.role, document.case) == ("uitnodiging", "leerplicht", case)
    page = client.get(response.url).content.decode()
    assert "Brief uitnodiging verzuimgesprek gemaakt en bij de zaak bewaard" in page


def test_english_preview(client, case):
    client.force_login(case.professional.user)
    response = client.post(url(case), invitation("voorbeeld") | {"language": "en"})
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_no_guardians_gives_a_clear_dutch_message_and_no_letter(client):
    case = CaseFactory(professional=ProfessionalFactory(bip=True))
    client.force_login(case.professional.user)
    assert "nog geen ouders of verzorgers" in client.get(url(case)).content.decode()
    response = client.post(url(case), invitation("maken"))
    assert response.status_code == 422
    assert "Voeg ze eerst toe bij de zaak" in response.content.decode()
    assert 'value="Stadhuis"' in response.content.decode()  # the input is kept
    assert not Document.objects.exists()


def test_a_pv_by_a_non_boa_is_refused(client, case):
    Qualification.objects.filter(professional=case.professional).update(is_sworn=False)
    client.force_login(case.professional.user)
    response = client.post(
        url(case),
        {"letter": "concept_pv", "role": "leerplicht", "language": "nl", "action": "maken"},
    )
    assert response.status_code == 422
    assert "beëdigd buitengewoon opsporingsambtenaar" in response.content.decode()
    assert not Document.objects.exists()


def test_access(client, case):
    client.force_login(UserFactory(coordinator=True))
    assert client.get(url(case)).status_code == 403
    client.force_login(ProfessionalFactory(bip=True).user)
    assert client.post(url(case), invitation("maken")).status_code == 404
    client.force_login(case.professional.user)
    assert client.put(url(case)).status_code == 405
    assert not Document.objects.exists()
