"""Storage of courses, sessions and enrolments (SQLAlchemy; used by the service class only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.enrollment.domain.rules import EnrollmentStatus
from services.enrollment.models import Course, Enrollment, TrainingSession
from shared.errors import NotFound


class EnrollmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, obj) -> None:
        self.session.add(obj)
        self.session.flush()

    def course(self, course_id: uuid.UUID) -> Course:
        course = self.session.get(Course, course_id)
        if course is None:
            raise NotFound("course", course_id)
        return course

    def courses(self) -> list[Course]:
        return list(self.session.scalars(select(Course).order_by(Course.created_at)))

    def training_session(self, session_id: uuid.UUID, *, lock: bool = False) -> TrainingSession:
        """The session row; with lock=True it stays locked until commit, which serialises every
        seat decision of that session (PostgreSQL row lock; SQLite serialises writers anyway)."""
        query = select(TrainingSession).where(TrainingSession.id == session_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("session", session_id)
        return found

    def counts(self, session_id: uuid.UUID) -> dict[str, int]:
        rows = self.session.execute(
            select(Enrollment.status, func.count()).where(Enrollment.session_id == session_id)
            .group_by(Enrollment.status)
        ).all()
        counts = {status.value: 0 for status in EnrollmentStatus}
        counts.update({status: n for status, n in rows})
        return counts

    def enrollment(self, enrollment_id: uuid.UUID) -> Enrollment:
        found = self.session.get(Enrollment, enrollment_id)
        if found is None:
            raise NotFound("enrolment", enrollment_id)
        return found

    def enrollment_of(self, session_id: uuid.UUID, email_key: str) -> Enrollment | None:
        return self.session.scalars(
            select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.email_key == email_key)
        ).first()

    def waitlist_position(self, enrollment: Enrollment) -> int | None:
        if enrollment.status != EnrollmentStatus.WAITLISTED.value:
            return None
        ahead = self.session.execute(
            select(func.count()).where(
                Enrollment.session_id == enrollment.session_id,
                Enrollment.status == EnrollmentStatus.WAITLISTED.value,
                (Enrollment.created_at < enrollment.created_at)
                | ((Enrollment.created_at == enrollment.created_at) & (Enrollment.id < enrollment.id)),
            )
        ).scalar_one()
        return ahead + 1

    @staticmethod
    def now() -> datetime:
        from shared.db import utcnow

        return utcnow()
