"""Small valid (and invalid) files of each allowed type, made in memory for the tests."""

import io
import zipfile

import openpyxl
from PIL import Image

# The smallest file the PDF check accepts: header, cross-reference pointer and end marker.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\nstartxref\n0\n%%EOF\n"
)
# A download cut off half-way: the header, but no trailer.
TRUNCATED_PDF = MINIMAL_PDF[:40]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as container:
        container.writestr("[Content_Types].xml", "<Types/>")
        container.writestr("_rels/.rels", "<Relationships/>")
        container.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "verzuim"
    workbook.save(buffer)
    return buffer.getvalue()
