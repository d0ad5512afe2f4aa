"""The person's own link (no account): status and place in line, leaving, accepting an offer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.enrollment.domain.codes import check_enrollment_code
from services.enrollment.domain.rules import (
    ACTIVE,
    AttendanceMode,
    CancelReason,
    CourseFormat,
    EnrollmentStatus,
    SessionStatus,
    alternative_mode,
    available_modes,
    check_offer_declinable,
    leave_reason,
)
from services.enrollment.models import Enrollment
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import SelfServiceOut
from services.enrollment.usecases import enrolment, feedback
from services.enrollment.usecases.seating import Seating
from shared.errors import NotFound
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def open_link(repo: EnrollmentRepository, links: Links, enrollment_id, code: str) -> Enrollment:
    """The enrolment a link opens; a wrong code or an erased enrolment looks like an unknown id."""
    if not check_enrollment_code(links.secret, enrollment_id, code):
        raise NotFound("enrolment", enrollment_id)  # the same answer as for an unknown id
    enrollment = repo.enrollment(enrollment_id)
    if enrollment.erased_at is not None:
        raise NotFound("enrolment", enrollment_id)
    return enrollment


def view(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServiceOut:
    enrollment = open_link(EnrollmentRepository.of(uow), links, enrollment_id, code)
    return _out(uow, links, enrollment)


def leave(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServiceOut:
    """Leave the session or its waitlist (declining an offer, if one is open)."""
    repo = EnrollmentRepository.of(uow)
    open_link(repo, links, enrollment_id, code)
    enrollment, session = repo.enrollment_locked(enrollment_id)
    enrolment.cancel(uow, links, enrollment, session, leave_reason(EnrollmentStatus(enrollment.status)), None)
    return _out(uow, links, enrollment)


def accept(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServiceOut:
    repo = EnrollmentRepository.of(uow)
    open_link(repo, links, enrollment_id, code)
    enrollment, session = repo.enrollment_locked(enrollment_id)
    enrolment.accept(uow, links, enrollment, session)
    return _out(uow, links, enrollment)


def decline(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServiceOut:
    """The person declines the seat offered to them (409 when no offer is open)."""
    repo = EnrollmentRepository.of(uow)
    open_link(repo, links, enrollment_id, code)
    enrollment, session = repo.enrollment_locked(enrollment_id)
    check_offer_declinable(EnrollmentStatus(enrollment.status))
    enrolment.cancel(uow, links, enrollment, session, CancelReason.OFFER_DECLINED, None)
    return _out(uow, links, enrollment)


@dataclass(frozen=True)
class SelfServicePage:
    """What the person's page shows besides the JSON view: their language, the course's hours and
    fee, and which actions are open to them now."""

    view: SelfServiceOut
    language: str
    hours: Decimal
    fee_eur: Decimal
    can_leave: bool
    can_answer_offer: bool
    certificate: str | None = None  # the number of the person's certificate, while it stands (PDF link)
    feedback_open: bool = False  # their feedback form waits for an answer (usecases/feedback.py)


def page(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServicePage:
    repo = EnrollmentRepository.of(uow)
    enrollment = open_link(repo, links, enrollment_id, code)
    session = repo.training_session(enrollment.session_id)
    course = repo.course(session.course_id)
    now = utcnow()
    open_session = session.status == SessionStatus.SCHEDULED.value and session.starts_at > now
    status = EnrollmentStatus(enrollment.status)
    return SelfServicePage(
        view=_out(uow, links, enrollment), language=enrollment.language, hours=course.duration_hours,
        fee_eur=session.fee_eur, can_leave=open_session and status in ACTIVE,
        can_answer_offer=open_session and status is EnrollmentStatus.OFFERED
        and (enrollment.offer_expires_at is None or enrollment.offer_expires_at > now),
        certificate=_certificate_number(repo, enrollment), feedback_open=feedback.waiting_for(uow, enrollment.id))


def _certificate_number(repo: EnrollmentRepository, enrollment: Enrollment) -> str | None:
    certificate = repo.certificate_of(enrollment.id)
    return certificate.number if certificate is not None and certificate.status == "valid" else None


def switch_mode(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> SelfServiceOut:
    """The person takes the other attendance mode when theirs is no longer offered."""
    repo = EnrollmentRepository.of(uow)
    open_link(repo, links, enrollment_id, code)
    enrollment, session = repo.enrollment_locked(enrollment_id)
    enrolment.switch_mode(uow, links, enrollment, session, None)
    return _out(uow, links, enrollment)


def _out(uow: UnitOfWork, links: Links, enrollment: Enrollment) -> SelfServiceOut:
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(enrollment.session_id)
    course = repo.course(session.course_id)
    offered = available_modes(CourseFormat(course.format), session.venue, session.online_url)
    mode = AttendanceMode(enrollment.mode)
    return SelfServiceOut(
        enrollment_id=enrollment.id, status=enrollment.status, waitlist_position=repo.waitlist_position(enrollment),
        waiting_for=Seating(uow, repo, links, utcnow()).waiting_for(session, course, enrollment),
        offer_expires_at=enrollment.offer_expires_at, name=enrollment.name, course_title=title_of(course),
        starts_at=session.starts_at, ends_at=session.ends_at, region=session.region, venue=session.venue,
        online_url=session.online_url, attendance_mode=enrollment.mode, mode_available=mode in offered,
        alternative_mode=None if mode in offered else getattr(alternative_mode(offered, mode), "value", None),
        trainer=session.trainer, session_status=session.status,
        calendar_url=links.person_calendar(enrollment.id),
    )
