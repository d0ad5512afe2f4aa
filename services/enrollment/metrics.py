"""Enrollment's business gauges, read from its database when Prometheus scrapes.

    savivalda_enrollments{service, status}   enrolments by status (every status, zeros included)
    savivalda_waitlist_length{service}       people waiting for a seat in sessions still scheduled
    savivalda_enrollment_sessions{service, status}        sessions by status
    savivalda_enrollment_upcoming_seats{service, state}   seats of the scheduled sessions still ahead:
                                                          capacity, confirmed, offered, waitlisted

Counting at scrape time (shared.observability.ServiceGauges, cached briefly) keeps the
figures right with any number of replicas and across restarts, which counters kept in process
memory would not. The service class opts in with one attribute:

    class EnrollmentService(ServiceBase):
        gauges = EnrollmentGauges()
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from services.enrollment.domain.rules import EnrollmentStatus, SessionStatus
from services.enrollment.models import Enrollment, TrainingSession
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow
from shared.observability import Sample, ServiceGauges

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


class EnrollmentGauges(ServiceGauges):
    key = "enrollment-figures"

    def samples(self) -> Iterator[Sample]:
        return enrollment_gauges(engine_for(self.database_url), self.service)
