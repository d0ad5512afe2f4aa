"""Idempotency-Key: a repeated enrolment request gets the first answer; a key reused for a
different request is refused."""

from __future__ import annotations

import hashlib
import json

from shared.errors import Conflict

HEADER = "Idempotency-Key"


def key_scope(role_claim: str, subject: str) -> str:
    """Keys are per token holder: the same key from two coordinators is two keys."""
    return f"{role_claim}:{subject}"


def request_fingerprint(session_id, body: dict) -> str:
    """What makes two requests the same: the session and the body (JSON form), key order aside."""
    return hashlib.sha256(json.dumps([str(session_id), body], sort_keys=True).encode()).hexdigest()


def check_same_request(remembered: str, fingerprint: str) -> None:
    if remembered != fingerprint:
        raise Conflict(f"this {HEADER} was used for a different request", field=HEADER,
                       code="idempotency_key_reused")
