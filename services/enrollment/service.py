"""The enrollment service: HTTP entrypoints that validate, call the domain rules and commit."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from services.enrollment.domain.rules import (
    CourseFormat,
    EnrollmentStatus,
    SessionPlan,
    SessionSeats,
    SessionStatus,
    check_session_plan,
    decide_enrollment,
    normalise_email,
)
from services.enrollment.models import Course, Enrollment, TrainingSession
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import CourseIn, CourseOut, EnrollmentIn, EnrollmentOut, SessionIn, SessionOut
from shared.database import Database
from shared.db import utcnow
from shared.events.enrollment import EnrollmentConfirmed, EnrollmentWaitlisted, SessionScheduled
from shared.events.types import LocalizedText, Person
from shared.http import route
from shared.service import ServiceBase

ANYONE = ("staff", "operator", "municipality")
STAFF = ("staff",)
STAFF_OR_MUNICIPALITY = ("staff", "municipality")


class EnrollmentService(ServiceBase):
    name = "enrollment"
    db = Database()

    @property
    def repo(self) -> EnrollmentRepository:
        return EnrollmentRepository(self.db.session)

    # ------------------------------------------------------------------ courses
    @route("POST", "/enrollment/courses", roles=STAFF, body=CourseIn, response=CourseOut, status=201)
    def create_course(self, request, body: CourseIn, principal):
        """Create a course in the catalogue."""
        course = Course(
            id=uuid.uuid4(), title=body.title.model_dump(), description=body.description and body.description.model_dump(),
            themes=body.themes, audience=body.audience, duration_hours=body.duration_hours, format=body.format,
            created_at=utcnow(),
        )
        self.repo.add(course)
        self.db.commit()
        return 201, course_out(course)

    @route("GET", "/enrollment/courses", roles=ANYONE, response=list[CourseOut])
    def list_courses(self, request, principal):
        """The course catalogue."""
        return [course_out(c) for c in self.repo.courses()]

    @route("GET", "/enrollment/courses/<uuid:course_id>", roles=ANYONE, response=CourseOut, errors=(404,))
    def get_course(self, request, course_id, principal):
        """One course."""
        return course_out(self.repo.course(course_id))

    # ------------------------------------------------------------------ sessions
    @route("POST", "/enrollment/courses/<uuid:course_id>/sessions", roles=STAFF, body=SessionIn,
           response=SessionOut, status=201, errors=(404,))
    def schedule_session(self, request, course_id, body: SessionIn, principal):
        """Schedule a session of a course; publishes enrollment.session_scheduled."""
        repo = self.repo
        course = repo.course(course_id)
        now = utcnow()
        plan = SessionPlan(
            course_format=CourseFormat(course.format), starts_at=body.starts_at, ends_at=body.ends_at,
            registration_opens_at=body.registration_opens_at or now,
            registration_closes_at=body.registration_closes_at or body.starts_at,
            capacity=body.capacity, region=body.region, venue=body.venue, online_url=body.online_url,
        )
        check_session_plan(plan, now)
        session = TrainingSession(
            id=uuid.uuid4(), course_id=course.id, starts_at=plan.starts_at, ends_at=plan.ends_at, region=plan.region,
            venue=plan.venue, online_url=plan.online_url, capacity=plan.capacity, fee_eur=body.fee_eur,
            registration_opens_at=plan.registration_opens_at, registration_closes_at=plan.registration_closes_at,
            status=SessionStatus.SCHEDULED.value, created_at=now,
        )
        repo.add(session)
        self.db.emit(SessionScheduled(
            session_id=session.id, course_id=course.id, course_title=LocalizedText(**course.title),
            themes=course.themes, starts_at=session.starts_at, ends_at=session.ends_at, region=session.region,
            venue=session.venue, online_url=session.online_url, capacity=session.capacity, fee_eur=session.fee_eur,
            registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
        ), subject=str(session.id))
        self.db.commit()
        return 201, session_out(session, repo.counts(session.id))

    @route("GET", "/enrollment/sessions/<uuid:session_id>", roles=ANYONE, response=SessionOut, errors=(404,))
    def get_session(self, request, session_id, principal):
        """One session with its seat counts."""
        repo = self.repo
        session = repo.training_session(session_id)
        return session_out(session, repo.counts(session.id))

    # ------------------------------------------------------------------ enrolments
    @route("POST", "/enrollment/sessions/<uuid:session_id>/enrollments", roles=STAFF_OR_MUNICIPALITY,
           body=EnrollmentIn, response=EnrollmentOut, status=201, errors=(404, 409))
    def enroll(self, request, session_id, body: EnrollmentIn, principal):
        """Enrol a municipal employee: confirmed while seats remain, otherwise waitlisted.

        Enrolling the same person (e-mail) again returns the existing enrolment with 200.
        A municipality token may enrol only its own municipality's staff.
        """
        principal.require_municipality(body.municipality_code)
        repo = self.repo
        email_key = normalise_email(body.email)
        session = repo.training_session(session_id, lock=True)
        existing = repo.enrollment_of(session.id, email_key)
        if existing is not None:
            return 200, enrollment_out(existing, repo.waitlist_position(existing))
        counts = repo.counts(session.id)
        now = utcnow()
        status = decide_enrollment(SessionSeats(
            status=SessionStatus(session.status), capacity=session.capacity,
            confirmed=counts[EnrollmentStatus.CONFIRMED.value],
            registration_opens_at=session.registration_opens_at,
            registration_closes_at=session.registration_closes_at,
        ), now)
        enrollment = Enrollment(
            id=uuid.uuid4(), session_id=session.id, name=body.name, email=body.email.strip(), email_key=email_key,
            municipality_code=body.municipality_code, position=body.position, language=body.language,
            status=status.value, created_at=now, created_by=principal.subject,
        )
        try:
            repo.add(enrollment)
        except IntegrityError:
            # The same person enrolled concurrently through another replica; return that one.
            self.db.rollback()
            existing = self.repo.enrollment_of(session_id, email_key)
            return 200, enrollment_out(existing, self.repo.waitlist_position(existing))
        course = repo.course(session.course_id)
        participant = Person(name=enrollment.name, email=enrollment.email, municipality_code=enrollment.municipality_code,
                             position=enrollment.position, language=enrollment.language)
        position = repo.waitlist_position(enrollment)
        if status is EnrollmentStatus.CONFIRMED:
            self.db.emit(EnrollmentConfirmed(
                enrollment_id=enrollment.id, session_id=session.id, course_id=course.id,
                course_title=LocalizedText(**course.title), starts_at=session.starts_at, ends_at=session.ends_at,
                venue=session.venue, online_url=session.online_url, fee_eur=session.fee_eur, participant=participant,
            ), subject=str(enrollment.id))
        else:
            self.db.emit(EnrollmentWaitlisted(
                enrollment_id=enrollment.id, session_id=session.id, course_id=course.id,
                course_title=LocalizedText(**course.title), starts_at=session.starts_at, position=position,
                participant=participant,
            ), subject=str(enrollment.id))
        self.db.commit()
        return 201, enrollment_out(enrollment, position)

    @route("GET", "/enrollment/enrollments/<uuid:enrollment_id>", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404,))
    def get_enrollment(self, request, enrollment_id, principal):
        """One enrolment with its waitlist position (municipality tokens: their own staff only)."""
        repo = self.repo
        enrollment = repo.enrollment(enrollment_id)
        principal.require_municipality(enrollment.municipality_code)
        return enrollment_out(enrollment, repo.waitlist_position(enrollment))


def course_out(course: Course) -> CourseOut:
    return CourseOut(
        id=course.id, title=LocalizedText(**course.title),
        description=LocalizedText(**course.description) if course.description else None,
        themes=course.themes, audience=course.audience, duration_hours=course.duration_hours, format=course.format,
        created_at=course.created_at,
    )


def session_out(session: TrainingSession, counts: dict[str, int]) -> SessionOut:
    confirmed = counts.get(EnrollmentStatus.CONFIRMED.value, 0)
    return SessionOut(
        id=session.id, course_id=session.course_id, starts_at=session.starts_at, ends_at=session.ends_at,
        region=session.region, venue=session.venue, online_url=session.online_url, capacity=session.capacity,
        fee_eur=session.fee_eur, registration_opens_at=session.registration_opens_at,
        registration_closes_at=session.registration_closes_at, status=session.status, confirmed=confirmed,
        waitlisted=counts.get(EnrollmentStatus.WAITLISTED.value, 0), seats_left=max(session.capacity - confirmed, 0),
    )


def enrollment_out(enrollment: Enrollment, position: int | None) -> EnrollmentOut:
    return EnrollmentOut(
        id=enrollment.id, session_id=enrollment.session_id, status=enrollment.status, waitlist_position=position,
        name=enrollment.name, email=enrollment.email, municipality_code=enrollment.municipality_code,
        position=enrollment.position, language=enrollment.language, created_at=enrollment.created_at,
    )
