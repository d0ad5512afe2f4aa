"""The system as the containers run it: each service a separate `savivalda run <service>`
process configured by environment, against the real RabbitMQ, PostgreSQL and an SMTP server.

Each reliability test fails if its mechanism is removed: without the outbox a request fails or
its event is lost while the broker is down; acking before the commit loses the event when the
handler is killed; without the inbox a redelivered event sends a second e-mail; without the
retry path the failing event is dropped instead of waiting in dead letters for replay.
"""

import collections
import json
import os
import shutil
import tempfile
from pathlib import Path

import eventlet
import pytest

from shared.auth import issue_token
from shared.events import new_envelope
from shared.events.publisher import EventPublisher
from tests.service.helpers import create_session, enrol, person
from tests.support import TEST_SECRET, ProcessLauncher, http, run_cli, wait_until
from tests.unit.test_envelope import confirmed

pytestmark = pytest.mark.e2e
STAFF = issue_token(TEST_SECRET, subject="e2e-staff", role="staff")
OPERATOR = issue_token(TEST_SECRET, subject="e2e-operator", role="operator")


def received_by(smtp_sink) -> collections.Counter:
    return collections.Counter(m["To"].addresses[0].addr_spec for m in smtp_sink.messages())


def test_enrolment_to_e_mail_across_four_processes(launcher, smtp_sink, pg_admin, pg_databases):
    processes = {s: launcher.start(s) for s in ("enrollment", "grants", "partners", "notifications")}
    enrollment = processes["enrollment"]
    _, session_id = create_session(enrollment.base_url, STAFF, capacity=1)
    ona = enrol(enrollment.base_url, STAFF, session_id, person(1, language="lt"), headers={"X-Correlation-ID": "e2e-1"})
    john = enrol(enrollment.base_url, STAFF, session_id, dict(person(2, language="en"), name="John Smith"))
    assert (ona.status, john.status) == (201, 201)

    wait_until(lambda: len(smtp_sink.messages()) == 2, timeout=30, message="two e-mails over SMTP")
    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_sink.messages()}
    lithuanian, english = by_to["dalyve1@savivaldybe.lt"], by_to["dalyve2@savivaldybe.lt"]
    assert lithuanian["Subject"] == "Registracija patvirtinta: Biudžeto planavimas savivaldybėje"
    assert "Iki mokymų liko" in lithuanian.get_body(("plain",)).get_content()
    assert english["Subject"] == "On the waitlist: Municipal budget planning"

    notifications = processes["notifications"]

    def delivery_log():
        rows = http("GET", f"{notifications.base_url}/notifications/deliveries", token=OPERATOR).body
        return rows if [r["status"] for r in rows] == ["sent", "sent"] else None

    # the SMTP server has the mail a moment before the sender records the outcome
    log = wait_until(delivery_log, timeout=10, message="both deliveries recorded as sent")
    confirmed_row = next(d for d in log if d["template"] == "enrollment_confirmed")
    assert confirmed_row["correlation_id"] == "e2e-1" and confirmed_row["delivered_via"].startswith("smtp:")
    # The correlation id of the request appears in the logs of both services.
    assert '"correlation_id": "e2e-1"' in notifications.log()
    assert enrollment.metric("savivalda_events_published_total", event_type="enrollment.enrollment_confirmed") == 1
    # session_scheduled concerns nobody yet: consumed, counted as untold, no notification
    assert notifications.metric("savivalda_events_consumed_total", outcome="applied") == 3
    assert notifications.metric("savivalda_notifications_untold_events_total",
                                event_type="enrollment.session_scheduled") == 1


@pytest.fixture
def private_broker():
    """A RabbitMQ node of this test's own (bench/fault_drill.py's): stopping the machine's broker
    would fail the tests that other pytest processes of bin/test run on it meanwhile."""
    from bench.fault_drill import PrivateRabbit

    work = Path(tempfile.mkdtemp(prefix="savivalda-broker-outage-"))
    os.chmod(work, 0o755)  # the rabbitmq user reaches the node's folder through it (tmp_path is 0700)
    node = PrivateRabbit(work / "rabbit")
    try:
        node.start()
        yield node
    finally:
        node.close()
        shutil.rmtree(work, ignore_errors=True)


def test_requests_succeed_while_the_broker_is_stopped_and_events_flow_after_it_returns(
        distributed_env, smtp_sink, private_broker, tmp_path):
    env = {**distributed_env, "SAVIVALDA_AMQP_URI": private_broker.uri}
    done = run_cli("migrate", env=env)  # declares the queues on that node, as the compose migrate job does
    assert done.returncode == 0, done.stderr
    launcher = ProcessLauncher(env, tmp_path)
    try:
        _broker_outage(launcher, smtp_sink, private_broker)
    finally:
        launcher.stop_all()


def _broker_outage(launcher, smtp_sink, broker):
    enrollment = launcher.start("enrollment")
    launcher.start("notifications")
    _, session_id = create_session(enrollment.base_url, STAFF, capacity=50)
    enrol(enrollment.base_url, STAFF, session_id, person(0))
    wait_until(lambda: len(smtp_sink.messages()) == 1, timeout=30, message="the first e-mail")

    broker.ctl("stop_app", timeout=120)
    try:
        replies = [enrol(enrollment.base_url, STAFF, session_id, person(n)) for n in range(1, 11)]
        assert [r.status for r in replies] == [201] * 10
        assert wait_until(lambda: enrollment.metric("savivalda_outbox_backlog", service="enrollment") == 10,
                          timeout=10, message="the backlog gauge")
        ready = http("GET", f"{enrollment.ops_url}/health/ready")
        assert ready.status == 503 and "cannot publish" in json.dumps(ready.body)
    finally:
        broker.ctl("start_app", timeout=120)

    wait_until(lambda: len(smtp_sink.messages()) == 11, timeout=90, interval=0.5, message="all eleven e-mails")
    eventlet.sleep(1.0)
    counts = received_by(smtp_sink)
    assert len(counts) == 11 and set(counts.values()) == {1}, counts
    assert enrollment.metric("savivalda_outbox_backlog", service="enrollment") == 0


def test_a_handler_killed_mid_work_gets_the_event_again_and_applies_it_once(
        launcher, smtp_sink, pg_admin, pg_databases):
    enrollment = launcher.start("enrollment")
    notifications = launcher.start("notifications")
    database = pg_databases["notifications"].rsplit("/", 1)[1]
    blocker = pg_admin.connect(database)
    blocker.autocommit = False
    with blocker.cursor() as cursor:
        # Hold the recipients table: the handler blocks inside its transaction, before its commit.
        cursor.execute("LOCK TABLE recipients IN ACCESS EXCLUSIVE MODE")

    _, session_id = create_session(enrollment.base_url, STAFF, capacity=5)
    assert enrol(enrollment.base_url, STAFF, session_id, person(1)).status == 201

    def handler_waiting():
        with pg_admin.connect(database) as watcher, watcher.cursor() as cursor:
            # the handler's upsert of the recipient, inside the transaction that also holds its inbox row
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                           "AND query ILIKE 'INSERT INTO recipients%%'", (database,))
            return cursor.fetchone()[0] > 0

    wait_until(handler_waiting, timeout=30, message="the handler blocked mid-transaction")
    notifications.kill()  # SIGKILL: no graceful stop, no ack
    blocker.rollback()
    blocker.close()
    with pg_admin.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inbox WHERE event_type = 'enrollment.enrollment_confirmed'")
        assert cursor.fetchone()[0] == 0  # nothing of the killed attempt was committed

    replacement = launcher.start("notifications")
    wait_until(lambda: len(smtp_sink.messages()) == 1, timeout=30, message="the e-mail after redelivery")
    eventlet.sleep(1.0)
    assert len(smtp_sink.messages()) == 1
    with pg_admin.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inbox WHERE event_type = 'enrollment.enrollment_confirmed'")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT count(*) FROM notifications")
        assert cursor.fetchone()[0] == 1
    assert replacement.metric("savivalda_events_consumed_total", outcome="applied") == 1


def test_the_same_event_published_twice_sends_one_e_mail(launcher, smtp_sink, distributed_env):
    notifications = launcher.start("notifications")
    envelope = new_envelope(confirmed(), source="member-registry", correlation_id="dup-1")
    with EventPublisher(distributed_env["SAVIVALDA_AMQP_URI"]) as publisher:
        assert publisher.publish(envelope) and publisher.publish(envelope)
    wait_until(lambda: notifications.metric("savivalda_events_consumed_total", handler="on_event") == 2,
               timeout=30, message="both deliveries handled")
    wait_until(lambda: len(smtp_sink.messages()) == 1, timeout=30, message="the e-mail")
    eventlet.sleep(1.0)
    assert len(smtp_sink.messages()) == 1
    assert notifications.metric("savivalda_events_consumed_total", outcome="duplicate") == 1


def test_invalid_events_are_dead_lettered_with_the_reason(launcher, distributed_env):
    launcher.start("notifications")
    from kombu import Connection, Producer

    from shared.messaging.topology import events_exchange

    good = new_envelope(confirmed(), source="member-registry", correlation_id="c").to_wire()
    bad_data = json.loads(json.dumps(good))
    bad_data["data"]["starts_at"] = "next tuesday"
    with Connection(distributed_env["SAVIVALDA_AMQP_URI"]) as connection:
        producer = Producer(connection.channel())
        for body, content_type in ((json.dumps({**good, "specversion": "0.3"}), "application/json"),
                                   (json.dumps(bad_data), "application/json"),
                                   (json.dumps({**good, "type": "enrollment.nonsense"}), "application/json"),
                                   (b"\x00\x01 binary", "application/json"),
                                   (json.dumps(good), "application/cloudevents+json")):
            producer.publish(body, exchange=events_exchange("enrollment"), routing_key="enrollment_confirmed",
                             content_type=content_type, content_encoding="utf-8")

    def listed():
        done = run_cli("dlq", "list", "--service", "notifications", env=distributed_env)
        return [json.loads(line) for line in done.stdout.splitlines()]

    letters = wait_until(lambda: len(listed()) == 4 and listed(), timeout=30, message="four dead letters")
    reasons = " | ".join(letter["reason"] for letter in letters)
    assert "specversion" in reasons and "data.starts_at" in reasons and "unknown event type enrollment.nonsense" in reasons
    assert "undecodable body" in reasons
    assert all(letter["attempts"] == 1 and letter["consumer"] == "notifications.on_event"
               for letter in letters)
    # the CloudEvents media type is accepted and handled like application/json
    wait_until(lambda: "outcome=\"applied\"" in launcher.started[0].metrics(), timeout=20, message="the valid event")


def test_a_failing_handler_backs_off_then_dead_letters_and_the_cli_replays_it(
        launcher, smtp_sink, pg_admin, pg_databases, distributed_env, broker_admin):
    notifications = launcher.start("notifications")
    database = pg_databases["notifications"].rsplit("/", 1)[1]

    def sql(statement):
        with pg_admin.connect(database) as connection, connection.cursor() as cursor:
            cursor.execute(statement)

    sql("ALTER TABLE recipients RENAME TO recipients_hidden")  # e.g. a migration that did not run
    envelope = new_envelope(confirmed(), source="member-registry", correlation_id="retry-1")
    with EventPublisher(distributed_env["SAVIVALDA_AMQP_URI"]) as publisher:
        publisher.publish(envelope)

    def listed():
        done = run_cli("dlq", "list", "--service", "notifications", env=distributed_env)
        return [json.loads(line) for line in done.stdout.splitlines()]

    letter, = wait_until(listed, timeout=30, message="the dead letter")
    assert letter["event_id"] == str(envelope.id) and letter["attempts"] == 3
    assert letter["reason"].startswith("exhausted: 3 attempts failed") and "recipients" in letter["reason"]
    assert notifications.metric("savivalda_events_retried_total") == 2
    # The retries waited in the TTL delay queues (0.2 s, then 0.4 s) before coming back.
    from datetime import datetime

    waited = (datetime.fromisoformat(letter["failed_at"]) - envelope.time).total_seconds()
    assert waited >= 0.6
    queues = broker_admin.queues(distributed_env["SAVIVALDA_AMQP_URI"].rsplit("/", 1)[1])
    assert queues["notifications.dead-letters"] == 1 and "notifications.retry.200ms" in queues

    sql("ALTER TABLE recipients_hidden RENAME TO recipients")
    replayed = run_cli("dlq", "replay", "--service", "notifications", letter["id"][:8], env=distributed_env)
    assert replayed.returncode == 0 and "replayed 1" in replayed.stdout, replayed.stderr
    wait_until(lambda: len(smtp_sink.messages()) == 1, timeout=30, message="the e-mail after replay")
    assert listed() == []


def test_two_enrollment_replicas_never_overbook(launcher, pg_admin, pg_databases):
    replicas = [launcher.start("enrollment"), launcher.start("enrollment")]
    _, session_id = create_session(replicas[0].base_url, STAFF, capacity=10)
    pool = eventlet.GreenPool(40)
    people = [person(n, municipality=f"{(n % 60) + 1:02d}") for n in range(40)]
    replies = list(pool.imap(lambda n: enrol(replicas[n % 2].base_url, STAFF, session_id, people[n]), range(40)))
    # the same person from both replicas at once: one enrolment
    twice = list(pool.imap(lambda r: enrol(r.base_url, STAFF, session_id, person(99)), replicas))
    assert sorted(r.status for r in twice) == [200, 201] and twice[0].body["id"] == twice[1].body["id"]

    statuses = collections.Counter(r.body["status"] for r in replies)
    assert [r.status for r in replies] == [201] * 40
    assert statuses == {"confirmed": 10, "waitlisted": 30}
    positions = sorted(r.body["waitlist_position"] for r in replies if r.body["status"] == "waitlisted")
    session = http("GET", f"{replicas[1].base_url}/enrollment/sessions/{session_id}", token=STAFF).body
    assert (session["confirmed"], session["waitlisted"], session["seats_left"]) == (10, 31, 0)
    assert positions == list(range(1, 31))  # decided under the session's row lock: no two share a place
    database = pg_databases["enrollment"].rsplit("/", 1)[1]
    with pg_admin.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enrollments WHERE status = 'confirmed'")
        assert cursor.fetchone()[0] == 10
