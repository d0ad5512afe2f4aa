"""`savivalda run` with no configuration, as a user starts it: all four services in one process,
SQLite under the data folder, e-mail into the mailbox folder; and what happens when it stops."""

import email
import email.policy
import os
import re
import signal
import sqlite3
import subprocess
import time

from tests.service.helpers import create_session, enrol, person
from tests.support import BIN, free_port, http, port_open, wait_until


class EmbeddedRun:
    def __init__(self, data_dir, log_path, extra_env=None):
        self.data_dir, self.log_path = data_dir, log_path
        self.http_port, self.ops_port = free_port(), free_port()
        env = {**os.environ, "SAVIVALDA_RETRY_DELAYS": "30", **(extra_env or {})}
        env.pop("SAVIVALDA_AMQP_URI", None)
        self.out = open(log_path, "w")
        self.popen = subprocess.Popen(
            [str(BIN / "savivalda"), "--data-dir", str(data_dir), "run", "--http", f"127.0.0.1:{self.http_port}",
             "--ops", f"127.0.0.1:{self.ops_port}"], stdout=self.out, stderr=subprocess.STDOUT, env=env)
        wait_until(self.ready, timeout=60, interval=0.2, message="the embedded system")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def ready(self):
        if self.popen.poll() is not None:
            raise AssertionError(f"exited {self.popen.returncode}: {self.output()}")
        # the banner (with the token) is printed once every service has started, after /health/ready
        return "export TOKEN=" in self.output() and port_open("127.0.0.1", self.ops_port, 0.2) and http(
            "GET", f"http://127.0.0.1:{self.ops_port}/health/ready").status == 200

    def output(self):
        return self.log_path.read_text()

    def token(self):
        return re.search(r"export TOKEN=(\S+)", self.output()).group(1)

    def stop(self, sig=signal.SIGTERM):
        self.popen.send_signal(sig)
        code = self.popen.wait(timeout=30)
        self.out.close()
        return code


def eml_files(data_dir):
    return sorted((data_dir / "mailbox").glob("*.eml")) if (data_dir / "mailbox").exists() else []


def test_the_run_command_serves_the_flow_and_tells_where_everything_is(tmp_path):
    data = tmp_path / "data"
    run = EmbeddedRun(data, tmp_path / "run.log")
    try:
        banner = run.output()
        for expected in (f"http://127.0.0.1:{run.http_port}/", f"http://127.0.0.1:{run.ops_port}/metrics",
                         str(data.resolve()), str((data / "mailbox").resolve()), "/enrollment/openapi.json",
                         "Staff token"):
            assert expected in banner, expected
        assert sorted(p.name for p in data.glob("*.sqlite3")) == [
            "enrollment.sqlite3", "grants.sqlite3", "notifications.sqlite3", "partners.sqlite3"]
        token = run.token()
        _, session_id = create_session(run.base_url, token, capacity=3)
        assert enrol(run.base_url, token, session_id, person(1)).status == 201
        wait_until(lambda: len(eml_files(data)) == 1, timeout=20, message="the e-mail in the mailbox folder")
        mail = email.message_from_bytes(eml_files(data)[0].read_bytes(), policy=email.policy.default)
        assert mail["Subject"].startswith("Registracija patvirtinta")  # non-ASCII headers are RFC 2047-encoded
    finally:
        assert run.stop() == 0
    assert '"message": "stopped"' in run.output()


def test_an_event_lost_with_a_killed_process_is_delivered_after_restart_exactly_once(tmp_path):
    data = tmp_path / "data"
    first = EmbeddedRun(data, tmp_path / "first.log")
    notifications_db = data / "notifications.sqlite3"

    def sql(statement):
        connection = sqlite3.connect(notifications_db, timeout=30)
        try:
            connection.execute(statement)
            connection.commit()
        finally:
            connection.close()

    sql("ALTER TABLE recipients RENAME TO recipients_hidden")  # the handler fails and waits 30 s to retry ...
    token = first.token()
    _, session_id = create_session(first.base_url, token, capacity=3)
    assert enrol(first.base_url, token, session_id, person(1)).status == 201
    wait_until(lambda: "retrying" in first.output(), timeout=20, message="the first attempt to fail")
    first.stop(signal.SIGKILL)  # ... but the process dies first: the in-memory broker loses the retry
    sql("ALTER TABLE recipients_hidden RENAME TO recipients")

    second = EmbeddedRun(data, tmp_path / "second.log")
    try:
        wait_until(lambda: len(eml_files(data)) == 1, timeout=20, message="the e-mail after restart")
        assert "re-publishing" in second.output()
        time.sleep(1.0)
        assert len(eml_files(data)) == 1
    finally:
        assert second.stop() == 0

    third = EmbeddedRun(data, tmp_path / "third.log")  # after a clean stop nothing is re-published
    try:
        assert "re-publishing" not in third.output()
    finally:
        third.stop()
