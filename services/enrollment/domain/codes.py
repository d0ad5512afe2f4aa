"""Capability codes: links a person can use without an account, and certificate codes.

A person has no login. Their enrolment's self-service link (status, waitlist position, accepting
an offer, leaving, their calendar feed) carries a code derived with HMAC from the service's
signing secret, so nothing secret needs storing and the code cannot be guessed; certificate
verification codes are random and stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

# Crockford-like alphabet without look-alikes (0/O, 1/I/L), easy to read from paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _mac(secret: str, purpose: str, value: str, length: int) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def enrollment_code(secret: str, enrollment_id: UUID) -> str:
    """The code in an enrolment's self-service link."""
    return _mac(secret, "enrollment", str(enrollment_id), 24)


def check_enrollment_code(secret: str, enrollment_id: UUID, code: str) -> bool:
    return hmac.compare_digest(enrollment_code(secret, enrollment_id), code)


def verification_code(length: int = 12) -> str:
    """Printed on a certificate, shown in groups of four: 'K7Q2-MX9P-4TWC'."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
    return "-".join(raw[i:i + 4] for i in range(0, length, 4))


def normalise_verification_code(code: str) -> str:
    """Accept what people type: any case, with or without dashes or spaces."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def certificate_number(year: int, serial: int) -> str:
    return f"SAV-{year}-{serial:05d}"
