"""The operator's view of delivery: the log, one notification with its attempts, one event's
progress, sending failed notifications again (only those), and counts."""

from __future__ import annotations

import uuid
from typing import Callable

from services.notifications.domain.outcomes import complete, count_by_status, resendable
from services.notifications.repository import NotificationsRepository
from services.notifications.schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryQuery,
    EventDeliveryOut,
    FailedRecipient,
    RetriedOut,
    StatsRow,
)
from services.notifications.views import delivery_detail_out, delivery_out
from shared.errors import Conflict, NotFound
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

ALL = 100000


def deliveries(db: UnitOfWork, query: DeliveryQuery) -> list[DeliveryOut]:
    """The delivery log, newest first, filtered."""
    return [delivery_out(n) for n in NotificationsRepository(db).deliveries(
        status=query.status, event_type=query.event_type, channel=query.channel, event_id=query.event_id,
        recipient_id=query.recipient_id, limit=query.limit)]


def delivery(db: UnitOfWork, notification_id: uuid.UUID) -> DeliveryDetailOut:
    repo = NotificationsRepository(db)
    notification = repo.get(notification_id)
    return delivery_detail_out(notification, repo.attempts(notification.id))


def resend(db: UnitOfWork, notification_id: uuid.UUID, *, wake: Callable[[], None]) -> DeliveryOut:
    """A failed notification sent again (same Message-ID); anything not failed is a conflict."""
    repo = NotificationsRepository(db)
    notification = repo.get(notification_id)
    if not resendable(notification.status):
        raise Conflict(f"only failed notifications are resent; this one is {notification.status}",
                       code="not_failed")
    repo.retry([notification], utcnow())
    db.after_commit(wake)
    db.commit()
    return delivery_out(repo.get(notification_id))


def event_progress(db: UnitOfWork, event_id: uuid.UUID) -> EventDeliveryOut:
    """What happened to one event's notifications: counts by status and who failed."""
    rows = NotificationsRepository(db).deliveries(status=None, event_type=None, channel=None, event_id=event_id,
                                                  recipient_id=None, limit=ALL)
    if not rows:
        raise NotFound("notifications of event", event_id)
    counts = count_by_status(n.status for n in rows)
    failed = [FailedRecipient(notification_id=n.id, recipient_id=n.recipient_id, channel=n.channel,
                              attempts=n.attempts, last_error=n.last_error) for n in rows if n.status == "failed"]
    return EventDeliveryOut(event_id=event_id, event_type=rows[0].event_type, counts=counts,
                            complete=complete(counts), failed=failed)


def retry_failed(db: UnitOfWork, event_id: uuid.UUID, *, wake: Callable[[], None]) -> RetriedOut:
    """Send again to this event's recipients whose delivery failed, and only to them."""
    repo = NotificationsRepository(db)
    rows = repo.deliveries(status="failed", event_type=None, channel=None, event_id=event_id, recipient_id=None,
                           limit=ALL)
    retried = repo.retry(rows, utcnow())
    if retried:
        db.after_commit(wake)
    db.commit()
    return RetriedOut(retried=retried)


def stats(db: UnitOfWork) -> list[StatsRow]:
    """Notifications by event type, channel and status."""
    return [StatsRow(event_type=t, channel=c, status=s, count=n)
            for t, c, s, n in NotificationsRepository(db).counts()]
