"""Minimum participants with a go/no-go date: the timer's check and the coordinator's answer.

At a session's `go_no_go_at` the timer (housekeeping.run_all) counts its confirmed seats. At or
above `min_participants` it is noted (`minimum_reached`). Below it, the session's coordinator is
told (enrollment.session_below_minimum, e-mailed by notifications) and answers with
`POST /enrollment/sessions/{id}/confirm` (it takes place: enrollment.session_go_confirmed) or the
usual cancellation; with `auto_cancel_below_minimum` the session is cancelled at once instead and
everyone in it told (enrollment_cancelled each, session_cancelled), the coordinator too.

Safe with several replicas: each due session is locked with SKIP LOCKED and re-checked under the
lock; `go_no_go_checked_at` is set in the transaction that emits, so a session is decided once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from services.enrollment.domain.rules import (
    EnrollmentStatus,
    GoDecision,
    SessionStatus,
    check_go_confirmable,
    go_decision,
)
from services.enrollment.metrics import GO_NO_GO
from services.enrollment.models import Course, TrainingSession
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import SessionOut
from services.enrollment.usecases.catalogue import cancel_everyone, session_view
from shared.events.enrollment import SessionBelowMinimum, SessionGoConfirmed
from shared.events.types import Contact
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
BATCH = 100
# Told to every participant when a session is cancelled automatically (lt / en, as other reasons).
AUTO_CANCEL_REASON = "Per mažai dalyvių / Too few participants: {confirmed} of at least {minimum}"


def check_due_sessions(db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime) -> int:
    """Decide every session whose go/no-go date has come; returns how many were decided."""
    decided = 0
    for session_id in repo.sessions_due_go_no_go(now, BATCH):
        try:
            session = repo.try_lock_session(session_id)
            if (session is None or session.go_no_go_checked_at is not None
                    or session.status != SessionStatus.SCHEDULED.value
                    or session.go_no_go_at is None or session.go_no_go_at > now):
                db.rollback()  # another replica holds it, or it changed meanwhile
                continue
            outcome = decide(db, repo, links, session, repo.course(session.course_id), now)
            db.commit()
            GO_NO_GO.labels(outcome=outcome.value).inc()
            log.info("go/no-go decided", extra={"session_id": str(session_id), "outcome": outcome.value})
            decided += 1
        except Exception:
            db.rollback()  # tried again at the next run
            log.exception("go/no-go of session %s failed", session_id)
    return decided


def decide(db: UnitOfWork, repo: EnrollmentRepository, links: Links, session: TrainingSession, course: Course,
           now: datetime) -> GoDecision:
    counts = repo.counts(session.id)
    confirmed = sum(by_status[EnrollmentStatus.CONFIRMED.value] for by_status in counts.values())
    waitlisted = sum(by_status[EnrollmentStatus.WAITLISTED.value] for by_status in counts.values())
    # Never cancelled automatically once it has started (a timer that was down): the coordinator decides.
    outcome = go_decision(confirmed, session.min_participants,
                          bool(session.auto_cancel_below_minimum) and now < session.starts_at)
    session.go_no_go_checked_at = now
    session.go_decision = outcome.value
    if outcome is GoDecision.MINIMUM_REACHED:
        return outcome
    if outcome is GoDecision.CANCELLED:
        cancel_everyone(db, repo, links, session, course,
                        AUTO_CANCEL_REASON.format(confirmed=confirmed, minimum=session.min_participants), now)
    base = f"{links.base}/sessions/{session.id}"
    db.emit(SessionBelowMinimum(
        session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
        ends_at=session.ends_at, region=session.region, venue=session.venue, online_url=session.online_url,
        go_no_go_at=session.go_no_go_at, confirmed=confirmed, min_participants=session.min_participants,
        waitlisted=waitlisted,
        outcome="auto_cancelled" if outcome is GoDecision.CANCELLED else "awaiting_decision",
        coordinator=Contact(name=session.coordinator_name, email=session.coordinator_email,
                            language=session.coordinator_language or "lt") if session.coordinator_email else None,
        session_url=base,
        confirm_url=None if outcome is GoDecision.CANCELLED else f"{base}/confirm",
        cancel_url=None if outcome is GoDecision.CANCELLED else f"{base}/cancel",
    ), subject=str(session.id))
    return outcome


def confirm(uow: UnitOfWork, links: Links, session_id) -> SessionOut:
    """The coordinator's answer: the session below its minimum takes place (enrollment.session_go_confirmed)."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_go_confirmable(SessionStatus(session.status), session.go_decision)
    session.go_decision = GoDecision.CONFIRMED.value
    counts = repo.counts(session.id)
    uow.emit(SessionGoConfirmed(
        session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
        confirmed=sum(by_status[EnrollmentStatus.CONFIRMED.value] for by_status in counts.values()),
        min_participants=session.min_participants), subject=str(session.id))
    uow.commit()
    GO_NO_GO.labels(outcome=GoDecision.CONFIRMED.value).inc()
    return session_view(repo, links, session, course)
