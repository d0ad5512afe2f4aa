"""The `savivalda` command without surprises (issue 12): exit 2 for what was typed wrong, 1 for what
could not be done, never a traceback for either; commands act on the running embedded system or
refuse; a second `run` on taken addresses refuses to start; deploy/make-env's file is shell-safe."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest

from shared.auth import decode_token
from shared.config import embedded_settings
from tests.support import BIN, ROOT, TEST_SECRET, free_port, port_open, run_cli, wait_until

DEPLOY = ROOT / "deploy"


@pytest.fixture
def isolated(tmp_path):
    """A working folder with no ./savivalda-data and a run-file folder of its own, so systems other
    tests (or the developer) run are not found."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "runtime"), "SAVIVALDA_DATA_DIR": "", "SAVIVALDA_AMQP_URI": "",
           "SAVIVALDA_AUTH_SECRET": ""}

    def cli(*args, cwd=work, timeout=60, **extra):
        return run_cli(*args, env={**env, **extra}, cwd=cwd, timeout=timeout)

    cli.env, cli.work = env, work
    return cli


def no_traceback(done):
    assert "Traceback" not in done.stderr and "monkey_patch" not in done.stderr, done.stderr
    return done


# ---------------------------------------------------------------- version, exit codes, no tracebacks

def test_version_is_the_package_version(isolated):
    done = isolated("--version")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert done.returncode == 0 and done.stdout.strip() == f"savivalda {version}"


@pytest.mark.parametrize("args, says", [
    (("token", "--role", "staff", "--ttl", "5x"), "'5x' is not a duration"),
    (("token", "--role", "staff", "--ttl=-1h"), "must be positive"),
    (("token", "--role", "admin"), "role must be"),
    (("migrate", "nosuch"), "unknown service nosuch"),
    (("run", "nosuch"), "unknown service nosuch"),
    (("dlq", "list", "--service", "nosuch"), "unknown service nosuch"),
    (("privacy", "erase", "not-an-address"), "email"),
    (("frobnicate",), "invalid choice"),
])
def test_a_mistyped_command_exits_2_and_says_why_without_a_traceback(isolated, args, says):
    done = no_traceback(isolated(*args))
    assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_closed_pipe_ends_the_command_quietly(isolated):
    popen = subprocess.Popen([str(BIN / "savivalda"), "events", "schemas"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=isolated.work, env={**os.environ, **isolated.env})
    assert popen.stdout.read(10)  # `| head -c 10`
    popen.stdout.close()
    stderr = popen.stderr.read().decode()
    assert popen.wait(timeout=60) == 141 and stderr == ""


def test_events_publish_validates_in_embedded_mode_without_an_import_traceback(isolated, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "grants.call_published", "data": {"code": "X"}}))
    refused = no_traceback(isolated("events", "publish", str(bad)))
    assert refused.returncode == 2 and "data.call_id" in refused.stderr
    missing = no_traceback(isolated("events", "publish", str(tmp_path / "nothing.json")))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(erasure_document()))
    nowhere = no_traceback(isolated("events", "publish", str(good)))  # valid, but no system to publish into
    assert nowhere.returncode == 1 and "no embedded Savivalda system is running" in nowhere.stderr


def erasure_document():
    return {"type": "privacy.erasure_requested",
            "data": {"request_id": str(uuid.uuid4()), "email": "ona@kaunas.lt", "requested_by": "dpo"}}


def test_events_publish_in_embedded_mode_reaches_the_embedded_system(embedded, tmp_path):
    from tests.service.test_privacy_cli import listen, take

    queue = listen("memory://")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(erasure_document()))
    done = no_traceback(run_cli("--data-dir", str(embedded.settings.data_dir), "events", "publish", str(event),
                                env={"SAVIVALDA_AMQP_URI": ""}))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    body = wait_until(lambda: take("memory://", queue), message="the event on the embedded bus")
    assert body["id"] == printed["published"] and body["data"]["email"] == "ona@kaunas.lt"


# ---------------------------------------------------------------- acting on the running embedded system

def test_without_a_running_system_token_and_privacy_refuse_and_create_nothing(isolated, tmp_path):
    for args in (("token", "--role", "staff"), ("privacy", "erase", "ona@kaunas.lt"), ("dlq", "list")):
        done = no_traceback(isolated(*args))
        assert done.returncode == 1, (args, done.stderr)
        assert "no embedded Savivalda system is running" in done.stderr and "--data-dir" in done.stderr
    named = no_traceback(isolated("--data-dir", str(tmp_path / "typo"), "token", "--role", "staff"))
    assert named.returncode == 1 and "is not a Savivalda data folder" in named.stderr
    assert list(isolated.work.iterdir()) == [] and not (tmp_path / "typo").exists()


def test_a_run_file_left_by_a_killed_process_or_naming_another_program_is_ignored(isolated, tmp_path):
    data = tmp_path / "data"
    embedded_settings(data, env={})
    dead = subprocess.Popen(["true"])
    dead.wait()
    other = subprocess.Popen(["sleep", "60"])  # alive, but not savivalda (a reused pid)
    try:
        registry = Path(isolated.env["XDG_RUNTIME_DIR"]) / "savivalda"
        registry.mkdir(parents=True)
        for pid in (dead.pid, other.pid):
            info = {"pid": pid, "data_dir": str(data), "http_address": "127.0.0.1:1", "ops_address": "127.0.0.1:2",
                    "started_at": 0}
            (data / "run.json").write_text(json.dumps(info))
            (registry / f"{pid}.json").write_text(json.dumps(info))
            done = no_traceback(isolated("token", "--role", "staff"))
            assert done.returncode == 1 and "no embedded Savivalda system is running" in done.stderr
        queued = no_traceback(isolated("--data-dir", str(data), "privacy", "erase", "ona@kaunas.lt"))
        assert queued.returncode == 0 and f"no embedded system runs on {data}" in queued.stderr
        assert "published when it starts" in queued.stderr  # said, not silently pretended
    finally:
        other.kill()
        other.wait()


class RunningSystem:
    """`savivalda run` started in its own folder, as a user starts it."""

    def __init__(self, folder: Path, env: dict, http_port=None, ops_port=None):
        folder.mkdir(exist_ok=True)
        self.folder, self.data_dir = folder, folder / "savivalda-data"
        self.http_port, self.ops_port = http_port or free_port(), ops_port or free_port()
        self.log_path = folder.parent / f"{folder.name}.log"
        self.log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            [str(BIN / "savivalda"), "run", "--http", f"127.0.0.1:{self.http_port}", "--ops",
             f"127.0.0.1:{self.ops_port}"], cwd=folder, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, **env, "SAVIVALDA_RETRY_DELAYS": "0.1"})
        wait_until(self.ready, timeout=60, interval=0.2, message="the embedded system")

    def output(self):
        return self.log_path.read_text()

    def ready(self):
        if self.popen.poll() is not None:
            raise AssertionError(f"exited {self.popen.returncode}: {self.output()}")
        return "export TOKEN=" in self.output() and port_open("127.0.0.1", self.ops_port, 0.2)

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
        code = self.popen.wait(timeout=30)
        self.log.close()
        return code


def test_commands_run_elsewhere_act_on_the_running_system_and_a_second_run_refuses(isolated, tmp_path):
    system = RunningSystem(tmp_path / "where-it-runs", isolated.env)
    try:
        token = no_traceback(isolated("token", "--role", "staff"))
        assert token.returncode == 0, token.stderr
        assert "using the data folder of the running embedded system" in token.stderr
        secret = embedded_settings(system.data_dir, env={}).auth_secret
        assert decode_token(secret, token.stdout.strip()).role == "staff"

        erased = no_traceback(isolated("privacy", "erase", "ona@kaunas.lt", "--reason", "request 7"))
        assert erased.returncode == 0, erased.stderr
        request_id = json.loads(erased.stdout)["request_id"]
        wait_until(lambda: f"privacy-{request_id}" in system.output(), timeout=20,
                   message="the running system to handle the erasure request")
        assert list(isolated.work.iterdir()) == []  # no new data folder where the command ran

        listed = no_traceback(isolated("dlq", "list"))
        assert listed.returncode == 0 and listed.stdout == "" and "no dead letters" in listed.stderr

        # Same addresses, another folder: refused before anything starts.
        again = no_traceback(run_cli("--data-dir", str(tmp_path / "other"), "run", "--http",
                                     f"127.0.0.1:{system.http_port}", "--ops", f"127.0.0.1:{free_port()}",
                                     env=isolated.env, timeout=60))
        assert again.returncode == 1 and f"cannot listen on 127.0.0.1:{system.http_port}" in again.stderr
        assert "in use" in again.stderr and "--http" in again.stderr
        ops_taken = no_traceback(run_cli("--data-dir", str(tmp_path / "other"), "run", "--http",
                                         f"127.0.0.1:{free_port()}", "--ops", f"127.0.0.1:{system.ops_port}",
                                         env=isolated.env, timeout=60))
        assert ops_taken.returncode == 1 and f"cannot listen on 127.0.0.1:{system.ops_port}" in ops_taken.stderr
        # Same data folder, free addresses: refused too (two processes, one set of SQLite files).
        twice = no_traceback(run_cli("run", "--http", f"127.0.0.1:{free_port()}", "--ops", f"127.0.0.1:{free_port()}",
                                     env=isolated.env, cwd=system.folder, timeout=60))
        assert twice.returncode == 1 and "already runs on the data folder" in twice.stderr
        assert system.popen.poll() is None
    finally:
        assert system.stop() == 0
    assert not (system.data_dir / "run.json").exists()
    gone = no_traceback(isolated("token", "--role", "staff"))
    assert gone.returncode == 1 and "no embedded Savivalda system is running" in gone.stderr


def test_two_running_systems_make_the_command_ask_which(isolated, tmp_path):
    first = RunningSystem(tmp_path / "one", isolated.env)
    try:
        second = RunningSystem(tmp_path / "two", isolated.env)
        try:
            done = no_traceback(isolated("token", "--role", "staff"))
            assert done.returncode == 1 and "2 embedded systems are running" in done.stderr
            assert str(first.data_dir) in done.stderr and str(second.data_dir) in done.stderr
            chosen = isolated("--data-dir", str(second.data_dir), "token", "--role", "staff")
            secret = embedded_settings(second.data_dir, env={}).auth_secret
            assert decode_token(secret, chosen.stdout.strip()).role == "staff"
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_distributed_service_refuses_an_address_another_process_listens_on(tmp_path):
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as eventlet.listen did by default
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        env = {"SAVIVALDA_AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "SAVIVALDA_AUTH_SECRET": TEST_SECRET,
               "SAVIVALDA_ENROLLMENT_DATABASE_URL": f"sqlite:///{tmp_path}/e.db",
               "SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{port}", "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{free_port()}"}
        done = no_traceback(run_cli("run", "enrollment", env=env, timeout=60))
        assert done.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in done.stderr
        assert "SAVIVALDA_HTTP_ADDRESS" in done.stderr
    finally:
        holder.close()


# ---------------------------------------------------------------- dead letters

def test_dlq_says_when_there_is_nothing_and_show_needs_no_ids(isolated, tmp_path):
    data = tmp_path / "data"
    assert isolated("--data-dir", str(data), "migrate").returncode == 0
    for args in (("dlq", "list"), ("dlq", "show"), ("dlq", "list", "--service", "grants")):
        done = no_traceback(isolated("--data-dir", str(data), *args))
        assert done.returncode == 0 and done.stdout == "" and "no dead letters" in done.stderr, (args, done.stderr)
    unmatched = no_traceback(isolated("--data-dir", str(data), "dlq", "show", "no-such-id"))
    assert unmatched.returncode == 1 and "no dead letter matches no-such-id" in unmatched.stderr


def test_dlq_show_all_and_purge_all_asks_first(embedded, isolated):
    from tests.service.test_subscriptions_embedded import dead_letters, publish

    publish(b"garbage one")
    publish(b"garbage two")
    wait_until(lambda: len(dead_letters(embedded)) == 2, message="two dead letters")
    data = str(embedded.settings.data_dir)
    shown = no_traceback(isolated("--data-dir", data, "dlq", "show"))
    assert shown.returncode == 0 and shown.stdout.count('"reason"') == 2

    unconfirmed = no_traceback(isolated("--data-dir", data, "dlq", "purge", "--all"))  # no terminal to ask on
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert len(dead_letters(embedded)) == 2

    declined = answer_on_a_terminal(["--data-dir", data, "dlq", "purge", "--all"], "n\n", isolated.env)
    assert declined.returncode == 1 and "delete all 2 dead letter(s)?" in declined.stderr
    assert "nothing purged" in declined.stderr and len(dead_letters(embedded)) == 2

    confirmed = answer_on_a_terminal(["--data-dir", data, "dlq", "purge", "--all"], "y\n", isolated.env)
    assert confirmed.returncode == 0 and "purged 2" in confirmed.stdout
    assert dead_letters(embedded) == []


def answer_on_a_terminal(args, answer, env):
    leader, follower = pty.openpty()
    try:
        os.write(leader, answer.encode())
        return subprocess.run([str(BIN / "savivalda"), *args], stdin=follower, capture_output=True, text=True,
                              timeout=60, env={**os.environ, **env})
    finally:
        os.close(follower)
        os.close(leader)


# ---------------------------------------------------------------- deploy/make-env

def test_make_env_output_can_be_sourced_by_a_shell_and_means_what_compose_reads(tmp_path):
    from tests.deploy.compose import parse_env_file

    target = tmp_path / ".env"
    done = subprocess.run([str(DEPLOY / "make-env"), str(target)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    names = [line.split("=", 1)[0] for line in target.read_text().splitlines() if line and not line.startswith("#")]
    script = 'set -eu; set -a; . "$1"; shift; for n in "$@"; do eval "printf \'%s=%s\\n\' $n \\"\\$$n\\""; done'
    sourced = subprocess.run(["sh", "-c", script, "sh", str(target), *names], capture_output=True, text=True,
                             timeout=30)
    assert sourced.returncode == 0 and sourced.stderr == "", sourced.stderr
    shell = dict(line.split("=", 1) for line in sourced.stdout.splitlines())
    assert shell == parse_env_file(target)
    assert shell["SAVIVALDA_MAIL_FROM"] == "Savivalda <noreply@savivalda.local>"


def test_make_env_fills_the_empty_file_a_redirection_creates(tmp_path):
    target = tmp_path / ".env"
    with open(target, "w") as out:  # `deploy/make-env > deploy/.env`: the shell makes the file first
        done = subprocess.run([str(DEPLOY / "make-env"), str(target)], stdout=out, stderr=subprocess.PIPE,
                              text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^SAVIVALDA_AUTH_SECRET=[0-9a-f]{48}$", target.read_text(), flags=re.M)
    again = subprocess.run([str(DEPLOY / "make-env"), str(target)], capture_output=True, text=True, timeout=30)
    assert again.returncode == 1 and "not overwriting" in again.stderr


def test_the_compose_header_and_the_docs_run_make_env_without_a_redirection():
    for path in (DEPLOY / "docker-compose.yml", ROOT / "docs" / "operations.md", DEPLOY / ".env.example"):
        assert not re.search(r"make-env\s*>", path.read_text()), path
