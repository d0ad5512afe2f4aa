"""Documents: files uploaded to an application, to one of its checklist items, or to a call (its
templates); every upload of the same document (the same checklist item, or a file of the same name)
is its next version, all kept and downloadable; a checklist item that receives a file counts as
provided; an application's upload is published as grants.document_uploaded (its consultant is
told); erasure deletes a person's personal files and takes their name off the others. Rules in
domain/documents.py, bytes in the documents folder (services/grants/documents.py)."""

from __future__ import annotations

import uuid
from collections import Counter as Counts

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from services.grants.document_schemas import DocumentOut
from services.grants.documents import UPLOADS, DocumentFiles, Upload, download
from services.grants.domain import documents as rules
from services.grants.domain.workflow import Status, check_editable
from services.grants.models import Document
from services.grants.usecases import repository
from services.grants.usecases.applications import record_checklist_change
from services.grants.views import application_event_fields
from shared.erasure import scrub
from shared.events.grants import DocumentUploaded
from shared.events.types import LocalizedText
from shared.errors import DomainError, NotFound
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

VERSION_ATTEMPTS = 5


def upload_to_application(uow: UnitOfWork, files: DocumentFiles, application_id: uuid.UUID, upload: Upload,
                          subject: str, checklist_code: str | None = None) -> DocumentOut:
    """A file for the application, or for its checklist item `checklist_code` (404 for an unknown item;
    409 once the application is no longer being written, as for the checklist itself). The item
    becomes `ready` unless it is ready or waived (only the centre waives, and undoes a waiver)."""
    owner = "checklist" if checklist_code else "application"
    with _counted(owner):
        repo = repository(uow)
        application = repo.application(application_id, lock=True)
        item = None
        if checklist_code is not None:
            item = repo.checklist_item(application.id, checklist_code)
            check_editable(Status(application.status))
        document = _store(uow, files, "application", application.id, checklist_code, upload, subject)
        if item is not None:
            status = rules.checklist_status_after_upload(item.status)
            if status is not None:
                # the note names the version, not the file: a file's name may name a person
                record_checklist_change(repo, item, status, f"file uploaded (version {document.version})", subject)
                application.updated_at = item.updated_at
        call = repo.call(application.call_id)
        uow.emit(DocumentUploaded(
            **application_event_fields(application, call), document_id=document.id, checklist_code=checklist_code,
            document_title=LocalizedText(**item.title) if item is not None else None,
            checklist_status=item.status if item is not None else None,
            file_type=rules.MIME_TYPES[document.content_type].upper(), content_type=document.content_type,
            size_bytes=document.size_bytes, version=document.version,
            uploaded_by=subject), subject=str(application.id))
        uow.commit()
        return document_out(document, latest=True)


def upload_template(uow: UnitOfWork, files: DocumentFiles, call_id: uuid.UUID, upload: Upload,
                    subject: str) -> DocumentOut:
    """A template the call's applicants download (a form, a budget sheet); the same name again is its
    next version."""
    with _counted("call"):
        call = repository(uow).call(call_id, lock=True)
        document = _store(uow, files, "call", call.id, None, upload, subject)
        uow.commit()
        return document_out(document, latest=True)


def list_documents(uow: UnitOfWork, owner_kind: str, owner_id: uuid.UUID) -> list[DocumentOut]:
    """Every version of every document of an application (or a call's templates), by document (checklist
    items first, in code order, then files by name), newest version first."""
    repo = repository(uow)
    if owner_kind == "application":
        repo.application(owner_id)
    else:
        repo.call(owner_id)
    rows = list(uow.session.scalars(select(Document).where(Document.owner_kind == owner_kind,
                                                           Document.owner_id == owner_id)
                                    .order_by(Document.slot, Document.version.desc())))
    newest = {}
    for row in rows:
        newest.setdefault(row.slot, row.id)
    return [document_out(row, latest=newest[row.slot] == row.id) for row in rows]


def get_file(uow: UnitOfWork, files: DocumentFiles, owner_kind: str, owner_id: uuid.UUID,
             document_id: uuid.UUID):
    """The stored file as a download (404 when it is not this application's or call's)."""
    document = uow.session.get(Document, document_id)
    if document is None or document.owner_kind != owner_kind or document.owner_id != owner_id:
        raise NotFound("document", document_id)
    try:
        content = files.read(document.sha256)
    except FileNotFoundError:
        raise NotFound("document file", document_id) from None
    return download(content, document.filename, document.content_type, document.sha256)


def _store(uow: UnitOfWork, files: DocumentFiles, owner_kind: str, owner_id: uuid.UUID, checklist_code: str | None,
           upload: Upload, subject: str) -> Document:
    """Judge the file, keep its bytes, and record it as the document's next version. The owner's row
    is locked, so uploads to one owner take turns; the unique (owner, slot, version) is what holds
    if they do not (another replica on SQLite, a caller without the lock): a clash tries the next
    number, in a savepoint."""
    if len(upload.content) > files.max_bytes:
        raise rules.too_large(files.max_bytes)
    content_type = rules.accepted_type(upload.content, upload.declared_type)
    filename = rules.clean_filename(upload.filename)
    sha256 = files.put(upload.content)  # before the commit: a failed commit leaves an unreferenced file
    slot = rules.slot(checklist_code, filename)
    session = uow.session
    for attempt in range(VERSION_ATTEMPTS):
        latest = session.scalar(select(func.max(Document.version)).where(Document.owner_id == owner_id,
                                                                         Document.slot == slot))
        document = Document(id=uuid.uuid4(), owner_kind=owner_kind, owner_id=owner_id, checklist_code=checklist_code,
                            slot=slot, version=(latest or 0) + 1, filename=filename, content_type=content_type,
                            size_bytes=len(upload.content), sha256=sha256, personal=upload.personal,
                            about=upload.about.strip().lower() if upload.about else None, uploaded_by=subject,
                            uploaded_at=utcnow())
        try:
            with session.begin_nested():
                session.add(document)
            return document
        except IntegrityError:
            if attempt == VERSION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class _counted:
    """Count an upload's outcome (savivalda_grant_document_uploads_total)."""

    def __init__(self, owner: str):
        self.owner = owner

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            UPLOADS.labels(self.owner, "stored").inc()
        elif isinstance(error, rules.TooLarge):
            UPLOADS.labels(self.owner, "too_large").inc()
        elif isinstance(error, rules.UnsupportedType):
            UPLOADS.labels(self.owner, "unsupported_type").inc()
        elif isinstance(error, DomainError):
            UPLOADS.labels(self.owner, "invalid").inc()
        return False


def document_out(document: Document, *, latest: bool) -> DocumentOut:
    base = (f"/grants/applications/{document.owner_id}/documents" if document.owner_kind == "application"
            else f"/grants/calls/{document.owner_id}/templates")
    return DocumentOut(id=document.id, owner=document.owner_kind, owner_id=document.owner_id,
                       checklist_code=document.checklist_code, filename=document.filename,
                       content_type=document.content_type, size_bytes=document.size_bytes, sha256=document.sha256,
                       version=document.version, latest=latest, personal=document.personal,
                       uploaded_by=document.uploaded_by, uploaded_at=document.uploaded_at,
                       download=f"{base}/{document.id}")


# ---------------------------------------------------------------- the right to be forgotten

def erase_person(uow: UnitOfWork, files: DocumentFiles | None, email: str, spellings: set[str],
                 pseudonym: str) -> dict[str, int]:
    """Personal files uploaded by the person or about them are deleted: their rows now, their bytes
    once the erasure commits (unless the same content is still another document's); the person as
    the uploader of any other file is replaced by the pseudonym, and their name and address leave the
    names of files (whole tokens). Counts: documents_deleted, document_uploaders, document_names."""
    counts = Counts()
    needles = sorted(s for s in spellings if s and s.strip())
    lowered = {s.lower() for s in needles}
    candidates = select(Document).where(
        (func.lower(Document.uploaded_by).in_(lowered)) | (Document.about == email)
        | (Document.uploaded_by.in_(needles)))
    deleted: set[str] = set()
    for document in uow.session.scalars(candidates).all():
        action = rules.erasure_of(rules.StoredFile(document.personal, document.uploaded_by, document.about),
                                  set(needles) | lowered, email)
        if action == "delete":
            deleted.add(document.sha256)
            uow.session.delete(document)
            counts["documents_deleted"] += 1
        elif action == "pseudonymise":
            document.uploaded_by = pseudonym
            counts["document_uploaders"] += 1
    if needles:
        mentions = or_(*[func.lower(Document.filename).contains(n.lower(), autoescape=True) for n in needles])
        for document in uow.session.scalars(select(Document).where(mentions)).all():
            cleaned, changed = rules.scrubbed_filename(document.filename, needles, scrub)
            if changed:
                document.filename = cleaned
                if document.checklist_code is None:  # the slot is the name: keep the versions together
                    document.slot = rules.renamed_slot(document.slot, cleaned)
                counts["document_names"] += 1
    uow.session.flush()
    if deleted and files is not None:
        still = set(uow.session.scalars(select(Document.sha256).where(Document.sha256.in_(deleted))))
        gone = sorted(deleted - still)
        uow.after_commit(lambda: [files.delete(sha256) for sha256 in gone])
    return dict(counts)
