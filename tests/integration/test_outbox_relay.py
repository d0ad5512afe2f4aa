"""The outbox relay against the real RabbitMQ and PostgreSQL: order, confirms, two replicas,
unroutable events, an unreachable broker."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from kombu import Connection, Queue
from sqlalchemy import func, select

from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX
from shared.persistence.unit_of_work import UnitOfWork
from shared.events.enrollment import SessionScheduled
from shared.events.types import LocalizedText
from shared.broker import AmqpBroker, PublishError
from shared.messaging.topology import events_exchange
from shared.persistence.outbox import Relay
from tests.support import free_port, wait_until


def scheduled(n: int) -> SessionScheduled:
    start = datetime(2027, 1, 1, 8, tzinfo=timezone.utc) + timedelta(days=n)
    return SessionScheduled(
        session_id=uuid.uuid4(), course_id=uuid.uuid4(), course_title=LocalizedText(lt=f"Kursas {n}"),
        themes=["budgeting"], starts_at=start, ends_at=start + timedelta(hours=4), region="KU", venue="Kaunas",
        capacity=n + 1, fee_eur="0", registration_opens_at=start - timedelta(days=30),
        registration_closes_at=start - timedelta(days=1),
    )


def emit(url: str, count: int, start: int = 0) -> None:
    with UnitOfWork(engine_for(url), "enrollment", "relay-test") as uow:
        for n in range(start, start + count):
            uow.emit(scheduled(n))
        uow.commit()


def bound_queue(amqp_uri: str) -> Queue:
    queue = Queue(f"test-listener-{uuid.uuid4().hex[:6]}", exchange=events_exchange("enrollment"), routing_key="#",
                  durable=True)
    with Connection(amqp_uri) as connection:
        queue.bind(connection.default_channel).declare()
    return queue


def drain(amqp_uri: str, queue: Queue, expected: int, timeout: float = 30) -> list[dict]:
    bodies = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def take():
            while True:
                message = channel.basic_get(queue=queue.name, no_ack=True)
                if message is None:
                    return len(bodies) >= expected
                bodies.append(json.loads(message.body))

        wait_until(take, timeout=timeout, message=f"{expected} messages")
        eventlet.sleep(0.3)
        take()  # anything beyond the expected count would be a duplicate
    return bodies


def pending(url: str) -> int:
    with UnitOfWork(engine_for(url), "enrollment", "relay-test") as uow:
        return uow.session.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))).scalar_one()


def test_rows_are_published_in_order_confirmed_and_marked(amqp_uri, pg_databases):
    url = pg_databases["enrollment"]
    queue = bound_queue(amqp_uri)
    emit(url, 450)
    relay = Relay("enrollment", url, AmqpBroker(amqp_uri))
    settled = 0
    while True:
        done = relay.publish_pending()
        if not done:
            break
        settled += done
    assert settled == 450 and pending(url) == 0
    bodies = drain(amqp_uri, queue, 450)
    assert [b["data"]["capacity"] for b in bodies] == list(range(1, 451))
    assert all(b["type"] == "enrollment.session_scheduled" and b["correlationid"] == "relay-test" for b in bodies)


def test_two_relays_running_at_once_publish_every_row_once_and_in_order(amqp_uri, pg_databases):
    url = pg_databases["enrollment"]
    queue = bound_queue(amqp_uri)
    relays = [Relay("enrollment", url, AmqpBroker(amqp_uri), interval=0.01) for _ in range(2)]
    for relay in relays:
        relay.start()
    try:
        for batch in range(10):  # rows keep arriving while both relays run
            emit(url, 60, start=batch * 60)
            eventlet.sleep(0.01)
        bodies = drain(amqp_uri, queue, 600)
    finally:
        for relay in relays:
            relay.stop()
    capacities = [b["data"]["capacity"] for b in bodies]
    assert len(capacities) == 600, "a row was published twice or lost"
    assert capacities == sorted(capacities) == list(range(1, 601))


def test_an_event_no_queue_is_bound_for_is_marked_unroutable(amqp_uri, pg_databases):
    url = pg_databases["enrollment"]
    emit(url, 3)
    relay = Relay("enrollment", url, AmqpBroker(amqp_uri))
    assert relay.publish_pending() == 3
    with UnitOfWork(engine_for(url), "enrollment", "t") as uow:
        flags = uow.session.execute(select(OUTBOX.c.unroutable, OUTBOX.c.published_at)).all()
    assert all(unroutable and published for unroutable, published in flags)


def test_an_unreachable_broker_leaves_rows_pending_and_visible(pg_databases):
    url = pg_databases["enrollment"]
    emit(url, 5)
    relay = Relay("enrollment", url, AmqpBroker(f"amqp://guest:guest@127.0.0.1:{free_port()}/"))
    with pytest.raises(PublishError):
        relay.publish_pending()
    assert pending(url) == 5
    with UnitOfWork(engine_for(url), "enrollment", "t") as uow:
        attempts, error = uow.session.execute(
            select(OUTBOX.c.publish_attempts, OUTBOX.c.last_error).order_by(OUTBOX.c.id).limit(1)).one()
    assert attempts == 1 and error
    gauges = {name: value for name, _, labels, value in relay.gauges()}
    assert gauges["savivalda_outbox_backlog"] == 5 and gauges["savivalda_outbox_oldest_age_seconds"] >= 0
