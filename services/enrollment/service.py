"""The enrollment service: HTTP entrypoints, timers and event handlers that validate, call the
domain rules (domain/) through the seating and certification helpers, and commit."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, time

from sqlalchemy.exc import IntegrityError

from services.enrollment import privacy, timers
from services.enrollment.certification import Certification
from services.enrollment.domain.codes import check_enrollment_code, normalise_verification_code
from services.enrollment.domain.completion import certificate_status
from services.enrollment.domain.figures import (
    LOCAL_TIME,
    NeedFacts,
    ParticipationFacts,
    SessionFacts,
    demand_ranking,
    hours_ledger,
    restrict,
    summary_report,
)
from services.enrollment.domain.rules import (
    ACTIVE,
    Attendance,
    AttendanceMode,
    CancelReason,
    CourseFormat,
    EnrollmentStatus,
    SessionPlan,
    SessionSettings,
    SessionStatus,
    attendance_mode,
    capacity_of,
    check_can_cancel,
    check_registration_open,
    check_session_change,
    check_session_plan,
    modes_for,
    normalise_email,
    quota_release_at,
)
from services.enrollment.domain.seats import waiting_for as seat_waiting_for
from services.enrollment.metrics import EnrollmentGauges
from services.enrollment.models import (
    Course,
    Enrollment,
    IdempotencyKey,
    TrainingNeed,
    TrainingNeedSupport,
    TrainingSession,
)
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import (
    AttendanceIn,
    BulkAttendanceIn,
    BulkAttendanceOut,
    CancelEnrollmentIn,
    CancelSessionIn,
    CertificateOut,
    CertificateQuery,
    CompleteSessionIn,
    CompletionOut,
    CourseIn,
    CourseOut,
    CourseQuery,
    DemandOut,
    DemandQuery,
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentQuery,
    HoursLineOut,
    HoursQuery,
    ReportOut,
    ReportQuery,
    SelfServiceOut,
    SessionIn,
    SessionOut,
    SessionPatch,
    SessionQuery,
    SupportIn,
    TrainingNeedIn,
    TrainingNeedOut,
    TrainingNeedQuery,
    TrainingNeedStatusIn,
    VerificationOut,
    VerifyQuery,
)
from services.enrollment.seating import Seating
from services.enrollment.views import (
    ENTRY_STATUS,
    NOTES,
    certificate_out,
    course_out,
    csv_response,
    enrollment_out,
    ics_response,
    session_entry,
    session_out,
)
from shared.persistence.provider import Database
from shared.persistence.schema import utcnow
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from shared.events.enrollment import (
    SessionCancelled,
    SessionScheduled,
    SessionUpdated,
    TrainingNeedSubmitted,
    TrainingNeedSupported,
)
from shared.events.envelope import Envelope
from shared.events.privacy import ErasureRequested
from shared.http import Problem, route
from shared.tenancy import Tenancy, keyed_by, owned_by
from shared.messaging.subscriptions import subscribe
from shared.service import ServiceBase
from shared.timers import timer

ANYONE = ("staff", "operator", "municipality")
STAFF = ("staff",)
STAFF_OR_MUNICIPALITY = ("staff", "municipality")
IDEMPOTENCY_HEADER = "Idempotency-Key"


# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
CATALOGUE = Tenancy.none("the training catalogue: courses and sessions with their seats, no participant")
NEEDS = Tenancy.none("training needs are shared so that municipalities can see and support each other's proposals")
ENROLLMENT = Tenancy.resource("enrollment_id", owned_by(Enrollment.municipality_code, Enrollment.id), "enrolment")
# The person (e-mail) already enrolled in the session, and the municipality that enrolled them.
ENROLLED_PERSON = Tenancy.identity("email", keyed_by(
    Enrollment.municipality_code, lambda kwargs: Enrollment.session_id == kwargs["session_id"],
    lambda kwargs: Enrollment.email_key == normalise_email(kwargs["body"].email)), "person enrolled in this session")
OWN_STAFF = Tenancy.query("municipality_code")


class EnrollmentService(ServiceBase):
    name = "enrollment"
    db = Database()
    gauges = EnrollmentGauges()

    @property
    def repo(self) -> EnrollmentRepository:
        return EnrollmentRepository(self.db.session, self.db.dialect)

    @property
    def links(self) -> Links:
        return Links(self.settings.public_url, self.settings.auth_secret)

    def seating(self, repo: EnrollmentRepository, now: datetime) -> Seating:
        return Seating(self.db, repo, self.links, now)

    def certification(self, repo: EnrollmentRepository, now: datetime) -> Certification:
        return Certification(self.db, repo, self.links, now)

    # ================================================================== courses
    @route("POST", "/enrollment/courses", roles=STAFF, body=CourseIn, response=CourseOut, status=201)
    def create_course(self, request, body: CourseIn, principal):
        """Create a course in the catalogue."""
        course = Course(
            id=uuid.uuid4(), title=body.title.model_dump(), description=body.description and body.description.model_dump(),
            themes=body.themes, audience=body.audience, duration_hours=body.duration_hours, format=body.format,
            completion_min_percent=body.completion_min_percent,
            certificate_validity_months=body.certificate_validity_months, created_at=utcnow(),
        )
        self.repo.add(course)
        self.db.commit()
        return 201, course_out(course)

    @route("GET", "/enrollment/courses", roles=ANYONE, query=CourseQuery, response=list[CourseOut], scope=CATALOGUE)
    def list_courses(self, request, query: CourseQuery, principal):
        """The course catalogue, optionally by theme, audience or format."""
        return [course_out(c) for c in self.repo.courses(query.theme, query.audience, query.format)]

    @route("GET", "/enrollment/courses/<uuid:course_id>", roles=ANYONE, response=CourseOut, errors=(404,),
           scope=CATALOGUE)
    def get_course(self, request, course_id, principal):
        """One course."""
        return course_out(self.repo.course(course_id))

    # ================================================================== sessions
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
        self.db.emit(SessionScheduled(
            session_id=session.id, course_id=course.id, course_title=title_of(course),
            themes=course.themes, starts_at=session.starts_at, ends_at=session.ends_at, region=session.region,
            venue=session.venue, online_url=session.online_url, capacity=session.capacity, fee_eur=session.fee_eur,
            registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
            format=course.format, audience=course.audience, duration_hours=course.duration_hours,
            online_capacity=session.online_capacity, min_participants=session.min_participants,
            quota_per_municipality=session.quota_per_municipality, quota_release_at=session.quota_release_at,
            calendar_url=self.links.session_calendar(session.id),
        ), subject=str(session.id))
        self.db.commit()
        return 201, self._session_out(repo, session, course)

    @route("GET", "/enrollment/sessions", roles=ANYONE, query=SessionQuery, response=list[SessionOut],
           scope=CATALOGUE)
    def list_sessions(self, request, query: SessionQuery, principal):
        """Sessions in start order, by course, theme, region, status, start date or open registration."""
        repo = self.repo
        sessions = repo.sessions(course_id=query.course_id, region=query.region, status=query.status,
                                 starts_from=query.starts_from, starts_to=query.starts_to,
                                 open_at=utcnow() if query.open_for_registration else None)
        courses = repo.courses_by_id(s.course_id for s in sessions)
        if query.theme:
            sessions = [s for s in sessions if query.theme in courses[s.course_id].themes]
        counts = repo.counts_for([s.id for s in sessions])
        return [session_out(s, courses[s.course_id], counts[s.id], self._capacities(s, courses[s.course_id]), self.links)
                for s in sessions]

    @route("GET", "/enrollment/sessions/<uuid:session_id>", roles=ANYONE, response=SessionOut, errors=(404,),
           scope=CATALOGUE)
    def get_session(self, request, session_id, principal):
        """One session with its seats per pool."""
        repo = self.repo
        session = repo.training_session(session_id)
        return self._session_out(repo, session, repo.course(session.course_id))

    @route("PATCH", "/enrollment/sessions/<uuid:session_id>", roles=STAFF, body=SessionPatch, response=SessionOut,
           errors=(404, 409))
    def update_session(self, request, session_id, body: SessionPatch, principal):
        """Change seats, quota, offers, minimum or registration window. Capacity cannot drop below the
        seats taken; raised capacity or a lifted quota promotes waitlisted people in order."""
        repo = self.repo
        now = utcnow()
        session = repo.training_session(session_id, lock=True)
        course = repo.course(session.course_id)
        if session.status != SessionStatus.SCHEDULED.value:
            raise Conflict(f"the session is {session.status}", code="session_not_open")
        seating = self.seating(repo, now)
        seating.settle(session, course)
        changed = check_session_change(SessionSettings(
            course_format=CourseFormat(course.format), starts_at=session.starts_at, capacity=session.capacity,
            online_capacity=session.online_capacity, min_participants=session.min_participants,
            registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
            quota_per_municipality=session.quota_per_municipality, quota_release_days=session.quota_release_days,
            offer_hours=session.offer_hours, reminder_hours_before=session.reminder_hours_before,
        ), body.model_dump(include=body.model_fields_set), seating.counts(session).held)
        for name, value in changed.items():
            setattr(session, name, value)
        if "quota_release_at" in changed:
            session.quota_released_at = None  # a new or moved quota applies until its release time
        repo.session.flush()
        seating.settle(session, course, cause="capacity_raised")
        if changed:
            self.db.emit(SessionUpdated(
                session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
                changed=sorted(set(changed) - {"quota_release_at"}), capacity=session.capacity, online_capacity=session.online_capacity,
                min_participants=session.min_participants, quota_per_municipality=session.quota_per_municipality,
                quota_release_at=session.quota_release_at, offer_hours=session.offer_hours,
                registration_opens_at=session.registration_opens_at,
                registration_closes_at=session.registration_closes_at,
            ), subject=str(session.id))
        self.db.commit()
        return self._session_out(repo, session, course)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/cancel", roles=STAFF, body=CancelSessionIn,
           response=SessionOut, errors=(404, 409))
    def cancel_session(self, request, session_id, body: CancelSessionIn, principal):
        """Cancel a session: every enrolment (seat, offer, waitlist place) is cancelled and each
        person told (enrollment.enrollment_cancelled), then enrollment.session_cancelled."""
        repo = self.repo
        now = utcnow()
        session = repo.training_session(session_id, lock=True)
        course = repo.course(session.course_id)
        if session.status != SessionStatus.SCHEDULED.value:
            raise Conflict(f"the session is already {session.status}", code="session_not_open")
        session.status = SessionStatus.CANCELLED.value
        session.cancelled_at = now
        session.cancel_reason = body.reason
        seating = self.seating(repo, now)
        active = repo.session_enrollments(session.id, statuses=[s.value for s in ACTIVE])
        for enrollment in active:
            seating.cancel(session, course, enrollment, CancelReason.SESSION_CANCELLED, body.reason, refill=False)
        self.db.emit(SessionCancelled(
            session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
            ends_at=session.ends_at, region=session.region, venue=session.venue, online_url=session.online_url,
            reason=body.reason, enrollments_cancelled=len(active),
        ), subject=str(session.id))
        self.db.commit()
        return self._session_out(repo, session, course)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/complete", roles=STAFF, body=CompleteSessionIn,
           response=CompletionOut, errors=(404, 409))
    def complete_session(self, request, session_id, body: CompleteSessionIn, principal):
        """Close a session that took place: attendance must be recorded for every confirmed person
        (or mark_unmarked_absent), people still waiting are told they got no seat, and everyone who
        meets the course's completion rule gets a certificate (enrollment.certificate_issued)."""
        repo = self.repo
        session = repo.training_session(session_id, lock=True)
        course = repo.course(session.course_id)
        figures = self.certification(repo, utcnow()).complete(session, course, body.mark_unmarked_absent)
        self.db.commit()
        return CompletionOut(session=self._session_out(repo, session, course), **figures)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/calendar.ics", public=True, errors=(404,),
           content_types=("text/calendar",))
    def session_calendar(self, request, session_id):
        """The session as an iCalendar file (public: it holds no personal data). ?lang=en for English."""
        repo = self.repo
        session = repo.training_session(session_id)
        course = repo.course(session.course_id)
        language = "en" if request.args.get("lang") == "en" else "lt"
        entry = session_entry(session, course, language, self.links)
        return ics_response(f"session-{session.id}.ics", [entry], title_of(course).in_language(language), utcnow())

    # ================================================================== enrolments
    @route("POST", "/enrollment/sessions/<uuid:session_id>/enrollments", roles=STAFF_OR_MUNICIPALITY,
           body=EnrollmentIn, response=EnrollmentOut, status=201, errors=(404, 409),
           scope=(Tenancy.body("municipality_code"), ENROLLED_PERSON))
    def enroll(self, request, session_id, body: EnrollmentIn, principal):
        """Enrol a municipal employee: confirmed while seats remain (and their municipality is under
        the session's quota), otherwise waitlisted in arrival order.

        Enrolling the same person (e-mail) again returns the existing enrolment with 200; so does
        repeating a request with the same `Idempotency-Key` header (a different request with a used
        key is 409). A municipality token may enrol only its own municipality's staff, and cannot
        touch a person another municipality enrolled in the session (403).
        """
        key = self._idempotency_key(request)
        scope = f"{principal.role_claim}:{principal.subject}"
        fingerprint = hashlib.sha256(json.dumps([str(session_id), body.model_dump(mode="json")],
                                                sort_keys=True).encode()).hexdigest()
        try:
            return self._enroll(session_id, body, principal, key, scope, fingerprint)
        except IntegrityError:
            # The same person or key arrived concurrently through another replica: answer with theirs.
            self.db.rollback()
            repo = self.repo
            existing = self._replay(repo, key, scope, fingerprint) if key else None
            existing = existing or repo.enrollment_of(session_id, normalise_email(body.email))
            if existing is None:
                raise
            self._check_not_anothers(principal, existing)
            return 200, self._enrollment_out(repo, existing)

    @staticmethod
    def _check_not_anothers(principal, existing: Enrollment | None) -> None:
        """A person another municipality enrolled arrived meanwhile (a concurrent request)."""
        if existing is not None and principal.role == "municipality" and \
                existing.municipality_code != principal.municipality_code:
            raise Forbidden("this e-mail is enrolled in the session by another municipality", field="email")

    def _enroll(self, session_id, body: EnrollmentIn, principal, key, scope, fingerprint):
        repo = self.repo
        now = utcnow()
        if key:
            replayed = self._replay(repo, key, scope, fingerprint)
            if replayed is not None:
                return 200, self._enrollment_out(repo, replayed)
        email_key = normalise_email(body.email)
        session, course = repo.session_and_course(session_id, lock=True)
        existing = repo.enrollment_of(session.id, email_key)
        self._check_not_anothers(principal, existing)  # ENROLLED_PERSON checked before the lock; again under it
        if existing is not None and EnrollmentStatus(existing.status) in ACTIVE:
            if key:
                self._remember_key(repo, key, scope, fingerprint, existing, now)
                self.db.commit()
            return 200, self._enrollment_out(repo, existing)
        check_registration_open(SessionStatus(session.status), session.registration_opens_at,
                                session.registration_closes_at, now)
        mode = attendance_mode(CourseFormat(course.format), body.attendance_mode)
        # A person who left (or whose offer expired) may come back: as a new arrival, at the end.
        enrollment = existing or Enrollment(id=uuid.uuid4(), session_id=session.id, email_key=email_key,
                                            created_at=now, created_by=principal.subject)
        enrollment.name, enrollment.email, enrollment.position = body.name, body.email.strip(), body.position
        enrollment.municipality_code, enrollment.language, enrollment.mode = body.municipality_code, body.language, mode.value
        enrollment.cancelled_at = enrollment.cancel_reason = enrollment.offered_at = enrollment.offer_expires_at = None
        seating = self.seating(repo, now)
        arrival, position = seating.admit(session, course, enrollment)
        repo.add(enrollment)
        if key:
            self._remember_key(repo, key, scope, fingerprint, enrollment, now)
        seating.announce_arrival(session, course, enrollment, arrival, position)
        self.db.commit()
        waiting = arrival.waiting_for.value if arrival.waiting_for else None
        return 201, enrollment_out(enrollment, position, waiting, self.links)

    @staticmethod
    def _idempotency_key(request) -> str | None:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return None
        key = key.strip()
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise Problem(422, "Invalid request", f"{IDEMPOTENCY_HEADER} must be 1-200 printable characters",
                          code="validation", errors=[{"field": IDEMPOTENCY_HEADER, "location": "header",
                                                      "message": "1-200 printable characters"}])
        return key

    @staticmethod
    def _replay(repo: EnrollmentRepository, key: str, scope: str, fingerprint: str) -> Enrollment | None:
        remembered = repo.idempotency_key(scope, key)
        if remembered is None:
            return None
        if remembered.request_hash != fingerprint:
            raise Conflict(f"this {IDEMPOTENCY_HEADER} was used for a different request", field=IDEMPOTENCY_HEADER,
                           code="idempotency_key_reused")
        return repo.enrollment(remembered.enrollment_id)

    @staticmethod
    def _remember_key(repo, key, scope, fingerprint, enrollment, now) -> None:
        repo.add(IdempotencyKey(principal=scope, key=key, request_hash=fingerprint, enrollment_id=enrollment.id,
                                created_at=now))

    @route("GET", "/enrollment/sessions/<uuid:session_id>/enrollments", roles=STAFF_OR_MUNICIPALITY,
           query=EnrollmentQuery, response=list[EnrollmentOut], errors=(404,), scope=OWN_STAFF)
    def list_enrollments(self, request, session_id, query: EnrollmentQuery, principal, tenant):
        """A session's enrolments in arrival order (municipality tokens: their own staff only)."""
        repo = self.repo
        session = repo.training_session(session_id)
        course = repo.course(session.course_id)
        rows = repo.session_enrollments(session.id, statuses=[query.status] if query.status else None,
                                        municipality_code=tenant)
        return self._enrollments_out(repo, session, course, rows)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/waitlist", roles=STAFF_OR_MUNICIPALITY,
           response=list[EnrollmentOut], errors=(404,), scope=Tenancy.query())
    def waitlist(self, request, session_id, principal, tenant):
        """The waitlist in order, per pool, with each person's position and what they wait for
        (municipality tokens see their own staff, with their real positions)."""
        repo = self.repo
        session = repo.training_session(session_id)
        course = repo.course(session.course_id)
        rows = repo.waitlist(session.id)
        out = self._enrollments_out(repo, session, course, rows)
        return [o for o in out if tenant is None or o.municipality_code == tenant]

    def _enrollments_out(self, repo, session, course, rows: list[Enrollment]) -> list[EnrollmentOut]:
        seating = self.seating(repo, utcnow())
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
            out.append(enrollment_out(enrollment, positions.get(enrollment.id), waiting_for, self.links))
        return out

    @route("GET", "/enrollment/enrollments/<uuid:enrollment_id>", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404,), scope=ENROLLMENT)
    def get_enrollment(self, request, enrollment_id, principal):
        """One enrolment with its waitlist position (municipality tokens: their own staff only)."""
        repo = self.repo
        enrollment = repo.enrollment(enrollment_id)
        return self._enrollment_out(repo, enrollment)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/cancel", roles=STAFF_OR_MUNICIPALITY,
           body=CancelEnrollmentIn, response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def cancel_enrollment(self, request, enrollment_id, body: CancelEnrollmentIn, principal):
        """Cancel a seat, an offer or a waitlist place; a freed seat goes to the waitlist in order."""
        repo = self.repo
        enrollment, session = repo.enrollment_locked(enrollment_id)
        self._cancel(repo, enrollment, session, CancelReason.BY_COORDINATOR, body.reason)
        return self._enrollment_out(repo, enrollment)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/accept", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def accept_offer(self, request, enrollment_id, principal):
        """Accept a seat offered from the waitlist (before the offer expires)."""
        repo = self.repo
        enrollment, session = repo.enrollment_locked(enrollment_id)
        self._accept(repo, enrollment, session)
        return self._enrollment_out(repo, enrollment)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/decline", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def decline_offer(self, request, enrollment_id, principal):
        """Decline a seat offered from the waitlist; it passes to the next person."""
        repo = self.repo
        enrollment, session = repo.enrollment_locked(enrollment_id)
        self._decline(repo, enrollment, session)
        return self._enrollment_out(repo, enrollment)

    def _cancel(self, repo, enrollment: Enrollment, session: TrainingSession, reason: CancelReason,
                detail: str | None) -> None:
        now = utcnow()
        course = repo.course(session.course_id)
        check_can_cancel(EnrollmentStatus(enrollment.status), SessionStatus(session.status), session.starts_at, now)
        self.seating(repo, now).cancel(session, course, enrollment, reason, detail)
        self.db.commit()

    def _accept(self, repo, enrollment: Enrollment, session: TrainingSession) -> None:
        now = utcnow()
        course = repo.course(session.course_id)
        seating = self.seating(repo, now)
        seating.settle(session, course)  # an offer past its time expires here, as the timer would
        if enrollment.status == EnrollmentStatus.EXPIRED.value:
            self.db.commit()
            raise Conflict("the offer has expired and the seat passed to the next person", code="offer_expired")
        if enrollment.status != EnrollmentStatus.OFFERED.value:
            raise Conflict(f"the enrolment is {enrollment.status}; there is no offer to accept", code="no_offer")
        seating.accept_offer(session, course, enrollment)
        self.db.commit()

    def _decline(self, repo, enrollment: Enrollment, session: TrainingSession) -> None:
        if enrollment.status != EnrollmentStatus.OFFERED.value:
            raise Conflict(f"the enrolment is {enrollment.status}; there is no offer to decline", code="no_offer")
        self._cancel(repo, enrollment, session, CancelReason.OFFER_DECLINED, None)

    # ================================================================== self-service (the person's link)
    def _self_service(self, repo, enrollment_id, code) -> Enrollment:
        if not check_enrollment_code(self.settings.auth_secret, enrollment_id, code):
            raise NotFound("enrolment", enrollment_id)  # the same answer as for an unknown id
        enrollment = repo.enrollment(enrollment_id)
        if enrollment.erased_at is not None:
            raise NotFound("enrolment", enrollment_id)
        return enrollment

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>", public=True,
           response=SelfServiceOut, errors=(404,))
    def self_service(self, request, enrollment_id, code):
        """A person's own enrolment through the link they were sent: status and waitlist position."""
        repo = self.repo
        enrollment = self._self_service(repo, enrollment_id, code)
        return self._self_service_out(repo, enrollment)

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/leave", public=True,
           response=SelfServiceOut, errors=(404, 409))
    def self_service_leave(self, request, enrollment_id, code):
        """The person leaves the session or its waitlist (declining an offer, if one is open)."""
        repo = self.repo
        self._self_service(repo, enrollment_id, code)
        enrollment, session = repo.enrollment_locked(enrollment_id)
        reason = (CancelReason.OFFER_DECLINED if enrollment.status == EnrollmentStatus.OFFERED.value
                  else CancelReason.BY_PARTICIPANT)
        self._cancel(repo, enrollment, session, reason, None)
        return self._self_service_out(repo, enrollment)

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/accept", public=True,
           response=SelfServiceOut, errors=(404, 409))
    def self_service_accept(self, request, enrollment_id, code):
        """The person accepts the seat offered to them."""
        repo = self.repo
        self._self_service(repo, enrollment_id, code)
        enrollment, session = repo.enrollment_locked(enrollment_id)
        self._accept(repo, enrollment, session)
        return self._self_service_out(repo, enrollment)

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/calendar.ics", public=True,
           errors=(404,), content_types=("text/calendar",))
    def person_calendar(self, request, enrollment_id, code):
        """All the person's enrolments as an iCalendar feed, in their language (subscribe to it)."""
        repo = self.repo
        enrollment = self._self_service(repo, enrollment_id, code)
        entries = []
        # Only what the same municipality enrolled them in: another municipality's enrolments of the
        # same address are not the link holder's to see (an e-mail address proves no identity).
        mine = [e for e in repo.enrollments_of_person(enrollment.email_key)
                if e.municipality_code == enrollment.municipality_code]
        sessions = repo.sessions_by_id(e.session_id for e in mine)
        courses = repo.courses_by_id(s.course_id for s in sessions.values())
        for item in mine:
            session = sessions[item.session_id]
            note = NOTES[enrollment.language].get(item.status, "")
            entries.append(session_entry(session, courses[session.course_id], enrollment.language, self.links,
                                         uid=f"enrollment-{item.id}@savivalda", status=ENTRY_STATUS[item.status],
                                         mode=item.mode, note=note))
        name = "Mokymai" if enrollment.language == "lt" else "Training"
        return ics_response("enrolments.ics", entries, name, utcnow())

    def _self_service_out(self, repo, enrollment: Enrollment) -> SelfServiceOut:
        session = repo.training_session(enrollment.session_id)
        course = repo.course(session.course_id)
        return SelfServiceOut(
            enrollment_id=enrollment.id, status=enrollment.status, waitlist_position=repo.waitlist_position(enrollment),
            waiting_for=self.seating(repo, utcnow()).waiting_for(session, course, enrollment),
            offer_expires_at=enrollment.offer_expires_at, name=enrollment.name, course_title=title_of(course),
            starts_at=session.starts_at, ends_at=session.ends_at, region=session.region, venue=session.venue,
            online_url=session.online_url, attendance_mode=enrollment.mode, session_status=session.status,
            calendar_url=self.links.person_calendar(enrollment.id),
        )

    # ================================================================== attendance and certificates
    @route("PUT", "/enrollment/enrollments/<uuid:enrollment_id>/attendance", roles=STAFF, body=AttendanceIn,
           response=EnrollmentOut, errors=(404, 409))
    def record_attendance(self, request, enrollment_id, body: AttendanceIn, principal):
        """Record (or correct) one person's attendance: attended (with hours) or no-show. After the
        session is completed a correction issues or revokes the certificate accordingly."""
        repo = self.repo
        enrollment, session = repo.enrollment_locked(enrollment_id)
        course = repo.course(session.course_id)
        self.certification(repo, utcnow()).record(session, course, enrollment, Attendance(body.attendance),
                                                  body.hours, "attendance")
        self.db.commit()
        return self._enrollment_out(repo, enrollment)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/attendance", roles=STAFF, body=BulkAttendanceIn,
           response=BulkAttendanceOut, errors=(404, 409))
    def record_attendance_bulk(self, request, session_id, body: BulkAttendanceIn, principal):
        """Record the attendance of many participants of a session at once (all or nothing)."""
        repo = self.repo
        session = repo.training_session(session_id, lock=True)
        course = repo.course(session.course_id)
        certification = self.certification(repo, utcnow())
        changed = 0
        for index, record in enumerate(body.records):
            enrollment = repo.session.get(Enrollment, record.enrollment_id)
            if enrollment is None or enrollment.session_id != session.id:
                raise RuleViolation(f"enrolment {record.enrollment_id} is not in this session",
                                    field=f"records.{index}.enrollment_id")
            changed += certification.record(session, course, enrollment, Attendance(record.attendance), record.hours,
                                            f"records.{index}")
        self.db.commit()
        return BulkAttendanceOut(recorded=changed, unchanged=len(body.records) - changed)

    @route("GET", "/enrollment/certificates", roles=STAFF_OR_MUNICIPALITY, query=CertificateQuery,
           response=list[CertificateOut], scope=OWN_STAFF)
    def list_certificates(self, request, query: CertificateQuery, principal, tenant):
        """Certificates by session, municipality or person (municipality tokens: their own staff)."""
        now = utcnow()
        rows = self.repo.certificates(session_id=query.session_id, municipality_code=tenant,
                                      email_key=normalise_email(query.email) if query.email else None)
        return [certificate_out(c, e, self.links, now) for c, e in rows]

    @route("GET", "/enrollment/certificates/verify", public=True, query=VerifyQuery, response=VerificationOut,
           errors=(404,), rate_limit="10/minute")  # its own bucket, tighter than other public routes
    def verify_certificate(self, request, query: VerifyQuery):
        """Check a certificate without logging in: its number and verification code, as printed."""
        repo = self.repo
        certificate = repo.certificate_by_number(query.number.strip().upper())
        if certificate is None or certificate.verification_code != normalise_verification_code(query.code):
            raise NotFound("certificate", query.number)  # wrong code and unknown number look the same
        session = repo.training_session(certificate.session_id)
        course = repo.course(session.course_id)
        status = certificate_status(certificate.status, certificate.valid_until, utcnow())
        return VerificationOut(
            number=certificate.number, valid=status.valid, status=status.status, holder_name=certificate.holder_name,
            course_title=title_of(course), hours=certificate.hours, session_starts_at=session.starts_at,
            session_ends_at=session.ends_at, issued_at=certificate.issued_at, valid_until=certificate.valid_until,
        )

    # ================================================================== hours ledger and reports
    @route("GET", "/enrollment/hours", roles=STAFF_OR_MUNICIPALITY, query=HoursQuery, response=list[HoursLineOut],
           content_types=("text/csv",), scope=OWN_STAFF)
    def training_hours(self, request, query: HoursQuery, principal, tenant):
        """Training hours per person, year and (primary) theme, from recorded attendance; format=csv
        gives the file for the municipality's HR. Municipality tokens see their own staff."""
        municipality = tenant
        repo = self.repo
        starts_from = starts_to = None
        if query.year:
            starts_from = datetime.combine(datetime(query.year, 1, 1).date(), time(), LOCAL_TIME)
            starts_to = datetime.combine(datetime(query.year + 1, 1, 1).date(), time(), LOCAL_TIME)
        rows = repo.participation(starts_from=starts_from, starts_to=starts_to, municipality_code=municipality,
                                  email_key=normalise_email(query.email) if query.email else None)
        sessions, facts = self._facts(rows)
        lines = [HoursLineOut(name=l.name, email=l.email, municipality_code=l.municipality_code, position=l.position,
                              year=l.year, theme=l.theme, hours=l.hours, sessions=l.sessions,
                              certificates=l.certificates) for l in hours_ledger(sessions, facts)]
        if query.format == "csv":
            header = ["name", "email", "municipality_code", "position", "year", "theme", "hours", "sessions",
                      "certificates"]
            suffix = "-".join(str(p) for p in (municipality, query.year) if p) or "all"
            return csv_response(f"training-hours-{suffix}.csv", header,
                                [[getattr(l, h) for h in header] for l in lines])
        return lines

    @route("GET", "/enrollment/reports/summary", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery, response=ReportOut,
           content_types=("text/csv",), scope=OWN_STAFF)
    def report(self, request, query: ReportQuery, principal, tenant):
        """Sessions held, participants trained, attendances, no-shows, hours, certificates and fees
        per municipality, region, theme, month or year, for a period (as reported to funders);
        format=csv for a spreadsheet. Municipality tokens get their own municipality's figures."""
        municipality = tenant
        repo = self.repo
        starts_from = datetime.combine(query.from_, time(), LOCAL_TIME) if query.from_ else None
        starts_to = datetime.combine(query.to, time(), LOCAL_TIME) if query.to else None
        held = repo.sessions_with_courses(starts_from=starts_from, starts_to=starts_to,
                                          statuses=[SessionStatus.COMPLETED.value])
        rows = repo.participation(starts_from=starts_from, starts_to=starts_to, municipality_code=municipality)
        sessions, facts = self._facts(rows)
        for session, course in held:
            sessions.setdefault(session.id, self._session_facts(session, course))
        sessions, facts = restrict(sessions, facts, theme=query.theme, region=query.region,
                                   by_participants=bool(municipality or query.region))
        lines, total = summary_report(query.group_by, sessions, facts)
        report = ReportOut(group_by=query.group_by, period_from=query.from_, period_to=query.to,
                           lines=[l.as_dict() for l in lines], total=total.as_dict())
        if query.format == "csv":
            header = list(total.as_dict())
            body = [[line[h] for h in header] for line in [l.as_dict() for l in lines] + [total.as_dict()]]
            return csv_response(f"report-by-{query.group_by}.csv", [query.group_by] + header[1:], body)
        return report

    def _facts(self, rows) -> tuple[dict, list[ParticipationFacts]]:
        sessions: dict = {}
        facts = []
        for session, course, enrollment, certificate in rows:
            sessions.setdefault(session.id, self._session_facts(session, course))
            facts.append(ParticipationFacts(
                session_id=session.id, person_key=enrollment.email_key, name=enrollment.name, email=enrollment.email,
                municipality_code=enrollment.municipality_code, position=enrollment.position,
                attendance=enrollment.attendance, hours=enrollment.attended_hours or 0,
                certified=certificate is not None, fee_eur=session.fee_eur))
        return sessions, facts

    @staticmethod
    def _session_facts(session: TrainingSession, course: Course) -> SessionFacts:
        return SessionFacts(session.id, session.status, session.starts_at, tuple(course.themes), session.region)

    # ================================================================== training needs
    @route("POST", "/enrollment/training-needs", roles=STAFF_OR_MUNICIPALITY, body=TrainingNeedIn,
           response=TrainingNeedOut, status=201, scope=Tenancy.body("municipality_code"))
    def propose_training_need(self, request, body: TrainingNeedIn, principal):
        """A municipality proposes a training topic (theme, region, description)."""
        need = TrainingNeed(id=uuid.uuid4(), theme=body.theme, region=body.region, description=body.description,
                            municipality_code=body.municipality_code, audience=body.audience, status="open",
                            proposed_by=principal.subject, created_at=utcnow())
        self.repo.add(need)
        self.db.emit(TrainingNeedSubmitted(need_id=need.id, theme=need.theme, region=need.region,
                                           description=need.description, municipality_code=need.municipality_code,
                                           audience=need.audience), subject=str(need.id))
        self.db.commit()
        return 201, self._need_out(need, set())

    @route("GET", "/enrollment/training-needs", roles=ANYONE, query=TrainingNeedQuery,
           response=list[TrainingNeedOut], scope=NEEDS)
    def list_training_needs(self, request, query: TrainingNeedQuery, principal):
        """Proposed topics with the municipalities supporting them."""
        repo = self.repo
        needs = repo.training_needs(theme=query.theme, region=query.region, status=query.status)
        supporters = repo.supporters(n.id for n in needs)
        return [self._need_out(n, supporters[n.id]) for n in needs]

    @route("POST", "/enrollment/training-needs/<uuid:need_id>/support", roles=STAFF_OR_MUNICIPALITY, body=SupportIn,
           response=TrainingNeedOut, errors=(404, 409), scope=Tenancy.body("municipality_code"))
    def support_training_need(self, request, need_id, body: SupportIn, principal):
        """Another municipality supports a proposal (once each; supporting again changes nothing)."""
        repo = self.repo
        need = repo.training_need(need_id)
        if need.municipality_code == body.municipality_code:
            raise RuleViolation("a municipality cannot support its own proposal", field="municipality_code")
        if need.status == "closed":
            raise Conflict("the proposal is closed", code="need_closed")
        if repo.support(need.id, body.municipality_code) is None:
            repo.add(TrainingNeedSupport(need_id=need.id, municipality_code=body.municipality_code,
                                         supported_by=principal.subject, created_at=utcnow()))
            supporters = repo.supporters([need.id])[need.id]
            self.db.emit(TrainingNeedSupported(need_id=need.id, theme=need.theme, region=need.region,
                                               municipality_code=body.municipality_code,
                                               supporters=len(supporters) + 1), subject=str(need.id))
            self.db.commit()
        return self._need_out(need, repo.supporters([need.id])[need.id])

    @route("DELETE", "/enrollment/training-needs/<uuid:need_id>/support/<string:municipality_code>",
           roles=STAFF_OR_MUNICIPALITY, response=TrainingNeedOut, errors=(404,), scope=Tenancy.path("municipality_code"))
    def withdraw_support(self, request, need_id, municipality_code, principal):
        """A municipality withdraws its support."""
        repo = self.repo
        need = repo.training_need(need_id)
        support = repo.support(need.id, municipality_code)
        if support is None:
            raise NotFound("support of municipality", municipality_code)
        repo.session.delete(support)
        self.db.commit()
        return self._need_out(need, repo.supporters([need.id])[need.id])

    @route("PUT", "/enrollment/training-needs/<uuid:need_id>/status", roles=STAFF, body=TrainingNeedStatusIn,
           response=TrainingNeedOut, errors=(404,))
    def set_training_need_status(self, request, need_id, body: TrainingNeedStatusIn, principal):
        """Staff mark a proposal planned (a session is coming) or closed; the demand report counts open ones."""
        repo = self.repo
        need = repo.training_need(need_id)
        need.status = body.status
        self.db.commit()
        return self._need_out(need, repo.supporters([need.id])[need.id])

    @route("GET", "/enrollment/training-needs/demand", roles=ANYONE, query=DemandQuery, response=DemandOut,
           scope=NEEDS)
    def training_demand(self, request, query: DemandQuery, principal):
        """Themes ranked per region by how many municipalities want them (open proposals and their
        supporters), next to the sessions already planned there — where to schedule next."""
        repo = self.repo
        needs = repo.training_needs(region=query.region, status="open")
        supporters = repo.supporters(n.id for n in needs)
        upcoming = [self._session_facts(s, c) for s, c in repo.sessions_with_courses(
            starts_from=utcnow(), statuses=[SessionStatus.SCHEDULED.value])]
        ranking = demand_ranking([NeedFacts(n.id, n.theme, n.region, n.municipality_code,
                                            frozenset(supporters[n.id])) for n in needs], upcoming)
        return DemandOut(regions=ranking)

    @staticmethod
    def _need_out(need: TrainingNeed, supporters: set[str]) -> TrainingNeedOut:
        return TrainingNeedOut(id=need.id, theme=need.theme, region=need.region, description=need.description,
                               municipality_code=need.municipality_code, audience=need.audience, status=need.status,
                               supporters=sorted(supporters), created_at=need.created_at)

    # ================================================================== timers and events
    @timer
    def run_timers(self):
        """Quota releases and expired offers, reminders, certificate expiry notices (each safe with
        several replicas; see timers.py)."""
        timers.run_all(self.db, self.repo, self.links)

    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase or pseudonymise everything this service holds about the person."""
        privacy.erase(self.db, self.repo, self.links, event)

    # ================================================================== helpers
    def _capacities(self, session: TrainingSession, course: Course) -> dict[AttendanceMode, int]:
        course_format = CourseFormat(course.format)
        return {mode: capacity_of(mode, course_format, session.capacity, session.online_capacity)
                for mode in modes_for(course_format)}

    def _session_out(self, repo, session: TrainingSession, course: Course) -> SessionOut:
        return session_out(session, course, repo.counts(session.id), self._capacities(session, course), self.links)

    def _enrollment_out(self, repo, enrollment: Enrollment) -> EnrollmentOut:
        session = repo.training_session(enrollment.session_id)
        course = repo.course(session.course_id)
        waiting = self.seating(repo, utcnow()).waiting_for(session, course, enrollment)
        return enrollment_out(enrollment, repo.waitlist_position(enrollment), waiting, self.links)
