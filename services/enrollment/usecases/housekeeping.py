"""The timer's jobs (the service's `@timer` entrypoint, shared/timers.py, calls `run_all`): quota
releases and expired offers, reminders, certificate expiry notices.

Every replica runs the timer. Each job is safe with several replicas at once:
- quota release and offer expiry lock the session row with SKIP LOCKED, and re-check what is due
  under the lock (a replica that finds the row locked leaves the session to whoever holds it);
- reminders and expiry notices claim their rows with SELECT … FOR UPDATE SKIP LOCKED and mark them
  (`reminded_at`, `expiry_notified_at`) in the same transaction as the event they emit.
On SQLite (embedded, one process) writers take turns anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.enrollment.domain.completion import EXPIRY_NOTICE_DAYS
from services.enrollment.notices import Links, participant_fields
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.usecases import go_no_go
from services.enrollment.usecases.seating import Seating
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.events.enrollment import CertificateExpiring, SessionReminderDue

log = logging.getLogger(__name__)
BATCH = 200


def run_all(db: UnitOfWork, links: Links, now: datetime | None = None) -> dict[str, int]:
    """Each job commits as it goes; returns what each did."""
    now = now or utcnow()
    repo = EnrollmentRepository.of(db)
    done = {"sessions_settled": settle_due_sessions(db, repo, links, now),
            "go_no_go": go_no_go.check_due_sessions(db, repo, links, now),
            "reminders": send_reminders(db, repo, links, now),
            "expiry_notices": announce_expiring_certificates(db, repo, links, now)}
    if any(done.values()):
        log.info("timer run", extra=done)
    return done


def settle_due_sessions(db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime) -> int:
    settled = 0
    for session_id in repo.sessions_due_housekeeping(now, BATCH):
        try:
            session = repo.try_lock_session(session_id)
            if session is None:
                db.rollback()  # another replica or a request holds it and settles it
                continue
            Seating(db, repo, links, now).settle(session, repo.course(session.course_id))
            db.commit()
            settled += 1
        except Exception:
            # One broken session must not stop the others; it is tried again at the next run.
            db.rollback()
            log.exception("settling session %s failed", session_id)
    return settled


def send_reminders(db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime) -> int:
    sent = 0
    while True:
        due = repo.due_reminders(now, BATCH)
        courses = repo.courses_by_id({session.course_id for _, session in due})
        for enrollment, session in due:
            enrollment.reminded_at = now
            db.emit(SessionReminderDue(
                **participant_fields(enrollment, session, courses[session.course_id], links),
                fee_eur=session.fee_eur, hours_before=session.reminder_hours_before), subject=str(enrollment.id))
        db.commit()
        sent += len(due)
        if len(due) < BATCH:
            return sent


def announce_expiring_certificates(db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime) -> int:
    sent = 0
    while True:
        due = repo.due_expiry_notices(now, now + timedelta(days=EXPIRY_NOTICE_DAYS), BATCH)
        for certificate in due:
            certificate.expiry_notified_at = now
            enrollment = repo.enrollment(certificate.enrollment_id)
            if enrollment.erased_at is not None:
                continue  # nobody left to tell
            session = repo.training_session(certificate.session_id)
            course = repo.course(session.course_id)
            db.emit(CertificateExpiring(
                **participant_fields(enrollment, session, course, links), certificate_id=certificate.id,
                number=certificate.number, verify_url=links.verify(certificate.number, certificate.verification_code),
                valid_until=certificate.valid_until,
                days_left=max((certificate.valid_until - now).days, 0)), subject=str(certificate.id))
            sent += 1
        db.commit()
        if len(due) < BATCH:
            return sent
