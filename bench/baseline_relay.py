"""Baseline: a minimal hand-written outbox relay (psycopg2 + py-amqp through kombu, no project code).

    python bench/baseline_relay.py --dsn postgresql://... --amqp amqp://... --rows 20000

Same shape as the project's relay: rows committed to an outbox table are taken in id order under a
transaction-scoped advisory lock (so two relays cannot reorder), published on a confirm-mode
channel (mandatory, persistent, pipelined: the whole batch, then wait for every confirm), marked
published with one UPDATE ... WHERE id = ANY(...) and committed. Creates its own table and queue,
fills the table (not timed), drains it (timed) and prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import uuid
from datetime import datetime, timezone

import amqp
import psycopg2
from kombu import Connection, Exchange, Queue
from psycopg2.extras import execute_values

BATCH = 200
LOCK_KEY = 424242
TABLE = """
CREATE TABLE IF NOT EXISTS baseline_outbox (
    id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, event_type varchar(120) NOT NULL,
    exchange varchar(120) NOT NULL, routing_key varchar(120) NOT NULL, correlation_id varchar(200) NOT NULL,
    body text NOT NULL, created_at timestamptz NOT NULL, published_at timestamptz,
    publish_attempts integer NOT NULL DEFAULT 0, unroutable boolean NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS baseline_outbox_pending ON baseline_outbox (id) WHERE published_at IS NULL;
"""


def event_body(n: int, event_id: str) -> str:
    """About the size of a real enrollment_confirmed envelope."""
    return json.dumps({
        "specversion": "1.0", "id": event_id, "type": "lt.savivalda.enrollment.enrollment_confirmed.v1",
        "source": "savivalda/enrollment", "time": datetime.now(timezone.utc).isoformat(),
        "datacontenttype": "application/json", "correlationid": f"bench-{n}",
        "data": {"enrollment_id": str(uuid.uuid4()), "session_id": str(uuid.uuid4()), "course_id": str(uuid.uuid4()),
                 "course_title": {"lt": "Biudžeto planavimas", "en": "Budget planning"}, "name": f"Asmuo {n}",
                 "email": f"asmuo{n}@savivaldybe.lt", "municipality_code": f"{n % 60 + 1:02d}", "language": "lt",
                 "starts_at": "2027-01-01T08:00:00+00:00", "ends_at": "2027-01-01T12:00:00+00:00",
                 "venue": "Kaunas", "online_url": None},
    }, ensure_ascii=False)


def fill(connection, rows: int, exchange: str, table: str = "baseline_outbox") -> None:
    now = datetime.now(timezone.utc)
    with connection, connection.cursor() as cursor:
        values = []
        for n in range(rows):
            event_id = str(uuid.uuid4())
            values.append((event_id, "enrollment_confirmed", exchange, "enrollment.enrollment_confirmed",
                           f"bench-{n}", event_body(n, event_id), now))
        execute_values(cursor, f"INSERT INTO {table} (event_id, event_type, exchange, routing_key, correlation_id, "
                               "body, created_at) VALUES %s", values, page_size=1000)


class Publisher:
    """A confirm-mode channel; publish a batch, then wait for every confirm."""

    def __init__(self, uri: str, content_type: str = "application/cloudevents+json"):
        self.content_type = content_type
        self.kombu = Connection(uri)
        self.kombu.connect()
        self.channel = self.kombu.connection.channel()
        self.channel.confirm_select()
        self.acked = 0  # highest delivery tag confirmed (acks and nacks both settle)
        self.nacked: set[int] = set()
        self.returned: set[str] = set()
        self.next_tag = 1
        self.channel.events["basic_ack"].add(self._ack)
        self.channel.events["basic_nack"].add(self._nack)
        self.channel.events["basic_return"].add(lambda exc, ex, key, msg: self.returned.add(msg.properties["message_id"]))

    def _ack(self, tag, multiple):
        self.acked = max(self.acked, tag)  # RabbitMQ confirms in order on one channel

    def _nack(self, tag, multiple):
        self.nacked.add(tag)
        self.acked = max(self.acked, tag)

    def publish(self, rows) -> list[str]:
        self.returned.clear()
        self.nacked.clear()
        first = self.next_tag
        for row in rows:
            self.channel.basic_publish(
                amqp.Message(row[6].encode(), delivery_mode=2, content_type=self.content_type,
                             message_id=str(row[1]), correlation_id=row[5], type=row[2]),
                exchange=row[3], routing_key=row[4], mandatory=True)
        self.next_tag = last = first + len(rows) - 1
        deadline = time.monotonic() + 10
        while self.acked < last:
            self.kombu.connection.drain_events(timeout=max(0.01, deadline - time.monotonic()))
        return ["nacked" if first + i in self.nacked else "unroutable" if str(row[1]) in self.returned else "published"
                for i, row in enumerate(rows)]


def drain(connection, publisher: Publisher) -> int:
    settled = 0
    while True:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,))
            if not cursor.fetchone()[0]:
                continue
            cursor.execute("SELECT id, event_id, event_type, exchange, routing_key, correlation_id, body "
                           "FROM baseline_outbox WHERE published_at IS NULL ORDER BY id LIMIT %s", (BATCH,))
            rows = cursor.fetchall()
            if not rows:
                return settled
            outcomes = publisher.publish(rows)
            done = []
            for row, outcome in zip(rows, outcomes):
                if outcome == "nacked":  # keep the order: retry from the first refused one
                    break
                done.append(row)
            cursor.execute("UPDATE baseline_outbox SET published_at = now(), publish_attempts = publish_attempts + 1, "
                           "unroutable = id = ANY(%s::bigint[]) WHERE id = ANY(%s::bigint[])",
                           ([r[0] for r, o in zip(rows, outcomes) if o == "unroutable"], [r[0] for r in done]))
            settled += len(done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--amqp", required=True)
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    exchange = Exchange("baseline.events", type="topic", durable=True)
    queue = Queue(f"baseline-relay-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#", durable=True)
    with Connection(args.amqp) as admin:
        queue.bind(admin.default_channel).declare()
    connection = psycopg2.connect(args.dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(TABLE)
        cursor.execute("TRUNCATE baseline_outbox")
    fill(connection, args.rows, exchange.name)
    publisher = Publisher(args.amqp)
    cpu0, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    settled = drain(connection, publisher)
    elapsed, cpu1 = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    publisher.kombu.release()
    with Connection(args.amqp) as admin:
        queued = queue.bind(admin.default_channel).queue_declare(passive=True).message_count
        queue.bind(admin.default_channel).delete()
    connection.close()
    assert settled == args.rows == queued, (settled, queued)
    print(json.dumps({"rows": settled, "seconds": round(elapsed, 3), "events_per_s": round(settled / elapsed, 1),
                      "cpu_ms_per_1k": round(cpu * 1e6 / settled, 1)}))


if __name__ == "__main__":
    main()
