"""The outbox relay: publishes committed outbox rows in order and marks them published.

Requests never talk to the broker; they only insert outbox rows in their own transaction. This
loop (one per service per process) takes the rows in id order and publishes them with
confirms. On PostgreSQL it first takes a transaction-scoped advisory lock, so when two replicas
run the relay only one publishes at a time and the order holds; the other skips the round. If the
broker is down the rows wait, the backlog gauge grows, and the loop retries with backoff.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections import Counter
from datetime import timedelta

import eventlet
from eventlet.event import Event
from sqlalchemy import Connection, func, select, update

from shared.broker import NACKED, UNROUTABLE, Broker, OutgoingMessage, PublishError
from shared.persistence.engines import engine_for
from shared.persistence.schema import INBOX, OUTBOX, utcnow
from shared.persistence.unit_of_work import UnitOfWork, get_mark, set_mark
from shared.observability import (
    EVENTS_PUBLISHED,
    EVENTS_UNROUTABLE,
    OUTBOX_PUBLISH_ERRORS,
    SCRAPE_GAUGES,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_BACKOFF = 5.0
PUBLISHED_RETENTION = timedelta(days=7)
INBOX_RETENTION = timedelta(days=30)
PRUNE_EVERY = 3600.0


_COLUMNS = (OUTBOX.c.id, OUTBOX.c.event_id, OUTBOX.c.event_type, OUTBOX.c.exchange, OUTBOX.c.routing_key,
            OUTBOX.c.correlation_id, OUTBOX.c.body)
# One query: open the transaction, try the advisory lock once (a MATERIALIZED CTE is evaluated
# once), and only if it is held read the batch. Always one row at least: (held, NULLs...) when the
# lock is another replica's or nothing waits.
_BEGIN_LOCK_AND_SELECT = """BEGIN;
WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(%(key)s) AS held)
SELECT lock.held, o.id, o.event_id, o.event_type, o.exchange, o.routing_key, o.correlation_id, o.body
FROM lock LEFT JOIN LATERAL (
    SELECT id, event_id, event_type, exchange, routing_key, correlation_id, body FROM outbox
    WHERE lock.held AND published_at IS NULL ORDER BY id LIMIT %(limit)s
) AS o ON true
ORDER BY o.id"""
# The whole batch marked by one statement (not one UPDATE per row, as an executemany would be).
_MARK_PUBLISHED = ("UPDATE outbox SET published_at = %(now)s, publish_attempts = publish_attempts + 1, "
                   "unroutable = (id = ANY(%(unroutable)s::bigint[])) WHERE id = ANY(%(published)s::bigint[])")
_MARK_FAILED = ("UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = %(error)s "
                "WHERE id = %(failed)s")


def _mark_failed(row_id: int, error: str):
    return (update(OUTBOX).where(OUTBOX.c.id == row_id)
            .values(publish_attempts=OUTBOX.c.publish_attempts + 1, last_error=error[:2000]))


def advisory_key(service: str) -> int:
    return zlib.crc32(f"savivalda-outbox-{service}".encode())


class Relay:
    """Framework-free relay loop; `OutboxRelay` (shared.persistence.provider) runs it inside a container."""

    def __init__(self, service: str, database_url: str, broker: Broker, *, interval: float = 0.5,
                 inbox_retention: timedelta = INBOX_RETENTION):
        self.service = service
        self.inbox_retention = inbox_retention
        self.database_url = database_url
        self.interval = interval
        self.broker = broker
        self._wake = Event()
        self._running = False
        self._thread = None
        self._last_prune = 0.0
        self.last_error: str | None = None
        self.last_success = 0.0
        self._app_id = f"savivalda/{service}"
        self._held: Connection | None = None  # PostgreSQL: the relay's own connection, kept between rounds
        self.rounds = 0  # rounds the loop ran (tests and benchmarks)

    # -- lifecycle
    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._loop)
        SCRAPE_GAUGES.add(f"outbox:{self.service}", self.gauges)

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Publish what is pending (bounded wait), then stop."""
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline and self.pending() and self.broker.connected:
            self.wake()
            eventlet.sleep(0.05)
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self.broker.close()
        self.close()
        SCRAPE_GAUGES.remove(f"outbox:{self.service}")

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    # -- loop
    def _loop(self) -> None:
        backoff = self.interval
        while self._running:
            # Replaced before the round, not after the sleep: a commit from here on (also one made
            # while this round runs) wakes the next sleep at once, and no wake falls between the two.
            self._wake = Event()
            try:
                published = self.publish_pending()
                self.rounds += 1
                backoff = self.interval
                if published >= BATCH_SIZE:
                    continue  # a full batch: more may be waiting; no sleep between full batches
                # Fewer than a batch: nothing else was waiting when the batch was read, and whatever
                # was committed since has woken the sleep below, so no empty round is needed to look.
            except PublishError as error:
                OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                self.last_error = str(error)
                log.warning("outbox relay cannot publish: %s; retrying in %.1fs", error, backoff,
                            extra={"service": self.service})
                self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception:  # a database hiccup must not kill the relay
                OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                log.exception("outbox relay failed", extra={"service": self.service})
                self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self._maybe_prune()
            self._sleep(self.interval)

    def _sleep(self, seconds: float) -> None:
        if not self._running:
            return
        self._wake.wait(timeout=seconds)

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(engine_for(self.database_url), self.service, "outbox-relay")

    def publish_pending(self) -> int:
        """One round: publish up to BATCH_SIZE rows in id order. Returns how many rows were settled."""
        if engine_for(self.database_url).dialect.name == "postgresql":
            return self._round_postgresql()
        with self._uow() as uow:  # SQLite (embedded): one process, its write lock, no advisory lock
            session = uow.session
            rows = session.execute(
                select(*_COLUMNS).where(OUTBOX.c.published_at.is_(None)).order_by(OUTBOX.c.id).limit(BATCH_SIZE)
            ).all()
            if not rows:
                self.last_error = None
                return 0
            try:
                published, unroutable, nacked = self._publish(rows)
            except PublishError as error:
                session.execute(_mark_failed(rows[0].id, str(error)))
                uow.commit()
                raise
            if nacked is not None:
                session.execute(_mark_failed(nacked, "nacked by broker"))
            if published:
                session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(published)).values(
                    published_at=utcnow(), publish_attempts=OUTBOX.c.publish_attempts + 1,
                    unroutable=OUTBOX.c.id.in_(unroutable) if unroutable else False))
            uow.commit()
        return self._settled(published)

    def _round_postgresql(self) -> int:
        """Two database round trips a round, on a connection the relay keeps (no pool checkout and
        pre-ping per round): BEGIN, the advisory lock and the rows as one query; the marks (one
        UPDATE for the batch) and COMMIT as another. The connection is in autocommit mode, so the
        transaction is exactly the relay's BEGIN ... COMMIT; an error of any kind drops the
        connection, and with it the open transaction and the lock; the next round opens another."""
        connection = self._connection()
        try:
            rows = connection.exec_driver_sql(
                _BEGIN_LOCK_AND_SELECT, {"key": advisory_key(self.service), "limit": BATCH_SIZE}).all()
            if not rows[0].held or rows[0].id is None:
                # Another replica holds the lock (and keeps the order), or nothing is left (another
                # replica published the rows after a broker blip): nothing of ours failed, so an
                # error of an earlier round no longer holds readiness at 503.
                connection.exec_driver_sql("COMMIT")
                self.last_error = None
                return 0
            try:
                published, unroutable, nacked = self._publish(rows)
            except PublishError as error:
                connection.exec_driver_sql(f"{_MARK_FAILED}; COMMIT", {"failed": rows[0].id, "error": str(error)[:2000]})
                raise
            statements, params = [], {}
            if nacked is not None:
                statements.append(_MARK_FAILED)
                params.update(failed=nacked, error="nacked by broker")
            if published:
                statements.append(_MARK_PUBLISHED)
                params.update(now=utcnow(), published=published, unroutable=unroutable)
            connection.exec_driver_sql("; ".join([*statements, "COMMIT"]), params)
        except PublishError:
            raise
        except BaseException:
            self._drop_connection()
            raise
        return self._settled(published)

    def _publish(self, rows) -> tuple[list[int], list[int], int | None]:
        """Publish in order (pipelined confirms, shared.broker): the ids published, those of them
        no queue took (unroutable), and the id of the first message the broker refused, where
        the batch stops so the order holds (None if none). PublishError when nothing is known."""
        messages = [
            OutgoingMessage(
                row_id=r.id, event_id=str(r.event_id), event_type=r.event_type, exchange=r.exchange,
                routing_key=r.routing_key, correlation_id=r.correlation_id, body=r.body.encode("utf-8"),
                app_id=self._app_id,
            )
            for r in rows
        ]
        outcomes = self.broker.publish(messages)
        published: list[int] = []
        unroutable: list[int] = []
        nacked = None
        counts: Counter = Counter()
        for message, outcome in zip(messages, outcomes):
            if outcome == NACKED:
                nacked = message.row_id
                break
            published.append(message.row_id)
            counts[message.event_type] += 1
            if outcome == UNROUTABLE:
                unroutable.append(message.row_id)
                EVENTS_UNROUTABLE.labels(self.service, message.event_type).inc()
                log.debug("event %s had no subscriber queue", message.event_type,
                          extra={"service": self.service, "event_id": message.event_id,
                                 "correlation_id": message.correlation_id})
        for event_type, count in counts.items():
            EVENTS_PUBLISHED.labels(self.service, event_type).inc(count)
        return published, unroutable, nacked

    def _settled(self, published: list[int]) -> int:
        self.last_success = time.monotonic()
        self.last_error = None
        return len(published)

    def _connection(self) -> Connection:
        if self._held is None or self._held.closed or self._held.invalidated:
            self._held = engine_for(self.database_url).connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._held

    def _drop_connection(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                held.invalidate()  # the server ends the open transaction (and its lock) with the session
                held.close()
            except Exception:
                pass

    def close(self) -> None:
        """Give back the connection the relay keeps (after the loop stopped)."""
        held, self._held = self._held, None
        if held is not None:
            try:
                held.close()
            except Exception:
                pass

    # -- housekeeping and gauges
    def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        try:
            self.prune()
        except Exception:  # housekeeping must not stop publishing; next hour again
            log.exception("outbox relay housekeeping failed", extra={"service": self.service})

    def prune(self) -> dict[str, int]:
        """Housekeeping: published outbox rows older than PUBLISHED_RETENTION and inbox rows older
        than the inbox retention (SAVIVALDA_INBOX_RETENTION_DAYS) go. An inbox row only has to
        outlive every redelivery of its event (broker retries, a replayed dead letter, a re-drive),
        so the retention bounds the table without reopening duplicates."""
        now = utcnow()
        with self._uow() as uow:
            outbox = uow.session.execute(
                OUTBOX.delete().where(OUTBOX.c.published_at < now - PUBLISHED_RETENTION)).rowcount
            inbox = uow.session.execute(
                INBOX.delete().where(INBOX.c.processed_at < now - self.inbox_retention)).rowcount
            uow.commit()
        if outbox or inbox:
            log.info("pruned %d published outbox rows and %d inbox rows", outbox, inbox,
                     extra={"service": self.service})
        return {"outbox": outbox, "inbox": inbox}

    def pending(self) -> int:
        with self._uow() as uow:
            return uow.session.execute(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            ).scalar_one()

    def gauges(self):
        with self._uow() as uow:
            count, oldest = uow.session.execute(
                select(func.count(), func.min(OUTBOX.c.created_at)).where(OUTBOX.c.published_at.is_(None))
            ).one()
        if oldest is not None and oldest.tzinfo is None:
            from datetime import timezone

            oldest = oldest.replace(tzinfo=timezone.utc)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        labels = {"service": self.service}
        yield "savivalda_outbox_backlog", "Outbox rows not yet published", labels, float(count)
        yield "savivalda_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", labels, max(age, 0.0)

    # -- embedded mode: re-drive after an unclean stop
    def redrive_after_unclean_stop(self) -> int:
        """The in-memory broker loses what it held when the process dies. If the last run did not
        stop cleanly, publish again everything published since that run started; the consumers'
        inboxes make the repeats harmless."""
        with self._uow() as uow:
            started = get_mark(uow, "embedded.run_started_at")
            clean = get_mark(uow, "embedded.clean_stop_at")
            count = 0
            if started and (clean is None or clean < started):
                from datetime import datetime

                since = datetime.fromisoformat(started)
                count = uow.session.execute(
                    update(OUTBOX).where(OUTBOX.c.published_at >= since).values(published_at=None)
                ).rowcount
            set_mark(uow, "embedded.run_started_at", utcnow().isoformat())
            uow.commit()
        if count:
            log.warning("previous run stopped uncleanly; re-publishing %d events", count,
                        extra={"service": self.service})
        return count

    def mark_clean_stop(self) -> None:
        with self._uow() as uow:
            set_mark(uow, "embedded.clean_stop_at", utcnow().isoformat())
            uow.commit()
