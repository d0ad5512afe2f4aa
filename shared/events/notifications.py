"""Events published by the notifications service (exchange `notifications.events`).

They carry no personal data: the recipient is named by its id in the notifications service.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.events.registry import EventData, event
from shared.events.privacy import PersonErased


@event("notifications.notification_sent", summary="A notification was delivered to one recipient on one channel.")
class NotificationSent(EventData):
    notification_id: UUID
    cause_event_id: UUID
    cause_event_type: str
    recipient_id: UUID
    channel: str
    template: str
    language: str
    sent_at: datetime
    attempts: int


@event("notifications.notification_failed", summary="Delivery of a notification failed for good.")
class NotificationFailed(EventData):
    notification_id: UUID
    cause_event_id: UUID
    cause_event_type: str
    recipient_id: UUID
    channel: str
    template: str
    error: str
    attempts: int


@event("notifications.person_erased",
       summary="Notifications erased or pseudonymised a person's data (counts only, no personal data).")
class NotificationsPersonErased(PersonErased):
    pass
