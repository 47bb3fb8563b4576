"""Documents pages: upload, list, download with its headers and access-log entry."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AccessLogEntry
from cases.models import Document
from cases.services.documents import document_upload
from tests.cases.document_samples import MINIMAL_PDF, TRUNCATED_PDF, xlsx_bytes
from tests.factories import CaseFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return CaseFactory(professional=ProfessionalFactory(bip=True))


def url(case):
    return reverse("cases:documents", args=[case.pk])


def post_file(client, case, content, name="overzicht.pdf", kind="schoolverzuimoverzicht"):
    return client.post(url(case), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_the_professional_uploads_the_absence_overview(client, case):
    client.force_login(case.professional.user)
    response = post_file(client, case, xlsx_bytes(), name="verzuim.xlsx")

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.case == case
    assert document.kind == "schoolverzuimoverzicht"
    assert document.original_name == "verzuim.xlsx"
    page = client.get(response.url).content.decode()
    assert "Document verzuim.xlsx toegevoegd aan de zaak." in page
    assert "verzuim.xlsx" in page
    entry = AccessLogEntry.objects.filter(case_id=case.pk, action="change").latest("occurred_at")
    assert entry.details["params"]["kind"] == "schoolverzuimoverzicht"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"MZ\x90\x00 not a document",
            "overzicht.pdf",
            "geen leesbare PDF, PNG, JPEG, DOCX of XLSX",
        ),
        (TRUNCATED_PDF, "kapot.pdf", "geen leesbare PDF"),
        (b"", "leeg.pdf", "Het bestand is leeg."),
    ],
)
def test_bad_files_get_a_dutch_message_and_422(client, case, content, name, message):
    client.force_login(case.professional.user)
    response = post_file(client, case, content, name=name)
    assert response.status_code == 422
    assert message in response.content.decode()
    # The chosen kind is kept.
    assert 'value="schoolverzuimoverzicht" selected' in response.content.decode()
    assert not Document.objects.exists()


def test_no_file_at_all_is_a_form_error(client, case):
    client.force_login(case.professional.user)
    response = client.post(url(case), {"kind": "rapport"})
    assert response.status_code == 422
    assert not Document.objects.exists()


def test_write_rules(client, case):
    other = ProfessionalFactory(bip=True)
    client.force_login(other.user)
    assert post_file(client, case, MINIMAL_PDF).status_code == 404
    closed = CaseFactory(professional=case.professional, closed=True)
    client.force_login(case.professional.user)
    # A closed case is read-only for its professional: no upload form, a post is refused.
    response = client.get(url(closed))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' not in response.content.decode()
    assert post_file(client, closed, MINIMAL_PDF).status_code == 403
    assert client.put(url(case)).status_code == 405
    assert not Document.objects.exists()


def test_the_coordinator_uploads_and_reads(client, case):
    client.force_login(UserFactory(coordinator=True))
    assert post_file(client, case, MINIMAL_PDF).status_code == 302
    assert client.get(url(case)).status_code == 200


def test_download_is_an_attachment_not_cached_not_sniffed_and_logged(client, case):
    document = document_upload(
        case=case,
        kind="rapport",
        file=SimpleUploadedFile("rapport.pdf", MINIMAL_PDF),
        actor=case.professional.user,
    )
    client.force_login(case.professional.user)
    response = client.get(reverse("cases:document_download", args=[case.pk, document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="rapport.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    entry = AccessLogEntry.objects.get(action="download")
    assert entry.case_id == case.pk
    assert entry.actor == case.professional.user
    assert entry.details["object"] == "document"
    assert f"/documenten/{document.pk}/" in entry.path


def test_a_document_of_another_case_is_not_found_and_the_attempt_is_logged(client, case):
    other_case = CaseFactory(professional=case.professional)
    document = document_upload(
        case=other_case,
        kind="rapport",
        file=SimpleUploadedFile("rapport.pdf", MINIMAL_PDF),
        actor=case.professional.user,
    )
    client.force_login(ProfessionalFactory(bip=True).user)
    response = client.get(reverse("cases:document_download", args=[other_case.pk, document.pk]))
    assert response.status_code == 404
    assert AccessLogEntry.objects.get(action="download").result == "refused"
    # Through a case the user may see, a document of another case is not found either.
    client.force_login(case.professional.user)
    assert (
        client.get(reverse("cases:document_download", args=[case.pk, document.pk])).status_code
        == 404
    )


def test_a_lost_file_is_a_404_not_a_500(client, case):
    from django.core.files.storage import default_storage

    document = document_upload(
        case=case,
        kind="rapport",
        file=SimpleUploadedFile("rapport.pdf", MINIMAL_PDF),
        actor=case.professional.user,
    )
    default_storage.delete(document.storage_name)
    client.force_login(case.professional.user)
    response = client.get(reverse("cases:document_download", args=[case.pk, document.pk]))
    assert response.status_code == 404


def test_the_list_costs_the_same_queries_for_more_documents(
    client, case, django_assert_max_num_queries
):
    client.force_login(case.professional.user)
    upload = lambda: document_upload(  # noqa: E731
        case=case,
        kind="rapport",
        file=SimpleUploadedFile("r.pdf", MINIMAL_PDF),
        actor=case.professional.user,
    )
    upload()
    with django_assert_max_num_queries(30) as few:
        client.get(url(case))
    for _ in range(5):
        upload()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(case))
