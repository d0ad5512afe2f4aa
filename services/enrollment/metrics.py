"""Enrollment's business gauges, read from its database when Prometheus scrapes.

    savivalda_enrollments{service, status}   enrolments by status (every status, zeros included)
    savivalda_waitlist_length{service}       people waiting for a seat in sessions still scheduled
    savivalda_enrollment_sessions{service, status}        sessions by status
    savivalda_enrollment_upcoming_seats{service, state}   seats of the scheduled sessions still ahead:
                                                          capacity, confirmed, offered, waitlisted
    savivalda_enrollment_courses{service, state}          courses: active, retired
    savivalda_enrollment_mode_unavailable{service}        people (seat, offer or waitlist place) in a
                                                          scheduled hybrid session that no longer offers
                                                          their mode, who have not switched or left yet

Counters of this process (what it did since it started):

    savivalda_enrollment_session_changes_total{kind}      changes of date/time, place, online link or
                                                          trainer (kind: the first of date, place,
                                                          online_url, trainer that changed)
    savivalda_enrollment_session_change_notices_total     session_changed events written (one per person)
    savivalda_enrollment_courses_retired_total
    savivalda_enrollment_trainer_notices_total{notice}    trainers told: assigned, changed, unassigned, cancelled
    (gauge) savivalda_enrollment_trainers{service}        trainers in the register
    (gauge) savivalda_enrollment_upcoming_sessions_without_trainer{service}
                                                          scheduled sessions ahead with no trainer named
    savivalda_enrollment_working_group_meetings_total{event} working group meetings scheduled, cancelled,
                                                          minutes published
    (gauge) savivalda_enrollment_working_groups{service}  working groups
    (gauge) savivalda_enrollment_working_group_members{service,role}  current seats: member, chair
    savivalda_enrollment_go_no_go_total{outcome}          go/no-go dates reached: minimum_reached,
                                                          below_minimum, cancelled; confirmed answers
    (gauge) savivalda_enrollment_go_no_go_pending{service} scheduled sessions below their minimum at the
                                                          go/no-go date, waiting for the coordinator
    savivalda_enrollment_invoices_total{event}            invoices issued, revised (recalculated before
                                                          the cut-off), paid, waived
    savivalda_enrollment_invoice_documents_total{format}  invoice PDFs and CSVs produced
    (gauge) savivalda_enrollment_invoices{service,status} invoices: issued, paid, waived
    (gauge) savivalda_enrollment_invoice_amount_eur{service,status}  their current amounts in EUR
    (gauge) savivalda_enrollment_feedback_open_forms{service}  completed sessions' feedback forms still
                                                          taking answers (usecases/feedback.py counts
                                                          invitations, answers and refusals)

Counting at scrape time (shared.observability.ServiceGauges, cached briefly) keeps the
figures right with any number of replicas and across restarts, which counters kept in process
memory would not. The service class opts in with one attribute:

    class EnrollmentService(ServiceBase):
        gauges = EnrollmentGauges()
"""

from __future__ import annotations

from typing import Iterator

from prometheus_client import Counter
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from services.enrollment.domain.rules import EnrollmentStatus, SessionStatus
from services.enrollment.models import FeedbackForm
from services.enrollment.models import (Course, Enrollment, Invoice, Trainer, TrainingSession, WorkingGroup,
                                         WorkingGroupMember)
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow
from shared.observability import Sample, ServiceGauges

SESSION_CHANGES = Counter("savivalda_enrollment_session_changes_total",
                          "Changes of a session's date/time, place, online link or trainer", ["kind"])
SESSION_CHANGE_NOTICES = Counter("savivalda_enrollment_session_change_notices_total",
                                 "enrollment.session_changed events written, one per person told")
GO_NO_GO = Counter("savivalda_enrollment_go_no_go_total",
                   "Go/no-go outcomes: minimum_reached, below_minimum, cancelled (automatically), confirmed "
                   "(by the coordinator)", ["outcome"])
TRAINER_NOTICES = Counter("savivalda_enrollment_trainer_notices_total",
                          "Notices written to trainers: assigned, changed, unassigned, cancelled", ["notice"])
COURSES_RETIRED = Counter("savivalda_enrollment_courses_retired_total", "Courses retired")
WORKING_GROUP_EVENTS = Counter("savivalda_enrollment_working_group_meetings_total",
                               "Working group meetings: meeting_scheduled, meeting_cancelled, minutes_published",
                               ["event"])


def schedule_change_kind(changed) -> str:
    """One label per change, so the counter's series stay few."""
    for kind, fields in (("date", ("starts_at", "ends_at")), ("place", ("venue", "region")),
                         ("online_url", ("online_url",)), ("trainer", ("trainer",))):
        if any(name in changed for name in fields):
            return kind
    return "other"


SEAT_STATES = (EnrollmentStatus.CONFIRMED.value, EnrollmentStatus.OFFERED.value, EnrollmentStatus.WAITLISTED.value)


def enrollment_gauges(engine: Engine, service: str = "enrollment") -> Iterator[Sample]:
    enrollments = Enrollment.__table__
    sessions = TrainingSession.__table__
    with engine.connect() as connection:
        by_status = dict(connection.execute(
            select(enrollments.c.status, func.count()).group_by(enrollments.c.status)).all())
        waiting = connection.execute(
            select(func.count())
            .select_from(enrollments.join(sessions, sessions.c.id == enrollments.c.session_id))
            .where(enrollments.c.status == EnrollmentStatus.WAITLISTED.value,
                   sessions.c.status == SessionStatus.SCHEDULED.value)
        ).scalar_one()
        sessions_by_status = dict(connection.execute(
            select(sessions.c.status, func.count()).group_by(sessions.c.status)).all())
        upcoming = (sessions.c.status == SessionStatus.SCHEDULED.value) & (sessions.c.starts_at > utcnow())
        capacity = connection.execute(
            select(func.coalesce(func.sum(sessions.c.capacity + func.coalesce(sessions.c.online_capacity, 0)), 0))
            .where(upcoming)).scalar_one()
        seats = dict(connection.execute(
            select(enrollments.c.status, func.count())
            .select_from(enrollments.join(sessions, sessions.c.id == enrollments.c.session_id))
            .where(upcoming, enrollments.c.status.in_(SEAT_STATES)).group_by(enrollments.c.status)).all())
        pending = connection.execute(
            select(func.count()).where(sessions.c.status == SessionStatus.SCHEDULED.value,
                                       sessions.c.go_decision == "below_minimum")).scalar_one()
        trainers = connection.execute(
            select(func.count()).select_from(Trainer.__table__).where(Trainer.__table__.c.erased_at.is_(None))
        ).scalar_one()
        no_trainer = connection.execute(
            select(func.count()).where(upcoming, sessions.c.trainer_id.is_(None), sessions.c.trainer.is_(None))
        ).scalar_one()
        working_groups = connection.execute(
            select(func.count()).select_from(WorkingGroup.__table__)).scalar_one()
        seats_table = WorkingGroupMember.__table__
        wg_seats = dict(connection.execute(
            select(seats_table.c.role, func.count()).where(seats_table.c.left_on.is_(None))
            .group_by(seats_table.c.role)).all())
        courses = Course.__table__
        retired = connection.execute(select(func.count()).where(courses.c.retired_at.is_not(None))).scalar_one()
        all_courses = connection.execute(select(func.count()).select_from(courses)).scalar_one()
        dropped = or_(and_(enrollments.c.mode == "in_person", sessions.c.venue.is_(None)),
                      and_(enrollments.c.mode == "online", sessions.c.online_url.is_(None)))
        mode_unavailable = connection.execute(
            select(func.count())
            .select_from(enrollments.join(sessions, sessions.c.id == enrollments.c.session_id)
                         .join(courses, courses.c.id == sessions.c.course_id))
            .where(sessions.c.status == SessionStatus.SCHEDULED.value, courses.c.format == "hybrid",
                   enrollments.c.status.in_(SEAT_STATES), dropped)).scalar_one()
    counts = {status.value: 0 for status in EnrollmentStatus}
    counts.update(by_status)
    for status, count in sorted(counts.items()):
        yield ("savivalda_enrollments", "Enrolments by status", {"service": service, "status": status}, float(count))
    yield ("savivalda_waitlist_length", "People on the waitlists of sessions still scheduled",
           {"service": service}, float(waiting))
    for status in SessionStatus:
        yield ("savivalda_enrollment_sessions", "Training sessions by status",
               {"service": service, "status": status.value}, float(sessions_by_status.get(status.value, 0)))
    seats_help = "Seats of scheduled sessions still ahead: capacity, confirmed, offered, waitlisted"
    yield ("savivalda_enrollment_upcoming_seats", seats_help, {"service": service, "state": "capacity"},
           float(capacity))
    for state in SEAT_STATES:
        yield ("savivalda_enrollment_upcoming_seats", seats_help, {"service": service, "state": state},
               float(seats.get(state, 0)))
    for state, count in (("active", all_courses - retired), ("retired", retired)):
        yield ("savivalda_enrollment_courses", "Courses of the catalogue: active, retired",
               {"service": service, "state": state}, float(count))
    yield ("savivalda_enrollment_trainers", "Trainers in the register", {"service": service}, float(trainers))
    yield ("savivalda_enrollment_upcoming_sessions_without_trainer",
           "Scheduled sessions still ahead with no trainer named", {"service": service}, float(no_trainer))
    yield ("savivalda_enrollment_working_groups", "Working groups", {"service": service}, float(working_groups))
    for role in ("member", "chair"):
        yield ("savivalda_enrollment_working_group_members", "Current seats in working groups by role",
               {"service": service, "role": role}, float(wg_seats.get(role, 0)))
    yield ("savivalda_enrollment_go_no_go_pending",
           "Scheduled sessions below their minimum at the go/no-go date, waiting for the coordinator's decision",
           {"service": service}, float(pending))
    yield ("savivalda_enrollment_mode_unavailable",
           "People in a scheduled hybrid session that no longer offers their attendance mode (to switch or leave)",
           {"service": service}, float(mode_unavailable))


def invoice_gauges(engine: Engine, service: str = "enrollment") -> Iterator[Sample]:
    """Invoices and their current amounts per status (fees, usecases/invoices.py)."""
    invoices = Invoice.__table__
    with engine.connect() as connection:
        found = {status: (count, int(amount or 0)) for status, count, amount in connection.execute(
            select(invoices.c.status, func.count(), func.sum(invoices.c.amount_cents)).group_by(invoices.c.status))}
    for status in ("issued", "paid", "waived"):
        count, cents = found.get(status, (0, 0))
        yield ("savivalda_enrollment_invoices", "Invoices of fees by status: issued (not paid yet), paid, waived",
               {"service": service, "status": status}, float(count))
        yield ("savivalda_enrollment_invoice_amount_eur", "Current amounts of the invoices by status, in EUR",
               {"service": service, "status": status}, cents / 100)


def feedback_gauges(engine: Engine, service: str = "enrollment") -> Iterator[Sample]:
    """Feedback forms still open (usecases/feedback.py)."""
    forms = FeedbackForm.__table__
    with engine.connect() as connection:
        open_forms = connection.execute(select(func.count()).where(forms.c.closes_at > utcnow())).scalar_one()
    yield ("savivalda_enrollment_feedback_open_forms", "Feedback forms of completed sessions still taking answers",
           {"service": service}, float(open_forms))


class EnrollmentGauges(ServiceGauges):
    key = "enrollment-figures"

    def samples(self) -> Iterator[Sample]:
        engine = engine_for(self.database_url)
        yield from enrollment_gauges(engine, self.service)
        yield from invoice_gauges(engine, self.service)
        yield from feedback_gauges(engine, self.service)
