"""Documents' bytes and their way in and out over HTTP.

- `DocumentFiles`: the documents folder (SAVIVALDA_DOCUMENTS_DIR; embedded: <data folder>/documents),
  one file per content under its sha256 (`ab/abcdef…`), written to a temporary file in the same
  folder, flushed to disk and renamed into place, so a reader never sees half a file and the same
  content uploaded twice is kept once. The database (table `documents`) says which application,
  checklist item or call a file belongs to; nothing in the folder does.
- `DocumentStore`: the nameko dependency giving a worker the folder and the size limit.
- `read_upload`: the file of a request, as a browser's form (multipart/form-data, the file in the
  part `file`) or as the raw body (its Content-Type, the name in `?filename=` or a
  Content-Disposition header), refused with 413 beyond SAVIVALDA_DOCUMENT_MAX_BYTES before the rest
  is read.
- `download`: the response serving a stored file (its type, RFC 6266 name, sha256 as ETag).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nameko.extensions import DependencyProvider
from prometheus_client import Counter
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from services.grants.domain.documents import clean_filename, content_disposition, too_large
from shared.errors import Problem, validation_problem
from shared.http import UPLOAD_OVERHEAD_BYTES, read_body

# For OpenAPI (the route's raw_body): what an upload's body may be.
UPLOAD_BODY_SCHEMAS = {
    "multipart/form-data": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the document: PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG (judged by its content)"},
        "personal": {"type": "boolean", "description": "personal data (a CV, a signed declaration): deleted "
                                                      "when the person is erased"},
        "about": {"type": "string", "format": "email", "description": "whose personal file it is, when not the "
                                                                      "uploader's own"}}},
    "application/octet-stream": {"type": "string", "format": "binary",
                                 "description": "the document itself, with its Content-Type (PDF, DOCX, XLSX, "
                                                "ODT, ODS, PNG, JPEG) and its name in ?filename= or a "
                                                "Content-Disposition header"},
}
DOWNLOAD_TYPES = ("application/pdf", "application/octet-stream")

UPLOADS = Counter("savivalda_grant_document_uploads_total",
                  "Document uploads by what they were attached to (application, checklist, call) and outcome: "
                  "stored, too_large, unsupported_type, invalid (a refused name, form or field, an unknown checklist "
                  "item, a checklist no longer open)", ["owner", "outcome"])


class DocumentFiles:
    """The documents folder: bytes by sha256."""

    def __init__(self, folder: Path, max_bytes: int):
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Keep the bytes (once per content) and return their sha256."""
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path(sha256)
        if target.exists() and target.stat().st_size == len(content):
            return sha256
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=target.parent)  # 0600
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        try:  # the rename itself survives a crash once the folder is synced
            folder = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError:  # pragma: no cover - a file system without directory fsync
            pass
        return sha256

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
            return True
        except FileNotFoundError:
            return False


class DocumentStore(DependencyProvider):
    """Injects the process's `DocumentFiles`."""

    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        folder = getattr(settings, "documents_dir", None) or Path("savivalda-documents").resolve()
        self.files = DocumentFiles(folder, getattr(settings, "document_max_bytes", 10 << 20))

    def get_dependency(self, worker_ctx):
        return self.files


@dataclass(frozen=True)
class Upload:
    filename: str
    declared_type: str
    content: bytes
    personal: bool = False
    about: str | None = None


def read_upload(request: Request, query: BaseModel, max_bytes: int, owner: str,
                timeout: float | None = None) -> Upload:
    """The file a request carries. `query` holds ?filename=, ?personal= and ?about= (a form's fields
    of the same names take their place). A refusal is counted under `owner`."""
    try:
        return _read_upload(request, query, max_bytes, timeout)
    except Problem as problem:
        UPLOADS.labels(owner, "too_large" if problem.status == 413 else "invalid").inc()
        raise


def _read_upload(request: Request, query: BaseModel, max_bytes: int, timeout: float | None) -> Upload:
    length = request.content_length
    mimetype = (request.mimetype or "").lower()
    if mimetype == "multipart/form-data":
        if length is not None and length > max_bytes + UPLOAD_OVERHEAD_BYTES:
            raise _too_large(request, max_bytes)
        raw = _read(request, max_bytes + UPLOAD_OVERHEAD_BYTES, max_bytes, timeout)
        return _from_form(request, raw, query, max_bytes)
    if length is not None and length > max_bytes:
        raise _too_large(request, max_bytes)
    raw = _read(request, max_bytes, max_bytes, timeout)
    if not raw:
        raise Problem(422, "Invalid request", "the body is empty: send the file", code="validation",
                      errors=[{"field": "file", "location": "body", "message": "the file is empty"}])
    name = query.filename
    if not name:
        header = request.headers.get("Content-Disposition", "")
        name = parse_options_header(header)[1].get("filename") if header else None
    return Upload(_filename(name), request.headers.get("Content-Type", ""), raw, query.personal, query.about)


def _read(request: Request, limit: int, file_limit: int, timeout: float | None) -> bytes:
    try:
        return read_body(request, limit, timeout)
    except Problem as problem:
        if problem.status == 413:
            raise _too_large(request, file_limit) from None
        raise


def _too_large(request: Request, max_bytes: int) -> Problem:
    protocol = request.environ.get("savivalda.protocol")
    if protocol is not None:  # do not read the rest only to discard it
        protocol.close_connection = 1
    error = too_large(max_bytes)
    return Problem(413, error.title, error.detail, code=error.code, headers={"Connection": "close"},
                   errors=[{"field": "file", "location": "body", "message": error.detail}])


def _filename(name: str | None) -> str:
    from shared.errors import DomainError

    try:
        return clean_filename(name)
    except DomainError as error:
        raise Problem(422, "Invalid request", error.detail, code="validation",
                      errors=[{"field": "filename", "location": "body", "message": error.detail}]) from None


def _from_form(request: Request, raw: bytes, query: BaseModel, max_bytes: int) -> Upload:
    _, options = parse_options_header(request.headers.get("Content-Type", ""))
    # The whole body is bounded already; werkzeug's max_form_memory_size would also hold its parser's
    # buffer to that size (a file part of a few MiB failed with 64 KiB).
    parser = FormDataParser(max_form_memory_size=None, max_content_length=len(raw) + 1, silent=False,
                            max_form_parts=20)
    try:
        _, form, files = parser.parse(io.BytesIO(raw), "multipart/form-data", len(raw), options)
    except (HTTPException, ValueError) as error:
        raise Problem(400, "Malformed form", f"the multipart/form-data body cannot be read: {error}",
                      code="malformed_form") from None
    part = files.get("file")
    if part is None:
        raise Problem(422, "Invalid request", "the form has no file part named `file`", code="validation",
                      errors=[{"field": "file", "location": "body", "message": "send the document in the part `file`"}])
    content = part.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise _too_large(request, max_bytes)
    if not content:
        raise Problem(422, "Invalid request", "the file is empty", code="validation",
                      errors=[{"field": "file", "location": "body", "message": "the file is empty"}])
    fields = {**{k: v for k, v in query.model_dump().items() if v not in (None, False)},
              **{k: form[k] for k in ("filename", "personal", "about") if form.get(k) not in (None, "")}}
    try:
        checked = type(query).model_validate(fields)
    except ValidationError as error:
        raise validation_problem(error, "body") from None
    return Upload(_filename(checked.filename or part.filename), part.mimetype or "", content, checked.personal,
                  checked.about)


def download(content: bytes, filename: str, content_type: str, sha256: str) -> Response:
    return Response(content, status=200, content_type=content_type, headers={
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "ETag": f'"{sha256}"',
    })
