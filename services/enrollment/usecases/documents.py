"""Printable documents (issue 18 items 5 and 6): a certificate as PDF (for staff, the person's
municipality and the person through their own link) and a session's sign-in sheet (CSV or PDF).
The layout is in domain/certificate_pdf.py; this reads the rows and answers the files."""

from __future__ import annotations

import io
import logging

from prometheus_client import Counter
from sqlalchemy import select
from werkzeug.wrappers import Response

from services.enrollment.domain.certificate_pdf import (
    CertificateFacts,
    SheetFacts,
    SheetLine,
    certificate_pdf,
    sign_in_sheet_pdf,
)
from services.enrollment.domain.completion import certificate_status
from services.enrollment.domain.rules import EnrollmentStatus
from services.enrollment.models import Certificate, Enrollment, ExternalCompletion
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas_documents import SignInSheetQuery
from services.enrollment.usecases.self_service import open_link
from shared.errors import NotFound
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES, REGIONS, THEMES
from shared.spreadsheet import csv_writer

log = logging.getLogger(__name__)

DOCUMENTS = Counter("savivalda_enrollment_documents_total",
                    "Documents produced: certificate (pdf), sign_in_sheet (csv, pdf)", ["document", "format"])


def certificate_owner(service, certificate_id):
    """Tenancy.resource owner of a certificate: the municipality of the enrolment it was earned in,
    or of the person who completed the course elsewhere (None: no such certificate, 404)."""
    db = service.db.session
    row = db.execute(select(Certificate.enrollment_id, Certificate.external_completion_id)
                     .where(Certificate.id == certificate_id)).first()
    if row is None:
        return None
    if row.enrollment_id is not None:
        return db.scalar(select(Enrollment.municipality_code).where(Enrollment.id == row.enrollment_id))
    return db.scalar(select(ExternalCompletion.municipality_code)
                     .where(ExternalCompletion.id == row.external_completion_id))


# ---------------------------------------------------------------- certificates
def certificate_facts(uow: UnitOfWork, links: Links, certificate: Certificate) -> CertificateFacts:
    repo = EnrollmentRepository.of(uow)
    status = certificate_status(certificate.status, certificate.valid_until, utcnow()).status
    learning_system = None
    if certificate.session_id is not None:
        session = repo.training_session(certificate.session_id)
        course = repo.course(session.course_id)
        title, themes, starts_at, ends_at = course.title, course.themes, session.starts_at, session.ends_at
    else:  # learning done elsewhere (usecases/learning.py)
        completion = uow.session.get(ExternalCompletion, certificate.external_completion_id)
        title, themes = completion.course_title, completion.themes
        starts_at = ends_at = completion.completed_at
        learning_system = completion.source
    return CertificateFacts(
        number=certificate.number, verification_code=certificate.verification_code,
        holder_name=certificate.holder_name, course_title_lt=title["lt"], course_title_en=title.get("en") or title["lt"],
        hours=certificate.hours, themes=tuple((THEMES[t].label_lt, THEMES[t].label_en) for t in themes if t in THEMES),
        starts_at=starts_at, ends_at=ends_at, issued_at=certificate.issued_at, valid_until=certificate.valid_until,
        status=status, verify_url=links.verify(certificate.number, certificate.verification_code),
        learning_system=learning_system)


def _pdf_response(content: bytes, filename: str) -> Response:
    return Response(content, content_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


def certificate_document(uow: UnitOfWork, links: Links, certificate_id) -> Response:
    """The certificate as PDF (staff, or the holder's municipality: the route's tenancy)."""
    certificate = uow.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("certificate", certificate_id)
    return _certificate_response(uow, links, certificate)


def person_certificate_document(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> Response:
    """The person's own certificate through their link (404 while they have none)."""
    repo = EnrollmentRepository.of(uow)
    enrollment = open_link(repo, links, enrollment_id, code)
    certificate = repo.certificate_of(enrollment.id)
    if certificate is None:
        raise NotFound("certificate", enrollment_id)
    return _certificate_response(uow, links, certificate)


def _certificate_response(uow, links, certificate: Certificate) -> Response:
    content = certificate_pdf(certificate_facts(uow, links, certificate))
    DOCUMENTS.labels("certificate", "pdf").inc()
    log.info("certificate pdf", extra={"certificate_id": str(certificate.id), "bytes": len(content)})
    return _pdf_response(content, f"{certificate.number}.pdf")


# ---------------------------------------------------------------- sign-in sheets
SHEET_COLUMNS = ("no", "name", "municipality_code", "municipality", "position", "mode", "signature")


def sign_in_sheet(uow: UnitOfWork, session_id, query: SignInSheetQuery) -> Response:
    """Everyone confirmed in the session, by name (Lithuanian order), with municipality, position and
    mode and an empty signature column: CSV (UTF-8 with BOM, for spreadsheets) or PDF to print."""
    fmt = query.format
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    course = repo.course(session.course_id)
    people = repo.session_enrollments(session.id, statuses=[EnrollmentStatus.CONFIRMED.value])
    people = sorted(people, key=lambda e: (lithuanian_key(e.name), e.arrival_seq))
    DOCUMENTS.labels("sign_in_sheet", fmt).inc()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow(SHEET_COLUMNS)
        for number, person in enumerate(people, start=1):
            writer.writerow((number, person.name, person.municipality_code,
                             MUNICIPALITIES[person.municipality_code].name_lt, person.position, person.mode, ""))
        return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="sign-in-{session.id}.csv"',
                                 "Cache-Control": "private, no-store"})
    region = REGIONS[session.region].name_lt if session.region in REGIONS else None
    place = ", ".join(p for p in (session.venue, region or session.city) if p) or (session.online_url or "")
    facts = SheetFacts(
        course_title_lt=course.title["lt"], course_title_en=course.title.get("en") or course.title["lt"],
        starts_at=session.starts_at, ends_at=session.ends_at, place=place, trainer=session.trainer,
        lines=tuple(SheetLine(name=p.name, municipality=MUNICIPALITIES[p.municipality_code].name_lt,
                              position=p.position, mode=p.mode) for p in people))
    return _pdf_response(sign_in_sheet_pdf(facts), f"sign-in-{session.id}.pdf")


LT_ORDER = "aąbcčdeęėfghiįyjklmnoprsštuųūvzž"


def lithuanian_key(name: str) -> tuple:
    """Sort key in Lithuanian alphabetical order (Č after C, Š after S, Ž after Z)."""
    return tuple((LT_ORDER.index(ch), ch) if ch in LT_ORDER else (len(LT_ORDER), ch) for ch in name.casefold())
