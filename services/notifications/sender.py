"""The delivery loop: sends due notifications outside any handler's transaction.

Handlers only store notifications (with their inbox row, atomically). This loop leases due ones
(short transaction), sends them without holding a transaction, then records the outcome and
emits notification_sent/failed through the outbox (second short transaction). A crash between
sending and recording resends the same e-mail with the same Message-ID after the lease expires.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.notifications.delivery import DeliveryError, Outgoing, mailer_for
from services.notifications.domain.identity import retry_delay
from services.notifications.rendering import Rendered
from services.notifications.store import NotificationStore
from shared.db import UnitOfWork, engine_for, utcnow
from shared.events.notifications import NotificationFailed, NotificationSent
from prometheus_client import Counter, Histogram
from shared.observability import SCRAPE_GAUGES

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BATCH = 50
# Sends in flight at once per process: one SMTP round trip takes milliseconds of waiting on the
# network, so sending one at a time caps a process at a few dozen e-mails a second.
CONCURRENT_SENDS = 8

NOTIFICATIONS_DELIVERED = Counter(
    "savivalda_notifications_total", "Notification delivery outcomes by channel and template",
    ["service", "channel", "template", "outcome"],
)
NOTIFICATION_LATENCY = Histogram(
    "savivalda_notification_latency_seconds", "From the causing event's time to delivery",
    ["service", "channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)


class DeliveryLoop:
    def __init__(self, service: str, database_url: str, mailer, on_events_emitted, interval: float = 1.0):
        self.service = service
        self.database_url = database_url
        self.mailer = mailer
        self.interval = interval
        self._on_events_emitted = on_events_emitted
        self._wake = Event()
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = eventlet.spawn(self._loop)

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(engine_for(self.database_url), self.service, "delivery",
                          on_commit_with_events=self._on_events_emitted)

    def _loop(self):
        while self._running:
            try:
                sent = self.run_once()
            except Exception:
                log.exception("delivery round failed")
                sent = 0
            if sent:
                continue
            self._wake.wait(timeout=self.interval)
            self._wake = Event()

    def run_once(self) -> int:
        with self._uow() as uow:
            claimed = NotificationStore(uow).claim_due(BATCH, utcnow())
            work = [(n.id, Outgoing(to_name=r.name, to_address=r.email, message_id=n.message_id,
                                    rendered=Rendered(n.template, n.language, n.subject, n.body_text, n.body_html),
                                    event_id=str(n.event_id), event_type=n.event_type))
                    for n, r in claimed]
            uow.commit()
        pool = eventlet.GreenPool(CONCURRENT_SENDS)
        for notification_id, outgoing in work:
            pool.spawn_n(self._deliver, notification_id, outgoing)
        pool.waitall()
        return len(work)

    def _deliver(self, notification_id, outgoing: Outgoing) -> None:
        via, error, permanent = None, None, False
        try:
            via = self.mailer.send(outgoing)
        except DeliveryError as failure:
            error, permanent = str(failure), failure.permanent
        except Exception as failure:  # an unexpected failure is retried like a transient one
            error = f"{type(failure).__name__}: {failure}"
        with self._uow() as uow:
            store = NotificationStore(uow)
            notification = store.get(notification_id)
            # The events this emits continue the story of the event that caused the notification.
            uow.correlation_id = notification.correlation_id
            notification.attempts += 1
            notification.lease_until = None
            now = utcnow()
            store.record_attempt(notification, outcome="sent" if error is None else "failed", via=via, error=error)
            if error is None:
                notification.status, notification.sent_at, notification.delivered_via = "sent", now, via
                notification.last_error = None
                uow.emit(NotificationSent(
                    notification_id=notification.id, cause_event_id=notification.event_id,
                    cause_event_type=notification.event_type, recipient_id=notification.recipient_id,
                    channel=notification.channel, template=notification.template, language=notification.language,
                    sent_at=now, attempts=notification.attempts), subject=str(notification.id))
                NOTIFICATION_LATENCY.labels(self.service, notification.channel).observe(
                    max(0.0, (now - notification.event_time).total_seconds()))
                outcome = "sent"
                log.info("notification sent via %s", via, extra={
                    "service": self.service, "notification_id": str(notification.id),
                    "correlation_id": notification.correlation_id, "event_id": str(notification.event_id)})
            elif permanent or notification.attempts >= MAX_ATTEMPTS:
                notification.status, notification.last_error = "failed", error
                uow.emit(NotificationFailed(
                    notification_id=notification.id, cause_event_id=notification.event_id,
                    cause_event_type=notification.event_type, recipient_id=notification.recipient_id,
                    channel=notification.channel, template=notification.template, error=error[:1000],
                    attempts=notification.attempts), subject=str(notification.id))
                outcome = "failed"
                log.warning("notification failed for good: %s", error, extra={"notification_id": str(notification.id)})
            else:
                notification.status, notification.last_error = "pending", error
                notification.next_attempt_at = now + timedelta(seconds=retry_delay(notification.attempts))
                outcome = "retrying"
                log.info("notification delivery failed, will retry: %s", error,
                         extra={"notification_id": str(notification.id)})
            NOTIFICATIONS_DELIVERED.labels(self.service, notification.channel, notification.template, outcome).inc()
            uow.commit()

    def gauges(self):
        from sqlalchemy import func, select

        from services.notifications.models import Notification

        with self._uow() as uow:
            rows = uow.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        counts = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
        counts.update(dict(rows))
        for status, value in counts.items():
            yield ("savivalda_notifications", "Notifications stored, by delivery status",
                   {"service": self.service, "status": status}, float(value))


class Delivery(DependencyProvider):
    """Runs the delivery loop in the service's process; injects it so handlers can wake it."""

    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        service = self.container.service_name
        self.loop = DeliveryLoop(service, settings.database_url(service), mailer_for(settings),
                                 on_events_emitted=self._wake_relay)

    def _wake_relay(self):
        from shared.database import OutboxRelay

        for extension in self.container.extensions:
            if isinstance(extension, OutboxRelay):
                extension.relay.wake()

    def start(self):
        self.loop.start()
        SCRAPE_GAUGES.add(f"notifications:{self.container.service_name}", self.loop.gauges)

    def stop(self):
        SCRAPE_GAUGES.remove(f"notifications:{self.container.service_name}")
        self.loop.stop()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.loop
