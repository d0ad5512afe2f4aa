"""Storage of training programmes of funded projects: the queries of usecases/programmes.py."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.enrollment.models import (
    Enrollment,
    FundedProjectRef,
    ProgrammeCourse,
    ProgrammeHistory,
    TrainingProgramme,
    TrainingSession,
)

MAX_LISTED = 500


class ProgrammeRepository:
    def __init__(self, session):
        self.session = session

    @classmethod
    def of(cls, uow) -> "ProgrammeRepository":
        return cls(uow.session)

    def add(self, obj) -> None:
        self.session.add(obj)
        self.session.flush()

    # ------------------------------------------------------------------ funded projects (grants' references)
    def project(self, project_id: uuid.UUID) -> FundedProjectRef | None:
        return self.session.get(FundedProjectRef, project_id)

    def project_by_number(self, project_number: str) -> FundedProjectRef | None:
        return self.session.scalars(select(FundedProjectRef).where(
            func.upper(FundedProjectRef.project_number) == project_number.upper())).first()

    def projects(self) -> list[FundedProjectRef]:
        return list(self.session.scalars(select(FundedProjectRef).order_by(FundedProjectRef.project_number)
                                         .limit(MAX_LISTED)))

    # ------------------------------------------------------------------ programmes
    def programme(self, programme_id: uuid.UUID) -> TrainingProgramme | None:
        return self.session.get(TrainingProgramme, programme_id)

    def programmes(self, project_id: uuid.UUID | None = None) -> list[TrainingProgramme]:
        query = select(TrainingProgramme)
        if project_id is not None:
            query = query.where(TrainingProgramme.project_id == project_id)
        return list(self.session.scalars(query.order_by(TrainingProgramme.created_at, TrainingProgramme.code)
                                         .limit(MAX_LISTED)))

    def programme_by_code(self, project_id: uuid.UUID, code: str) -> TrainingProgramme | None:
        return self.session.scalars(select(TrainingProgramme).where(
            TrainingProgramme.project_id == project_id, TrainingProgramme.code == code)).first()

    def course_ids(self, programme_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.session.scalars(select(ProgrammeCourse.course_id)
                                         .where(ProgrammeCourse.programme_id == programme_id)))

    def has_course(self, programme_id: uuid.UUID, course_id: uuid.UUID) -> bool:
        return self.session.get(ProgrammeCourse, (programme_id, course_id)) is not None

    def session_ids(self, programme_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.session.scalars(select(TrainingSession.id).where(TrainingSession.programme_id == programme_id)
                                         .order_by(TrainingSession.starts_at)))

    def history(self, programme_ids: list[uuid.UUID]) -> list[ProgrammeHistory]:
        if not programme_ids:
            return []
        return list(self.session.scalars(select(ProgrammeHistory).where(
            ProgrammeHistory.programme_id.in_(programme_ids)).order_by(ProgrammeHistory.created_at)))

    def held_sessions(self, programme_ids: list[uuid.UUID]) -> list[tuple[TrainingSession, int]]:
        """Completed sessions of the programmes with their attendances."""
        if not programme_ids:
            return []
        attended = (select(Enrollment.session_id, func.count().label("n")).where(Enrollment.attendance == "attended")
                    .group_by(Enrollment.session_id).subquery())
        query = (select(TrainingSession, func.coalesce(attended.c.n, 0))
                 .outerjoin(attended, attended.c.session_id == TrainingSession.id)
                 .where(TrainingSession.programme_id.in_(programme_ids), TrainingSession.status == "completed"))
        return [tuple(row) for row in self.session.execute(query).all()]
