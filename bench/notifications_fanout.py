"""Benchmark: one `grants.call_published` fanned out to N subscribers over real SMTP.

    .venv/bin/python -m bench.notifications_fanout --subscribers 5000 [--replicas 1] [--rounds 3]

Starts `savivalda run notifications` (K replicas) against the local RabbitMQ and PostgreSQL
(fresh vhost and database, removed afterwards) and an aiosmtpd server, stores N call-alert
subscribers (half Lithuanian, half English), publishes one call and prints the time until the
SMTP server holds every e-mail and the p50/p99 event-to-delivery latency (notification.sent_at −
event time, from the database). Each round also runs bench/baseline_fanout.py (a minimal
hand-written nameko service, the same shape) the same way, interleaved, and prints both, their
ratio and the load average, and the CPU the service process(es) used per e-mail (/proc/<pid>/stat,
from the publish to the last e-mail at the SMTP server; the SMTP server not counted on either side).
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
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg2  # noqa: E402
from psycopg2.extras import execute_values  # noqa: E402

from bench.pairing import ROOT, cpu_seconds, interleave, percentile, report  # noqa: E402
from shared.persistence.engines import dispose_engines  # noqa: E402
from shared.events import new_envelope  # noqa: E402
from shared.events.grants import CallPublished  # noqa: E402
from shared.events.publisher import EventPublisher  # noqa: E402
from shared.events.types import LocalizedText  # noqa: E402
from tests.support import TEST_SECRET, BrokerAdmin, PostgresAdmin, ProcessLauncher, free_port, run_cli  # noqa: E402


def start_sink(work: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    sink = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "smtp_sink.py"), str(port),
                             str(work / "mail")], stdout=subprocess.PIPE)
    assert sink.stdout.readline().strip() == b"ready"
    return sink, port


def wait_for_mail(work: Path, count: int, began: float) -> float:
    mail = work / "mail"
    while True:
        received = len(list(mail.glob("*.eml"))) if mail.exists() else 0
        if received >= count:
            return time.perf_counter() - began
        if time.perf_counter() - began > 1800:
            raise SystemExit(f"only {received} e-mails after 30 minutes")
        time.sleep(0.1)


def project_once(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="savivalda-fanout-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_fanout_{uuid.uuid4().hex[:6]}"
    url = postgres.create(database)
    sink, smtp_port = start_sink(work)
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {"SAVIVALDA_AMQP_URI": amqp_uri, "SAVIVALDA_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
           "SAVIVALDA_AUTH_SECRET": TEST_SECRET, "SAVIVALDA_LOG_LEVEL": "WARNING",
           "SAVIVALDA_NOTIFICATIONS_DATABASE_URL": url}
    launcher = ProcessLauncher(env, work)
    try:
        assert run_cli("migrate", "notifications", env=env).returncode == 0
        connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
        with connection, connection.cursor() as cursor:
            now = datetime.now(timezone.utc)
            execute_values(cursor, "INSERT INTO recipients (id, email_key, email, name, language, municipality_code, "
                                   "source, call_alerts, created_at, updated_at) VALUES %s", [
                (str(uuid.uuid4()), f"subscriber{n}@savivaldybe.lt", f"subscriber{n}@savivaldybe.lt",
                 f"Prenumeratorius {n}", "lt" if n % 2 else "en", f"{n % 60 + 1:02d}", "api", True, now, now)
                for n in range(args.subscribers)])
        pids = [launcher.start("notifications").popen.pid for _ in range(args.replicas)]
        call = CallPublished(call_id=uuid.uuid4(), code="BENCH-1", funder="EEA and Norway Grants",
                             title=LocalizedText(lt="Savivaldybių gebėjimų stiprinimas", en="Capacity building"),
                             themes=["public_service_quality"], eligible_applicant_types=["municipality"],
                             eligible_regions=[], closes_on=date.today() + timedelta(days=40), status="open")
        envelope = new_envelope(call, source="bench", correlation_id="bench-fanout")
        cpu0 = cpu_seconds(pids)
        began = time.perf_counter()
        with EventPublisher(amqp_uri) as publisher:
            publisher.publish(envelope)
        elapsed = wait_for_mail(work, args.subscribers, began)
        cpu = cpu_seconds(pids) - cpu0
        latencies: list[float] = []
        while len(latencies) < args.subscribers:  # the last batch's outcomes are recorded just after sending
            time.sleep(0.2)
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT EXTRACT(EPOCH FROM sent_at - event_time) FROM notifications "
                               "WHERE status = 'sent'")
                latencies = [float(row[0]) for row in cursor.fetchall()]
        connection.close()
        return {"seconds": round(elapsed, 2), "emails_per_s": round(args.subscribers / elapsed, 1),
                "cpu_ms_per_email": round(cpu * 1000 / args.subscribers, 3), "p50_s": round(statistics.median(latencies), 2), "p99_s": round(percentile(latencies, 99), 2)}
    finally:
        launcher.stop_all()
        sink.terminate()
        dispose_engines()
        postgres.drop(database)
        broker.delete_vhost(vhost)
        shutil.rmtree(work, ignore_errors=True)


def baseline_once(args) -> dict:
    """bench/baseline_fanout.py as its own process, the same way: fresh vhost, database, SMTP server."""
    from kombu import Connection, Exchange, Producer

    work = Path(tempfile.mkdtemp(prefix="savivalda-fanout-baseline-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_fanout_baseline_{uuid.uuid4().hex[:6]}"
    dsn = postgres.create(database).replace("postgresql+psycopg2://", "postgresql://", 1)
    sink, smtp_port = start_sink(work)
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    script = str(ROOT / "bench" / "baseline_fanout.py")
    service = None
    try:
        subprocess.run([sys.executable, script, "--dsn", dsn, "--setup", str(args.subscribers)], check=True)
        service = subprocess.Popen([sys.executable, script, "--dsn", dsn, "--amqp", amqp_uri, "--smtp-port",
                                    str(smtp_port)], stdout=subprocess.PIPE)
        assert service.stdout.readline().strip() == b"ready"
        cpu0 = cpu_seconds([service.pid])
        began = time.perf_counter()
        with Connection(amqp_uri) as connection:
            Producer(connection).publish(
                {"event_id": str(uuid.uuid4()), "code": "BENCH-1", "funder": "EEA and Norway Grants",
                 "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity building"},
                 "themes": ["public_service_quality"], "closes_on": str(date.today() + timedelta(days=40))},
                exchange=Exchange("baseline_grants.events", type="topic", durable=True), routing_key="call_published",
                serializer="json", delivery_mode=2, declare=[Exchange("baseline_grants.events", type="topic",
                                                                      durable=True)])
        elapsed = wait_for_mail(work, args.subscribers, began)
        cpu = cpu_seconds([service.pid]) - cpu0
        return {"seconds": round(elapsed, 2), "emails_per_s": round(args.subscribers / elapsed, 1),
                "cpu_ms_per_email": round(cpu * 1000 / args.subscribers, 3)}
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
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--replicas", type=int, default=1, help="notifications processes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved pairs (project, baseline)")
    args = parser.parse_args(argv)
    print(f"fan-out: one call to {args.subscribers} subscribers, {args.replicas} notifications replica(s), "
          f"{args.rounds} rounds (project, baseline, ...)", flush=True)
    pairs = interleave(args.rounds, lambda: project_once(args), lambda: baseline_once(args))
    report(f"fan-out, {args.subscribers} e-mails, {args.replicas} replica(s)", pairs,
           [("emails_per_s", "e-mails/s", True), ("seconds", "s", False),
            ("cpu_ms_per_email", "ms CPU", False)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
