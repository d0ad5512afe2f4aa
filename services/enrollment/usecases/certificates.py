"""Certificates: listing (coordinators) and verification (anyone, with the printed code)."""

from __future__ import annotations

from services.enrollment.domain.codes import normalise_verification_code
from services.enrollment.domain.completion import certificate_status
from services.enrollment.domain.rules import normalise_email
from services.enrollment.notices import Links, title_of
from services.enrollment.domain.paging import decode_cursor, page_of, search_term, sorts
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas import CertificateOut, CertificateQuery, VerificationOut, VerifyQuery
from services.enrollment.usecases.learning import learning_verification
from services.enrollment.views import certificate_out, listing
from shared.errors import NotFound
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


CERTIFICATE_SORTS = sorts("number:text", "-issued_at:time", "issued_at:time", "holder_name:text")


def list_certificates(uow: UnitOfWork, links: Links, query: CertificateQuery,
                      tenant: str | None) -> tuple[int, list[CertificateOut], dict]:
    """A page, by session, municipality or person (`tenant`: a municipality's own staff)."""
    now = utcnow()
    sort = CERTIFICATE_SORTS[query.sort]
    rows = Lists(EnrollmentRepository.of(uow)).certificates(
        sort=sort, after=decode_cursor(query.cursor, sort), limit=query.limit, session_id=query.session_id,
        municipality_code=tenant, email_key=normalise_email(query.email) if query.email else None,
        term=search_term(query.q))
    page = page_of(rows, query.limit, sort, lambda row: (getattr(row[0], sort.name.lstrip("-")), row[0].id))
    return listing(page, [certificate_out(c, e, links, now) for c, e in page.items], "/enrollment/certificates",
                   query)


def verify_certificate(uow: UnitOfWork, query: VerifyQuery) -> VerificationOut:
    repo = EnrollmentRepository.of(uow)
    certificate = repo.certificate_by_number(query.number.strip().upper())
    if certificate is None or certificate.verification_code != normalise_verification_code(query.code):
        raise NotFound("certificate", query.number)  # wrong code and unknown number look the same
    status = certificate_status(certificate.status, certificate.valid_until, utcnow())
    if certificate.session_id is None:  # learning done elsewhere (usecases/learning.py)
        return learning_verification(uow, certificate, status)
    session = repo.training_session(certificate.session_id)
    course = repo.course(session.course_id)
    return VerificationOut(
        number=certificate.number, valid=status.valid, status=status.status, holder_name=certificate.holder_name,
        course_title=title_of(course), hours=certificate.hours, session_starts_at=session.starts_at,
        session_ends_at=session.ends_at, issued_at=certificate.issued_at, valid_until=certificate.valid_until,
    )
