"""Benchmark of a registration rush: many concurrent enrolments for few seats (distributed).

    .venv/bin/python -m bench.enrollment_rush --requests 1000 --seats 20 --concurrency 100 [--rounds 3]

Starts R × `savivalda run enrollment` against the local RabbitMQ and PostgreSQL (a fresh vhost and
database, removed afterwards), schedules one session with S seats (and, with --quota, at most Q
seats per municipality), then fires N enrolments for it from green-thread clients, at most C in
flight, spread over the replicas. Every enrolment takes the session's row lock, so this measures
the hot-row path: how fast arrivals are numbered and decided one after another.

Prints the throughput, p50/p99/max request latency, and checks the outcome (S confirmed, N − S
waitlisted, positions 1..N − S, no municipality over its quota, and in the database the
confirmed ones are the first S arrivals); exits 1 if it does not hold. Each round also runs
bench/baseline_enrollment.py (a minimal hand-written nameko service, the same shape) the same way,
interleaved, and prints both, their ratio and the load average.
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet  # noqa: E402

from bench.pairing import ROOT, interleave, loadavg, percentile, report  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.persistence.engines import dispose_engines  # noqa: E402
from tests.support import (  # noqa: E402
    TEST_SECRET,
    BrokerAdmin,
    PostgresAdmin,
    ProcessLauncher,
    free_port,
    http,
    run_cli,
)


def fire(urls: list[str], token: str, args) -> tuple[list, list[float], float]:
    """N enrolments from green-thread clients, at most C in flight, spread over the URLs."""
    latencies: list[float] = []
    replies = []

    def enrol(n: int):
        body = {"name": f"Rush {n}", "email": f"rush{n}@savivaldybe.lt",
                "municipality_code": f"{n % args.municipalities + 1:02d}"}
        began = time.perf_counter()
        reply = http("POST", urls[n % len(urls)], body, token=token, timeout=120)
        latencies.append(time.perf_counter() - began)
        replies.append(reply)

    pool = eventlet.GreenPool(args.concurrency)
    began = time.perf_counter()
    for n in range(args.requests):
        pool.spawn_n(enrol, n)
    pool.waitall()
    return replies, latencies, time.perf_counter() - began


def judge(replies, latencies, elapsed, args, in_order: bool) -> dict:
    """The outcome: S confirmed, N − S waitlisted with places 1..N − S, quotas kept, and (from the
    database) the confirmed ones the first S arrivals."""
    statuses = collections.Counter(r.body.get("status") if r.status == 201 else r.status for r in replies)
    confirmed = [r.body for r in replies if r.status == 201 and r.body["status"] == "confirmed"]
    per_municipality = collections.Counter(c["municipality_code"] for c in confirmed)
    positions = sorted(r.body["waitlist_position"] for r in replies
                       if r.status == 201 and r.body["status"] == "waitlisted")
    holds = (statuses == {"confirmed": args.seats, "waitlisted": args.requests - args.seats}
             and positions == list(range(1, args.requests - args.seats + 1))
             and (not args.quota or max(per_municipality.values()) <= args.quota) and in_order)
    result = {"enrolments_per_s": round(args.requests / elapsed, 1),
              "p50_ms": round(statistics.median(latencies) * 1000, 1),
              "p99_ms": round(percentile(latencies, 99) * 1000, 1), "holds": holds}
    if not holds:  # what went wrong: the answers by status, and whether the database kept arrival order
        result["answers"] = {str(k): v for k, v in statuses.items()}
        result["in_order"] = in_order
    return result


def arrival_order_kept(replies, database: str, table: str, order: str) -> bool:
    """In the database, sorted by arrival: the confirmed ones first, then the waitlisted ones, and
    each waitlisted person's answered place is their rank among the waitlisted by arrival."""
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
    with connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT email, status FROM {table} ORDER BY {order}")
        rows = cursor.fetchall()
    connection.close()
    answered = {r.body["email"]: r.body.get("waitlist_position") for r in replies if r.status == 201}
    seats = [status for _, status in rows].count("confirmed")
    return ([status for _, status in rows[:seats]] == ["confirmed"] * seats
            and [answered.get(email) for email, _ in rows[seats:]] == list(range(1, len(rows) - seats + 1)))


def project_once(args) -> dict:
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
        urls = [f"{r.base_url}/enrollment/sessions/{session['id']}/enrollments" for r in replicas]
        replies, latencies, elapsed = fire(urls, token, args)
        return judge(replies, latencies, elapsed, args,
                     arrival_order_kept(replies, database, "enrollments", "arrival_seq"))
    finally:
        launcher.stop_all()
        dispose_engines()
        postgres.drop(database)
        broker.delete_vhost(vhost)
        shutil.rmtree(work, ignore_errors=True)


def baseline_once(args) -> dict:
    """bench/baseline_enrollment.py (one process, enrolment service only) the same way."""
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_rush_baseline_{uuid.uuid4().hex[:6]}"
    dsn = postgres.create(database).replace("postgresql+psycopg2://", "postgresql://", 1)
    script = str(ROOT / "bench" / "baseline_enrollment.py")
    port, service = free_port(), None
    try:
        session_id = subprocess.run([sys.executable, script, "--dsn", dsn, "--setup", str(args.seats)], check=True,
                                    capture_output=True, text=True).stdout.strip()
        service = subprocess.Popen([sys.executable, script, "--dsn", dsn, "--amqp",
                                    f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "--port", str(port),
                                    "--secret", TEST_SECRET], stdout=subprocess.PIPE)
        assert service.stdout.readline().strip() == b"ready"
        token = issue_token(TEST_SECRET, subject="bench", role="staff")
        replies, latencies, elapsed = fire([f"http://127.0.0.1:{port}/enrollment/sessions/{session_id}/enrollments"],
                                           token, args)
        return judge(replies, latencies, elapsed, args, arrival_order_kept(replies, database, "enrolments", "id"))
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        postgres.drop(database)
        broker.delete_vhost(vhost)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="enrolments to send (N)")
    parser.add_argument("--seats", type=int, default=20, help="seats of the session (S)")
    parser.add_argument("--concurrency", type=int, default=100, help="most requests in flight (C)")
    parser.add_argument("--replicas", type=int, default=1, help="enrollment processes (R)")
    parser.add_argument("--quota", type=int, default=0, help="seats per municipality (Q); 0 = no quota")
    parser.add_argument("--municipalities", type=int, default=60, help="how many municipalities people come from")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved pairs (project, baseline)")
    parser.add_argument("--no-baseline", action="store_true", help="the project only (e.g. with --replicas 2)")
    args = parser.parse_args(argv)
    print(f"rush: {args.requests} enrolments for {args.seats} seats, {args.replicas} replica(s), "
          f"concurrency {args.concurrency}, quota {args.quota or 'none'}, {args.rounds} rounds", flush=True)
    if args.no_baseline:
        results = [project_once(args) for _ in range(args.rounds)]
        for result in results:
            print(f"  project {result}  (load {loadavg()})")
        return 0 if all(r["holds"] for r in results) else 1
    pairs = interleave(args.rounds, lambda: project_once(args), lambda: baseline_once(args))
    report(f"rush, {args.requests} enrolments / {args.seats} seats, {args.concurrency} in flight", pairs,
           [("enrolments_per_s", "enrolments/s", True), ("p50_ms", "ms", False), ("p99_ms", "ms", False)])
    holds = all(a["holds"] and b["holds"] for a, b in pairs)
    print(f"outcome (exactly {args.seats} confirmed, the first {args.seats} arrivals; waitlist 1..N-S in arrival "
          f"order): {'as required' if holds else 'WRONG'} in every run")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
