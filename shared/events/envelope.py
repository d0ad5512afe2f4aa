"""The event envelope (CloudEvents 1.0, structured JSON mode) and the lookup of event types.

Every event on the bus is one JSON object: the CloudEvents attributes, our two extension
attributes (`correlationid`, `schemaversion`) and `data`, whose shape is the pydantic model
registered for (`type`, `schemaversion`). Routing follows nameko's convention so that any AMQP
client can publish: topic exchange `<prefix>.events`, routing key `<name>`, for type
`<prefix>.<name>`. The models register themselves (shared/events/registry.py) in the modules
shared/events/catalogue.py imports; this module reads the complete registry from there.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError

from shared.events.catalogue import REGISTRY as _REGISTRY
from shared.events.registry import OPERATOR_PUBLISHERS, TYPE_PATTERN, EventData  # noqa: F401
from shared.model import Model

SPEC_VERSION = "1.0"


class InvalidEvent(Exception):
    """A message that can never be handled: broken envelope, unknown type or data off its schema.

    Such a message goes straight to the dead-letter queue with `reason`; retrying cannot help.
    """

    def __init__(self, reason: str, envelope: "Envelope | None" = None):
        super().__init__(reason)
        self.reason = reason
        self.envelope = envelope


class Envelope(Model):
    """CloudEvents 1.0 attributes plus correlation id and schema version."""

    # CloudEvents allows further extension attributes; keep them rather than refuse the event.
    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = Field(description="CloudEvents version of the envelope; always \"1.0\"")
    id: uuid.UUID = Field(description="Unique id of the event (a UUID); consumers apply an id once. "
                                      "Also the AMQP message_id")
    source: str = Field(min_length=1, description="Who published it: `savivalda/<service>` for the services, "
                                                  "a name of your own for an external publisher")
    type: str = Field(pattern=TYPE_PATTERN, description="`<publisher>.<event name>`, one of the types below; "
                                                        "also the AMQP type property")
    time: AwareDatetime = Field(description="When it happened: RFC 3339 with a UTC offset "
                                            "(2026-03-01T09:30:00Z, 2026-03-01T11:30:00+02:00)")
    subject: str | None = Field(default=None, description="Id of the aggregate the event is about "
                                                          "(e.g. the enrolment or the application)")
    datacontenttype: Literal["application/json"] = Field(default="application/json",
                                                         description="Media type of `data`; only application/json")
    dataschema: str | None = Field(default=None, description="URI of the schema of `data`; informative, "
                                                             "consumers validate against (`type`, `schemaversion`)")
    correlationid: str = Field(min_length=1, max_length=200,
                               description="Id of the request or conversation the event belongs to (extension "
                                           "attribute); copied into every event it causes and every log line. "
                                           "Also the AMQP correlation_id")
    schemaversion: int = Field(default=1, ge=1, description="Version of the `data` schema of this type "
                                                            "(extension attribute); 1 when absent")
    data: dict[str, Any] = Field(description="The event itself, a JSON object; its fields per type are below")

    @property
    def exchange(self) -> str:
        return exchange_for(self.type)

    @property
    def routing_key(self) -> str:
        return routing_key_for(self.type)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def registered_events() -> dict[tuple[str, int], type[EventData]]:
    return dict(sorted(_REGISTRY.items()))


def model_for(type_: str, version: int = 1) -> type[EventData]:
    return _REGISTRY[(type_, version)]


def exchange_for(type_: str) -> str:
    return f"{type_.split('.', 1)[0]}.events"


def routing_key_for(type_: str) -> str:
    return type_.split(".", 1)[1]


def new_envelope(
    data: EventData,
    *,
    source: str,
    correlation_id: str,
    subject: str | None = None,
    event_id: uuid.UUID | None = None,
    time: datetime | None = None,
) -> Envelope:
    return Envelope(
        specversion=SPEC_VERSION,
        id=event_id or uuid.uuid4(),
        source=source,
        type=data.event_type,
        time=time or datetime.now(timezone.utc),
        subject=subject,
        correlationid=correlation_id,
        schemaversion=data.schema_version,
        data=data.model_dump(mode="json"),
    )


def _describe(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{prefix}{where}: {item['msg']}")
    return "; ".join(parts)


def parse_envelope(body: Any) -> Envelope:
    if not isinstance(body, dict):
        raise InvalidEvent(f"envelope must be a JSON object, got {type(body).__name__}")
    try:
        return Envelope.model_validate(body)
    except ValidationError as error:
        raise InvalidEvent(f"broken envelope: {_describe(error)}") from None


def parse_event(body: Any) -> tuple[Envelope, EventData]:
    """Validate an incoming message against the envelope and its type's data model."""
    envelope = parse_envelope(body)
    model = _REGISTRY.get((envelope.type, envelope.schemaversion))
    if model is None:
        known = sorted(v for (t, v) in _REGISTRY if t == envelope.type)
        if known:
            reason = f"unsupported schema version {envelope.schemaversion} of {envelope.type} (known: {known})"
        else:
            reason = f"unknown event type {envelope.type}"
        raise InvalidEvent(reason, envelope)
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as error:
        raise InvalidEvent(f"data does not match {envelope.type} v{envelope.schemaversion}: {_describe(error, 'data.')}", envelope) from None
    return envelope, data
