"""Seat changes of one session — enrolments, cancellations, offers, quota release, promotions —
made under the session's row lock, with the events they cause written to the outbox.

The domain (domain/seats.py) decides; this module reads the counts it needs, applies its decisions
to the rows and emits the events. Every public method expects the caller to hold the session's
row lock (EnrollmentRepository.training_session(..., lock=True) or try_lock_session) and to commit.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from services.enrollment.domain.rules import (
    HOLDS_SEAT,
    AttendanceMode,
    CancelReason,
    CourseFormat,
    EnrollmentStatus,
    SessionStatus,
    available_modes,
    capacity_of,
    modes_for,
    offer_deadline,
)
from services.enrollment.domain.seats import (
    Arrival,
    SeatCounts,
    SeatPolicy,
    Waiting,
    decide_arrival,
    plan_promotions,
    waiting_for,
)
from services.enrollment.models import Course, Enrollment, TrainingSession
from services.enrollment.notices import Links, participant_fields, person_of, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.usecases import invoices
from shared.persistence.unit_of_work import UnitOfWork
from shared.events.enrollment import (
    EnrollmentCancelled,
    EnrollmentConfirmed,
    EnrollmentPromoted,
    EnrollmentWaitlisted,
    QuotaReleased,
    WaitlistOfferExpired,
    WaitlistOfferMade,
)


class Seating:
    def __init__(self, db: UnitOfWork, repo: EnrollmentRepository, links: Links, now: datetime):
        self.db = db
        self.repo = repo
        self.links = links
        self.now = now

    # ------------------------------------------------------------------ the state of a session
    @staticmethod
    def policy(session: TrainingSession, course: Course) -> SeatPolicy:
        course_format = CourseFormat(course.format)
        offered = available_modes(course_format, session.venue, session.online_url)
        # A pool the session no longer offers (a hybrid session without its venue or link) has no
        # seat to give: its waitlist waits for the person's choice, not for a promotion.
        capacities = {mode: capacity_of(mode, course_format, session.capacity, session.online_capacity)
                      if mode in offered else 0 for mode in modes_for(course_format)}
        quota = session.quota_per_municipality if session.quota_released_at is None else None
        return SeatPolicy(capacities, quota, offers=session.offer_hours is not None)

    def counts(self, session: TrainingSession) -> SeatCounts:
        return SeatCounts.of((AttendanceMode(mode), municipality) for mode, municipality in self.repo.holders(session.id))

    def waiting_for(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> str | None:
        if enrollment.status != EnrollmentStatus.WAITLISTED.value:
            return None
        return waiting_for(self.policy(session, course), self.counts(session), AttendanceMode(enrollment.mode),
                           enrollment.municipality_code).value

    def settle(self, session: TrainingSession, course: Course, cause: str = "seat_freed") -> None:
        """Apply what time has made due — a quota release, expired offers — and fill free seats,
        so that no decision is taken on a stale state (a newcomer never overtakes someone the
        timer has not promoted yet)."""
        if session.status != SessionStatus.SCHEDULED.value:
            return
        if (session.quota_released_at is None and session.quota_release_at is not None
                and session.quota_release_at <= self.now):
            self.release_quota(session, course)
        self.expire_offers(session, course)
        self.fill(session, course, cause)

    def expire_offers(self, session: TrainingSession, course: Course) -> int:
        expired = self.repo.due_offers(session.id, self.now)
        for enrollment in expired:
            enrollment.status = EnrollmentStatus.EXPIRED.value
            self.db.emit(WaitlistOfferExpired(**participant_fields(enrollment, session, course, self.links),
                                              expired_at=enrollment.offer_expires_at), subject=str(enrollment.id))
        self.repo.session.flush()
        return len(expired)

    def fill(self, session: TrainingSession, course: Course, cause: str,
             counts: SeatCounts | None = None) -> list[Enrollment]:
        """Give free seats to the waitlist in arrival order (or offer them, if the session gives
        time-boxed offers). Nobody is promoted once the session has started. `counts`, if given,
        is the current state and is updated with the promotions."""
        if session.status != SessionStatus.SCHEDULED.value or self.now >= session.starts_at:
            return []
        policy = self.policy(session, course)
        counts = counts if counts is not None else self.counts(session)
        if not any(counts.free(policy, mode) for mode in policy.capacities):
            return []  # the common case in a rush: no seat to give, no need to read the waitlist
        waitlist = self.repo.waitlist(session.id)
        if not waitlist:
            return []
        by_id = {e.id: e for e in waitlist}
        plan = plan_promotions(policy, counts, [
            Waiting(e.id, AttendanceMode(e.mode), e.municipality_code, e.arrival_seq) for e in waitlist])
        promoted = []
        for promotion in plan:
            enrollment = by_id[promotion.enrollment_id]
            fields = participant_fields(enrollment, session, course, self.links)
            if promotion.status is EnrollmentStatus.OFFERED:
                enrollment.status = EnrollmentStatus.OFFERED.value
                enrollment.offered_at = self.now
                enrollment.offer_expires_at = offer_deadline(self.now, session.offer_hours, session.starts_at)
                self.db.emit(WaitlistOfferMade(**fields, fee_eur=session.fee_eur,
                                               expires_at=enrollment.offer_expires_at), subject=str(enrollment.id))
            else:
                enrollment.status = EnrollmentStatus.CONFIRMED.value
                enrollment.confirmed_at = self.now
                self.seat_changed(session, enrollment)
                self.db.emit(EnrollmentPromoted(**fields, fee_eur=session.fee_eur, cause=cause),
                             subject=str(enrollment.id))
            promoted.append(enrollment)
        self.repo.session.flush()
        return promoted

    def release_quota(self, session: TrainingSession, course: Course) -> list[Enrollment]:
        session.quota_released_at = self.now
        self.repo.session.flush()
        promoted = self.fill(session, course, cause="quota_released")
        self.db.emit(QuotaReleased(
            session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
            quota_per_municipality=session.quota_per_municipality, promoted=len(promoted)), subject=str(session.id))
        return promoted

    # ------------------------------------------------------------------ arrivals
    def admit(self, session: TrainingSession, course: Course, enrollment: Enrollment,
              seat_state: list[tuple[str, str, str, int]] | None = None) -> tuple[Arrival, int | None]:
        """Decide a new (or returning) arrival's seat; it gets the next arrival number. Returns the
        decision and, if waitlisted, the place in line. `seat_state`: the rows of
        `repo.seat_state`, if the caller read them (under the lock) already.

        This is the hot path of a registration rush (every arrival waits for the session's lock),
        so it reads the seat state once and the waitlist only when someone waits for a pool that
        has a free seat."""
        changed = False
        if (session.quota_released_at is None and session.quota_release_at is not None
                and session.quota_release_at <= self.now):
            self.release_quota(session, course)
            changed = True
        if session.offer_hours is not None:
            # (offers left over from before offers were switched off expire through the timer)
            changed = self.expire_offers(session, course) > 0 or changed
        counts, waiting = self.state(session, None if changed else seat_state)
        policy = self.policy(session, course)
        if any(waiting[mode.value] and counts.free(policy, mode) for mode in policy.capacities):
            for promoted in self.fill(session, course, "seat_freed", counts):
                waiting[promoted.mode] -= 1
        mode = AttendanceMode(enrollment.mode)
        arrival = decide_arrival(self.policy(session, course), counts, mode, enrollment.municipality_code)
        enrollment.arrival_seq = self.repo.take_arrival_seq(session)
        enrollment.status = arrival.status.value
        enrollment.confirmed_at = self.now if arrival.status is EnrollmentStatus.CONFIRMED else None
        self.seat_changed(session, enrollment)  # (a confirmed person switching modes may now wait)
        position = waiting[mode.value] + 1 if arrival.status is EnrollmentStatus.WAITLISTED else None
        return arrival, position

    def state(self, session: TrainingSession,
              rows: list[tuple[str, str, str, int]] | None = None) -> tuple[SeatCounts, Counter]:
        """Seats held (per pool and municipality) and people waiting per pool, in one query (or
        from its `rows`, read by the caller)."""
        counts, waiting = SeatCounts(), Counter()
        for mode, status, municipality, number in (self.repo.seat_state(session.id) if rows is None else rows):
            if status == EnrollmentStatus.WAITLISTED.value:
                waiting[mode] += number
            else:
                counts.held[AttendanceMode(mode)] += number
                counts.by_municipality[municipality] += number
        return counts, waiting

    def announce_arrival(self, session: TrainingSession, course: Course, enrollment: Enrollment,
                         arrival: Arrival, position: int | None) -> None:
        self.db.emit(self.arrival_event(session, course, enrollment, arrival, position), subject=str(enrollment.id))

    def arrival_event(self, session: TrainingSession, course: Course, enrollment: Enrollment,
                      arrival: Arrival, position: int | None) -> EnrollmentConfirmed | EnrollmentWaitlisted:
        """What an arrival is told: enrollment_confirmed, or enrollment_waitlisted with its place."""
        if arrival.status is EnrollmentStatus.CONFIRMED:
            return self.confirmed_event(session, course, enrollment)
        return EnrollmentWaitlisted(
            enrollment_id=enrollment.id, session_id=session.id, course_id=course.id,
            course_title=title_of(course), starts_at=session.starts_at, ends_at=session.ends_at,
            region=session.region, venue=session.venue, online_url=session.online_url, position=position,
            participant=person_of(enrollment), attendance_mode=enrollment.mode,
            waiting_for=arrival.waiting_for.value, manage_url=self.links.manage(enrollment.id),
            calendar_url=self.links.person_calendar(enrollment.id),
        )

    def emit_confirmed(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> None:
        self.db.emit(self.confirmed_event(session, course, enrollment), subject=str(enrollment.id))

    def confirmed_event(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> EnrollmentConfirmed:
        return EnrollmentConfirmed(
            enrollment_id=enrollment.id, session_id=session.id, course_id=course.id, course_title=title_of(course),
            starts_at=session.starts_at, ends_at=session.ends_at, venue=session.venue, online_url=session.online_url,
            fee_eur=session.fee_eur, participant=person_of(enrollment), region=session.region,
            attendance_mode=enrollment.mode, manage_url=self.links.manage(enrollment.id),
            calendar_url=self.links.person_calendar(enrollment.id),
        )

    def seat_changed(self, session: TrainingSession, enrollment: Enrollment) -> None:
        """A seat was confirmed or given up: the municipality's invoice of a session with a fee is
        recalculated when this unit of work commits (usecases/invoices.py; before the cut-off only)."""
        if session.fee_eur > 0:
            invoices.mark(self.db, self.links, session.id, enrollment.municipality_code)

    # ------------------------------------------------------------------ leaving
    def cancel(self, session: TrainingSession, course: Course, enrollment: Enrollment, reason: CancelReason,
               detail: str | None = None, *, announce: bool = True, refill: bool = True) -> None:
        previous = EnrollmentStatus(enrollment.status)
        enrollment.status = EnrollmentStatus.CANCELLED.value
        enrollment.cancelled_at = self.now
        enrollment.cancel_reason = reason.value
        enrollment.offer_expires_at = None
        self.repo.session.flush()
        if previous is EnrollmentStatus.CONFIRMED:
            self.seat_changed(session, enrollment)
        if announce:
            self.db.emit(EnrollmentCancelled(**participant_fields(enrollment, session, course, self.links),
                                             reason=reason.value, previous_status=previous.value, detail=detail),
                         subject=str(enrollment.id))
        if refill and previous in HOLDS_SEAT:
            self.settle(session, course)  # (applies a quota release that is due before giving the seat)

    def accept_offer(self, session: TrainingSession, course: Course, enrollment: Enrollment) -> None:
        enrollment.status = EnrollmentStatus.CONFIRMED.value
        enrollment.confirmed_at = self.now
        enrollment.offer_expires_at = None
        self.repo.session.flush()
        self.seat_changed(session, enrollment)
        self.emit_confirmed(session, course, enrollment)
