"""Test set-up: eventlet first, then fixtures for the real broker, database and services.

Tests that need RabbitMQ or PostgreSQL use the `vhost` / `pg_databases` fixtures. When those
servers are absent the tests skip on a developer machine and FAIL under CI=true, so CI can never
go green without having exercised them.
"""

from shared.green import patch

patch()  # before anything opens a socket: nameko code needs eventlet's cooperative I/O

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support import (  # noqa: E402
    BIN,
    RABBIT_HOST,
    RABBIT_PORT,
    TEST_SECRET,
    BrokerAdmin,
    PostgresAdmin,
    ProcessLauncher,
    free_port,
    port_open,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SERVICES = ("enrollment", "grants", "partners", "notifications")


def pytest_configure(config):
    config.option.suppress_eventlet_notification = True


def _unavailable(what: str, why: str):
    message = f"{what} is not available: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: tests needing it must fail, not skip)", pytrace=False)
    pytest.skip(message)


# ---------------------------------------------------------------- RabbitMQ

@pytest.fixture(scope="session")
def broker_admin():
    if not port_open(RABBIT_HOST, RABBIT_PORT):
        _unavailable("RabbitMQ", f"nothing listens on {RABBIT_HOST}:{RABBIT_PORT}")
    admin = BrokerAdmin()
    problem = admin.usable()
    if problem:
        _unavailable("RabbitMQ administration (rabbitmqctl)", problem)
    return admin


@pytest.fixture
def vhost(broker_admin):
    """A fresh vhost for one test; deleted afterwards with everything in it."""
    name = broker_admin.add_vhost()
    yield name
    if not port_open(RABBIT_HOST, RABBIT_PORT):  # a test stopped the broker and failed mid-way
        broker_admin.start_app()
    broker_admin.delete_vhost(name)


@pytest.fixture
def amqp_uri(vhost):
    return f"amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/{vhost}"


# ---------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="session")
def pg_admin():
    admin = PostgresAdmin()
    problem = admin.usable()
    if problem:
        _unavailable("PostgreSQL", problem)
    return admin


@pytest.fixture(scope="session")
def pg_templates(pg_admin):
    """One migrated database per service, cloned by each test (CREATE DATABASE ... TEMPLATE)."""
    from shared import migrations
    from shared.persistence.engines import dispose_engines

    prefix = f"savivalda_tpl_{uuid.uuid4().hex[:8]}"
    names = {}
    try:
        for service in SERVICES:
            name = f"{prefix}_{service}"
            url = pg_admin.create(name)
            names[service] = name
            migrations.upgrade(service, url)
        dispose_engines()  # a template must have no open connections
        yield names
    finally:
        dispose_engines()
        for name in names.values():
            pg_admin.drop(name)


@pytest.fixture
def pg_databases(pg_admin, pg_templates):
    """service -> URL of a migrated database of its own, dropped after the test."""
    from shared.persistence.engines import dispose_engines

    prefix = f"savivalda_t_{uuid.uuid4().hex[:8]}"
    created = {}
    try:
        for service, template in pg_templates.items():
            name = f"{prefix}_{service}"
            created[service] = pg_admin.create(name, template=template)
        yield created
    finally:
        dispose_engines()
        for url in created.values():
            pg_admin.drop(url.rsplit("/", 1)[1])


# ---------------------------------------------------------------- SMTP

class SmtpSink:
    def __init__(self, port: int, folder: Path, popen):
        self.port, self.folder, self.popen = port, folder, popen

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self):
        import email
        from email import policy

        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.folder.glob("*.eml"))]


@pytest.fixture
def smtp_sink(tmp_path):
    """A real SMTP server (aiosmtpd) in its own process, keeping what it receives as files."""
    port = free_port()
    folder = tmp_path / "smtp-received"
    popen = subprocess.Popen([sys.executable, str(Path(__file__).parent / "support" / "smtp_sink.py"), str(port),
                              str(folder)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert popen.stdout.readline().strip() == b"ready", "SMTP sink did not start"
    sink = SmtpSink(port, folder, popen)
    yield sink
    # the process running now: a test may have restarted the server (test_smtp_pool.restart)
    sink.popen.terminate()
    sink.popen.wait(timeout=10)


# ---------------------------------------------------------------- processes as containers run them

@pytest.fixture
def distributed_env(amqp_uri, pg_databases, smtp_sink):
    env = {
        "SAVIVALDA_AMQP_URI": amqp_uri,
        "SAVIVALDA_SMTP_URL": smtp_sink.url,
        "SAVIVALDA_AUTH_SECRET": TEST_SECRET,
        "SAVIVALDA_RETRY_DELAYS": "0.2,0.4",
        "SAVIVALDA_RELAY_INTERVAL": "0.2",
        "SAVIVALDA_LOG_LEVEL": "INFO",
    }
    for service, url in pg_databases.items():
        env[f"SAVIVALDA_{service.upper()}_DATABASE_URL"] = url
    return env


@pytest.fixture
def launcher(distributed_env, tmp_path):
    from tests.support import run_cli

    done = run_cli("migrate", env=distributed_env)  # declares the queues, as the compose migrate job does
    assert done.returncode == 0, done.stderr
    launcher = ProcessLauncher(distributed_env, tmp_path)
    yield launcher
    launcher.stop_all()


# ---------------------------------------------------------------- embedded, in this process

@pytest.fixture
def reset_process_state():
    """The in-memory broker, engine cache and health registry are per process: start each test clean."""
    from kombu.transport import memory

    from shared.persistence.engines import dispose_engines

    def reset():
        memory.Channel.queues.clear()
        memory.Channel.events.clear()
        memory.Transport.global_state.clear()
        dispose_engines()

    reset()
    yield
    reset()


@pytest.fixture
def embedded(tmp_path, reset_process_state):
    """All four services running in this process on the embedded default, with free ports."""
    from tests.support import EmbeddedSystem

    system = EmbeddedSystem(tmp_path / "data")
    yield system
    system.stop()


@pytest.fixture(scope="session")
def promtool():
    """Prometheus' promtool (bin/install-promtool puts it into .venv/bin)."""
    import shutil

    found = shutil.which("promtool") or (str(BIN / "promtool") if (BIN / "promtool").exists() else None)
    if not found:
        _unavailable("promtool", "run bin/install-promtool (extracts it from Debian's prometheus package)")
    return found
