"""Small real files of each accepted type, and a multipart/form-data body as a browser's form sends it
(shared by the documents tests)."""

from __future__ import annotations

import io
import uuid
import zipfile

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _entry(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=(2026, 11, 29, 12, 0, 0))  # the same bytes every time


def ooxml(kind: str) -> bytes:
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_entry("[Content_Types].xml"), "<Types/>", zipfile.ZIP_DEFLATED)
        archive.writestr(_entry(part), "<document/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def opendocument(kind: str) -> bytes:
    mime = {"odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("mimetype"), mime[kind])  # first, stored, as ODF requires
        archive.writestr(_entry("content.xml"), "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def multipart(content: bytes, filename: str, content_type: str = "application/pdf",
              fields: dict | None = None, part_name: str = "file") -> tuple[bytes, str]:
    """The body and its Content-Type header."""
    boundary = f"----savivalda{uuid.uuid4().hex}"
    chunks = []
    for name, value in (fields or {}).items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    header = (f'--{boundary}\r\nContent-Disposition: form-data; name="{part_name}"; filename="{filename}"\r\n'
              f"Content-Type: {content_type}\r\n\r\n")
    chunks += [header.encode("utf-8"), content, f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
