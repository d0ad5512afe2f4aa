"""The public description of the event contract, generated from the registered models:
JSON Schemas (`savivalda events schemas`), the Markdown catalogue (docs/events.md, checked by a
test so it cannot drift) and an AsyncAPI document."""

from __future__ import annotations

import json

from shared.events.envelope import Envelope, exchange_for, registered_events, routing_key_for
from shared.messaging.binding import CONTENT_ENCODING, HEADER_PREFIXES, JSON_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE

SCHEMA_BASE = "https://savivalda.example/schemas/events"


def schema_id(event_type: str, version: int) -> str:
    return f"{SCHEMA_BASE}/{event_type}/v{version}.json"


def json_schemas() -> dict[str, dict]:
    """One JSON Schema per (type, version) for the whole envelope with its `data`."""
    schemas = {}
    envelope_schema = Envelope.model_json_schema()
    for (event_type, version), model in registered_events().items():
        data_schema = model.model_json_schema()
        defs = data_schema.pop("$defs", {})
        schema = json.loads(json.dumps(envelope_schema))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = schema_id(event_type, version)
        schema["title"] = f"{event_type} v{version}"
        schema["description"] = model.summary
        schema["properties"]["type"] = {"const": event_type, "type": "string"}
        schema["properties"]["schemaversion"] = {"const": version, "type": "integer"}
        schema["properties"]["data"] = data_schema
        schema["required"] = sorted(set(schema.get("required", [])) | {"type", "data"})
        if defs:
            schema["$defs"] = defs
        schemas[f"{event_type}.v{version}"] = schema
    return schemas


def _type_text(prop: dict, defs: dict) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_text(p, defs) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_text(prop.get('items', {}), defs)}"
    text = prop.get("type", "any")
    if "format" in prop:
        text += f" ({prop['format']})"
    return text


def _attribute_type(prop: dict) -> str:
    """The type of an envelope attribute with its constraints, for a reader writing a publisher."""
    text = _type_text(prop, {})
    if text == "object" and prop.get("additionalProperties") is True:
        text = "JSON object"
    constraints = []
    if "const" in prop:
        constraints.append(f"always `{json.dumps(prop['const'])}`")
    low, high = prop.get("minLength"), prop.get("maxLength")
    if low is not None and high is not None:
        constraints.append(f"{low}–{high} characters")
    elif low is not None:
        constraints.append(f"at least {low} character{'s' if low != 1 else ''}")
    if "minimum" in prop:
        constraints.append(f"≥ {prop['minimum']}")
    if "pattern" in prop:
        constraints.append(f"matching `{prop['pattern']}`")
    if prop.get("default") is not None and "const" not in prop:
        constraints.append(f"default `{json.dumps(prop['default'])}`")
    return ", ".join([text, *constraints])


CLOUDEVENTS_EXTENSIONS = ("correlationid", "schemaversion")


def _envelope_table() -> list[str]:
    schema = Envelope.model_json_schema()
    required = set(schema.get("required", []))
    lines = ["| attribute | type | required | meaning |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        meaning = prop.get("description", "")
        lines.append(f"| `{name}` | {_attribute_type(prop)} | {'yes' if name in required else 'no'} | {meaning} |")
    return lines


def _example_message() -> list[str]:
    import uuid
    from datetime import datetime, timezone

    from shared.events.envelope import new_envelope, model_for

    data = model_for("privacy.erasure_requested")(
        request_id=uuid.UUID("6f1d4c1e-1f4b-4a53-9d35-0c4a2a4a7a10"), email="jonas@example.lt",
        requested_by="dpo@lsa.lt")
    envelope = new_envelope(data, source="member-registry", correlation_id="req-2026-0042",
                            subject="6f1d4c1e-1f4b-4a53-9d35-0c4a2a4a7a10",
                            event_id=uuid.UUID("0b7c6a52-8c55-4a0e-8d5e-3f2b9e1c2d44"),
                            time=datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc))
    body = json.dumps(envelope.to_wire(), indent=2, ensure_ascii=False)
    return [f"    exchange {envelope.exchange}, routing key {envelope.routing_key}, "
            f"content_type {STRUCTURED_CONTENT_TYPE}, message_id {envelope.id}",
            *("    " + line for line in body.splitlines())]


def _external_publishers_guide() -> list[str]:
    """How another system publishes the events Savivalda takes from outside (EXTERNAL_PUBLISHERS)."""
    import uuid
    from datetime import datetime, timezone

    from shared.events import learning
    from shared.events.envelope import new_envelope

    envelope = new_envelope(learning.example(), source="moodle.lsa.lt", correlation_id="moodle-task-88123",
                            subject="moodle-completion-20931",
                            event_id=uuid.UUID("5d0e7c0a-2f6b-4b8e-9f5a-1c3d7e9b2a61"),
                            time=datetime(2026, 11, 27, 14, 5, 9, tzinfo=timezone.utc))
    body = json.dumps(envelope.to_wire(), indent=2, ensure_ascii=False)
    return [
        "## Publishing from another system: learning.course_completed",
        "",
        "A learning system (Moodle or any other virtual learning environment) reports each course a municipal",
        "employee completed there, and the enrollment service counts it: the hours go into the person's",
        "ledger (`GET /enrollment/hours`, under the first theme) and into the summary report",
        "(`GET /enrollment/reports/summary`: attendances, training hours, `learned_elsewhere`); when",
        "`course.catalogue_course_id` names a course of the catalogue and the hours reach its completion rule",
        "(`completion_min_percent` of its `duration_hours`), a certificate is issued, verifiable like any other.",
        "The person is told (`enrollment.learning_recorded`, in their language). Completions are listed at",
        "`GET /enrollment/learning-completions`.",
        "",
        "| message part | value |",
        "|---|---|",
        f"| exchange | `{envelope.exchange}` (durable topic exchange; `savivalda migrate enrollment` declares it) |",
        f"| routing key | `{envelope.routing_key}` |",
        f"| `content_type` | `{STRUCTURED_CONTENT_TYPE}` (or `{JSON_CONTENT_TYPE}` with the same body) |",
        "| `delivery_mode` | 2 (persistent); publish with publisher confirms |",
        "| `message_id` | the envelope's `id` (optional) |",
        "| headers | none needed (binary mode with `ce-*` / `cloudEvents_*` headers works too) |",
        "| body | the CloudEvents envelope below, UTF-8 JSON; `source` names your system and stays the same |",
        "",
        "Rules a publisher can rely on:",
        "",
        "- **Repeats are ignored.** `data.external_id` identifies the completion in your system; the same",
        "  `external_id` from the same `source` again (a resend, a new event `id`) changes nothing, and the",
        "  same event `id` twice is applied once. Send again whenever unsure.",
        "- **Invalid events are dead-lettered, with the reason**, never half-applied: a broken envelope, a field",
        "  off the schema below (unknown municipality code or theme, hours outside 0.1-500, a completion in the",
        "  future), or a `catalogue_course_id` that is not in the catalogue. Operators see the reason with",
        "  `savivalda dlq list` and can replay the message after a fix.",
        "- Without `catalogue_course_id` the hours count and no certificate is issued.",
        "- `hours` is a JSON number or a decimal string with at most one decimal place (`4`, `\"7.5\"`);",
        "  `completed_at` an RFC 3339 time with an offset; the person's `language` (`lt` or `en`) is the one",
        "  they are told in.",
        "",
        "An example (any AMQP client: exchange, routing key and this body):",
        "",
        f"    exchange {envelope.exchange}, routing key {envelope.routing_key}, content_type {STRUCTURED_CONTENT_TYPE}",
        *("    " + line for line in body.splitlines()),
        "",
    ]


def markdown() -> str:
    lines = [
        "# Event catalogue",
        "",
        "Generated from the pydantic models in `shared/events/` by `savivalda events docs`;",
        "a test fails when this file and the models disagree. JSON Schemas: `savivalda events schemas`;",
        "AsyncAPI 3.1: `savivalda events asyncapi` (checked by the official AsyncAPI parser in a test).",
        "",
        "## The envelope",
        "",
        "Every event is one CloudEvents 1.0 JSON object: the attributes below, with the event itself in",
        "`data`. `correlationid` and `schemaversion` are CloudEvents extension attributes of ours; other",
        "extension attributes (lower-case letters and digits) are kept and ignored. A message whose envelope",
        "or `data` does not validate is dead-lettered by every consumer with the reason.",
        "",
        *_envelope_table(),
        "",
        "Schemas change additively only; consumers ignore fields they do not know. A breaking change is a",
        "new `schemaversion` registered beside the old one.",
        "",
        "## On the wire: the CloudEvents AMQP binding",
        "",
        "Events go to RabbitMQ (AMQP 0-9-1) in the structured content mode of the CloudEvents AMQP protocol",
        "binding, so any CloudEvents SDK reads them off a queue:",
        "",
        "| message part | value |",
        "|---|---|",
        "| exchange | `<publisher>.events`, a durable topic exchange; the publisher is the part of `type` before "
        "the dot (`enrollment.events`) |",
        "| routing key | the event name, the part of `type` after the dot (`enrollment_confirmed`) |",
        "| body | the whole envelope as one JSON object, UTF-8 |",
        f"| `content_type` | `{STRUCTURED_CONTENT_TYPE}` |",
        f"| `content_encoding` | `{CONTENT_ENCODING}` |",
        "| `delivery_mode` | 2 (persistent) |",
        "| `message_id` | the envelope's `id` |",
        "| `correlation_id` | the envelope's `correlationid` |",
        "| `type` | the envelope's `type` |",
        "| `app_id` | the envelope's `source` |",
        "| headers | none |",
        "",
        "An external publisher needs only the exchange, the routing key and the body; the properties",
        "above are what Savivalda sends (consumers read everything from the envelope). Publish with",
        "publisher confirms and `mandatory` set to see an event no queue is bound for come back.",
        "Consumers accept:",
        "",
        f"- structured mode, `{STRUCTURED_CONTENT_TYPE}` (a `; charset=utf-8` parameter is fine);",
        f"- `{JSON_CONTENT_TYPE}` with the same body (what publishers sent before the binding was adopted);",
        f"- binary mode: the body is only `data` (`{JSON_CONTENT_TYPE}`) and every other attribute is a",
        "  header named after it with the prefix " + ", ".join(f"`{p}`" for p in HEADER_PREFIXES)
        + " (`cloudEvents_id`, `ce-id`, ...);",
        "  `time` may be an RFC 3339 string or an AMQP timestamp.",
        "",
        "An example (`savivalda events publish` and `shared/events/publisher.py` send the same):",
        "",
        *_example_message(),
        "",
        *_external_publishers_guide(),
        "## Event types",
        "",
        "| type | version | exchange | routing key | meaning |",
        "|---|---|---|---|---|",
    ]
    events = registered_events()
    for (event_type, version), model in events.items():
        lines.append(f"| `{event_type}` | {version} | `{exchange_for(event_type)}` | "
                     f"`{routing_key_for(event_type)}` | {model.summary} |")
    for (event_type, version), model in events.items():
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        required = set(schema.get("required", []))
        lines += ["", f"## {event_type} (v{version})", "", model.summary, "",
                  "| field | type | required | description |", "|---|---|---|---|"]
        for name, prop in schema.get("properties", {}).items():
            lines.append(f"| `{name}` | {_type_text(prop, defs)} | {'yes' if name in required else 'no'} | "
                         f"{prop.get('description', '')} |")
    return "\n".join(lines) + "\n"


ASYNCAPI_BINDING_VERSION = "0.3.0"


def _refs_to_components(node):
    """A copy of a schema whose `#/$defs/X` references point to `#/components/schemas/X`."""
    if isinstance(node, dict):
        return {key: (f"#/components/schemas/{value.rsplit('/', 1)[-1]}"
                      if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
                      else _refs_to_components(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_refs_to_components(item) for item in node]
    return node


def asyncapi() -> dict:
    """The AsyncAPI 3.0 document: one channel per event type (routing key on its exchange), one
    message whose payload is the whole CloudEvents envelope (structured mode), every schema under
    components.schemas so the document stands alone (no reference leaves it)."""
    channels, operations, messages, schemas = {}, {}, {}, {}
    for name, schema in json_schemas().items():
        for def_name, definition in schema.pop("$defs", {}).items():
            definition = _refs_to_components(definition)
            if schemas.setdefault(def_name, definition) != definition:
                raise ValueError(f"two different schemas are called {def_name}; rename one of the models")
        schema.pop("$schema", None)
        schema.pop("$id", None)
        schemas[name.replace(".", "_")] = _refs_to_components(schema)
    for (event_type, version), model in registered_events().items():
        key = f"{event_type}.v{version}".replace(".", "_")
        messages[key] = {
            "name": event_type,
            "title": f"{event_type} v{version}",
            "summary": model.summary,
            "contentType": STRUCTURED_CONTENT_TYPE,
            "correlationId": {"description": "the envelope's correlationid (also the AMQP correlation_id)",
                              "location": "$message.payload#/correlationid"},
            "payload": {"$ref": f"#/components/schemas/{key}"},
            "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": event_type,
                                  "bindingVersion": ASYNCAPI_BINDING_VERSION}},
        }
        channel = key
        channels[channel] = {
            "address": routing_key_for(event_type),
            "title": f"{routing_key_for(event_type)} on {exchange_for(event_type)}",
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": exchange_for(event_type), "type": "topic", "durable": True, "autoDelete": False},
                "bindingVersion": ASYNCAPI_BINDING_VERSION}},
        }
        operations[f"publish_{key}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{model.publisher} publishes {event_type}",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{key}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True,
                                  "bindingVersion": ASYNCAPI_BINDING_VERSION}},
        }
    return {
        "asyncapi": "3.1.0",
        "info": {"title": "Savivalda events", "version": "0.1.0",
                 "description": "CloudEvents 1.0 envelopes on RabbitMQ topic exchanges, in the CloudEvents AMQP "
                                "binding's structured mode: the body is the whole envelope, the content type "
                                f"`{STRUCTURED_CONTENT_TYPE}`. Consumers also accept `application/json` with the "
                                "same body, and binary mode (attributes in `cloudEvents_*` or `ce-*` headers). "
                                "The exchange is `<publisher>.events`, the routing key the event name."},
        "defaultContentType": STRUCTURED_CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }
