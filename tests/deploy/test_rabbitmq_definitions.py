"""deploy/rabbitmq/definitions.json imported into the local RabbitMQ: each service's user works
for everything its own code does and for nothing of another service's.

The topology is the real one (shared.messaging.topology for the four service classes): the
operator declares it as the migrate job does, then each service user declares its part as a
starting replica does.
"""

from __future__ import annotations

import contextlib

import amqp
import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection

from services.registry import service_classes
from shared.config import SERVICE_NAMES, operator_settings
from shared.messaging import topology
from tests.support import RABBIT_HOST, RABBIT_PORT

pytestmark = pytest.mark.rabbitmq


@contextlib.contextmanager
def channel_as(stack, user: str):
    connection = amqp.Connection(f"{RABBIT_HOST}:{RABBIT_PORT}", userid=stack.user(user),
                                 password=stack.passwords[user], virtual_host=stack.vhost, confirm_publish=True,
                                 connect_timeout=5)
    connection.connect()
    try:
        yield connection.channel()
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def publish(stack, user: str, exchange: str, routing_key: str = "x") -> None:
    """Publish with a confirm; raises AccessRefused when the user may not write to `exchange`."""
    with channel_as(stack, user) as channel:
        channel.basic_publish(amqp.Message(b"{}", content_type="application/json"), exchange=exchange,
                              routing_key=routing_key)


def settings_for(uri: str):
    return operator_settings({"SAVIVALDA_AMQP_URI": uri, "SAVIVALDA_QUEUE_TYPE": "quorum"})


def declare_as(stack, user: str, services, declare_sources: bool) -> None:
    settings = settings_for(stack.uri(user))
    classes = service_classes()
    with Connection(settings.amqp_uri, connect_timeout=5) as connection:
        for service in services:
            topology.declare_service_topology(connection, service, classes[service], settings, publishes=[service],
                                              declare_sources=declare_sources)


@pytest.fixture(scope="module")
def declared(broker_stack):
    """The whole topology declared by the operator, as `savivalda migrate` does."""
    declare_as(broker_stack, "operator", SERVICE_NAMES, declare_sources=True)
    return broker_stack


def a_queue_of(service: str) -> str:
    """A handler queue owned by `service` if it subscribes to anything, else its dead letters."""
    settings = settings_for("amqp://unused")
    queues = topology.service_queues(service, service_classes()[service], settings)
    handler_queues = [q.name for q in queues if q.name.startswith("evt-")]
    return (handler_queues or [topology.dead_letter_queue_name(service)])[0]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_user_declares_its_own_topology_and_publishes_its_events(declared, service):
    # What a starting replica does (services/runner.py: declare_sources=False in distributed mode).
    declare_as(declared, service, [service], declare_sources=False)
    publish(declared, service, f"{service}.events", "anything_happened")
    # Its retry and dead-letter paths (shared.messaging.subscriptions.Redelivery).
    publish(declared, service, topology.retry_name(service, 1.0))
    publish(declared, service, topology.dead_letter_exchange(service).name)
    with channel_as(declared, service) as channel:
        channel.basic_get(queue=a_queue_of(service), no_ack=False)
        channel.queue_declare(queue=topology.dead_letter_queue_name(service), passive=True)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_user_cannot_publish_to_another_service_exchanges(declared, service):
    for other in SERVICE_NAMES:
        if other == service:
            continue
        for exchange in (f"{other}.events", f"{other}.redeliver", f"{other}.dlx", topology.retry_name(other, 1.0)):
            with pytest.raises(AccessRefused):
                publish(declared, service, exchange)
    # Nor to privacy.events (the operator's), nor straight into a queue through the default exchange.
    with pytest.raises(AccessRefused):
        publish(declared, service, "privacy.events", "erasure_requested")
    with pytest.raises(AccessRefused):
        publish(declared, service, "", a_queue_of(service))


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_user_cannot_consume_or_change_another_service_queues(declared, service):
    for other in SERVICE_NAMES:
        if other == service:
            continue
        queue = a_queue_of(other)
        for attempt in (lambda ch: ch.basic_get(queue=queue),
                        lambda ch: ch.basic_consume(queue=queue, callback=lambda m: None),
                        lambda ch: ch.queue_purge(queue=queue),
                        lambda ch: ch.queue_delete(queue=queue),
                        lambda ch: ch.exchange_delete(exchange=f"{other}.events"),
                        lambda ch: ch.queue_declare(queue=f"evt-{service}-x--{other}.intruder", durable=True)):
            with channel_as(declared, service) as channel, pytest.raises(AccessRefused):
                attempt(channel)


def test_a_service_user_may_only_check_for_other_publishers_exchanges(declared):
    """Why services/runner.py declares other publishers' exchanges passively: notifications'
    queues bind to enrollment.events, which its user may read (bind) but not configure."""
    subscriber = next(s for s in SERVICE_NAMES
                      if any(q.name.startswith("evt-") and any(b.exchange.name != f"{s}.events" and b.exchange.passive
                                                                for b in q.bindings)
                             for q in topology.service_queues(s, service_classes()[s], settings_for("amqp://x"))))
    with pytest.raises(AccessRefused):
        declare_as(declared, subscriber, [subscriber], declare_sources=True)
    declare_as(declared, subscriber, [subscriber], declare_sources=False)


def queue_column(broker_admin, vhost: str, column: str) -> dict[str, str]:
    lines = broker_admin.run("list_queues", "-q", "-p", vhost, "name", column).splitlines()
    rows = [line.split("\t") for line in lines if "\t" in line]
    return {name: value for name, value in rows if name != "name"}


def test_the_operator_publishes_privacy_requests_and_every_queue_is_quorum(declared, broker_admin):
    with channel_as(declared, "operator") as channel:
        # `savivalda privacy erase` declares and publishes to privacy.events as the operator.
        channel.exchange_declare("privacy.events", "topic", durable=True, auto_delete=False)
        channel.basic_publish(amqp.Message(b"{}"), exchange="privacy.events", routing_key="erasure_requested")
        # Declared without a type: the vhost's default makes it a quorum queue all the same.
        channel.queue_declare("enrollment.untyped-probe", durable=True, auto_delete=False)
    types = queue_column(broker_admin, declared.vhost, "type")
    assert "enrollment.untyped-probe" in types and set(types.values()) == {"quorum"}, types
    policies = queue_column(broker_admin, declared.vhost, "policy")
    assert set(policies.values()) == {"savivalda-quorum-queues"}, policies
