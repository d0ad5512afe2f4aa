"""Dead-letter administration on RabbitMQ: a letter that cannot say where it came from stays parked."""

import json

from kombu import Connection, Producer

from shared.messaging import topology
from shared.broker import AmqpBroker


def test_a_dead_letter_without_its_queue_is_not_replayed_into_nowhere(amqp_uri):
    with Connection(amqp_uri) as connection:
        topology.dead_letter_queue("notifications").bind(connection.default_channel).declare()
        producer = Producer(connection.channel())
        producer.publish(json.dumps({"broken": True}), exchange=topology.dead_letter_exchange("notifications"),
                         routing_key="", headers={topology.REASON_HEADER: "invalid: test",
                                                  topology.DEAD_LETTER_ID_HEADER: "dl-1"})
    broker = AmqpBroker(amqp_uri, "notifications")
    assert [d.id for d in broker.dead_letters()] == ["dl-1"]
    assert broker.replay(None) == 0
    assert [d.id for d in broker.dead_letters()] == ["dl-1"]  # still there, nothing lost
    assert broker.purge(["dl-1"]) == 1
    assert broker.dead_letters() == []
