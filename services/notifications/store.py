"""Storage of recipients and notifications (used by the service class and the delivery loop)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.notifications.domain.identity import message_id
from services.notifications.models import DeliveryAttempt, Notification, Recipient
from services.notifications.rendering import Rendered
from shared.db import UnitOfWork, utcnow
from shared.errors import NotFound

LEASE = timedelta(minutes=2)


class NotificationStore:
    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.session: Session = uow.session

    def upsert_recipient(self, *, email: str, name: str, language: str, municipality_code: str | None) -> Recipient:
        now = utcnow()
        key = email.strip().lower()
        self.uow.upsert(
            Recipient.__table__,
            dict(id=uuid.uuid4(), email_key=key, email=email.strip(), name=name, language=language,
                 municipality_code=municipality_code, created_at=now, updated_at=now),
            key=["email_key"], update=["email", "name", "language", "municipality_code", "updated_at"],
        )
        return self.session.scalars(select(Recipient).where(Recipient.email_key == key)).one()

    def add_notification(self, *, envelope, recipient: Recipient, channel: str, rendered: Rendered) -> bool:
        """False if this (event, recipient, channel) already has its notification."""
        exists = self.session.scalars(select(Notification.id).where(
            Notification.event_id == envelope.id, Notification.recipient_id == recipient.id,
            Notification.channel == channel)).first()
        if exists:
            return False
        now = utcnow()
        self.session.add(Notification(
            id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type, event_time=envelope.time,
            correlation_id=envelope.correlationid, recipient_id=recipient.id, channel=channel,
            template=rendered.template, language=rendered.language, subject=rendered.subject,
            body_text=rendered.text, body_html=rendered.html,
            message_id=message_id(str(envelope.id), str(recipient.id), channel),
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        ))
        self.session.flush()
        return True

    def claim_due(self, limit: int, now: datetime) -> list[tuple[Notification, Recipient]]:
        """Notifications ready to send, leased to this caller. SKIP LOCKED lets replicas share the
        work; an expired lease (a sender that died mid-way) makes a notification due again."""
        rows = self.session.execute(
            select(Notification, Recipient).join(Recipient, Recipient.id == Notification.recipient_id)
            .where(or_(
                and_(Notification.status == "pending", Notification.next_attempt_at <= now),
                and_(Notification.status == "sending", Notification.lease_until < now),
            ))
            .order_by(Notification.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Notification)
        ).all()
        for notification, _ in rows:
            notification.status = "sending"
            notification.lease_until = now + LEASE
        return [(n, r) for n, r in rows]

    def record_attempt(self, notification: Notification, *, outcome: str, via: str | None, error: str | None) -> None:
        self.session.add(DeliveryAttempt(notification_id=notification.id, attempted_at=utcnow(), outcome=outcome,
                                         via=via, error=error))

    def get(self, notification_id: uuid.UUID) -> Notification:
        found = self.session.get(Notification, notification_id)
        if found is None:
            raise NotFound("notification", notification_id)
        return found

    def attempts(self, notification_id: uuid.UUID) -> list[DeliveryAttempt]:
        return list(self.session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id == notification_id).order_by(DeliveryAttempt.id)))

    def deliveries(self, *, status: str | None, event_type: str | None, limit: int) -> list[Notification]:
        query = select(Notification).order_by(Notification.created_at.desc()).limit(limit)
        if status:
            query = query.where(Notification.status == status)
        if event_type:
            query = query.where(Notification.event_type == event_type)
        return list(self.session.scalars(query))
