"""Database outages and graceful shutdown, on `savivalda run enrollment` processes against the real
PostgreSQL and RabbitMQ (docs/reliability.md).

The database is made unreachable without touching the server other tests share: its backends
terminated and new connections refused (ALTER DATABASE ... ALLOW_CONNECTIONS false), or a TCP
proxy in front of it closed (connection refused, connections closed by the server) or made to
lose the answer to a COMMIT.
"""

import collections
import json
import signal
import time
import urllib.error
import uuid

import eventlet
import pytest

from shared.auth import issue_token
from tests.service.helpers import create_session, enrol, person
from tests.support import TEST_SECRET, http, wait_until
from tests.support.pgproxy import PgProxy

pytestmark = pytest.mark.e2e
STAFF = issue_token(TEST_SECRET, subject="e2e-staff", role="staff")


def assert_database_unavailable(reply):
    assert reply.status == 503, (reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.body["type"] == "urn:savivalda:problem:database_unavailable", reply.body


def requests_during_outage(base_url, session_id, n=6):
    replies = []
    for i in range(n):
        replies.append(http("GET", f"{base_url}/enrollment/sessions/{session_id}", token=STAFF))
        replies.append(enrol(base_url, STAFF, session_id, person(100 + i)))
    return replies


@pytest.fixture
def proxy():
    proxy = PgProxy()
    yield proxy
    proxy.close()


def test_a_database_refusing_connections_and_terminating_backends_is_answered_503(launcher, pg_admin, pg_databases):
    enrollment = launcher.start("enrollment")
    _, session_id = create_session(enrollment.base_url, STAFF, capacity=50)
    assert enrol(enrollment.base_url, STAFF, session_id, person(1)).status == 201
    database = pg_databases["enrollment"].rsplit("/", 1)[1]
    admin = pg_admin.connect("postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        replies = requests_during_outage(enrollment.base_url, session_id)
        for reply in replies:
            assert_database_unavailable(reply)
        assert http("GET", f"{enrollment.ops_url}/health/ready").status == 503
        # the connections the pool held were terminated (admin shutdown) while idle: a live request
        # on one of them, after the database accepts again but before the pool noticed, is also 503
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        assert enrol(enrollment.base_url, STAFF, session_id, person(2)).status == 201
        with admin.cursor() as cursor:  # terminated under a request's feet, between its statements
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        after = [enrol(enrollment.base_url, STAFF, session_id, person(3 + n)) for n in range(3)]
        assert all(r.status in (201, 503) for r in after), [(r.status, r.body) for r in after]
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        admin.close()

    assert enrollment.metric("savivalda_http_database_unavailable_total", code="database_unavailable") >= len(replies)
    assert enrollment.metric("savivalda_http_unhandled_errors_total") == 0
    assert enrollment.metric("savivalda_http_requests_total", status="500") == 0
    assert '"database_unavailable"' in enrollment.log() or "database_unavailable" in enrollment.log()
    wait_until(lambda: http("GET", f"{enrollment.ops_url}/health/ready").status == 200, timeout=20,
               message="ready again")


def test_connection_refused_and_closed_connections_are_answered_503(proxy, launcher, pg_databases):
    database = pg_databases["enrollment"].rsplit("/", 1)[1]
    enrollment = launcher.start("enrollment", extra_env={"SAVIVALDA_ENROLLMENT_DATABASE_URL": proxy.url(database)})
    _, session_id = create_session(enrollment.base_url, STAFF, capacity=50)

    proxy.refuse()  # the pool's connections closed under it, every new one refused
    replies = requests_during_outage(enrollment.base_url, session_id)
    for reply in replies:
        assert_database_unavailable(reply)
    proxy.resume()
    assert enrol(enrollment.base_url, STAFF, session_id, person(1)).status == 201
    assert enrollment.metric("savivalda_http_requests_total", status="500") == 0
    assert enrollment.metric("savivalda_http_database_unavailable_total", code="database_unavailable") >= len(replies)


def test_a_commit_whose_answer_is_lost_is_503_outcome_unknown_and_the_idempotency_key_tells(
        proxy, launcher, pg_admin, pg_databases):
    database = pg_databases["enrollment"].rsplit("/", 1)[1]
    enrollment = launcher.start("enrollment", extra_env={"SAVIVALDA_ENROLLMENT_DATABASE_URL": proxy.url(database)})
    _, session_id = create_session(enrollment.base_url, STAFF, capacity=50)

    proxy.lose_commit_after(b"INSERT INTO enrollments")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    lost = enrol(enrollment.base_url, STAFF, session_id, person(7), headers=key)
    assert proxy.commits_lost == 1
    assert lost.status == 503, (lost.status, lost.body)
    assert lost.headers["Content-Type"].startswith("application/problem+json")
    assert int(lost.headers["Retry-After"]) > 0
    assert lost.body["type"] == "urn:savivalda:problem:commit_outcome_unknown"
    assert "Idempotency-Key" in lost.body["detail"]
    with pg_admin.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM enrollments WHERE email = %s", (person(7)["email"],))
        (committed,), = cursor.fetchall()  # the database did commit it

    again = enrol(enrollment.base_url, STAFF, session_id, person(7), headers=key)
    assert again.status == 200 and again.body["id"] == str(committed)
    assert enrollment.metric("savivalda_http_database_unavailable_total", code="commit_outcome_unknown") == 1
    assert enrollment.metric("savivalda_http_requests_total", status="500") == 0


# ---------------------------------------------------------------- graceful shutdown

def outcome(call):
    try:
        return call().status
    except urllib.error.URLError as error:
        return type(error.reason).__name__
    except Exception as error:  # e.g. a reset or a connection closed mid-request
        return type(error).__name__


def test_sigterm_under_load_closes_the_listener_first_and_answers_every_accepted_request(
        launcher, pg_admin, pg_databases):
    enrollment = launcher.start("enrollment")
    base = enrollment.base_url
    _, busy = create_session(base, STAFF, capacity=5000)
    _, held = create_session(base, STAFF, capacity=50)
    database = pg_databases["enrollment"].rsplit("/", 1)[1]

    # Requests under way at SIGTERM: enrolments waiting on the held session's row lock.
    blocker = pg_admin.connect(database)
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (held,))
    pool = eventlet.GreenPool(32)
    in_flight = [pool.spawn(outcome, lambda n=n: enrol(base, STAFF, held, person(9000 + n))) for n in range(4)]

    def waiting_on_lock():
        with pg_admin.connect(database) as watcher, watcher.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                           (database,))
            return cursor.fetchone()[0] == 4

    wait_until(waiting_on_lock, timeout=30, message="four requests waiting on the row lock")

    results = collections.defaultdict(list)
    counter = iter(range(10 ** 6))

    stop_by = [float("inf")]

    def client(n):
        while time.monotonic() < stop_by[0]:  # until the listener is closed: then connections are refused
            i = next(counter)
            if i % 2:
                got = outcome(lambda: enrol(base, STAFF, busy, person(i)))
            else:
                got = outcome(lambda: http("GET", f"{base}/enrollment/sessions/{busy}", token=STAFF))
            results[n].append(got)
            if got == "ConnectionRefusedError":
                return

    clients = [pool.spawn(client, n) for n in range(8)]
    eventlet.sleep(1.0)
    stop_by[0] = time.monotonic() + 10
    enrollment.popen.send_signal(signal.SIGTERM)
    for thread in clients:
        thread.wait()
    summary = collections.Counter(got for n in results for got in results[n])
    assert set(summary) <= {200, 201, "ConnectionRefusedError"}, summary  # never 404, never a reset
    assert summary[201] > 0 and summary[200] > 0, summary
    assert all(r[-1] == "ConnectionRefusedError" for r in results.values())

    # stopping: the listener is closed and readiness answers 503; the requests under way still wait
    ready = http("GET", f"{enrollment.ops_url}/health/ready")
    assert ready.status == 503 and "stopping" in json.dumps(ready.body), ready.body
    assert enrollment.popen.poll() is None and not any(t.dead for t in in_flight)
    blocker.rollback()
    blocker.close()
    held_outcomes = [t.wait() for t in in_flight]
    assert held_outcomes == [201] * 4, held_outcomes  # answered, not dropped
    assert enrollment.popen.wait(timeout=30) == 0
