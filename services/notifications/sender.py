"""The delivery loop: renders and sends due notifications outside any handler's transaction.

Handlers only store notifications (with their inbox row, atomically). This loop leases a batch of
due ones (short transaction, rendering those not rendered yet), sends them without holding a
transaction (e-mails over a few reused SMTP connections at once, webhooks), then records every
outcome and emits notification_sent/failed through the outbox (second short transaction). A crash
between sending and recording resends the same e-mail with the same Message-ID after the lease
expires. The same loop turns held notifications into each recipient's daily digest.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import eventlet
from eventlet.event import Event
from prometheus_client import Counter, Histogram

from services.notifications.delivery import Outgoing, Result, WebhookSender, mailer_for
from services.notifications.domain.identity import message_id, retry_delay
from services.notifications.domain.tokens import unsubscribe_token
from services.notifications.models import Notification, Recipient
from services.notifications.rendering import Rendered, TemplateLibrary
from services.notifications.store import NotificationStore
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.events import parse_event
from shared.events.notifications import NotificationFailed, NotificationSent
from shared.observability import ServiceGauges

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BATCH = 100
# Connections (or webhook calls) in flight at once per process: an SMTP round trip is mostly
# waiting, so one at a time would cap a process at a few dozen e-mails a second.
CONCURRENT_SENDS = 4
DIGEST_NAMESPACE = uuid.UUID("5b8f3f0e-4c55-4a43-9d7e-2f1c0f6a9d11")

NOTIFICATIONS_DELIVERED = Counter(
    "savivalda_notifications_total",
    "Notification outcomes by channel and template: sent, retrying, failed, suppressed, digested",
    ["service", "channel", "template", "outcome"],
)
NOTIFICATION_LATENCY = Histogram(
    "savivalda_notification_latency_seconds", "From the causing event's time to delivery",
    ["service", "channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400),
)


class Links:
    def __init__(self, public_url: str, secret: str):
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def unsubscribe(self, recipient_id: uuid.UUID, category: str) -> str:
        return f"{self.public_url}/notifications/unsubscribe?token={unsubscribe_token(self.secret, recipient_id, category)}"


class DeliveryLoop:
    def __init__(self, service: str, database_url: str, mailer, links: Links, on_events_emitted,
                 interval: float = 1.0, library: TemplateLibrary | None = None, webhooks: WebhookSender | None = None):
        self.service = service
        self.database_url = database_url
        self.mailer = mailer
        self.links = links
        self.library = library or TemplateLibrary()
        self.webhooks = webhooks or WebhookSender()
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

    def _uow(self, correlation_id: str = "delivery") -> UnitOfWork:
        return UnitOfWork(engine_for(self.database_url), self.service, correlation_id,
                          on_commit_with_events=self._on_events_emitted)

    def _loop(self):
        while self._running:
            try:
                self.run_digests()
                sent = self.run_once()
            except Exception:
                log.exception("delivery round failed", extra={"service": self.service})
                sent = 0
            if sent:
                continue
            self._wake.wait(timeout=self.interval)
            self._wake = Event()

    # ------------------------------------------------------------------ sending
    def run_once(self) -> int:
        now = utcnow()
        with self._uow() as uow:
            store = NotificationStore(uow)
            claimed = store.claim_due(BATCH, now)
            events: dict = {}
            work = [(n.id, n.channel, self._prepare(store, n, r, events, now), r.webhook_url, r.webhook_secret)
                    for n, r in claimed]
            uow.commit()
        if not work:
            return 0
        results: dict = {}
        emails = [(nid, outgoing) for nid, channel, outgoing, _, _ in work if channel == "email"]
        groups = [emails[i::CONCURRENT_SENDS] for i in range(CONCURRENT_SENDS)]
        pool = eventlet.GreenPool(CONCURRENT_SENDS * 2)
        for group in groups:
            if group:
                pool.spawn_n(self._send_emails, group, results)
        for nid, channel, outgoing, url, secret in work:
            if channel == "webhook":
                pool.spawn_n(self._send_webhook, nid, outgoing, url, secret, results)
        pool.waitall()
        self._record(results)
        return len(work)

    def _prepare(self, store: NotificationStore, notification: Notification, recipient: Recipient, events: dict,
                 now) -> Outgoing:
        """Render on first send (a fan-out to thousands stores rows fast; rendering happens here,
        in batches) and keep what was sent on the notification."""
        unsubscribe_url = self.links.unsubscribe(recipient.id, notification.category)
        if notification.subject is None:
            if notification.event_id not in events:
                body = store.event_body(notification.event_id)
                events[notification.event_id] = parse_event(body)[1] if body else None
            rendered = self.library.render(notification.template, recipient.language, recipient=recipient, now=now,
                                           event=events[notification.event_id], unsubscribe_url=unsubscribe_url)
            notification.subject, notification.body_text, notification.body_html = (
                rendered.subject, rendered.text, rendered.html)
            notification.language = rendered.language
        return Outgoing(
            to_name=recipient.name, to_address=recipient.email, message_id=notification.message_id,
            rendered=Rendered(notification.template, notification.language, notification.subject,
                              notification.body_text, notification.body_html),
            event_id=str(notification.event_id), event_type=notification.event_type, unsubscribe_url=unsubscribe_url,
        )

    def _send_emails(self, group: list, results: dict) -> None:
        try:
            outcomes = self.mailer.send_many([outgoing for _, outgoing in group])
        except Exception as error:  # an unexpected failure is retried like a transient one
            outcomes = [Result(error=f"{type(error).__name__}: {error}")] * len(group)
        for (nid, _), outcome in zip(group, outcomes):
            results[nid] = outcome

    def _send_webhook(self, nid, outgoing: Outgoing, url: str, secret: str, results: dict) -> None:
        payload = {
            "notification_id": str(nid), "event_id": outgoing.event_id, "event_type": outgoing.event_type,
            "template": outgoing.rendered.template, "language": outgoing.rendered.language,
            "subject": outgoing.rendered.subject, "text": outgoing.rendered.text,
        }
        results[nid] = self.webhooks.send(url, secret or "", payload, idempotency_key=outgoing.message_id)

    def _record(self, results: dict) -> None:
        with self._uow() as uow:
            store = NotificationStore(uow)
            now = utcnow()
            notifications = store.by_ids(list(results))
            for nid, result in results.items():
                notification = notifications[nid]
                # The events this emits continue the story of the event that caused the notification.
                uow.correlation_id = notification.correlation_id
                notification.attempts += 1
                notification.lease_until = None
                store.record_attempt(notification, outcome="sent" if result.ok else "failed", via=result.via,
                                     error=result.error)
                with uow.session.no_autoflush:  # one flush at commit, not one per outbox insert
                    outcome = self._settle(uow, notification, result, now)
                NOTIFICATIONS_DELIVERED.labels(self.service, notification.channel, notification.template, outcome).inc()
            uow.commit()

    def _settle(self, uow: UnitOfWork, notification: Notification, result: Result, now) -> str:
        if result.ok:
            notification.status, notification.sent_at, notification.delivered_via = "sent", now, result.via
            notification.last_error = None
            uow.emit(NotificationSent(
                notification_id=notification.id, cause_event_id=notification.event_id,
                cause_event_type=notification.event_type, recipient_id=notification.recipient_id,
                channel=notification.channel, template=notification.template, language=notification.language,
                sent_at=now, attempts=notification.attempts), subject=str(notification.id))
            NOTIFICATION_LATENCY.labels(self.service, notification.channel).observe(
                max(0.0, (now - notification.event_time).total_seconds()))
            return "sent"
        notification.last_error = result.error
        if result.permanent and notification.channel == "email":
            # A refused address is a bounce: no more e-mail to it until someone corrects it.
            recipient = uow.session.get(Recipient, notification.recipient_id)
            recipient.bounced_at = recipient.bounced_at or now
        if result.permanent or notification.attempts >= MAX_ATTEMPTS:
            notification.status = "failed"
            uow.emit(NotificationFailed(
                notification_id=notification.id, cause_event_id=notification.event_id,
                cause_event_type=notification.event_type, recipient_id=notification.recipient_id,
                channel=notification.channel, template=notification.template, error=(result.error or "")[:1000],
                attempts=notification.attempts), subject=str(notification.id))
            log.warning("notification failed for good: %s", result.error,
                        extra={"notification_id": str(notification.id), "correlation_id": notification.correlation_id})
            return "failed"
        notification.status = "pending"
        notification.next_attempt_at = now + timedelta(seconds=retry_delay(notification.attempts))
        log.info("notification delivery failed, will retry: %s", result.error,
                 extra={"notification_id": str(notification.id), "correlation_id": notification.correlation_id})
        return "retrying"

    # ------------------------------------------------------------------ digests
    def run_digests(self) -> int:
        """Turn each recipient's due held notifications into one digest e-mail."""
        made = 0
        now = utcnow()
        with self._uow() as uow:
            due = NotificationStore(uow).due_digests(now)
        for recipient_id in due:
            with self._uow() as uow:
                store = NotificationStore(uow)
                held = store.held_for(recipient_id, now)
                if not held:
                    continue
                recipient = store.recipient(recipient_id)
                events: dict = {}
                items = []
                for notification in held:
                    outgoing = self._prepare(store, notification, recipient, events, now)
                    items.append({"subject": outgoing.rendered.subject, "text": outgoing.rendered.text})
                digest_event = uuid.uuid5(DIGEST_NAMESPACE, f"{recipient_id}:{now.date().isoformat()}:{held[0].id}")
                unsubscribe_url = self.links.unsubscribe(recipient.id, "all")
                rendered = self.library.render("daily_digest", recipient.language, recipient=recipient, now=now,
                                               items=items, unsubscribe_url=unsubscribe_url)
                digest = Notification(
                    id=uuid.uuid4(), event_id=digest_event, event_type="notifications.daily_digest", event_time=now,
                    correlation_id=f"digest-{recipient_id}", recipient_id=recipient_id, channel="email",
                    template="daily_digest", category="digest", critical=False, language=rendered.language,
                    subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                    message_id=message_id(str(digest_event), str(recipient_id), "email"), status="pending", attempts=0,
                    next_attempt_at=now, created_at=now)
                uow.session.add(digest)
                for notification in held:
                    notification.status, notification.digest_id = "digested", digest.id
                    NOTIFICATIONS_DELIVERED.labels(self.service, "email", notification.template, "digested").inc()
                uow.commit()
                made += 1
        return made

    def gauges(self):
        from sqlalchemy import func, select

        with self._uow() as uow:
            rows = uow.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
        counts = {status: 0 for status in ("pending", "sending", "sent", "failed", "held", "digested", "suppressed")}
        counts.update(dict(rows))
        for status, value in counts.items():
            yield ("savivalda_notifications", "Notifications stored, by delivery status",
                   {"service": self.service, "status": status}, float(value))


class Delivery(ServiceGauges):
    """Runs the delivery loop in the service's process; injects it so handlers can wake it. Its
    notifications by status are a gauge."""

    key = "notifications"

    def setup(self):
        super().setup()
        settings, service = self.settings, self.service
        self.loop = DeliveryLoop(service, settings.database_url(service), mailer_for(settings),
                                 Links(settings.public_url, settings.auth_secret), on_events_emitted=self._wake_relay,
                                 webhooks=WebhookSender(allowed_hosts=settings.webhook_allowed_hosts))

    def _wake_relay(self):
        from shared.persistence.provider import OutboxRelay

        for extension in self.container.extensions:
            if isinstance(extension, OutboxRelay):
                extension.relay.wake()

    def start(self):
        self.loop.start()
        super().start()

    def stop(self):
        super().stop()
        self.loop.stop()

    def get_dependency(self, worker_ctx):
        return self.loop

    def samples(self):
        return self.loop.gauges()
