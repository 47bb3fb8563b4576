"""cases.services.documents: type by content, size, corrupt files, names, storage."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.constants import DocumentKind
from cases.exceptions import RuleViolation
from cases.models import Document
from cases.services.documents import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLSX,
    detect_content_type,
    document_files_delete,
    document_upload,
    safe_file_name,
)
from tests.cases.document_samples import (
    MINIMAL_PDF,
    TRUNCATED_PDF,
    docx_bytes,
    jpeg_bytes,
    png_bytes,
    xlsx_bytes,
)
from tests.factories import CaseFactory, ProfessionalFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture
def case():
    return CaseFactory(professional=ProfessionalFactory(bip=True))


def upload(case, content: bytes, name: str = "overzicht.pdf", kind=DocumentKind.REPORT):
    return document_upload(
        case=case, kind=kind, file=SimpleUploadedFile(name, content), actor=case.professional.user
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: MINIMAL_PDF, PDF),
        (png_bytes, PNG),
        (jpeg_bytes, JPEG),
        (docx_bytes, DOCX),
        (xlsx_bytes, XLSX),
    ],
)
def test_each_allowed_type_is_recognised_by_its_content(make, expected):
    assert detect_content_type(make()) == expected


@pytest.mark.parametrize(
    "content",
    [
        TRUNCATED_PDF,  # header but no trailer: corrupt
        b"%PDF-1.7 just text pretending",
        b"hello, this is a text file",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 not really a zip",
        png_bytes()[:30],  # a truncated image
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00",  # an image type that is not allowed
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
    ],
)
def test_other_or_corrupt_content_is_refused(content):
    assert detect_content_type(content) is None


def test_a_plain_zip_is_not_a_docx():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as container:
        container.writestr("word/readme.txt", "x")
    assert detect_content_type(buffer.getvalue()) is None


def test_upload_stores_the_file_under_a_random_name_with_its_facts(case):
    document = upload(case, MINIMAL_PDF, name="Verzuim overzicht mei.pdf")

    document.refresh_from_db()
    assert document.case == case
    assert document.kind == DocumentKind.REPORT
    assert document.original_name == "Verzuim overzicht mei.pdf"
    assert document.content_type == PDF
    assert document.size == len(MINIMAL_PDF)
    assert document.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert document.uploaded_by == case.professional.user
    # Random, and nothing of the uploaded name in it.
    assert document.storage_name.startswith("documents/")
    assert "overzicht" not in document.storage_name.lower()
    with default_storage.open(document.storage_name, "rb") as stored:
        assert stored.read() == MINIMAL_PDF


def test_the_extension_follows_the_content_not_the_name(case):
    # A PNG named .pdf is stored and downloaded as .png.
    document = upload(case, png_bytes(), name="scan.pdf")
    assert document.content_type == PNG
    assert document.original_name == "scan.png"


def test_the_change_history_records_the_new_document(case):
    from auditlog.models import LogEntry

    document = upload(case, MINIMAL_PDF)
    assert LogEntry.objects.get_for_object(document).filter(action=LogEntry.Action.CREATE).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Het bestand is leeg."),
        (b"just text", "geen leesbare PDF, PNG, JPEG, DOCX of XLSX"),
        (TRUNCATED_PDF, "geen leesbare PDF"),
    ],
)
def test_bad_files_are_refused_with_a_dutch_message_and_nothing_is_stored(
    case, content, message, settings
):
    with pytest.raises(RuleViolation) as refused:
        upload(case, content)
    assert message in str(refused.value.errors["file"])
    assert not Document.objects.exists()
    assert not (settings.MEDIA_ROOT / "documents").exists()


def test_a_file_over_the_limit_is_refused(case):
    with pytest.raises(RuleViolation) as refused:
        document_upload(
            case=case,
            kind=DocumentKind.REPORT,
            file=SimpleUploadedFile("groot.pdf", MINIMAL_PDF + b" " * 2000),
            actor=case.professional.user,
            max_bytes=1024,
        )
    assert "de grens is" in str(refused.value.errors["file"])
    assert not Document.objects.exists()


def test_twenty_megabytes_is_the_default_limit(case):
    too_big = SimpleUploadedFile("groot.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(RuleViolation) as refused:
        document_upload(
            case=case, kind=DocumentKind.REPORT, file=too_big, actor=case.professional.user
        )
    assert "de grens is 20 MB" in str(refused.value.errors["file"])


def test_letters_are_not_uploaded_and_the_kind_must_be_known(case):
    for kind in (DocumentKind.LETTER, "virus"):
        with pytest.raises(RuleViolation) as refused:
            upload(case, MINIMAL_PDF, kind=kind)
        assert "kind" in refused.value.errors


def test_a_closed_case_takes_no_documents_and_keeps_no_file(settings):
    case = CaseFactory(professional=ProfessionalFactory(bip=True), closed=True)
    with pytest.raises(RuleViolation, match="gesloten"):
        upload(case, MINIMAL_PDF)
    assert not Document.objects.exists()
    stored = list((settings.MEDIA_ROOT / "documents").rglob("*"))
    assert [path for path in stored if path.is_file()] == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\brief.docx", "brief.pdf"),
        ('rap"port<script>.pdf', "rapportscript.pdf"),
        ("naam\r\nSet-Cookie: x.pdf", "naamSet-Cookie x.pdf"),
        ("", "document.pdf"),
        ("...", "document.pdf"),
        ("x" * 300 + ".pdf", "x" * 114 + ".pdf"),
    ],
)
def test_file_names_are_made_harmless(name, expected):
    assert safe_file_name(name, PDF) == expected


def test_deleting_files_removes_them_from_the_storage(case):
    document = upload(case, MINIMAL_PDF)
    assert document_files_delete([document.storage_name, "documents/none"]) == 1
    assert not default_storage.exists(document.storage_name)
