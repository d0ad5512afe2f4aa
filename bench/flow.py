"""Benchmark of the platform's cross-service flow in distributed mode.

    .venv/bin/python -m bench.flow --count 500 --rate 50 [--rounds 3]

Starts `savivalda run enrollment` and `savivalda run notifications` as separate processes against
the local RabbitMQ and PostgreSQL (a fresh vhost and databases, removed afterwards) with a real
SMTP server (aiosmtpd) receiving the mail, then sends N enrolments at a fixed rate and prints:
- throughput of the enrolment requests (achieved rate);
- p50/p99 request latency;
- p50/p99 event-to-delivered latency: the enrollment_confirmed event's time to the SMTP server
  accepting the e-mail (notification.sent_at − event time, from the notifications database);
- flows/s end to end (N / first request to last e-mail at the SMTP server) and the CPU per flow of
  the service processes and the SMTP server (/proc/<pid>/stat).
Each round also runs bench/baseline_enrollment.py (a minimal hand-written nameko process with the
same two services) the same way, interleaved, and prints both, their ratio and the load average.
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet  # noqa: E402
import psycopg2  # noqa: E402

from bench.pairing import ROOT, cpu_seconds, interleave, percentile, report  # noqa: E402
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


def start_sink(work: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    sink = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "smtp_sink.py"), str(port),
                             str(work / "mail")], stdout=subprocess.PIPE)
    assert sink.stdout.readline().strip() == b"ready"
    return sink, port


def drive(url: str, token: str, args, work: Path, cpu_pids: list[int]) -> tuple[dict, int]:
    """N enrolments at R/s (at most C in flight), then wait for every e-mail; the client's figures."""
    latencies: list[float] = []
    failures = 0

    def enrol(n: int):
        nonlocal failures
        began = time.perf_counter()
        reply = http("POST", url, {"name": f"Bench {n}", "email": f"bench{n}@savivaldybe.lt",
                                   "municipality_code": f"{n % 60 + 1:02d}"}, token=token)
        latencies.append(time.perf_counter() - began)
        if reply.status != 201:
            failures += 1

    cpu0 = cpu_seconds(cpu_pids)
    pool = eventlet.GreenPool(args.concurrency)
    interval = 1.0 / args.rate
    wall0 = time.time()
    began = time.perf_counter()
    for n in range(args.count):
        delay = began + n * interval - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn_n(enrol, n)
    pool.waitall()
    elapsed = time.perf_counter() - began
    mail = work / "mail"
    wait_until(lambda: len(list(mail.glob("*.eml"))) >= args.count - failures, timeout=900, interval=0.1,
               message="every e-mail")
    last = max(p.stat().st_mtime for p in mail.glob("*.eml"))
    cpu = cpu_seconds(cpu_pids) - cpu0
    return {"requests_per_s": round(args.count / elapsed, 1), "flows_per_s": round(args.count / (last - wall0), 1),
            "request_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "request_p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "cpu_ms_per_flow": round(cpu * 1000 / args.count, 2)}, failures


def delivered(database: str) -> dict:
    """Event time to SMTP accepted, from the notifications table (both sides keep the same columns)."""
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT EXTRACT(EPOCH FROM sent_at - event_time) FROM notifications WHERE status = 'sent'")
        values = [float(row[0]) for row in cursor.fetchall()]
    connection.close()
    return {"event_to_smtp_p50_ms": round(statistics.median(values) * 1000, 1),
            "event_to_smtp_p99_ms": round(percentile(values, 99) * 1000, 1)}


def project_once(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="savivalda-bench-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    prefix = f"savivalda_bench_{uuid.uuid4().hex[:6]}"
    databases = {s: postgres.create(f"{prefix}_{s}") for s in ("enrollment", "notifications")}
    sink, smtp_port = start_sink(work)
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
        figures, failures = drive(f"{enrollment.base_url}/enrollment/sessions/{session['id']}/enrollments", token,
                                  args, work, [p.popen.pid for p in launcher.started] + [sink.pid])
        assert failures == 0, f"{failures} enrolments failed"
        wait_until(lambda: delivered_count(f"{prefix}_notifications") >= args.count, timeout=60)
        return {**figures, **delivered(f"{prefix}_notifications")}
    finally:
        launcher.stop_all()
        sink.terminate()
        dispose_engines()
        for url in databases.values():
            postgres.drop(url.rsplit("/", 1)[1])
        broker.delete_vhost(vhost)
        shutil.rmtree(work, ignore_errors=True)


def delivered_count(database: str) -> int:
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notifications WHERE status = 'sent'")
        count = cursor.fetchone()[0]
    connection.close()
    return count


def baseline_once(args) -> dict:
    """bench/baseline_enrollment.py with its notifications service, one process, the same way."""
    work = Path(tempfile.mkdtemp(prefix="savivalda-bench-baseline-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_bench_baseline_{uuid.uuid4().hex[:6]}"
    dsn = postgres.create(database).replace("postgresql+psycopg2://", "postgresql://", 1)
    sink, smtp_port = start_sink(work)
    script = str(ROOT / "bench" / "baseline_enrollment.py")
    port, service = free_port(), None
    try:
        session_id = subprocess.run([sys.executable, script, "--dsn", dsn, "--setup", str(args.count)], check=True,
                                    capture_output=True, text=True).stdout.strip()
        service = subprocess.Popen([sys.executable, script, "--dsn", dsn, "--amqp",
                                    f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "--port", str(port),
                                    "--secret", TEST_SECRET, "--smtp-port", str(smtp_port)], stdout=subprocess.PIPE)
        assert service.stdout.readline().strip() == b"ready"
        token = issue_token(TEST_SECRET, subject="bench", role="staff")
        figures, failures = drive(f"http://127.0.0.1:{port}/enrollment/sessions/{session_id}/enrollments", token,
                                  args, work, [service.pid, sink.pid])
        assert failures == 0, f"{failures} enrolments failed"
        wait_until(lambda: delivered_count(database) >= args.count, timeout=60)
        return {**figures, **delivered(database)}
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        sink.terminate()
        postgres.drop(database)
        broker.delete_vhost(vhost)
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="enrolments to send")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second to aim for")
    parser.add_argument("--concurrency", type=int, default=50, help="most requests in flight at once")
    parser.add_argument("--notification-replicas", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved pairs (project, baseline)")
    args = parser.parse_args(argv)
    print(f"flow: {args.count} enrolments at {args.rate:.0f}/s asked, at most {args.concurrency} in flight, "
          f"{args.notification_replicas} notifications replica(s), {args.rounds} rounds", flush=True)
    pairs = interleave(args.rounds, lambda: project_once(args), lambda: baseline_once(args))
    report(f"flow, {args.count} at {args.rate:.0f}/s", pairs, [
        ("requests_per_s", "/s", True), ("flows_per_s", "/s end to end", True),
        ("cpu_ms_per_flow", "ms, services + SMTP server", False), ("request_p50_ms", "ms", False),
        ("request_p99_ms", "ms", False), ("event_to_smtp_p50_ms", "ms", False), ("event_to_smtp_p99_ms", "ms", False)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
