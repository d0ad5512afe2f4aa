"""Benchmark: the outbox relay draining N committed rows, against the minimal relay of
bench/baseline_relay.py, interleaved in one run.

    .venv/bin/python -m bench.relay --rows 20000 --rounds 3

Makes a vhost and a database for each side (removed afterwards). Each round runs the project's
relay (`shared.persistence.outbox.Relay` with the RabbitMQ broker, as `savivalda run` does) and the
baseline, each as its own process: fill the outbox with N event rows (not timed), drain it until
nothing is pending (timed), check that the queue bound to the exchange holds exactly N messages.
Prints events/s and CPU per 1,000 events for both, their ratios and the load average.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import uuid


def project_side(dsn: str, amqp_uri: str, rows: int) -> None:
    from shared.green import patch

    patch()
    import psycopg2
    from kombu import Connection, Queue

    from bench.baseline_relay import fill
    from shared.broker import AmqpBroker
    from shared.messaging.topology import events_exchange
    from shared.persistence.engines import engine_for
    from shared.persistence.outbox import Relay
    from shared.persistence.schema import new_metadata

    url = dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    new_metadata().create_all(engine_for(url))
    exchange = events_exchange("enrollment")
    queue = Queue(f"bench-relay-{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#", durable=True)
    with Connection(amqp_uri) as admin:
        queue.bind(admin.default_channel).declare()
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute("TRUNCATE outbox")
    fill(connection, rows, exchange.name, table="outbox")  # same rows as the baseline's
    relay = Relay("enrollment", url, AmqpBroker(amqp_uri, "enrollment"))
    cpu0, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    settled = 0
    while True:  # what Relay._loop does while rows wait: rounds back to back
        done = relay.publish_pending()
        if not done:
            break
        settled += done
    elapsed, cpu1 = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    relay.broker.close()
    relay.close()
    with Connection(amqp_uri) as admin:
        queued = queue.bind(admin.default_channel).queue_declare(passive=True).message_count
        queue.bind(admin.default_channel).delete()
    assert settled == rows == queued, (settled, queued)
    print(json.dumps({"rows": settled, "seconds": round(elapsed, 3), "events_per_s": round(settled / elapsed, 1),
                      "cpu_ms_per_1k": round(cpu * 1e6 / settled, 1)}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--side", choices=["project"], help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--amqp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side == "project":
        project_side(args.dsn, args.amqp, args.rows)
        return 0

    from bench.pairing import interleave, report, run_side
    from tests.support import BrokerAdmin, PostgresAdmin

    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    suffix = uuid.uuid4().hex[:6]
    names = {side: f"savivalda_bench_relay_{side}_{suffix}" for side in ("project", "baseline")}
    dsns = {side: postgres.create(name).replace("postgresql+psycopg2://", "postgresql://", 1)
            for side, name in names.items()}
    try:
        print(f"relay: drain {args.rows} outbox rows, {args.rounds} rounds (project, baseline, ...)", flush=True)
        pairs = interleave(
            args.rounds,
            lambda: run_side(["-m", "bench.relay", "--side", "project", "--dsn", dsns["project"], "--amqp", amqp_uri,
                              "--rows", str(args.rows)]),
            lambda: run_side(["bench/baseline_relay.py", "--dsn", dsns["baseline"], "--amqp", amqp_uri,
                              "--rows", str(args.rows)]))
        report(f"relay, {args.rows} rows", pairs, [("events_per_s", "events/s", True),
                                                   ("cpu_ms_per_1k", "CPU ms per 1,000", False)])
        return 0
    finally:
        for name in names.values():
            postgres.drop(name)
        broker.delete_vhost(vhost)


if __name__ == "__main__":
    sys.exit(main())
