"""Benchmark of the platform's cross-service flow in distributed mode.

    .venv/bin/python -m bench.flow --count 500 --rate 50

Starts `savivalda run enrollment` and `savivalda run notifications` as separate processes against
the local RabbitMQ and PostgreSQL (a fresh vhost and databases, removed afterwards) with a real
SMTP server (aiosmtpd) receiving the mail, then sends N enrolments at a fixed rate and prints:
- throughput of the enrolment requests (achieved rate);
- p50/p99 request latency;
- p50/p99 event-to-delivered latency: the enrollment_confirmed event's time to the SMTP server
  accepting the e-mail (notification.sent_at − event time, from the notifications database);
- p50/p99 request-to-inbox latency measured by the client (request start → the SMTP sink has it).
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet  # noqa: E402

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
    wait_until,
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[index]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="enrolments to send")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second to aim for")
    parser.add_argument("--concurrency", type=int, default=50, help="most requests in flight at once")
    parser.add_argument("--notification-replicas", type=int, default=1)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="savivalda-bench-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    prefix = f"savivalda_bench_{uuid.uuid4().hex[:6]}"
    databases = {s: postgres.create(f"{prefix}_{s}") for s in ("enrollment", "notifications")}
    smtp_port = free_port()
    sink = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "support" /
                                                 "smtp_sink.py"), str(smtp_port), str(work / "mail")],
                            stdout=subprocess.PIPE)
    assert sink.stdout.readline().strip() == b"ready"
    env = {"SAVIVALDA_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
           "SAVIVALDA_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "SAVIVALDA_AUTH_SECRET": TEST_SECRET,
           "SAVIVALDA_LOG_LEVEL": "WARNING",
           **{f"SAVIVALDA_{s.upper()}_DATABASE_URL": url for s, url in databases.items()}}
    launcher = ProcessLauncher(env, work)
    try:
        assert run_cli("migrate", env=env).returncode == 0
        enrollment = launcher.start("enrollment")
        for _ in range(args.notification_replicas):
            launcher.start("notifications")
        token = issue_token(TEST_SECRET, subject="bench", role="staff")
        course = http("POST", f"{enrollment.base_url}/enrollment/courses", {
            "title": {"lt": "Našumo bandymas", "en": "Benchmark"}, "themes": ["budgeting"],
            "audience": ["officials"], "duration_hours": 2, "format": "online"}, token=token).body
        start = time.strftime("%Y-%m-%dT09:00:00+00:00", time.gmtime(time.time() + 30 * 86400))
        end = time.strftime("%Y-%m-%dT11:00:00+00:00", time.gmtime(time.time() + 30 * 86400))
        session = http("POST", f"{enrollment.base_url}/enrollment/courses/{course['id']}/sessions", {
            "starts_at": start, "ends_at": end, "online_url": "https://meet.example/bench",
            "capacity": args.count}, token=token).body

        latencies: list[float] = []
        sent_at: dict[str, float] = {}
        failures = 0

        def enrol(n: int):
            nonlocal failures
            email = f"bench{n}@savivaldybe.lt"
            began = time.perf_counter()
            sent_at[email] = time.time()
            reply = http("POST", f"{enrollment.base_url}/enrollment/sessions/{session['id']}/enrollments",
                         {"name": f"Bench {n}", "email": email, "municipality_code": f"{n % 60 + 1:02d}"},
                         token=token)
            latencies.append(time.perf_counter() - began)
            if reply.status != 201:
                failures += 1

        pool = eventlet.GreenPool(args.concurrency)
        interval = 1.0 / args.rate
        began = time.perf_counter()
        for n in range(args.count):
            target = began + n * interval
            delay = target - time.perf_counter()
            if delay > 0:
                eventlet.sleep(delay)
            pool.spawn_n(enrol, n)
        pool.waitall()
        elapsed = time.perf_counter() - began

        mail_dir = work / "mail"
        arrived: dict[str, float] = {}

        def collect():
            import email
            from email import policy

            for path in mail_dir.glob("*.eml"):
                if path.name in arrived:
                    continue
                message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                arrived[path.name] = (message["To"].addresses[0].addr_spec, path.stat().st_mtime)
            return len(arrived) >= args.count - failures

        wait_until(collect, timeout=600, interval=0.2, message="every e-mail")
        request_to_inbox = [mtime - sent_at[to] for to, mtime in arrived.values()]

        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=f"{prefix}_notifications")
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT EXTRACT(EPOCH FROM sent_at - event_time) FROM notifications WHERE status = 'sent'")
            event_to_delivered = [float(row[0]) for row in cursor.fetchall()]
        connection.close()

        from tests.support import metric_value

        notifier_metrics = [p.metrics() for p in launcher.started[1:]]
        lag_sum = sum(metric_value(m, "savivalda_event_handling_lag_seconds_sum") for m in notifier_metrics)
        lag_count = sum(metric_value(m, "savivalda_event_handling_lag_seconds_count") for m in notifier_metrics)
        ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731
        print(f"enrolments: {args.count} at target {args.rate:.0f}/s, concurrency {args.concurrency}, "
              f"notification replicas {args.notification_replicas}, failures {failures}")
        print(f"throughput: {args.count / elapsed:.1f} requests/s over {elapsed:.1f} s")
        print(f"request latency: p50 {ms(statistics.median(latencies))}, p99 {ms(percentile(latencies, 99))}")
        print(f"event to delivered (SMTP accepted): p50 {ms(statistics.median(event_to_delivered))}, "
              f"p99 {ms(percentile(event_to_delivered, 99))}")
        print(f"  of which event to handler start (broker and queue): mean {ms(lag_sum / max(lag_count, 1))}")
        handler_sum = sum(metric_value(m, "savivalda_entrypoint_duration_seconds_sum", kind="event") for m in notifier_metrics)
        handler_count = sum(metric_value(m, "savivalda_entrypoint_duration_seconds_count", kind="event") for m in notifier_metrics)
        print(f"  handler run (store the notification): mean {ms(handler_sum / max(handler_count, 1))}")
        print(f"request to inbox (client view): p50 {ms(statistics.median(request_to_inbox))}, "
              f"p99 {ms(percentile(request_to_inbox, 99))}")
        return 0 if failures == 0 else 1
    finally:
        launcher.stop_all()
        sink.terminate()
        dispose_engines()
        for url in databases.values():
            postgres.drop(url.rsplit("/", 1)[1])
        broker.delete_vhost(vhost)


if __name__ == "__main__":
    sys.exit(main())
