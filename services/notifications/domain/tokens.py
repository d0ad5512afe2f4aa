"""Signatures that need no login: one-click unsubscribe links and webhook bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


class BadToken(Exception):
    pass


def _key(secret: str, purpose: str) -> bytes:
    # One secret, separate keys per purpose: an unsubscribe token is useless as anything else.
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def unsubscribe_token(secret: str, recipient_id: uuid.UUID, category: str) -> str:
    """A link token that unsubscribes one recipient from one category (or "all"). It does not
    expire: RFC 8058 one-click links must keep working in old e-mails."""
    payload = f"{recipient_id}:{category}"
    signature = hmac.new(_key(secret, "unsubscribe"), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload.encode() + b"." + signature).decode().rstrip("=")


def read_unsubscribe_token(secret: str, token: str) -> tuple[uuid.UUID, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, signature = raw[:-17], raw[-16:]
        if raw[-17:-16] != b".":
            raise ValueError
        expected = hmac.new(_key(secret, "unsubscribe"), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(signature, expected):
            raise ValueError
        recipient, category = payload.decode().split(":", 1)
        return uuid.UUID(recipient), category
    except (ValueError, UnicodeDecodeError, TypeError):
        raise BadToken("the unsubscribe link is damaged or was not issued by us") from None


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`; the receiver recomputes it and rejects
    old timestamps, so a captured request cannot be replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify_webhook(secret: str, timestamp: int, body: bytes, signature: str, *, now: int, tolerance: int = 300) -> bool:
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)
