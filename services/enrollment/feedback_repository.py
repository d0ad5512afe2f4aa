"""Storage of feedback after a session: the queries of usecases/feedback.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, func, select

from services.enrollment.domain.rules import Attendance
from services.enrollment.models import (
    CourseFeedbackSettings,
    Enrollment,
    FeedbackAnswer,
    FeedbackBallot,
    FeedbackForm,
    FeedbackInvitation,
    TrainingSession,
)


class FeedbackRepository:
    def __init__(self, session):
        self.session = session

    @classmethod
    def of(cls, uow) -> "FeedbackRepository":
        return cls(uow.session)

    def add(self, obj) -> None:
        self.session.add(obj)

    def settings(self, course_id: uuid.UUID) -> CourseFeedbackSettings | None:
        return self.session.get(CourseFeedbackSettings, course_id)

    def form(self, session_id: uuid.UUID) -> FeedbackForm | None:
        return self.session.get(FeedbackForm, session_id)

    def invitation(self, enrollment_id: uuid.UUID) -> FeedbackInvitation | None:
        return self.session.get(FeedbackInvitation, enrollment_id)

    def invited_ids(self, session_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.session.scalars(
            select(FeedbackInvitation.enrollment_id).where(FeedbackInvitation.session_id == session_id)))

    def answered(self, enrollment_id: uuid.UUID) -> bool:
        return self.session.get(FeedbackBallot, enrollment_id) is not None

    def attendees(self, session_id: uuid.UUID) -> list[Enrollment]:
        return list(self.session.scalars(
            select(Enrollment).where(Enrollment.session_id == session_id,
                                     Enrollment.attendance == Attendance.ATTENDED.value,
                                     Enrollment.erased_at.is_(None))
            .order_by(Enrollment.arrival_seq)))

    # ---------------------------------------------------------------- reports
    def forms(self, *, session_id=None, course_id=None, trainer_id=None, starts_from: datetime | None = None,
              starts_to: datetime | None = None, municipality_code: str | None = None) -> list[FeedbackForm]:
        """Forms in the scope, oldest session first; with a municipality, only the sessions its people
        attended."""
        query = (select(FeedbackForm).join(TrainingSession, TrainingSession.id == FeedbackForm.session_id)
                 .order_by(TrainingSession.starts_at, TrainingSession.id))
        if session_id is not None:
            query = query.where(FeedbackForm.session_id == session_id)
        if course_id is not None:
            query = query.where(FeedbackForm.course_id == course_id)
        if trainer_id is not None:
            query = query.where(FeedbackForm.trainer_id == trainer_id)
        if starts_from is not None:
            query = query.where(TrainingSession.starts_at >= starts_from)
        if starts_to is not None:
            query = query.where(TrainingSession.starts_at < starts_to)
        if municipality_code is not None:
            query = query.where(exists().where(Enrollment.session_id == FeedbackForm.session_id,
                                               Enrollment.municipality_code == municipality_code,
                                               Enrollment.attendance == Attendance.ATTENDED.value))
        return list(self.session.scalars(query))

    def invited_counts(self, session_ids) -> dict[uuid.UUID, int]:
        if not session_ids:
            return {}
        return dict(self.session.execute(
            select(FeedbackInvitation.session_id, func.count()).where(FeedbackInvitation.session_id.in_(session_ids))
            .group_by(FeedbackInvitation.session_id)).all())

    def answers_of(self, session_ids) -> dict[uuid.UUID, list[dict]]:
        found: dict[uuid.UUID, list[dict]] = {s: [] for s in session_ids}
        if not session_ids:
            return found
        for session_id, answers in self.session.execute(
                select(FeedbackAnswer.session_id, FeedbackAnswer.answers)
                .where(FeedbackAnswer.session_id.in_(session_ids))):
            found[session_id].append(answers)
        return found

    # ---------------------------------------------------------------- erasure
    def answered_sessions(self, enrollment_ids) -> set[uuid.UUID]:
        if not enrollment_ids:
            return set()
        return set(self.session.scalars(
            select(FeedbackBallot.session_id).where(FeedbackBallot.enrollment_id.in_(enrollment_ids))))

    def answers_rows(self, session_ids) -> list[FeedbackAnswer]:
        if not session_ids:
            return []
        return list(self.session.scalars(select(FeedbackAnswer).where(FeedbackAnswer.session_id.in_(session_ids))))


def attended_municipalities(service, session_id) -> set[str]:
    """Tenancy.shared owners of a session's feedback: the municipalities whose people attended it."""
    return set(service.db.session.scalars(
        select(Enrollment.municipality_code).where(Enrollment.session_id == session_id,
                                                   Enrollment.attendance == Attendance.ATTENDED.value).distinct()))
