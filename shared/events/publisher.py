"""A tiny publisher for other systems written in Python (and for `savivalda events publish`).

    with EventPublisher("amqp://user:pass@broker:5672/savivalda") as publisher:
        publisher.publish(new_envelope(SessionScheduled(...), source="hr-system", correlation_id="..."))

The event is validated against its registered model first, then published persistent, mandatory
and confirmed to `<publisher>.events` with the event name as routing key. Any AMQP client in any
language can do the same; docs/events.md describes the wire format.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from shared.events.envelope import Envelope, InvalidEvent, parse_event
from shared.messaging.publishing import ConfirmingPublisher, OutgoingMessage, PublishError


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
    def __init__(self, amqp_uri: str):
        self._publisher = ConfirmingPublisher(amqp_uri)

    def publish(self, envelope: Envelope) -> bool:
        """Publish and wait for the broker's confirm. Returns False if no queue was bound."""
        parse_event(envelope.to_wire())  # refuse what consumers would dead-letter
        import json

        message = OutgoingMessage(
            row_id=0, event_id=str(envelope.id), event_type=envelope.type, exchange=envelope.exchange,
            routing_key=envelope.routing_key, correlation_id=envelope.correlationid,
            body=json.dumps(envelope.to_wire(), ensure_ascii=False).encode(), app_id=envelope.source,
        )
        try:
            outcome, = self._publisher.publish_batch([message])
        except PublishError as error:
            raise PublishRefused(f"broker unavailable: {error}") from None
        if outcome == "nacked":
            raise PublishRefused("the broker refused the message (nack)")
        return outcome == "published"

    def close(self) -> None:
        self._publisher.close()

    def __enter__(self) -> "EventPublisher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
