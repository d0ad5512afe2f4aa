"""The RabbitMQ broker on its own, in a vhost of its own: pipelined confirmed publishing with the
fate of each message, an unreachable broker, a retry through the delay queue back to the handler's
queue, and dead letters parked, listed, replayed and purged."""

import json
import uuid

import pytest
from kombu import Connection, Queue

from shared.broker import PUBLISHED, UNROUTABLE, AmqpBroker, FailedMessage, OutgoingMessage, PublishError
from shared.messaging import topology
from tests.support import free_port, wait_until


def handler_queue(amqp_uri: str) -> Queue:
    """notifications' queue for enrollment.enrollment_confirmed, declared as `savivalda migrate` would."""
    queue = topology.handler_queue("enrollment.enrollment_confirmed", "notifications", "on_confirmed")
    with Connection(amqp_uri) as connection:
        for source in queue.bindings:
            source.exchange.bind(connection.default_channel).declare(passive=False)
        queue.bind(connection.default_channel).declare()
    return queue


def take(amqp_uri: str, queue: Queue):
    with Connection(amqp_uri) as connection:
        return connection.default_channel.basic_get(queue=queue.name, no_ack=True)


def event(routing_key="enrollment_confirmed") -> OutgoingMessage:
    event_id = str(uuid.uuid4())
    return OutgoingMessage(row_id=1, event_id=event_id, event_type=f"enrollment.{routing_key}",
                           exchange="enrollment.events", routing_key=routing_key, correlation_id="c-1",
                           body=json.dumps({"id": event_id}).encode(), app_id="savivalda/enrollment")


def failed(queue: Queue) -> FailedMessage:
    return FailedMessage(body=b'{"id": "e-1"}', headers={"ce-extra": "kept"},
                         properties={"content_type": "application/cloudevents+json", "content_encoding": "utf-8",
                                     "message_id": "e-1", "correlation_id": "c-1"},
                         queue=queue.name, consumer="notifications.on_confirmed")


@pytest.fixture
def broker(amqp_uri):
    broker = AmqpBroker(amqp_uri, "notifications", retry_delays=(0.2,))
    broker.start()  # the delay and dead-letter queues
    yield broker
    broker.close()


def test_a_batch_is_confirmed_in_order_and_an_unroutable_event_is_reported(amqp_uri, broker):
    queue = handler_queue(amqp_uri)
    batch = [event(), event("session_cancelled"), event()]
    assert broker.publish(batch) == [PUBLISHED, UNROUTABLE, PUBLISHED] and broker.connected
    received = [take(amqp_uri, queue) for _ in range(2)]
    assert [m.properties["message_id"] for m in received] == [batch[0].event_id, batch[2].event_id]
    assert all(m.properties["content_type"] == "application/cloudevents+json"
               and m.properties["delivery_mode"] == 2 for m in received)
    assert broker.publish([event()]) == [PUBLISHED]  # the channel goes on counting its delivery tags


def test_an_unreachable_broker_is_a_publish_error_and_unhealthy():
    broker = AmqpBroker(f"amqp://guest:guest@127.0.0.1:{free_port()}/", "notifications")
    with pytest.raises(PublishError):
        broker.publish([event()])
    assert not broker.connected
    assert broker.health().startswith("broker unreachable")


def test_a_retry_waits_in_the_delay_queue_then_comes_back_to_its_queue(amqp_uri, broker):
    queue = handler_queue(amqp_uri)
    broker.schedule_retry(failed(queue), delay=0.2, attempt=2, error="RuntimeError: boom")
    message = wait_until(lambda: take(amqp_uri, queue), timeout=10, message="the retried message")
    assert json.loads(message.body) == {"id": "e-1"}
    assert message.headers[topology.ATTEMPT_HEADER] == 2
    assert message.headers[topology.LAST_ERROR_HEADER] == "RuntimeError: boom"
    assert message.headers["ce-extra"] == "kept" and message.properties["message_id"] == "e-1"


def test_dead_letters_are_parked_listed_replayed_and_purged(amqp_uri, broker):
    queue = handler_queue(amqp_uri)
    first = broker.park(failed(queue), reason="exhausted: 2 attempts", attempts=2, event_id="e-1",
                        event_type="enrollment.enrollment_confirmed")
    second = broker.park(failed(queue), reason="invalid: test", attempts=1, event_id="e-2", event_type=None)
    letters = broker.dead_letters()
    assert [d.id for d in letters] == [first, second] and broker.dead_letter_count() == 2  # listing takes none
    assert (letters[0].queue, letters[0].consumer, letters[0].reason, letters[0].attempts, letters[0].event_type) == (
        queue.name, "notifications.on_confirmed", "exhausted: 2 attempts", 2, "enrollment.enrollment_confirmed")
    assert letters[0].json_body() == {"id": "e-1"}

    assert not broker.replay_deferred and broker.replay(["e-1"]) == 1
    replayed = take(amqp_uri, queue)
    assert json.loads(replayed.body) == {"id": "e-1"} and replayed.properties["correlation_id"] == "c-1"
    assert not any(key.startswith("x-savivalda-") for key in replayed.headers)  # a fresh first attempt
    assert [d.id for d in broker.dead_letters()] == [second]

    assert broker.purge(None) == 1
    assert broker.dead_letters() == [] and broker.dead_letter_count() == 0


def test_a_retry_after_the_connection_was_lost_goes_out_on_a_new_one(amqp_uri, broker):
    import socket

    queue = handler_queue(amqp_uri)
    assert broker.publish([event()]) == [PUBLISHED]
    broker._kombu.connection.sock.shutdown(socket.SHUT_RDWR)  # as a broker restart leaves an idle connection
    broker.schedule_retry(failed(queue), delay=0.2, attempt=2, error="RuntimeError: boom")
    take(amqp_uri, queue)  # the event published above
    message = wait_until(lambda: take(amqp_uri, queue), timeout=10, message="the retried message")
    assert message.headers[topology.ATTEMPT_HEADER] == 2
