"""Identities that make delivery idempotent."""

from __future__ import annotations

import hashlib

MESSAGE_ID_DOMAIN = "notifications.savivalda"


def delivery_key(event_id: str, recipient_id: str, channel: str) -> str:
    return hashlib.sha256(f"{event_id}:{recipient_id}:{channel}".encode()).hexdigest()[:40]


def message_id(event_id: str, recipient_id: str, channel: str) -> str:
    """The same (event, recipient, channel) always gets the same Message-ID, so a retried e-mail
    is recognisable as the same e-mail rather than a second one."""
    return f"<{delivery_key(event_id, recipient_id, channel)}@{MESSAGE_ID_DOMAIN}>"


def retry_delay(attempts: int, base: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds before the next delivery attempt after `attempts` failures (exponential, capped)."""
    return min(cap, base * (2 ** max(0, attempts - 1)))
