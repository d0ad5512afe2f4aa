"""Benchmark: one `grants.call_published` fanned out to N subscribers over real SMTP.

    .venv/bin/python -m bench.notifications_fanout --subscribers 5000 [--replicas 1]

Starts `savivalda run notifications` (K replicas) against the local RabbitMQ and PostgreSQL
(fresh vhost and database, removed afterwards) and an aiosmtpd server, stores N call-alert
subscribers (half Lithuanian, half English), publishes one call and prints the time until the
SMTP server holds every e-mail and the p50/p99 event-to-delivery latency (notification.sent_at −
event time, from the database).
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
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg2  # noqa: E402
from psycopg2.extras import execute_values  # noqa: E402

from bench.flow import percentile  # noqa: E402
from shared.persistence.engines import dispose_engines  # noqa: E402
from shared.events import new_envelope  # noqa: E402
from shared.events.grants import CallPublished  # noqa: E402
from shared.events.publisher import EventPublisher  # noqa: E402
from shared.events.types import LocalizedText  # noqa: E402
from tests.support import TEST_SECRET, BrokerAdmin, PostgresAdmin, ProcessLauncher, free_port, run_cli  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--replicas", type=int, default=1, help="notifications processes")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="savivalda-fanout-"))
    broker, postgres = BrokerAdmin(), PostgresAdmin()
    vhost = broker.add_vhost()
    database = f"savivalda_fanout_{uuid.uuid4().hex[:6]}"
    url = postgres.create(database)
    smtp_port = free_port()
    sink = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "support" /
                                                 "smtp_sink.py"), str(smtp_port), str(work / "mail")],
                            stdout=subprocess.PIPE)
    assert sink.stdout.readline().strip() == b"ready"
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
        for _ in range(args.replicas):
            launcher.start("notifications")
        call = CallPublished(call_id=uuid.uuid4(), code="BENCH-1", funder="EEA and Norway Grants",
                             title=LocalizedText(lt="Savivaldybių gebėjimų stiprinimas", en="Capacity building"),
                             themes=["public_service_quality"], eligible_applicant_types=["municipality"],
                             eligible_regions=[], closes_on=date.today() + timedelta(days=40), status="open")
        envelope = new_envelope(call, source="bench", correlation_id="bench-fanout")
        began = time.perf_counter()
        with EventPublisher(amqp_uri) as publisher:
            publisher.publish(envelope)
        mail = work / "mail"
        while True:
            received = len(list(mail.glob("*.eml"))) if mail.exists() else 0
            if received >= args.subscribers:
                break
            if time.perf_counter() - began > 1800:
                raise SystemExit(f"only {received} e-mails after 30 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - began
        latencies: list[float] = []
        while len(latencies) < args.subscribers:  # the last batch's outcomes are recorded just after sending
            time.sleep(0.2)
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT EXTRACT(EPOCH FROM sent_at - event_time) FROM notifications "
                               "WHERE status = 'sent'")
                latencies = [float(row[0]) for row in cursor.fetchall()]
        connection.close()
        print(f"subscribers: {args.subscribers}, notifications replicas: {args.replicas}")
        print(f"all {len(latencies)} e-mails delivered in {elapsed:.1f} s ({len(latencies) / elapsed:.0f} e-mails/s)")
        print(f"event to delivery: p50 {statistics.median(latencies):.2f} s, p99 {percentile(latencies, 99):.2f} s, "
              f"max {max(latencies):.2f} s")
        return 0
    finally:
        launcher.stop_all()
        sink.terminate()
        dispose_engines()
        postgres.drop(database)
        broker.delete_vhost(vhost)


if __name__ == "__main__":
    sys.exit(main())
