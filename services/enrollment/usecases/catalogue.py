"""The catalogue: courses, and sessions scheduled, changed and cancelled."""

from __future__ import annotations

import logging
import uuid

from services.enrollment.domain.rules import (
    ACTIVE,
    SCHEDULE_FIELDS,
    AttendanceMode,
    CancelReason,
    CourseFormat,
    GoDecision,
    GoNoGo,
    SessionPlan,
    SessionSettings,
    SessionSchedule,
    SessionStatus,
    alternative_mode,
    available_modes,
    check_course_open,
    check_go_no_go,
    check_schedule_change,
    check_session_cancellable,
    check_session_change,
    check_session_changeable,
    check_session_plan,
    pool_capacities,
    quota_release_at,
)
from services.enrollment.models import Course, TrainingSession
from services.enrollment.metrics import COURSES_RETIRED, SESSION_CHANGE_NOTICES, SESSION_CHANGES, schedule_change_kind
from services.enrollment.notices import Links, participant_fields, title_of
from services.enrollment.domain.paging import (
    MAX_LIMIT,
    after_in_memory,
    decode_cursor,
    lithuanian_key,
    page_of,
    search_term,
    sorts,
)
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas import (
    CancelSessionIn,
    CourseIn,
    CourseOut,
    CoursePatch,
    CourseQuery,
    SessionIn,
    SessionOut,
    SessionPatch,
    SessionQuery,
)
from services.enrollment.usecases import programmes
from services.enrollment.domain.trainers import check_trainer_choice
from services.enrollment.domain.invoices import check_cutoff
from services.enrollment.usecases import trainers
from services.enrollment.usecases.seating import Seating
from services.enrollment.views import course_out, listing, session_out
from shared.events.enrollment import (
    CourseUpdated,
    SessionCancelled,
    SessionChanged,
    SessionPlace,
    SessionScheduled,
    SessionUpdated,
)
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


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


COURSE_SORTS = sorts("created_at:time", "-created_at:time", "title:text")
SESSION_SORTS = sorts("starts_at:time", "-starts_at:time", "created_at:time", "-created_at:time")


def course_text(course: Course) -> str:
    """What a course search looks in: its titles and descriptions, case-folded."""
    parts = [*course.title.values(), *(course.description or {}).values()]
    return "\n".join(parts).casefold()


def list_courses(uow: UnitOfWork, query: CourseQuery) -> tuple[int, list[CourseOut], dict]:
    """The catalogue, a page at a time (it holds hundreds of courses: searched and sorted here)."""
    sort = COURSE_SORTS[query.sort]
    after = decode_cursor(query.cursor, sort)
    term = search_term(query.q)
    courses = Lists(EnrollmentRepository.of(uow)).courses(theme=query.theme, audience=query.audience,
                                                          format=query.format, include_retired=query.include_retired)
    if term is not None:
        courses = [c for c in courses if term in course_text(c)]

    def key(course: Course):
        return (course.created_at if sort.kind == "time" else lithuanian_key(course.title["lt"]), course.id)

    page = page_of(after_in_memory(courses, key, sort, after)[:query.limit + 1], query.limit, sort, key)
    return listing(page, [course_out(c) for c in page.items], "/enrollment/courses", query)


def update_course(uow: UnitOfWork, course_id, body: CoursePatch) -> CourseOut:
    """Edit a course (enrollment.course_updated when something changed). Hours and the completion
    rule apply to attendance recorded from now on; certificates already issued keep theirs."""
    repo = EnrollmentRepository.of(uow)
    course = repo.course(course_id, lock=True)
    sent = body.model_dump(include=body.model_fields_set)
    changed = {name: value for name, value in sent.items() if getattr(course, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(course, name, value)
        course.updated_at = utcnow()
        _announce_course(uow, course, sorted(changed))
    uow.commit()
    return course_out(course)


def retire_course(uow: UnitOfWork, course_id) -> CourseOut:
    """A retired course takes no new sessions (409 course_retired); its sessions already
    scheduled run as planned and everything held stays in the history. Retiring twice is a no-op."""
    repo = EnrollmentRepository.of(uow)
    course = repo.course(course_id, lock=True)
    if course.retired_at is None:
        course.retired_at = course.updated_at = utcnow()
        _announce_course(uow, course, ["retired"])
        uow.commit()
        COURSES_RETIRED.inc()
        log.info("course retired", extra={"course_id": str(course.id)})
    return course_out(course)


def _announce_course(uow: UnitOfWork, course: Course, changed: list[str]) -> None:
    uow.emit(CourseUpdated(
        course_id=course.id, course_title=title_of(course), themes=course.themes, audience=course.audience,
        duration_hours=course.duration_hours, format=course.format, changed=changed, retired_at=course.retired_at,
    ), subject=str(course.id))


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
    check_course_open(course.retired_at)
    now = utcnow()
    check_go_no_go(GoNoGo(body.min_participants, body.go_no_go_at, body.auto_cancel_below_minimum,
                          body.coordinator is not None, body.starts_at), now, date_changed=True)
    check_trainer_choice(body.trainer is not None, body.trainer_id is not None)
    check_cutoff(body.invoice_cutoff_at, body.starts_at)
    trainer = trainers.resolve(repo, body.trainer_id)
    plan = SessionPlan(
        course_format=CourseFormat(course.format), starts_at=body.starts_at, ends_at=body.ends_at,
        registration_opens_at=body.registration_opens_at or now,
        registration_closes_at=body.registration_closes_at or body.starts_at,
        capacity=body.capacity, region=body.region, venue=body.venue, online_url=body.online_url,
        online_capacity=body.online_capacity, min_participants=body.min_participants,
        quota_per_municipality=body.quota_per_municipality, quota_release_days=body.quota_release_days,
        offer_hours=body.offer_hours, country=body.country, city=body.city,
    )
    check_session_plan(plan, now)
    if body.programme_id is not None:  # the course joins the programme with its session
        programmes.place_course(uow, body.programme_id, course.id)
    release_at = quota_release_at(plan.starts_at, plan.quota_release_days)
    session = TrainingSession(
        id=uuid.uuid4(), course_id=course.id, starts_at=plan.starts_at, ends_at=plan.ends_at, region=plan.region,
        venue=plan.venue, online_url=plan.online_url, trainer=trainer.name if trainer else body.trainer,
        trainer_id=trainer.id if trainer else None, country=body.country, city=body.city,
        kind=body.kind, programme_id=body.programme_id, sequence=0,
        capacity=plan.capacity, online_capacity=plan.online_capacity, min_participants=plan.min_participants, fee_eur=body.fee_eur,
        registration_opens_at=plan.registration_opens_at, registration_closes_at=plan.registration_closes_at,
        quota_per_municipality=plan.quota_per_municipality, quota_release_days=plan.quota_release_days,
        quota_release_at=release_at,
        quota_released_at=now if release_at is not None and release_at <= now else None,
        offer_hours=plan.offer_hours, reminder_hours_before=body.reminder_hours_before, next_arrival_seq=1,
        go_no_go_at=body.go_no_go_at, auto_cancel_below_minimum=body.auto_cancel_below_minimum,
        **coordinator_columns(body.coordinator), invoice_cutoff_at=body.invoice_cutoff_at,
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
        calendar_url=links.session_calendar(session.id), country=session.country, city=session.city,
        kind=session.kind, programme_id=session.programme_id,
    ), subject=str(session.id))
    trainers.tell(uow, repo, links, session, course, trainer, "assigned")
    uow.commit()
    return session_view(repo, links, session, course)


def find_sessions(uow: UnitOfWork, links: Links, query: SessionQuery) -> list[SessionOut]:
    """Every session the query matches, page after page (for a caller that shows them all)."""
    found, query = [], query.model_copy(update={"limit": MAX_LIMIT, "cursor": None})
    while True:
        _, sessions, headers = list_sessions(uow, links, query)
        found += sessions
        if "X-Next-Cursor" not in headers:
            return found
        query = query.model_copy(update={"cursor": headers["X-Next-Cursor"]})


def list_sessions(uow: UnitOfWork, links: Links, query: SessionQuery) -> tuple[int, list[SessionOut], dict]:
    """A page of sessions (keyset on the sort's column and the id, through its index)."""
    repo = EnrollmentRepository.of(uow)
    lists = Lists(repo)
    sort = SESSION_SORTS[query.sort]
    after = decode_cursor(query.cursor, sort)
    term = search_term(query.q)
    matching = [c.id for c in lists.courses(include_retired=True) if term in course_text(c)] if term else []
    rows = lists.sessions(sort=sort, after=after, limit=query.limit, course_id=query.course_id, region=query.region,
                          status=query.status, starts_from=query.starts_from, starts_to=query.starts_to,
                          open_at=utcnow() if query.open_for_registration else None, theme=query.theme,
                          term=term, course_ids_matching=matching)
    page = page_of(rows, query.limit, sort, lambda s: (getattr(s, sort.name.lstrip("-")), s.id))
    sessions = page.items
    courses = repo.courses_by_id(s.course_id for s in sessions)
    counts = repo.counts_for([s.id for s in sessions])
    return listing(page, [session_out(s, courses[s.course_id], counts[s.id], capacities(s, courses[s.course_id]),
                                      links) for s in sessions], "/enrollment/sessions", query)


def get_session(uow: UnitOfWork, links: Links, session_id) -> SessionOut:
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    return session_view(repo, links, session, repo.course(session.course_id))


def update_session(uow: UnitOfWork, links: Links, session_id, body: SessionPatch) -> SessionOut:
    """Capacity cannot drop below the seats taken; raised capacity or a lifted quota promotes
    waitlisted people in order (enrollment.session_updated when something changed). A new date,
    time, place, online link or trainer raises the calendar SEQUENCE and tells everyone enrolled
    (enrollment.session_changed, one per person, in their language through notifications); those
    whose attendance mode the session no longer offers are offered the other one or a free leave."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_session_changeable(SessionStatus(session.status))
    seating = Seating(uow, repo, links, now)
    seating.settle(session, course)
    sent = body.model_dump(include=body.model_fields_set)
    check_trainer_choice("trainer" in sent, "trainer_id" in sent)
    trainer_sent = "trainer" in sent or "trainer_id" in sent
    old_trainer = repo.trainers_by_id([session.trainer_id]).get(session.trainer_id) if session.trainer_id else None
    new_trainer = old_trainer
    if "trainer_id" in sent:
        new_trainer = trainers.resolve(repo, sent.pop("trainer_id"))
        sent["trainer"] = new_trainer.name if new_trainer else None
    elif "trainer" in sent:
        new_trainer = None  # a name given instead of the register's trainer
    schedule = check_schedule_change(SessionSchedule(
        course_format=CourseFormat(course.format), starts_at=session.starts_at, ends_at=session.ends_at,
        region=session.region, venue=session.venue, online_url=session.online_url, trainer=session.trainer,
        registration_closes_at=session.registration_closes_at,
    ), {name: sent[name] for name in SCHEDULE_FIELDS if name in sent}, now)
    if "registration_closes_at" in sent:
        schedule.pop("registration_closes_at", None)  # what the request says wins
    go_no_go = _go_no_go_changes(session, {name: sent.pop(name) for name in GO_NO_GO_FIELDS if name in sent})
    if "invoice_cutoff_at" in sent:  # fees (usecases/invoices.py): checked against the (new) start
        check_cutoff(sent["invoice_cutoff_at"], schedule.get("starts_at", session.starts_at))
        go_no_go["invoice_cutoff_at"] = sent.pop("invoice_cutoff_at")
    settings = {name: value for name, value in sent.items() if name not in SCHEDULE_FIELDS}
    if "registration_closes_at" in schedule:
        settings["registration_closes_at"] = schedule.pop("registration_closes_at")
    changed = _changes(session, course, settings, seating, schedule.get("starts_at", session.starts_at))
    previous = SessionPlace(starts_at=session.starts_at, ends_at=session.ends_at, region=session.region,
                            venue=session.venue, online_url=session.online_url, trainer=session.trainer)
    check_go_no_go(GoNoGo(changed.get("min_participants", session.min_participants),
                          go_no_go.get("go_no_go_at", session.go_no_go_at),
                          go_no_go.get("auto_cancel_below_minimum", session.auto_cancel_below_minimum),
                          go_no_go.get("coordinator_email", session.coordinator_email) is not None,
                          schedule.get("starts_at", session.starts_at)), now,
                   date_changed="go_no_go_at" in go_no_go)
    for name, value in {**schedule, **changed, **go_no_go}.items():
        setattr(session, name, value)
    if trainer_sent:
        session.trainer_id = new_trainer.id if new_trainer else None
    if "go_no_go_at" in go_no_go:
        session.go_no_go_checked_at = session.go_decision = None  # a new date is checked again
    if "quota_release_at" in changed:
        session.quota_released_at = None  # a new or moved quota applies until its release time
    if schedule:
        _apply_schedule_change(repo, session, schedule, now)
    repo.session.flush()
    seating.settle(session, course, cause="capacity_raised")
    if changed or schedule or go_no_go:
        named = {"coordinator" if name.startswith("coordinator_") else name for name in go_no_go}
        uow.emit(SessionUpdated(
            session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
            changed=sorted((set(changed) | set(schedule) | named) - {"quota_release_at"}), capacity=session.capacity,
            online_capacity=session.online_capacity,
            min_participants=session.min_participants, quota_per_municipality=session.quota_per_municipality,
            quota_release_at=session.quota_release_at, offer_hours=session.offer_hours,
            registration_opens_at=session.registration_opens_at,
            registration_closes_at=session.registration_closes_at, ends_at=session.ends_at, region=session.region,
            venue=session.venue, online_url=session.online_url, trainer=session.trainer,
            calendar_sequence=session.sequence,
        ), subject=str(session.id))
    if schedule:
        told = _tell_schedule_change(uow, repo, links, session, course, sorted(schedule), previous)
        _tell_trainers(uow, repo, links, session, course, old_trainer, new_trainer, sorted(schedule), previous)
    uow.commit()
    if schedule:
        SESSION_CHANGES.labels(kind=schedule_change_kind(schedule)).inc()
        SESSION_CHANGE_NOTICES.inc(told)
        log.info("session changed", extra={"session_id": str(session.id), "changed": sorted(schedule),
                                           "people_told": told, "sequence": session.sequence})
    return session_view(repo, links, session, course)


GO_NO_GO_FIELDS = ("go_no_go_at", "auto_cancel_below_minimum", "coordinator")


def coordinator_columns(coordinator) -> dict:
    """The session's coordinator columns from a CoordinatorIn (or its dump), None clearing them."""
    if coordinator is None:
        return {"coordinator_name": None, "coordinator_email": None, "coordinator_language": None}
    data = coordinator if isinstance(coordinator, dict) else coordinator.model_dump()
    return {"coordinator_name": data["name"], "coordinator_email": data["email"].strip(),
            "coordinator_language": data["language"]}


def _go_no_go_changes(session: TrainingSession, sent: dict) -> dict:
    """The go/no-go columns the PATCH really changes."""
    columns = {name: value for name, value in sent.items() if name != "coordinator"}
    if "coordinator" in sent:
        columns.update(coordinator_columns(sent["coordinator"]))
    return {name: value for name, value in columns.items() if getattr(session, name) != value}


def _tell_trainers(uow: UnitOfWork, repo: EnrollmentRepository, links: Links, session: TrainingSession,
                   course: Course, old, new, changed: list[str], previous: SessionPlace) -> None:
    """A new trainer is told they are assigned and the one replaced that they are not; the same
    trainer is told what changed."""
    if (old.id if old else None) != (new.id if new else None):
        trainers.tell(uow, repo, links, session, course, old, "unassigned")
        trainers.tell(uow, repo, links, session, course, new, "assigned")
    elif new is not None:
        trainers.tell(uow, repo, links, session, course, new, "changed", changed=changed, previous=previous)


def _apply_schedule_change(repo: EnrollmentRepository, session: TrainingSession, schedule: dict, now) -> None:
    """A new calendar version; a moved start moves the quota release, reminds people again and
    ends offers no later than the new start."""
    session.sequence = (session.sequence or 0) + 1
    session.schedule_changed_at = now
    if "starts_at" in schedule:
        if session.quota_release_days is not None:
            session.quota_release_at = quota_release_at(session.starts_at, session.quota_release_days)
            if session.quota_released_at is not None and session.quota_release_at > now:
                session.quota_released_at = None
        for enrollment in repo.session_enrollments(session.id, statuses=[s.value for s in ACTIVE]):
            enrollment.reminded_at = None
            if enrollment.offer_expires_at is not None and enrollment.offer_expires_at > session.starts_at:
                enrollment.offer_expires_at = session.starts_at


def _tell_schedule_change(uow: UnitOfWork, repo: EnrollmentRepository, links: Links, session: TrainingSession,
                          course: Course, changed: list[str], previous: SessionPlace) -> int:
    """One enrollment.session_changed per person holding a seat, an offer or a waitlist place."""
    offered = available_modes(CourseFormat(course.format), session.venue, session.online_url)
    people = repo.session_enrollments(session.id, statuses=[s.value for s in ACTIVE])
    for enrollment in people:
        mode_available = AttendanceMode(enrollment.mode) in offered
        uow.emit(SessionChanged(
            **participant_fields(enrollment, session, course, links), enrollment_status=enrollment.status,
            changed=changed, previous=previous, trainer=session.trainer, fee_eur=session.fee_eur,
            calendar_sequence=session.sequence, mode_available=mode_available,
            alternative_mode=None if mode_available else getattr(
                alternative_mode(offered, AttendanceMode(enrollment.mode)), "value", None),
        ), subject=str(enrollment.id))
    return len(people)


def _changes(session: TrainingSession, course: Course, settings: dict, seating: Seating, starts_at) -> dict:
    """What the PATCH really changes in the settings, checked by the domain against the seats
    taken (and against the new start, if it moves)."""
    return check_session_change(SessionSettings(
        course_format=CourseFormat(course.format), starts_at=starts_at, capacity=session.capacity,
        online_capacity=session.online_capacity, min_participants=session.min_participants,
        registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
        quota_per_municipality=session.quota_per_municipality, quota_release_days=session.quota_release_days,
        offer_hours=session.offer_hours, reminder_hours_before=session.reminder_hours_before,
    ), settings, seating.counts(session).held)


def cancel_session(uow: UnitOfWork, links: Links, session_id, body: CancelSessionIn) -> SessionOut:
    """Every enrolment (seat, offer, waitlist place) is cancelled and each person told
    (enrollment.enrollment_cancelled), then enrollment.session_cancelled."""
    repo = EnrollmentRepository.of(uow)
    now = utcnow()
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_session_cancellable(SessionStatus(session.status))
    cancel_everyone(uow, repo, links, session, course, body.reason, now)
    uow.commit()
    return session_view(repo, links, session, course)


def cancel_everyone(uow: UnitOfWork, repo: EnrollmentRepository, links: Links, session: TrainingSession,
                    course: Course, reason: str, now) -> int:
    """Cancel the (locked) session and every enrolment in it, each person told; the caller commits."""
    session.status = SessionStatus.CANCELLED.value
    session.cancelled_at = now
    session.cancel_reason = reason
    if session.go_decision == GoDecision.BELOW_MINIMUM.value:
        session.go_decision = GoDecision.CANCELLED.value  # the coordinator's answer to the go/no-go notice
    seating = Seating(uow, repo, links, now)
    active = repo.session_enrollments(session.id, statuses=[s.value for s in ACTIVE])
    for enrollment in active:
        seating.cancel(session, course, enrollment, CancelReason.SESSION_CANCELLED, reason, refill=False)
    uow.emit(SessionCancelled(
        session_id=session.id, course_id=course.id, course_title=title_of(course), starts_at=session.starts_at,
        ends_at=session.ends_at, region=session.region, venue=session.venue, online_url=session.online_url,
        reason=reason, enrollments_cancelled=len(active),
    ), subject=str(session.id))
    if session.trainer_id is not None:
        trainers.tell(uow, repo, links, session, course, repo.trainers_by_id([session.trainer_id])[session.trainer_id],
                      "cancelled", reason=reason)
    return len(active)
