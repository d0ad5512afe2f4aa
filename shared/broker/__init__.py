"""The message broker behind one interface (shared.broker.base.Broker): publish with confirms,
schedule a retry, park a dead letter, list, replay and purge dead letters.

`AmqpBroker` (shared.broker.amqp) speaks to RabbitMQ; `MemoryBroker` (shared.broker.memory) to
kombu's in-process transport of the embedded mode. `broker_for` is the one place that chooses.
"""

from __future__ import annotations

from shared.broker.amqp import AmqpBroker
from shared.broker.base import (  # noqa: F401
    NACKED,
    PUBLISHED,
    UNROUTABLE,
    Broker,
    DeadLetter,
    FailedMessage,
    OutgoingMessage,
    PublishError,
)
from shared.broker.memory import MemoryBroker


def broker_for(settings, service: str | None = None) -> Broker:
    """The broker of these settings, bound to `service` (its retries and dead letters; None for a
    broker that only publishes)."""
    if settings.embedded:
        return MemoryBroker(service, settings.database_url(service) if service else None,
                            transport_options=settings.nameko_config().get("TRANSPORT_OPTIONS"))
    return AmqpBroker(settings.amqp_uri, service, queue_type=settings.queue_type, retry_delays=settings.retry_delays)
