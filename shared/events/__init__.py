"""Event contracts: the envelope, the registry and one pydantic model per event type."""

from shared.events.envelope import (  # noqa: F401
    Envelope,
    InvalidEvent,
    exchange_for,
    model_for,
    new_envelope,
    parse_envelope,
    parse_event,
    registered_events,
    routing_key_for,
)
from shared.events.registry import EventData, event  # noqa: F401
