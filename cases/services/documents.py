"""Documents on a case: uploading, storing generated letters, and deleting files.

A document's file goes to Django's default storage (settings.STORAGES: MEDIA_ROOT, outside
the web root, or object storage) under a random name; only its row says what it is. The type
is decided by the file's content, never by its name or the browser's Content-Type.
"""

import hashlib
import io
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import PurePath
from typing import IO

import filetype  # type: ignore[import-untyped]
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ..constants import DocumentKind
from ..exceptions import RuleViolation
from ..models import Case, Document
from ._locking import lock_case

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Content type -> the extension the download gets, whatever the uploaded name said.
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", XLSX: ".xlsx"}
# The entry an Office Open XML container must hold to be that kind of document.
OOXML_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
STORAGE_DIRECTORY = "documents"
# How far from the end a PDF's trailer may be: writers append a little after %%EOF.
PDF_TRAILER_WINDOW = 2048
MAX_NAME_LENGTH = 120


def _read_all(file: File) -> bytes:
    file.seek(0)
    content = file.read()
    file.seek(0)
    return content


def _is_pdf(content: bytes) -> bool:
    """A cheap structural check: the header, a cross-reference pointer and the end marker.

    A truncated download or a renamed text file fails it; a full parse is not needed to
    refuse what a viewer could not open either.
    """
    tail = content[-PDF_TRAILER_WINDOW:]
    return content.startswith(b"%PDF-") and b"startxref" in tail and b"%%EOF" in tail


def _is_ooxml(content: bytes, content_type: str) -> bool:
    """A readable zip container with the document's main part (Word or Excel)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as container:
            return OOXML_PARTS[content_type] in container.namelist()
    except (zipfile.BadZipFile, KeyError):
        return False


def _is_image(content: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def detect_content_type(content: bytes) -> str | None:
    """The allowed type the bytes are, judged by content; None when not allowed or corrupt."""
    guess = filetype.guess(content)
    content_type = guess.mime if guess is not None else None
    if content_type == PDF:
        return PDF if _is_pdf(content) else None
    if content_type in (PNG, JPEG):
        return content_type if _is_image(content) else None
    if content_type in OOXML_PARTS:
        return content_type if _is_ooxml(content, content_type) else None
    return None


def safe_file_name(name: str, content_type: str) -> str:
    """The uploaded name made harmless for display and for Content-Disposition.

    No directories, control characters or quotes; at most MAX_NAME_LENGTH characters; and the
    extension of the detected type, so that a download never opens as something else.
    """
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        char for char in base if unicodedata.category(char)[0] != "C" and char not in '"<>:/\\|?*;'
    ).strip(" .")
    stem = PurePath(base).stem if PurePath(base).suffix else base
    stem = stem[: MAX_NAME_LENGTH - 6].strip(" .") or _("document")
    return stem + EXTENSIONS[content_type]


def _store(content: bytes) -> str:
    """Save the bytes under a new random name; returns the storage's name for them."""
    day = timezone.localdate()
    name = f"{STORAGE_DIRECTORY}/{day:%Y}/{day:%m}/{uuid.uuid4().hex}"
    return default_storage.save(name, ContentFile(content))


def document_upload(
    *, case: Case, kind: str, file: File, actor: User, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Document:
    """Add an uploaded file to `case` as a document of `kind`.

    Refused with RuleViolation (field "file" or "kind") for: a closed case, a kind that is not
    a DocumentKind (letters are generated, not uploaded), an empty or too large file
    (> `max_bytes`), or content that is not a PDF, PNG, JPEG, DOCX or XLSX, or is corrupt.
    Nothing is stored then. The caller checks access (cases.access.can_add_document).
    """
    errors: dict[str | None, str] = {}
    if kind not in DocumentKind.values or kind == DocumentKind.LETTER:
        errors["kind"] = _("Kies wat voor document het is.")
    size = file.size or 0
    if size == 0:
        errors["file"] = _("Het bestand is leeg.")
    elif size > max_bytes:
        errors["file"] = _("Het bestand is %(size)s MB; de grens is %(limit)s MB per bestand.") % {
            "size": f"{size / 1024 / 1024:.1f}",
            "limit": max_bytes // (1024 * 1024),
        }
    content = b""
    content_type = None
    if "file" not in errors:
        content = _read_all(file)
        content_type = detect_content_type(content)
        if content_type is None:
            errors["file"] = _(
                "Dit bestand is geen leesbare PDF, PNG, JPEG, DOCX of XLSX. Alleen die "
                "bestandstypen kunnen bij een zaak; het type wordt aan de inhoud bepaald, niet "
                "aan de naam."
            )
    if errors:
        raise RuleViolation(errors=errors)
    assert content_type is not None
    original_name = safe_file_name(file.name or "", content_type)
    return _save(
        case=case,
        kind=kind,
        original_name=original_name,
        content=content,
        content_type=content_type,
        actor=actor,
    )


def letter_store(
    *, case: Case, letter: str, role: str, file_name: str, pdf: bytes, actor: User
) -> Document:
    """Store a generated letter's PDF as a document of kind "brief" on `case`; its row is the
    timeline entry "Brief … verstuurd, rol …". The caller (cases.services.letters) checks
    the letter's rules."""
    return _save(
        case=case,
        kind=DocumentKind.LETTER,
        original_name=safe_file_name(file_name, PDF),
        content=pdf,
        content_type=PDF,
        actor=actor,
        letter=letter,
        role=role,
    )


def _save(
    *,
    case: Case,
    kind: str,
    original_name: str,
    content: bytes,
    content_type: str,
    actor: User,
    letter: str = "",
    role: str = "",
) -> Document:
    """The file first, then the row with the case locked, in one transaction. When the
    transaction fails the file is deleted again, so no file is left without a row."""
    storage_name = _store(content)
    try:
        with transaction.atomic():
            locked = lock_case(case, expected_version=None)
            if not locked.is_open:
                raise RuleViolation(_("Deze zaak is gesloten; er kunnen geen documenten bij."))
            return Document.objects.create(
                case=locked,
                kind=kind,
                letter=letter,
                role=role,
                original_name=original_name,
                storage_name=storage_name,
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=actor,
            )
    except BaseException:
        default_storage.delete(storage_name)
        raise


def document_files_delete(storage_names: Iterable[str]) -> int:
    """Delete the stored files (after their rows are gone); returns how many existed."""
    deleted = 0
    for name in storage_names:
        if default_storage.exists(name):
            default_storage.delete(name)
            deleted += 1
    return deleted


def open_document(document: Document) -> IO[bytes]:
    """The document's file, opened for reading from the storage."""
    return default_storage.open(document.storage_name, "rb")
