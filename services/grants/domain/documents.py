"""Documents of applications, checklist items and calls: which files are accepted (the type told by
the content's first bytes, never by the name or the declared type alone), what a file may be called,
how versions are keyed, how a download names the file (RFC 6266), and what erasure does with a
person's files. Pure rules, no I/O."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from shared.errors import DomainError, RuleViolation

# The types accepted: name -> (MIME type, usual extensions).
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": ("application/vnd.oasis.opendocument.text", (".odt",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
}
MIME_TYPES = {mime: kind for kind, (mime, _) in TYPES.items()}
# A declared type that says nothing about the content: the sniffed type decides.
UNSPECIFIC = {"", "application/octet-stream", "binary/octet-stream", "application/x-www-form-urlencoded",
              "application/zip", "application/x-zip-compressed"}
MAX_FILENAME = 200
OWNER_KINDS = ("application", "call")
# An office file has tens of parts; an archive declaring more is refused before its directory is read.
MAX_ZIP_ENTRIES = 2000


class UnsupportedType(DomainError):
    status, title = 415, "Unsupported media type"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail, field=field, code="unsupported_document_type")


class TooLarge(DomainError):
    status, title = 413, "Content too large"

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail, field=field, code="document_too_large")


def too_large(max_bytes: int) -> TooLarge:
    return TooLarge(f"the file is larger than {max_bytes} bytes ({max_bytes / 1048576:g} MiB)", field="file")


def sniff(head: bytes) -> str | None:
    """The document type its bytes show (a key of TYPES), or None. Office files are ZIP archives told
    apart by their parts: OpenDocument's first entry `mimetype` names its type, Office Open XML has
    `[Content_Types].xml` and `word/document.xml` or `xl/workbook.xml`."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    return None


def _zip_kind(data: bytes) -> str | None:
    # OpenDocument: the first entry is an uncompressed "mimetype" right after its 30-byte header.
    if data[30:38] == b"mimetype":
        for kind in ("odt", "ods"):
            if data[38:38 + len(TYPES[kind][0])] == TYPES[kind][0].encode():
                return kind
    if _zip_entries(data) > MAX_ZIP_ENTRIES:  # reading a huge directory would cost far more than the upload
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # reads the directory only, inflates nothing
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def _zip_entries(data: bytes) -> int:
    """The entry count the archive's end-of-central-directory record states (0 when there is none)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    if end < 0 or end + 12 > len(data):
        return 0
    return int.from_bytes(data[end + 10:end + 12], "little")


def accepted_type(content: bytes, declared: str | None) -> str:
    """The MIME type the file is stored and served with: the one its content shows. A declared type
    (the part's or the request's Content-Type) that names another accepted type is 422; content of
    no accepted type is 415; both name the field `file`."""
    kind = sniff(content)
    allowed = ", ".join(k.upper() for k in TYPES)
    if kind is None:
        raise UnsupportedType(f"the file is not one of the accepted types ({allowed}), judged by its content",
                              field="file")
    mime = TYPES[kind][0]
    declared = (declared or "").split(";")[0].strip().lower()
    if declared and declared not in UNSPECIFIC and declared != mime:
        if declared in MIME_TYPES:
            raise RuleViolation(f"the file was declared {declared} but its content is {kind.upper()} ({mime})",
                                field="file")
        raise UnsupportedType(f"{declared} is not accepted ({allowed})", field="file")
    return mime


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_filename(name: str | None) -> str:
    """The file's name as kept: the last path segment (browsers may send C:\\fakepath\\cv.pdf),
    NFC, trimmed; 422 naming `filename` when empty, too long, with control characters, or `.`/`..`."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip())
    if not name or name in (".", ".."):
        raise RuleViolation("give the file's name (the form part's filename, or ?filename=)", field="filename")
    if _CONTROL.search(name):
        raise RuleViolation("the file name has control characters", field="filename")
    if len(name) > MAX_FILENAME:
        raise RuleViolation(f"the file name is longer than {MAX_FILENAME} characters", field="filename")
    return name


def slot(checklist_code: str | None, filename: str) -> str:
    """What makes uploads versions of one document: a checklist item's code (every file uploaded to
    the item), otherwise the file's name, any case (the same name uploaded again)."""
    return f"checklist:{checklist_code}" if checklist_code else f"file:{filename.casefold()}"


def scrubbed_filename(filename: str, needles: list[str], scrub) -> tuple[str, bool]:
    """A file's name without the person's name or address (`scrub`: shared.erasure's whole-token
    replacement): looked for in the name without its extension, with `_` read as a space
    (CV_Ruta_Petraitiene.pdf names her too)."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or " " in extension or len(extension) > 8:
        stem, dot, extension = filename, "", ""
    cleaned, changed = scrub(stem.replace("_", " "), needles)
    return (f"{cleaned}{dot}{extension}" if changed else filename), changed


def renamed_slot(old_slot: str, filename: str) -> str:
    """A file's slot once its name changed (erasure took a person's name out of it): the new name,
    told apart from any document already called so by a digest of the old slot (the old slot itself
    is not kept: it holds the name)."""
    import hashlib

    return f"file:{filename.casefold()}#{hashlib.sha256(old_slot.encode()).hexdigest()[:12]}"[:260]


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback `filename=` and the exact name as `filename*=UTF-8''…`."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._ ()\-]', "_", ascii_name).strip() or "document"
    return (f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}")


def checklist_status_after_upload(status: str) -> str | None:
    """A checklist item that receives a file counts as provided (`ready`) unless it is ready already
    or waived: a waiver is the centre's decision (only staff make or undo it), an upload never
    changes it. None: the status stays."""
    return "ready" if status in ("missing", "in_progress") else None


@dataclass(frozen=True)
class StoredFile:
    """What erasure judges of one stored document."""

    personal: bool
    uploaded_by: str
    about: str | None


def erasure_of(file: StoredFile, spellings: set[str], email: str) -> str | None:
    """What erasure does with a document: `delete` a personal one (flagged `personal` at upload: a
    CV, a signed declaration) uploaded by the person or about them; `pseudonymise` the uploader of
    any other file they uploaded (the file is the municipality's and stays); None: not theirs."""
    uploader = file.uploaded_by in spellings or file.uploaded_by.lower() in spellings
    about = bool(file.about) and file.about.lower() == email
    if file.personal and (uploader or about):
        return "delete"
    if uploader:
        return "pseudonymise"
    return None
