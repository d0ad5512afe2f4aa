"""Attendance, session completion and certificates, applied to rows with the events they cause.

Certificates exist only for people who attended: they are issued when a session is completed,
and kept in step with later attendance corrections (issued, revoked or reinstated). The caller
holds the session's row lock and commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from services.enrollment.domain.codes import certificate_number, verification_code
from services.enrollment.domain.completion import (
    attendance_hours,
    check_attendance_allowed,
    check_can_attend,
    check_can_complete,
    qualifies,
    valid_until,
)
from services.enrollment.domain.figures import local_year
from services.enrollment.domain.rules import Attendance, CancelReason, EnrollmentStatus, SessionStatus
from services.enrollment.models import Certificate, Course, Enrollment, TrainingSession
from services.enrollment.notices import Links, participant_fields, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.usecases.seating import Seating
from shared.persistence.unit_of_work import UnitOfWork
from shared.events.enrollment import (
    AttendanceRecorded,
    CertificateIssued,
    CertificateRevoked,
    SessionCompleted,
)


class Certification:
    def __init__(self, db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime):
        self.db = db
        self.repo = repo
        self.links = links
        self.now = now

    def record(self, session: TrainingSession, course: Course, enrollment: Enrollment, attendance: Attendance,
               hours: Decimal | None, field: str) -> bool:
        """Record one person's attendance; False if it was already recorded exactly so."""
        check_attendance_allowed(SessionStatus(session.status), session.starts_at, self.now)
        check_can_attend(EnrollmentStatus(enrollment.status), field)
        credited = attendance_hours(attendance, hours, course.duration_hours, field + ".hours")
        if enrollment.attendance == attendance.value and enrollment.attended_hours == credited:
            return False
        enrollment.attendance = attendance.value
        enrollment.attended_hours = credited
        enrollment.attendance_recorded_at = self.now
        self.repo.session.flush()
        self.db.emit(AttendanceRecorded(**participant_fields(enrollment, session, course, self.links),
                                        attendance=attendance.value, hours=credited), subject=str(enrollment.id))
        if session.status == SessionStatus.COMPLETED.value:
            self.reconcile(session, course, enrollment)
        return True

    def complete(self, session: TrainingSession, course: Course, mark_unmarked_absent: bool) -> dict[str, int]:
        confirmed = self.repo.session_enrollments(session.id, statuses=[EnrollmentStatus.CONFIRMED.value])
        unmarked = [e for e in confirmed if e.attendance is None]
        check_can_complete(SessionStatus(session.status), session.starts_at, self.now, len(unmarked),
                           mark_unmarked_absent)
        for enrollment in unmarked:
            self.record(session, course, enrollment, Attendance.NO_SHOW, None, "mark_unmarked_absent")
        # People still waiting (or holding an unanswered offer) did not get a seat: tell them.
        seating = Seating(self.db, self.repo, self.links, self.now)
        waiting = self.repo.session_enrollments(
            session.id, statuses=[EnrollmentStatus.WAITLISTED.value, EnrollmentStatus.OFFERED.value])
        for enrollment in waiting:
            seating.cancel(session, course, enrollment, CancelReason.SESSION_HELD, refill=False)
        session.status = SessionStatus.COMPLETED.value
        session.completed_at = self.now
        self.repo.session.flush()
        issued = sum(1 for e in confirmed if self.reconcile(session, course, e) == "issued")
        figures = {"attended": sum(1 for e in confirmed if e.attendance == Attendance.ATTENDED.value),
                   "no_shows": sum(1 for e in confirmed if e.attendance == Attendance.NO_SHOW.value),
                   "certificates_issued": issued}
        self.db.emit(SessionCompleted(
            session_id=session.id, course_id=course.id, course_title=title_of(course), themes=course.themes,
            region=session.region, starts_at=session.starts_at, ends_at=session.ends_at, **figures,
        ), subject=str(session.id))
        return figures

    def reconcile(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> str | None:
        """Make the person's certificate match the completion rule: issue, revoke or reinstate."""
        if enrollment.erased_at is not None:
            return None
        certificate = self.repo.certificate_of(enrollment.id)
        earned = qualifies(Attendance(enrollment.attendance) if enrollment.attendance else None,
                           enrollment.attended_hours, course.duration_hours, course.completion_min_percent)
        if earned and certificate is None:
            self._issue(session, course, enrollment)
            return "issued"
        if earned and certificate.status == "revoked":
            certificate.status, certificate.revoked_at = "valid", None
            certificate.hours = enrollment.attended_hours
            self._announce_issued(session, course, enrollment, certificate)
            return "issued"
        if earned:
            certificate.hours = enrollment.attended_hours
            return None
        if certificate is not None and certificate.status == "valid":
            certificate.status, certificate.revoked_at = "revoked", self.now
            self.db.emit(CertificateRevoked(
                **participant_fields(enrollment, session, course, self.links), certificate_id=certificate.id,
                number=certificate.number, verify_url=self.links.verify(certificate.number,
                                                                         certificate.verification_code),
                revoked_at=self.now), subject=str(certificate.id))
            return "revoked"
        return None

    def _issue(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> Certificate:
        year = local_year(self.now)
        certificate = Certificate(
            id=uuid.uuid4(), number=certificate_number(year, self.repo.next_certificate_serial(year)),
            verification_code=verification_code(), enrollment_id=enrollment.id, session_id=session.id,
            holder_name=enrollment.name, hours=enrollment.attended_hours, issued_at=self.now,
            valid_until=valid_until(session.ends_at, course.certificate_validity_months), status="valid",
        )
        self.repo.add(certificate)
        self._announce_issued(session, course, enrollment, certificate)
        return certificate

    def _announce_issued(self, session, course, enrollment, certificate: Certificate) -> None:
        self.db.emit(CertificateIssued(
            **participant_fields(enrollment, session, course, self.links), certificate_id=certificate.id,
            number=certificate.number, verify_url=self.links.verify(certificate.number, certificate.verification_code),
            verification_code=certificate.verification_code, hours=certificate.hours,
            issued_at=certificate.issued_at, valid_until=certificate.valid_until,
        ), subject=str(certificate.id))
