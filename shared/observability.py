"""Metrics, structured logs and health checks, shared by every service in a process.

One Prometheus registry per process with a `service` label (several services may share a
process in embedded mode). Logs are JSON lines carrying the correlation id of the request or
event being handled, so one id follows a user's action through every service.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Callable, Iterable

from nameko.extensions import DependencyProvider
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, REGISTRY, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily

# `_created` samples double the series count and no dashboard or alert uses them.
disable_created_metrics()

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

HTTP_REQUESTS = Counter(
    "savivalda_http_requests_total", "HTTP requests by route and status code", ["service", "method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "savivalda_http_request_duration_seconds", "HTTP request duration", ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_UNHANDLED = Counter(
    "savivalda_http_unhandled_errors_total",
    "HTTP requests answered 500 because of an unexpected error (each logged with its traceback and correlation id)",
    ["service"],
)
HTTP_REJECTED = Counter(
    "savivalda_http_rejected_total",
    "HTTP requests or connections refused by a limit before reaching a route: body_too_large (413), "
    "body_timeout (408), header_timeout and evicted (connections closed)",
    ["reason"],
)
ENTRYPOINT_CALLS = Counter(
    "savivalda_entrypoint_calls_total",
    "Worker runs of every entrypoint (http, event, rpc, timer) by outcome",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_DURATION = Histogram(
    "savivalda_entrypoint_duration_seconds", "Worker run duration by entrypoint", ["service", "entrypoint", "kind"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter(
    "savivalda_events_published_total", "Events published from the outbox (broker-confirmed)", ["service", "event_type"]
)
EVENTS_UNROUTABLE = Counter(
    "savivalda_events_unroutable_total", "Published events no queue was bound for", ["service", "event_type"]
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "savivalda_outbox_publish_errors_total", "Failed attempts of the outbox relay to publish", ["service"]
)
EVENTS_CONSUMED = Counter(
    "savivalda_events_consumed_total",
    "Events received by handlers: applied, duplicate (already applied), failed (will retry or dead-letter)",
    ["service", "handler", "event_type", "outcome"],
)
EVENTS_RETRIED = Counter("savivalda_events_retried_total", "Events sent back for a delayed retry", ["service", "handler"])
EVENTS_DEAD_LETTERED = Counter(
    "savivalda_events_dead_lettered_total",
    "Events parked in the dead-letter queue: invalid (schema/envelope) or exhausted (retries used up)",
    ["service", "handler", "reason"],
)
EVENTS_REPLAYED = Counter("savivalda_events_replayed_total", "Dead letters replayed to their queue", ["service"])
EVENT_LAG = Histogram(
    "savivalda_event_handling_lag_seconds", "Time from an event's creation to its handler starting",
    ["service", "handler"], buckets=LAG_BUCKETS,
)
BUILD_INFO = Gauge("savivalda_build_info", "Version of the running code", ["version"])
BUILD_INFO.labels(version="0.1.0").set(1)


# ---------------------------------------------------------------- gauges read at scrape time

GaugeSource = Callable[[], Iterable[tuple[str, str, dict[str, str], float]]]


class ScrapeTimeGauges:
    """Gauges whose values live in a database or the broker (outbox backlog, dead letters,
    business counts). Each source yields (name, help, labels, value); results are cached briefly
    so a burst of scrapes does not become a burst of queries."""

    def __init__(self, cache_seconds: float = 0.5):
        self._sources: dict[str, GaugeSource] = {}
        self._lock = threading.Lock()
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, list] | None = None

    def add(self, key: str, source: GaugeSource) -> None:
        with self._lock:
            self._sources[key] = source
            self._cached = None

    def remove(self, key: str) -> None:
        with self._lock:
            self._sources.pop(key, None)
            self._cached = None

    def _samples(self) -> list:
        now = time.monotonic()
        if self._cached and now - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        samples = []
        for key, source in list(self._sources.items()):
            try:
                samples.extend(source())
            except Exception:  # a down database must not break the whole scrape
                logging.getLogger(__name__).warning("gauge source %s failed", key, exc_info=True)
        self._cached = (now, samples)
        return samples

    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for name, help_text, labels, value in self._samples():
            family = families.get(name)
            if family is None:
                family = families[name] = GaugeMetricFamily(name, help_text, labels=sorted(labels))
            family.add_metric([labels[k] for k in sorted(labels)], value)
        return list(families.values())

    def describe(self):
        return []


SCRAPE_GAUGES = ScrapeTimeGauges()
REGISTRY.register(SCRAPE_GAUGES)

Sample = tuple[str, str, dict[str, str], float]  # (name, help, labels, value)


class ServiceGauges(DependencyProvider):
    """The base of a service's gauges read at scrape time (business counts from its database, the
    size of an in-memory index): while the service runs, `samples()` is a source of SCRAPE_GAUGES
    (so its results are cached briefly); it injects nothing unless a subclass says otherwise.

        class ApplicationGauges(ServiceGauges):
            key = "grant-applications"

            def samples(self):
                yield from self.by_label("savivalda_grant_applications", "...", "status", counts)

    Subclasses that add to `setup`, `start` or `stop` call the base's.
    """

    key = "gauges"  # the source's name, unique in the service (the service name is appended)

    def setup(self):
        self.settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.source_key = f"{self.key}:{self.service}"

    @property
    def database_url(self) -> str:
        return self.settings.database_url(self.service)

    def start(self):
        SCRAPE_GAUGES.add(self.source_key, self.samples)

    def stop(self):
        SCRAPE_GAUGES.remove(self.source_key)

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return None

    def samples(self) -> Iterable[Sample]:
        raise NotImplementedError

    def by_label(self, name: str, help_text: str, label: str, counts: dict, every: Iterable[str] = ()) -> Iterable[Sample]:
        """One sample per value of `label`, with `service`; values in `every` without a count are 0."""
        values = dict.fromkeys(every, 0)
        values.update(counts)
        for value, count in values.items():
            yield (name, help_text, {"service": self.service, label: value}, float(count))


def metrics_registry() -> CollectorRegistry:
    return REGISTRY


# ---------------------------------------------------------------- structured logs

correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
service_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("service", default=None)
event_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("event_id", default=None)

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("service", service_var), ("correlation_id", correlation_id_var), ("event_id", event_id_var)):
            value = getattr(record, key, None) or var.get()
            if value:
                entry[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["error"] = "".join(traceback.format_exception_only(*record.exc_info[:2])).strip()
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko logs every failed worker with a traceback; our entrypoints log the outcome themselves.
    logging.getLogger("nameko.containers").setLevel(logging.CRITICAL if level != "DEBUG" else logging.DEBUG)
    for noisy in ("amqp", "kombu", "eventlet.wsgi.server", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # kombu warns about the in-memory transport having no hostname.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)


# ---------------------------------------------------------------- per-worker observation

def entrypoint_kind(entrypoint) -> str:
    from nameko.rpc import Rpc
    from nameko.timer import Timer

    kind = getattr(entrypoint, "kind", None)
    if kind:
        return kind
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()


class WorkerObserver(DependencyProvider):
    """Counts and times every worker of the service, whatever its entrypoint, and puts the
    service name and correlation id into the logging context for the worker's duration."""

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        worker_ctx.data.setdefault("correlation_id", worker_ctx.call_id)
        worker_ctx._savivalda_started = time.perf_counter()
        worker_ctx._savivalda_tokens = (
            service_var.set(self.container.service_name),
            correlation_id_var.set(worker_ctx.data.get("correlation_id")),
            event_id_var.set(worker_ctx.data.get("event_id")),
        )

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        entrypoint = worker_ctx.entrypoint
        kind = entrypoint_kind(entrypoint)
        labels = (self.container.service_name, entrypoint.method_name, kind)
        elapsed = time.perf_counter() - getattr(worker_ctx, "_savivalda_started", time.perf_counter())
        outcome = "success" if exc_info is None else "error"
        ENTRYPOINT_CALLS.labels(*labels, outcome).inc()
        ENTRYPOINT_DURATION.labels(*labels).observe(elapsed)

    def worker_teardown(self, worker_ctx):
        tokens = getattr(worker_ctx, "_savivalda_tokens", None)
        if tokens:
            for var, token in zip((service_var, correlation_id_var, event_id_var), tokens):
                try:
                    var.reset(token)
                except ValueError:  # reset from another context; nothing to undo
                    pass


# ---------------------------------------------------------------- health

HealthCheck = Callable[[], str | None]  # returns None when healthy, else what is wrong


class HealthRegistry:
    def __init__(self):
        self._checks: dict[str, dict[str, HealthCheck]] = {}
        self._lock = threading.Lock()

    def add(self, service: str, name: str, check: HealthCheck) -> None:
        with self._lock:
            self._checks.setdefault(service, {})[name] = check

    def remove_service(self, service: str) -> None:
        with self._lock:
            self._checks.pop(service, None)

    def services(self) -> list[str]:
        return sorted(self._checks)

    def ready(self, service: str | None = None) -> tuple[bool, dict]:
        report: dict[str, dict[str, str]] = {}
        ok = True
        targets = [service] if service else self.services()
        for name in targets:
            checks = self._checks.get(name)
            if checks is None:
                report[name] = {"service": "not running here"}
                ok = False
                continue
            report[name] = {}
            for check_name, check in checks.items():
                try:
                    problem = check()
                except Exception as error:  # a check that throws is a failing check
                    problem = f"{type(error).__name__}: {error}"
                report[name][check_name] = problem or "ok"
                ok = ok and not problem
        return ok, report


HEALTH = HealthRegistry()
