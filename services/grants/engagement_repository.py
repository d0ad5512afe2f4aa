"""Storage of consulting engagements: every query the engagement use cases make
(services/grants/usecases/engagements.py)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.grants.models import Consultation, Deliverable, DeliverableReminder, Engagement, EngagementMunicipality
from shared.errors import NotFound
from shared.persistence.schema import utcnow
from shared.tenancy import shared_by

# Tenancy lookup (shared/tenancy.py, Tenancy.shared): the municipalities an engagement serves.
ENGAGEMENT_MUNICIPALITIES = shared_by(EngagementMunicipality.municipality_code, EngagementMunicipality.engagement_id)


class EngagementRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, *objects) -> None:
        self.session.add_all(objects)
        self.session.flush()

    def engagement(self, engagement_id: uuid.UUID, lock: bool = False) -> Engagement:
        query = select(Engagement).where(Engagement.id == engagement_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("engagement", engagement_id)
        return found

    def municipalities(self, engagement_id: uuid.UUID) -> list[str]:
        return list(self.session.scalars(select(EngagementMunicipality.municipality_code)
                                         .where(EngagementMunicipality.engagement_id == engagement_id)
                                         .order_by(EngagementMunicipality.position)))

    def municipalities_of(self, engagement_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        found: dict[uuid.UUID, list[str]] = {i: [] for i in engagement_ids}
        if engagement_ids:
            for engagement_id, code in self.session.execute(
                    select(EngagementMunicipality.engagement_id, EngagementMunicipality.municipality_code)
                    .where(EngagementMunicipality.engagement_id.in_(engagement_ids))
                    .order_by(EngagementMunicipality.engagement_id, EngagementMunicipality.position)):
                found[engagement_id].append(code)
        return found

    def engagements(self, municipality_code: str | None = None, status: str | None = None, theme: str | None = None,
                    limit: int | None = None, offset: int = 0) -> list[Engagement]:
        query = select(Engagement).order_by(Engagement.requested_on.desc(), Engagement.created_at.desc(),
                                            Engagement.id)
        if municipality_code:
            query = query.where(Engagement.id.in_(select(EngagementMunicipality.engagement_id).where(
                EngagementMunicipality.municipality_code == municipality_code)))
        if status:
            query = query.where(Engagement.status == status)
        if theme:
            query = query.where(Engagement.theme == theme)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def deliverables(self, engagement_id: uuid.UUID) -> list[Deliverable]:
        return list(self.session.scalars(select(Deliverable).where(Deliverable.engagement_id == engagement_id)
                                         .order_by(Deliverable.position)))

    def deliverables_of(self, engagement_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Deliverable]]:
        found: dict[uuid.UUID, list[Deliverable]] = {i: [] for i in engagement_ids}
        if engagement_ids:
            for item in self.session.scalars(select(Deliverable).where(Deliverable.engagement_id.in_(engagement_ids))
                                             .order_by(Deliverable.engagement_id, Deliverable.position)):
                found[item.engagement_id].append(item)
        return found

    def deliverable(self, engagement_id: uuid.UUID, deliverable_id: uuid.UUID) -> Deliverable:
        found = self.session.get(Deliverable, deliverable_id)
        if found is None or found.engagement_id != engagement_id:
            raise NotFound("deliverable", deliverable_id)
        return found

    def consultations(self, engagement_id: uuid.UUID) -> list[Consultation]:
        return list(self.session.scalars(select(Consultation).where(Consultation.engagement_id == engagement_id)
                                         .order_by(Consultation.held_on, Consultation.recorded_at)))

    def open_deliverables(self, statuses: tuple[str, ...]) -> list[tuple[Deliverable, Engagement]]:
        """Deliverables not delivered of engagements in these statuses (the reminder timer)."""
        rows = self.session.execute(
            select(Deliverable, Engagement).join(Engagement, Deliverable.engagement_id == Engagement.id)
            .where(Engagement.status.in_(statuses), Deliverable.delivered_on.is_(None))
            .order_by(Deliverable.due_on))
        return [(item, engagement) for item, engagement in rows]

    def sent_reminders(self, deliverable_id: uuid.UUID, due_on: date) -> set[int]:
        return set(self.session.scalars(select(DeliverableReminder.days_before).where(
            DeliverableReminder.deliverable_id == deliverable_id, DeliverableReminder.due_on == due_on)))

    def claim_reminder(self, deliverable_id: uuid.UUID, due_on: date, days_before: int) -> bool:
        """Record a reminder as sent; False if it was already (replicas send it once)."""
        dialect = self.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DeliverableReminder.__table__)
        result = self.session.execute(insert.values(deliverable_id=deliverable_id, due_on=due_on,
                                                    days_before=days_before, sent_at=utcnow())
                                      .on_conflict_do_nothing())
        return result.rowcount == 1

    # -- gauges
    def count_open(self, statuses: tuple[str, ...]) -> dict[str, int]:
        rows = self.session.execute(select(Engagement.status, func.count()).where(Engagement.status.in_(statuses))
                                    .group_by(Engagement.status))
        return {status: count for status, count in rows}

    def count_late_deliverables(self, today: date, statuses: tuple[str, ...]) -> int:
        return self.session.scalar(
            select(func.count()).select_from(Deliverable).join(Engagement, Deliverable.engagement_id == Engagement.id)
            .where(Engagement.status.in_(statuses), Deliverable.delivered_on.is_(None), Deliverable.due_on < today))

    # -- erasure
    def mentioning(self, email: str) -> list[Engagement]:
        """Engagements whose contact or consultant has this e-mail (any case)."""
        return list(self.session.scalars(select(Engagement).where(or_(
            func.lower(Engagement.contact_email) == email, func.lower(Engagement.consultant_email) == email,
            Engagement.contact_email == email, Engagement.consultant_email == email))))
