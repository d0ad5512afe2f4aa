"""After a broker blip: readiness comes back on a replica that has nothing left to publish, and
the dead-letter gauge is read on a fresh connection instead of going missing."""

from __future__ import annotations

import time
import uuid

from kombu import Connection

from shared.broker import AmqpBroker
from shared.messaging import topology
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.outbox import Relay
from shared.persistence.schema import OUTBOX, new_metadata, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from tests.support import wait_until

NOWHERE = "amqp://guest:guest@127.0.0.1:1/"  # the broker as a replica saw it during the blip


def test_a_replica_whose_rows_another_replica_published_after_a_blip_is_ready_again(amqp_uri, tmp_path):
    url = f"sqlite:///{tmp_path}/svc.db"
    new_metadata().create_all(engine_for(url))
    with Connection(amqp_uri) as connection:
        topology.events_exchange("enrollment").bind(connection.default_channel).declare()
    with UnitOfWork(engine_for(url), "svc", "t") as uow:
        uow.session.execute(OUTBOX.insert().values(
            event_id=uuid.uuid4(), event_type="enrollment.session_scheduled", exchange="enrollment.events",
            routing_key="session_scheduled", correlation_id="c", body="{}", created_at=utcnow()))
        uow.commit()
    replica = Relay("svc", url, AmqpBroker(NOWHERE, "svc", connect_timeout=0.5), interval=0.05)
    replica.start()
    try:
        wait_until(lambda: replica.last_error, timeout=10, message="the replica failing to publish")
        # The broker is back; the other replica publishes the rows before this one tries again.
        assert Relay("svc", url, AmqpBroker(amqp_uri, "svc")).publish_pending() == 1
        replica.broker = AmqpBroker(amqp_uri, "svc")
        wait_until(lambda: replica.last_error is None, timeout=5,
                   message="the replica's readiness error cleared with nothing left to publish")
    finally:
        replica.stop(drain_seconds=0)
        dispose_engines()


def test_the_dead_letter_count_is_read_on_a_fresh_connection_after_the_broker_closed_it(
        amqp_uri, vhost, broker_admin):
    broker = AmqpBroker(amqp_uri, "svc")
    broker.start()
    assert broker.dead_letter_count() == 0
    broker_admin.run("close_all_connections", "-p", vhost, "test: a broker blip")
    time.sleep(0.5)
    assert broker.dead_letter_count() == 0  # the first scrape after the blip, not an error
    broker.close()
