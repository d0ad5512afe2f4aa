"""Benchmark of a registration rush: many concurrent enrolments for few seats (distributed).

    .venv/bin/python -m bench.enrollment_rush --requests 1000 --seats 20 --concurrency 200 --replicas 2

Starts R × `savivalda run enrollment` against the local RabbitMQ and PostgreSQL (a fresh vhost and
database, removed afterwards), schedules one session with S seats (and, with --quota, at most Q
seats per municipality), then fires N enrolments for it from green-thread clients, at most C in
flight, spread over the replicas. Every enrolment takes the session's row lock, so this measures
the hot-row path: how fast arrivals are numbered and decided one after another.

Prints the throughput, p50/p99/max request latency, and checks the outcome (S confirmed, N − S
waitlisted, positions 1..N − S, no municipality over its quota); exits 1 if it does not hold.
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet  # noqa: E402

from bench.flow import percentile  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.persistence.engines import dispose_engines  # noqa: E402
from tests.support import TEST_SECRET, BrokerAdmin, PostgresAdmin, ProcessLauncher, http, run_cli  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="enrolments to send (N)")
    parser.add_argument("--seats", type=int, default=20, help="seats of the session (S)")
    parser.add_argument("--concurrency", type=int, default=200, help="most requests in flight (C)")
    parser.add_argument("--replicas", type=int, default=2, help="enrollment processes (R)")
    parser.add_argument("--quota", type=int, default=0, help="seats per municipality (Q); 0 = no quota")
    parser.add_argument("--municipalities", type=int, default=60, help="how many municipalities people come from")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="savivalda-rush-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_rush_{uuid.uuid4().hex[:6]}"
    url = postgres.create(database)
    env = {"SAVIVALDA_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "SAVIVALDA_AUTH_SECRET": TEST_SECRET,
           "SAVIVALDA_LOG_LEVEL": "WARNING", "SAVIVALDA_ENROLLMENT_DATABASE_URL": url}
    launcher = ProcessLauncher(env, work)
    try:
        migrated = run_cli("migrate", "enrollment", env=env)
        assert migrated.returncode == 0, migrated.stderr
        replicas = [launcher.start("enrollment") for _ in range(args.replicas)]
        token = issue_token(TEST_SECRET, subject="bench", role="staff")
        base = replicas[0].base_url
        course = http("POST", f"{base}/enrollment/courses", {
            "title": {"lt": "Registracijos antplūdis", "en": "Registration rush"}, "themes": ["budgeting"],
            "audience": ["officials"], "duration_hours": 2, "format": "online"}, token=token).body
        start = time.strftime("%Y-%m-%dT09:00:00+00:00", time.gmtime(time.time() + 30 * 86400))
        end = time.strftime("%Y-%m-%dT11:00:00+00:00", time.gmtime(time.time() + 30 * 86400))
        session = http("POST", f"{base}/enrollment/courses/{course['id']}/sessions", {
            "starts_at": start, "ends_at": end, "online_url": "https://meet.example/rush", "capacity": args.seats,
            **({"quota_per_municipality": args.quota} if args.quota else {})}, token=token).body

        latencies: list[float] = []
        replies = []

        def enrol(n: int):
            body = {"name": f"Rush {n}", "email": f"rush{n}@savivaldybe.lt",
                    "municipality_code": f"{n % args.municipalities + 1:02d}"}
            began = time.perf_counter()
            reply = http("POST", f"{replicas[n % len(replicas)].base_url}/enrollment/sessions/{session['id']}/enrollments",
                         body, token=token, timeout=120)
            latencies.append(time.perf_counter() - began)
            replies.append(reply)

        pool = eventlet.GreenPool(args.concurrency)
        began = time.perf_counter()
        for n in range(args.requests):
            pool.spawn_n(enrol, n)
        pool.waitall()
        elapsed = time.perf_counter() - began

        statuses = collections.Counter(r.body.get("status") if r.status == 201 else r.status for r in replies)
        confirmed = [r.body for r in replies if r.status == 201 and r.body["status"] == "confirmed"]
        per_municipality = collections.Counter(c["municipality_code"] for c in confirmed)
        positions = sorted(r.body["waitlist_position"] for r in replies
                           if r.status == 201 and r.body["status"] == "waitlisted")
        holds = (statuses == {"confirmed": args.seats, "waitlisted": args.requests - args.seats}
                 and positions == list(range(1, args.requests - args.seats + 1))
                 and (not args.quota or max(per_municipality.values()) <= args.quota))
        ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731
        print(f"rush: {args.requests} enrolments for {args.seats} seats, {args.replicas} replicas, "
              f"concurrency {args.concurrency}, quota {args.quota or 'none'}")
        print(f"throughput: {args.requests / elapsed:.1f} enrolments/s over {elapsed:.2f} s")
        print(f"latency: p50 {ms(statistics.median(latencies))}, p99 {ms(percentile(latencies, 99))}, "
              f"max {ms(max(latencies))}")
        print(f"outcome: {dict(statuses)}; most seats of one municipality {max(per_municipality.values())}; "
              f"{'as required' if holds else 'WRONG'}")
        return 0 if holds else 1
    finally:
        launcher.stop_all()
        dispose_engines()
        postgres.drop(database)
        broker.delete_vhost(vhost)


if __name__ == "__main__":
    sys.exit(main())
