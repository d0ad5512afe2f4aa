"""The registry of event types: the base of every event's `data` model and the `@event`
decorator that registers a model for (`type`, `schemaversion`).

A leaf module: the event modules (enrollment.py, grants.py, ...) import it to register their
models, shared/events/catalogue.py imports those modules so that the registry is complete, and
the envelope looks types up in the complete registry. Nothing here imports them back.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import ConfigDict

from shared.model import Model

TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

# Publishers that are not services: requests an operator makes through the CLI.
OPERATOR_PUBLISHERS = ("privacy",)
# Publishers that are other systems: their events are documented for integrators (docs/events.md).
EXTERNAL_PUBLISHERS = ("learning",)


class EventData(Model):
    """Base of every event's `data` model.

    Unknown fields are ignored rather than refused: schemas evolve additively, so a consumer
    built against version 1 must accept what a newer publisher adds.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    summary: ClassVar[str]
    publisher: ClassVar[str]


REGISTRY: dict[tuple[str, int], type[EventData]] = {}


def event(type_: str, version: int = 1, *, summary: str):
    """Register a data model as the schema of event type `type_` at `version`."""
    if not re.match(TYPE_PATTERN, type_):
        raise ValueError(f"event type {type_!r} must look like '<service>.<name>'")

    def register(cls: type[EventData]) -> type[EventData]:
        key = (type_, version)
        if key in REGISTRY and REGISTRY[key] is not cls:
            raise ValueError(f"event type {type_} v{version} is registered twice")
        cls.event_type = type_
        cls.schema_version = version
        cls.summary = summary
        cls.publisher = type_.split(".", 1)[0]
        REGISTRY[key] = cls
        return cls

    return register
