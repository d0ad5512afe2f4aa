"""Publishers the outbox relay uses: a batch goes out in order, and each message's fate is known.

Every message follows the CloudEvents AMQP binding in structured mode: the body is the whole
envelope, `content_type` is `application/cloudevents+json` (see shared.messaging.binding).

`ConfirmingPublisher` speaks AMQP to RabbitMQ: the channel is in confirm mode, a batch is
pipelined (publish all, then wait for the acks; one-by-one confirms are ~8x slower), every message
is `mandatory` so an unroutable one comes back as basic.return instead of vanishing, and the wait
has a timeout. `MemoryPublisher` serves the embedded in-process transport.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass

import amqp
from kombu import Connection, Producer

from shared.messaging.binding import publish_properties
from shared.messaging.topology import events_exchange

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    row_id: int
    event_id: str
    event_type: str
    exchange: str
    routing_key: str
    correlation_id: str
    body: bytes
    app_id: str

    def properties(self) -> dict:
        """AMQP properties of the CloudEvents AMQP binding's structured mode (shared.messaging.binding)."""
        return publish_properties(event_id=self.event_id, event_type=self.event_type,
                                  correlation_id=self.correlation_id, source=self.app_id)


class PublishError(Exception):
    pass


class ConfirmingPublisher:
    def __init__(self, amqp_uri: str, confirm_timeout: float = 10.0, connect_timeout: float = 5.0):
        self._uri = amqp_uri
        self._confirm_timeout = confirm_timeout
        self._connect_timeout = connect_timeout
        self._kombu: Connection | None = None
        self._channel = None
        self._declared: set[str] = set()
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str] = set()
        self._highest_multiple_ack = 0
        self._next_tag = 1

    # -- connection
    def _connect(self):
        if self._channel is not None:
            return
        conn = Connection(self._uri, connect_timeout=self._connect_timeout, heartbeat=0)
        conn.connect()
        raw = conn.connection  # the py-amqp connection underneath kombu
        channel = raw.channel()
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
            self._nacked.update(
                t for t in range(self._highest_multiple_ack + 1, tag) if t not in self._acked
            )

    def _on_return(self, exc, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))

    def _is_confirmed(self, tag: int) -> bool:
        return tag in self._acked or tag <= self._highest_multiple_ack or tag in self._nacked

    # -- publishing
    def publish_batch(self, messages: list[OutgoingMessage]) -> list[str]:
        """Publish in order; return one outcome per message ("published", "unroutable" or
        "nacked"). Raises PublishError if the broker cannot be reached or does not confirm in time;
        the caller then leaves the rows pending."""
        try:
            self._connect()
            channel = self._channel
            for exchange in {m.exchange for m in messages} - self._declared:
                publisher = exchange.rsplit(".events", 1)[0]
                events_exchange(publisher).bind(self._kombu.default_channel).declare()
                self._declared.add(exchange)
            self._acked.clear()
            self._nacked.clear()
            self._returned.clear()
            self._highest_multiple_ack = 0
            first_tag = self._next_tag
            tags = []
            for offset, message in enumerate(messages):
                channel.basic_publish(
                    amqp.Message(message.body, timestamp=int(time.time()), **message.properties()),
                    exchange=message.exchange,
                    routing_key=message.routing_key,
                    mandatory=True,
                )
                tags.append(first_tag + offset)
            self._next_tag = first_tag + len(messages)
            deadline = time.monotonic() + self._confirm_timeout
            while not all(self._is_confirmed(t) for t in tags):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PublishError(f"broker did not confirm {len(tags)} messages in {self._confirm_timeout}s")
                self._kombu.connection.drain_events(timeout=remaining)
        except PublishError:
            self.close()
            raise
        except (OSError, socket.timeout, amqp.exceptions.AMQPError, ConnectionError) as error:
            self.close()
            raise PublishError(f"{type(error).__name__}: {error}") from error
        outcomes = []
        for tag, message in zip(tags, messages):
            if tag in self._nacked:
                outcomes.append("nacked")
            elif message.event_id in self._returned:
                outcomes.append("unroutable")
            else:
                outcomes.append("published")
        return outcomes


class MemoryPublisher:
    """kombu's in-process transport (embedded mode): publishing is a local call that cannot be lost
    in flight, so there is nothing to confirm."""

    def __init__(self, amqp_uri: str, transport_options: dict | None = None):
        self._conn = Connection(amqp_uri, transport_options=transport_options or {})
        self._producer: Producer | None = None
        self._declared: set[str] = set()

    @property
    def connected(self) -> bool:
        return True

    def publish_batch(self, messages: list[OutgoingMessage]) -> list[str]:
        if self._producer is None:
            self._producer = Producer(self._conn.channel())
        outcomes = []
        for message in messages:
            exchange = events_exchange(message.exchange.rsplit(".events", 1)[0])
            if message.exchange not in self._declared:
                exchange.bind(self._producer.channel).declare()
                self._declared.add(message.exchange)
            routed = self._producer.channel.typeof(message.exchange).lookup(
                self._producer.channel.get_table(message.exchange), message.exchange, message.routing_key, None
            )
            self._producer.publish(
                message.body,
                exchange=exchange,
                routing_key=message.routing_key,
                **message.properties(),
            )
            outcomes.append("published" if routed else "unroutable")
        return outcomes

    def close(self) -> None:
        self._producer = None
        self._conn.release()


def publisher_for(amqp_uri: str, transport_options: dict | None = None):
    if amqp_uri.startswith("memory://"):
        return MemoryPublisher(amqp_uri, transport_options)
    return ConfirmingPublisher(amqp_uri)
