"""The notifications service: turns events into notifications for the people they concern."""

from __future__ import annotations

from services.notifications.rendering import TemplateLibrary
from services.notifications.schemas import AttemptOut, DeliveryDetailOut, DeliveryOut, DeliveryQuery
from services.notifications.sender import Delivery
from services.notifications.store import NotificationStore
from shared.database import Database
from shared.db import utcnow
from shared.events.enrollment import EnrollmentConfirmed, EnrollmentWaitlisted
from shared.events.envelope import Envelope
from shared.events.types import Person
from shared.http import route
from shared.messaging.subscriptions import subscribe
from shared.service import ServiceBase

TEMPLATES = TemplateLibrary()
OPERATORS = ("staff", "operator")


class NotificationsService(ServiceBase):
    name = "notifications"
    db = Database()
    delivery = Delivery()

    # ------------------------------------------------------------------ event handlers
    @subscribe("enrollment.enrollment_confirmed")
    def on_enrollment_confirmed(self, event: EnrollmentConfirmed, envelope: Envelope):
        self._tell_person(event.participant, "enrollment_confirmed", event, envelope)

    @subscribe("enrollment.enrollment_waitlisted")
    def on_enrollment_waitlisted(self, event: EnrollmentWaitlisted, envelope: Envelope):
        self._tell_person(event.participant, "enrollment_waitlisted", event, envelope)

    def _tell_person(self, person: Person, template: str, event, envelope: Envelope) -> None:
        store = NotificationStore(self.db)
        recipient = store.upsert_recipient(email=person.email, name=person.name, language=person.language,
                                           municipality_code=person.municipality_code)
        rendered = TEMPLATES.render(template, recipient.language, event=event, recipient=recipient, now=utcnow())
        if store.add_notification(envelope=envelope, recipient=recipient, channel="email", rendered=rendered):
            self.db.after_commit(self.delivery.wake)

    # ------------------------------------------------------------------ operator API
    @route("GET", "/notifications/deliveries", roles=OPERATORS, query=DeliveryQuery, response=list[DeliveryOut])
    def list_deliveries(self, request, query: DeliveryQuery, principal):
        """Delivery log, newest first, filtered by status and event type."""
        store = NotificationStore(self.db)
        return [delivery_out(n) for n in store.deliveries(status=query.status, event_type=query.event_type,
                                                           limit=query.limit)]

    @route("GET", "/notifications/deliveries/<uuid:notification_id>", roles=OPERATORS,
           response=DeliveryDetailOut, errors=(404,))
    def get_delivery(self, request, notification_id, principal):
        """One notification with its text and every delivery attempt."""
        store = NotificationStore(self.db)
        notification = store.get(notification_id)
        return DeliveryDetailOut(
            **delivery_out(notification).model_dump(), body_text=notification.body_text,
            attempts_log=[AttemptOut(attempted_at=a.attempted_at, outcome=a.outcome, via=a.via, error=a.error)
                          for a in store.attempts(notification.id)],
        )


def delivery_out(n) -> DeliveryOut:
    return DeliveryOut(
        id=n.id, event_id=n.event_id, event_type=n.event_type, correlation_id=n.correlation_id,
        recipient_id=n.recipient_id, channel=n.channel, template=n.template, language=n.language, subject=n.subject,
        message_id=n.message_id, status=n.status, attempts=n.attempts, last_error=n.last_error,
        delivered_via=n.delivered_via, created_at=n.created_at, sent_at=n.sent_at,
    )
