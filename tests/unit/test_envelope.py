import uuid
from datetime import datetime, timezone

import pytest

from shared.events import InvalidEvent, new_envelope, parse_event, registered_events
from shared.events.registry import EXTERNAL_PUBLISHERS, OPERATOR_PUBLISHERS
from shared.events.enrollment import EnrollmentConfirmed
from shared.events.types import LocalizedText, Person
from shared.config import SERVICE_NAMES


def confirmed(**changes):
    data = dict(
        enrollment_id=uuid.uuid4(), session_id=uuid.uuid4(), course_id=uuid.uuid4(),
        course_title=LocalizedText(lt="Biudžetas", en="Budget"),
        starts_at=datetime(2027, 1, 10, 7, tzinfo=timezone.utc), ends_at=datetime(2027, 1, 10, 13, tzinfo=timezone.utc),
        venue="Kaunas", fee_eur="0",
        participant=Person(name="Ona", email="ona@example.lt", municipality_code="15", language="lt"),
    )
    data.update(changes)
    return EnrollmentConfirmed(**data)


def wire(**changes):
    body = new_envelope(confirmed(), source="savivalda/enrollment", correlation_id="c-1").to_wire()
    body.update(changes)
    return body


def test_envelope_round_trip_keeps_cloudevents_attributes_and_data():
    envelope = new_envelope(confirmed(), source="savivalda/enrollment", correlation_id="c-1", subject="e-1")
    parsed, data = parse_event(envelope.to_wire())
    assert parsed.specversion == "1.0"
    assert parsed.type == "enrollment.enrollment_confirmed"
    assert parsed.exchange == "enrollment.events" and parsed.routing_key == "enrollment_confirmed"
    assert parsed.correlationid == "c-1" and parsed.subject == "e-1" and parsed.schemaversion == 1
    assert data == envelope_data_model(envelope)


def envelope_data_model(envelope):
    return EnrollmentConfirmed.model_validate(envelope.data)


@pytest.mark.parametrize("change, fragment", [
    ({"specversion": "0.3"}, "specversion"),
    ({"id": "not-a-uuid"}, "id"),
    ({"time": "2026-01-01T10:00:00"}, "time"),  # no offset
    ({"type": "NoDot"}, "type"),
    ({"correlationid": ""}, "correlationid"),
    ({"data": "text"}, "data"),
])
def test_broken_envelope_is_refused_naming_the_attribute(change, fragment):
    with pytest.raises(InvalidEvent) as caught:
        parse_event(wire(**change))
    assert caught.value.reason.startswith("broken envelope")
    assert fragment in caught.value.reason


def test_missing_attribute_and_non_object_are_refused():
    body = wire()
    del body["source"]
    with pytest.raises(InvalidEvent, match="source"):
        parse_event(body)
    with pytest.raises(InvalidEvent, match="JSON object"):
        parse_event(["not", "an", "object"])


def test_unknown_type_and_unknown_version_are_refused():
    with pytest.raises(InvalidEvent, match="unknown event type enrollment.no_such_event"):
        parse_event(wire(type="enrollment.no_such_event"))
    with pytest.raises(InvalidEvent, match="unsupported schema version 7"):
        parse_event(wire(schemaversion=7))


def test_data_off_its_schema_is_refused_naming_the_field():
    body = wire()
    body["data"]["participant"]["email"] = "not an address"
    body["data"]["fee_eur"] = "free"
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body)
    assert "data.participant.email" in caught.value.reason
    assert "data.fee_eur" in caught.value.reason
    assert caught.value.envelope is not None  # kept so the dead letter can name the event


def test_fields_added_by_a_newer_publisher_are_ignored():
    body = wire()
    body["data"]["added_in_a_later_version"] = {"anything": 1}
    body["traceparent"] = "00-abc-def-01"  # a CloudEvents extension attribute
    envelope, data = parse_event(body)
    assert not hasattr(data, "added_in_a_later_version")


def test_every_registered_event_belongs_to_a_service_and_is_documented():
    events = registered_events()
    assert ("enrollment.enrollment_confirmed", 1) in events
    for (event_type, version), model in events.items():
        assert model.publisher in SERVICE_NAMES + OPERATOR_PUBLISHERS + EXTERNAL_PUBLISHERS, event_type
        assert model.summary and version >= 1
