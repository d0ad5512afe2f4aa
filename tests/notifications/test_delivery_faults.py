"""The delivery loop under faults (issue 15, items 3 and 4; docs/reliability.md "Notifications
under faults"): the database going away while outcomes are recorded, a replica killed mid-batch,
a late sender that lost its lease, and a slow batch that keeps its claims.

The SMTP sink (tests/support/smtp_sink.py) takes 0.2 s to accept a "slow..." address, so a batch
lasts long enough to act in the middle of it; it counts what it received by Message-ID."""

import collections
import re
import subprocess
import time
import uuid
from datetime import date, timedelta

import eventlet
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from services.notifications import repository
from services.notifications.delivery import Result, SmtpMailer
from services.notifications.models import DeliveryAttempt, Notification
from services.notifications.schemas import RecipientIn
from services.notifications.usecases import delivery, erasure, recipients, telling
from services.notifications.usecases.delivery import CONCURRENT_SENDS, DeliveryRound, Links
from shared.auth import issue_token
from shared.events import new_envelope
from shared.events.grants import CallPublished
from shared.events.privacy import ErasureRequested
from shared.events.publisher import EventPublisher
from shared.events.types import LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from tests.support import TEST_SECRET, http, wait_until

SECRET = "fault-test-secret-" + "x" * 24
LINKS = Links("https://savivalda.example", SECRET)


def call(n: int) -> CallPublished:
    return CallPublished(call_id=uuid.uuid4(), code=f"FAULT-{n}", funder="Test funder",
                         title=LocalizedText(lt=f"Kvietimas {n}", en=f"Call {n}"), themes=["budgeting"],
                         eligible_applicant_types=["municipality"], eligible_regions=[],
                         closes_on=date.today() + timedelta(days=30), status="open")


def units_of(url: str):
    def unit(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(url), "notifications", correlation_id)

    return unit


@pytest.fixture
def units(notifications_db_url):
    return units_of(notifications_db_url)


def subscribers_told(units, count: int, prefix: str = "subscriber") -> None:
    """`count` call-alert subscribers of municipality 15, then a call they are all told about."""
    for n in range(count):
        with units() as db:
            recipients.register(db, RecipientIn(email=f"{prefix}{n}@savivaldybe.lt", name=f"Subscriber {n}",
                                                municipality_code="15", call_alerts=True))
    event = call(0)
    envelope = new_envelope(event, source="savivalda/grants", correlation_id="faults")
    with units() as db:
        telling.tell_event(db, event, envelope, service="notifications", wake=lambda: None)
        db.commit()


def notifications(units) -> list[Notification]:
    with units() as db:
        return list(db.session.scalars(select(Notification)))


def attempt_outcomes(units) -> list[str]:
    with units() as db:
        return list(db.session.scalars(select(DeliveryAttempt.outcome)))


class DuringSend:
    """A mailer that does `action` while "sending", then answers `result` for every e-mail."""

    def __init__(self, action, result: Result = Result(via="slow-one")):
        self.action, self.result = action, result

    def send_many(self, outgoings, on_result=None):
        self.action()
        results = [self.result for _ in outgoings]
        for index, result in enumerate(results):
            if on_result:
                on_result(index, result)
        return results


class Instant:
    def send_many(self, outgoings, on_result=None):
        return [Result(via="other-replica") for _ in outgoings]


def smtp_clients(port: int) -> set[int]:
    """The ids of the processes connected to this local port (ss, as root like the other tests)."""
    listing = subprocess.run(["ss", "-tnpH", "state", "established", "dst", f"127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=10).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", listing)}


def message_ids(smtp_sink) -> collections.Counter:
    return collections.Counter(m["Message-ID"] for m in smtp_sink.messages())


# ---------------------------------------------------------------- the database goes away

def test_outcomes_the_database_refuses_are_kept_and_recorded_when_it_is_back_and_no_e_mail_goes_twice(
        pg_admin, pg_databases, smtp_sink, caplog):
    """A PostgreSQL restart, for this database only: it refuses connections and its sessions are
    terminated for 3 s while a batch is being sent (the machine's server is not restarted)."""
    url = pg_databases["notifications"]
    name = url.rsplit("/", 1)[1]
    units = units_of(url)
    count = 4 * CONCURRENT_SENDS  # four slow e-mails per connection: the batch outlasts the first
    subscribers_told(units, count, prefix="slow")
    sender = DeliveryRound("notifications", units, SmtpMailer(smtp_sink.url, "Savivalda <noreply@savivalda.lt>"), LINKS)
    caplog.set_level("WARNING", logger="services.notifications.usecases.delivery")
    worker = eventlet.spawn(sender.run_once)
    try:
        wait_until(lambda: len(smtp_sink.messages()) >= 1, timeout=10, message="the first e-mail")
        pg_admin._execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_admin._execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        eventlet.sleep(3)
    finally:
        pg_admin._execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert worker.wait() == count
    assert "delivery outcomes failed" in caplog.text  # the outage did hit the recording
    rows = notifications(units)
    assert {(n.status, n.attempts, n.lease_token) for n in rows} == {("sent", 1, None)} and len(rows) == count
    assert attempt_outcomes(units) == ["sent"] * count
    with units() as db:
        db.session.execute(update(Notification).values(lease_until=utcnow() - timedelta(hours=1)))
        db.commit()
    assert sender.run_once() == 0
    ids = message_ids(smtp_sink)
    assert len(ids) == count and set(ids.values()) == {1}


def test_a_record_whose_commit_outcome_is_unknown_is_recorded_again_and_counts_once(units, monkeypatch):
    """The connection dies during COMMIT, after the database did commit: the sender cannot tell,
    records again, and the second try finds the outcome already there (nothing leased any more)."""
    subscribers_told(units, 3)
    real_record, calls = DeliveryRound.record, []

    def commit_then_lose_the_answer(self, results, token):
        calls.append(len(results))
        skipped = real_record(self, results, token)
        if len(calls) <= 2:
            try:
                raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
            except OperationalError as lost:
                raise RuntimeError("commit outcome unknown") from lost  # as a UnitOfWork may wrap it
        return skipped

    monkeypatch.setattr(DeliveryRound, "record", commit_then_lose_the_answer)
    mailer = DuringSend(lambda: None)
    assert DeliveryRound("notifications", units, mailer, LINKS).run_once() == 3
    assert len(calls) >= 3
    assert {(n.status, n.attempts) for n in notifications(units)} == {("sent", 1)}
    assert attempt_outcomes(units) == ["sent"] * 3
    with units() as db:
        assert list(db.session.scalars(select(OUTBOX.c.event_type))).count("notifications.notification_sent") == 3


# ---------------------------------------------------------------- a late sender

def test_a_late_outcome_does_not_overwrite_an_erasure_that_came_while_the_e_mail_was_sent(units):
    subscribers_told(units, 1)

    def erase():
        with units() as db:
            erasure.erase(db, ErasureRequested(request_id=uuid.uuid4(), email="subscriber0@savivaldybe.lt",
                                               requested_by="dpo"))
            db.commit()

    assert DeliveryRound("notifications", units, DuringSend(erase), LINKS).run_once() == 1
    [notification] = notifications(units)
    assert (notification.status, notification.attempts, notification.sent_at) == ("suppressed", 0, None)
    assert attempt_outcomes(units) == []
    with units() as db:
        assert "notification_sent" not in " ".join(db.session.scalars(select(OUTBOX.c.event_type)))


def test_a_sender_that_lost_its_lease_does_not_overwrite_the_outcome_of_the_one_that_took_it_over(units):
    subscribers_told(units, 1)

    def lease_expires_and_another_replica_sends():
        with units() as db:
            db.session.execute(update(Notification).values(lease_until=utcnow() - timedelta(seconds=1)))
            db.commit()
        assert DeliveryRound("notifications", units, Instant(), LINKS).run_once() == 1

    late = DuringSend(lease_expires_and_another_replica_sends, Result(error="421 try again later"))
    assert DeliveryRound("notifications", units, late, LINKS).run_once() == 1
    [notification] = notifications(units)
    assert (notification.status, notification.attempts, notification.delivered_via) == ("sent", 1, "other-replica")
    assert attempt_outcomes(units) == ["sent"]


def test_a_heartbeat_keeps_a_slow_batch_s_claims_beyond_the_lease(units, monkeypatch):
    monkeypatch.setattr(repository, "LEASE", timedelta(seconds=1))
    monkeypatch.setattr(delivery, "HEARTBEAT_SECONDS", 0.2, raising=False)
    subscribers_told(units, 3)
    taken_by_other = []

    def slow():
        eventlet.sleep(2.5)  # more than twice the lease
        taken_by_other.append(DeliveryRound("notifications", units, Instant(), LINKS).run_once())

    assert DeliveryRound("notifications", units, DuringSend(slow), LINKS).run_once() == 3
    assert taken_by_other and set(taken_by_other) == {0}  # asked once per connection's group: nothing free
    assert {(n.status, n.attempts, n.delivered_via) for n in notifications(units)} == {("sent", 1, "slow-one")}


def two_replicas_with_slow_subscribers(launcher, total: int) -> list:
    """Two notifications replicas and `total` call-alert subscribers whose e-mails the SMTP sink
    accepts slowly (addresses starting with "slow"), registered through both replicas."""
    replicas = [launcher.start("notifications"), launcher.start("notifications")]
    staff = issue_token(TEST_SECRET, subject="t", role="staff")
    for n in range(total):
        reply = http("POST", f"{replicas[n % 2].base_url}/notifications/recipients",
                     {"email": f"slow{n}@savivaldybe.lt", "name": f"Subscriber {n}", "municipality_code": "15",
                      "call_alerts": True}, token=staff)
        assert reply.status == 201, reply.body
    return replicas


# ---------------------------------------------------------------- a replica killed mid-batch

def test_after_a_replica_is_killed_mid_batch_the_other_sends_what_it_held_within_15_s(launcher, smtp_sink,
                                                                                    distributed_env):
    total = 8 * CONCURRENT_SENDS  # slow e-mails enough for the victim to be killed mid-batch
    replicas = two_replicas_with_slow_subscribers(launcher, total)
    with EventPublisher(distributed_env["SAVIVALDA_AMQP_URI"]) as publisher:
        publisher.publish(new_envelope(call(0), source="grants-test", correlation_id="kill-mid-batch"))

    def sending_replica():
        """The replica with connections open to the SMTP server once it has received a few."""
        if len(smtp_sink.messages()) < 6:
            return None
        clients = smtp_clients(smtp_sink.port)
        return next((r for r in replicas if r.popen.pid in clients), None)

    victim = wait_until(sending_replica, timeout=30, interval=0.02, message="a replica half-way through")
    victim.popen.kill()  # SIGKILL: no shutdown, no record of what was in flight
    killed_at = time.monotonic()
    victim.popen.wait(timeout=10)
    survivor = next(r for r in replicas if r is not victim)
    wait_until(lambda: len(message_ids(smtp_sink)) >= total, timeout=30, interval=0.05, message="every e-mail")
    delivered_after = time.monotonic() - killed_at
    eventlet.sleep(2)
    ids = message_ids(smtp_sink)
    duplicates = sum(count - 1 for count in ids.values())
    print(f"\nall {total} e-mails delivered {delivered_after:.1f} s after the SIGKILL; {duplicates} duplicate(s)")
    assert len(ids) == total and delivered_after < 15
    # Only an e-mail the SMTP server accepted in the milliseconds before its outcome was committed
    # can go twice (same Message-ID), at most one per connection in flight.
    assert duplicates <= CONCURRENT_SENDS
    assert survivor.metric("savivalda_notifications_total", outcome="sent") > 0


# ---------------------------------------------------------------- the database restarts under two replicas

def test_a_database_outage_mid_batch_under_two_replicas_sends_no_e_mail_twice(launcher, smtp_sink, distributed_env,
                                                                              pg_admin, pg_databases):
    """Two replicas; while one sends a batch, the notifications database refuses connections and
    drops its sessions for 4 s (what a PostgreSQL restart does to them; the machine's server is
    not restarted). Every e-mail arrives, each once."""
    total = 32
    replicas = two_replicas_with_slow_subscribers(launcher, total)
    name = pg_databases["notifications"].rsplit("/", 1)[1]
    with EventPublisher(distributed_env["SAVIVALDA_AMQP_URI"]) as publisher:
        publisher.publish(new_envelope(call(0), source="grants-test", correlation_id="database-outage"))
    wait_until(lambda: len(smtp_sink.messages()) >= 6, timeout=30, interval=0.02, message="a batch half-way through")
    try:
        pg_admin._execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_admin._execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        time.sleep(4)
    finally:
        pg_admin._execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    wait_until(lambda: len(message_ids(smtp_sink)) >= total, timeout=30, interval=0.05, message="every e-mail")

    def all_recorded():
        connection = pg_admin.connect(name)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM notifications WHERE status = 'sent' AND attempts = 1")
                return cursor.fetchone()[0] == total
        finally:
            connection.close()

    wait_until(all_recorded, timeout=20, interval=0.2, message="every outcome recorded once")
    time.sleep(1)
    ids = message_ids(smtp_sink)
    assert len(ids) == total and set(ids.values()) == {1}
    assert "delivery outcomes failed" in "".join(r.log() for r in replicas)  # the outage did hit the recording


def test_an_erasure_waits_for_a_sender_recording_sent_and_leaves_that_outcome_alone(pg_databases):
    """The erasure locks the person's notifications before deciding which to suppress: an outcome
    the sender is recording at that moment is either in (and kept) or comes after (and is refused
    by the lease check), never overwritten by a status read before it committed."""
    units = units_of(pg_databases["notifications"])
    subscribers_told(units, 1)
    with units() as db:
        db.session.execute(update(Notification).values(status="sending"))
        db.commit()
    recording = units()
    recording.session.execute(select(Notification).with_for_update()).all()
    recording.session.execute(update(Notification).values(status="sent", sent_at=utcnow()))

    def erase():
        with units() as db:
            erasure.erase(db, ErasureRequested(request_id=uuid.uuid4(), email="subscriber0@savivaldybe.lt",
                                               requested_by="dpo"))
            db.commit()

    erasing = eventlet.spawn(erase)
    eventlet.sleep(0.5)  # the erasure is now waiting on the row the sender holds
    recording.commit()
    recording.close()
    erasing.wait()
    [notification] = notifications(units)
    assert notification.status == "sent"
    assert notification.subject is None and notification.body_text is None  # the content is scrubbed all the same
