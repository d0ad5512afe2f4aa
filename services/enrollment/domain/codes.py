"""Capability codes: links a person can use without an account, and certificate codes.

A person has no login. Their enrolment's self-service link (status, waitlist position, accepting
an offer, leaving, their calendar feed) carries a code derived with HMAC from the service's
signing secret, so nothing secret needs storing and the code cannot be guessed; certificate
verification codes are random (138 bits) and stored.
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


# 28 characters of a 31-letter alphabet: 138 bits. Certificate numbers are sequential (SAV-2026-00017)
# and anyone may try codes at the public verification endpoint (rate-limited to 10 a minute per
# client), so the code alone must be unguessable: at a billion tries a second, 2^138 takes longer
# than the universe has existed. Certificates issued before 2026-11 carry 12 characters (59 bits)
# and stay valid; docs/security.md.
VERIFICATION_CODE_LENGTH = 28


def verification_code(length: int = VERIFICATION_CODE_LENGTH) -> str:
    """Printed on a certificate, shown in groups of four: 'K7Q2-MX9P-4TWC-...' (seven groups)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
    return "-".join(raw[i:i + 4] for i in range(0, length, 4))


def normalise_verification_code(code: str) -> str:
    """Accept what people type: any case, with or without dashes or spaces."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def certificate_number(year: int, serial: int) -> str:
    return f"SAV-{year}-{serial:05d}"
