"""Enrolment: arrivals (with Idempotency-Key and the same person twice), the lists and the
waitlist, cancellations and offers."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError

from services.enrollment.domain.idempotency import check_same_request, key_scope, request_fingerprint
from services.enrollment.domain.rules import (
    ACTIVE,
    AttendanceMode,
    CancelReason,
    CourseFormat,
    EnrollmentStatus,
    SessionStatus,
    attendance_mode,
    available_modes,
    check_can_cancel,
    check_mode_switch,
    check_not_enrolled_by_another,
    check_offer_acceptable,
    check_offer_declinable,
    check_registration_open,
    normalise_email,
)
from services.enrollment.domain.seats import waiting_for as seat_waiting_for
from services.enrollment.models import Course, Enrollment, IdempotencyKey, TrainingSession
from services.enrollment.notices import Links
from services.enrollment.domain.paging import decode_cursor, page_of, search_term, sorts
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas import (
    CancelEnrollmentIn,
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentQuery,
    SwitchModeIn,
    WaitlistQuery,
)
from services.enrollment.usecases.seating import Seating
from services.enrollment.views import enrollment_out, listing
from shared.auth import Principal
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


class Enrolled(NamedTuple):
    enrollment: EnrollmentOut
    created: bool  # False: the person was enrolled already, or the request is a repeat


# ---------------------------------------------------------------- answers
def enrollment_view(uow: UnitOfWork, links: Links, enrollment: Enrollment) -> EnrollmentOut:
    """One enrolment with its place in line and what it waits for."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(enrollment.session_id)
    course = repo.course(session.course_id)
    waiting = Seating(uow, repo, links, utcnow()).waiting_for(session, course, enrollment)
    return enrollment_out(enrollment, repo.waitlist_position(enrollment), waiting, links)


def enrollments_view(uow: UnitOfWork, links: Links, session: TrainingSession, course: Course,
                     rows: list[Enrollment]) -> list[EnrollmentOut]:
    repo = EnrollmentRepository.of(uow)
    seating = Seating(uow, repo, links, utcnow())
    policy, counts = seating.policy(session, course), seating.counts(session)
    # Positions count everyone waiting in the pool, not only the rows shown.
    positions, per_pool = {}, {}
    for waiting in repo.waitlist(session.id):
        positions[waiting.id] = per_pool[waiting.mode] = per_pool.get(waiting.mode, 0) + 1
    out = []
    for enrollment in rows:
        waiting_for = None
        if enrollment.status == EnrollmentStatus.WAITLISTED.value:
            waiting_for = seat_waiting_for(policy, counts, AttendanceMode(enrollment.mode),
                                           enrollment.municipality_code).value
        out.append(enrollment_out(enrollment, positions.get(enrollment.id), waiting_for, links))
    return out


# ---------------------------------------------------------------- arrivals
def enroll(uow: UnitOfWork, links: Links, session_id, body: EnrollmentIn, principal: Principal,
           key: str | None) -> Enrolled:
    """Confirmed while seats remain (and the municipality is under the quota), else waitlisted in
    arrival order. The same person (e-mail) again, or a repeat with the same Idempotency-Key, gets
    the existing enrolment; a used key with a different request is refused."""
    scope = key_scope(principal.role_claim, principal.subject)
    fingerprint = request_fingerprint(session_id, body.model_dump(mode="json"))
    try:
        return _enroll(uow, links, session_id, body, principal, key, scope, fingerprint)
    except IntegrityError:
        # The same person or key arrived concurrently through another replica: answer with theirs.
        uow.rollback()
        repo = EnrollmentRepository.of(uow)
        existing = _replay(repo, key, scope, fingerprint) if key else None
        existing = existing or repo.enrollment_of(session_id, normalise_email(body.email))
        if existing is None:
            raise
        _check_not_anothers(principal, existing)
        return Enrolled(enrollment_view(uow, links, existing), created=False)


def _enroll(uow: UnitOfWork, links: Links, session_id, body: EnrollmentIn, principal: Principal, key, scope,
            fingerprint) -> Enrolled:
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    if key:
        replayed = _replay(repo, key, scope, fingerprint)
        if replayed is not None:
            return Enrolled(enrollment_view(uow, links, replayed), created=False)
    email_key = normalise_email(body.email)
    # On PostgreSQL the arrival is two round trips: BEGIN, the session's lock and the arrival's
    # state as one; the writes and COMMIT as the other (the lock is held for one of them).
    own = uow.own_transaction()
    session, course, seat_state, existing_id = repo.locked_arrival(session_id, email_key, begin=uow.begin_sql())
    existing = repo.enrollment(existing_id) if existing_id is not None else None
    _check_not_anothers(principal, existing)  # ENROLLED_PERSON checked before the lock; again under it
    if existing is not None and EnrollmentStatus(existing.status) in ACTIVE:
        if key:
            _remember_key(repo, key, scope, fingerprint, existing, now)
            uow.commit()
        return Enrolled(enrollment_view(uow, links, existing), created=False)
    check_registration_open(SessionStatus(session.status), session.registration_opens_at,
                            session.registration_closes_at, now)
    course_format = CourseFormat(course.format)
    mode = attendance_mode(course_format, body.attendance_mode,
                           available_modes(course_format, session.venue, session.online_url))
    # A person who left (or whose offer expired) may come back: as a new arrival, at the end.
    enrollment = existing or Enrollment(id=uuid.uuid4(), session_id=session.id, email_key=email_key,
                                        created_at=now, created_by=principal.subject)
    enrollment.name, enrollment.email, enrollment.position = body.name, body.email.strip(), body.position
    enrollment.municipality_code, enrollment.language, enrollment.mode = body.municipality_code, body.language, mode.value
    enrollment.cancelled_at = enrollment.cancel_reason = enrollment.offered_at = enrollment.offer_expires_at = None
    seating = Seating(uow, repo, links, now)
    arrival, position = seating.admit(session, course, enrollment, seat_state)
    if existing is None:
        # The hot path of a rush: the arrival, its key and its event written by one statement.
        remembered = _key_row(key, scope, fingerprint, enrollment, now) if key else None
        event = uow.outbox_row(seating.arrival_event(session, course, enrollment, arrival, position),
                               subject=str(enrollment.id))
        *writes, (last, values) = repo.arrival_writes(session, enrollment, remembered, event)
        for statement, values_of in writes:
            repo.session.execute(statement, values_of)
        if own:
            uow.commit_with(last, values)  # `...; COMMIT`
        else:
            repo.session.execute(last, values)
            uow.commit()
    else:
        repo.add(enrollment)
        if key:
            _remember_key(repo, key, scope, fingerprint, enrollment, now)
        seating.announce_arrival(session, course, enrollment, arrival, position)
        uow.commit()
    waiting = arrival.waiting_for.value if arrival.waiting_for else None
    return Enrolled(enrollment_out(enrollment, position, waiting, links), created=True)


def _check_not_anothers(principal: Principal, existing: Enrollment | None) -> None:
    """A person another municipality enrolled arrived meanwhile (a concurrent request)."""
    check_not_enrolled_by_another(principal.municipality_code if principal.role == "municipality" else None,
                                  existing.municipality_code if existing is not None else None)


def _replay(repo: EnrollmentRepository, key: str, scope: str, fingerprint: str) -> Enrollment | None:
    remembered = repo.idempotency_key(scope, key)
    if remembered is None:
        return None
    check_same_request(remembered.request_hash, fingerprint)
    return repo.enrollment(remembered.enrollment_id)


def _remember_key(repo: EnrollmentRepository, key, scope, fingerprint, enrollment, now) -> None:
    repo.add(_key_row(key, scope, fingerprint, enrollment, now))


def _key_row(key, scope, fingerprint, enrollment, now) -> IdempotencyKey:
    return IdempotencyKey(principal=scope, key=key, request_hash=fingerprint, enrollment_id=enrollment.id,
                          created_at=now)


# ---------------------------------------------------------------- reading
ENROLLMENT_SORTS = sorts("arrival:int", "name:text", "-created_at:time")
WAITLIST_SORT = sorts("arrival:int")["arrival"]
SORT_COLUMNS = {"arrival": "arrival_seq", "name": "name", "-created_at": "created_at"}


def list_enrollments(uow: UnitOfWork, links: Links, session_id, query: EnrollmentQuery,
                     tenant: str | None) -> tuple[int, list[EnrollmentOut], dict]:
    """A page, in arrival order by default (`tenant`: a municipality's own staff only)."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    course = repo.course(session.course_id)
    sort = ENROLLMENT_SORTS[query.sort]
    rows = Lists(repo).enrollments(session.id, sort=sort, after=decode_cursor(query.cursor, sort), limit=query.limit,
                                   status=query.status, municipality_code=tenant, term=search_term(query.q))
    page = page_of(rows, query.limit, sort, lambda e: (getattr(e, SORT_COLUMNS[sort.name]), e.id))
    return listing(page, enrollments_view(uow, links, session, course, page.items),
                   f"/enrollment/sessions/{session.id}/enrollments", query)


def waitlist(uow: UnitOfWork, links: Links, session_id, query: WaitlistQuery,
             tenant: str | None) -> tuple[int, list[EnrollmentOut], dict]:
    """In order, per pool; a municipality sees its own staff with their real places."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    course = repo.course(session.course_id)
    rows = Lists(repo).enrollments(session.id, sort=WAITLIST_SORT, after=decode_cursor(query.cursor, WAITLIST_SORT),
                                   limit=query.limit, municipality_code=tenant, waitlisted_only=True)
    page = page_of(rows, query.limit, WAITLIST_SORT, lambda e: (e.arrival_seq, e.id))
    return listing(page, enrollments_view(uow, links, session, course, page.items),
                   f"/enrollment/sessions/{session.id}/waitlist", query)


def get_enrollment(uow: UnitOfWork, links: Links, enrollment_id) -> EnrollmentOut:
    return enrollment_view(uow, links, EnrollmentRepository.of(uow).enrollment(enrollment_id))


# ---------------------------------------------------------------- leaving and offers
def cancel_enrollment(uow: UnitOfWork, links: Links, enrollment_id, body: CancelEnrollmentIn) -> EnrollmentOut:
    """A coordinator cancels a seat, an offer or a waitlist place; a freed seat goes on in order."""
    enrollment, session = EnrollmentRepository.of(uow).enrollment_locked(enrollment_id)
    cancel(uow, links, enrollment, session, CancelReason.BY_COORDINATOR, body.reason)
    return enrollment_view(uow, links, enrollment)


def accept_offer(uow: UnitOfWork, links: Links, enrollment_id) -> EnrollmentOut:
    enrollment, session = EnrollmentRepository.of(uow).enrollment_locked(enrollment_id)
    accept(uow, links, enrollment, session)
    return enrollment_view(uow, links, enrollment)


def decline_offer(uow: UnitOfWork, links: Links, enrollment_id) -> EnrollmentOut:
    enrollment, session = EnrollmentRepository.of(uow).enrollment_locked(enrollment_id)
    check_offer_declinable(EnrollmentStatus(enrollment.status))
    cancel(uow, links, enrollment, session, CancelReason.OFFER_DECLINED, None)
    return enrollment_view(uow, links, enrollment)


def cancel(uow: UnitOfWork, links: Links, enrollment: Enrollment, session: TrainingSession, reason: CancelReason,
           detail: str | None) -> None:
    """Cancel under the session's lock (the caller took it) and commit."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    course = repo.course(session.course_id)
    check_can_cancel(EnrollmentStatus(enrollment.status), SessionStatus(session.status), session.starts_at, now)
    Seating(uow, repo, links, now).cancel(session, course, enrollment, reason, detail)
    uow.commit()


def accept(uow: UnitOfWork, links: Links, enrollment: Enrollment, session: TrainingSession) -> None:
    """Accept an offered seat under the session's lock (the caller took it) and commit."""
    repo = EnrollmentRepository.of(uow)
    course = repo.course(session.course_id)
    seating = Seating(uow, repo, links, utcnow())
    seating.settle(session, course)  # an offer past its time expires here, as the timer would
    if enrollment.status == EnrollmentStatus.EXPIRED.value:
        uow.commit()  # the expiry stands even though accepting is refused
    check_offer_acceptable(EnrollmentStatus(enrollment.status))
    seating.accept_offer(session, course, enrollment)
    uow.commit()


# ---------------------------------------------------------------- a dropped attendance mode
def switch_mode_of(uow: UnitOfWork, links: Links, enrollment_id, body: SwitchModeIn) -> EnrollmentOut:
    """A coordinator switches a person whose mode the session no longer offers (see switch_mode)."""
    enrollment, session = EnrollmentRepository.of(uow).enrollment_locked(enrollment_id)
    switch_mode(uow, links, enrollment, session, body.attendance_mode)
    return enrollment_view(uow, links, enrollment)


def switch_mode(uow: UnitOfWork, links: Links, enrollment: Enrollment, session: TrainingSession,
                target: str | None) -> None:
    """Under the session's lock (the caller took it), move a person whose attendance mode the
    (hybrid) session no longer offers to the mode it still offers, and commit. In that pool they
    arrive as anyone would: a seat if one is free (and the quota allows), else the end of its
    waitlist; nobody already waiting there is overtaken. Told like an arrival
    (enrollment_confirmed or enrollment_waitlisted)."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    course = repo.course(session.course_id)
    course_format = CourseFormat(course.format)
    check_can_cancel(EnrollmentStatus(enrollment.status), SessionStatus(session.status), session.starts_at, now)
    new_mode = check_mode_switch(AttendanceMode(enrollment.mode),
                                 available_modes(course_format, session.venue, session.online_url),
                                 AttendanceMode(target) if target else None)
    seating = Seating(uow, repo, links, now)
    enrollment.mode = new_mode.value
    enrollment.status = EnrollmentStatus.WAITLISTED.value  # (holds nothing while it is decided)
    enrollment.offer_expires_at = enrollment.offered_at = None
    repo.session.flush()
    arrival, position = seating.admit(session, course, enrollment)
    repo.session.flush()
    seating.announce_arrival(session, course, enrollment, arrival, position)
    uow.commit()
