"""The broker on RabbitMQ.

Every message goes out the same way: on one confirm-mode channel, `mandatory` (an unroutable
message comes back as basic.return instead of vanishing), persistent, pipelined (publish the
batch, then wait for the acks; one-by-one confirms are ~8x slower) with a timeout. Events follow
the CloudEvents AMQP binding in structured mode (shared.messaging.binding).

For a service S (names in shared.messaging.topology): a retry goes to the fanout exchange
`S.retry.<ms>` whose queue holds it that long and then dead-letters it into `S.redeliver`, which
routes it back to its queue by name; a dead letter goes to `S.dlx` → `S.dead-letters` with the
reason in its headers. The operator's commands take every dead letter off that queue without
acknowledging it, act on the chosen ones (replay = publish to `S.redeliver` with the original
queue's name, confirmed, then ack; purge = ack) and close the channel, which puts the others back.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Sequence

import amqp
import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection, Exchange

from shared.broker.base import (
    NACKED,
    PUBLISHED,
    UNROUTABLE,
    Broker,
    DeadLetter,
    FailedMessage,
    OutgoingMessage,
    PublishError,
    chosen,
)
from shared.messaging import topology

log = logging.getLogger(__name__)

CONNECTION_ERRORS = (OSError, socket.timeout, amqp.exceptions.AMQPError, ConnectionError)
RECONNECTS = 3  # a single message (retry, dead letter, replay) is tried again on a fresh connection


@dataclass(frozen=True)
class _Outgoing:
    exchange: Exchange
    routing_key: str
    body: bytes | str
    properties: dict
    headers: dict | None = None


class AmqpBroker(Broker):
    def __init__(self, amqp_uri: str, service: str | None = None, *, queue_type: str = "classic",
                 retry_delays: Sequence[float] = (), confirm_timeout: float = 10.0, connect_timeout: float = 5.0):
        super().__init__(service)
        self.amqp_uri = amqp_uri
        self.queue_type = queue_type
        self.retry_delays = tuple(retry_delays)
        self._confirm_timeout = confirm_timeout
        self._connect_timeout = connect_timeout
        self._lock = Semaphore(1)  # workers of the service share the channel
        self._kombu: Connection | None = None
        self._channel = None
        self._declared: set[str] = set()
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str | None] = set()
        self._highest_multiple_ack = 0
        self._next_tag = 1
        self._health_checked_at = 0.0
        self._health_problem: str | None = None

    # -- connection
    def _connect(self) -> None:
        if self._channel is not None:
            return
        conn = Connection(self.amqp_uri, connect_timeout=self._connect_timeout, heartbeat=0)
        conn.connect()
        channel = conn.connection.channel()  # the py-amqp channel underneath kombu
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._kombu, self._channel = conn, channel
        self._declared.clear()
        self._next_tag = 1  # confirm-mode delivery tags count from 1 on each new channel

    def close(self) -> None:
        conn, self._kombu, self._channel = self._kombu, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    @property
    def connected(self) -> bool:
        return self._channel is not None

    def _on_ack(self, tag, multiple):
        if multiple:
            self._highest_multiple_ack = max(self._highest_multiple_ack, tag)
        else:
            self._acked.add(tag)

    def _on_nack(self, tag, multiple):
        self._nacked.add(tag)
        if multiple:
            self._nacked.update(t for t in range(self._highest_multiple_ack + 1, tag) if t not in self._acked)

    def _on_return(self, exc, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))

    def _is_confirmed(self, tag: int) -> bool:
        return tag in self._acked or tag <= self._highest_multiple_ack or tag in self._nacked

    # -- the one way out
    def _send(self, batch: Sequence[_Outgoing]) -> list[str]:
        """Publish in order on the confirm channel, wait for every confirm; one outcome each.
        A return is matched to its message by message_id."""
        with self._lock:
            try:
                self._connect()
                for exchange in {m.exchange.name: m.exchange for m in batch}.values():
                    if exchange.name not in self._declared:
                        exchange.bind(self._kombu.default_channel).declare()
                        self._declared.add(exchange.name)
                self._acked.clear()
                self._nacked.clear()
                self._returned.clear()
                self._highest_multiple_ack = 0
                first_tag = self._next_tag
                tags = []
                for offset, message in enumerate(batch):
                    properties = {"delivery_mode": 2, **message.properties}
                    if message.headers is not None:
                        properties["application_headers"] = message.headers
                    self._channel.basic_publish(amqp.Message(message.body, **properties),
                                                exchange=message.exchange.name, routing_key=message.routing_key,
                                                mandatory=True)
                    tags.append(first_tag + offset)
                self._next_tag = first_tag + len(batch)
                deadline = time.monotonic() + self._confirm_timeout
                while not all(self._is_confirmed(t) for t in tags):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PublishError(f"broker did not confirm {len(tags)} messages in {self._confirm_timeout}s")
                    self._kombu.connection.drain_events(timeout=remaining)
            except PublishError:
                self.close()
                raise
            except CONNECTION_ERRORS as error:
                self.close()
                raise PublishError(f"{type(error).__name__}: {error}") from error
            outcomes = []
            for tag, message in zip(tags, batch):
                if tag in self._nacked:
                    outcomes.append(NACKED)
                elif message.properties.get("message_id") in self._returned:
                    outcomes.append(UNROUTABLE)
                else:
                    outcomes.append(PUBLISHED)
            return outcomes

    def _send_one(self, message: _Outgoing) -> None:
        """One message that must arrive: tried again on a fresh connection when the connection
        failed (a broker restart closes the idle one); refused or unroutable is an error."""
        for attempt in range(RECONNECTS + 1):
            try:
                outcome, = self._send([message])
                break
            except PublishError as error:
                if attempt == RECONNECTS or not isinstance(error.__cause__, CONNECTION_ERRORS):
                    raise
                eventlet.sleep(min(attempt, 1.0))
        if outcome != PUBLISHED:
            raise PublishError(f"the broker did not take the message to {message.exchange.name} "
                               f"({message.routing_key}): {outcome}")

    # -- publishing events
    def publish(self, messages: Sequence[OutgoingMessage]) -> list[str]:
        return self._send([_Outgoing(topology.events_exchange(m.exchange.rsplit(".events", 1)[0]), m.routing_key,
                                     m.body, {**m.properties(), "timestamp": int(time.time())})
                           for m in messages])

    # -- a failed delivery
    def start(self) -> None:
        """Declare the delay and dead-letter queues now, so the first failure has somewhere to go."""
        with Connection(self.amqp_uri, connect_timeout=self._connect_timeout) as connection:
            channel = connection.default_channel
            for delay in self.retry_delays:
                topology.retry_queue(self.service, delay, self.queue_type).bind(channel).declare()
            topology.dead_letter_queue(self.service, self.queue_type).bind(channel).declare()

    def schedule_retry(self, message: FailedMessage, *, delay: float, attempt: int, error: str) -> None:
        self._send_one(_Outgoing(topology.retry_exchange(self.service, delay), message.queue, message.body,
                                 message.properties, message.retry_headers(attempt, error)))

    def send_back(self, message: FailedMessage, *, redeliveries: int, delay: float) -> None:
        exchange = topology.retry_exchange(self.service, delay) if delay else topology.redeliver_exchange(self.service)
        self._send_one(_Outgoing(exchange, message.queue, message.body, message.properties,
                                 {**message.headers, topology.REDELIVERIES_HEADER: redeliveries}))

    def park(self, message: FailedMessage, *, reason: str, attempts: int, event_id: str | None,
             event_type: str | None) -> str:
        dead_letter_id = str(uuid.uuid4())
        headers = message.dead_letter_headers(dead_letter_id=dead_letter_id, reason=reason, attempts=attempts,
                                              event_id=event_id, event_type=event_type)
        self._send_one(_Outgoing(topology.dead_letter_exchange(self.service), "", message.body,
                                 message.properties, headers))
        return dead_letter_id

    # -- dead letters
    def _browse(self, connection: Connection):
        """Every message of S.dead-letters, taken and not acknowledged (closing the channel puts
        back what was not acknowledged)."""
        channel = connection.channel()
        messages = []
        while True:
            message = channel.basic_get(queue=topology.dead_letter_queue_name(self.service), no_ack=False)
            if message is None:
                break
            messages.append(message)
        return channel, messages

    def _as_dead_letter(self, message) -> DeadLetter:
        headers = dict(message.headers or {})
        return DeadLetter(
            id=str(headers.get(topology.DEAD_LETTER_ID_HEADER, message.properties.get("message_id", ""))),
            service=self.service,
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

    def dead_letters(self) -> list[DeadLetter]:
        with Connection(self.amqp_uri, connect_timeout=self._connect_timeout) as connection:
            channel, messages = self._browse(connection)
            letters = [self._as_dead_letter(m) for m in messages]
            channel.close()  # unacknowledged messages go back to the queue
        return letters

    def _act(self, selectors: Sequence[str] | None, replay: bool) -> int:
        done = 0
        skipped: list[str] = []
        with Connection(self.amqp_uri, connect_timeout=self._connect_timeout) as connection:
            channel, messages = self._browse(connection)
            ids = {d.id for d in chosen([self._as_dead_letter(m) for m in messages], selectors)}
            for message in messages:
                letter = self._as_dead_letter(message)
                if letter.id not in ids:
                    continue
                if replay and not letter.queue:
                    # Without its original queue it has nowhere to go back to: keep it parked.
                    skipped.append(letter.id)
                    continue
                if replay:
                    properties = message.properties
                    self._send_one(_Outgoing(
                        topology.redeliver_exchange(self.service), letter.queue, message.body,
                        {"content_type": properties.get("content_type", "application/json"),
                         "content_encoding": properties.get("content_encoding", "utf-8"),
                         **{k: properties[k] for k in ("message_id", "correlation_id", "type", "app_id")
                            if properties.get(k)}},
                        {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-savivalda-")}))
                channel.basic_ack(message.delivery_tag)
                done += 1
            channel.close()
        if skipped:
            log.warning("left %d dead letter(s) parked: they do not name their original queue (%s)",
                        len(skipped), ", ".join(skipped))
        return done

    def replay(self, selectors: Sequence[str] | None) -> int:
        return self._act(selectors, replay=True)

    def purge(self, selectors: Sequence[str] | None) -> int:
        return self._act(selectors, replay=False)

    def dead_letter_count(self) -> int:
        """Read at scrape time. The connection may have been closed since the last scrape (a broker
        restart, a blip): then the count is read again on a fresh connection, so the gauge does not
        go missing from the scrape that follows a reconnect."""
        with self._lock:
            for attempt in range(2):
                try:
                    self._connect()
                    _, count, _ = self._kombu.default_channel.queue_declare(
                        queue=topology.dead_letter_queue_name(self.service), passive=True)
                    return count
                except CONNECTION_ERRORS:
                    self.close()
                    if attempt:
                        raise

    # -- readiness
    def health(self) -> str | None:
        """An idle broker connection says nothing: check that the broker answers (cached 5 s)."""
        now = time.monotonic()
        if now - self._health_checked_at > 5.0:
            self._health_checked_at = now
            try:
                with Connection(self.amqp_uri, connect_timeout=2) as connection:
                    connection.ensure_connection(max_retries=1, timeout=2)
                self._health_problem = None
            except Exception as error:
                self._health_problem = f"broker unreachable: {type(error).__name__}: {error}"
        return self._health_problem
