"""A delivery round: renders and sends due notifications outside any handler's transaction.

Handlers only store notifications (with their inbox row, atomically). A round leases a batch of
due ones under a lease id of its own (short transaction, rendering those not rendered yet) and
sends them without holding a transaction (e-mails over a few reused SMTP connections at once,
webhooks: services/notifications/delivery.py). While it sends, a heartbeat renews the short lease
(repository.LEASE), so a slow batch keeps its claims and a dead sender's expire within seconds.
Each outcome is recorded as soon as it is known (with notification_sent/failed through the
outbox), in a short transaction that only touches notifications still leased under this round's
lease id and still `sending`: one suppressed meanwhile (an erasure) or claimed by another sender
after the lease expired is left as it is. Outcomes the database does not take (it restarts) are
kept in memory and recorded again with backoff until it answers; a sent notification is never
sent again because its record is late. What remains: a process that dies between an SMTP server's
"250" and the record's commit (milliseconds per e-mail) leaves that e-mail to be sent again, with
the same Message-ID, once its lease expires (docs/notifications.md "Delivery guarantees"); a
connection sends its next e-mail only once the previous outcome is committed, so that is at most
one e-mail per connection (CONCURRENT_SENDS per process) however slow the database is (the fault
drill found 8 for one process of 4 connections before). The connections share the commits: the
recorder writes every outcome reported while the previous commit ran in one transaction (a group
commit; on PostgreSQL the e-mails sent are one statement), so more connections make bigger groups,
not more commits. While a full batch is sent the loop claims and renders the next one
(`prefetch`). Held notifications become each recipient's daily digest the same way. The loop that runs rounds (and
the nameko dependency that starts it) is in services/notifications/sender.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from eventlet.semaphore import Semaphore
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, text, update

from services.notifications.delivery import Outgoing, Result, WebhookSender
from services.notifications.domain.identity import message_id
from services.notifications.domain.outcomes import MAX_ATTEMPTS, after_failure
from services.notifications.domain.tokens import unsubscribe_token
from services.notifications.metrics import NOTIFICATION_LATENCY, NOTIFICATIONS_DELIVERED
from services.notifications.models import DeliveryAttempt, Notification, Recipient
from services.notifications.rendering import Rendered, TemplateLibrary
from services.notifications.repository import LEASE, NotificationsRepository
from shared.events import new_envelope, parse_event
from shared.events.notifications import NotificationFailed, NotificationSent
from shared.persistence.schema import OUTBOX, utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["BATCH", "CONCURRENT_SENDS", "DIGEST_NAMESPACE", "MAX_ATTEMPTS", "DeliveryRound", "Links"]

BATCH = 100
# Connections (or webhook calls) in flight at once per process: an SMTP round trip, and the wait
# for the outcome's commit before a connection's next e-mail, are mostly waiting, so few would cap a
# process at a few dozen e-mails a second (4 gave ~40/s on a loaded machine). Also the bound on the
# e-mails in doubt when the process is killed (one per connection; docs/reliability.md).
CONCURRENT_SENDS = 16
DIGEST_NAMESPACE = uuid.UUID("5b8f3f0e-4c55-4a43-9d7e-2f1c0f6a9d11")
# The heartbeat renews a batch's leases this often: several renewals fit in one lease, so one
# slow or failed renewal does not lose the claims.
HEARTBEAT_SECONDS = LEASE.total_seconds() / 4
# Waits between attempts to record outcomes the database refused (then RECORD_BACKOFF[-1] each).
RECORD_BACKOFF = (0.1, 0.2, 0.5, 1.0)
# When the process is stopping, outcomes that still cannot be recorded after this long are given
# up (logged); their notifications are sent again, same Message-ID, once their leases expire.
GIVE_UP_WHEN_STOPPING_SECONDS = 10.0
# What a database that restarts, refuses connections or drops them raises: worth trying again.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)


# The record of sent e-mails on PostgreSQL (DeliveryRound._record_sent_in_one_statement): only rows
# still sending under this round's lease token are taken; their attempts and events follow them.
RECORD_SENT = """
WITH input AS (
    SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:vias AS text[]), CAST(:event_ids AS uuid[]),
                         CAST(:correlations AS text[]), CAST(:bodies AS text[]))
        WITH ORDINALITY AS t(id, via, event_id, correlation_id, body, position)
), taken AS (
    UPDATE notifications AS n
       SET status = 'sent', sent_at = :now, delivered_via = input.via, last_error = NULL,
           attempts = n.attempts + 1, lease_until = NULL, lease_token = NULL
      FROM input
     WHERE n.id = input.id AND n.lease_token = CAST(:token AS uuid) AND n.status = 'sending'
    RETURNING n.id, n.channel, n.template, n.event_time
), attempts AS (
    INSERT INTO delivery_attempts (notification_id, attempted_at, outcome, via, error)
    SELECT taken.id, :now, 'sent', input.via, NULL FROM taken JOIN input ON input.id = taken.id
), events AS (
    INSERT INTO outbox (event_id, event_type, exchange, routing_key, correlation_id, body, created_at)
    SELECT input.event_id, :event_type, :exchange, :routing_key, input.correlation_id, input.body, :now
      FROM taken JOIN input ON input.id = taken.id ORDER BY input.position
)
SELECT id, channel, template, event_time FROM taken
"""


# A claimed batch's leases and rendered texts (rows locked by the claim, in the same transaction).
STORE_CLAIMED = """
UPDATE notifications AS n
   SET status = 'sending', lease_until = :until, lease_token = CAST(:token AS uuid), subject = v.subject,
       body_text = v.body_text, body_html = v.body_html, language = v.language
  FROM unnest(CAST(:ids AS uuid[]), CAST(:subjects AS text[]), CAST(:texts AS text[]), CAST(:htmls AS text[]),
              CAST(:languages AS text[])) AS v(id, subject, body_text, body_html, language)
 WHERE n.id = v.id
"""


@dataclass(frozen=True)
class SentRow:
    id: uuid.UUID
    channel: str
    template: str
    event_time: object


def database_unavailable(error: BaseException | None) -> bool:
    """The error, or one it was raised from (e.g. a commit whose outcome is unknown because the
    connection died during COMMIT), is the database being away. Recording again is safe either
    way: a record that did commit left nothing still leased under its lease id."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DATABASE_UNAVAILABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


class Links:
    def __init__(self, public_url: str, secret: str):
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def unsubscribe(self, recipient_id: uuid.UUID, category: str) -> str:
        return f"{self.public_url}/notifications/unsubscribe?token={unsubscribe_token(self.secret, recipient_id, category)}"


@dataclass(frozen=True)
class Claimed:
    event_id: uuid.UUID
    event_type: str
    event_time: object
    correlation_id: str
    recipient_id: uuid.UUID
    channel: str
    template: str
    language: str
    attempts: int


class DeliveryRound:
    """Sends what is due and makes the digests that are due. `units()` gives a new UnitOfWork
    (one per short transaction); `mailer` sends e-mails (`send_many`), `webhooks` webhooks."""

    def __init__(self, service: str, units: Callable[[], UnitOfWork], mailer, links: Links,
                 library: TemplateLibrary | None = None, webhooks: WebhookSender | None = None,
                 on_events: Callable[[], None] | None = None):
        self.service = service
        # Called after a commit that put events in the outbox by its own statement (wakes the relay).
        self.on_events = on_events
        self.units = units
        self.mailer = mailer
        self.links = links
        self.library = library or TemplateLibrary()
        self.webhooks = webhooks or WebhookSender()
        # Set when the process stops: outcomes the database still refuses are then given up
        # after GIVE_UP_WHEN_STOPPING_SECONDS instead of being retried for ever.
        self.stopping = False
        # What the batches' notifications were when claimed (their outcome's event is built from
        # it): only this sender changes them while it holds their lease.
        self._claimed: dict[uuid.UUID, Claimed] = {}
        # Claim the next batch while a full one is sent (the delivery loop sets it; release_next
        # gives such a batch back when the process stops).
        self.prefetch = False
        self._next = None
        # The connections this process sends over at once: each group holds one while it sends,
        # and sends its next e-mail only once the previous outcome is committed, so at most this
        # many e-mails are in doubt at a SIGKILL. A relay that allows fewer connections per client
        # says so (SAVIVALDA_SMTP_URL ?connections=).
        self.connections = min(CONCURRENT_SENDS, getattr(mailer, "connections", None) or CONCURRENT_SENDS)
        self._slots = Semaphore(self.connections)

    # ------------------------------------------------------------------ sending
    def run_once(self) -> int:
        """Lease, send and record one batch; how many notifications it took. With `prefetch` (the
        delivery loop sets it) a full batch's successor is claimed and rendered while the batch is
        sent, under its own lease and heartbeat, and the next call sends it at once: the claim
        (a transaction and rendering every e-mail, a fifth of a fan-out's time) no longer leaves the
        connections idle between batches."""
        batch, self._next = self._next or self._claim(), None
        if batch is None:
            return 0
        work, lease = batch
        try:
            emails = [(nid, outgoing) for nid, channel, outgoing, _, _ in work if channel == "email"]
            senders = self.connections
            groups = [emails[i::senders] for i in range(senders)]
            pool = eventlet.GreenPool(CONCURRENT_SENDS * 2)
            for group in groups:
                if group:
                    pool.spawn_n(self._send_emails, group, lease.report, lease.wait_recorded)
            for nid, channel, outgoing, url, secret in work:
                if channel == "webhook":
                    pool.spawn_n(self._send_webhook, nid, outgoing, url, secret, lease.report)
            if self.prefetch and len(work) >= BATCH and not self.stopping:
                try:
                    self._next = self._claim()
                except Exception:  # the next round claims again
                    log.exception("claiming the next delivery batch failed", extra={"service": self.service})
            pool.waitall()
        finally:
            lease.finish()
            for nid, *_ in work:
                self._claimed.pop(nid, None)
        return len(work)

    def release_next(self) -> None:
        """Give back a batch claimed ahead and not sent (the process stops): its notifications are
        due again at once, for this or another replica (nothing of it was sent)."""
        batch, self._next = self._next, None
        if batch is None:
            return
        work, lease = batch
        lease.abandon()
        ids = [nid for nid, *_ in work]
        with self.units() as uow:
            NotificationsRepository(uow).release_leases(ids, lease.token)
            uow.commit()
        for nid in ids:
            self._claimed.pop(nid, None)

    def _claim(self):
        """Lease a batch of due notifications and render them (one short transaction); (work, its
        started LeasedBatch) or None when nothing is due."""
        now = utcnow()
        token = uuid.uuid4()
        with self.units() as uow:
            repo = NotificationsRepository(uow)
            claimed = repo.claim_due(BATCH, now, token)
            events: dict = {}
            with uow.session.no_autoflush:  # the claimed rows are written once, below or at commit
                work = [(n.id, n.channel, self._prepare(repo, n, r, events, now), r.webhook_url, r.webhook_secret)
                        for n, r in claimed]
            claimed_facts = {n.id: Claimed(n.event_id, n.event_type, n.event_time, n.correlation_id, n.recipient_id,
                                           n.channel, n.template, n.language, n.attempts) for n, _ in claimed}
            if claimed and uow.dialect == "postgresql":
                # one statement for the batch's leases and rendered texts, not an UPDATE per row
                notifications = [n for n, _ in claimed]
                uow.session.expunge_all()
                uow.session.execute(text(STORE_CLAIMED), {
                    "ids": [str(n.id) for n in notifications], "subjects": [n.subject for n in notifications],
                    "texts": [n.body_text for n in notifications], "htmls": [n.body_html for n in notifications],
                    "languages": [n.language for n in notifications], "until": now + LEASE, "token": str(token)})
            uow.commit()
        if not work:
            return None
        self._claimed.update(claimed_facts)
        lease = LeasedBatch(self, token, [nid for nid, *_ in work])
        lease.start()
        return work, lease

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

    def _send_emails(self, group: list, report: Callable[[uuid.UUID, Result], None],
                     recorded: Callable[[uuid.UUID], None] | None = None, slot: bool = True) -> None:
        """Send a group over one connection, holding one of the process's connection slots."""
        if slot:
            with self._slots:
                return self._send_emails(group, report, recorded, slot=False)
        reported: set[int] = set()

        def each(index: int, result: Result) -> None:
            reported.add(index)
            report(group[index][0], result)
            if recorded is not None:
                # The connection sends its next e-mail only once this outcome is committed: were
                # the process to die now, at most this one e-mail per connection would go again.
                recorded(group[index][0])

        try:
            outcomes = self.mailer.send_many([outgoing for _, outgoing in group], on_result=each)
        except Exception as error:  # an unexpected failure is retried like a transient one
            outcomes = [Result(error=f"{type(error).__name__}: {error}")] * len(group)
        for index, ((nid, _), outcome) in enumerate(zip(group, outcomes)):
            if index not in reported:
                report(nid, outcome)

    def _send_webhook(self, nid, outgoing: Outgoing, url: str, secret: str,
                      report: Callable[[uuid.UUID, Result], None]) -> None:
        payload = {
            "notification_id": str(nid), "event_id": outgoing.event_id, "event_type": outgoing.event_type,
            "template": outgoing.rendered.template, "language": outgoing.rendered.language,
            "subject": outgoing.rendered.subject, "text": outgoing.rendered.text,
        }
        try:
            result = self.webhooks.send(url, secret or "", payload, idempotency_key=outgoing.message_id)
        except Exception as error:  # an unexpected failure is retried like a transient one
            result = Result(error=f"{type(error).__name__}: {error}")
        report(nid, result)

    def record(self, results: dict, token: uuid.UUID) -> list[uuid.UUID]:
        """Record these outcomes in one transaction, only for notifications still leased under
        `token` and still `sending` (never over a suppression, another sender's outcome or itself
        twice); raises if the database fails (the caller keeps the outcomes and tries again).
        Returns the ids it left alone.

        Those sent (nearly all) take three statements whatever their number: one conditional
        UPDATE per relay that took them (`... WHERE id IN (...) AND lease_token = :token AND status
        = 'sending' RETURNING ...`: the rows it returns are the ones this sender still held), one
        multi-row INSERT of their attempts and one of their notification_sent events. Failures go
        through the ORM (retry schedule, bounces, notification_failed)."""
        done, skipped = [], []
        sent = {nid: result for nid, result in results.items() if result.ok}
        failed = {nid: result for nid, result in results.items() if not result.ok}
        with self.units() as uow:
            repo = NotificationsRepository(uow)
            now = utcnow()
            if sent:
                recorded = self._record_sent(uow, sent, token, now)
                done += [(row.channel, row.template, "sent", row.event_time) for row in recorded]
                skipped += [nid for nid in sent if nid not in {row.id for row in recorded}]
            held = repo.leased(list(failed), token) if failed else {}
            for nid, result in failed.items():
                notification = held.get(nid)
                if notification is None:
                    skipped.append(nid)
                    continue
                # The events this emits continue the story of the event that caused the notification.
                uow.correlation_id = notification.correlation_id
                notification.attempts += 1
                notification.lease_until, notification.lease_token = None, None
                repo.record_attempt(notification, outcome="sent" if result.ok else "failed", via=result.via,
                                    error=result.error)
                with uow.session.no_autoflush:  # one flush at commit, not one per outbox insert
                    outcome = self._settle(uow, notification, result, now)
                done.append((notification.channel, notification.template, outcome, notification.event_time))
            uow.commit()
        for channel, template, outcome, event_time in done:  # counted once committed, not per try
            NOTIFICATIONS_DELIVERED.labels(self.service, channel, template, outcome).inc()
            if outcome == "sent":
                NOTIFICATION_LATENCY.labels(self.service, channel).observe(max(0.0, (now - event_time).total_seconds()))
        for nid in skipped:
            log.warning("delivery outcome not recorded: the notification is no longer leased to this sender "
                        "(suppressed, already recorded, or claimed again after the lease expired)",
                        extra={"notification_id": str(nid), "outcome": "sent" if results[nid].ok else "failed"})
        return skipped

    def _record_sent(self, uow: UnitOfWork, sent: dict, token: uuid.UUID, now) -> list:
        if uow.dialect == "postgresql" and all(nid in self._claimed for nid in sent):
            return self._record_sent_in_one_statement(uow, sent, token, now)
        table, attempts = Notification.__table__, DeliveryAttempt.__table__
        by_via: dict = {}
        for nid, result in sent.items():
            by_via.setdefault(result.via, []).append(nid)
        rows = []
        for via, ids in by_via.items():
            rows += uow.session.execute(
                update(table)
                .where(table.c.id.in_(ids), table.c.lease_token == token, table.c.status == "sending")
                .values(status="sent", sent_at=now, delivered_via=via, last_error=None, attempts=table.c.attempts + 1,
                        lease_until=None, lease_token=None)
                .returning(table.c.id, table.c.event_id, table.c.event_type, table.c.event_time,
                           table.c.correlation_id, table.c.recipient_id, table.c.channel, table.c.template,
                           table.c.language, table.c.attempts, table.c.delivered_via)).all()
        if not rows:
            return rows
        uow.session.execute(insert(attempts).values([
            {"notification_id": row.id, "attempted_at": now, "outcome": "sent", "via": row.delivered_via, "error": None}
            for row in rows]))
        # The events this emits continue the story of the event that caused the notification.
        events = [self._outbox_row(uow, NotificationSent(
            notification_id=row.id, cause_event_id=row.event_id, cause_event_type=row.event_type,
            recipient_id=row.recipient_id, channel=row.channel, template=row.template, language=row.language,
            sent_at=now, attempts=row.attempts), correlation_id=row.correlation_id, subject=str(row.id), now=now)
            for row in rows]
        uow.session.execute(insert(OUTBOX).values(events))
        return rows

    def _outbox_row(self, uow: UnitOfWork, data, *, correlation_id: str, subject: str, now) -> dict:
        """An event the caller's own statement puts in the outbox in this transaction: its row's
        values. Counted as emitted (published only if the transaction commits; the relay is woken
        after the commit)."""
        envelope = new_envelope(data, source=f"savivalda/{self.service}", correlation_id=correlation_id,
                                subject=subject)
        uow.emitted.append(envelope)
        if self.on_events is not None and not uow.emitted[:-1]:
            uow.after_commit(self.on_events)
        return {"event_id": envelope.id, "event_type": envelope.type, "exchange": envelope.exchange,
                "routing_key": envelope.routing_key, "correlation_id": envelope.correlationid,
                "body": json.dumps(envelope.to_wire(), ensure_ascii=False), "created_at": now}

    def _record_sent_in_one_statement(self, uow: UnitOfWork, sent: dict, token: uuid.UUID, now) -> list:
        """PostgreSQL: the conditional UPDATE, the attempts and the notification_sent events in one
        statement (a round trip and the COMMIT, whatever the number): the events are built from what
        the notifications were when claimed, and inserted only for the rows the UPDATE took."""
        ids, vias, event_ids, correlations, bodies = [], [], [], [], []
        routing = None
        for nid, result in sent.items():
            facts = self._claimed[nid]
            row = self._outbox_row(uow, NotificationSent(
                notification_id=nid, cause_event_id=facts.event_id, cause_event_type=facts.event_type,
                recipient_id=facts.recipient_id, channel=facts.channel, template=facts.template,
                language=facts.language, sent_at=now, attempts=facts.attempts + 1),
                correlation_id=facts.correlation_id, subject=str(nid), now=now)
            routing = (row["event_type"], row["exchange"], row["routing_key"])
            ids.append(nid)
            vias.append(result.via)
            event_ids.append(row["event_id"])
            correlations.append(row["correlation_id"])
            bodies.append(row["body"])
        event_type, exchange, routing_key = routing
        rows = uow.session.execute(text(RECORD_SENT), {
            "ids": [str(i) for i in ids], "vias": vias, "event_ids": [str(e) for e in event_ids],
            "correlations": correlations, "bodies": bodies, "now": now, "token": str(token),
            "event_type": event_type, "exchange": exchange, "routing_key": routing_key}).all()
        if len(rows) < len(ids):  # some were no longer this sender's: their events must not stay
            uow.emitted[:] = [e for e in uow.emitted if e.id not in set(event_ids)]
        return [SentRow(id=uuid.UUID(str(row.id)), channel=row.channel, template=row.template,
                        event_time=row.event_time) for row in rows]

    def _settle(self, uow: UnitOfWork, notification: Notification, result: Result, now) -> str:
        if result.ok:
            notification.status, notification.sent_at, notification.delivered_via = "sent", now, result.via
            notification.last_error = None
            uow.emit(NotificationSent(
                notification_id=notification.id, cause_event_id=notification.event_id,
                cause_event_type=notification.event_type, recipient_id=notification.recipient_id,
                channel=notification.channel, template=notification.template, language=notification.language,
                sent_at=now, attempts=notification.attempts), subject=str(notification.id))
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


class LeasedBatch:
    """One round's claimed notifications while they are sent: a heartbeat renewing their leases
    until each outcome is recorded, and a recorder writing outcomes as senders report them (all
    that arrived meanwhile in one transaction), keeping them and retrying with backoff while the
    database does not answer. `finish()` returns once every outcome is recorded (or, when the
    process stops, given up)."""

    def __init__(self, round: DeliveryRound, token: uuid.UUID, ids: list[uuid.UUID]):
        self.round, self.token = round, token
        self.ids = list(ids)
        self.unrecorded = set(ids)
        self.reported: set[uuid.UUID] = set()
        self._outcomes: LightQueue = LightQueue()
        self._recorded: dict[uuid.UUID, Event] = {}
        self._done = Event()
        self._threads: list = []

    def start(self) -> None:
        self._threads = [eventlet.spawn(self._heartbeat), eventlet.spawn(self._recorder)]

    def report(self, nid: uuid.UUID, result: Result) -> None:
        self.reported.add(nid)
        self._outcomes.put((nid, result))

    def wait_recorded(self, nid: uuid.UUID) -> None:
        """Returns once the outcome reported for `nid` is committed (or given up, or left to the
        lease after an error other than the database being away)."""
        self._recorded_event(nid).wait()

    def _recorded_event(self, nid: uuid.UUID) -> Event:
        if nid not in self._recorded:
            self._recorded[nid] = Event()
        return self._recorded[nid]

    def _release(self, ids) -> None:
        for nid in ids:
            event = self._recorded_event(nid)
            if not event.ready():
                event.send(True)

    def finish(self) -> None:
        for nid in self.ids:
            if nid not in self.reported:  # a sender that ended without an outcome: retried later
                self.report(nid, Result(error="the sender ended without an outcome"))
        heartbeat, recorder = self._threads
        recorder.wait()
        self._done.send(True)
        heartbeat.wait()

    def abandon(self) -> None:
        """Stop the heartbeat and the recorder of a batch none of which was sent (its leases are
        released by the caller, or expire)."""
        heartbeat, recorder = self._threads
        recorder.kill()
        self._done.send(True)
        heartbeat.wait()

    def _heartbeat(self) -> None:
        while not self._done.wait(timeout=HEARTBEAT_SECONDS):
            ids = list(self.unrecorded)
            if not ids:
                continue
            try:
                with self.round.units() as uow:
                    NotificationsRepository(uow).renew_leases(ids, self.token, utcnow())
                    uow.commit()
            except Exception as error:
                log.warning("could not renew delivery leases: %s", error, extra={"lease": str(self.token)})

    def _recorder(self) -> None:
        waiting: dict = {}
        failures, failing_since = 0, None
        while self.unrecorded:
            if not waiting:
                nid, result = self._outcomes.get()
                waiting[nid] = result
            while True:
                try:
                    nid, result = self._outcomes.get_nowait()
                except Empty:
                    break
                waiting[nid] = result
            try:
                self.round.record(waiting, self.token)
            except Exception as error:
                if not database_unavailable(error):  # trying again would fail the same way
                    log.exception("could not record %d delivery outcomes; they will be sent again (same "
                                  "Message-ID) when their leases expire", len(waiting), extra={"lease": str(self.token)})
                else:
                    failures += 1
                    failing_since = failing_since or time.monotonic()
                    if self.round.stopping and time.monotonic() - failing_since > GIVE_UP_WHEN_STOPPING_SECONDS:
                        log.error("stopping with %d delivery outcomes not recorded; they will be sent again "
                                  "(same Message-ID) when their leases expire: %s", len(self.unrecorded), error,
                                  extra={"lease": str(self.token)})
                        self._release(self.ids)
                        return
                    log.warning("recording %d delivery outcomes failed (try %d), kept to record again: %s",
                                len(waiting), failures, error, extra={"lease": str(self.token)})
                    eventlet.sleep(RECORD_BACKOFF[min(failures, len(RECORD_BACKOFF)) - 1])
                    continue
            self.unrecorded -= waiting.keys()
            self._release(waiting)
            waiting = {}
            failures, failing_since = 0, None
