"""A delivery round: renders and sends due notifications outside any handler's transaction.

Handlers only store notifications (with their inbox row, atomically). A round leases a batch of
due ones (short transaction, rendering those not rendered yet), sends them without holding a
transaction (e-mails over a few reused SMTP connections at once, webhooks: services/notifications/
delivery.py), then records every outcome and emits notification_sent/failed through the outbox
(second short transaction). A crash between sending and recording resends the same e-mail with
the same Message-ID after the lease expires. Held notifications become each recipient's daily
digest the same way. The loop that runs rounds (and the nameko dependency that starts it) is in
services/notifications/sender.py.
"""

from __future__ import annotations

import logging
import uuid
from typing import Callable

import eventlet

from services.notifications.delivery import Outgoing, Result, WebhookSender
from services.notifications.domain.identity import message_id
from services.notifications.domain.outcomes import MAX_ATTEMPTS, after_failure
from services.notifications.domain.tokens import unsubscribe_token
from services.notifications.metrics import NOTIFICATION_LATENCY, NOTIFICATIONS_DELIVERED
from services.notifications.models import Notification, Recipient
from services.notifications.rendering import Rendered, TemplateLibrary
from services.notifications.repository import NotificationsRepository
from shared.events import parse_event
from shared.events.notifications import NotificationFailed, NotificationSent
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["BATCH", "CONCURRENT_SENDS", "DIGEST_NAMESPACE", "MAX_ATTEMPTS", "DeliveryRound", "Links"]

BATCH = 100
# Connections (or webhook calls) in flight at once per process: an SMTP round trip is mostly
# waiting, so one at a time would cap a process at a few dozen e-mails a second.
CONCURRENT_SENDS = 4
DIGEST_NAMESPACE = uuid.UUID("5b8f3f0e-4c55-4a43-9d7e-2f1c0f6a9d11")


class Links:
    def __init__(self, public_url: str, secret: str):
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def unsubscribe(self, recipient_id: uuid.UUID, category: str) -> str:
        return f"{self.public_url}/notifications/unsubscribe?token={unsubscribe_token(self.secret, recipient_id, category)}"


class DeliveryRound:
    """Sends what is due and makes the digests that are due. `units()` gives a new UnitOfWork
    (one per short transaction); `mailer` sends e-mails (`send_many`), `webhooks` webhooks."""

    def __init__(self, service: str, units: Callable[[], UnitOfWork], mailer, links: Links,
                 library: TemplateLibrary | None = None, webhooks: WebhookSender | None = None):
        self.service = service
        self.units = units
        self.mailer = mailer
        self.links = links
        self.library = library or TemplateLibrary()
        self.webhooks = webhooks or WebhookSender()

    # ------------------------------------------------------------------ sending
    def run_once(self) -> int:
        """Lease, send and record one batch; how many notifications it took."""
        now = utcnow()
        with self.units() as uow:
            repo = NotificationsRepository(uow)
            claimed = repo.claim_due(BATCH, now)
            events: dict = {}
            work = [(n.id, n.channel, self._prepare(repo, n, r, events, now), r.webhook_url, r.webhook_secret)
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

    def _prepare(self, repo: NotificationsRepository, notification: Notification, recipient: Recipient,
                 events: dict, now) -> Outgoing:
        """Render on first send (a fan-out to thousands stores rows fast; rendering happens here,
        in batches) and keep what was sent on the notification."""
        unsubscribe_url = self.links.unsubscribe(recipient.id, notification.category)
        if notification.subject is None:
            if notification.event_id not in events:
                body = repo.event_body(notification.event_id)
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
        with self.units() as uow:
            repo = NotificationsRepository(uow)
            now = utcnow()
            notifications = repo.by_ids(list(results))
            for nid, result in results.items():
                notification = notifications[nid]
                # The events this emits continue the story of the event that caused the notification.
                uow.correlation_id = notification.correlation_id
                notification.attempts += 1
                notification.lease_until = None
                repo.record_attempt(notification, outcome="sent" if result.ok else "failed", via=result.via,
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
        after = after_failure(permanent=result.permanent, channel=notification.channel,
                              attempts=notification.attempts, now=now)
        if after.bounced:
            # A refused address is a bounce: no more e-mail to it until someone corrects it.
            recipient = uow.session.get(Recipient, notification.recipient_id)
            recipient.bounced_at = recipient.bounced_at or now
        if after.outcome == "failed":
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
        notification.next_attempt_at = after.retry_at
        log.info("notification delivery failed, will retry: %s", result.error,
                 extra={"notification_id": str(notification.id), "correlation_id": notification.correlation_id})
        return "retrying"

    # ------------------------------------------------------------------ digests
    def run_digests(self) -> int:
        """Turn each recipient's due held notifications into one digest e-mail."""
        made = 0
        now = utcnow()
        with self.units() as uow:
            due = NotificationsRepository(uow).due_digests(now)
        for recipient_id in due:
            with self.units() as uow:
                repo = NotificationsRepository(uow)
                held = repo.held_for(recipient_id, now)
                if not held:
                    continue
                recipient = repo.recipient(recipient_id)
                events: dict = {}
                items = []
                for notification in held:
                    outgoing = self._prepare(repo, notification, recipient, events, now)
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
