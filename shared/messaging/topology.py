"""Names and declarations of everything a service owns on the broker.

For a service S:
- its events go to the topic exchange `S.events` (nameko's convention; routing key = event name);
- each handler method m of S subscribed to `P.e` consumes the durable queue
  `evt-P-e--S.m` (nameko's SERVICE_POOL naming: replicas are competing consumers), bound to
  `P.events` with key `e` and to the direct exchange `S.redeliver` with the queue's own name;
- a failed message waits in `S.retry.<ms>` (a queue with that TTL, fed by the fanout exchange of
  the same name) and then dead-letters into `S.redeliver`, which routes it back to its queue;
- a message that cannot or can no longer be handled is parked in `S.dead-letters` (via the
  fanout exchange `S.dlx`) with the reason in its headers.
Every name starts with `S.` or ends in `--S.<method>`, so broker permissions can be granted
per service (deploy/rabbitmq).
"""

from __future__ import annotations

from kombu import Exchange, Queue, binding

ATTEMPT_HEADER = "x-savivalda-attempt"
REASON_HEADER = "x-savivalda-reason"
QUEUE_HEADER = "x-savivalda-queue"
CONSUMER_HEADER = "x-savivalda-consumer"
FAILED_AT_HEADER = "x-savivalda-failed-at"
DEAD_LETTER_ID_HEADER = "x-savivalda-dead-letter-id"
EVENT_TYPE_HEADER = "x-savivalda-event-type"
EVENT_ID_HEADER = "x-savivalda-event-id"
LAST_ERROR_HEADER = "x-savivalda-last-error"
# How many times the broker delivered the message without an outcome (the handling process died:
# killed, out of memory, crashed; or its connection was lost), counted across the copies a classic
# queue's redelivery is turned into (shared.messaging.subscriptions).
REDELIVERIES_HEADER = "x-savivalda-redeliveries"
# What a quorum queue counts itself: deliveries returned to the queue without an ack.
QUORUM_DELIVERY_COUNT_HEADER = "x-delivery-count"


def events_exchange(publisher: str, passive: bool = False) -> Exchange:
    return Exchange(f"{publisher}.events", type="topic", durable=True, delivery_mode=2, passive=passive)


def redeliver_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.redeliver", type="direct", durable=True, delivery_mode=2)


def retry_exchange(service: str, delay_seconds: float) -> Exchange:
    return Exchange(retry_name(service, delay_seconds), type="fanout", durable=True, delivery_mode=2)


def dead_letter_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.dlx", type="fanout", durable=True, delivery_mode=2)


def retry_name(service: str, delay_seconds: float) -> str:
    return f"{service}.retry.{int(round(delay_seconds * 1000))}ms"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dead-letters"


def handler_queue_name(event_type: str, service: str, method: str) -> str:
    publisher, name = event_type.split(".", 1)
    return f"evt-{publisher}-{name}--{service}.{method}"


def catch_all_queue_name(service: str, method: str) -> str:
    return f"evt-any--{service}.{method}"


def queue_arguments(queue_type: str) -> dict:
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else {}


def subscription_queue(queue_name: str, sources: list[tuple[str, str]], service: str,
                       queue_type: str = "classic") -> Queue:
    """A handler's durable queue, bound to each (publisher, routing key) and to S.redeliver.

    Another publisher's exchange is only checked for (passive declaration): a service's broker
    user may not configure exchanges it does not own, so `savivalda migrate` declares them."""
    return Queue(
        queue_name,
        bindings=[binding(events_exchange(publisher, passive=publisher != service), routing_key=key)
                  for publisher, key in sources]
        + [binding(redeliver_exchange(service), routing_key=queue_name)],
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments=queue_arguments(queue_type),
    )


def handler_queue(event_type: str, service: str, method: str, queue_type: str = "classic") -> Queue:
    publisher, name = event_type.split(".", 1)
    return subscription_queue(handler_queue_name(event_type, service, method), [(publisher, name)], service,
                              queue_type)


def retry_queue(service: str, delay_seconds: float, queue_type: str = "classic") -> Queue:
    args = queue_arguments(queue_type)
    args.update(
        {
            "x-message-ttl": int(round(delay_seconds * 1000)),
            "x-dead-letter-exchange": redeliver_exchange(service).name,
        }
    )
    return Queue(
        retry_name(service, delay_seconds),
        exchange=retry_exchange(service, delay_seconds),
        durable=True,
        queue_arguments=args,
    )


def dead_letter_queue(service: str, queue_type: str = "classic") -> Queue:
    return Queue(
        dead_letter_queue_name(service),
        exchange=dead_letter_exchange(service),
        durable=True,
        queue_arguments=queue_arguments(queue_type),
    )


def subscriptions_of(service_cls) -> list[tuple[str, object]]:
    """(method name, entrypoint) of every event subscription a service class declares: the
    entrypoints that build their own queue (`build_queue(service, method, queue_type)`, as
    shared.messaging.subscriptions.Subscription does)."""
    found = []
    for attr in dir(service_cls):
        fn = getattr(service_cls, attr, None)
        for entrypoint in getattr(fn, "nameko_entrypoints", ()):
            if callable(getattr(entrypoint, "build_queue", None)):
                found.append((attr, entrypoint))
    return sorted(found, key=lambda pair: pair[0])


def service_queues(service: str, service_cls, settings) -> list[Queue]:
    """Every queue service S owns, with its bindings (declared by `savivalda migrate` and at start,
    so events published while S is down wait for it)."""
    queues = [entrypoint.build_queue(service, method, settings.queue_type)
              for method, entrypoint in subscriptions_of(service_cls)]
    queues += [retry_queue(service, d, settings.queue_type) for d in settings.retry_delays]
    queues.append(dead_letter_queue(service, settings.queue_type))
    return queues


def declare_service_topology(connection, service: str, service_cls, settings, publishes: list[str] = (),
                             declare_sources: bool = True) -> None:
    """Declare S's exchanges and queues on a kombu connection (idempotent).

    With `declare_sources`, the other publishers' exchanges S's queues bind to are created too;
    that needs configure permission on them (the migrate job's operator user, the embedded
    broker). A running service's own user only checks that they exist."""
    channel = connection.channel()
    try:
        for publisher in publishes:
            events_exchange(publisher).bind(channel).declare()
        queues = service_queues(service, service_cls, settings)
        if declare_sources:
            for queue in queues:
                for source in queue.bindings:
                    source.exchange.bind(channel).declare(passive=False)
        for queue in queues:
            queue.bind(channel).declare()
    finally:
        channel.close()
