"""Business gauges read at scrape time: sessions by status, and the seats of the sessions still
ahead (capacity, confirmed, offered, waitlisted) — a full waitlist shows demand to plan for."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy import func, select

from services.enrollment.domain.rules import EnrollmentStatus, SessionStatus
from services.enrollment.models import Enrollment, TrainingSession
from shared.db import UnitOfWork, engine_for, utcnow
from shared.observability import SCRAPE_GAUGES

SEAT_STATES = (EnrollmentStatus.CONFIRMED.value, EnrollmentStatus.OFFERED.value, EnrollmentStatus.WAITLISTED.value)


class EnrollmentGauges(DependencyProvider):
    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.url = settings.database_url(self.service)
        self.key = f"enrollment-seats:{self.service}"

    def start(self):
        SCRAPE_GAUGES.add(self.key, self.samples)

    def stop(self):
        SCRAPE_GAUGES.remove(self.key)

    kill = stop

    def get_dependency(self, worker_ctx):
        return None

    def samples(self):
        upcoming = (TrainingSession.status == SessionStatus.SCHEDULED.value) & (TrainingSession.starts_at > utcnow())
        with UnitOfWork(engine_for(self.url), self.service, "gauges") as uow:
            sessions = dict(uow.session.execute(
                select(TrainingSession.status, func.count()).group_by(TrainingSession.status)).all())
            capacity = uow.session.execute(select(
                func.coalesce(func.sum(TrainingSession.capacity + func.coalesce(TrainingSession.online_capacity, 0)), 0))
                .where(upcoming)).scalar_one()
            seats = dict(uow.session.execute(
                select(Enrollment.status, func.count()).join(TrainingSession, TrainingSession.id == Enrollment.session_id)
                .where(upcoming, Enrollment.status.in_(SEAT_STATES)).group_by(Enrollment.status)).all())
        labels = {"service": self.service}
        for status in SessionStatus:
            yield ("savivalda_enrollment_sessions", "Training sessions by status",
                   {**labels, "status": status.value}, float(sessions.get(status.value, 0)))
        yield ("savivalda_enrollment_upcoming_seats", "Seats of scheduled sessions still ahead: capacity, confirmed, "
               "offered, waitlisted", {**labels, "state": "capacity"}, float(capacity))
        for state in SEAT_STATES:
            yield ("savivalda_enrollment_upcoming_seats", "Seats of scheduled sessions still ahead: capacity, "
                   "confirmed, offered, waitlisted", {**labels, "state": state}, float(seats.get(state, 0)))
