"""Storage of learning done elsewhere (external completions and their certificates): the
queries of usecases/learning.py and of the figures that count them."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, select, update

from services.enrollment.models import Certificate, Course, ExternalCompletion

MAX_LISTED = 500


class LearningRepository:
    def __init__(self, session):
        self.session = session

    @classmethod
    def of(cls, uow) -> "LearningRepository":
        return cls(uow.session)

    def completion(self, source: str, external_id: str) -> ExternalCompletion | None:
        return self.session.scalars(select(ExternalCompletion).where(
            ExternalCompletion.source == source, ExternalCompletion.external_id == external_id)).first()

    def completion_by_id(self, completion_id: uuid.UUID) -> ExternalCompletion | None:
        return self.session.get(ExternalCompletion, completion_id)

    def find_course(self, course_id: uuid.UUID) -> Course | None:
        return self.session.get(Course, course_id)

    def completions(self, *, municipality_code=None, email_key=None, completed_from=None, completed_to=None,
                    limit: int | None = MAX_LISTED) -> list[tuple[ExternalCompletion, Certificate | None]]:
        """Completions (newest first) with their certificate, if any."""
        query = (select(ExternalCompletion, Certificate)
                 .outerjoin(Certificate, and_(Certificate.external_completion_id == ExternalCompletion.id,
                                              Certificate.status != "revoked")))
        if municipality_code is not None:
            query = query.where(ExternalCompletion.municipality_code == municipality_code)
        if email_key is not None:
            query = query.where(ExternalCompletion.email_key == email_key)
        if completed_from is not None:
            query = query.where(ExternalCompletion.completed_at >= completed_from)
        if completed_to is not None:
            query = query.where(ExternalCompletion.completed_at < completed_to)
        query = query.order_by(ExternalCompletion.completed_at.desc(), ExternalCompletion.id)
        if limit is not None:
            query = query.limit(limit)
        return [tuple(row) for row in self.session.execute(query).all()]

    def completions_of_person(self, email_key: str) -> list[ExternalCompletion]:
        return list(self.session.scalars(select(ExternalCompletion).where(ExternalCompletion.email_key == email_key)
                                         .with_for_update()))

    def anonymise_certificates(self, completion_ids: list[uuid.UUID], holder_name: str) -> int:
        if not completion_ids:
            return 0
        return self.session.execute(update(Certificate).where(
            Certificate.external_completion_id.in_(completion_ids)).values(holder_name=holder_name)).rowcount
