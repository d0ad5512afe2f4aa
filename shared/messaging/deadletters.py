"""Operator access to dead letters: list, show, replay, purge (`savivalda dlq ...`).

Distributed mode reads the broker queue `S.dead-letters`: it takes every message without
acknowledging it, acts on the chosen ones (replay = publish to `S.redeliver` with the original
queue's name as routing key, confirmed, then ack; purge = ack) and closes the channel, which puts
the others back. Embedded mode keeps dead letters in the service's database; a replay is marked
there and performed by the running process (or on its next start).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from kombu import Connection, Producer
from sqlalchemy import delete, func, select, update

from shared.persistence.engines import engine_for
from shared.persistence.schema import DEAD_LETTERS, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.messaging import topology

log = logging.getLogger(__name__)


@dataclass
class DeadLetter:
    id: str
    service: str
    queue: str
    consumer: str
    event_id: str | None
    event_type: str | None
    reason: str
    attempts: int
    failed_at: str
    body: str
    headers: dict = field(default_factory=dict)

    def matches(self, selector: str) -> bool:
        return self.id.startswith(selector) or (self.event_id or "") == selector

    def summary(self) -> dict:
        return {k: getattr(self, k) for k in
                ("id", "service", "event_type", "event_id", "consumer", "attempts", "failed_at", "reason")}


def _select(letters: list[DeadLetter], selectors: list[str] | None) -> list[DeadLetter]:
    if not selectors:
        return letters
    return [d for d in letters if any(d.matches(s) for s in selectors)]


class AmqpDeadLetters:
    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    def _browse(self, connection: Connection, service: str):
        channel = connection.channel()
        queue = topology.dead_letter_queue_name(service)
        messages = []
        while True:
            message = channel.basic_get(queue=queue, no_ack=False)
            if message is None:
                break
            messages.append(message)
        return channel, messages

    @staticmethod
    def _as_dead_letter(service: str, message) -> DeadLetter:
        headers = dict(message.headers or {})
        return DeadLetter(
            id=str(headers.get(topology.DEAD_LETTER_ID_HEADER, message.properties.get("message_id", ""))),
            service=service,
            queue=str(headers.get(topology.QUEUE_HEADER, "")),
            consumer=str(headers.get(topology.CONSUMER_HEADER, "")),
            event_id=headers.get(topology.EVENT_ID_HEADER),
            event_type=headers.get(topology.EVENT_TYPE_HEADER),
            reason=str(headers.get(topology.REASON_HEADER, "")),
            attempts=int(headers.get(topology.ATTEMPT_HEADER, 1)),
            failed_at=str(headers.get(topology.FAILED_AT_HEADER, "")),
            body=message.body.decode("utf-8", errors="replace") if isinstance(message.body, bytes) else str(message.body),
            headers={k: v for k, v in headers.items() if isinstance(v, (str, int, float, bool))},
        )

    def list(self, service: str) -> list[DeadLetter]:
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            channel, messages = self._browse(connection, service)
            letters = [self._as_dead_letter(service, m) for m in messages]
            channel.close()  # unacknowledged messages go back to the queue
        return letters

    def _act(self, service: str, selectors: list[str] | None, replay: bool) -> int:
        done = 0
        skipped: list[str] = []
        with Connection(self.amqp_uri, connect_timeout=5,
                        transport_options={"confirm_publish": True}) as connection:
            channel, messages = self._browse(connection, service)
            chosen = {d.id for d in _select([self._as_dead_letter(service, m) for m in messages], selectors)}
            producer = Producer(connection.channel()) if replay else None
            for message in messages:
                letter = self._as_dead_letter(service, message)
                if letter.id not in chosen:
                    continue
                if replay and not letter.queue:
                    # Without its original queue it has nowhere to go back to: keep it parked.
                    skipped.append(letter.id)
                    continue
                if replay:
                    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-savivalda-")}
                    props = message.properties
                    producer.publish(
                        message.body, exchange=topology.redeliver_exchange(service), routing_key=letter.queue,
                        headers=headers, mandatory=True, delivery_mode=2, declare=[topology.redeliver_exchange(service)],
                        content_type=props.get("content_type", "application/json"),
                        content_encoding=props.get("content_encoding", "utf-8"),
                        **{k: props[k] for k in ("message_id", "correlation_id", "type", "app_id") if props.get(k)},
                    )
                channel.basic_ack(message.delivery_tag)
                done += 1
            channel.close()
        if skipped:
            log.warning("left %d dead letter(s) parked: they do not name their original queue (%s)",
                        len(skipped), ", ".join(skipped))
        return done

    def replay(self, service: str, selectors: list[str] | None) -> int:
        return self._act(service, selectors, replay=True)

    def purge(self, service: str, selectors: list[str] | None) -> int:
        return self._act(service, selectors, replay=False)

    def count(self, service: str) -> int:
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            try:
                _, count, _ = channel.queue_declare(queue=topology.dead_letter_queue_name(service), passive=True)
            finally:
                channel.close()
            return count


class EmbeddedDeadLetters:
    def __init__(self, settings):
        self.settings = settings

    def _uow(self, service: str) -> UnitOfWork:
        return UnitOfWork(engine_for(self.settings.database_url(service)), service, "dlq-cli")

    def list(self, service: str) -> list[DeadLetter]:
        with self._uow(service) as uow:
            rows = uow.session.execute(select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.failed_at)).all()
        return [
            DeadLetter(id=str(r.id), service=service, queue=r.queue, consumer=r.consumer, event_id=r.event_id,
                       event_type=r.event_type, reason=r.reason, attempts=r.attempts,
                       failed_at=r.failed_at.isoformat(), body=r.body,
                       headers={"replay_requested_at": r.replay_requested_at.isoformat()} if r.replay_requested_at else {})
            for r in rows
        ]

    def replay(self, service: str, selectors: list[str] | None) -> int:
        ids = [uuid.UUID(d.id) for d in _select(self.list(service), selectors)]
        if not ids:
            return 0
        with self._uow(service) as uow:
            uow.session.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id.in_(ids))
                                .values(replay_requested_at=utcnow()))
            uow.commit()
        return len(ids)

    def purge(self, service: str, selectors: list[str] | None) -> int:
        ids = [uuid.UUID(d.id) for d in _select(self.list(service), selectors)]
        if not ids:
            return 0
        with self._uow(service) as uow:
            uow.session.execute(delete(DEAD_LETTERS).where(DEAD_LETTERS.c.id.in_(ids)))
            uow.commit()
        return len(ids)

    def count(self, service: str) -> int:
        with self._uow(service) as uow:
            return uow.session.execute(select(func.count()).select_from(DEAD_LETTERS)).scalar_one()


def dead_letters_for(settings):
    return EmbeddedDeadLetters(settings) if settings.embedded else AmqpDeadLetters(settings.amqp_uri)


def dead_letter_count(settings, service: str) -> int:
    return dead_letters_for(settings).count(service)


def embedded_requested_replays(database_url: str, service: str) -> list:
    """Rows whose replay the operator requested; the caller republishes each, then forgets it."""
    with UnitOfWork(engine_for(database_url), service, "dlq-replay") as uow:
        return uow.session.execute(
            select(DEAD_LETTERS).where(DEAD_LETTERS.c.replay_requested_at.is_not(None))
            .order_by(DEAD_LETTERS.c.failed_at)
        ).all()


def embedded_forget(database_url: str, service: str, dead_letter_id) -> None:
    with UnitOfWork(engine_for(database_url), service, "dlq-replay") as uow:
        uow.session.execute(delete(DEAD_LETTERS).where(DEAD_LETTERS.c.id == dead_letter_id))
        uow.commit()


def parse_json_body(letter: DeadLetter):
    try:
        return json.loads(letter.body)
    except ValueError:
        return letter.body
