"""Events on the broker follow the CloudEvents AMQP protocol binding, checked with the official
CloudEvents Python SDK (`cloudevents`, pinned in pyproject.toml):

- what the outbox relay and the publisher helper send (structured mode, content type
  application/cloudevents+json) is read by the SDK's AMQP and RabbitMQ bindings, taken off a queue of
  a real RabbitMQ with plain kombu;
- a subscription still consumes what external publishers send: plain application/json,
  structured mode with a charset parameter, and binary mode written by the SDK itself — on RabbitMQ
  and on the embedded in-memory transport.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from cloudevents.core.bindings import amqp as ce_amqp
from cloudevents.core.bindings import rabbitmq as ce_rabbitmq
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from kombu import Connection, Producer, Queue
from nameko.containers import ServiceContainer
from sqlalchemy import select

from shared.broker import AmqpBroker
from shared.config import Settings
from shared.persistence.provider import Database
from shared.persistence.engines import engine_for
from shared.persistence.schema import DEAD_LETTERS, INBOX, new_metadata
from shared.persistence.unit_of_work import UnitOfWork
from shared.events import new_envelope
from shared.events.publisher import EventPublisher
from shared.messaging.binding import STRUCTURED_CONTENT_TYPE
from shared.messaging.subscriptions import subscribe
from shared.messaging.topology import declare_service_topology, events_exchange
from shared.observability import HEALTH
from shared.persistence.outbox import Relay
from shared.service import ServiceBase
from tests.support import free_port, wait_until
from tests.unit.test_envelope import confirmed


def sqlite_database(tmp_path, name: str) -> str:
    """A service database with the infrastructure tables (outbox, inbox, dead letters)."""
    url = f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    new_metadata().create_all(engine_for(url))
    return url


def listening_queue(amqp_uri: str) -> Queue:
    queue = Queue(f"ce-listener-{uuid.uuid4().hex[:6]}", exchange=events_exchange("enrollment"), routing_key="#",
                  durable=True)
    with Connection(amqp_uri) as connection:
        queue.bind(connection.default_channel).declare()
    return queue


def take_one(amqp_uri: str, queue: Queue):
    """The next message on the queue, with plain AMQP (no Savivalda code)."""
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        return wait_until(lambda: channel.basic_get(queue=queue.name, no_ack=True), timeout=20,
                          message="a message on the listening queue")


def read_with_sdk(message) -> list[CloudEvent]:
    """The message as both SDK bindings read it (they detect the content mode themselves)."""
    headers = dict(message.headers or {})
    content_type = message.properties.get("content_type")
    return [
        ce_amqp.from_amqp_event(ce_amqp.AMQPMessage(
            properties={"content-type": content_type}, application_properties=headers,
            application_data=message.body)),
        ce_rabbitmq.from_rabbitmq_event(ce_rabbitmq.RabbitMQMessage(
            headers=headers, content_type=content_type, body=message.body)),
    ]


def assert_same_event(event: CloudEvent, envelope) -> None:
    assert event.get_specversion() == "1.0"
    assert event.get_id() == str(envelope.id)
    assert event.get_type() == envelope.type
    assert event.get_source() == envelope.source
    assert event.get_subject() == envelope.subject
    assert event.get_time() == envelope.time
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("correlationid") == envelope.correlationid
    assert event.get_extension("schemaversion") == envelope.schemaversion
    assert event.get_data() == envelope.to_wire()["data"]


def test_the_outbox_relay_publishes_structured_cloudevents_the_sdk_reads(amqp_uri, tmp_path):
    url = sqlite_database(tmp_path, "enrollment")
    queue = listening_queue(amqp_uri)
    with UnitOfWork(engine_for(url), "enrollment", "ce-test") as uow:
        envelope = uow.emit(confirmed(), subject="enrolment-42")
        uow.commit()
    relay = Relay("enrollment", url, AmqpBroker(amqp_uri))
    try:
        assert relay.publish_pending() == 1
    finally:
        relay.broker.close()
    message = take_one(amqp_uri, queue)

    assert message.properties["content_type"] == STRUCTURED_CONTENT_TYPE  # structured content mode
    assert message.properties["message_id"] == str(envelope.id)
    assert message.properties["correlation_id"] == envelope.correlationid
    assert message.properties["delivery_mode"] == 2
    for event in read_with_sdk(message):
        assert_same_event(event, envelope)
    # the structured-mode reader on its own, as a consumer that knows the mode would call it
    event = ce_rabbitmq.from_structured_event(ce_rabbitmq.RabbitMQMessage(
        headers={}, content_type=message.properties["content_type"], body=message.body))
    assert_same_event(event, envelope)


def test_the_publisher_helper_for_other_systems_sends_the_same_format(amqp_uri):
    queue = listening_queue(amqp_uri)
    envelope = new_envelope(confirmed(), source="member-registry", correlation_id="registry-7", subject="s-1")
    with EventPublisher(amqp_uri) as publisher:
        assert publisher.publish(envelope)
    message = take_one(amqp_uri, queue)
    assert message.properties["content_type"] == STRUCTURED_CONTENT_TYPE
    for event in read_with_sdk(message):
        assert_same_event(event, envelope)


# ---------------------------------------------------------------- consuming what others publish

RECEIVED: dict[str, list] = {}


def probe_service(name: str):
    """A minimal service with one real `@subscribe` handler (inbox, retries, dead letters)."""

    class Probe(ServiceBase):
        db = Database()

        @subscribe("enrollment.enrollment_confirmed")
        def on_confirmed(self, event, envelope):
            RECEIVED.setdefault(name, []).append((envelope, event))

    Probe.name = name
    return Probe


@pytest.fixture(params=["rabbitmq", "memory"])
def probe(request, tmp_path, reset_process_state):
    """(amqp_uri, service name, database url) of a running probe service on RabbitMQ or on the
    embedded in-memory transport."""
    name = f"probe{uuid.uuid4().hex[:6]}"
    if request.param == "rabbitmq":
        amqp_uri, mode = request.getfixturevalue("amqp_uri"), "distributed"
    else:
        amqp_uri, mode = "memory://", "embedded"
    url = sqlite_database(tmp_path, name)
    settings = Settings(
        mode=mode, services=(name,), amqp_uri=amqp_uri, database_urls={name: url}, auth_secret="x" * 40,
        http_address=f"127.0.0.1:{free_port()}", ops_address=f"127.0.0.1:{free_port()}",
        retry_delays=(0.1,), relay_interval=0.1,
    )
    service_cls = probe_service(name)
    with Connection(amqp_uri) as connection:  # what `savivalda migrate` does before services start
        declare_service_topology(connection, name, service_cls, settings)
    container = ServiceContainer(service_cls, settings.nameko_config())
    container.start()
    try:
        yield amqp_uri, name, url
    finally:
        container.stop()
        RECEIVED.pop(name, None)
        HEALTH.remove_service(name)  # later tests ask the process's health registry about every service


def sdk_binary(envelope, binding) -> tuple[bytes, str, dict]:
    """Body, content type and headers of `envelope` in binary content mode, as the SDK writes it."""
    wire = envelope.to_wire()
    data = wire.pop("data")
    wire["time"] = envelope.time
    event = CloudEvent(attributes=wire, data=data)
    if binding == "amqp":
        message = ce_amqp.to_binary(event, JSONFormat())
        return message.application_data, message.properties["content-type"], message.application_properties
    message = ce_rabbitmq.to_binary(event, JSONFormat())
    return message.body, message.content_type, message.headers


def test_a_subscription_consumes_plain_json_structured_and_binary_mode(probe):
    amqp_uri, name, url = probe
    envelopes = {mode: new_envelope(confirmed(), source="hr-system", correlation_id=f"ext-{mode}",
                                    subject=f"subject-{mode}", time=datetime(2026, 11, 29, 12, 30, tzinfo=timezone.utc))
                 for mode in ("plain-json", "structured", "structured-charset", "sdk-structured",
                              "binary-amqp", "binary-rabbitmq")}
    messages = [
        (json.dumps(envelopes["plain-json"].to_wire()).encode(), "application/json", {}),
        (json.dumps(envelopes["structured"].to_wire()).encode(), STRUCTURED_CONTENT_TYPE, {}),
        (json.dumps(envelopes["structured-charset"].to_wire()).encode(), f"{STRUCTURED_CONTENT_TYPE}; charset=utf-8", {}),
    ]
    wire = envelopes["sdk-structured"].to_wire()
    data = wire.pop("data")
    sdk_message = ce_rabbitmq.to_structured(CloudEvent(attributes={**wire, "time": envelopes["sdk-structured"].time},
                                                       data=data), JSONFormat())
    messages.append((sdk_message.body, sdk_message.content_type, sdk_message.headers))
    messages.append(sdk_binary(envelopes["binary-amqp"], "amqp"))
    messages.append(sdk_binary(envelopes["binary-rabbitmq"], "rabbitmq"))

    with Connection(amqp_uri) as connection:
        producer = Producer(connection.channel())
        for body, content_type, headers in messages:
            producer.publish(body, exchange=events_exchange("enrollment"), routing_key="enrollment_confirmed",
                             content_type=content_type, content_encoding="utf-8", headers=headers,
                             declare=[events_exchange("enrollment")])

    def dead_letters():
        with UnitOfWork(engine_for(url), name, "test") as uow:
            return [row.reason for row in uow.session.execute(select(DEAD_LETTERS.c.reason))]

    wait_until(lambda: len(RECEIVED.get(name, [])) == len(envelopes), timeout=30,
               message=f"{len(envelopes)} events handled (dead letters so far: {dead_letters()})")
    by_id = {str(envelope.id): envelope for envelope, _ in RECEIVED[name]}
    for mode, sent in envelopes.items():
        got = by_id.get(str(sent.id))
        assert got is not None, f"the {mode} event was not handled"
        assert (got.type, got.source, got.correlationid, got.subject, got.time) == (
            sent.type, sent.source, sent.correlationid, sent.subject, sent.time), mode
        assert got.data == sent.to_wire()["data"], mode
    with UnitOfWork(engine_for(url), name, "test") as uow:
        claimed = {str(row.event_id) for row in uow.session.execute(select(INBOX.c.event_id))}
    assert claimed == {str(e.id) for e in envelopes.values()}
    assert dead_letters() == []
