"""The in-memory broker (embedded mode) on its own: publish with outcomes, a retry that comes back
to its queue after the delay, dead letters kept in the service's database, replayed and purged."""

import json
import uuid

import pytest
from kombu import Connection, Queue

from shared.broker import PUBLISHED, UNROUTABLE, AmqpBroker, FailedMessage, MemoryBroker, OutgoingMessage, broker_for
from shared.config import Settings
from shared.messaging import topology
from shared.persistence.engines import engine_for
from shared.persistence.schema import new_metadata
from tests.support import wait_until


@pytest.fixture
def broker(tmp_path, reset_process_state):
    url = f"sqlite:///{tmp_path / 'notifications.sqlite3'}"
    new_metadata().create_all(engine_for(url))
    broker = MemoryBroker("notifications", url)
    yield broker
    broker.stop()


def handler_queue() -> Queue:
    """notifications' queue for enrollment.enrollment_confirmed, declared as `savivalda migrate` would."""
    queue = topology.handler_queue("enrollment.enrollment_confirmed", "notifications", "on_confirmed")
    with Connection("memory://") as connection:
        for source in queue.bindings:
            source.exchange.bind(connection.default_channel).declare(passive=False)
        queue.bind(connection.default_channel).declare()
    return queue


def take(queue: Queue):
    with Connection("memory://") as connection:
        return queue.bind(connection.default_channel).get(no_ack=True)


def event(routing_key="enrollment_confirmed") -> OutgoingMessage:
    event_id = str(uuid.uuid4())
    return OutgoingMessage(row_id=1, event_id=event_id, event_type=f"enrollment.{routing_key}",
                           exchange="enrollment.events", routing_key=routing_key, correlation_id="c-1",
                           body=json.dumps({"id": event_id}).encode(), app_id="savivalda/enrollment")


def failed(queue: Queue, body=b'{"id": "e-1"}') -> FailedMessage:
    return FailedMessage(body=body, headers={"ce-extra": "kept"},
                         properties={"content_type": "application/cloudevents+json", "content_encoding": "utf-8",
                                     "message_id": "e-1", "type": "enrollment.enrollment_confirmed"},
                         queue=queue.name, consumer="notifications.on_confirmed")


def test_published_events_reach_their_queue_in_structured_mode_and_the_others_are_unroutable(broker):
    queue = handler_queue()
    routed, lost = event(), event("session_cancelled")
    assert broker.publish([routed, lost]) == [PUBLISHED, UNROUTABLE]
    message = take(queue)
    assert json.loads(message.body) == {"id": routed.event_id}
    assert message.content_type == "application/cloudevents+json"
    assert message.properties["message_id"] == routed.event_id
    assert take(queue) is None


def test_a_retry_comes_back_to_its_queue_after_the_delay_with_the_attempt(broker):
    queue = handler_queue()
    broker.schedule_retry(failed(queue), delay=0.2, attempt=2, error="RuntimeError: boom")
    assert broker.pending_retries == 1 and take(queue) is None
    message = wait_until(lambda: take(queue), timeout=5, message="the retried message")
    assert json.loads(message.body) == {"id": "e-1"}
    assert message.headers[topology.ATTEMPT_HEADER] == 2
    assert message.headers[topology.LAST_ERROR_HEADER] == "RuntimeError: boom"
    assert message.headers["ce-extra"] == "kept"
    assert message.properties["message_id"] == "e-1"
    assert broker.pending_retries == 0


def test_dead_letters_are_kept_listed_replayed_by_the_running_process_and_purged(broker):
    queue = handler_queue()
    first = broker.park(failed(queue), reason="exhausted: 4 attempts", attempts=4, event_id="e-1",
                        event_type="enrollment.enrollment_confirmed")
    second = broker.park(failed(queue, b"not json"), reason="invalid: undecodable", attempts=1, event_id=None,
                         event_type=None)
    letters = broker.dead_letters()
    assert [d.id for d in letters] == [first, second] and broker.dead_letter_count() == 2
    assert letters[0].summary() == {"id": first, "service": "notifications", "event_type": "enrollment.enrollment_confirmed",
                                    "event_id": "e-1", "consumer": "notifications.on_confirmed", "attempts": 4,
                                    "failed_at": letters[0].failed_at, "reason": "exhausted: 4 attempts"}
    assert letters[0].queue == queue.name and letters[0].json_body() == {"id": "e-1"}
    assert letters[1].json_body() == "not json"

    assert broker.replay_deferred and broker.replay(["e-1"]) == 1  # by event id: requested, not yet sent
    assert take(queue) is None and "replay_requested_at" in broker.dead_letters()[0].headers
    assert broker.send_requested_replays() == 1  # what the running process does every second
    assert json.loads(take(queue).body) == {"id": "e-1"}
    assert [d.id for d in broker.dead_letters()] == [second]

    assert broker.purge([second[:8]]) == 1  # an id prefix is enough
    assert broker.dead_letters() == [] and broker.dead_letter_count() == 0


def test_the_replay_loop_of_a_started_broker_sends_requested_replays(broker):
    queue = handler_queue()
    broker.park(failed(queue), reason="exhausted", attempts=4, event_id="e-1", event_type=None)
    broker.start()
    broker.replay(None)
    assert json.loads(wait_until(lambda: take(queue), timeout=5, message="the replayed message").body) == {"id": "e-1"}


def test_the_factory_is_the_one_place_that_chooses_by_mode(tmp_path):
    common = dict(services=("notifications",), database_urls={"notifications": "sqlite://"}, auth_secret="x" * 40,
                  http_address="127.0.0.1:1", ops_address="127.0.0.1:2")
    embedded = broker_for(Settings(mode="embedded", amqp_uri="memory://", **common), "notifications")
    distributed = broker_for(Settings(mode="distributed", amqp_uri="amqp://guest:guest@127.0.0.1:1/", **common),
                             "notifications")
    assert isinstance(embedded, MemoryBroker) and not embedded.durable and embedded.replay_deferred
    assert isinstance(distributed, AmqpBroker) and distributed.durable and not distributed.replay_deferred
