"""A tiny publisher for other systems written in Python (and for `savivalda events publish`).

    with EventPublisher("amqp://user:pass@broker:5672/savivalda") as publisher:
        publisher.publish(new_envelope(SessionScheduled(...), source="hr-system", correlation_id="..."))

The event is validated against its registered model first, then published persistent, mandatory
and confirmed to `<publisher>.events` with the event name as routing key. Any AMQP client in any
language can do the same; docs/events.md describes the wire format.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from shared.broker import NACKED, PUBLISHED, OutgoingMessage, PublishError
from shared.broker.amqp import AmqpBroker
from shared.events.envelope import Envelope, InvalidEvent, parse_event


class PublishRefused(Exception):
    pass


def envelope_from_document(document: dict, *, source: str) -> Envelope:
    """A full envelope, or a short form {type, data[, subject, correlationid, schemaversion]}
    that gets a fresh id, the current time and `source`."""
    if not isinstance(document, dict):
        raise PublishRefused("the file must hold a JSON object")
    if "specversion" not in document:
        document = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "time": datetime.now(timezone.utc).isoformat(),
            "correlationid": document.get("correlationid") or str(uuid.uuid4()),
            **document,
        }
    try:
        envelope, _ = parse_event(document)
    except InvalidEvent as invalid:
        raise PublishRefused(f"not published: {invalid.reason}") from None
    return envelope


class EventPublisher:
    """The platform's AMQP broker (shared.broker.amqp), publishing one validated envelope at a time."""

    def __init__(self, amqp_uri: str):
        self._broker = AmqpBroker(amqp_uri)

    def publish(self, envelope: Envelope) -> bool:
        """Publish and wait for the broker's confirm. Returns False if no queue was bound."""
        parse_event(envelope.to_wire())  # refuse what consumers would dead-letter
        message = OutgoingMessage(
            row_id=0, event_id=str(envelope.id), event_type=envelope.type, exchange=envelope.exchange,
            routing_key=envelope.routing_key, correlation_id=envelope.correlationid,
            body=json.dumps(envelope.to_wire(), ensure_ascii=False).encode(), app_id=envelope.source,
        )
        try:
            outcome, = self._broker.publish([message])
        except PublishError as error:
            raise PublishRefused(f"broker unavailable: {error}") from None
        if outcome == NACKED:
            raise PublishRefused("the broker refused the message (nack)")
        return outcome == PUBLISHED

    def close(self) -> None:
        self._broker.close()

    def __enter__(self) -> "EventPublisher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
