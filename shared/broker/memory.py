"""The broker on kombu's in-process transport (embedded mode: every service in one process).

Publishing is a local call that cannot be lost in flight, so there is nothing to confirm; an
event no queue is bound for is reported unroutable, as RabbitMQ would. The transport has no TTL
and no dead-lettering, so a retry is a timer that sends the message back to its queue through
`S.redeliver`, and dead letters are rows of the service's own database (`dead_letters`), kept
across restarts. The operator's `savivalda dlq replay` runs in another process than the broker:
it marks the rows, and the running service process (this broker's replay loop, every second, or
the next start) sends them back and forgets them.

The transport also forgets everything when the process dies (`durable = False`): the outbox relay
publishes again what the previous run published if it did not stop cleanly.
"""

from __future__ import annotations

import logging
import uuid
from typing import Sequence

import eventlet
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from kombu import Connection, Exchange, Producer
from sqlalchemy import delete, func, select, update

from shared.broker.base import PUBLISHED, UNROUTABLE, Broker, DeadLetter, FailedMessage, OutgoingMessage, chosen
from shared.messaging import topology
from shared.observability import EVENTS_REPLAYED
from shared.persistence.engines import engine_for
from shared.persistence.schema import DEAD_LETTERS, utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

REPLAY_INTERVAL = 1.0


class MemoryBroker(Broker):
    durable = False
    replay_deferred = True

    def __init__(self, service: str | None = None, database_url: str | None = None, *,
                 transport_options: dict | None = None):
        super().__init__(service)
        self.database_url = database_url
        self._transport_options = transport_options or {}
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()
        self._lock = Semaphore(1)
        self._timers: set = set()
        self._replay_thread = None
        self._running = False
        self._stopped = Event()

    # -- lifecycle
    def start(self) -> None:
        self._running = True
        self._replay_thread = eventlet.spawn(self._replay_loop)

    def stop(self) -> None:
        self._running = False
        if not self._stopped.ready():
            self._stopped.send(True)
        if self._replay_thread is not None:
            self._replay_thread.wait()
            self._replay_thread = None
        self.close()

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        self._declared.clear()
        if connection is not None:
            connection.release()

    @property
    def pending_retries(self) -> int:
        return len(self._timers)

    # -- the one way out
    def _send(self, exchange: Exchange, routing_key: str, body, properties: dict, headers: dict | None) -> bool:
        """Publish; False if no queue is bound for it (it is then dropped, as RabbitMQ would)."""
        with self._lock:
            if self._producer is None:
                self._connection = Connection("memory://", transport_options=self._transport_options)
                self._producer = Producer(self._connection.channel())
            channel = self._producer.channel
            if exchange.name not in self._declared:
                exchange.bind(channel).declare()
                self._declared.add(exchange.name)
            routed = channel.typeof(exchange.name).lookup(channel.get_table(exchange.name), exchange.name,
                                                          routing_key, None)
            self._producer.publish(body, exchange=exchange, routing_key=routing_key, headers=headers or {},
                                   **{"delivery_mode": 2, **properties})
            return bool(routed)

    def publish(self, messages: Sequence[OutgoingMessage]) -> list[str]:
        return [PUBLISHED if self._send(topology.events_exchange(m.exchange.rsplit(".events", 1)[0]),
                                        m.routing_key, m.body, m.properties(), None) else UNROUTABLE
                for m in messages]

    # -- a failed delivery
    def schedule_retry(self, message: FailedMessage, *, delay: float, attempt: int, error: str) -> None:
        self._send_back_after(delay, message, message.retry_headers(attempt, error))

    def send_back(self, message: FailedMessage, *, redeliveries: int, delay: float) -> None:
        self._send_back_after(delay, message, {**message.headers, topology.REDELIVERIES_HEADER: redeliveries})

    def _send_back_after(self, delay: float, message: FailedMessage, headers: dict) -> None:
        """The in-memory broker has no TTL queues: a timer routes the message back to its queue."""
        timer = None

        def send_back():
            self._timers.discard(timer)
            self._send(topology.redeliver_exchange(self.service), message.queue, message.body, message.properties,
                       headers)

        timer = eventlet.spawn_after(delay, send_back)
        self._timers.add(timer)

    def park(self, message: FailedMessage, *, reason: str, attempts: int, event_id: str | None,
             event_type: str | None) -> str:
        dead_letter_id = uuid.uuid4()
        with self._uow("dead-letter") as uow:
            uow.session.execute(DEAD_LETTERS.insert().values(
                id=dead_letter_id, queue=message.queue, consumer=message.consumer, event_id=event_id,
                event_type=event_type, reason=reason[:4000], attempts=attempts, body=message.body_text(),
                failed_at=utcnow(),
            ))
            uow.commit()
        return str(dead_letter_id)

    # -- dead letters
    def _uow(self, purpose: str) -> UnitOfWork:
        return UnitOfWork(engine_for(self.database_url), self.service, purpose)

    def dead_letters(self) -> list[DeadLetter]:
        with self._uow("dlq-cli") as uow:
            rows = uow.session.execute(select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.failed_at)).all()
        return [
            DeadLetter(id=str(r.id), service=self.service, queue=r.queue, consumer=r.consumer, event_id=r.event_id,
                       event_type=r.event_type, reason=r.reason, attempts=r.attempts,
                       failed_at=r.failed_at.isoformat(), body=r.body,
                       headers={"replay_requested_at": r.replay_requested_at.isoformat()} if r.replay_requested_at else {})
            for r in rows
        ]

    def replay(self, selectors: Sequence[str] | None) -> int:
        """Mark the chosen dead letters; the running service process sends them back."""
        ids = [uuid.UUID(d.id) for d in chosen(self.dead_letters(), selectors)]
        if ids:
            with self._uow("dlq-cli") as uow:
                uow.session.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id.in_(ids))
                                    .values(replay_requested_at=utcnow()))
                uow.commit()
        return len(ids)

    def purge(self, selectors: Sequence[str] | None) -> int:
        ids = [uuid.UUID(d.id) for d in chosen(self.dead_letters(), selectors)]
        if ids:
            with self._uow("dlq-cli") as uow:
                uow.session.execute(delete(DEAD_LETTERS).where(DEAD_LETTERS.c.id.in_(ids)))
                uow.commit()
        return len(ids)

    def dead_letter_count(self) -> int:
        with self._uow("dlq-cli") as uow:
            return uow.session.execute(select(func.count()).select_from(DEAD_LETTERS)).scalar_one()

    # -- replays the operator requested, performed by the running process
    def _replay_loop(self) -> None:
        while self._running:
            self._stopped.wait(timeout=REPLAY_INTERVAL)
            if not self._running:
                return
            try:
                self.send_requested_replays()
            except Exception:
                log.exception("replaying dead letters failed")

    def send_requested_replays(self) -> int:
        with self._uow("dlq-replay") as uow:
            rows = uow.session.execute(
                select(DEAD_LETTERS).where(DEAD_LETTERS.c.replay_requested_at.is_not(None))
                .order_by(DEAD_LETTERS.c.failed_at)
            ).all()
        for row in rows:
            self._send(topology.redeliver_exchange(self.service), row.queue, row.body.encode("utf-8"),
                       {"content_type": "application/json", "content_encoding": "utf-8"}, None)
            with self._uow("dlq-replay") as uow:
                uow.session.execute(delete(DEAD_LETTERS).where(DEAD_LETTERS.c.id == row.id))
                uow.commit()
            EVENTS_REPLAYED.labels(self.service).inc()
        return len(rows)
