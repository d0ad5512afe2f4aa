"""The published contract (docs/events.md, JSON Schemas, AsyncAPI) is generated from the models
and cannot drift from them."""

import json
from pathlib import Path

import jsonschema

from shared.events import new_envelope, registered_events
from shared.events.catalogue_docs import asyncapi, json_schemas, markdown
from tests.unit.test_envelope import confirmed

ROOT = Path(__file__).resolve().parents[2]


def test_docs_events_md_matches_the_models():
    assert (ROOT / "docs" / "events.md").read_text() == markdown(), (
        "docs/events.md is out of date: run `savivalda events docs > docs/events.md`")


def test_one_valid_json_schema_per_event_type():
    schemas = json_schemas()
    assert set(schemas) == {f"{t}.v{v}" for t, v in registered_events()}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_real_envelope_validates_against_its_schema_and_a_broken_one_does_not():
    schema = json_schemas()["enrollment.enrollment_confirmed.v1"]
    body = new_envelope(confirmed(), source="member-registry", correlation_id="c").to_wire()
    jsonschema.validate(body, schema)
    broken = json.loads(json.dumps(body))
    del broken["data"]["participant"]
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError as error:
        assert "participant" in error.message
    else:
        raise AssertionError("schema accepted an event without its participant")


def test_asyncapi_names_every_exchange_and_routing_key():
    document = asyncapi()
    channels = document["channels"]
    assert len(channels) == len(registered_events())
    channel = channels["enrollment_enrollment_confirmed_v1"]
    assert channel["address"] == "enrollment_confirmed"
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "enrollment.events"
