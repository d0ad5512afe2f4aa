"""Event subscriptions: validated, idempotent, retried with backoff, then dead-lettered.

    class Notifications(ServiceBase):
        @subscribe("privacy.erasure_requested")
        def on_erasure_requested(self, event, envelope):
            ...  # change state through self.db; the commit happens after the method returns

What happens to a message on a handler's queue (`evt-privacy-erasure_requested--notifications.on_…`):
0. the body is read per the CloudEvents AMQP binding: structured mode
   (`application/cloudevents+json`), plain `application/json` with the same envelope, or binary
   mode (attributes in `cloudEvents_*` / `ce-*` headers) — see shared.messaging.binding;
1. undecodable body, broken envelope, unknown type or data off its schema → straight to the
   service's dead-letter queue with the reason (retrying cannot help);
2. the inbox row (consumer, event id) is inserted in the worker's unit of work; if it exists the
   event was applied before and the method is skipped (redelivery is a no-op);
3. the method runs and the unit of work commits (inbox row + effect + emitted events together);
4. only then is the message acked. If the method raises, the message is republished to the delay
   queue for the next attempt (or, after the last, to dead letters) and acked once the broker has
   confirmed that copy. A process killed at any point before the ack gets the message redelivered.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from datetime import datetime, timezone
from functools import partial

import eventlet
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from kombu import Connection, Producer
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer

from shared.persistence.engines import engine_for
from shared.persistence.schema import DEAD_LETTERS, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.events.envelope import Envelope, InvalidEvent, parse_event
from shared.messaging import binding, topology
from shared.observability import (
    EVENT_LAG,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_REPLAYED,
    EVENTS_RETRIED,
    SCRAPE_GAUGES,
)

log = logging.getLogger(__name__)

DUPLICATE = object()  # what a handler wrapper returns when the inbox says "already applied"


class GuardedQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a message kombu cannot decode (wrong content type,
    invalid JSON) is dead-lettered instead of crashing the consumer loop."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._on_decode_error, provider)
        return consumers

    def _on_decode_error(self, provider, message, exc):
        provider.handle_undecodable(message, exc)

    def run(self, _tokens=1, **kwargs):
        # kombu checks for a stop request between drain_events calls; its default 1 s wait made
        # every graceful stop take a second.
        kwargs.setdefault("safety_interval", 0.1)
        return super().run(_tokens, **kwargs)


class Redelivery(SharedExtension):
    """Sends failed messages back later (delay queues) or parks them (dead letters).

    Distributed mode uses the broker: per-delay TTL queues that dead-letter into the service's
    redeliver exchange, and the `S.dead-letters` queue. The embedded in-memory transport has no
    TTL or dead-lettering, so there retries are timers and dead letters rows in the service's
    database (kept across restarts, listed and replayed by the same CLI).
    """

    def setup(self):
        self.settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.embedded = self.settings.amqp_uri.startswith("memory://")
        self._lock = Semaphore(1)
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._timers: set = set()
        self._replay_thread = None
        self._running = False
        self._stopped = Event()

    def start(self):
        self._running = True
        SCRAPE_GAUGES.add(f"dead-letters:{self.service}", self._gauges)
        if self.embedded:
            self._replay_thread = self.container.spawn_managed_thread(self._embedded_replay_loop)
        else:
            # Declare the delay and dead-letter queues now, so the first failure has somewhere to go.
            with self._lock:
                self._ensure_producer()
                for delay in self.settings.retry_delays:
                    topology.retry_queue(self.service, delay, self.settings.queue_type).bind(
                        self._producer.channel).declare()
                topology.dead_letter_queue(self.service, self.settings.queue_type).bind(
                    self._producer.channel).declare()

    def stop(self):
        self._running = False
        if not self._stopped.ready():
            self._stopped.send(True)
        if self._replay_thread is not None:
            self._replay_thread.wait()
        SCRAPE_GAUGES.remove(f"dead-letters:{self.service}")
        if self._connection is not None:
            self._connection.release()
            self._connection = None
            self._producer = None

    kill = stop

    @property
    def pending_retries(self) -> int:
        return len(self._timers)

    # -- broker plumbing
    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(
                self.settings.amqp_uri,
                transport_options={"confirm_publish": True, **(self.container.config.get("TRANSPORT_OPTIONS") or {})},
            )
            self._producer = Producer(self._connection.channel())
        return self._producer

    def _publish(self, body: bytes, *, exchange, routing_key: str, headers: dict, properties: dict) -> None:
        with self._lock:
            try:
                producer = self._ensure_producer()
                producer.publish(
                    body, exchange=exchange, routing_key=routing_key, headers=headers, mandatory=True,
                    delivery_mode=2, retry=True, retry_policy={"max_retries": 3}, declare=[exchange], **properties,
                )
            except Exception:
                if self._connection is not None:
                    self._connection.release()
                self._connection = self._producer = None
                raise

    # -- the two ways out
    def retry(self, provider, message, next_attempt: int, error: str) -> None:
        delay = self.settings.retry_delays[next_attempt - 2]
        headers = dict(message.headers or {})
        headers[topology.ATTEMPT_HEADER] = next_attempt
        headers[topology.LAST_ERROR_HEADER] = error[:1000]
        properties = _copied_properties(message)
        queue_name = provider.queue.name
        if self.embedded:
            timer = None

            def resend():
                self._timers.discard(timer)
                self._publish(message.body, exchange=topology.redeliver_exchange(self.service),
                              routing_key=queue_name, headers=headers, properties=properties)

            timer = eventlet.spawn_after(delay, resend)
            self._timers.add(timer)
        else:
            self._publish(message.body, exchange=topology.retry_exchange(self.service, delay),
                          routing_key=queue_name, headers=headers, properties=properties)

    def dead_letter(self, provider, message, *, reason: str, attempts: int, envelope: Envelope | None) -> str:
        dead_letter_id = str(uuid.uuid4())
        event_id = str(envelope.id) if envelope else (message.properties.get("message_id") or None)
        event_type = envelope.type if envelope else (message.properties.get("type") or None)
        if self.embedded:
            with UnitOfWork(engine_for(self.settings.database_url(self.service)), self.service, "dead-letter") as uow:
                uow.session.execute(DEAD_LETTERS.insert().values(
                    id=uuid.UUID(dead_letter_id), queue=provider.queue.name, consumer=provider.consumer_name,
                    event_id=event_id, event_type=event_type, reason=reason[:4000], attempts=attempts,
                    body=_body_text(message), failed_at=utcnow(),
                ))
                uow.commit()
            return dead_letter_id
        headers = dict(message.headers or {})
        headers.update({
            topology.REASON_HEADER: reason[:4000],
            topology.ATTEMPT_HEADER: attempts,
            topology.QUEUE_HEADER: provider.queue.name,
            topology.CONSUMER_HEADER: provider.consumer_name,
            topology.FAILED_AT_HEADER: datetime.now(timezone.utc).isoformat(),
            topology.DEAD_LETTER_ID_HEADER: dead_letter_id,
        })
        if event_id:
            headers[topology.EVENT_ID_HEADER] = event_id
        if event_type:
            headers[topology.EVENT_TYPE_HEADER] = event_type
        self._publish(message.body, exchange=topology.dead_letter_exchange(self.service), routing_key="",
                      headers=headers, properties=_copied_properties(message))
        return dead_letter_id

    # -- embedded dead letters: replay requested by the CLI, performed by the running process
    def _embedded_replay_loop(self):
        while self._running:
            self._stopped.wait(timeout=1.0)
            if not self._running:
                return
            try:
                self.replay_requested_embedded()
            except Exception:
                log.exception("replaying dead letters failed")

    def replay_requested_embedded(self) -> int:
        from shared.messaging.deadletters import embedded_forget, embedded_requested_replays

        url = self.settings.database_url(self.service)
        replays = embedded_requested_replays(url, self.service)
        for row in replays:
            self._publish(row.body.encode("utf-8"), exchange=topology.redeliver_exchange(self.service),
                          routing_key=row.queue, headers={}, properties={"content_type": "application/json",
                                                                           "content_encoding": "utf-8"})
            embedded_forget(url, self.service, row.id)
            EVENTS_REPLAYED.labels(self.service).inc()
        return len(replays)

    def _gauges(self):
        if self.embedded:
            from shared.messaging.deadletters import dead_letter_count

            count = dead_letter_count(self.settings, self.service)
        else:
            with self._lock:
                channel = self._ensure_producer().channel
                _, count, _ = channel.queue_declare(
                    queue=topology.dead_letter_queue_name(self.service), passive=True)
        yield ("savivalda_dead_letters", "Messages waiting in the service's dead-letter queue",
               {"service": self.service}, float(count))


def _copied_properties(message) -> dict:
    props = message.properties or {}
    copied = {"content_type": message.content_type or "application/json",
              "content_encoding": message.content_encoding or "utf-8"}
    for key in ("message_id", "correlation_id", "type", "app_id", "timestamp"):
        if props.get(key) is not None:
            copied[key] = props[key]
    return copied


def _body_text(message) -> str:
    body = message.body
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else json.dumps(body)


class Subscription(EventHandler):
    """Entrypoint behind `@subscribe`. SERVICE_POOL semantics: one durable queue per handler
    method, shared by every replica of the service."""

    queue_consumer = GuardedQueueConsumer()
    redelivery = Redelivery()
    kind = "event"

    def __init__(self, event_type: str | None = None, *, publishers: tuple[str, ...] = (), **kwargs):
        """One event type ("<publisher>.<name>"), or with `publishers` every event they publish."""
        if event_type:
            publisher, name = event_type.split(".", 1)
            self.sources = [(publisher, name)]
        else:
            if not publishers:
                raise ValueError("give an event type or the publishers to take every event from")
            publisher, name = "any", "#"
            self.sources = [(p, "#") for p in publishers]
        self.full_event_type = event_type
        super().__init__(publisher, name, handler_type=SERVICE_POOL, reliable_delivery=True,
                         requeue_on_error=False, **kwargs)

    def build_queue(self, service: str, method: str, queue_type: str):
        if self.full_event_type:
            return topology.handler_queue(self.full_event_type, service, method, queue_type)
        return topology.subscription_queue(topology.catch_all_queue_name(service, method), self.sources, service,
                                           queue_type)

    def accepts(self, event_type: str) -> bool:
        if self.full_event_type:
            return event_type == self.full_event_type
        return event_type.split(".", 1)[0] in {publisher for publisher, _ in self.sources}

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        self.settings = settings
        self.queue = self.build_queue(self.container.service_name, self.method_name, settings.queue_type)
        self.queue_consumer.register_provider(self)

    # -- message arrival
    def handle_message(self, body, message):
        service = self.container.service_name
        attempt = int((message.headers or {}).get(topology.ATTEMPT_HEADER, 1))
        try:
            # Structured mode and plain JSON carry the envelope as the body; binary mode carries
            # the attributes in headers (shared.messaging.binding).
            envelope, data = parse_event(binding.structured_event(body, message.content_type, message.headers))
            if not self.accepts(envelope.type):
                raise InvalidEvent(f"event of type {envelope.type} arrived on the queue {self.queue.name}", envelope)
        except InvalidEvent as invalid:
            self._park(message, reason=f"invalid: {invalid.reason}", attempts=attempt, envelope=invalid.envelope,
                       metric_reason="invalid")
            return
        EVENT_LAG.labels(service, self.method_name).observe(
            max(0.0, (datetime.now(timezone.utc) - envelope.time).total_seconds()))
        context_data = {"correlation_id": envelope.correlationid, "event_id": str(envelope.id)}
        try:
            self.container.spawn_worker(
                self, (data, envelope), {}, context_data=context_data,
                handle_result=partial(self.handle_result, message, envelope, attempt),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_undecodable(self, message, exc):
        # kombu matches content types exactly: `application/cloudevents+json; charset=utf-8`
        # (what the CloudEvents spec's examples send) is JSON we accept, not an unknown type.
        try:
            body = binding.decode_with_parameters(message.body, message.content_type)
        except ValueError:
            pass
        else:
            self.handle_message(body, message)
            return
        self._park(message, reason=f"invalid: undecodable body ({type(exc).__name__}: {exc})",
                   attempts=1, envelope=None, metric_reason="invalid")

    def _park(self, message, *, reason: str, attempts: int, envelope: Envelope | None, metric_reason: str):
        try:
            dead_letter_id = self.redelivery.dead_letter(self, message, reason=reason, attempts=attempts,
                                                         envelope=envelope)
        except Exception:
            log.exception("could not dead-letter a message; leaving it to be redelivered")
            eventlet.sleep(1.0)
            self.queue_consumer.requeue_message(message)
            return
        EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.method_name, metric_reason).inc()
        log.warning("dead-lettered a message: %s", reason, extra={
            "handler": self.consumer_name, "dead_letter_id": dead_letter_id,
            "event_id": str(envelope.id) if envelope else None,
            "correlation_id": envelope.correlationid if envelope else None})
        self.queue_consumer.ack_message(message)

    # -- after the worker
    def handle_result(self, message, envelope, attempt, worker_ctx, result, exc_info):
        service = self.container.service_name
        if exc_info is None:
            outcome = "duplicate" if result is DUPLICATE else "applied"
            EVENTS_CONSUMED.labels(service, self.method_name, envelope.type, outcome).inc()
            self.queue_consumer.ack_message(message)
            log.info("event %s %s", envelope.type, outcome, extra={
                "service": service, "handler": self.consumer_name, "event_id": str(envelope.id),
                "correlation_id": envelope.correlationid, "attempt": attempt})
            return result, exc_info
        EVENTS_CONSUMED.labels(service, self.method_name, envelope.type, "failed").inc()
        error = f"{exc_info[0].__name__}: {exc_info[1]}"
        extra = {"handler": self.consumer_name, "event_id": str(envelope.id),
                 "correlation_id": envelope.correlationid, "attempt": attempt}
        if attempt < self.settings.max_attempts:
            try:
                self.redelivery.retry(self, message, attempt + 1, error)
            except Exception:
                log.exception("could not schedule a retry; the broker will redeliver", extra=extra)
                eventlet.sleep(1.0)
                self.queue_consumer.requeue_message(message)
                return result, exc_info
            EVENTS_RETRIED.labels(service, self.method_name).inc()
            log.warning("handler failed (attempt %d of %d), retrying: %s", attempt, self.settings.max_attempts,
                        error, extra=extra)
            self.queue_consumer.ack_message(message)
        else:
            self._park(message, reason=f"exhausted: {attempt} attempts failed; last error {error}",
                       attempts=attempt, envelope=envelope, metric_reason="exhausted")
        return result, exc_info


def subscribe(event_type: str, **kwargs):
    """Declare a handler of `event_type` ("<publisher>.<event name>").

    The method gets `(event, envelope)`: the validated data model and its envelope. It changes state
    through the service's Database dependency; the wrapper claims the event in the inbox first
    and commits after the method returns.
    """
    return _idempotent_handler(Subscription.decorator(event_type, **kwargs))


def subscribe_all(*publishers: str, **kwargs):
    """Declare a handler of every event the publishers publish, on one queue (`evt-any--S.m`,
    bound with '#'), with the same guarantees as `subscribe`. For a service that reacts to many
    event types, e.g. notifications."""
    return _idempotent_handler(Subscription.decorator(publishers=tuple(publishers), **kwargs))


def _idempotent_handler(register):
    def decorator(fn):
        @functools.wraps(fn)
        def handler(self, event, envelope):
            uow = _unit_of_work_of(self)
            consumer = f"{type(self).name}.{fn.__name__}"
            if not uow.claim(consumer, envelope):
                uow.rollback()
                return DUPLICATE
            try:
                result = fn(self, event, envelope)
                uow.commit()
            except BaseException:
                # Undo the inbox claim with the rest, and free the database before the failure is
                # recorded (on SQLite a dangling write transaction would lock the dead-letter insert).
                uow.rollback()
                raise
            return result

        return register(handler)

    return decorator


def _unit_of_work_of(service) -> UnitOfWork:
    for value in vars(service).values():
        if isinstance(value, UnitOfWork):
            return value
    raise RuntimeError(f"{type(service).__name__} has no Database dependency; @subscribe needs one for its inbox")
