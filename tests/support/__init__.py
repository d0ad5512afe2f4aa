"""Helpers the tests share: ports, waiting, HTTP, the real broker and database, service processes."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RABBIT_HOST, RABBIT_PORT = "127.0.0.1", 5672
PG_DSN_BASE = "postgresql+psycopg2://postgres@127.0.0.1:5432"
TEST_SECRET = "t3st-Kx9vQ2mLp7Zr4Tn8Vb3Kd6Hs1Fw5Jy0GcRq"


# Ports for the processes tests start come from below Linux's ephemeral range (32768-60999): a
# port the kernel handed out for "any free port" is also one it hands to outgoing connections,
# and one of those took a test server's port between the pick and the server's bind (seen in CI:
# "address already in use"). Each port is given out once per test process.
_PORTS_GIVEN: set[int] = set()
# bin/test runs the suite as three processes, each with its own range (SAVIVALDA_TEST_PORTS=low-high).
_PORT_RANGE = tuple(int(p) for p in os.environ.get("SAVIVALDA_TEST_PORTS", "20000-32000").split("-", 1))


def free_port() -> int:
    for _ in range(200):
        port = random.randint(*_PORT_RANGE)
        if port in _PORTS_GIVEN:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _PORTS_GIVEN.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORT_RANGE}")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last value {last!r})")


@dataclass
class Reply:
    status: int
    headers: dict
    body: object

    @property
    def json(self):
        return self.body


def http(method: str, url: str, body=None, *, token: str | None = None, headers: dict | None = None,
         raw: bytes | None = None, timeout: float = 30.0) -> Reply:
    data = raw
    all_headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, reply_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, reply_headers, payload = error.code, dict(error.headers), error.read()
    from requests.structures import CaseInsensitiveDict

    reply_headers = CaseInsensitiveDict(reply_headers)
    content_type = reply_headers.get("Content-Type", "")
    parsed = json.loads(payload) if payload and "json" in content_type else payload.decode("utf-8", "replace")
    return Reply(status, reply_headers, parsed)


# ---------------------------------------------------------------- RabbitMQ administration

class BrokerAdmin:
    """vhosts and the broker's life, through rabbitmqctl (the tests run as root, like CI)."""

    def __init__(self):
        self.ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"

    def run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run([self.ctl, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def usable(self) -> str | None:
        if not os.path.exists(self.ctl):
            return "rabbitmqctl not found"
        try:
            self.run("list_vhosts", "-q", timeout=30)
        except Exception as error:
            return str(error)
        return None

    def add_vhost(self) -> str:
        name = f"savivalda-test-{uuid.uuid4().hex[:10]}"
        self.run("add_vhost", name)
        try:
            self.run("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        except RuntimeError:  # no test will own it: do not leave it behind
            subprocess.run([self.ctl, "delete_vhost", name], capture_output=True, timeout=60)
            raise
        return name

    def delete_vhost(self, name: str) -> None:
        self.run("delete_vhost", name)

    def queues(self, vhost: str) -> dict[str, int]:
        out = self.run("list_queues", "-q", "-p", vhost, "name", "messages")
        result = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                result[parts[0]] = int(parts[1])
        return result

    def stop_app(self) -> None:
        self.run("stop_app", timeout=120)

    def start_app(self) -> None:
        self.run("start_app", timeout=120)
        self.run("await_startup", timeout=120)


# ---------------------------------------------------------------- PostgreSQL administration

class PostgresAdmin:
    def __init__(self):
        import psycopg2

        self._psycopg2 = psycopg2

    def _execute(self, sql: str) -> None:
        connection = self._psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def usable(self) -> str | None:
        try:
            self._execute("SELECT 1")
        except Exception as error:
            return str(error).strip()
        return None

    def create(self, name: str, template: str | None = None) -> str:
        self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return f"{PG_DSN_BASE}/{name}"

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def connect(self, name: str):
        connection = self._psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=name)
        return connection


# ---------------------------------------------------------------- service processes

@dataclass
class ServiceProcess:
    services: tuple[str, ...]
    popen: subprocess.Popen
    http_port: int
    ops_port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> str:
        return http("GET", f"{self.ops_url}/metrics").body

    def metric(self, name: str, **labels) -> float:
        """Sum of the samples of `name` whose labels include `labels`."""
        return metric_value(self.metrics(), name, **labels)

    def terminate(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


def metric_value(text: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@dataclass
class ProcessLauncher:
    """Starts `savivalda run <service>` exactly as a container does: environment only."""

    base_env: dict
    log_dir: Path
    started: list = field(default_factory=list)

    def start(self, *services: str, extra_env: dict | None = None, wait: bool = True) -> ServiceProcess:
        http_port, ops_port = free_port(), free_port()
        env = {**os.environ, **self.base_env, **(extra_env or {}),
               "SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
               "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{ops_port}"}
        log_path = self.log_dir / f"{'-'.join(services)}-{len(self.started)}.log"
        handle = open(log_path, "wb")
        popen = subprocess.Popen([str(BIN / "savivalda"), "run", *services], env=env, stdout=handle,
                                 stderr=subprocess.STDOUT, cwd=str(self.log_dir))
        process = ServiceProcess(tuple(services), popen, http_port, ops_port, log_path)
        self.started.append(process)
        if wait:
            self.wait_ready(process)
        return process

    @staticmethod
    def wait_ready(process: ServiceProcess, timeout: float = 60) -> None:
        def ready():
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.services} exited with {process.popen.returncode}:\n{process.log()}")
            if not port_open("127.0.0.1", process.ops_port, 0.2):
                return False
            return http("GET", f"{process.ops_url}/health/ready").status == 200

        wait_until(ready, timeout=timeout, interval=0.2, message=f"{process.services} to be ready")

    def stop_all(self) -> None:
        for process in self.started:
            try:
                process.terminate(timeout=20)
            except Exception:
                process.kill()


def run_cli(*args: str, env: dict | None = None, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "savivalda"), *args], env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout, cwd=str(cwd) if cwd else None)


# ---------------------------------------------------------------- the embedded system in this process

class EmbeddedSystem:
    """All four services running in the test process on the embedded default (SQLite files, the
    in-memory broker), on free ports. `stop()` shuts them down gracefully."""

    def __init__(self, data_dir: Path, env: dict | None = None, default_subject: str = "tester", **changes):
        from services.runner import Process
        from shared.config import embedded_settings

        defaults = {"SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
                    "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{free_port()}",
                    "SAVIVALDA_RETRY_DELAYS": "0.1,0.2", "SAVIVALDA_RELAY_INTERVAL": "0.1"}
        settings = embedded_settings(data_dir, env={**defaults, **(env or {})})
        self.settings = settings.with_changes(**changes) if changes else settings
        self.default_subject = default_subject
        self.process = Process(self.settings)
        self.process.prepare()
        self.process.start()
        self.base_url = f"http://{self.settings.http_address}"
        self.ops_url = f"http://{self.settings.ops_address}"
        self.mailbox = self.settings.mailbox_dir
        self.wait_until = wait_until

    def token(self, role: str = "staff", subject: str | None = None, **kwargs) -> str:
        from shared.auth import issue_token

        return issue_token(self.settings.auth_secret, subject=subject or self.default_subject, role=role, **kwargs)

    def stop(self) -> None:
        self.process.stop()
