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
   a method that finds the event valid in shape but never applicable (it names something that
   does not exist) raises InvalidEvent: rolled back and parked at once with the reason;
3. the method runs and the unit of work commits (inbox row + effect + emitted events together);
4. only then is the message acked. If the method raises, the service's broker (shared.broker)
   schedules the next attempt (or, after the last, parks it as a dead letter) and the message is
   acked once that copy is safe. A process killed at any point before the ack gets it redelivered.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timezone
from functools import partial

import eventlet
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer

from shared.broker import Broker, FailedMessage, broker_for
from shared.events.envelope import Envelope, InvalidEvent, parse_event
from shared.messaging import binding, topology
from shared.observability import (
    EVENT_LAG,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_RETRIED,
    SCRAPE_GAUGES,
)
from shared.persistence.provider import Database
from shared.persistence.unit_of_work import UnitOfWork

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
    """The service's broker (shared.broker), shared by its subscriptions for the two ways out of
    a failed delivery: back to the queue later (retry) or to the dead letters (park)."""

    def setup(self):
        self.settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.broker: Broker = broker_for(self.settings, self.service)

    def start(self):
        self.broker.start()
        SCRAPE_GAUGES.add(f"dead-letters:{self.service}", self._gauges)

    def stop(self):
        SCRAPE_GAUGES.remove(f"dead-letters:{self.service}")
        self.broker.stop()

    kill = stop

    @property
    def pending_retries(self) -> int:
        return self.broker.pending_retries

    def retry(self, provider, message, next_attempt: int, error: str) -> None:
        self.broker.schedule_retry(_failed(provider, message), delay=self.settings.retry_delays[next_attempt - 2],
                                   attempt=next_attempt, error=error)

    def dead_letter(self, provider, message, *, reason: str, attempts: int, envelope: Envelope | None) -> str:
        return self.broker.park(
            _failed(provider, message), reason=reason, attempts=attempts,
            event_id=str(envelope.id) if envelope else (message.properties.get("message_id") or None),
            event_type=envelope.type if envelope else (message.properties.get("type") or None))

    def _gauges(self):
        yield ("savivalda_dead_letters", "Messages waiting in the service's dead-letter queue",
               {"service": self.service}, float(self.broker.dead_letter_count()))


def _failed(provider, message) -> FailedMessage:
    return FailedMessage.received(message, queue=provider.queue.name, consumer=provider.consumer_name)


class Subscription(EventHandler):
    """Entrypoint behind `@subscribe`. SERVICE_POOL semantics: one durable queue per handler
    method, shared by every replica of the service."""

    queue_consumer = GuardedQueueConsumer()
    redelivery = Redelivery()
    kind = "event"

    def __init__(self, event_type: str | None = None, *, publishers: tuple[str, ...] = (), unit_of_work: str = "db",
                 **kwargs):
        """One event type ("<publisher>.<name>"), or with `publishers` every event they publish.
        `unit_of_work` names the service's Database dependency that claims and commits."""
        self.unit_of_work = unit_of_work
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
        service_cls = self.container.service_cls
        if not isinstance(getattr(service_cls, self.unit_of_work, None), Database):
            raise TypeError(f"{service_cls.__name__}.{self.unit_of_work} is not a Database dependency: "
                            f"@subscribe needs one for its inbox (name it with unit_of_work=...)")
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
        if self._parked_or_sent_back_as_redelivered(message, envelope, attempt):
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

    def _parked_or_sent_back_as_redelivered(self, message, envelope: Envelope, attempt: int) -> bool:
        """A message delivered before without an outcome (no ack, no retry, no dead letter) means
        the process handling it died: killed, out of memory, crashed (or lost its connection).
        The project's attempt header cannot count that, so a message that kills its handler would
        come back forever. Count the broker's redeliveries: a quorum queue's x-delivery-count, or,
        on a classic queue, the redelivered flag, turned into a copy carrying the count. After
        SAVIVALDA_MAX_REDELIVERIES the message is parked with the reason."""
        headers = message.headers or {}
        counted = int(headers.get(topology.REDELIVERIES_HEADER, 0) or 0)
        redelivered = bool((message.delivery_info or {}).get("redelivered"))
        quorum_count = headers.get(topology.QUORUM_DELIVERY_COUNT_HEADER)
        if quorum_count is not None:
            redeliveries, copy = counted + int(quorum_count), False
        else:
            redeliveries, copy = counted + (1 if redelivered else 0), redelivered
        if redeliveries < 1:
            return False
        extra = {"handler": self.consumer_name, "event_id": str(envelope.id),
                 "correlation_id": envelope.correlationid, "redeliveries": redeliveries}
        if redeliveries >= self.settings.max_redeliveries:
            self._park(message, reason=(
                f"redelivered: delivered {redeliveries + 1} times, {redeliveries} of them without an outcome "
                f"(the process handling it died: killed, out of memory, crashed, or lost its broker "
                f"connection); not delivered again"), attempts=attempt, envelope=envelope,
                metric_reason="redelivered")
            return True
        log.warning("event delivered again after %d deliveries without an outcome", redeliveries, extra=extra)
        if not copy:
            return False
        try:
            # Through the first retry delay: the copy must not reach a worker (which may kill the
            # process again) before this delivery's ack has gone out.
            self.redelivery.broker.send_back(_failed(self, message), redeliveries=redeliveries,
                                             delay=self.settings.retry_delays[0] if self.settings.retry_delays else 0)
        except Exception:
            log.exception("could not send a redelivered message back with its count; handling it now", extra=extra)
            return False
        self.queue_consumer.ack_message(message)
        return True

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
        if isinstance(exc_info[1], InvalidEvent):  # retrying cannot help: park it with the reason
            EVENTS_CONSUMED.labels(service, self.method_name, envelope.type, "invalid").inc()
            self._park(message, reason=f"invalid: {exc_info[1].reason}", attempts=attempt, envelope=envelope,
                       metric_reason="invalid")
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


def subscribe(event_type: str, *, unit_of_work: str = "db", **kwargs):
    """Declare a handler of `event_type` ("<publisher>.<event name>").

    The method gets `(event, envelope)`: the validated data model and its envelope. It changes state
    through the service's Database dependency (`unit_of_work` names it, `db` by default); the
    wrapper claims the event in the inbox first and commits after the method returns.
    """
    return _idempotent_handler(Subscription.decorator(event_type, unit_of_work=unit_of_work, **kwargs),
                               unit_of_work)


def subscribe_all(*publishers: str, unit_of_work: str = "db", **kwargs):
    """Declare a handler of every event the publishers publish, on one queue (`evt-any--S.m`,
    bound with '#'), with the same guarantees as `subscribe`. For a service that reacts to many
    event types, e.g. notifications."""
    return _idempotent_handler(
        Subscription.decorator(publishers=tuple(publishers), unit_of_work=unit_of_work, **kwargs), unit_of_work)


def _idempotent_handler(register, unit_of_work: str):
    def decorator(fn):
        @functools.wraps(fn)
        def handler(self, event, envelope):
            uow: UnitOfWork = getattr(self, unit_of_work)  # this worker's, injected by the Database dependency
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
