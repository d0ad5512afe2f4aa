"""What every broker offers the platform, and the messages that cross it.

A `Broker` is bound to one service (or, for a publisher of other systems, to none). It does the
five things the platform needs from a message broker:

- `publish(messages)`: a batch in order, each message's fate known (published, unroutable or
  nacked) — the outbox relay and the publisher helper for other systems;
- `schedule_retry(message, delay, attempt, error)`: a message a handler failed on comes back to
  its queue after `delay` seconds;
- `park(message, ...)`: a message that cannot or can no longer be handled becomes a dead letter
  with the reason;
- `dead_letters()`, `replay(selectors)`, `purge(selectors)`: the operator's view of them
  (`savivalda dlq`).

`shared.broker.amqp.AmqpBroker` does it on RabbitMQ, `shared.broker.memory.MemoryBroker` on kombu's
in-process transport (embedded mode); `shared.broker.broker_for` picks one.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from shared.messaging import topology
from shared.messaging.binding import publish_properties

PUBLISHED = "published"
UNROUTABLE = "unroutable"
NACKED = "nacked"

COPIED_PROPERTIES = ("message_id", "correlation_id", "type", "app_id", "timestamp")


class PublishError(Exception):
    """The broker could not be reached, or did not confirm in time: nothing is known to be sent."""


@dataclass(frozen=True)
class OutgoingMessage:
    """An event to publish (an outbox row, or an envelope from another system)."""

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


@dataclass(frozen=True)
class FailedMessage:
    """A consumed message that goes back later or to the dead letters: its body, headers and
    properties as received, the handler queue it came from and the handler ("S.method")."""

    body: bytes | str
    headers: dict
    properties: dict
    queue: str
    consumer: str

    @classmethod
    def received(cls, message, *, queue: str, consumer: str) -> "FailedMessage":
        """From a kombu message: the content type and encoding (JSON if unnamed) and the
        identifying properties are kept."""
        props = message.properties or {}
        properties = {"content_type": message.content_type or "application/json",
                      "content_encoding": message.content_encoding or "utf-8"}
        properties.update({key: props[key] for key in COPIED_PROPERTIES if props.get(key) is not None})
        # A quorum queue's own delivery count belongs to the delivery, not to a copy sent back.
        headers = {k: v for k, v in (message.headers or {}).items() if k != topology.QUORUM_DELIVERY_COUNT_HEADER}
        return cls(body=message.body, headers=headers, properties=properties, queue=queue, consumer=consumer)

    def body_text(self) -> str:
        if isinstance(self.body, bytes):
            return self.body.decode("utf-8", errors="replace")
        return self.body if isinstance(self.body, str) else json.dumps(self.body)

    def retry_headers(self, attempt: int, error: str) -> dict:
        return {**self.headers, topology.ATTEMPT_HEADER: attempt, topology.LAST_ERROR_HEADER: error[:1000]}

    def dead_letter_headers(self, *, dead_letter_id: str, reason: str, attempts: int, event_id: str | None,
                            event_type: str | None) -> dict:
        headers = dict(self.headers)
        headers.update({
            topology.REASON_HEADER: reason[:4000],
            topology.ATTEMPT_HEADER: attempts,
            topology.QUEUE_HEADER: self.queue,
            topology.CONSUMER_HEADER: self.consumer,
            topology.FAILED_AT_HEADER: datetime.now(timezone.utc).isoformat(),
            topology.DEAD_LETTER_ID_HEADER: dead_letter_id,
        })
        if event_id:
            headers[topology.EVENT_ID_HEADER] = event_id
        if event_type:
            headers[topology.EVENT_TYPE_HEADER] = event_type
        return headers


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
        """A dead-letter id (or a prefix of it), or the id of the event it carries."""
        return self.id.startswith(selector) or (self.event_id or "") == selector

    def summary(self) -> dict:
        return {k: getattr(self, k) for k in
                ("id", "service", "event_type", "event_id", "consumer", "attempts", "failed_at", "reason")}

    def json_body(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body


def chosen(letters: list[DeadLetter], selectors: Sequence[str] | None) -> list[DeadLetter]:
    """The letters the selectors name; all of them without selectors."""
    if not selectors:
        return letters
    return [d for d in letters if any(d.matches(s) for s in selectors)]


class Broker(ABC):
    """One service's way to the message broker (see the module's docstring)."""

    #: Does the broker keep what it holds when this process dies? (The in-memory one does not:
    #: the outbox relay then publishes again what the previous run published.)
    durable: bool = True
    #: Does `replay` only request the replay, performed by the running service process?
    replay_deferred: bool = False

    def __init__(self, service: str | None = None):
        self.service = service

    # -- lifecycle of a running service's broker (subscriptions' retries and dead letters)
    def start(self) -> None:
        """Be ready for the service's retries and dead letters."""

    def stop(self) -> None:
        """Stop what `start` started and let go of the connection."""
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Let go of the connection (the next call opens another)."""

    @property
    def connected(self) -> bool:
        """Could the last publish reach the broker (so a pending batch is worth waiting for)?"""
        return True

    @property
    def pending_retries(self) -> int:
        """Retries scheduled in this process and not yet sent back (0 where the broker keeps them)."""
        return 0

    def health(self) -> str | None:
        """Why the broker cannot be used now, or None."""
        return None

    # -- publishing
    @abstractmethod
    def publish(self, messages: Sequence[OutgoingMessage]) -> list[str]:
        """Publish in order; one outcome per message (PUBLISHED, UNROUTABLE or NACKED). Raises
        PublishError when nothing can be known (the caller keeps the messages and tries again)."""

    # -- a failed delivery
    @abstractmethod
    def schedule_retry(self, message: FailedMessage, *, delay: float, attempt: int, error: str) -> None:
        """Send `message` back to its queue after `delay` seconds as attempt number `attempt`."""

    @abstractmethod
    def send_back(self, message: FailedMessage, *, redeliveries: int, delay: float) -> None:
        """Send `message` back to its queue after `delay` seconds (one of the retry delays, or 0),
        counting `redeliveries` in its headers: a classic queue's redelivery becomes a copy that
        knows how many came before."""

    @abstractmethod
    def park(self, message: FailedMessage, *, reason: str, attempts: int, event_id: str | None,
             event_type: str | None) -> str:
        """Make `message` a dead letter of the service, with the reason; its dead-letter id."""

    # -- dead letters (savivalda dlq)
    @abstractmethod
    def dead_letters(self) -> list[DeadLetter]:
        """The service's dead letters, oldest first."""

    @abstractmethod
    def replay(self, selectors: Sequence[str] | None) -> int:
        """Send the chosen dead letters (all without selectors) back to their queues; how many."""

    @abstractmethod
    def purge(self, selectors: Sequence[str] | None) -> int:
        """Delete the chosen dead letters (all without selectors); how many."""

    @abstractmethod
    def dead_letter_count(self) -> int:
        """How many dead letters wait (the `savivalda_dead_letters` gauge)."""
