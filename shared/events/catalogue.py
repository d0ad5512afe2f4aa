"""Imports every module that registers event types, so the registry is complete."""

from shared.events import enrollment, grants, learning, notifications, partners, privacy  # noqa: F401
from shared.events.registry import REGISTRY  # noqa: F401  complete once the modules above are imported
