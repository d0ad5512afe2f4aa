"""Running services: migrations, broker topology, the ops server and the nameko containers.

`savivalda run` (embedded) and `savivalda run <service> ...` (distributed) both end up here.
"""

from __future__ import annotations

import errno
import gc
import os
import logging
import signal
import socket
import sys
import time

import eventlet
from eventlet import wsgi
from eventlet.event import Event
from nameko.runners import ServiceRunner
from nameko.web.server import parse_address
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from services.registry import service_classes
from shared import migrations
from shared.config import ConfigurationError, Settings
from shared.messaging import topology
from shared.observability import HEALTH, configure_logging, metrics_registry

log = logging.getLogger("savivalda")


# ---------------------------------------------------------------- schema and broker preparation

def migrate(settings: Settings, services: tuple[str, ...]) -> None:
    migrated = False
    for service in services:
        url = settings.database_url(service)
        if not migrations.at_heads(service, url):
            migrations.upgrade(service, url)
            migrated = True
        log.info("database migrated", extra={"service": service})
    if migrated and not gc.isenabled():
        # Alembic leaves garbage cycles (~28,000 objects, 4.6 MB, after a fresh data folder's
        # migrations): collected now, before settle_memory() would freeze them for good.
        gc.collect()


def check_schema(settings: Settings, services: tuple[str, ...]) -> None:
    """Distributed services refuse to start on a database `savivalda migrate` has not brought
    to the code's schema (the compose file runs migrate first)."""
    for service in services:
        url = settings.database_url(service)
        current, head = migrations.current_revision(url), migrations.head_revision(service, url)
        if current != head:
            raise ConfigurationError(
                f"the {service} database is at revision {current}, the code needs {head}: run `savivalda migrate {service}`")


def declare_topology(settings: Settings, services: tuple[str, ...], declare_sources: bool = True) -> None:
    """Exchanges and queues of these services, so events wait for a service that is not running.

    `savivalda migrate` also creates the other publishers' exchanges the queues bind to; a
    distributed service starting under its own broker user may not (deploy/rabbitmq grants each
    service configure permission on its own names only) and relies on migrate having done it."""
    from kombu import Connection

    classes = service_classes(services)
    with Connection(settings.amqp_uri, connect_timeout=10) as connection:
        connection.ensure_connection(max_retries=5)
        for service in services:
            topology.declare_service_topology(connection, service, classes[service], settings, publishes=[service],
                                              declare_sources=declare_sources)


# ---------------------------------------------------------------- the ops server (/metrics, health)

class OpsServer:
    """Metrics and health on their own port, outside nameko's worker pool, so a scrape or a
    health probe answers even when every worker is busy."""

    def __init__(self, address: str):
        self.address = address
        self._sock = None
        self._thread = None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            body = generate_latest(metrics_registry())
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if path == "/health/live":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "live"}']
        if path == "/health/ready":
            import json

            ok, report = HEALTH.ready()
            body = json.dumps({"status": "ready" if ok else "not ready", "checks": report}).encode()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics, /health/live or /health/ready\n"]

    def start(self) -> None:
        bind = parse_address(self.address)
        # Without SO_REUSEPORT (eventlet's default sets it): a second process on this address
        # must fail to bind, not share the port with the first.
        self._sock = eventlet.listen((bind.address or "0.0.0.0", bind.port), reuse_port=False)
        self._thread = eventlet.spawn(wsgi.server, self._sock, self, log_output=False,
                                      log=logging.getLogger("eventlet.wsgi.server"))

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()
        if self._sock is not None:
            self._sock.close()


# ---------------------------------------------------------------- the process

HTTP_DRAIN_SECONDS = 20.0  # of the 30 s a container gets between SIGTERM and SIGKILL


class Process:
    """All of one process's services, started and stopped together."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.classes = service_classes(settings.services)  # only the services this process runs
        self.runner = ServiceRunner(settings.nameko_config())
        self.ops = OpsServer(settings.ops_address)

    def prepare(self) -> None:
        services = self.settings.services
        if self.settings.embedded:
            migrate(self.settings, services)
        else:
            check_schema(self.settings, services)
        # Queues exist before any relay publishes, also in the in-memory broker: an event re-published
        # at start must not find its consumer's queue missing.
        declare_topology(self.settings, services, declare_sources=self.settings.embedded)

    def start(self) -> None:
        for service in self.settings.services:
            self.runner.add_service(self.classes[service])
        self.ops.start()
        self.runner.start()

    def stop(self) -> None:
        from shared.http import HttpFrontend

        # The HTTP listener first: stop accepting (readiness 503), answer what was accepted, and
        # only then let nameko stop the entrypoints, which unregisters the routes.
        HttpFrontend.drain_all(getattr(self.settings, "http_drain_timeout", HTTP_DRAIN_SECONDS))
        if self.settings.embedded:
            self._drain_embedded()
        self.runner.stop()
        if self.settings.embedded:
            self._mark_clean_stop()
        self.ops.stop()
        for service in self.settings.services:
            HEALTH.remove_service(service)

    def kill(self) -> None:
        self.runner.kill()
        self.ops.stop()

    # -- embedded mode: stop only once the in-memory broker holds nothing
    def _extensions(self, cls):
        for container in self.runner.containers:
            for extension in container.extensions:
                if isinstance(extension, cls):
                    yield extension

    def quiescent(self) -> bool:
        from kombu.transport.memory import Channel as MemoryChannel

        from shared.persistence.provider import OutboxRelay
        from shared.messaging.subscriptions import Redelivery

        if any(q.qsize() for q in MemoryChannel.queues.values()):
            return False
        if any(container._worker_threads for container in self.runner.containers):
            return False
        if any(r.pending_retries for r in self._extensions(Redelivery)):
            return False
        return not any(relay.relay.pending() for relay in self._extensions(OutboxRelay))

    def _drain_embedded(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.quiescent():
                self._drained = True
                return
            eventlet.sleep(0.05)
        self._drained = False
        log.warning("stopping with messages still in flight; they will be re-published on the next start")

    def _mark_clean_stop(self) -> None:
        """Only when the memory broker holds nothing now that the services have stopped: an event
        that reached a queue during the stop (the relay's last drain, a timer) would otherwise be
        counted clean and, with the memory gone, never delivered; without the mark the next start
        re-publishes what this run published."""
        from kombu.transport.memory import Channel as MemoryChannel

        from shared.messaging.subscriptions import Redelivery
        from shared.persistence.provider import OutboxRelay

        if not getattr(self, "_drained", False):
            return
        left = sum(q.qsize() for q in MemoryChannel.queues.values())
        retries = sum(r.pending_retries for r in self._extensions(Redelivery))
        pending = sum(relay.relay.pending() for relay in self._extensions(OutboxRelay))
        if left or retries or pending:
            log.warning("stopped with %d messages in memory queues, %d retries waiting and %d events unpublished; "
                        "they will be re-published on the next start", left, retries, pending)
            return
        for relay in self._extensions(OutboxRelay):
            relay.relay.mark_clean_stop()


# ---------------------------------------------------------------- refusing to start twice

ADDRESS_SETTINGS = (("HTTP API", "http_address", "--http", "SAVIVALDA_HTTP_ADDRESS"),
                    ("metrics and health", "ops_address", "--ops", "SAVIVALDA_OPS_ADDRESS"))


def address_in_use(settings: Settings, label: str, address: str, option: str, variable: str) -> ConfigurationError:
    hint = f"choose another address with {option} or {variable}" if settings.embedded else f"set {variable}"
    return ConfigurationError(f"cannot listen on {address} ({label}): the address is in use, by another "
                              f"`savivalda run` or another program; stop it or {hint}")


def check_addresses_free(settings: Settings) -> None:
    """Refuse early, before migrations and the broker, when a listening address is taken."""
    for label, name, option, variable in ADDRESS_SETTINGS:
        address = getattr(settings, name)
        bind = parse_address(address)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the real listener
            probe.bind((bind.address or "0.0.0.0", bind.port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise address_in_use(settings, label, address, option, variable) from None
            raise ConfigurationError(f"cannot listen on {address} ({label}): {error.strerror}") from None
        finally:
            probe.close()


def check_not_running(settings: Settings) -> None:
    """One embedded system per data folder: two would share the SQLite files but not a broker."""
    from services import runfile

    other = runfile.running_on(settings.data_dir)
    if other is not None and other.pid != os.getpid():
        raise ConfigurationError(f"the embedded system already runs on the data folder {other.describe()}; "
                                 "stop it first, or use another folder with --data-dir")


def serve(settings: Settings, banner=None) -> int:
    """Run until SIGTERM or SIGINT, then stop gracefully (finish in-flight work)."""
    from services import runfile

    if settings.embedded:
        check_not_running(settings)
    check_addresses_free(settings)
    configure_logging(settings.log_level)
    process = Process(settings)
    process.prepare()
    try:
        process.start()
    except OSError as error:  # an address taken between the check and now
        process.kill()
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(f"cannot listen on {settings.http_address} or {settings.ops_address}: the "
                                     "address is in use by another program; stop it or choose another") from None
        raise
    if settings.embedded:
        runfile.register(settings)
    settle_memory()
    try:
        return _serve_until_stopped(settings, process, banner)
    finally:
        if settings.embedded:
            runfile.unregister(settings)


def settle_memory() -> None:
    """Once started: what the start made (modules, classes, models, mappers) lives as long as the
    process, so it moves to the collector's permanent generation (`gc.freeze()`): no collection
    scans it again, and a full collection at run time walks only what requests and events made.
    `savivalda run` starts with collection off (services/cli.py); it is on from here. What the
    start left as garbage cycles stays (measured: ~1,000 objects, 0.14 MB; migrations' garbage is
    collected after them, `migrate`)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _serve_until_stopped(settings: Settings, process: Process, banner) -> int:
    if banner:
        banner(settings, process)
    stop = Event()

    def request_stop(signum, _frame):
        # Signal handlers run in the hub's loop, where eventlet primitives must not be used.
        def send():
            if not stop.ready():
                log.info("stopping on signal %s", signum)
                stop.send(signum)

        eventlet.spawn_n(send)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("running", extra={"services": ",".join(settings.services), "mode": settings.mode,
                               "http": settings.http_address, "ops": settings.ops_address})
    stop.wait()
    try:
        process.stop()
    except Exception:
        log.exception("graceful stop failed; killing")
        process.kill()
        return 1
    log.info("stopped")
    sys.stdout.flush()
    return 0
