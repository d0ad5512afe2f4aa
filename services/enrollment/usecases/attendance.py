"""Attendance (one person, or a session's in bulk) and completing a session."""

from __future__ import annotations

from services.enrollment.domain.completion import check_in_session
from services.enrollment.domain.rules import Attendance
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import (
    AttendanceIn,
    BulkAttendanceIn,
    BulkAttendanceOut,
    CompleteSessionIn,
    CompletionOut,
    EnrollmentOut,
)
from services.enrollment.usecases.catalogue import session_view
from services.enrollment.usecases import feedback
from services.enrollment.usecases.certification import Certification
from services.enrollment.usecases.enrolment import enrollment_view
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def record_attendance(uow: UnitOfWork, links: Links, enrollment_id, body: AttendanceIn) -> EnrollmentOut:
    """Record or correct one person's attendance; after completion a correction issues or revokes
    the certificate."""
    repo = EnrollmentRepository.of(uow)
    enrollment, session = repo.enrollment_locked(enrollment_id)
    course = repo.course(session.course_id)
    Certification(uow, repo, links, utcnow()).record(session, course, enrollment, Attendance(body.attendance),
                                                      body.hours, "attendance")
    feedback.invite_attendees(uow, links, session, course, utcnow())  # a correction after completion
    uow.commit()
    return enrollment_view(uow, links, enrollment)


def record_attendance_bulk(uow: UnitOfWork, links: Links, session_id, body: BulkAttendanceIn) -> BulkAttendanceOut:
    """All or nothing: one record off the session refuses them all."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    certification = Certification(uow, repo, links, utcnow())
    changed = 0
    for index, record in enumerate(body.records):
        enrollment = repo.find_enrollment(record.enrollment_id)
        check_in_session(record.enrollment_id, enrollment.session_id if enrollment is not None else None, session.id,
                         f"records.{index}.enrollment_id")
        changed += certification.record(session, course, enrollment, Attendance(record.attendance), record.hours,
                                        f"records.{index}")
    feedback.invite_attendees(uow, links, session, course, utcnow())  # corrections after completion
    uow.commit()
    return BulkAttendanceOut(recorded=changed, unchanged=len(body.records) - changed)


def complete_session(uow: UnitOfWork, links: Links, session_id, body: CompleteSessionIn) -> CompletionOut:
    """Attendance must be recorded for every confirmed person (or mark_unmarked_absent); people
    still waiting are told they got no seat; everyone meeting the completion rule gets a certificate."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    figures = Certification(uow, repo, links, utcnow()).complete(session, course, body.mark_unmarked_absent)
    feedback.invite_attendees(uow, links, session, course, utcnow())  # every attendee gets the form
    uow.commit()
    return CompletionOut(session=session_view(repo, links, session, course), **figures)
