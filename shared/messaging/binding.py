"""The CloudEvents AMQP protocol binding, as Savivalda uses it.

What we send (structured content mode): the body is the whole CloudEvents JSON object (the
envelope with `data`), the AMQP `content_type` is `application/cloudevents+json` and
`content_encoding` `utf-8`; `message_id` = `id`, `correlation_id` = `correlationid`, `type` =
`type`, `app_id` = `source`. Any CloudEvents SDK reads it (structured mode is recognised by the
content type alone), and nameko / plain AMQP clients still see a JSON body.

What we accept, so that external publishers keep working:
- structured mode: `application/cloudevents+json`, with or without `; charset=utf-8`;
- plain `application/json` whose body is the same JSON object (what every publisher sent before);
- binary mode: the body is only `data` (`application/json`) and the attributes travel in the
  message headers, prefixed `cloudEvents_` or `cloudEvents:` (the AMQP binding) or `ce-` (the
  RabbitMQ binding of the CloudEvents SDKs). It is turned into the structured object before the
  envelope is validated, so every rule (schema, inbox, retries, dead letters) is the same.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from kombu.serialization import register

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
JSON_CONTENT_TYPE = "application/json"
CONTENT_ENCODING = "utf-8"
HEADER_PREFIXES = ("cloudEvents_", "cloudEvents:", "ce-")
ACCEPTED_CONTENT_TYPES = (STRUCTURED_CONTENT_TYPE, JSON_CONTENT_TYPE)

# kombu decodes a structured-mode body as JSON (nameko's ACCEPT names "cloudevents"); publishers
# in other languages label it with this media type too.
register(
    "cloudevents",
    lambda obj: json.dumps(obj),
    json.loads,
    content_type=STRUCTURED_CONTENT_TYPE,
    content_encoding=CONTENT_ENCODING,
)


def media_type(content_type: str | None) -> str:
    """`application/cloudevents+json; charset=utf-8` -> `application/cloudevents+json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _charset(content_type: str | None) -> str | None:
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def decode_with_parameters(body: Any, content_type: str | None) -> Any:
    """The body of a JSON message whose content type carries parameters kombu does not match
    (`application/json; charset=utf-8`). Raises ValueError for anything else."""
    if media_type(content_type) not in ACCEPTED_CONTENT_TYPES:
        raise ValueError(f"content type {content_type!r} is not accepted")
    charset = _charset(content_type) or CONTENT_ENCODING
    if charset not in ("utf-8", "utf8"):
        raise ValueError(f"charset {charset!r} is not accepted (utf-8 only)")
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8")
    return json.loads(body)


def binary_attributes(headers: dict | None) -> dict[str, Any]:
    """CloudEvents attributes carried in message headers (binary content mode), by name."""
    attributes: dict[str, Any] = {}
    for key, value in (headers or {}).items():
        for prefix in HEADER_PREFIXES:
            if key[:len(prefix)].lower() == prefix.lower():
                name = key[len(prefix):].lower()
                if isinstance(value, (bytes, bytearray)):
                    value = bytes(value).decode("utf-8")
                attributes[name] = value
                break
    return attributes


def _time_text(value: Any) -> Any:
    if isinstance(value, datetime):  # an AMQP timestamp header
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, int) and not isinstance(value, bool):  # AMQP 1.0 timestamp: ms since the epoch
        return datetime.fromtimestamp(value / 1000.0, tz=timezone.utc).isoformat()
    return value


def structured_event(body: Any, content_type: str | None, headers: dict | None) -> Any:
    """The CloudEvents JSON object a message carries, whatever the content mode.

    Structured mode and plain JSON: the body as it is. Binary mode (attributes in headers, the
    body is `data`): the attributes with `data` added; `datacontenttype` is the message's content
    type without parameters.
    """
    if media_type(content_type).startswith("application/cloudevents"):
        return body
    attributes = binary_attributes(headers)
    if "specversion" not in attributes:
        return body
    event = dict(attributes)
    if "time" in event:
        event["time"] = _time_text(event["time"])
    if "schemaversion" in event and isinstance(event["schemaversion"], str) and event["schemaversion"].isdigit():
        event["schemaversion"] = int(event["schemaversion"])
    if content_type:
        event["datacontenttype"] = media_type(content_type)
    event["data"] = body
    return event


def publish_properties(*, event_id: str, event_type: str, correlation_id: str, source: str) -> dict[str, Any]:
    """AMQP properties of a structured-mode event message."""
    return {
        "content_type": STRUCTURED_CONTENT_TYPE,
        "content_encoding": CONTENT_ENCODING,
        "delivery_mode": 2,
        "message_id": event_id,
        "correlation_id": correlation_id,
        "type": event_type,
        "app_id": source,
    }
