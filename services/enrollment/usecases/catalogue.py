"""The catalogue: courses, and sessions scheduled, changed and cancelled."""

from __future__ import annotations

import uuid

from services.enrollment.domain.rules import (
    ACTIVE,
    CancelReason,
    CourseFormat,
    SessionPlan,
    SessionSettings,
    SessionStatus,
    check_session_cancellable,
    check_session_change,
    check_session_changeable,
    check_session_plan,
    pool_capacities,
    quota_release_at,
)
from services.enrollment.models import Course, TrainingSession
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import (
    CancelSessionIn,
    CourseIn,
    CourseOut,
    CourseQuery,
    SessionIn,
    SessionOut,
    SessionPatch,
    SessionQuery,
)
from services.enrollment.usecases.seating import Seating
from services.enrollment.views import course_out, session_out
from shared.events.enrollment import SessionCancelled, SessionScheduled, SessionUpdated
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


# ---------------------------------------------------------------- courses
def create_course(uow: UnitOfWork, body: CourseIn) -> CourseOut:
    course = Course(
        id=uuid.uuid4(), title=body.title.model_dump(), description=body.description and body.description.model_dump(),
        themes=body.themes, audience=body.audience, duration_hours=body.duration_hours, format=body.format,
        completion_min_percent=body.completion_min_percent,
        certificate_validity_months=body.certificate_validity_months, created_at=utcnow(),
    )
    EnrollmentRepository.of(uow).add(course)
    uow.commit()
    return course_out(course)


def list_courses(uow: UnitOfWork, query: CourseQuery) -> list[CourseOut]:
    return [course_out(c) for c in EnrollmentRepository.of(uow).courses(query.theme, query.audience, query.format)]


def get_course(uow: UnitOfWork, course_id) -> CourseOut:
    return course_out(EnrollmentRepository.of(uow).course(course_id))


# ---------------------------------------------------------------- sessions
def capacities(session: TrainingSession, course: Course):
    return pool_capacities(CourseFormat(course.format), session.capacity, session.online_capacity)


def session_view(repo: EnrollmentRepository, links: Links, session: TrainingSession, course: Course) -> SessionOut:
    """A session with its seats per pool, as answered."""
    return session_out(session, course, repo.counts(session.id), capacities(session, course), links)


def schedule_session(uow: UnitOfWork, links: Links, course_id, body: SessionIn) -> SessionOut:
    """Publishes enrollment.session_scheduled."""
    repo = EnrollmentRepository.of(uow)
    course = repo.course(course_id)
    now = utcnow()
    plan = SessionPlan(
        course_format=CourseFormat(course.format), starts_at=body.starts_at, ends_at=body.ends_at,
        registration_opens_at=body.registration_opens_at or now,
        registration_closes_at=body.registration_closes_at or body.starts_at,
        capacity=body.capacity, region=body.region, venue=body.venue, online_url=body.online_url,
        online_capacity=body.online_capacity, min_participants=body.min_participants,
        quota_per_municipality=body.quota_per_municipality, quota_release_days=body.quota_release_days,
        offer_hours=body.offer_hours,
    )
    check_session_plan(plan, now)
    release_at = quota_release_at(plan.starts_at, plan.quota_release_days)
    session = TrainingSession(
        id=uuid.uuid4(), course_id=course.id, starts_at=plan.starts_at, ends_at=plan.ends_at, region=plan.region,
        venue=plan.venue, online_url=plan.online_url, capacity=plan.capacity, online_capacity=plan.online_capacity,
        min_participants=plan.min_participants, fee_eur=body.fee_eur,
        registration_opens_at=plan.registration_opens_at, registration_closes_at=plan.registration_closes_at,
        quota_per_municipality=plan.quota_per_municipality, quota_release_days=plan.quota_release_days,
        quota_release_at=release_at,
        quota_released_at=now if release_at is not None and release_at <= now else None,
        offer_hours=plan.offer_hours, reminder_hours_before=body.reminder_hours_before, next_arrival_seq=1,
        status=SessionStatus.SCHEDULED.value, created_at=now,
    )
    repo.add(session)
    uow.emit(SessionScheduled(
        session_id=session.id, course_id=course.id, course_title=title_of(course),
        themes=course.themes, starts_at=session.starts_at, ends_at=session.ends_at, region=session.region,
        venue=session.venue, online_url=session.online_url, capacity=session.capacity, fee_eur=session.fee_eur,
        registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
        format=course.format, audience=course.audience, duration_hours=course.duration_hours,
        online_capacity=session.online_capacity, min_participants=session.min_participants,
        quota_per_municipality=session.quota_per_municipality, quota_release_at=session.quota_release_at,
        calendar_url=links.session_calendar(session.id),
    ), subject=str(session.id))
    uow.commit()
    return session_view(repo, links, session, course)


def list_sessions(uow: UnitOfWork, links: Links, query: SessionQuery) -> list[SessionOut]:
    repo = EnrollmentRepository.of(uow)
    sessions = repo.sessions(course_id=query.course_id, region=query.region, status=query.status,
                             starts_from=query.starts_from, starts_to=query.starts_to,
                             open_at=utcnow() if query.open_for_registration else None)
    courses = repo.courses_by_id(s.course_id for s in sessions)
    if query.theme:
        sessions = [s for s in sessions if query.theme in courses[s.course_id].themes]
    counts = repo.counts_for([s.id for s in sessions])
    return [session_out(s, courses[s.course_id], counts[s.id], capacities(s, courses[s.course_id]), links)
            for s in sessions]


def get_session(uow: UnitOfWork, links: Links, session_id) -> SessionOut:
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    return session_view(repo, links, session, repo.course(session.course_id))


def update_session(uow: UnitOfWork, links: Links, session_id, body: SessionPatch) -> SessionOut:
    """Capacity cannot drop below the seats taken; raised capacity or a lifted quota promotes
    waitlisted people in order (enrollment.session_updated when something changed)."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_session_changeable(SessionStatus(session.status))
    seating = Seating(uow, repo, links, now)
    seating.settle(session, course)
    changed = _changes(session, course, body, seating)
    for name, value in changed.items():
        setattr(session, name, value)
    if "quota_release_at" in changed:
        session.quota_released_at = None  # a new or moved quota applies until its release time
    repo.session.flush()
    seating.settle(session, course, cause="capacity_raised")
    if changed:
        uow.emit(SessionUpdated(
            session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
            changed=sorted(set(changed) - {"quota_release_at"}), capacity=session.capacity,
            online_capacity=session.online_capacity,
            min_participants=session.min_participants, quota_per_municipality=session.quota_per_municipality,
            quota_release_at=session.quota_release_at, offer_hours=session.offer_hours,
            registration_opens_at=session.registration_opens_at,
            registration_closes_at=session.registration_closes_at,
        ), subject=str(session.id))
    uow.commit()
    return session_view(repo, links, session, course)


def _changes(session: TrainingSession, course: Course, body: SessionPatch, seating: Seating) -> dict:
    """What the PATCH really changes, checked by the domain against the seats taken."""
    return check_session_change(SessionSettings(
        course_format=CourseFormat(course.format), starts_at=session.starts_at, capacity=session.capacity,
        online_capacity=session.online_capacity, min_participants=session.min_participants,
        registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
        quota_per_municipality=session.quota_per_municipality, quota_release_days=session.quota_release_days,
        offer_hours=session.offer_hours, reminder_hours_before=session.reminder_hours_before,
    ), body.model_dump(include=body.model_fields_set), seating.counts(session).held)


def cancel_session(uow: UnitOfWork, links: Links, session_id, body: CancelSessionIn) -> SessionOut:
    """Every enrolment (seat, offer, waitlist place) is cancelled and each person told
    (enrollment.enrollment_cancelled), then enrollment.session_cancelled."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_session_cancellable(SessionStatus(session.status))
    session.status = SessionStatus.CANCELLED.value
    session.cancelled_at = now
    session.cancel_reason = body.reason
    seating = Seating(uow, repo, links, now)
    active = repo.session_enrollments(session.id, statuses=[s.value for s in ACTIVE])
    for enrollment in active:
        seating.cancel(session, course, enrollment, CancelReason.SESSION_CANCELLED, body.reason, refill=False)
    uow.emit(SessionCancelled(
        session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
        ends_at=session.ends_at, region=session.region, venue=session.venue, online_url=session.online_url,
        reason=body.reason, enrollments_cancelled=len(active),
    ), subject=str(session.id))
    uow.commit()
    return session_view(repo, links, session, course)
